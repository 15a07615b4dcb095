//! Turning `overrides:` entries into Karmada override rules, per rendered object.
//!
//! Karmada applies one OverridePolicy's rules to every object it selects, and our JSON-patch paths
//! point at one object's containers, so rules are computed per object (and the caller emits one
//! OverridePolicy per overridden object).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};

use super::fields::error;
use super::placement::{ContainerArgs, Override, Placement};
use super::policy::{Item, ObjectKey};
use crate::render::AppContext;

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
    /// JSON pointer to the container, e.g. `/spec/template/spec/containers/1`.
    pointer: String,
    name: &'a str,
    init: bool,
    value: &'a Value,
}

fn containers<'a>(obj: &'a Value, kind: &str) -> Vec<Container<'a>> {
    let Some(base) = pod_spec_pointer(obj, kind) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (list, init) in [("initContainers", true), ("containers", false)] {
        let items = obj
            .pointer(&format!("{base}/{list}"))
            .and_then(Value::as_array);
        for (i, c) in items.into_iter().flatten().enumerate() {
            out.push(Container {
                pointer: format!("{base}/{list}/{i}"),
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
    ids: std::collections::HashMap<String, usize>,
    /// Object position -> (`overrides:` entry, rule id), in entry order.
    pub by_object: BTreeMap<usize, Vec<(usize, usize)>>,
}

impl Rules {
    fn add(&mut self, object: usize, entry: usize, rule: Value) {
        let key = rule.to_string();
        let id = match self.ids.get(&key) {
            Some(id) => *id,
            None => {
                self.unique.push(rule);
                self.ids.insert(key, self.unique.len() - 1);
                self.unique.len() - 1
            }
        };
        self.by_object.entry(object).or_default().push((entry, id));
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
    ctx: &AppContext,
    placement: &Placement,
    objects: &[Value],
    items: &[Item],
    normalize: Normalizer<'_>,
    overlay: super::policy::OverlayRenderer<'_>,
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
            Some(dir) => {
                overlay_patches(ctx, file, &path, dir, objects, items, normalize, overlay)?
            }
            None => BTreeMap::new(),
        };
        let mut per_object: Vec<(usize, Value)> = Vec::new();
        let mut used = Used::default();
        for it in &candidates {
            let obj = &objects[it.index];
            let overriders = object_overriders(
                file,
                entry,
                it,
                obj,
                overlay_diffs.get(&it.index),
                &mut used,
            )?;
            if !overriders.is_empty() {
                per_object.push((it.index, Value::Object(overriders)));
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
        for (idx, overriders) in per_object {
            let rule = json!({
                "targetCluster": {"clusterNames": entry.clusters},
                "overriders": overriders,
            });
            out.add(idx, entry.index, rule);
        }
    }
    for (idx, rules) in &out.by_object {
        let values: Vec<&Value> = rules.iter().map(|(_, id)| &out.unique[*id]).collect();
        let entries: Vec<usize> = rules.iter().map(|(e, _)| *e).collect();
        check_rules_compose(file, &items[*idx], &objects[*idx], &values, &entries)?;
    }
    Ok(out)
}

fn plaintext_paths(rule: &Value) -> Vec<&str> {
    rule["overriders"]["plaintext"]
        .as_array()
        .map(|ops| ops.iter().filter_map(|o| o["path"].as_str()).collect())
        .unwrap_or_default()
}

/// Two paths change the same place: equal (appends with `/-` excepted) or one inside the other.
fn paths_overlap(a: &str, b: &str) -> bool {
    if a == b {
        return !a.ends_with("/-");
    }
    let inside = |outer: &str, inner: &str| {
        inner.starts_with(outer) && inner[outer.len()..].starts_with('/')
    };
    inside(a, b) || inside(b, a)
}

/// Karmada applies the rules for a cluster one after the other, but each rule's JSON-patch ops were
/// computed against the rendered object: rules that touch the same place on one cluster would
/// silently undo each other, and ops must still apply after the earlier rules.
fn check_rules_compose(
    file: &str,
    it: &Item,
    obj: &Value,
    rules: &[&Value],
    entries: &[usize],
) -> Result<()> {
    let clusters = |r: &Value| -> Vec<String> {
        r["targetCluster"]["clusterNames"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (j, later) in rules.iter().enumerate() {
        for (i, earlier) in rules[..j].iter().enumerate() {
            let shared: Vec<String> = clusters(earlier)
                .into_iter()
                .filter(|c| clusters(later).contains(c))
                .collect();
            let Some(cluster) = shared.first() else {
                continue;
            };
            for p in plaintext_paths(later) {
                if let Some(q) = plaintext_paths(earlier)
                    .into_iter()
                    .find(|q| paths_overlap(p, q))
                {
                    return Err(error(
                        file,
                        &format!("overrides[{}]", entries[j]),
                        format!(
                            "changes {p} of {} on cluster {cluster}, which overrides[{}] also changes ({q}); combine them into one entry",
                            it.key().display(),
                            entries[i]
                        ),
                    ));
                }
            }
        }
    }
    // Every cluster's sequence of ops must apply cleanly.
    let mut all_clusters: Vec<String> = rules.iter().flat_map(|r| clusters(r)).collect();
    all_clusters.sort();
    all_clusters.dedup();
    for cluster in all_clusters {
        let mut scratch = obj.clone();
        for (rule, entry) in rules.iter().zip(entries) {
            if !clusters(rule).contains(&cluster) {
                continue;
            }
            for op in rule["overriders"]["plaintext"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let mut one = serde_json::Map::new();
                one.insert("op".into(), op["operator"].clone());
                one.insert("path".into(), op["path"].clone());
                if let Some(v) = op.get("value") {
                    one.insert("value".into(), v.clone());
                }
                let parsed: json_patch::Patch = serde_json::from_value(json!([one]))
                    .map_err(|e| error(file, &format!("overrides[{entry}]"), e))?;
                if let Err(e) = json_patch::patch(&mut scratch, &parsed) {
                    return Err(error(
                        file,
                        &format!("overrides[{entry}]"),
                        format!(
                            "{} {} cannot be applied to {} on cluster {cluster} after the earlier overrides: {}",
                            op["operator"].as_str().unwrap_or(""),
                            op["path"].as_str().unwrap_or(""),
                            it.key().display(),
                            patch_error_text(&e)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
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

fn object_overriders(
    file: &str,
    entry: &Override,
    it: &Item,
    obj: &Value,
    overlay_ops: Option<&Vec<Value>>,
    used: &mut Used,
) -> Result<serde_json::Map<String, Value>> {
    let path = entry.path();
    let mut o = serde_json::Map::new();
    let conts: Vec<Container<'_>> = containers(obj, &it.kind)
        .into_iter()
        .filter(|c| {
            let wanted =
                entry.containers.is_empty() || entry.containers.iter().any(|n| n == c.name);
            if wanted {
                used.containers.insert(c.name.to_string());
            }
            wanted
        })
        .collect();
    let all_conts = containers(obj, &it.kind);

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
                        "predicate": {"path": format!("{}/image", c.pointer)},
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

    if !entry.labels.is_empty() {
        o.insert(
            "labelsOverrider".into(),
            json!([{"operator": "add", "value": entry.labels}]),
        );
    }
    if !entry.annotations.is_empty() {
        o.insert(
            "annotationsOverrider".into(),
            json!([{"operator": "add", "value": entry.annotations}]),
        );
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
            &format!("{}/env", c.pointer),
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
                &format!("{}/env/{i}", c.pointer),
                Some(entry),
            )),
            None => ops.push(plaintext(
                "add",
                &format!("{}/env/-", c.pointer),
                Some(entry),
            )),
        }
    }
    ops
}

/// The overlay directory: relative to the app directory and, after following symlinks, a
/// directory inside the repository (overlays shared between apps are common in GitOps repos).
fn overlay_dir(ctx: &AppContext, file: &str, field: &str, dir: &str) -> Result<std::path::PathBuf> {
    if Path::new(dir).is_absolute() {
        return Err(error(
            file,
            field,
            format!("\"{dir}\" must be a path relative to the app directory"),
        ));
    }
    let full = ctx.app_dir.join(dir);
    let root = crate::render::source::RepoRoot::find(&ctx.app_dir)?;
    let inside = full
        .canonicalize()
        .is_ok_and(|f| root.contains(&f) && f.is_dir());
    if !inside {
        return Err(error(
            file,
            field,
            format!("\"{dir}\" is not a directory inside the repository"),
        ));
    }
    Ok(full)
}

/// Renders one overlay and returns, per base object that it changes, the plaintext ops that turn
/// the base object into the overlay's.
#[allow(clippy::too_many_arguments)]
fn overlay_patches(
    ctx: &AppContext,
    file: &str,
    path: &str,
    dir: &str,
    objects: &[Value],
    items: &[Item],
    normalize: Normalizer<'_>,
    overlay: super::policy::OverlayRenderer<'_>,
) -> Result<BTreeMap<usize, Vec<Value>>> {
    let field = format!("{path}.kustomize");
    let full = overlay_dir(ctx, file, &field, dir)?;
    let mut rendered = overlay(&full).map_err(|e| error(file, &field, format!("{e:#}")))?;
    let origin = format!("{} (overlay)", ctx.display(dir));
    let overlay_items = normalize(&mut rendered, &origin)?;
    let by_key: BTreeMap<ObjectKey, &Item> = items.iter().map(|it| (it.key(), it)).collect();
    let mut out = BTreeMap::new();
    for (oi, o) in overlay_items.iter().zip(&rendered) {
        let Some(base) = by_key.get(&oi.key()) else {
            return Err(error(
                file,
                &field,
                format!(
                    "{dir} renders {}, which is not in the app (an overlay may only change objects of the base)",
                    oi.key().display()
                ),
            ));
        };
        let diff = json_patch::diff(&objects[base.index], o);
        if diff.0.is_empty() {
            continue;
        }
        if !base.propagated {
            return Err(error(
                file,
                &field,
                format!(
                    "{dir} changes {}, which lives on the Karmada control plane and is not propagated per cluster",
                    oi.key().display()
                ),
            ));
        }
        let ops: Vec<Value> = diff
            .0
            .iter()
            .map(|op| {
                let v = serde_json::to_value(op).unwrap_or(Value::Null);
                plaintext(
                    v["op"].as_str().unwrap_or("replace"),
                    v["path"].as_str().unwrap_or(""),
                    v.get("value").cloned(),
                )
            })
            .collect();
        out.insert(base.index, ops);
    }
    Ok(out)
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
        assert_eq!(conts[2].pointer, "/spec/template/spec/containers/1");
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
    fn overlapping_paths() {
        assert!(paths_overlap("/a/env", "/a/env"));
        assert!(paths_overlap("/a/env", "/a/env/0/value"));
        assert!(paths_overlap("/a/env/0", "/a/env"));
        assert!(!paths_overlap("/a/env/-", "/a/env/-"));
        assert!(!paths_overlap("/a/env2", "/a/env"));
        assert!(!paths_overlap("/a/env/0", "/a/env/1"));
    }

    #[test]
    fn pod_specs_by_kind() {
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}}});
        assert_eq!(
            containers(&cj, "CronJob")[0].pointer,
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );
        let pod = json!({"spec": {"containers": [{"name": "c"}]}});
        assert_eq!(containers(&pod, "Pod")[0].pointer, "/spec/containers/0");
        assert!(containers(&json!({"data": {}}), "ConfigMap").is_empty());
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
