//! Karmada's declarative resource interpreter (`pkg/resourceinterpreter/customized/declarative`):
//! one operation of a `ResourceInterpreterCustomization` run in the Lua engine's Karmada profile,
//! with the arguments and result conversions of `luavm/lua.go`, and Karmada's own test format
//! for third-party customizations ([`suite`]).
//!
//! Our customizations that make a template's status truthful:
//! - `r#gen`: `interpreter-lua/` rendered into `karmada-interpreter-customizations.yaml`
//! - `vm`: one operation run by a Karmada-faithful Lua VM (behind a trait: the gopher-lua oracle
//!   and our own VM are interchangeable); `oracle`: the real gopher-lua as a VM
//! - `native`: Karmada's native status aggregation for the same kinds, for comparison
//! - `kube_status`: the status rules kube-apiserver applies to the template's kind
//! - `scenario`: member objects -> reflection -> aggregation -> Argo CD's health of the template

mod convert;
pub mod r#gen;
pub mod kube_status;
pub mod native;
pub mod oracle;
pub mod scenario;
pub mod suite;
pub mod vm;

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use crate::lua::{self, Arg, Call, Entry, Limits, Returned};

/// An interpreter operation (`configv1alpha1.InterpreterOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    InterpretReplica,
    InterpretComponent,
    ReviseReplica,
    Retain,
    AggregateStatus,
    InterpretStatus,
    InterpretHealth,
    InterpretDependency,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::InterpretReplica,
        Operation::InterpretComponent,
        Operation::ReviseReplica,
        Operation::Retain,
        Operation::AggregateStatus,
        Operation::InterpretStatus,
        Operation::InterpretHealth,
        Operation::InterpretDependency,
    ];

    /// The operation's name, matched case-insensitively as `Rules.GetByOperation` does.
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::InterpretReplica => "InterpretReplica",
            Operation::InterpretComponent => "InterpretComponent",
            Operation::ReviseReplica => "ReviseReplica",
            Operation::Retain => "Retain",
            Operation::AggregateStatus => "AggregateStatus",
            Operation::InterpretStatus => "InterpretStatus",
            Operation::InterpretHealth => "InterpretHealth",
            Operation::InterpretDependency => "InterpretDependency",
        }
    }

    /// The customization field holding the script (`spec.customizations.<rule>.luaScript`).
    pub fn rule(self) -> &'static str {
        match self {
            Operation::InterpretReplica => "replicaResource",
            Operation::InterpretComponent => "componentResource",
            Operation::ReviseReplica => "replicaRevision",
            Operation::Retain => "retention",
            Operation::AggregateStatus => "statusAggregation",
            Operation::InterpretStatus => "statusReflection",
            Operation::InterpretHealth => "healthInterpretation",
            Operation::InterpretDependency => "dependencyInterpretation",
        }
    }

    /// The global Lua function the script defines.
    fn function(self) -> &'static str {
        match self {
            Operation::InterpretReplica => "GetReplicas",
            Operation::InterpretComponent => "GetComponents",
            Operation::ReviseReplica => "ReviseReplica",
            Operation::Retain => "Retain",
            Operation::AggregateStatus => "AggregateStatus",
            Operation::InterpretStatus => "ReflectStatus",
            Operation::InterpretHealth => "InterpretHealth",
            Operation::InterpretDependency => "GetDependencies",
        }
    }
}

/// The objects an operation works on, owned (see [`RuleArgs`]).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub desired: Option<Value>,
    pub observed: Option<Value>,
    /// `[]AggregatedStatusItem`; `None` is a nil list (Lua sees nil).
    pub status_items: Option<Vec<Value>>,
    /// The replicas given to `ReviseReplica`.
    pub replicas: i64,
}

impl Input {
    pub fn args(&self) -> RuleArgs<'_> {
        RuleArgs {
            desired: self.desired.as_ref(),
            observed: self.observed.as_ref(),
            status_items: self.status_items.as_deref(),
            replicas: self.replicas,
        }
    }
}

/// The objects an operation works on (`interpreter.RuleArgs`), borrowed: a call copies nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleArgs<'a> {
    pub desired: Option<&'a Value>,
    pub observed: Option<&'a Value>,
    /// `[]AggregatedStatusItem`; `None` is a nil list (Lua sees nil).
    pub status_items: Option<&'a [Value]>,
    /// The replicas given to `ReviseReplica`.
    pub replicas: i64,
}

