//! The command line: parse arguments, dispatch to the library, print errors the same way everywhere.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{argo, generated, health, preview, render};

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
    /// Run any config management plugin the way Argo CD's cmp-server does.
    Cmp(argo::cmp::cli::CmpArgs),
    /// Regenerate the generated files (argocd-cm-patch.yaml, docs); `--check` fails when stale.
    Gen(generated::GenArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(a) => render::cli::generate(a),
        Command::Parameters(a) => render::cli::parameters(a),
        Command::Preview(a) => preview::cli::preview(a),
        Command::Diff(a) => preview::cli::diff(a),
        Command::Health(a) => health::cli::run(a),
        Command::Cmp(a) => argo::cmp::cli::run(a),
        Command::Gen(a) => generated::run(a),
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
