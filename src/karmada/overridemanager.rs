//! Karmada's override application: what an OverridePolicy rule does to an object on its way to a
//! member cluster (`pkg/util/overridemanager/overridemanager.go`, `imageoverride.go`,
//! `commandargsoverride.go`, `labelannotationoverrider.go`).
//!
//! One rule's overriders run in Karmada's order (image, command, args, labels, annotations,
//! fieldOverrider, plaintext), each against the object as the earlier ones left it. A failure
//! means Karmada does not update the object on that cluster.

use std::fmt;

use serde_json::{Map, Value, json};

use super::api::{
    CommandArgsOverrider, FieldOverrider, ImageComponent, ImageOverrider, LabelAnnotationOverrider,
    OverriderOperator, Overriders, PlaintextOverrider, SubPathOperation,
};
use super::imageparser;

/// Why a rule cannot be applied, and which overrider failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    /// The failing overrider, as the field path in the rule: `plaintext[2]`, `imageOverrider[0]`.
    pub overrider: String,
    /// The operation, when a JSON patch failed: `replace /spec/replicas`.
    pub operation: Option<String>,
    pub message: String,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "{}: {op}: {}", self.overrider, self.message),
            None => write!(f, "{}: {}", self.overrider, self.message),
        }
    }
}

impl std::error::Error for OverrideError {}

fn fail(overrider: String, message: impl Into<String>) -> OverrideError {
    OverrideError {
        overrider,
        operation: None,
        message: message.into(),
    }
}

/// One JSON-patch operation as Karmada builds it (`overrideOption`).
struct Op {
    op: OverriderOperator,
    path: String,
    value: Value,
}

/// `applyPolicyOverriders`: every overrider of one rule, in Karmada's order.
pub fn apply(obj: &mut Value, o: &Overriders) -> Result<(), OverrideError> {
    for (i, io) in o.image_overrider.iter().enumerate() {
        let ops = image_patches(obj, io).map_err(|m| fail(format!("imageOverrider[{i}]"), m))?;
        apply_ops(obj, &ops, &format!("imageOverrider[{i}]"))?;
    }
    for (field, target, list) in [
        ("commandOverrider", "command", &o.command_overrider),
        ("argsOverrider", "args", &o.args_overrider),
    ] {
        for (i, ca) in list.iter().enumerate() {
            let name = format!("{field}[{i}]");
            let ops = command_args_patches(obj, target, ca).map_err(|m| fail(name.clone(), m))?;
            apply_ops(obj, &ops, &name)?;
        }
    }
    for (field, key, list) in [
        ("labelsOverrider", "labels", &o.labels_overrider),
        (
            "annotationsOverrider",
            "annotations",
            &o.annotations_overrider,
        ),
    ] {
        for (i, la) in list.iter().enumerate() {
            let ops = label_annotation_patches(obj, key, la);
            if !ops.is_empty() {
                apply_ops(obj, &ops, &format!("{field}[{i}]"))?;
            }
        }
    }
    for (i, fo) in o.field_overrider.iter().enumerate() {
        field_override(obj, fo).map_err(|m| fail(format!("fieldOverrider[{i}]"), m))?;
    }
    apply_plaintext(obj, &o.plaintext)
}

/// `applyJSONPatch` of the plaintext overriders: one patch, all or nothing.
fn apply_plaintext(obj: &mut Value, ops: &[PlaintextOverrider]) -> Result<(), OverrideError> {
    let ops: Vec<Op> = ops
        .iter()
        .map(|p| Op {
            op: p.operator,
            path: p.path.clone(),
            value: p.value.clone().unwrap_or(Value::Null),
        })
        .collect();
    apply_ops_named(obj, &ops, |i| format!("plaintext[{i}]"))
}

fn apply_ops(obj: &mut Value, ops: &[Op], overrider: &str) -> Result<(), OverrideError> {
    apply_ops_named(obj, ops, |_| overrider.to_string())
}

