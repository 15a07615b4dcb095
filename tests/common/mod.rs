//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/reference` (Karmada CRDs, Argo CD install, ...), or `ARGOCD_KARMADA_SHARED/reference`.
///
/// Reference data is never copied into this repository. Under `CI=true` a missing copy fails the
/// test; elsewhere the test prints loudly that it skipped its check and returns `None`.
pub fn reference_dir(test: &str) -> Option<PathBuf> {
    let shared = std::env::var_os("ARGOCD_KARMADA_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    let dir = shared.join("reference");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{test}: reference data missing at {} (required when CI=true)",
            dir.display()
        );
    }
    eprintln!();
    eprintln!("!!!!!!!! SKIPPED CHECK: {test} !!!!!!!!");
    eprintln!(
        "!!!!!!!! reference data not found at {} !!!!!!!!",
        dir.display()
    );
    eprintln!();
    None
}

/// The path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_argocd-karmada-plugin"))
}

/// Reads a file to a string, naming it on failure.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
