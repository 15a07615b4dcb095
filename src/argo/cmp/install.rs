//! Generated copies under `sidecar/` of files the kustomize overlay needs: kustomize refuses to
//! read files outside the kustomization root, so `gen` copies them and `gen --check` keeps them
//! fresh.

use std::path::Path;

use anyhow::{Result, bail};

use crate::generated::{Artifact, Target};

/// Copies of `plugin/plugin.yaml` and `argocd-cm-patch.yaml` under `sidecar/`.
pub fn artifacts() -> Vec<Artifact> {
    vec![
        Artifact {
            path: "sidecar/plugin.yaml",
            target: Target::WholeFile,
            render: |root| copy_of(root, "plugin/plugin.yaml"),
        },
        Artifact {
            path: "sidecar/argocd-cm-patch.yaml",
            target: Target::WholeFile,
            render: |root| copy_of(root, "argocd-cm-patch.yaml"),
        },
    ]
}

/// The content `gen` renders for `source` (so the copy is fresh even when the source is being
/// regenerated in the same run), or the committed file if nothing generates it.
fn copy_of(root: &Path, source: &str) -> Result<String> {
    let body = match crate::generated::artifacts()
        .into_iter()
        .find(|a| a.path == source && matches!(a.target, Target::WholeFile))
    {
        Some(a) => (a.render)(root)?,
        None => match std::fs::read_to_string(root.join(source)) {
            Ok(text) => text,
            Err(e) => bail!("{source}: {e}"),
        },
    };
    Ok(format!(
        "# GENERATED copy of {source} for the kustomize overlay (kustomize cannot read files outside\n# sidecar/); edit the source and run `cargo run -- gen`.\n{body}"
    ))
}