/// Applies `ops` as one JSON patch; the object is unchanged when one fails.
fn apply_ops_named(
    obj: &mut Value,
    ops: &[Op],
    name: impl Fn(usize) -> String,
) -> Result<(), OverrideError> {
    if ops.is_empty() {
        return Ok(());
    }
    let patch = to_patch(ops).map_err(|(i, m)| fail(name(i), m))?;
    json_patch::patch(obj, &patch).map_err(|e| OverrideError {
        overrider: name(e.operation),
        operation: ops
            .get(e.operation)
            .map(|o| format!("{} {}", o.op.as_str(), o.path)),
        message: patch_error_text(&e),
    })
}

fn to_patch(ops: &[Op]) -> Result<json_patch::Patch, (usize, String)> {
    let mut out = Vec::with_capacity(ops.len());
    for (i, o) in ops.iter().enumerate() {
        let mut m = Map::new();
        m.insert("op".into(), json!(o.op.as_str()));
        m.insert("path".into(), json!(o.path));
        if o.op != OverriderOperator::Remove {
            m.insert("value".into(), o.value.clone());
        }
        let op: json_patch::PatchOperation = serde_json::from_value(Value::Object(m))
            .map_err(|e| (i, format!("{} is not a JSON pointer: {e}", json!(o.path))))?;
        out.push(op);
    }
    Ok(json_patch::Patch(out))
}

/// A JSON-patch failure in words.
pub fn patch_error_text(e: &json_patch::PatchError) -> String {
    match &e.kind {
        json_patch::PatchErrorKind::InvalidPointer => "the path does not exist".to_string(),
        other => other.to_string(),
    }
}

/// Where Karmada's image overrider looks for containers without a predicate
/// (`buildPatchesWithEmptyPredicate`): only these kinds, only `containers`.
fn pod_spec_prefix(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "ReplicaSet" | "Deployment" | "DaemonSet" | "StatefulSet" | "Job" => {
            Some("/spec/template/spec")
        }
        _ => None,
    }
}

fn kind_of(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// The images one image overrider rewrites, by JSON pointer (`buildPatches`).
fn image_targets<'a>(
    obj: &'a Value,
    io: &ImageOverrider,
) -> Result<Vec<(String, &'a str)>, String> {
    let mut targets = Vec::new();
    match &io.predicate {
        Some(p) => {
            let image = obtain_image_value(obj, &p.path).map_err(|e| {
                format!(
                    "failed to obtain imageValue with predicate path({}), error: {e}",
                    p.path
                )
            })?;
            targets.push((p.path.clone(), image));
        }
        None => {
            let Some(prefix) = pod_spec_prefix(kind_of(obj)) else {
                return Ok(Vec::new());
            };
            let containers = crate::yaml::pointer(obj, prefix)
                .and_then(|spec| spec.get("containers"))
                .and_then(Value::as_array);
            for (i, c) in containers.into_iter().flatten().enumerate() {
                // A missing image is "" to the typed PodSpec Karmada converts to.
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                targets.push((format!("{prefix}/containers/{i}/image"), image));
            }
        }
    }
    if targets.iter().any(|(path, _)| !path.starts_with('/')) {
        return Err("imagePath should be start with / character".into());
    }
    Ok(targets)
}

/// The image patches of one image overrider (`buildPatches`); fails when an image does not parse.
fn image_patches(obj: &Value, io: &ImageOverrider) -> Result<Vec<Op>, String> {
    let targets = image_targets(obj, io)?;
    let mut ops = Vec::with_capacity(targets.len());
    for (path, image) in targets {
        ops.push(Op {
            op: OverriderOperator::Replace,
            path,
            value: Value::String(override_image(image, io)?),
        });
    }
    Ok(ops)
}

/// Checks that every image an overrider touches parses, without changing anything: for objects
/// that get the same rule as one already applied.
pub fn check_images(obj: &Value, overriders: &Overriders) -> Result<(), OverrideError> {
    for (i, io) in overriders.image_overrider.iter().enumerate() {
        let check = |(_, image): &(String, &str)| parse_image(image).map(drop);
        image_targets(obj, io)
            .and_then(|targets| targets.iter().try_for_each(check))
            .map_err(|m| fail(format!("imageOverrider[{i}]"), m))?;
    }
    Ok(())
}

