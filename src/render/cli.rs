//! `generate` and `parameters` subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

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

pub fn generate(_args: GenerateArgs) -> Result<ExitCode> {
    bail!("`generate` is being built (issue 2)")
}

pub fn parameters(_args: ParametersArgs) -> Result<ExitCode> {
    bail!("`parameters` is being built (issue 2)")
}