impl<'a> RuleArgs<'a> {
    /// `RuleArgs.getObjectOrError`: exactly one of the desired and observed objects.
    fn object(&self) -> Result<&'a Value> {
        match (self.desired, self.observed) {
            (None, None) => bail!("desired-file, observed-file options are not set"),
            (Some(_), Some(_)) => {
                bail!("you can not specify both desired-file and observed-file options")
            }
            (Some(o), None) | (None, Some(o)) => Ok(o),
        }
    }
}

/// A named result of an operation (`RuleResult`): e.g. `replica` and `requires`.
pub type Results = Vec<(&'static str, Value)>;

/// Runs `op` of `script` on `input` as Karmada's `ConfigurableInterpreter` does.
pub fn run(op: Operation, script: &str, input: &Input) -> Result<Results> {
    run_args(op, script, input.args())
}

/// [`run`] on borrowed arguments.
pub fn run_args(op: Operation, script: &str, input: RuleArgs<'_>) -> Result<Results> {
    match op {
        Operation::Retain => {
            let desired = input
                .desired
                .ok_or_else(|| anyhow!("desired, desired-file options are not set"))?;
            let observed = input
                .observed
                .ok_or_else(|| anyhow!("observed, observed-file options are not set"))?;
            let r = first(call(op, script, &[desired.into(), observed.into()])?);
            let retained = object(op, r, &[desired, observed])?;
            Ok(vec![("retained", retained)])
        }
        Operation::InterpretReplica => {
            let obj = input.object()?;
            let mut r = call(op, script, &[obj.into()])?.into_iter();
            let replica = match r.next().unwrap_or(Returned::Nil) {
                // ConvertLuaResultToInt: int32(LNumber) truncates
                Returned::Number(n) => json!(n as i64 as i32),
                other => bail!("result type {} is not number", type_code(&other)),
            };
            let requires = match r.next().unwrap_or(Returned::Nil) {
                Returned::Table(t) => convert::typed(convert::into(t, true, &[])?, "requires")?,
                Returned::Nil => Value::Null,
                other => bail!(
                    "expect the returned requires type is table but got {}",
                    other.type_name()
                ),
            };
            Ok(vec![("replica", replica), ("requires", requires)])
        }
        Operation::InterpretComponent => {
            let obj = input.object()?;
            let components = match first(call(op, script, &[obj.into()])?) {
                Returned::Table(t) => {
                    convert::typed(convert::into(t, false, &[])?, "components")
                        .map_err(|e| anyhow!("failed to convert lua table for components: {e:#}"))?
                }
                Returned::Nil => Value::Null,
                other => bail!(
                    "expected result type 'table' or 'nil' from GetComponents, but got '{}'",
                    other.type_name()
                ),
            };
            Ok(vec![("components", components)])
        }
        Operation::ReviseReplica => {
            let obj = input.object()?;
            let replicas = json!(input.replicas);
            let r = first(call(op, script, &[obj.into(), (&replicas).into()])?);
            Ok(vec![("revised", object(op, r, &[obj])?)])
        }
        Operation::AggregateStatus => {
            let obj = input.object()?;
            let items = match input.status_items {
                Some(items) => Arg::List(items.iter().map(status_item_arg).collect()),
                None => Arg::Json(&Value::Null),
            };
            let r = first(call(op, script, &[obj.into(), items])?);
            Ok(vec![("aggregatedStatus", object(op, r, &[])?)])
        }
        Operation::InterpretStatus => {
            let obj = input.object()?;
            let status = match first(call(op, script, &[obj.into()])?) {
                Returned::Table(t) => convert::into(t, true, &[])?,
                other => bail!(
                    "expect the returned replica type is table but got {}",
                    other.type_name()
                ),
            };
            Ok(vec![("status", status)])
        }
        Operation::InterpretHealth => {
            let obj = input.object()?;
            match first(call(op, script, &[obj.into()])?) {
                Returned::Boolean(b) => Ok(vec![("healthy", Value::Bool(b))]),
                other => bail!("result type {} is not bool", type_code(&other)),
            }
        }
        Operation::InterpretDependency => {
            let obj = input.object()?;
            let deps = match first(call(op, script, &[obj.into()])?) {
                Returned::Table(t) => {
                    convert::typed(convert::into(t, false, &[])?, "dependencies")?
                }
                other => bail!(
                    "expect the returned requires type is table but got {}",
                    other.type_name()
                ),
            };
            Ok(vec![("dependencies", deps)])
        }
    }
}

/// `VM.RunScript`: run the script, call its function with `args` in a protected call.
fn call(op: Operation, script: &str, args: &[Arg<'_>]) -> Result<Vec<Returned>> {
    let name = op.function();
    lua::run(
        &lua::profile::KARMADA,
        &Call {
            source: script,
            entry: Entry::Function(name, args),
            globals: &[],
            limits: Limits::default(),
        },
    )
    .map_err(|e| match e {
        lua::Error::NotAFunction("nil") => anyhow!("not found function {name}"),
        lua::Error::NotAFunction(t) => anyhow!("{name} is not a function: {t}"),
        other => anyhow!(other),
    })
}

fn first(values: Vec<Returned>) -> Returned {
    values.into_iter().next().unwrap_or(Returned::Nil)
}

/// A table result converted into an `Unstructured` (which needs a `kind`).
fn object(op: Operation, r: Returned, references: &[&Value]) -> Result<Value> {
    let Returned::Table(t) = r else {
        bail!(
            "expect the returned requires type is table but got {}",
            r.type_name()
        );
    };
    let v = convert::into(t, true, references)?;
    let has_kind = v
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| !k.is_empty());
    if !has_kind {
        bail!(
            "json unmarshal obj failed: Object 'Kind' is missing in '{}' ({})",
            serde_json::to_string(&v)?,
            op.name()
        );
    }
    Ok(v)
}

/// gopher-lua's `LValueType` number, as Karmada's `%#v` prints it.
fn type_code(r: &Returned) -> u8 {
    match r {
        Returned::Nil => 0,
        Returned::Boolean(_) => 1,
        Returned::Number(_) => 2,
        Returned::String(_) => 3,
        Returned::Other("function") => 4,
        Returned::Other("thread") => 6,
        Returned::Other(_) => 5,
        Returned::Table(_) => 7,
    }
}

/// An item as `workv1alpha2.AggregatedStatusItem` serialises it: `clusterName`, then `status`,
/// `applied`, `appliedMessage` and `health` only when set (`omitempty`); other keys are lost.
pub fn status_item(item: &Value) -> Value {
    status_item_arg(item).to_json()
}

/// [`status_item`] as a Lua argument that borrows from `item`.
fn status_item_arg(item: &Value) -> Arg<'_> {
    // One pass over the item's fields: cheaper than a hashed lookup per field.
    let (mut cluster, mut status, mut applied) = ("", None, false);
    let (mut message, mut health) = (None, None);
    for (k, v) in item.as_object().into_iter().flatten() {
        match (k.as_str(), v) {
            ("clusterName", Value::String(s)) => cluster = s.as_str(),
            ("status", Value::Null) => {}
            ("status", s) => status = Some(Arg::Json(s)),
            ("applied", Value::Bool(b)) => applied = *b,
            ("appliedMessage", Value::String(s)) if !s.is_empty() => message = Some(s),
            ("health", Value::String(s)) if !s.is_empty() => health = Some(s),
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(5);
    out.push(("clusterName", Arg::String(cluster)));
    out.extend(status.map(|s| ("status", s)));
    if applied {
        out.push(("applied", Arg::Bool(true)));
    }
    out.extend(message.map(|s| ("appliedMessage", Arg::String(s))));
    out.extend(health.map(|s| ("health", Arg::String(s))));
    Arg::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_items_keep_only_what_aggregated_status_item_serialises() {
        let item = json!({"extra": 1, "health": "Healthy", "applied": true, "appliedMessage": "",
            "status": {"replicas": 2}, "clusterName": "m1"});
        assert_eq!(
            status_item(&item).to_string(),
            r#"{"clusterName":"m1","status":{"replicas":2},"applied":true,"health":"Healthy"}"#
        );
        let unset = json!({"clusterName": 7, "status": null, "applied": false, "health": "",
            "appliedMessage": "boom"});
        assert_eq!(
            status_item(&unset).to_string(),
            r#"{"clusterName":"","appliedMessage":"boom"}"#
        );
        assert_eq!(status_item(&json!("x")), json!({"clusterName": ""}));
    }
}