fn parse_image(image: &str) -> Result<imageparser::Components, String> {
    imageparser::parse(image)
        .map_err(|e| format!("failed to parse image value({image}), error: {e}"))
}

/// `overrideImage`.
pub fn override_image(image: &str, io: &ImageOverrider) -> Result<String, String> {
    let mut c = parse_image(image)?;
    let v = io.value.as_str();
    match (io.component, io.operator) {
        (ImageComponent::Registry, OverriderOperator::Add) => c.hostname.push_str(v),
        (ImageComponent::Registry, OverriderOperator::Replace) => c.hostname = v.to_string(),
        (ImageComponent::Registry, OverriderOperator::Remove) => c.hostname.clear(),
        (ImageComponent::Repository, OverriderOperator::Add) => c.repository.push_str(v),
        (ImageComponent::Repository, OverriderOperator::Replace) => c.repository = v.to_string(),
        (ImageComponent::Repository, OverriderOperator::Remove) => c.repository.clear(),
        (ImageComponent::Tag, OverriderOperator::Add) => {
            let joined = format!("{}{v}", c.tag_or_digest());
            c.set_tag_or_digest(&joined);
        }
        (ImageComponent::Tag, OverriderOperator::Replace) => c.set_tag_or_digest(v),
        (ImageComponent::Tag, OverriderOperator::Remove) => c.remove_tag_or_digest(),
    }
    Ok(c.to_string())
}

/// `obtainImageValue`: walks maps, and lists by the index after them; no `~1` unescaping.
fn obtain_image_value<'a>(obj: &'a Value, path: &str) -> Result<&'a str, String> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut current = obj.as_object().ok_or("the object is not a map")?;
    let mut i = 0;
    while i + 1 < segments.len() {
        match current.get(segments[i]) {
            Some(Value::Object(m)) => current = m,
            Some(Value::Array(list)) => {
                let index: i32 = segments[i + 1]
                    .parse()
                    .map_err(|_| format!("path({}) of rawObj's is not number", segments[i + 1]))?;
                // Go panics on these; the controller recovers and the object is not updated.
                current = usize::try_from(index)
                    .ok()
                    .and_then(|x| list.get(x))
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        format!("index {index} of path({}) is out of range", segments[i])
                    })?;
                i += 1;
            }
            _ => {
                return Err(format!(
                    "path({}) of rawObj's type is not map[string]interface{{}} and []interface{{}}",
                    segments[i]
                ));
            }
        }
        i += 1;
    }
    let last = segments.last().copied().unwrap_or("");
    current
        .get(last)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("failed to convert path({last}) to string"))
}

/// `buildCommandArgsPatches`: each container named `containerName` gets its list replaced (or
/// added when absent) by the overridden one.
fn command_args_patches(
    obj: &Value,
    target: &str,
    ca: &CommandArgsOverrider,
) -> Result<Vec<Op>, String> {
    let base = match kind_of(obj) {
        "Pod" => "spec/containers",
        "ReplicaSet" | "Deployment" | "DaemonSet" | "Job" | "StatefulSet" => {
            "spec/template/spec/containers"
        }
        _ => return Ok(Vec::new()),
    };
    let containers = match crate::yaml::pointer(obj, &format!("/{base}")) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(format!(
                "failed to retrieves path({base}) from rawObj, error: not a list"
            ));
        }
    };
    let mut ops = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        if c.get("name").and_then(Value::as_str) != Some(ca.container_name.as_str()) {
            continue;
        }
        let path = format!("/{base}/{i}/{target}");
        let (op, current) = match c.get(target) {
            None | Some(Value::Null) => (OverriderOperator::Add, Vec::new()),
            Some(Value::Array(items)) => (
                OverriderOperator::Replace,
                items.iter().map(go_string).collect(),
            ),
            Some(_) => return Err(format!("{path} is not a list")),
        };
        let value = match ca.operator {
            OverriderOperator::Add => [current, ca.value.clone()].concat(),
            OverriderOperator::Remove => current
                .into_iter()
                .filter(|v| !ca.value.contains(v))
                .collect(),
            // Karmada ignores other operators (and still writes the list back).
            OverriderOperator::Replace => current,
        };
        ops.push(Op {
            op,
            path,
            value: json!(value),
        });
    }
    Ok(ops)
}

