use std::process::ExitCode;

fn main() -> ExitCode {
    argocd_karmada_plugin::cli::main()
}
