//! Karmada's third-party customization tests (`pkg/resourceinterpreter/default/thirdparty/
//! thirdparty_test.go`): each directory with a `customizations.yaml` has a `testdata/` of YAML
//! streams of cases `{name, desiredObj | observedObj, statusItems, inputReplicas, operation,
//! output}`; a case runs with the customization matching its object's apiVersion and kind, and
//! each result named in `output` must equal it (`{{EXCLUDE}}` leaves a field out).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Input, Operation, run};

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The test file that holds the case.
    pub file: PathBuf,
    pub name: String,
    pub operation: String,
    pub input: Input,
    pub output: serde_json::Map<String, Value>,
    /// The script of the customization for the case's object and operation, if any.
    pub script: Option<String>,
}

/// What a case gave.
#[derive(Debug)]
pub struct Outcome {
    pub case: Case,
    /// `Err` with the reason when the case failed.
    pub result: Result<(), String>,
}

/// Every case under `dirs`, in path order.
pub fn discover(dirs: &[PathBuf]) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            bail!("{}: not a directory", dir.display());
        }
        let mut found = Vec::new();
        find_customizations(dir, &mut found)?;
        found.sort();
        for file in found {
            read_dir_cases(&file, &mut cases)?;
        }
    }
    Ok(cases)
}

/// `customizations.yaml` files under `dir` (symlinks are not followed).
fn find_customizations(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            find_customizations(&entry.path(), out)?;
        } else if ft.is_file() && entry.file_name() == "customizations.yaml" {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn read_yaml(path: &Path) -> Result<Vec<Value>> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    crate::yaml::parse_stream(&text, &origin)
}

