//! Plain directories of YAML/JSON manifests, walked in lexical order (like Argo CD's directory source).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;

use super::spec::DirectoryOpts;
use super::{Objects, RepoRoot};
use crate::render::AppContext;

/// Largest manifest file we read.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Most directory entries we look at (a guard against walking a huge tree by mistake).
pub const MAX_ENTRIES: usize = 100_000;

/// Files that sit next to manifests but are not manifests.
fn is_tool_file(name: &str) -> bool {
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization" | "Chart.yaml" | "Chart.lock"
    ) || is_values_file(name)
}

/// Helm values files: `values.yaml`, `values-prod.yaml`, ...
fn is_values_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"));
    stem.is_some_and(|s| s == "values" || s.starts_with("values-") || s.starts_with("values."))
}

/// A subdirectory with its own kustomization or chart is rendered by that tool (e.g. an overlay
/// named in `overrides[].kustomize`), never read as plain manifests.
fn is_tool_root(dir: &Path) -> bool {
    [
        "kustomization.yaml",
        "kustomization.yml",
        "Kustomization",
        "Chart.yaml",
    ]
    .iter()
    .any(|f| dir.join(f).exists())
}

fn is_manifest(name: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(GlobBuilder::new(g).literal_separator(true).build()?);
    }
    Ok(Some(b.build()?))
}

/// Reads every manifest under the app directory into `out`.
pub fn render(
    ctx: &AppContext,
    opts: &DirectoryOpts,
    root: &RepoRoot,
    out: &mut Objects,
) -> Result<()> {
    let karmada = ctx.display("karmada.yaml");
    let include =
        globset(&opts.include).with_context(|| format!("{karmada}: source.directory.include"))?;
    let exclude =
        globset(&opts.exclude).with_context(|| format!("{karmada}: source.directory.exclude"))?;
    let mut files = Vec::new();
    let mut walk = Walk {
        ctx,
        root,
        recurse: opts.recurse,
        visited: HashSet::new(),
        entries: 0,
        files: &mut files,
    };
    walk.dir(&ctx.app_dir, "")?;
    files.retain(|(rel, _)| {
        include.as_ref().is_none_or(|g| g.is_match(rel))
            && exclude.as_ref().is_none_or(|g| !g.is_match(rel))
    });
    // Parsing dominates big apps: files are parsed on a few threads, then added in walk order,
    // so the output and the first error reported are the same as one file after the other.
    let parsed = crate::parallel::map(&files, |(rel, path)| -> Result<(Vec<Value>, String)> {
        let shown = ctx.display(rel);
        let text = read_limited(path, &shown)?;
        let docs = if rel.ends_with(".json") {
            parse_json(&text, &shown)?
        } else {
            crate::yaml::parse_stream(&text, &shown)?
        };
        Ok((docs, shown))
    });
    for file in parsed {
        let (docs, shown) = file?;
        out.push_docs(docs, &shown)?;
    }
    Ok(())
}

struct Walk<'a> {
    ctx: &'a AppContext,
    root: &'a RepoRoot,
    recurse: bool,
    /// Canonical directories already walked (symlink loops).
    visited: HashSet<PathBuf>,
    entries: usize,
    files: &'a mut Vec<(String, PathBuf)>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let shown_dir = if rel.is_empty() {
            self.ctx.display(".")
        } else {
            self.ctx.display(rel)
        };
        let canonical = std::fs::canonicalize(dir)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{shown_dir}: cannot read directory"))?;
        if !self.visited.insert(canonical) {
            return Ok(());
        }
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{shown_dir}: cannot read directory"))?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{shown_dir}: cannot read directory"))?;
        names.sort();
        for name in names {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                bail!(
                    "{}: more than {MAX_ENTRIES} files and directories; narrow the app with source.directory.include",
                    self.ctx.display(".")
                );
            }
            let path = dir.join(&name);
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let shown = self.ctx.display(&child_rel);
            let meta = std::fs::symlink_metadata(&path)
                .map_err(|e| anyhow!("{e}"))
                .with_context(|| format!("{shown}: cannot read"))?;
            let meta = if meta.file_type().is_symlink() {
                let target = self.root.resolve_symlink(&path, &shown)?;
                std::fs::metadata(&target)
                    .map_err(|e| anyhow!("{e}"))
                    .with_context(|| format!("{shown}: broken symlink"))?
            } else {
                meta
            };
            if meta.is_dir() {
                if name.starts_with('.') || !self.recurse || is_tool_root(&path) {
                    continue;
                }
                self.dir(&path, &child_rel)?;
            } else if meta.is_file() && is_manifest(&name) {
                if (rel.is_empty() && name == "karmada.yaml") || is_tool_file(&name) {
                    continue;
                }
                self.files.push((child_rel, path));
            }
        }
        Ok(())
    }
}

/// `.json` files are strict JSON (one or more concatenated values), as Argo CD reads them.
fn parse_json(text: &str, shown: &str) -> Result<Vec<Value>> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .filter(|v| !matches!(v, Ok(Value::Null)))
        .collect::<serde_json::Result<Vec<Value>>>()
        .map_err(|e| anyhow!("{shown}: invalid JSON: {e}"))
}

/// Reads a manifest file, refusing files over [`MAX_FILE_BYTES`].
pub fn read_limited(path: &Path, shown: &str) -> Result<String> {
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("{shown}: cannot read"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("{shown}: cannot read"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "{shown}: file is larger than the {} MiB limit for one manifest file",
            MAX_FILE_BYTES / (1024 * 1024)
        );
    }
    String::from_utf8(bytes).map_err(|_| anyhow!("{shown}: not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tool_files() {
        for f in [
            "values.yaml",
            "values-prod.yml",
            "Chart.yaml",
            "kustomization.yml",
            "Kustomization",
        ] {
            assert!(is_tool_file(f), "{f}");
        }
        for f in ["deploy.yaml", "my-values.yaml", "valuesx.yaml"] {
            assert!(!is_tool_file(f), "{f}");
        }
    }

    #[test]
    fn globs_do_not_cross_directories() {
        let g = globset(&["*.yaml".into()]).unwrap().unwrap();
        assert!(g.is_match("a.yaml"));
        assert!(!g.is_match("sub/a.yaml"));
        let g = globset(&["**/*.yaml".into()]).unwrap().unwrap();
        assert!(g.is_match("sub/a.yaml"));
        assert!(g.is_match("a.yaml"));
    }
}
