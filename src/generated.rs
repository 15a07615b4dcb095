//! The `gen` command: the registry of every generated file of the project. One run writes them
//! all; `--check` proves the committed copies are fresh.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::artifacts::{self, Artifact, Target};
use crate::{health, karmada, render, sidecar};

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Fail (exit 1) if any generated file is stale instead of writing it.
    #[arg(long)]
    pub check: bool,
    /// The repository root.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

/// Every artifact rendered from sources (the sidecar copies come on top, see [`run`]).
pub fn artifacts() -> Vec<Artifact> {
    let mut all = vec![
        Artifact {
            path: "README.md",
            target: Target::Region("settings"),
            render: render::settings::readme_region,
        },
        Artifact {
            path: "plugin/plugin.yaml",
            target: Target::WholeFile,
            render: render::settings::plugin_yaml,
        },
    ];
    all.extend(health::r#gen::artifacts());
    all.extend(karmada::interpreter::r#gen::artifacts());
    all
}

pub fn run(args: GenArgs) -> Result<ExitCode> {
    // Keep going past a failing artifact so one run reports every problem.
    let mut stale = Vec::new();
    let mut failed = Vec::new();
    // Whole files rendered in this run: a copy of one is fresh even while its source is rewritten.
    let mut rendered: BTreeMap<&str, String> = BTreeMap::new();
    for a in artifacts() {
        let result = (a.render)(&args.root)
            .with_context(|| format!("generating {}", a.path))
            .and_then(|content| {
                let was_stale =
                    artifacts::refresh(&args.root, a.path, &a.target, &content, args.check)?;
                if matches!(a.target, Target::WholeFile) {
                    rendered.insert(a.path, content);
                }
                Ok(was_stale)
            });
        match result {
            Ok(true) => stale.push(a.path),
            Ok(false) => {}
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    for &(copy, source) in sidecar::COPIES {
        let result = source_text(&args, &rendered, source).and_then(|body| {
            let text = sidecar::copy_text(source, &body);
            artifacts::refresh(&args.root, copy, &Target::WholeFile, &text, args.check)
        });
        match result {
            Ok(true) => stale.push(copy),
            Ok(false) => {}
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    if args.check && !stale.is_empty() {
        failed.push(format!(
            "stale generated files: {} (run `cargo run -- gen` and commit the result)",
            stale.join(", ")
        ));
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}

/// The content of `source`: as rendered in this run, or the committed file if nothing renders it.
fn source_text(args: &GenArgs, rendered: &BTreeMap<&str, String>, source: &str) -> Result<String> {
    if let Some(text) = rendered.get(source) {
        return Ok(text.clone());
    }
    match std::fs::read_to_string(args.root.join(source)) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == ErrorKind::NotFound => bail!("{source}: missing"),
        Err(e) => bail!("{source}: cannot read: {e}"),
    }
}
