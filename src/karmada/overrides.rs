//! Turning `overrides:` entries into Karmada override rules, per rendered object.
//!
//! Karmada applies one OverridePolicy's rules to every object it selects, and our JSON-patch paths
//! point at one object's containers, so rules are computed per object (and the caller emits one
//! OverridePolicy per overridden object).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::{Value, json};

use super::placement::{ContainerArgs, Override, Placement};
use super::policy::Item;
use super::scope;
use crate::diag::error;

mod compose;
mod overlay;

use compose::check_rules_compose;
use overlay::overlay_patches;

/// Normalises rendered objects (namespaces, FederatedHPA targets) the way the base was.
pub type Normalizer<'a> = &'a dyn Fn(&mut Vec<Value>, &str) -> Result<Vec<Item>>;

/// Where a kind keeps its pod spec.
fn pod_spec_pointer(obj: &Value, kind: &str) -> Option<&'static str> {
    let p = match kind {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    obj.pointer(p)
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .map(|_| p)
}

/// Kinds Karmada's command/args overriders understand.
fn supports_command_overrider(kind: &str) -> bool {
    matches!(
        kind,
        "Pod" | "ReplicaSet" | "Deployment" | "DaemonSet" | "Job" | "StatefulSet"
    )
}

/// One container of a rendered workload.
struct Container<'a> {
    /// Where the pod spec is, e.g. `/spec/template/spec`.
    base: &'static str,
    /// `containers` or `initContainers`.
    list: &'static str,
    index: usize,
    name: &'a str,
    init: bool,
    value: &'a Value,
}

impl Container<'_> {
    /// JSON pointer to the container, e.g. `/spec/template/spec/containers/1`.
    fn pointer(&self) -> String {
        format!("{}/{}/{}", self.base, self.list, self.index)
    }
}

fn containers<'a>(obj: &'a Value, kind: &str) -> Vec<Container<'a>> {
    let Some(base) = pod_spec_pointer(obj, kind) else {
        return Vec::new();
    };
    let Some(spec) = obj.pointer(base) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (list, init) in [("initContainers", true), ("containers", false)] {
        let items = spec.get(list).and_then(Value::as_array);
        for (index, c) in items.into_iter().flatten().enumerate() {
            out.push(Container {
                base,
                list,
                index,
                name: c.get("name").and_then(Value::as_str).unwrap_or(""),
                init,
                value: c,
            });
        }
    }
    out
}

/// RFC 6901 escaping of one pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn plaintext(op: &str, path: &str, value: Option<Value>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("path".into(), json!(path));
    m.insert("operator".into(), json!(op));
    if let Some(v) = value {
        m.insert("value".into(), v);
    }
    Value::Object(m)
}

/// Override rules, each stored once (apps often repeat one change over many objects), and the
/// rules of every overridden object.
#[derive(Debug, Default)]
pub struct Rules {
    pub unique: Vec<Value>,
    /// Rule ids by structural hash, to find an equal rule without serialising it.
    by_hash: std::collections::HashMap<u64, Vec<usize>>,
    /// Object position -> (`overrides:` entry, rule id), in entry order.
    pub by_object: BTreeMap<usize, Vec<(usize, usize)>>,
}

/// A structural hash of a JSON value (map keys in order: our rules are built deterministically).
fn hash_value(v: &Value, h: &mut impl std::hash::Hasher) {
    use std::hash::Hash;
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            a.iter().for_each(|x| hash_value(x, h));
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            for (k, x) in m {
                k.hash(h);
                hash_value(x, h);
            }
        }
    }
}

impl Rules {
    fn push(&mut self, object: usize, entry: usize, id: usize) {
        self.by_object.entry(object).or_default().push((entry, id));
    }

    /// Stores `rule` (once) for `object`; returns its id.
    fn add(&mut self, object: usize, entry: usize, rule: Value) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        hash_value(&rule, &mut h);
        let ids = self
            .by_hash
            .entry(std::hash::Hasher::finish(&h))
            .or_default();
        let id = match ids.iter().find(|id| self.unique[**id] == rule) {
            Some(id) => *id,
            None => {
                self.unique.push(rule);
                ids.push(self.unique.len() - 1);
                self.unique.len() - 1
            }
        };
        self.push(object, entry, id);
        id
    }

    /// The rule ids of an object (empty when it is not overridden).
    pub fn ids_of(&self, object: usize) -> Vec<usize> {
        self.by_object
            .get(&object)
            .map(|r| r.iter().map(|(_, id)| *id).collect())
            .unwrap_or_default()
    }
}

