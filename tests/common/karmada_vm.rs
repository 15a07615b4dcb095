//! The real gopher-lua with Karmada's sandbox (`karmada-lua-oracle`) as an [`InterpreterVm`].

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use argocd_karmada_plugin::karmada::interpreter::vm::{Call, InterpreterVm};
use serde_json::{Value, json};

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

pub struct OracleVm {
    pub path: PathBuf,
    /// Extra flags, e.g. `--key-order random`.
    pub flags: Vec<String>,
}

impl OracleVm {
    pub fn new(path: &Path) -> OracleVm {
        OracleVm {
            path: path.to_path_buf(),
            flags: Vec::new(),
        }
    }
}

impl InterpreterVm for OracleVm {
    fn call(&self, call: &Call) -> Result<Value> {
        self.call_all(std::slice::from_ref(call))
            .pop()
            .expect("one result")
    }

    fn call_all(&self, calls: &[Call]) -> Vec<Result<Value>> {
        let requests: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"id": i, "script": c.script, "function": c.function, "args": c.args}))
            .collect();
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        super::oracle_batch(&self.path, &flags, &requests)
            .into_iter()
            .map(|r| match r.get("error") {
                Some(e) => Err(anyhow!("{}", e.as_str().unwrap_or_default())),
                None => Ok(r["result"].clone()),
            })
            .collect()
    }
}
