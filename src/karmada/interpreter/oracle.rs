//! [`InterpreterVm`] backed by `karmada-lua-oracle`: the real gopher-lua with Karmada's sandbox
//! and conversions, run as a separate program (`batch` mode: one JSON request per line in, one
//! result per line out). Used by the tests and the benchmark as the reference VM.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use super::vm::{Call, InterpreterVm};
use crate::exec::Command;

pub struct OracleVm {
    pub path: PathBuf,
    /// Extra flags, e.g. `--key-order random`.
    pub flags: Vec<String>,
}

/// A result and the time gopher-lua took for it (compile + call + conversion), in milliseconds.
pub type Timed = (Result<Value>, f64);

impl OracleVm {
    pub fn new(path: &Path) -> OracleVm {
        OracleVm {
            path: path.to_path_buf(),
            flags: Vec::new(),
        }
    }

    /// Runs the calls in one oracle process.
    pub fn timed_call_all(&self, calls: &[Call]) -> Result<Vec<Timed>> {
        let mut input = String::new();
        for (i, c) in calls.iter().enumerate() {
            let req = json!({"id": i, "script": c.script, "function": c.function, "args": c.args});
            input.push_str(&req.to_string());
            input.push('\n');
        }
        let file = tempfile::NamedTempFile::new().context("temporary file")?;
        std::fs::write(file.path(), input).context("writing the requests")?;
        let mut cmd = Command::new(&self.path)
            .args(&self.flags)
            .arg("batch")
            .env("TZ", "UTC")
            // Karmada allows each call 1 s; never wait longer than that per call.
            .timeout(Duration::from_secs(10) + Duration::from_secs(1) * calls.len() as u32);
        cmd.stdin = Some(file.path().to_path_buf());
        let out = cmd
            .run()
            .with_context(|| format!("running {}", self.path.display()))?;
        if !out.success() {
            bail!("{} failed: {}", self.path.display(), out.stderr_text());
        }
        let text = String::from_utf8(out.stdout).context("oracle output is not UTF-8")?;
        let results: Vec<Timed> = text
            .lines()
            .map(|line| {
                let r: Value = serde_json::from_str(line).context("oracle output line")?;
                let ms = r["ms"].as_f64().unwrap_or(0.0);
                let value = match r.get("error") {
                    Some(e) => Err(anyhow!("{}", e.as_str().unwrap_or_default())),
                    None => Ok(r["result"].clone()),
                };
                Ok((value, ms))
            })
            .collect::<Result<_>>()?;
        if results.len() != calls.len() {
            bail!("oracle answered {} of {} calls", results.len(), calls.len());
        }
        Ok(results)
    }
}

impl InterpreterVm for OracleVm {
    fn call(&self, call: &Call) -> Result<Value> {
        self.call_all(std::slice::from_ref(call))
            .pop()
            .expect("one result per call")
    }

    fn call_all(&self, calls: &[Call]) -> Vec<Result<Value>> {
        match self.timed_call_all(calls) {
            Ok(results) => results.into_iter().map(|(v, _)| v).collect(),
            Err(e) => calls.iter().map(|_| Err(anyhow!("{e:#}"))).collect(),
        }
    }
}
