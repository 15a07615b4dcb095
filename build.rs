//! Finds the tests' prerequisites that do not come with Rust, so a test whose prerequisite is
//! missing shows up as `ignored, needs ...` in the test summary instead of passing quietly:
//! tests carry `#[cfg_attr(not(has_helm), ignore = "needs helm: ...")]`.
//!
//! With `CI=true` every prerequisite counts as present, so a missing one fails its tests.
//! Detection happens when the tests are built; it reruns when one of the variables below changes
//! (after installing something at a default location without changing them: `touch build.rs`).

use std::env;
use std::path::{Path, PathBuf};

const WATCHED: [&str; 9] = [
    "CI",
    "PATH",
    "HELM_BIN",
    "ARGO_LUA_ORACLE",
    "KARMADA_LUA_ORACLE",
    "GITOPS_ENGINE_HEALTH_DIR",
    "ARGOCD_KARMADA_SHARED",
    "ARGOCD_MIRROR",
    "ARGOCD_RESOURCE_CUSTOMIZATIONS",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for var in WATCHED {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ci = env::var("CI").is_ok_and(|v| v == "true");
    let shared = env_path("ARGOCD_KARMADA_SHARED").unwrap_or_else(|| root.join("../shared"));
    let found = [
        // helm: HELM_BIN, else PATH (scripts/install-helm.sh puts it in target/tools/bin).
        (
            "has_helm",
            env_path("HELM_BIN").is_some_and(|p| p.is_file()) || on_path("helm"),
        ),
        // Karmada CRDs and the Argo CD install: ../shared/reference or $ARGOCD_KARMADA_SHARED.
        ("has_reference", shared.join("reference").is_dir()),
        // The gopher-lua oracle: $ARGO_LUA_ORACLE or target/oracle/argo-lua-oracle.
        (
            "has_oracle",
            env_path("ARGO_LUA_ORACLE")
                .unwrap_or_else(|| root.join("target/oracle/argo-lua-oracle"))
                .is_file(),
        ),
        // The Karmada gopher-lua oracle: $KARMADA_LUA_ORACLE or target/oracle/karmada-lua-oracle.
        (
            "has_karmada_oracle",
            env_path("KARMADA_LUA_ORACLE")
                .unwrap_or_else(|| root.join("target/oracle/karmada-lua-oracle"))
                .is_file(),
        ),
    ];
    for (cfg, present) in found {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if present || ci {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    // Argo CD's own resource_customizations are not reference data: optional even in CI.
    println!("cargo::rustc-check-cfg=cfg(has_argo_suite)");
    if env_path("ARGOCD_RESOURCE_CUSTOMIZATIONS").is_some() || env_path("ARGOCD_MIRROR").is_some() {
        println!("cargo::rustc-cfg=has_argo_suite");
    }
    // Argo CD's health fixtures (gitops-engine pkg/health): a checkout, or the argo-cd mirror.
    println!("cargo::rustc-check-cfg=cfg(has_argo_health_fixtures)");
    if env_path("GITOPS_ENGINE_HEALTH_DIR").is_some() || env_path("ARGOCD_MIRROR").is_some() {
        println!("cargo::rustc-cfg=has_argo_health_fixtures");
    }
}

fn env_path(var: &str) -> Option<PathBuf> {
    env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn on_path(tool: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|paths| env::split_paths(&paths).any(|dir| is_executable(&dir.join(tool))))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