/// Go's `fmt.Sprintf("%s", v)` of a decoded JSON value.
fn go_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_i64() => format!("%!s(int64={n})"),
        Value::Number(n) => format!("%!s(float64={n})"),
        Value::Bool(b) => format!("%!s(bool={b})"),
        Value::Null => "%!s(<nil>)".to_string(),
        other => format!("{other}"),
    }
}

/// `buildLabelAnnotationOverriderPatches`: `add` creates the map when it is missing (or not a map
/// of strings); `remove`/`replace` skip keys that are not there. Only `/` is escaped in keys.
fn label_annotation_patches(obj: &mut Value, key: &str, la: &LabelAnnotationOverrider) -> Vec<Op> {
    let is_string_map = |obj: &Value| {
        obj.get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_object)
            .filter(|m| m.values().all(Value::is_string))
            .is_some()
    };
    let mut ops = Vec::new();
    for (k, v) in &la.value {
        match la.operator {
            OverriderOperator::Remove | OverriderOperator::Replace => {
                let present = is_string_map(obj) && obj["metadata"][key].get(k).is_some();
                if !present {
                    continue;
                }
            }
            OverriderOperator::Add => {
                if !is_string_map(obj) {
                    set_empty_map(obj, key);
                }
            }
        }
        ops.push(Op {
            op: la.operator,
            path: format!("/metadata/{key}/{}", k.replace('/', "~1")),
            value: Value::String(v.clone()),
        });
    }
    ops
}

/// `unstructured.SetNestedStringMap(obj, {}, "metadata", key)`.
fn set_empty_map(obj: &mut Value, key: &str) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    if let Some(m) = meta.as_object_mut() {
        m.insert(key.to_string(), Value::Object(Map::new()));
    }
}

/// `applyFieldOverriders`: a JSON or YAML document held in a string field, patched in place.
/// The patched document is written back compact (JSON) or with sorted keys (YAML), as Go's
/// encoders do; Go's HTML escaping of `<`, `>`, `&` in JSON is not reproduced.
fn field_override(obj: &mut Value, fo: &FieldOverrider) -> Result<(), String> {
    let text = match crate::yaml::pointer(obj, &fo.field_path) {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(format!(
                "Get object's value by overrider's path({}) is not string",
                fo.field_path
            ));
        }
        None => return Err(format!("path {} not found", fo.field_path)),
    };
    let sub = |ops: &[SubPathOperation]| -> Vec<Op> {
        ops.iter()
            .map(|o| Op {
                op: o.operator,
                path: o.sub_path.clone(),
                value: o.value.clone().unwrap_or(Value::Null),
            })
            .collect()
    };
    let patched = if !fo.yaml.is_empty() {
        let mut doc =
            crate::yaml::parse_one(&text, &fo.field_path).map_err(|e| format!("{e:#}"))?;
        apply_ops(&mut doc, &sub(&fo.yaml), "yaml").map_err(|e| e.to_string())?;
        crate::yaml::to_string(&sorted(doc)).map_err(|e| format!("{e:#}"))?
    } else if !fo.json.is_empty() {
        let mut doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        apply_ops(&mut doc, &sub(&fo.json), "json").map_err(|e| e.to_string())?;
        doc.to_string()
    } else {
        // Neither: Karmada writes back an empty string.
        String::new()
    };
    if let Some(slot) = obj.pointer_mut(&fo.field_path) {
        *slot = Value::String(patched);
    }
    Ok(())
}

/// Map keys sorted, as Go writes a decoded document.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
