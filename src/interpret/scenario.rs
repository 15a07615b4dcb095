//! `interpret scenario`: scenario files through our customizations in our own Karmada-mode VM,
//! the Argo CD health each scenario expects vs what the chain gives.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::ScenarioArgs;
use crate::argo::health::{HealthStatus, VmOptions, evaluate_health};
use crate::karmada::interpreter::r#gen::{OPT_IN_CHECKS, customizations, opt_in_script};
use crate::karmada::interpreter::scenario::{Health, Scenario};
use crate::karmada::interpreter::vm::NativeVm;

pub fn run(args: ScenarioArgs) -> Result<ExitCode> {
    let files = scenario_files(&args.paths)?;
    let all = customizations(&args.root).with_context(|| {
        format!(
            "{}: the customizations' sources (interpreter-lua/) cannot be read; give --root",
            args.root.display()
        )
    })?;
    // Our opt-in argocd-cm checks, run as Argo CD runs them.
    let checks: Vec<(&str, String)> = OPT_IN_CHECKS
        .iter()
        .map(|(group, kind)| Ok((*kind, opt_in_script(&args.root, group, kind)?)))
        .collect::<Result<_>>()?;
    let opt_in = |obj: &Value| -> Option<Result<HealthStatus>> {
        let kind = obj["kind"].as_str()?;
        let (_, script) = checks.iter().find(|(k, _)| *k == kind)?;
        Some(evaluate_health(script, obj, &VmOptions::default()))
    };
    let mut out = String::new();
    let mut failed = 0;
    for file in &files {
        let origin = file.display().to_string();
        let text =
            std::fs::read_to_string(file).with_context(|| format!("{origin}: cannot read"))?;
        let s = Scenario::parse(&text, &origin)?;
        let outcome = s
            .run(&all, &NativeVm, &opt_in)
            .with_context(|| format!("{origin}: scenario {:?}", s.name))?;
        let problems = s.check(&outcome);
        let verdict = if problems.is_empty() { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{verdict} {origin}: {}", s.name);
        let mut line = |what: &str, want: Option<&Health>, got: Option<&Health>| {
            if want.is_some() || got.is_some() {
                let _ = writeln!(
                    out,
                    "    {what:<9} expected {}, got {}",
                    show(want),
                    show(got)
                );
            }
        };
        line("today", Some(&s.expect.today), Some(&outcome.today));
        line("ours", Some(&s.expect.ours), Some(&outcome.ours));
        line(
            "opt-in",
            s.expect.ours_opt_in.as_ref(),
            outcome.ours_opt_in.as_ref(),
        );
        for p in &problems {
            let _ = writeln!(out, "    {p}");
        }
        failed += usize::from(!problems.is_empty());
    }
    super::report(out, files.len(), failed)
}

fn show(h: Option<&Health>) -> String {
    match h {
        None => "-".into(),
        Some(h) if h.message.is_empty() => h.status.clone(),
        Some(h) => format!("{} ({})", h.status, h.message),
    }
}

/// The files given, and the `*.yaml` files of the directories given (sorted), without following
/// symlinks out of a directory.
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if !meta.is_dir() {
            files.push(p.clone());
            continue;
        }
        let mut found = yaml_files(p)?;
        if found.is_empty() {
            bail!("{}: no scenario files (*.yaml)", p.display());
        }
        files.append(&mut found);
    }
    Ok(files)
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read", dir.display()))?
    {
        let entry = entry.with_context(|| format!("{}: cannot read", dir.display()))?;
        let path = entry.path();
        if entry.file_type()?.is_file() && path.extension().is_some_and(|e| e == "yaml") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}