/// The override rules of every overridden object.
pub fn rules(
    placement: &Placement,
    objects: &[Value],
    items: &[Item],
    normalize: Normalizer<'_>,
    overlay: super::OverlayRenderer<'_>,
) -> Result<Rules> {
    let file = placement.file.as_str();
    let mut out = Rules::default();
    for entry in &placement.overrides {
        let path = entry.path();
        let candidates: Vec<&Item> = items
            .iter()
            .filter(|it| it.propagated)
            .filter(|it| {
                entry.target.as_ref().is_none_or(|t| {
                    t.matches(
                        &it.api_version,
                        &it.kind,
                        it.namespace.as_deref().unwrap_or(""),
                        &it.name,
                    )
                })
            })
            .collect();
        if candidates.is_empty() {
            return Err(error(
                file,
                &format!("{path}.target"),
                "matches no object of the app that Karmada propagates",
            ));
        }
        let overlay_diffs = match &entry.kustomize {
            Some(dir) => overlay_patches(file, &path, dir, objects, items, normalize, overlay)?,
            None => BTreeMap::new(),
        };
        let fixed = Fixed::new(entry);
        let target_cluster = json!({ "clusterNames": entry.clusters });
        let mut used = Used::default();
        // Objects that look the same to this entry get the same rule: compute it once.
        let mut seen: std::collections::HashMap<String, Option<usize>> = Default::default();
        for it in &candidates {
            let obj = &objects[it.index];
            let overlay_ops = overlay_diffs.get(&it.index);
            let key = (entry.patches.is_empty() && overlay_ops.is_none())
                .then(|| fingerprint(entry, it, obj));
            if let Some(cached) = key.as_ref().and_then(|k| seen.get(k)) {
                if let Some(id) = cached {
                    out.push(it.index, entry.index, *id);
                }
                continue;
            }
            let overriders =
                object_overriders(file, entry, &fixed, it, obj, overlay_ops, &mut used)?;
            let id = (!overriders.is_empty()).then(|| {
                let mut rule = serde_json::Map::new();
                rule.insert("targetCluster".into(), target_cluster.clone());
                rule.insert("overriders".into(), Value::Object(overriders));
                out.add(it.index, entry.index, Value::Object(rule))
            });
            if let Some(k) = key {
                seen.insert(k, id);
            }
        }
        used.check(file, entry, &path)?;
        if !overlay_diffs.is_empty() {
            for idx in overlay_diffs.keys() {
                if !candidates.iter().any(|c| c.index == *idx) {
                    let it = &items[*idx];
                    return Err(error(
                        file,
                        &format!("{path}.kustomize"),
                        format!(
                            "the overlay changes {}, which `target` excludes",
                            it.key().display()
                        ),
                    ));
                }
            }
        }
    }
    for (idx, rules) in &out.by_object {
        let values: Vec<&Value> = rules.iter().map(|(_, id)| &out.unique[*id]).collect();
        let entries: Vec<usize> = rules.iter().map(|(e, _)| *e).collect();
        check_rules_compose(file, &items[*idx], &objects[*idx], &values, &entries)?;
    }
    Ok(out)
}

/// Which parts of an entry found something to change, so an entry that changes nothing fails.
#[derive(Default)]
struct Used {
    image: bool,
    containers: BTreeSet<String>,
    replicas: bool,
    env: bool,
    command: BTreeSet<String>,
    args: BTreeSet<String>,
    patches: BTreeSet<usize>,
}

impl Used {
    fn check(&self, file: &str, entry: &Override, path: &str) -> Result<()> {
        for (i, c) in entry.containers.iter().enumerate() {
            if !self.containers.contains(c) {
                return Err(error(
                    file,
                    &format!("{path}.containers[{i}]"),
                    format!("no selected workload has a container \"{c}\""),
                ));
            }
        }
        if entry.image.is_some() && !self.image {
            return Err(error(
                file,
                &format!("{path}.image"),
                "no selected object has containers",
            ));
        }
        if entry.replicas.is_some() && !self.replicas {
            return Err(error(
                file,
                &format!("{path}.replicas"),
                "no selected object has spec.replicas",
            ));
        }
        if !entry.env.is_empty() && !self.env {
            return Err(error(
                file,
                &format!("{path}.env"),
                "no selected object has containers",
            ));
        }
        for (field, list, used) in [
            ("command", &entry.command, &self.command),
            ("args", &entry.args, &self.args),
        ] {
            for c in list {
                if !used.contains(&c.container) {
                    return Err(error(
                        file,
                        &format!("{path}.{field}.{}", c.container),
                        format!(
                            "no selected Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job has a container \"{}\"",
                            c.container
                        ),
                    ));
                }
            }
        }
        for i in 0..entry.patches.len() {
            if !self.patches.contains(&i) {
                return Err(error(
                    file,
                    &format!("{path}.patches[{i}].target"),
                    "matches no object of the app that Karmada propagates",
                ));
            }
        }
        Ok(())
    }
}

