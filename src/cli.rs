//! The command line: parse arguments, dispatch to the library, print errors the same way everywhere.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{argo, generated, health, interpret, preview, render, status};

#[derive(Parser, Debug)]
#[command(
    name = "argocd-karmada-plugin",
    version,
    about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render an app with its Karmada policies (the CMP generate command).
    Generate(render::cli::GenerateArgs),
    /// What each member cluster receives: Karmada's claim, cluster selection, replica division and
    /// overrides, run offline.
    Preview(preview::cli::PreviewArgs),
    /// Compare what two clusters receive, or every object on every cluster (--matrix).
    Diff(preview::cli::DiffArgs),
    /// Print the CMP parameter announcements (JSON) with their effective values.
    Parameters(render::cli::ParametersArgs),
    /// Evaluate health scripts exactly as Argo CD does, or run health test suites.
    Health(health::cli::HealthArgs),
    /// Run a Karmada resource interpreter customization (our `karmadactl interpret`), or its tests.
    Interpret(interpret::InterpretArgs),
    /// Run any config management plugin the way Argo CD's cmp-server does.
    Cmp(argo::cmp::cli::CmpArgs),
    /// One app across every member cluster, live: an object x cluster health matrix.
    Status(status::cli::StatusArgs),
    /// Regenerate the generated files (argocd-cm-patch.yaml, docs); `--check` fails when stale.
    Gen(generated::GenArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // `status` answers 0-2 with health verdicts; its usage errors are errors (3), not
            // clap's 2, which would read as "degraded" in a script.
            let status = std::env::args_os().nth(1).is_some_and(|a| a == "status");
            let code = if e.use_stderr() && status {
                3
            } else {
                e.exit_code()
            };
            return ExitCode::from(u8::try_from(code).unwrap_or(1));
        }
    };
    let result = match cli.command {
        Command::Generate(a) => render::cli::generate(a),
        Command::Parameters(a) => render::cli::parameters(a),
        Command::Preview(a) => preview::cli::preview(a),
        Command::Diff(a) => preview::cli::diff(a),
        Command::Health(a) => health::cli::run(a),
        Command::Interpret(a) => interpret::run(a),
        Command::Cmp(a) => argo::cmp::cli::run(a),
        Command::Gen(a) => generated::run(a),
        Command::Status(a) => status::cli::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            ExitCode::from(1)
        }
    }
}

/// `error: <context>: <context>: <cause>` on the first line, so the line Argo CD shows is complete;
/// then the diagnostic's hint, if any, on its own `hint:` line.
pub fn report(e: &anyhow::Error) {
    eprintln!("error: {e:#}");
    if let Some(hint) = crate::diag::hint_of(e) {
        eprintln!("hint: {hint}");
    }
}
