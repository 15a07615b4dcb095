//! Argo CD's own health fixtures for the workload kinds (gitops-engine `pkg/health/testdata/`
//! with the expectations of `health_test.go`; argo-cd v3.5.1 vendors it under
//! `gitops-engine/pkg/health/`). Their files are never committed here: point
//! `GITOPS_ENGINE_HEALTH_DIR` at a checkout's `pkg/health`, or `ARGOCD_MIRROR` at an argo-cd git
//! directory; otherwise the test is ignored (also in CI, which has neither).

mod common;

use std::path::PathBuf;

use argocd_karmada_plugin::argo::health::builtin;
use argocd_karmada_plugin::argo::health::{VmOptions, evaluate_health};
use argocd_karmada_plugin::karmada::interpreter::r#gen::{OPT_IN_CHECKS, opt_in_script};

/// `assertAppHealth(t, "./testdata/X.yaml", HealthStatusY)` lines for our kinds.
fn expectations(dir: &std::path::Path) -> Vec<(PathBuf, String)> {
    let test = common::read(&dir.join("health_test.go"));
    test.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("assertAppHealth(t, \"./testdata/")?;
            let (file, rest) = rest.split_once("\", HealthStatus")?;
            let status = rest.strip_suffix(')')?;
            ["deployment", "statefulset", "daemonset", "job"]
                .iter()
                .any(|k| file.starts_with(k))
                .then(|| (dir.join("testdata").join(file), status.to_string()))
        })
        .collect()
}

/// `$GITOPS_ENGINE_HEALTH_DIR`, or `gitops-engine/pkg/health` of argo-cd v3.5.1 extracted from
/// the argo-cd git directory `$ARGOCD_MIRROR`.
fn fixtures_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("GITOPS_ENGINE_HEALTH_DIR") {
        return (PathBuf::from(dir), None);
    }
    let mirror =
        std::env::var_os("ARGOCD_MIRROR").expect("set GITOPS_ENGINE_HEALTH_DIR or ARGOCD_MIRROR");
    let tmp = tempfile::tempdir().unwrap();
    let tar = tmp.path().join("health.tar");
    let archive = std::process::Command::new("git")
        .arg("-C")
        .arg(&mirror)
        .args(["archive", "-o"])
        .arg(&tar)
        .args(["v3.5.1", "gitops-engine/pkg/health"])
        .status()
        .expect("run git archive");
    assert!(
        archive.success(),
        "git archive v3.5.1 gitops-engine/pkg/health failed"
    );
    let extract = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(tmp.path())
        .status()
        .expect("run tar");
    assert!(extract.success());
    (tmp.path().join("gitops-engine/pkg/health"), Some(tmp))
}

#[test]
#[cfg_attr(
    not(has_argo_health_fixtures),
    ignore = "needs Argo CD's health fixtures: set GITOPS_ENGINE_HEALTH_DIR or ARGOCD_MIRROR (not in CI)"
)]
fn builtin_checks_and_opt_in_checks_match_argo_cd_fixtures() {
    let (dir, _tmp) = fixtures_dir();
    let cases = expectations(&dir);
    assert!(cases.len() >= 10, "found {} fixtures", cases.len());
    for (file, want) in &cases {
        // Go's YAML decoding keeps the last of duplicate keys (one fixture has one).
        let opts =
            serde_saphyr::options! { duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins };
        let obj: serde_json::Value = serde_saphyr::from_str_with_options(&common::read(file), opts)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let got = builtin::health(&obj).expect("a workload kind");
        assert_eq!(&got.status, want, "{}", file.display());
        let kind = obj["kind"].as_str().unwrap();
        if let Some((group, kind)) = OPT_IN_CHECKS.iter().find(|(_, k)| *k == kind) {
            let script = opt_in_script(&common::repo_root(), group, kind).unwrap();
            let lua = evaluate_health(&script, &obj, &VmOptions::default()).unwrap();
            assert_eq!(lua, got, "opt-in check vs built-in on {}", file.display());
        }
    }
    eprintln!("{} Argo CD fixtures pass", cases.len());
}
