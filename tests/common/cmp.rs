//! `cmp` through the binary: the fixture repository (tests/cmp), plugin and app files, output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::{copy_dir, stderr, stdout};

/// tests/cmp: foreign plugins, apps and the fixture repository.
pub fn fixtures() -> PathBuf {
    super::repo_root().join("tests/cmp")
}

/// The fixture repository as a fresh git checkout; returns it with its HEAD.
pub fn checkout() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("repo"), dir.path());
    // An executable bit the plugin must NOT see (cmp-server resets modes).
    use std::os::unix::fs::PermissionsExt;
    let tool = dir.path().join("apps/env/tool.sh");
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixture"]);
    let sha = git(&["rev-parse", "HEAD"]);
    assert_eq!(sha.len(), 40);
    (dir, sha)
}

/// The binary's directory first on PATH, so plugins can call `argocd-karmada-plugin`.
pub fn path_env() -> String {
    let bin_dir = super::bin().parent().unwrap().to_path_buf();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `argocd-karmada-plugin cmp <args>` with a minimal environment and a secret it must not pass on.
pub fn cmp(args: &[&str]) -> Output {
    Command::new(super::bin())
        .arg("cmp")
        .args(args)
        .env_clear()
        .env("PATH", path_env())
        .env("HOME", "/home/argocd")
        // Must never reach the plugin (minimal env by default).
        .env("SECRET_TOKEN", "topsecret")
        .output()
        .unwrap()
}

/// `cmp run --plugin <plugin> --app <app> <flags...> <repo>`.
pub fn cmp_run(plugin: &str, app: &str, flags: &[&str], repo: &str) -> Output {
    let mut args = vec!["run", "--plugin", plugin, "--app", app];
    args.extend_from_slice(flags);
    args.push(repo);
    cmp(&args)
}

/// A fixture plugin file, by name.
pub fn plugin(name: &str) -> String {
    fixtures().join("plugins").join(name).display().to_string()
}

/// A fixture Application file, by name.
pub fn app(name: &str) -> String {
    fixtures().join("apps").join(name).display().to_string()
}

/// The documents of a YAML stream.
pub fn docs(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in text.split("---\n").filter(|c| !c.trim().is_empty()) {
        let v: Value = serde_saphyr::from_str(chunk).unwrap();
        out.push(v);
    }
    out
}

/// Writes a plugin.yaml with the given generate script (and discovery) into `dir`.
pub fn write_plugin(
    dir: &Path,
    name: &str,
    discover: &str,
    script: &str,
    dynamic: Option<&str>,
) -> String {
    let mut text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: {name}\nspec:\n  generate:\n    command: [sh, -c]\n    args: [{script:?}]\n{discover}"
    );
    if let Some(d) = dynamic {
        text.push_str(&format!(
            "  parameters:\n    dynamic:\n      command: [sh, -c, {d:?}]\n"
        ));
    }
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Writes an Application using plugin `plugin_name` for `path` into `dir`; returns its path.
pub fn write_app(dir: &Path, plugin_name: &str, path: &str) -> String {
    let p = dir.join("app.yaml");
    std::fs::write(
        &p,
        format!("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: web}}\nspec:\n  source: {{repoURL: https://x, path: {path}, plugin: {{name: {plugin_name}}}}}\n  destination: {{namespace: prod}}\n"),
    )
    .unwrap();
    p.display().to_string()
}

/// The first stderr line of a failed run (exit 1, nothing on stdout).
pub fn first_error_line(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(o));
    assert!(o.stdout.is_empty(), "partial stdout: {}", stdout(o));
    stderr(o).lines().next().unwrap_or_default().to_string()
}
