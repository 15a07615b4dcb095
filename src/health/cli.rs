//! `health` subcommand.

use std::process::ExitCode;

use anyhow::{Result, bail};

#[derive(clap::Args, Debug)]
pub struct HealthArgs {
    /// The object to evaluate (`-` for stdin).
    pub file: Option<String>,
}

pub fn run(_args: HealthArgs) -> Result<ExitCode> {
    bail!("`health` is being built (issue 4)")
}