fn read_dir_cases(customizations: &Path, cases: &mut Vec<Case>) -> Result<()> {
    let rics = read_yaml(customizations)?;
    let testdata = customizations.with_file_name("testdata");
    if !testdata.is_dir() {
        return Ok(());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&testdata)
        .with_context(|| testdata.display().to_string())?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        for (i, doc) in read_yaml(&file)?.into_iter().enumerate() {
            let at = || format!("{}: document {}", file.display(), i + 1);
            let text = |k: &str| {
                field(&doc, k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let operation = text("operation");
            let status_items = match field(&doc, "statusItems") {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(items.clone()),
                Some(_) => bail!("{}: statusItems: must be a list", at()),
            };
            let object = |k: &str| field(&doc, k).filter(|v| !v.is_null()).cloned();
            let input = Input {
                desired: object("desiredObj"),
                observed: object("observedObj"),
                status_items,
                replicas: field(&doc, "inputReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            };
            let output = match field(&doc, "output") {
                None | Some(Value::Null) => serde_json::Map::new(),
                Some(Value::Object(o)) => o.clone(),
                Some(_) => bail!("{}: output: must be a map", at()),
            };
            let script = Operation::parse(&operation).and_then(|op| {
                let obj = input.desired.as_ref().or(input.observed.as_ref())?;
                script_for(&rics, obj, op)
            });
            cases.push(Case {
                file: file.clone(),
                name: text("name"),
                operation,
                input,
                output,
                script,
            });
        }
    }
    Ok(())
}

/// The script of the customization whose `spec.target` is the object's apiVersion and kind.
pub fn script_for(rics: &[Value], obj: &Value, op: Operation) -> Option<String> {
    let target = |r: &Value, k: &str| r.pointer(&format!("/spec/target/{k}")).cloned();
    rics.iter()
        .rev()
        .find(|r| {
            target(r, "apiVersion") == obj.get("apiVersion").cloned()
                && target(r, "kind") == obj.get("kind").cloned()
        })
        .and_then(|r| r.pointer(&format!("/spec/customizations/{}/luaScript", op.rule())))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A field by case-insensitive name (the test struct is decoded through encoding/json).
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .next_back()
}

/// Runs one case.
pub fn run_case(case: &Case) -> Outcome {
    let result = check(case);
    Outcome {
        case: case.clone(),
        result,
    }
}

fn check(case: &Case) -> Result<(), String> {
    let op = Operation::parse(&case.operation)
        .ok_or_else(|| format!("operation {:?} is not supported", case.operation))?;
    let Some(script) = &case.script else {
        return Err("rule is not enabled".into());
    };
    let results = run(op, script, &case.input).map_err(|e| format!("{e:#}"))?;
    for key in case.output.keys() {
        if !results.iter().any(|(name, _)| name == key) {
            return Err(format!(
                "output key '{key}' is not a result of {}",
                op.name()
            ));
        }
    }
    for (name, actual) in &results {
        let Some(expected) = case.output.get(*name) else {
            continue;
        };
        if !equal(name, expected, actual) {
            return Err(format!(
                "{name}: expected {}\n    got      {}",
                serde_json::to_string(expected).unwrap_or_default(),
                serde_json::to_string(actual).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// The harness's `deepEqual` for each result type.
fn equal(name: &str, expected: &Value, actual: &Value) -> bool {
    match name {
        "retained" | "revised" | "aggregatedStatus" => {
            let mut excluded = Vec::new();
            excluded_paths(expected, &mut Vec::new(), &mut excluded);
            let strip = |v| norm(&strip(v, &mut Vec::new(), &excluded));
            strip(expected) == strip(actual)
        }
        "dependencies" => {
            let typed = |v: &Value| super::convert::typed(v.clone(), "dependencies").ok();
            match (typed(expected), typed(actual)) {
                (Some(e), Some(a)) => norm(&sorted_deps(e)) == norm(&sorted_deps(a)),
                _ => false,
            }
        }
        "requires" => {
            let typed = |v: &Value| super::convert::typed(v.clone(), "requires").ok();
            match (typed(expected), typed(actual)) {
                (Some(e), Some(a)) => same_requirements(&e, &a),
                _ => false,
            }
        }
        "components" => {
            let typed = |v: &Value| super::convert::typed(v.clone(), "components").ok();
            match (typed(expected), typed(actual)) {
                (Some(Value::Array(mut e)), Some(Value::Array(mut a))) => {
                    let by_name = |x: &Value, y: &Value| {
                        let n =
                            |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
                        n(x).cmp(&n(y))
                    };
                    e.sort_by(by_name);
                    a.sort_by(by_name);
                    e.len() == a.len()
                        && e.iter().zip(&a).all(|(x, y)| {
                            let (mut x, mut y) = (x.clone(), y.clone());
                            let (rx, ry) = (
                                x.as_object_mut()
                                    .and_then(|m| m.remove("replicaRequirements")),
                                y.as_object_mut()
                                    .and_then(|m| m.remove("replicaRequirements")),
                            );
                            norm(&x) == norm(&y)
                                && match (rx, ry) {
                                    (None, None) => true,
                                    (Some(rx), Some(ry)) => same_requirements(&rx, &ry),
                                    _ => false,
                                }
                        })
                }
                (e, a) => e.map(|v| norm(&v)) == a.map(|v| norm(&v)),
            }
        }
        _ => norm(expected) == norm(actual),
    }
}

/// Replica requirements equal with quantities compared by value (`Quantity.Equal`).
fn same_requirements(e: &Value, a: &Value) -> bool {
    let split = |v: &Value| {
        let mut v = v.clone();
        let resources = v
            .as_object_mut()
            .and_then(|m| m.remove("resourceRequest"))
            .unwrap_or(Value::Null);
        (v, resources)
    };
    let (e, er) = split(e);
    let (a, ar) = split(a);
    norm(&e) == norm(&a) && crate::quantity::same_resource_lists(&er, &ar)
}

fn sorted_deps(v: Value) -> Value {
    let Value::Array(mut items) = v else {
        return v;
    };
    let key = |d: &Value| {
        ["apiVersion", "kind", "namespace", "name"]
            .map(|k| d.get(k).and_then(Value::as_str).unwrap_or("").to_string())
    };
    items.sort_by_key(key);
    items.dedup();
    Value::Array(items)
}

const EXCLUDE: &str = "{{EXCLUDE}}";

/// The paths of `expected`'s `{{EXCLUDE}}` fields.
fn excluded_paths(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, x)| (k.clone(), x)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (i.to_string(), x))
            .collect(),
        _ => return,
    };
    for (k, x) in children {
        path.push(k);
        if x.as_str() == Some(EXCLUDE) {
            out.push(path.clone());
        } else {
            excluded_paths(x, path, out);
        }
        path.pop();
    }
}

/// `v` without the fields at `excluded` paths.
fn strip(v: &Value, path: &mut Vec<String>, excluded: &[Vec<String>]) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, x) in map {
                path.push(k.clone());
                if !excluded.contains(path) {
                    out.insert(k.clone(), strip(x, path, excluded));
                }
                path.pop();
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    path.push(i.to_string());
                    let r = strip(x, path, excluded);
                    path.pop();
                    r
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Numbers as Go's `Unstructured` holds them: integral values are integers.
fn norm(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.2e18 => Value::from(f as i64),
            _ => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(norm).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, x)| (k.clone(), norm(x))).collect())
        }
        other => other.clone(),
    }
}