/// Everything `object_overriders` reads from an object (without patches or an overlay): two objects
/// with the same fingerprint get the same overriders from an entry.
fn fingerprint(entry: &Override, it: &Item, obj: &Value) -> String {
    use std::fmt::Write;
    let mut k = String::new();
    let _ = write!(
        k,
        "{}|{}|{}|{}|{}",
        scope::group(&it.api_version),
        it.kind,
        it.fhpa_target,
        obj.pointer("/spec/replicas")
            .map_or("-", |v| if v.is_number() { "n" } else { "x" }),
        obj.get("spec").is_some_and(Value::is_object),
    );
    for c in containers(obj, &it.kind) {
        let _ = write!(
            k,
            "|{}:{}:{}:{}",
            c.pointer(),
            c.name.len(),
            c.name,
            c.value.get("image").is_some_and(Value::is_string)
        );
        if !entry.env.is_empty() && !c.init {
            let _ = write!(k, ":{}", c.value.get("env").unwrap_or(&Value::Null));
        }
    }
    k
}

/// The parts of an entry's overriders that are the same for every object, built once.
struct Fixed {
    labels: Option<Value>,
    annotations: Option<Value>,
}

impl Fixed {
    fn new(entry: &Override) -> Fixed {
        let overrider = |map: &BTreeMap<String, String>| {
            (!map.is_empty()).then(|| json!([{"operator": "add", "value": map}]))
        };
        Fixed {
            labels: overrider(&entry.labels),
            annotations: overrider(&entry.annotations),
        }
    }
}

fn object_overriders(
    file: &str,
    entry: &Override,
    fixed: &Fixed,
    it: &Item,
    obj: &Value,
    overlay_ops: Option<&Vec<Value>>,
    used: &mut Used,
) -> Result<serde_json::Map<String, Value>> {
    let path = entry.path();
    let mut o = serde_json::Map::new();
    let all_conts = containers(obj, &it.kind);
    let conts: Vec<&Container<'_>> = all_conts
        .iter()
        .filter(|c| {
            let wanted =
                entry.containers.is_empty() || entry.containers.iter().any(|n| n == c.name);
            if wanted && !used.containers.contains(c.name) {
                used.containers.insert(c.name.to_string());
            }
            wanted
        })
        .collect();

    if let Some(image) = &entry.image {
        let mut list = Vec::new();
        for c in &conts {
            if c.value.get("image").and_then(Value::as_str).is_none() {
                continue;
            }
            used.image = true;
            for (component, value) in [
                ("Registry", &image.registry),
                ("Repository", &image.repository),
                ("Tag", &image.tag),
            ] {
                if let Some(v) = value {
                    list.push(json!({
                        "predicate": {"path": format!("{}/image", c.pointer())},
                        "component": component,
                        "operator": "replace",
                        "value": v,
                    }));
                }
            }
        }
        if !list.is_empty() {
            o.insert("imageOverrider".into(), Value::Array(list));
        }
    }

    for (key, list, used_set) in [
        ("commandOverrider", &entry.command, &mut used.command),
        ("argsOverrider", &entry.args, &mut used.args),
    ] {
        if !supports_command_overrider(&it.kind) {
            continue;
        }
        let out = command_args(list, &all_conts, used_set);
        if !out.is_empty() {
            o.insert(key.into(), Value::Array(out));
        }
    }

    if let Some(v) = &fixed.labels {
        o.insert("labelsOverrider".into(), v.clone());
    }
    if let Some(v) = &fixed.annotations {
        o.insert("annotationsOverrider".into(), v.clone());
    }

    let mut ops: Vec<Value> = Vec::new();
    if let Some(n) = entry.replicas {
        if it.fhpa_target {
            return Err(error(
                file,
                &format!("{path}.replicas"),
                format!(
                    "{} is scaled by a FederatedHPA; remove `replicas` from this override (or add a `target`)",
                    it.key().display()
                ),
            ));
        }
        match obj.pointer("/spec/replicas") {
            Some(Value::Number(_)) => {
                used.replicas = true;
                ops.push(plaintext("replace", "/spec/replicas", Some(json!(n))));
            }
            None if scalable(&it.api_version, &it.kind)
                && obj.get("spec").is_some_and(Value::is_object) =>
            {
                used.replicas = true;
                ops.push(plaintext("add", "/spec/replicas", Some(json!(n))));
            }
            _ => {}
        }
    }
    if !entry.env.is_empty() {
        for c in conts.iter().filter(|c| !c.init) {
            used.env = true;
            ops.extend(env_ops(c, &entry.env));
        }
    }
    for (i, patch) in entry.patches.iter().enumerate() {
        let ns = it.namespace.as_deref().unwrap_or("");
        if !patch
            .target
            .matches(&it.api_version, &it.kind, ns, &it.name)
        {
            continue;
        }
        used.patches.insert(i);
        let mut scratch = obj.clone();
        for (j, op) in patch.ops.iter().enumerate() {
            let one = json!([{"op": op.op.as_str(), "path": op.path, "value": op.value}]);
            let one = if op.value.is_none() {
                json!([{"op": op.op.as_str(), "path": op.path}])
            } else {
                one
            };
            let parsed: json_patch::Patch = serde_json::from_value(one)
                .map_err(|e| error(file, &format!("{path}.patches[{i}].ops[{j}]"), e))?;
            if let Err(e) = json_patch::patch(&mut scratch, &parsed) {
                return Err(error(
                    file,
                    &format!("{path}.patches[{i}].ops[{j}].path"),
                    format!(
                        "{} {} cannot be applied to {}: {}",
                        op.op.as_str(),
                        op.path,
                        it.key().display(),
                        patch_error_text(&e)
                    ),
                ));
            }
            ops.push(plaintext(op.op.as_str(), &op.path, op.value.clone()));
        }
    }
    if let Some(extra) = overlay_ops {
        ops.extend(extra.iter().cloned());
    }
    if !ops.is_empty() {
        o.insert("plaintext".into(), Value::Array(ops));
    }
    Ok(o)
}

