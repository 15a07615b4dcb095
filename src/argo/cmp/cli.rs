//! `cmp` subcommands.

use std::process::ExitCode;

use anyhow::{Result, bail};

#[derive(clap::Args, Debug)]
pub struct CmpArgs {}

pub fn run(_args: CmpArgs) -> Result<ExitCode> {
    bail!("`cmp` is being built (issue 3)")
}
