//! `status`: one app across every member cluster. The app's templates (found by Argo CD's
//! tracking, or rendered from the app directory), their (Cluster)ResourceBindings and the Cluster
//! objects, judged by our health library into an object x cluster matrix.

pub mod cli;
pub mod details;
pub mod fetch;
pub mod output;

use std::collections::{BTreeMap, BTreeSet};

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
    let mut rows = Vec::with_capacity(snap.templates.len());
    let mut names = BTreeSet::new();
    for t in &snap.templates {
        let row = judge_template(t, snap, lib);
        names.extend(row.clusters.keys().cloned());
        rows.push(row);
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
    let skeleton = (row.status != Health::Healthy).then(|| skeleton(binding));
    for target in targets(binding) {
        let (status, message) = match &skeleton {
            None => (Health::Healthy, String::new()),
            Some(sk) => match evaluate(&reduce(binding, sk, &target), lib) {
                // "1/1 cluster healthy" says nothing the cell does not.
                (Health::Healthy, _) => (Health::Healthy, String::new()),
                other => other,
            },
        };
        let (replicas, ready_replicas) = replicas_on(binding, &target);
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
            && !out.iter().any(|o| o == n)
        {
            out.push(n.to_string());
        }
    }
    out
}

/// A binding without its per-cluster lists, to be completed per cluster by [`reduce`]: the
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

/// The binding as if `cluster` were its only target (`skeleton` is `skeleton(binding)`).
fn reduce(binding: &Value, skeleton: &Value, cluster: &str) -> Value {
    let mut b = skeleton.clone();
    let only = |list: &Value, key: &str| -> Vec<Value> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|c| c[key].as_str() == Some(cluster))
            .cloned()
            .collect()
    };
    if b["spec"]["clusters"].is_array() {
        b["spec"]["clusters"] = Value::Array(only(&binding["spec"]["clusters"], "name"));
    }
    if b["spec"]["requiredBy"].is_array() {
        let required: Vec<Value> = binding["spec"]["requiredBy"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let mut r = r.clone();
                if r["clusters"].is_array() {
                    r["clusters"] = Value::Array(only(&r["clusters"], "name"));
                }
                r
            })
            .collect();
        b["spec"]["requiredBy"] = Value::Array(required);
    }
    if b["status"]["aggregatedStatus"].is_array() {
        b["status"]["aggregatedStatus"] =
            Value::Array(only(&binding["status"]["aggregatedStatus"], "clusterName"));
    }
    b
}

fn replicas_on(binding: &Value, cluster: &str) -> (Option<i64>, Option<i64>) {
    let assigned = binding["spec"]["clusters"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"].as_str() == Some(cluster)))
        .and_then(|c| c["replicas"].as_i64());
    let ready = binding["status"]["aggregatedStatus"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|c| c["clusterName"].as_str() == Some(cluster))
        })
        .and_then(|c| c["status"]["readyReplicas"].as_i64());
    (assigned, ready)
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
        let r = reduce(&b, &skeleton(&b), "b");
        assert_eq!(targets(&r), ["b"]);
        assert_eq!(
            r["status"]["aggregatedStatus"],
            json!([{"clusterName": "b"}])
        );
        assert_eq!(replicas_on(&b, "a"), (Some(1), None));
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
