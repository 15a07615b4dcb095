//! Generated artifacts: one command writes them all, `--check` proves the committed copies are fresh.
//!
//! An artifact is a whole file, or a marked region of a file (`<!-- BEGIN GENERATED: name -->` ...
//! `<!-- END GENERATED: name -->`), so docs can live inside the hand-written README.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Fail (exit 1) if any generated file is stale instead of writing it.
    #[arg(long)]
    pub check: bool,
    /// The repository root.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

/// Where an artifact goes inside its file.
pub enum Target {
    WholeFile,
    Region(&'static str),
}

pub struct Artifact {
    /// Path relative to the repository root.
    pub path: &'static str,
    pub target: Target,
    /// Renders the content from the repository root.
    pub render: fn(&Path) -> Result<String>,
}

/// Every generated artifact of the project.
pub fn artifacts() -> Vec<Artifact> {
    let mut all = vec![
        Artifact {
            path: "README.md",
            target: Target::Region("settings"),
            render: crate::render::settings::readme_region,
        },
        Artifact {
            path: "plugin/plugin.yaml",
            target: Target::WholeFile,
            render: crate::render::settings::plugin_yaml,
        },
    ];
    all.extend(crate::health::r#gen::artifacts());
    all.extend(crate::argo::cmp::install::artifacts());
    all.extend(crate::karmada::interpreter::r#gen::artifacts());
    all
}

pub fn run(args: GenArgs) -> Result<ExitCode> {
    // Keep going past a failing artifact so one run reports every problem.
    let mut stale = Vec::new();
    let mut failed = Vec::new();
    for a in artifacts() {
        match refresh(&args, &a) {
            Ok(true) => stale.push(a.path),
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

/// Writes one artifact (or, with `--check`, only compares it); `true` when it was stale.
fn refresh(args: &GenArgs, a: &Artifact) -> Result<bool> {
    let path = args.root.join(a.path);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let content = (a.render)(&args.root).with_context(|| format!("generating {}", a.path))?;
    let wanted = match &a.target {
        Target::WholeFile => content,
        Target::Region(name) => {
            replace_region(&current, name, &content).with_context(|| a.path.to_string())?
        }
    };
    if wanted == current {
        return Ok(false);
    }
    if !args.check {
        std::fs::write(&path, wanted).with_context(|| format!("writing {}", a.path))?;
        eprintln!("wrote {}", a.path);
    }
    Ok(true)
}

/// Replaces the text between the markers of region `name`, keeping the markers.
pub fn replace_region(text: &str, name: &str, content: &str) -> Result<String> {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->");
    let end = format!("<!-- END GENERATED: {name} -->");
    let Some(b) = text.find(&begin) else {
        bail!("marker `{begin}` not found");
    };
    let after_begin = b + begin.len();
    let Some(e) = text[after_begin..].find(&end) else {
        bail!("marker `{end}` not found after `{begin}`");
    };
    let e = after_begin + e;
    let mut body = content.to_string();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Ok(format!("{}\n{}{}", &text[..after_begin], body, &text[e..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_region() {
        let text = "a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nb\n";
        let out = replace_region(text, "x", "new").unwrap();
        assert_eq!(
            out,
            "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nb\n"
        );
        assert_eq!(replace_region(&out, "x", "new").unwrap(), out);
        assert!(replace_region("nothing", "x", "new").is_err());
    }
}
