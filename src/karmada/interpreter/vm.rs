//! The Lua VM that runs a customization's operation, as one call.
//!
//! Karmada runs customizations in gopher-lua with its own sandbox and conversions
//! (`pkg/resourceinterpreter/customized/declarative/luavm/lua.go`). Anything that can do the same
//! implements [`InterpreterVm`]: the tests use the real gopher-lua (the `karmada-lua-oracle`
//! program); our own Karmada-mode VM plugs in here too.

use anyhow::Result;
use serde_json::Value;

/// One call: a global function of a script, with its arguments as Karmada marshals them (e.g.
/// `AggregateStatus [desiredObj, statusItems]`, items as `AggregatedStatusItem` JSON).
#[derive(Debug, Clone)]
pub struct Call {
    pub function: String,
    pub script: String,
    pub args: Vec<Value>,
}

impl Call {
    pub fn new(function: &str, script: &str, args: Vec<Value>) -> Call {
        Call {
            function: function.to_string(),
            script: script.to_string(),
            args,
        }
    }
}

/// A Karmada-faithful Lua VM: runs the call with Karmada's sandbox, 1 s limit and result
/// conversion (`ConvertLuaResultInto`), and returns the converted result or the Lua error.
pub trait InterpreterVm {
    fn call(&self, call: &Call) -> Result<Value>;

    /// Many independent calls, results in order. Implementations may batch them.
    fn call_all(&self, calls: &[Call]) -> Vec<Result<Value>> {
        calls.iter().map(|c| self.call(c)).collect()
    }
}

/// Our own Karmada-mode VM: [`super::run`] on the Lua engine's Karmada profile, in process.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeVm;

impl InterpreterVm for NativeVm {
    fn call(&self, call: &Call) -> Result<Value> {
        let op = super::Operation::ALL
            .into_iter()
            .find(|op| op.function() == call.function)
            .ok_or_else(|| anyhow::anyhow!("no interpreter operation calls {}", call.function))?;
        let arg = |i: usize| call.args.get(i);
        let input = super::RuleArgs {
            desired: arg(0),
            // Retain is the only operation given the observed object beside the desired one.
            observed: arg(1).filter(|_| op == super::Operation::Retain),
            status_items: arg(1)
                .filter(|_| op == super::Operation::AggregateStatus)
                .and_then(|v| v.as_array().map(Vec::as_slice)),
            replicas: arg(1)
                .filter(|_| op == super::Operation::ReviseReplica)
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
        };
        let mut results = super::run_args(op, &call.script, input)?;
        Ok(match results.len() {
            1 => results.pop().expect("one result").1,
            // GetReplicas: replica and requires, by name.
            _ => Value::Object(
                results
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        })
    }
}
