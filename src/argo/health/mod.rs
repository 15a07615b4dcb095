//! Argo CD's health evaluation on the Lua engine: a health script runs under Argo CD's profile
//! (`util/lua/lua.go`), its last return value becomes a `HealthStatus` as `ExecuteHealthLua`
//! converts it, and [`resource_health`] adds gitops-engine's `GetResourceHealth` steps.
//! `builtin` holds Argo CD's built-in (Go) checks for the workload kinds Karmada templates carry.

pub mod builtin;
mod resource;
mod status;

use std::time::Duration;

use anyhow::{Result, anyhow};
use serde_json::Value;

use crate::lua::{self, Call, Entry, Limits, Returned};

pub use resource::resource_health;
pub use status::{HealthCode, INVALID_STATUS, VALID_STATUSES, health_from_json};

/// What a health script returned, after Argo CD's conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HealthStatus {
    pub status: String,
    pub message: String,
}

/// How to run a script.
#[derive(Debug, Clone)]
pub struct VmOptions {
    /// Argo CD's `useOpenLibs`.
    pub open_libs: bool,
    pub timeout: Duration,
    pub memory_limit: usize,
}

impl Default for VmOptions {
    fn default() -> Self {
        let limits = Limits::default();
        VmOptions {
            open_libs: false,
            timeout: limits.timeout,
            memory_limit: limits.memory,
        }
    }
}

/// Runs a health script on `obj` and converts the result as Argo CD does. The error text is
/// what Argo CD would report for the script (e.g. `<string>:3: attempt to ...`).
pub fn evaluate_health(script: &str, obj: &Value, opts: &VmOptions) -> Result<HealthStatus> {
    let globals = [("obj", obj)];
    let returned = lua::run(
        lua::profile::argo(opts.open_libs),
        &call(script, &globals, opts),
    );
    from_returned(returned)
}

/// Like [`evaluate_health`] but on a brand-new Lua state with no compiled-chunk cache: what
/// Argo CD's own VM does per evaluation. For benchmarks and isolation checks.
#[doc(hidden)]
pub fn evaluate_health_fresh_state(
    script: &str,
    obj: &Value,
    opts: &VmOptions,
) -> Result<HealthStatus> {
    let globals = [("obj", obj)];
    let profile = lua::profile::argo(opts.open_libs);
    from_returned(lua::run_fresh_state(profile, &call(script, &globals, opts)))
}

fn call<'a>(script: &'a str, globals: &'a [(&'a str, &'a Value)], opts: &VmOptions) -> Call<'a> {
    Call {
        source: script,
        entry: Entry::Chunk,
        globals,
        limits: Limits {
            timeout: opts.timeout,
            memory: opts.memory_limit,
        },
    }
}

/// `ExecuteHealthLua`: the last returned value; nil is an empty status, a table goes through
/// gopher-json and `json.Unmarshal`, anything else is an error.
fn from_returned(returned: Result<Vec<Returned>, lua::Error>) -> Result<HealthStatus> {
    let mut values = returned.map_err(|e| anyhow!(e))?;
    match values.pop().unwrap_or(Returned::Nil) {
        Returned::Nil => Ok(HealthStatus::default()),
        Returned::Table(json) => Ok(health_from_json(&json.map_err(|e| anyhow!(e))?)),
        other => Err(anyhow!(
            "expect table output from Lua script, not {}",
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests;
