//! `status`: one app across every member cluster. The app's templates (found by Argo CD's
//! tracking, or rendered from the app directory), their (Cluster)ResourceBindings and the Cluster
//! objects, judged by our health library into an object x cluster matrix.

pub mod cli;
pub mod details;
pub mod fetch;
pub mod output;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use crate::argo::settings::ResourceOverrides;
use crate::live::{ObjectKey, binding_name};

/// Argo CD's health codes, in its order of severity (`health.IsWorse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Health {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl Health {
    pub fn parse(s: &str) -> Health {
        match s {
            "Healthy" => Health::Healthy,
            "Suspended" => Health::Suspended,
            "Progressing" => Health::Progressing,
            "Missing" => Health::Missing,
            "Degraded" => Health::Degraded,
            _ => Health::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Suspended => "Suspended",
            Health::Progressing => "Progressing",
            Health::Missing => "Missing",
            Health::Degraded => "Degraded",
            Health::Unknown => "Unknown",
        }
    }

    /// `status`'s exit code: 0 healthy, 1 progressing or suspended, 2 degraded, missing or unknown.
    pub fn exit_code(self) -> u8 {
        match self {
            Health::Healthy => 0,
            Health::Suspended | Health::Progressing => 1,
            Health::Missing | Health::Degraded | Health::Unknown => 2,
        }
    }
}

/// What was read from karmada-apiserver.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The app's name (from `--app`, or the rendered app).
    pub app: String,
    /// The app's templates in display order; `obj` is `None` when the server has no such object.
    pub templates: Vec<Template>,
    /// (Cluster)ResourceBindings by (namespace, name); cluster-scoped ones have no namespace.
    pub bindings: BTreeMap<(Option<String>, String), Value>,
    /// Cluster objects by name.
    pub clusters: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub key: ObjectKey,
    pub obj: Option<Value>,
}

