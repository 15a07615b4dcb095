//! Packaging of the plugin sidecar: kustomize refuses to read files outside the kustomization
//! root, so `sidecar/` holds generated copies of files the overlay needs (`gen` writes them,
//! `gen --check` keeps them fresh).

/// `(copy, source)`: each copy under `sidecar/` and the file it copies, relative to the root.
pub const COPIES: &[(&str, &str)] = &[
    ("sidecar/plugin.yaml", "plugin/plugin.yaml"),
    ("sidecar/argocd-cm-patch.yaml", "argocd-cm-patch.yaml"),
];

/// The text of the copy of `source`, whose content is `body`.
pub fn copy_text(source: &str, body: &str) -> String {
    format!(
        "# GENERATED copy of {source} for the kustomize overlay (kustomize cannot read files outside\n# sidecar/); edit the source and run `cargo run -- gen`.\n{body}"
    )
}
