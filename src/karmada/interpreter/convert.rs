//! `ConvertLuaResultInto` (`luavm/lua_convert.go`): gopher-json cannot tell an empty object from
//! an empty list (both are an empty Lua table, encoded `[]`), so Karmada repairs the encoded
//! result: a whole `[]` is `{}` for struct targets, and an empty list inside the result becomes
//! `{}` where a reference object has an empty object at that path, stays where a reference has
//! an empty list, and is deleted otherwise. Paths ignore list indices, as Karmada's do.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use serde_json::{Map, Value};

/// The encoded result (or gopher-json's error) after Karmada's repair.
pub fn into(json: Result<Value, String>, is_struct: bool, references: &[&Value]) -> Result<Value> {
    let json = json.map_err(|e| anyhow::anyhow!("encode lua result to json failed: {e}"))?;
    if json.as_array().is_some_and(Vec::is_empty) {
        return Ok(if is_struct {
            Value::Object(Map::new())
        } else {
            json
        });
    }
    let mut empty_lists = BTreeSet::new();
    let mut empty_objects = BTreeSet::new();
    for r in references {
        find_empty(r, &mut Vec::new(), &mut empty_lists, &mut empty_objects);
    }
    Ok(repair(json, &mut Vec::new(), &empty_lists, &empty_objects))
}

/// Records the (index-free) paths of empty lists and empty objects in a reference.
fn find_empty(
    v: &Value,
    path: &mut Vec<String>,
    lists: &mut BTreeSet<String>,
    objects: &mut BTreeSet<String>,
) {
    let mut visit = |key: Option<&str>, child: &Value| {
        if let Some(k) = key {
            path.push(k.to_string());
        }
        match child {
            Value::Array(a) if a.is_empty() => {
                lists.insert(path.join("."));
            }
            Value::Object(o) if o.is_empty() => {
                objects.insert(path.join("."));
            }
            Value::Array(_) | Value::Object(_) => find_empty(child, path, lists, objects),
            _ => {}
        }
        if key.is_some() {
            path.pop();
        }
    };
    match v {
        Value::Object(map) => map.iter().for_each(|(k, c)| visit(Some(k), c)),
        Value::Array(items) => items.iter().for_each(|c| visit(None, c)),
        _ => {}
    }
}

/// Rebuilds `v` with each empty list turned into `{}`, kept, or dropped.
fn repair(
    v: Value,
    path: &mut Vec<String>,
    lists: &BTreeSet<String>,
    objects: &BTreeSet<String>,
) -> Value {
    // What happens to an empty list found at `path`: Some(replacement) or None (drop).
    let decide = |path: &[String]| -> Option<Value> {
        let p = path.join(".");
        if objects.contains(&p) {
            Some(Value::Object(Map::new()))
        } else if lists.contains(&p) {
            Some(Value::Array(Vec::new()))
        } else {
            None
        }
    };
    match v {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, child) in map {
                path.push(k.clone());
                let child = match child {
                    Value::Array(a) if a.is_empty() => decide(path),
                    other => Some(repair(other, path, lists, objects)),
                };
                path.pop();
                if let Some(c) = child {
                    out.insert(k, c);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .filter_map(|child| match child {
                    Value::Array(a) if a.is_empty() => decide(path),
                    other => Some(repair(other, path, lists, objects)),
                })
                .collect(),
        ),
        other => other,
    }
}

/// `json.Unmarshal` into Karmada's typed results: the fields each type has, empty ones omitted
/// (`omitempty`), a wrong shape an error.
pub fn typed(v: Value, what: &str) -> Result<Value> {
    match what {
        "requires" => Ok(replica_requirements(&v)?),
        "components" => list(&v, what, |c| {
            let mut out = fields(c, &["name", "replicas"])?;
            if let Some(r) = c.get("replicaRequirements").filter(|r| !r.is_null()) {
                out.insert("replicaRequirements".into(), replica_requirements(r)?);
            }
            Ok(Value::Object(out))
        }),
        _ => list(&v, what, |d| {
            Ok(Value::Object(fields(
                d,
                &["apiVersion", "kind", "namespace", "name", "labelSelector"],
            )?))
        }),
    }
}

fn list(v: &Value, what: &str, item: impl Fn(&Value) -> Result<Value>) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => Ok(Value::Array(items.iter().map(item).collect::<Result<_>>()?)),
        other => bail!(
            "json unmarshal obj failed: cannot unmarshal {} into {what} (a list)",
            crate::kube::go_json_kind(other)
        ),
    }
}

/// `workv1alpha2.ReplicaRequirements`.
fn replica_requirements(v: &Value) -> Result<Value> {
    let mut out = fields(
        v,
        &[
            "nodeClaim",
            "resourceRequest",
            "namespace",
            "priorityClassName",
        ],
    )?;
    if let Some(Value::Object(claim)) = out.get("nodeClaim") {
        let claim = fields(
            &Value::Object(claim.clone()),
            &["hardNodeAffinity", "nodeSelector", "tolerations"],
        )?;
        out.insert("nodeClaim".into(), Value::Object(claim));
    }
    Ok(Value::Object(out))
}

/// The named fields of an object, without empty ones; keys match case-insensitively as Go's
/// decoder matches them.
fn fields(v: &Value, names: &[&str]) -> Result<Map<String, Value>> {
    let Value::Object(map) = v else {
        bail!(
            "json unmarshal obj failed: cannot unmarshal {} into an object",
            crate::kube::go_json_kind(v)
        );
    };
    let mut out = Map::new();
    for name in names {
        let found = map
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .next_back();
        let empty = |v: &Value| match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::Bool(b) => !b,
        };
        if let Some(f) = found.filter(|f| !empty(f)) {
            out.insert(name.to_string(), f.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_lists_follow_the_references() {
        let desired = json!({"spec": {"aa": {}, "bb": [], "dd": {"ee": {}}, "rules": [{"r": []}]}});
        let got = json!({"spec": {"aa": [], "bb": [], "cc": ["x"], "dd": {"ee": [], "ff": []},
            "rules": [{"r": []}, {"r": [], "s": []}]}});
        assert_eq!(
            into(Ok(got), true, &[&desired]).unwrap(),
            json!({"spec": {"aa": {}, "bb": [], "cc": ["x"], "dd": {"ee": {}},
                "rules": [{"r": []}, {"r": []}]}})
        );
        assert_eq!(into(Ok(json!([])), true, &[]).unwrap(), json!({}));
        assert_eq!(into(Ok(json!([])), false, &[]).unwrap(), json!([]));
        // without references every empty table inside goes
        assert_eq!(
            into(Ok(json!({"a": [], "b": [[], 1]})), true, &[]).unwrap(),
            json!({"b": [1]})
        );
    }
}
