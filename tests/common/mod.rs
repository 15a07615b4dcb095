//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod cmp;
pub mod karmada_vm;
pub mod rng;
pub mod schema;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/reference` (Karmada CRDs, Argo CD install, ...), or `ARGOCD_KARMADA_SHARED/reference`.
///
/// Reference data is never copied into this repository. Tests that read it carry
/// `#[cfg_attr(not(has_reference), ignore = "...")]` (see build.rs), so they only run when it was
/// found, or under `CI=true`, where a missing copy fails here.
pub fn reference_dir(test: &str) -> PathBuf {
    let shared = std::env::var_os("ARGOCD_KARMADA_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    let dir = shared.join("reference");
    assert!(
        dir.is_dir(),
        "{test}: reference data missing at {} (set ARGOCD_KARMADA_SHARED)",
        dir.display()
    );
    dir
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
/// Its tests carry `#[cfg_attr(not(has_oracle), ignore = "...")]`; under `CI=true` a missing
/// oracle fails here.
pub fn oracle(test: &str) -> PathBuf {
    let p = std::env::var_os("ARGO_LUA_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/oracle/argo-lua-oracle"));
    assert!(
        p.is_file(),
        "{test}: the gopher-lua oracle is missing at {} (set ARGO_LUA_ORACLE)",
        p.display()
    );
    p
}

/// Real helm: `$HELM_BIN`, else `helm` on `PATH` (`scripts/install-helm.sh` installs it). Its
/// tests carry `#[cfg_attr(not(has_helm), ignore = "...")]`; under `CI=true` a missing helm
/// fails here.
pub fn helm() -> PathBuf {
    std::env::var_os("HELM_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| which("helm"))
        .expect("helm not found: run scripts/install-helm.sh and put its directory on PATH, or set HELM_BIN")
}

/// `tool` on `PATH`.
pub fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
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

/// Copies a directory tree in name order; symlinks are copied as symlinks (tests check that
/// links out of the repository are refused), never followed.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ft = e.file_type().unwrap();
        let dest = to.join(e.file_name());
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else if ft.is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A process's stdout as text.
pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A process's stderr as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
