//! `generate` and `parameters` subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::contract;

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// The app directory (default: the current directory, as under Argo CD).
    pub dir: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ParametersArgs {
    /// The app directory (default: the current directory).
    pub dir: Option<PathBuf>,
}

pub fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let ctx = contract::app_context(args.dir.as_deref(), &contract::process_env())?;
    // The whole stream is built before anything is written: on error stdout stays empty.
    let (out, docs) = super::generate_with_documents(&ctx)?;
    // The process exits next: freeing every document piece by piece would only delay that.
    std::mem::forget(docs);
    write_stdout(&out)
}

pub fn parameters(args: ParametersArgs) -> Result<ExitCode> {
    let ctx = contract::app_context(args.dir.as_deref(), &contract::process_env())?;
    let out = super::parameters(&ctx)?;
    write_stdout(&out)
}

pub fn write_stdout(text: &str) -> Result<ExitCode> {
    crate::output::stdout(text)?;
    Ok(ExitCode::SUCCESS)
}
