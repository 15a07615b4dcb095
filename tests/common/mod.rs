//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod karmada_vm;

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

/// The gopher-lua oracle: `$ARGO_LUA_ORACLE` (set by `.ci/run`), else `target/oracle/argo-lua-oracle`.
/// Under `CI=true` a missing oracle fails; elsewhere the check is skipped loudly.
pub fn oracle(test: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ARGO_LUA_ORACLE") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{test}: ARGO_LUA_ORACLE={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let built = repo_root().join("target/oracle/argo-lua-oracle");
    if built.is_file() {
        return Some(built);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: the gopher-lua oracle is required when CI=true (set ARGO_LUA_ORACLE)");
    }
    eprintln!();
    eprintln!("!!!!!!!! SKIPPED CHECK: {test} !!!!!!!!");
    eprintln!("!!!!!!!! gopher-lua oracle not found; set ARGO_LUA_ORACLE !!!!!!!!");
    eprintln!();
    None
}

/// Runs requests through the oracle's batch mode (stdin JSON lines); one JSON result per request.
pub fn oracle_batch(
    oracle: &Path,
    flags: &[&str],
    requests: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(oracle)
        .args(flags)
        .arg("batch")
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the oracle");
    let mut input = String::new();
    for r in requests {
        input.push_str(&r.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer").expect("write requests");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(results.len(), requests.len(), "one result per request");
    results
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
