//! Finding the real gopher-lua with Karmada's sandbox (`karmada-lua-oracle`).

use std::path::PathBuf;

#[allow(unused_imports)] // not every test crate runs the VM
pub use argocd_karmada_plugin::karmada::interpreter::oracle::OracleVm;

/// `$KARMADA_LUA_ORACLE` (set by `.ci/run`), else `target/oracle/karmada-lua-oracle`. Its tests
/// carry `#[cfg_attr(not(has_karmada_oracle), ignore = "...")]`; under `CI=true` a missing oracle
/// fails here.
pub fn oracle(test: &str) -> PathBuf {
    let p = std::env::var_os("KARMADA_LUA_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo_root().join("target/oracle/karmada-lua-oracle"));
    assert!(
        p.is_file(),
        "{test}: the Karmada gopher-lua oracle is missing at {} (set KARMADA_LUA_ORACLE)",
        p.display()
    );
    p
}
