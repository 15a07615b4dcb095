//! Finding the real gopher-lua with Karmada's sandbox (`karmada-lua-oracle`).

use std::path::PathBuf;

#[allow(unused_imports)] // not every test crate runs the VM
pub use argocd_karmada_plugin::karmada::interpreter::oracle::OracleVm;

/// `$KARMADA_LUA_ORACLE` (set by `.ci/run`), else `target/oracle/karmada-lua-oracle`. Under
/// `CI=true` a missing oracle fails; elsewhere the check is skipped loudly.
pub fn oracle(test: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KARMADA_LUA_ORACLE") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{test}: KARMADA_LUA_ORACLE={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let built = super::repo_root().join("target/oracle/karmada-lua-oracle");
    if built.is_file() {
        return Some(built);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{test}: the Karmada gopher-lua oracle is required when CI=true (set KARMADA_LUA_ORACLE)"
        );
    }
    eprintln!();
    eprintln!("!!!!!!!! SKIPPED CHECK: {test} !!!!!!!!");
    eprintln!("!!!!!!!! karmada-lua-oracle not found; set KARMADA_LUA_ORACLE !!!!!!!!");
    eprintln!();
    None
}