/// The matrix `status` prints: also its JSON/YAML shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matrix {
    pub app: String,
    /// The worst status of all objects (decides the exit code).
    pub status: Health,
    pub clusters: Vec<ClusterState>,
    pub objects: Vec<Row>,
    pub totals: BTreeMap<Health, usize>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterState {
    pub name: String,
    /// `Ready`, `NotReady`, `Unknown` (condition), or `Absent` (no Cluster object).
    pub ready: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl ClusterState {
    pub fn is_ready(&self) -> bool {
        self.ready == "Ready"
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    #[serde(flatten)]
    pub key: ObjectKey,
    /// The (Cluster)ResourceBinding's name, when there is one.
    pub binding: Option<String>,
    pub status: Health,
    pub message: String,
    /// One cell per target cluster of the binding.
    pub clusters: BTreeMap<String, Cell>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    pub status: Health,
    pub message: String,
    /// Replicas Karmada assigned to this cluster (`spec.clusters[].replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Ready replicas the member reported (`aggregatedStatus[].status.readyReplicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i64>,
}

/// Judges a snapshot with the health library. Each row's status is the library's verdict on the
/// whole binding; each cell is the library's verdict on the binding reduced to that one cluster
/// (its `spec.clusters`, `requiredBy` clusters and `aggregatedStatus` item), so binding-level
/// findings (scheduling, suspension) show in every cell, as they hold for every cluster. A binding
/// the library calls Healthy is Healthy on every target, so its cells need no second evaluation.
pub fn judge(snap: &Snapshot, lib: &ResourceOverrides) -> Matrix {
    let mut rows = judge_templates(snap, lib);
    let mut names = BTreeSet::new();
    for row in &rows {
        names.extend(row.clusters.keys().cloned());
    }
    let clusters: Vec<ClusterState> = names
        .iter()
        .map(|name| cluster_state(name, snap.clusters.get(name), lib))
        .collect();
    // A cluster that is not Ready explains what its cells show.
    let not_ready: BTreeMap<&str, String> = clusters
        .iter()
        .filter(|c| !c.is_ready())
        .map(|c| {
            let reason = c
                .reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            (
                c.name.as_str(),
                format!("cluster {} is {}{reason}", c.name, c.ready),
            )
        })
        .collect();
    for row in &mut rows {
        for (name, cell) in row.clusters.iter_mut() {
            match not_ready.get(name.as_str()) {
                Some(why) if cell.status != Health::Healthy => {
                    cell.message = format!("{why}; {}", cell.message);
                }
                _ => {}
            }
        }
    }
    let mut totals = BTreeMap::new();
    for row in &rows {
        *totals.entry(row.status).or_insert(0) += 1;
    }
    Matrix {
        app: snap.app.clone(),
        status: rows
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(Health::Healthy),
        clusters,
        objects: rows,
        totals,
    }
}

/// Below this many templates one thread judges them all.
const PARALLEL_FROM: usize = 32;

/// One row per template, in template order, judged on up to one thread per core: each thread
/// keeps its own Lua state with the compiled scripts (`lua::run`'s per-thread pool).
fn judge_templates(snap: &Snapshot, lib: &ResourceOverrides) -> Vec<Row> {
    judge_on(snap, lib, crate::parallel::threads())
}

fn judge_on(snap: &Snapshot, lib: &ResourceOverrides, threads: usize) -> Vec<Row> {
    let threads = if snap.templates.len() < PARALLEL_FROM {
        1
    } else {
        threads
    };
    crate::parallel::map_on(threads, &snap.templates, |t| judge_template(t, snap, lib))
}

fn judge_template(t: &Template, snap: &Snapshot, lib: &ResourceOverrides) -> Row {
    let mut row = Row {
        key: t.key.clone(),
        binding: None,
        status: Health::Missing,
        message: String::new(),
        clusters: BTreeMap::new(),
    };
    if t.obj.is_none() {
        row.message = "not found on karmada-apiserver".into();
        return row;
    }
    let name = binding_name(&t.key.kind, &t.key.name);
    let kind = if t.key.namespace.is_some() {
        "ResourceBinding"
    } else {
        "ClusterResourceBinding"
    };
    let binding = snap
        .bindings
        .get(&(t.key.namespace.clone(), name.clone()))
        .filter(|b| binds(b, t));
    let Some(binding) = binding else {
        row.message =
            format!("no {kind} {name}: no PropagationPolicy matched this object (not propagated)");
        return row;
    };
    row.binding = Some(name);
    let whole = evaluate(binding, lib);
    row.status = whole.0;
    row.message = whole.1;
    // Each cell's binding: the skeleton with this cluster's items, filled in place per cluster.
    let mut reduced = (row.status != Health::Healthy).then(|| skeleton(binding));
    let by_cluster = PerCluster::of(binding);
    for target in targets(binding) {
        let (status, message) = match &mut reduced {
            None => (Health::Healthy, String::new()),
            Some(b) => {
                by_cluster.reduce(b, &target);
                match evaluate(b, lib) {
                    // "1/1 cluster healthy" says nothing the cell does not.
                    (Health::Healthy, _) => (Health::Healthy, String::new()),
                    other => other,
                }
            }
        };
        let (replicas, ready_replicas) = by_cluster.replicas_on(&target);
        row.clusters.insert(
            target,
            Cell {
                status,
                message,
                replicas,
                ready_replicas,
            },
        );
    }
    row
}

/// Whether a binding found by Karmada's name rule really binds this template: its
/// `spec.resource` names it, and its controller owner is the template (when both carry uids).
fn binds(binding: &Value, t: &Template) -> bool {
    let r = &binding["spec"]["resource"];
    let same = r["kind"].as_str() == Some(&t.key.kind)
        && r["name"].as_str() == Some(&t.key.name)
        && r["namespace"].as_str().filter(|s| !s.is_empty()) == t.key.namespace.as_deref()
        && r["apiVersion"]
            .as_str()
            .map(|v| crate::live::resources::split_api_version(v).0)
            == Some(t.key.group());
    let uid = t.obj.as_ref().and_then(|o| o["metadata"]["uid"].as_str());
    let owner = binding["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["controller"] == true))
        .and_then(|o| o["uid"].as_str());
    same && match (uid, owner) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// The library's verdict on one object (unknown statuses and script errors become Unknown).
fn evaluate(obj: &Value, lib: &ResourceOverrides) -> (Health, String) {
    match crate::argo::health::resource_health(obj, lib) {
        Ok(Some(hs)) => (Health::parse(&hs.status), hs.message),
        Ok(None) => (Health::Unknown, "no health check for this kind".into()),
        Err(e) => (Health::Unknown, format!("{e:#}")),
    }
}

/// Target clusters in the library's order: `spec.clusters`, then `requiredBy[].clusters`.
fn targets(binding: &Value) -> Vec<String> {
    let spec = &binding["spec"];
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let from_required = spec["requiredBy"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["clusters"].as_array().into_iter().flatten());
    for c in spec["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(from_required)
    {
        if let Some(n) = c["name"].as_str()
            && seen.insert(n)
        {
            out.push(n.to_string());
        }
    }
    out
}

/// A binding without its per-cluster lists, to be completed per cluster by [`PerCluster::reduce`]: the
/// large lists are copied once per cell as one item, not as a whole binding.
fn skeleton(binding: &Value) -> Value {
    let mut b = binding.clone();
    // `pointer_mut`, not indexing: indexing would add the path to bindings that lack it.
    for path in [
        "/spec/clusters",
        "/spec/requiredBy",
        "/status/aggregatedStatus",
    ] {
        if let Some(list) = b.pointer_mut(path).filter(|l| l.is_array()) {
            *list = Value::Array(Vec::new());
        }
    }
    b
}

/// A binding's per-cluster list items by cluster name, indexed once so that reducing it to
/// each of its (maybe thousands of) clusters stays linear.
struct PerCluster<'a> {
    /// `spec.clusters` by `name`; `None` when the binding has no such list.
    clusters: Option<Items<'a>>,
    /// `spec.requiredBy` entries, each with its `clusters` by `name` (`None`: no list).
    required_by: Option<Vec<(&'a Value, Option<Items<'a>>)>>,
    /// `status.aggregatedStatus` by `clusterName`.
    aggregated: Option<Items<'a>>,
}

/// A list's items by the cluster they name, in list order.
type Items<'a> = HashMap<&'a str, Vec<&'a Value>>;

fn items_by<'a>(list: &'a Value, key: &str) -> Option<Items<'a>> {
    let list = list.as_array()?;
    let mut out: Items<'a> = HashMap::with_capacity(list.len());
    for item in list {
        if let Some(name) = item[key].as_str() {
            out.entry(name).or_default().push(item);
        }
    }
    Some(out)
}

impl<'a> PerCluster<'a> {
    fn of(binding: &'a Value) -> PerCluster<'a> {
        let spec = &binding["spec"];
        PerCluster {
            clusters: items_by(&spec["clusters"], "name"),
            required_by: spec["requiredBy"].as_array().map(|rs| {
                rs.iter()
                    .map(|r| (r, items_by(&r["clusters"], "name")))
                    .collect()
            }),
            aggregated: items_by(&binding["status"]["aggregatedStatus"], "clusterName"),
        }
    }

    /// Makes `b` (`skeleton(binding)`, or an earlier reduction) the binding as if `cluster` were
    /// its only target.
    fn reduce(&self, b: &mut Value, cluster: &str) {
        let only = |items: &Items<'a>| -> Value {
            let found = items.get(cluster).into_iter().flatten();
            Value::Array(found.map(|&v| v.clone()).collect())
        };
        if let (Some(items), Some(list)) = (&self.clusters, b.pointer_mut("/spec/clusters")) {
            *list = only(items);
        }
        if let (Some(entries), Some(list)) = (&self.required_by, b.pointer_mut("/spec/requiredBy"))
        {
            let required = entries.iter().map(|(entry, clusters)| {
                let mut r = (*entry).clone();
                if let Some(items) = clusters {
                    r["clusters"] = only(items);
                }
                r
            });
            *list = Value::Array(required.collect());
        }
        if let (Some(items), Some(list)) =
            (&self.aggregated, b.pointer_mut("/status/aggregatedStatus"))
        {
            *list = only(items);
        }
    }

    /// Replicas assigned to `cluster` and ready there (the first item that names it).
    fn replicas_on(&self, cluster: &str) -> (Option<i64>, Option<i64>) {
        let first = |items: &Option<Items<'a>>| {
            items
                .as_ref()
                .and_then(|m| m.get(cluster))
                .and_then(|v| v.first().copied())
        };
        (
            first(&self.clusters).and_then(|c| c["replicas"].as_i64()),
            first(&self.aggregated).and_then(|c| c["status"]["readyReplicas"].as_i64()),
        )
    }
}

/// A member cluster's readiness from its `Ready` condition (Karmada's cluster status controller).
fn cluster_state(name: &str, cluster: Option<&Value>, lib: &ResourceOverrides) -> ClusterState {
    let Some(cluster) = cluster else {
        return ClusterState {
            name: name.into(),
            ready: "Absent".into(),
            reason: None,
            message: "no Cluster object".into(),
        };
    };
    let ready = cluster["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or(json!({}));
    let state = match ready["status"].as_str() {
        Some("True") => "Ready",
        Some("False") => "NotReady",
        _ => "Unknown",
    };
    let (_, message) = evaluate(cluster, lib);
    ClusterState {
        name: name.into(),
        ready: state.into(),
        reason: ready["reason"].as_str().map(str::to_string),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_keeps_one_cluster() {
        let b = json!({"spec": {"clusters": [{"name": "a", "replicas": 1}, {"name": "b"}],
            "requiredBy": [{"clusters": [{"name": "b"}, {"name": "c"}]}]},
            "status": {"aggregatedStatus": [{"clusterName": "a"}, {"clusterName": "b"}]}});
        assert_eq!(targets(&b), ["a", "b", "c"]);
        let per = PerCluster::of(&b);
        let mut r = skeleton(&b);
        per.reduce(&mut r, "a");
        assert_eq!(targets(&r), ["a"]);
        per.reduce(&mut r, "b");
        assert_eq!(targets(&r), ["b"]);
        assert_eq!(
            r["status"]["aggregatedStatus"],
            json!([{"clusterName": "b"}])
        );
        assert_eq!(per.replicas_on("a"), (Some(1), None));
    }

    #[test]
    fn threads_judge_like_one() {
        let lib = crate::health::cli::library().unwrap();
        let mut snap = Snapshot::default();
        for i in 0..3 * PARALLEL_FROM {
            let name = format!("web{i}");
            let t = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "shop"}});
            let health = if i % 7 == 0 { "Unhealthy" } else { "Healthy" };
            let b = json!({"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
                "metadata": {"name": format!("{name}-deployment"), "namespace": "shop"},
                "spec": {"resource": {"apiVersion": "apps/v1", "kind": "Deployment",
                    "namespace": "shop", "name": name},
                    "clusters": [{"name": "m1", "replicas": 1}, {"name": "m2", "replicas": 1}]},
                "status": {"aggregatedStatus": [
                    {"clusterName": "m1", "applied": true, "health": "Healthy"},
                    {"clusterName": "m2", "applied": true, "health": health}]}});
            snap.bindings
                .insert((Some("shop".into()), format!("{name}-deployment")), b);
            snap.templates.push(Template {
                key: ObjectKey::of(&t).unwrap(),
                obj: Some(t),
            });
        }
        let json = |rows: Vec<Row>| serde_json::to_value(rows).unwrap();
        let one = json(judge_on(&snap, &lib, 1));
        assert_eq!(json(judge_on(&snap, &lib, 3)), one);
        let rows = one.as_array().unwrap();
        assert_eq!(rows.len(), 3 * PARALLEL_FROM);
        assert_eq!(rows[7]["name"], "web7");
        assert_ne!(rows[7]["clusters"]["m2"]["status"], "Healthy");
        assert_eq!(rows[8]["clusters"]["m2"]["status"], "Healthy");
    }

    #[test]
    fn exit_codes_follow_severity() {
        assert_eq!(Health::Healthy.exit_code(), 0);
        assert_eq!(Health::Suspended.exit_code(), 1);
        assert_eq!(Health::Progressing.exit_code(), 1);
        assert_eq!(Health::Missing.exit_code(), 2);
        assert_eq!(Health::parse("Bogus"), Health::Unknown);
        assert!(Health::Degraded > Health::Missing && Health::Unknown > Health::Degraded);
    }
}