fn patch_error_text(e: &json_patch::PatchError) -> String {
    match &e.kind {
        json_patch::PatchErrorKind::InvalidPointer => "the path does not exist".to_string(),
        other => other.to_string(),
    }
}

/// Kinds whose spec takes `replicas` even when the rendered object leaves it out.
fn scalable(api_version: &str, kind: &str) -> bool {
    super::scope::group(api_version) == "apps"
        && matches!(kind, "Deployment" | "StatefulSet" | "ReplicaSet")
}

fn command_args(
    list: &[ContainerArgs],
    conts: &[Container<'_>],
    used: &mut BTreeSet<String>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for ca in list {
        if !conts.iter().any(|c| !c.init && c.name == ca.container) {
            continue;
        }
        used.insert(ca.container.clone());
        if !ca.add.is_empty() {
            out.push(json!({"containerName": ca.container, "operator": "add", "value": ca.add}));
        }
        if !ca.remove.is_empty() {
            out.push(
                json!({"containerName": ca.container, "operator": "remove", "value": ca.remove}),
            );
        }
    }
    out
}

/// Sets each variable on one container: replace the entry of the same name, else append.
fn env_ops(c: &Container<'_>, env: &BTreeMap<String, String>) -> Vec<Value> {
    let existing = c.value.get("env").and_then(Value::as_array);
    let Some(existing) = existing else {
        let list: Vec<Value> = env
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        return vec![plaintext(
            "add",
            &format!("{}/env", c.pointer()),
            Some(Value::Array(list)),
        )];
    };
    let mut ops = Vec::new();
    for (k, v) in env {
        let entry = json!({"name": k, "value": v});
        match existing
            .iter()
            .position(|e| e.get("name").and_then(Value::as_str) == Some(k))
        {
            Some(i) if existing[i] == entry => {}
            Some(i) => ops.push(plaintext(
                "replace",
                &format!("{}/env/{i}", c.pointer()),
                Some(entry),
            )),
            None => ops.push(plaintext(
                "add",
                &format!("{}/env/-", c.pointer()),
                Some(entry),
            )),
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_ops_replace_by_name_and_append() {
        let obj = json!({"spec": {"template": {"spec": {
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [
                {"name": "a", "image": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y", "valueFrom": {}}]},
                {"name": "b", "image": "b"}
            ]
        }}}});
        let conts = containers(&obj, "Deployment");
        assert_eq!(conts.len(), 3);
        assert!(conts[0].init);
        assert_eq!(conts[2].pointer(), "/spec/template/spec/containers/1");
        let env = BTreeMap::from([
            ("X".to_string(), "1".to_string()),
            ("Y".to_string(), "2".to_string()),
            ("Z".to_string(), "3".to_string()),
        ]);
        assert_eq!(
            env_ops(&conts[1], &env),
            vec![
                json!({"path": "/spec/template/spec/containers/0/env/1", "operator": "replace", "value": {"name": "Y", "value": "2"}}),
                json!({"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "Z", "value": "3"}}),
            ]
        );
        assert_eq!(
            env_ops(&conts[2], &env),
            vec![
                json!({"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [
                    {"name": "X", "value": "1"}, {"name": "Y", "value": "2"}, {"name": "Z", "value": "3"}
                ]})
            ]
        );
    }

    #[test]
    fn pod_specs_by_kind() {
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}}});
        assert_eq!(
            containers(&cj, "CronJob")[0].pointer(),
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );
        let pod = json!({"spec": {"containers": [{"name": "c"}]}});
        assert_eq!(containers(&pod, "Pod")[0].pointer(), "/spec/containers/0");
        assert!(containers(&json!({"data": {}}), "ConfigMap").is_empty());
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
