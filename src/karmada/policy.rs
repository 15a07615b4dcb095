//! Building PropagationPolicy / OverridePolicy (and their Cluster variants) for the app's objects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use super::naming;
use super::overrides::Rules;
use super::placement::{
    Affinity, ApplicationFailover, ClusterFailover, Clusters, ConflictResolution, Failover,
    LabelSelector, Placement, Preemption, PurgeMode, Replicas, Spread, SpreadBy, StateRule,
    Suspension,
};
use super::scope::{self, Scopes};
use crate::render::AppContext;

/// Renders a kustomize directory (used for per-cluster overlays).
pub type OverlayRenderer<'a> = &'a dyn Fn(&Path) -> Result<Vec<Value>>;

pub const POLICY_API_VERSION: &str = "policy.karmada.io/v1alpha1";
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const MANAGER: &str = "argocd-karmada-plugin";

/// An object's identity as Kubernetes sees it: group (not version), kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    /// `apps/Deployment shop/web`, `Namespace shop`.
    pub fn display(&self) -> String {
        let gk = if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}/{}", self.group, self.kind)
        };
        match &self.namespace {
            Some(ns) => format!("{gk} {ns}/{}", self.name),
            None => format!("{gk} {}", self.name),
        }
    }
}

/// What policy building needs to know about one rendered object.
#[derive(Debug, Clone)]
pub struct Item {
    /// Position in the object list.
    pub index: usize,
    pub api_version: String,
    pub kind: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    /// Selected by our policies (false for Karmada's own control-plane objects).
    pub propagated: bool,
    /// Scaled by a FederatedHPA / CronFederatedHPA of the app.
    pub fhpa_target: bool,
}

impl Item {
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            group: scope::group(&self.api_version).to_string(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// The policies for `objects`; adjusts objects as Argo CD would apply them (destination namespace
/// filled in, `spec.replicas` dropped from FederatedHPA targets, sync waves on Namespaces).
pub fn build(
    ctx: &AppContext,
    placement: &Placement,
    objects: &mut Vec<Value>,
    overlay: OverlayRenderer<'_>,
) -> Result<Vec<Value>> {
    let scopes = Scopes::from_objects(objects);
    let origin = "the rendered app";
    let normalize = |objs: &mut Vec<Value>, origin: &str| -> Result<Vec<Item>> {
        let mut items = normalize(ctx, &scopes, objs, origin)?;
        drop_scaled_replicas(objs, &mut items);
        Ok(items)
    };
    let items = normalize(objects, origin)?;
    let rules = super::overrides::rules(ctx, placement, objects, &items, &normalize, overlay)?;

    let app = ctx.app_name.as_str();
    // Namespaces in order of first appearance.
    let mut namespaces: Vec<&str> = Vec::new();
    for it in items.iter().filter(|it| it.propagated) {
        if let Some(ns) = it.namespace.as_deref()
            && !namespaces.contains(&ns)
        {
            namespaces.push(ns);
        }
    }
    let waves = Waves::new(objects, &items, &namespaces)?;
    let groups = override_groups(&items, &rules);
    let override_names = override_names(app, &items, &groups);
    let policy_of: BTreeMap<usize, &str> = groups
        .iter()
        .flat_map(|g| g.iter().map(|i| (*i, override_names[&g[0]].as_str())))
        .collect();

    let mut propagation = Vec::new();
    let mut overrides = Vec::new();
    let cluster_items: Vec<&Item> = items
        .iter()
        .filter(|it| it.propagated && it.namespace.is_none())
        .collect();
    if !cluster_items.is_empty() {
        let deps = dependent_overrides(&cluster_items, &policy_of);
        propagation.push(propagation_policy(
            app,
            None,
            &cluster_items,
            &deps,
            placement,
            &waves.propagation,
        ));
    }
    for ns in &namespaces {
        let ns_items: Vec<&Item> = items
            .iter()
            .filter(|it| it.propagated && it.namespace.as_deref() == Some(*ns))
            .collect();
        let deps = dependent_overrides(&ns_items, &policy_of);
        propagation.push(propagation_policy(
            app,
            Some(ns),
            &ns_items,
            &deps,
            placement,
            &waves.propagation,
        ));
    }
    // Cluster-scoped overrides first, then namespaced ones, each in object order.
    let mut ordered: Vec<&Vec<usize>> = groups.iter().collect();
    ordered.sort_by_key(|g| (items[g[0]].namespace.is_some(), g[0]));
    for group in ordered {
        let members: Vec<&Item> = group.iter().map(|i| &items[*i]).collect();
        let group_rules: Vec<&Value> = rules
            .ids_of(group[0])
            .into_iter()
            .map(|id| &rules.unique[id])
            .collect();
        overrides.push(override_policy(
            &override_names[&group[0]],
            &members,
            &group_rules,
            &waves.overrides,
        ));
    }
    waves.mark_namespaces(objects, &items);
    propagation.extend(overrides);
    Ok(propagation)
}

/// Checks identity fields, fills the destination namespace, clears namespaces of cluster-scoped
/// objects and rejects duplicates.
fn normalize(
    ctx: &AppContext,
    scopes: &Scopes,
    objects: &mut [Value],
    origin: &str,
) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = Vec::with_capacity(objects.len());
    let mut seen: BTreeMap<ObjectKey, usize> = BTreeMap::new();
    for (index, obj) in objects.iter_mut().enumerate() {
        let doc = index + 1;
        let text = |v: &Value, field: &str| -> Result<String> {
            match v.pointer(field).and_then(Value::as_str) {
                Some(s) if !s.is_empty() => Ok(s.to_string()),
                _ => bail!(
                    "{origin}: object #{doc}: missing {}",
                    field.trim_start_matches('/').replace('/', ".")
                ),
            }
        };
        let api_version = text(obj, "/apiVersion")?;
        let kind = text(obj, "/kind")?;
        let name = text(obj, "/metadata/name")?;
        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
            bail!("{origin}: object #{doc}: metadata must be a mapping");
        };
        let namespace = if scopes.is_cluster_scoped(&api_version, &kind) {
            // Argo CD applies cluster-scoped objects without a namespace.
            meta.remove("namespace");
            None
        } else {
            match meta
                .get("namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                Some(ns) => Some(ns.to_string()),
                None => {
                    if ctx.namespace.is_empty() {
                        bail!(
                            "{origin}: {kind} {name} has no namespace and the destination namespace is unknown; set the Application's destination namespace (ARGOCD_APP_NAMESPACE)"
                        );
                    }
                    insert_after_name(meta, json!(ctx.namespace));
                    Some(ctx.namespace.clone())
                }
            }
        };
        let item = Item {
            index,
            propagated: !scope::is_karmada_control_plane(&api_version),
            api_version,
            kind,
            namespace,
            name,
            fhpa_target: false,
        };
        if let Some(first) = seen.insert(item.key(), index) {
            let prev = &items[first];
            bail!(
                "{origin}: duplicate object {}: object #{} ({}) and object #{doc} ({}) have the same group, kind, namespace and name",
                item.key().display(),
                first + 1,
                prev.api_version,
                item.api_version
            );
        }
        items.push(item);
    }
    Ok(items)
}

/// Puts `namespace` right after `name`, where people expect it.
fn insert_after_name(meta: &mut Map<String, Value>, namespace: Value) {
    let old = std::mem::take(meta);
    for (k, v) in old {
        let is_name = k == "name";
        meta.insert(k, v);
        if is_name {
            meta.insert("namespace".into(), namespace.clone());
        }
    }
    meta.entry("namespace").or_insert(namespace);
}

/// FederatedHPA (and CronFederatedHPA scaling a workload directly) own `spec.replicas` of their
/// target; Argo CD must not fight them over it.
fn drop_scaled_replicas(objects: &mut [Value], items: &mut [Item]) {
    let mut targets: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for (obj, it) in objects.iter().zip(items.iter()) {
        if scope::group(&it.api_version) != "autoscaling.karmada.io" {
            continue;
        }
        if it.kind != "FederatedHPA" && it.kind != "CronFederatedHPA" {
            continue;
        }
        let r = &obj["spec"]["scaleTargetRef"];
        let (Some(av), Some(kind), Some(name)) = (
            r["apiVersion"].as_str(),
            r["kind"].as_str(),
            r["name"].as_str(),
        ) else {
            continue;
        };
        if kind == "FederatedHPA" {
            continue; // a CronFederatedHPA that scales an FHPA's bounds
        }
        targets.insert((
            av.to_string(),
            kind.to_string(),
            it.namespace.clone().unwrap_or_default(),
            name.to_string(),
        ));
    }
    for (obj, it) in objects.iter_mut().zip(items.iter_mut()) {
        let key = (
            it.api_version.clone(),
            it.kind.clone(),
            it.namespace.clone().unwrap_or_default(),
            it.name.clone(),
        );
        if targets.contains(&key) {
            it.fhpa_target = true;
            if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("replicas");
            }
        }
    }
}

/// Argo CD sync waves: OverridePolicies, then PropagationPolicies, then the workloads.
struct Waves {
    overrides: String,
    propagation: String,
    /// Namespaces that hold our policies and must exist before them.
    namespace: i64,
    policy_namespaces: BTreeSet<String>,
}

fn wave_of(obj: &Value) -> Option<i64> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(SYNC_WAVE))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse().ok())
}

impl Waves {
    fn new(objects: &[Value], items: &[Item], namespaces: &[&str]) -> Result<Waves> {
        let is_namespace = |it: &Item| it.kind == "Namespace" && it.api_version == "v1";
        // Objects without a wave are in wave 0.
        let lowest = items
            .iter()
            .filter(|it| it.propagated && !is_namespace(it))
            .map(|it| wave_of(&objects[it.index]).unwrap_or(0))
            .min()
            .unwrap_or(0);
        let waves = Waves {
            overrides: (lowest - 2).to_string(),
            propagation: (lowest - 1).to_string(),
            namespace: lowest - 3,
            policy_namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        };
        for it in items.iter().filter(|it| is_namespace(it)) {
            if !waves.policy_namespaces.contains(&it.name) {
                continue;
            }
            if let Some(w) = wave_of(&objects[it.index])
                && w > waves.namespace
            {
                bail!(
                    "the rendered app: Namespace {}: metadata.annotations.{SYNC_WAVE}: wave {w} is too late: the policies in this namespace go in waves {} and {} (before the app's first wave {lowest}), so the Namespace needs wave {} or lower",
                    it.name,
                    waves.overrides,
                    waves.propagation,
                    waves.namespace
                );
            }
        }
        Ok(waves)
    }

    /// Namespaces of the app that hold our policies get a wave before them.
    fn mark_namespaces(&self, objects: &mut [Value], items: &[Item]) {
        for it in items {
            if it.kind != "Namespace"
                || it.api_version != "v1"
                || !self.policy_namespaces.contains(&it.name)
            {
                continue;
            }
            let obj = &mut objects[it.index];
            if wave_of(obj).is_some() {
                continue;
            }
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                let ann = meta.entry("annotations").or_insert_with(|| json!({}));
                if let Some(ann) = ann.as_object_mut() {
                    ann.insert(SYNC_WAVE.into(), json!(self.namespace.to_string()));
                }
            }
        }
    }
}

/// Objects of one namespace with exactly the same rules share one OverridePolicy (the rules'
/// paths were computed per object, so equal rules are right for each of them). Groups are listed
/// by their first object; each overridden object is in one group.
fn override_groups(items: &[Item], rules: &Rules) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: BTreeMap<(Option<String>, Vec<usize>), usize> = BTreeMap::new();
    for (idx, _) in rules.by_object.iter() {
        let key = (items[*idx].namespace.clone(), rules.ids_of(*idx));
        match by_key.get(&key) {
            Some(g) => groups[*g].push(*idx),
            None => {
                by_key.insert(key, groups.len());
                groups.push(vec![*idx]);
            }
        }
    }
    groups
}

/// The OverridePolicy of each group, keyed by the group's first object: `<app>-<kind>-<name>` of
/// that object, unique per namespace.
fn override_names(app: &str, items: &[Item], groups: &[Vec<usize>]) -> BTreeMap<usize, String> {
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    let mut taken: BTreeSet<(Option<String>, String)> = BTreeSet::new();
    for group in groups {
        let it = &items[group[0]];
        let kind = it.kind.to_ascii_lowercase();
        let mut name = naming::label(&[app, &kind, &it.name]);
        if taken.contains(&(it.namespace.clone(), name.clone())) {
            // Same kind and name in another API group (or kinds differing only in case): the
            // hash of the full identity tells them apart.
            let id = format!("{:?}", it.key());
            let hash = format!("{:08x}", naming::stable_hash(&id) as u32);
            name = naming::label(&[app, &kind, &it.name, &hash]);
        }
        taken.insert((it.namespace.clone(), name.clone()));
        names.insert(group[0], name);
    }
    names
}

/// The OverridePolicies that select some of `items` (each once, in object order).
fn dependent_overrides<'a>(items: &[&Item], policy_of: &BTreeMap<usize, &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for it in items {
        if let Some(name) = policy_of.get(&it.index)
            && !out.contains(name)
        {
            out.push(name);
        }
    }
    out
}

fn metadata(name: &str, namespace: Option<&str>, wave: &str) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("labels".into(), json!({ MANAGED_BY: MANAGER }));
    m.insert("annotations".into(), json!({ SYNC_WAVE: wave }));
    Value::Object(m)
}

fn selector(it: &Item) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), json!(it.api_version));
    m.insert("kind".into(), json!(it.kind));
    if let Some(ns) = &it.namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("name".into(), json!(it.name));
    Value::Object(m)
}

fn propagation_policy(
    app: &str,
    namespace: Option<&str>,
    items: &[&Item],
    dependent_overrides: &[&str],
    p: &Placement,
    wave: &str,
) -> Value {
    let kind = if namespace.is_some() {
        "PropagationPolicy"
    } else {
        "ClusterPropagationPolicy"
    };
    let mut spec = Map::new();
    spec.insert(
        "resourceSelectors".into(),
        Value::Array(items.iter().map(|it| selector(it)).collect()),
    );
    // Karmada forces propagateDeps on for ServiceImports; say so up front.
    let deps = p.propagate_deps || items.iter().any(|it| it.kind == "ServiceImport");
    if deps {
        spec.insert("propagateDeps".into(), json!(true));
    }
    spec.insert("placement".into(), placement_json(p));
    spec.insert("priority".into(), json!(p.priority));
    spec.insert(
        "preemption".into(),
        json!(match p.preemption {
            Preemption::Never => "Never",
            Preemption::Always => "Always",
        }),
    );
    if !dependent_overrides.is_empty() {
        spec.insert("dependentOverrides".into(), json!(dependent_overrides));
    }
    spec.insert("schedulerName".into(), json!("default-scheduler"));
    if let Some(f) = &p.failover {
        spec.insert("failover".into(), failover_json(f));
    }
    spec.insert(
        "conflictResolution".into(),
        json!(match p.conflict_resolution {
            ConflictResolution::Abort => "Abort",
            ConflictResolution::Overwrite => "Overwrite",
        }),
    );
    match &p.suspension {
        Some(Suspension::All) => {
            spec.insert("suspension".into(), json!({"dispatching": true}));
        }
        Some(Suspension::Clusters(names)) => {
            spec.insert(
                "suspension".into(),
                json!({"dispatchingOnClusters": {"clusterNames": names}}),
            );
        }
        None => {}
    }
    if let Some(b) = p.preserve_resources_on_deletion {
        spec.insert("preserveResourcesOnDeletion".into(), json!(b));
    }
    json!({
        "apiVersion": POLICY_API_VERSION,
        "kind": kind,
        "metadata": metadata(&naming::label(&[app]), namespace, wave),
        "spec": spec,
    })
}

fn affinity_json(a: &Affinity) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(sel) = &a.selector {
        m.insert("labelSelector".into(), label_selector_json(sel));
    }
    if !a.fields.is_empty() {
        let exprs: Vec<Value> = a
            .fields
            .iter()
            .map(|f| {
                json!({
                    "key": f.key.as_str(),
                    "operator": if f.not_in { "NotIn" } else { "In" },
                    "values": f.values,
                })
            })
            .collect();
        m.insert("fieldSelector".into(), json!({ "matchExpressions": exprs }));
    }
    if !a.names.is_empty() {
        m.insert("clusterNames".into(), json!(a.names));
    }
    if !a.exclude.is_empty() {
        m.insert("exclude".into(), json!(a.exclude));
    }
    m
}

fn label_selector_json(s: &LabelSelector) -> Value {
    let mut m = Map::new();
    if !s.match_labels.is_empty() {
        m.insert("matchLabels".into(), json!(s.match_labels));
    }
    if !s.match_expressions.is_empty() {
        let exprs: Vec<Value> = s
            .match_expressions
            .iter()
            .map(|e| {
                let mut x = Map::new();
                x.insert("key".into(), json!(e.key));
                x.insert("operator".into(), json!(e.operator.as_str()));
                if !e.values.is_empty() {
                    x.insert("values".into(), json!(e.values));
                }
                Value::Object(x)
            })
            .collect();
        m.insert("matchExpressions".into(), Value::Array(exprs));
    }
    Value::Object(m)
}

fn placement_json(p: &Placement) -> Value {
    let mut m = Map::new();
    match &p.clusters {
        Clusters::One(a) => {
            m.insert("clusterAffinity".into(), Value::Object(affinity_json(a)));
        }
        Clusters::Groups(groups) => {
            let list: Vec<Value> = groups
                .iter()
                .map(|g| {
                    let mut term = Map::new();
                    term.insert("affinityName".into(), json!(g.name));
                    term.extend(affinity_json(&g.affinity));
                    Value::Object(term)
                })
                .collect();
            m.insert("clusterAffinities".into(), Value::Array(list));
        }
    }
    if !p.tolerations.is_empty() {
        let list: Vec<Value> = p
            .tolerations
            .iter()
            .map(|t| {
                let mut x = Map::new();
                if let Some(k) = &t.key {
                    x.insert("key".into(), json!(k));
                }
                if let Some(o) = t.operator {
                    x.insert("operator".into(), json!(o));
                }
                if let Some(v) = &t.value {
                    x.insert("value".into(), json!(v));
                }
                if let Some(e) = t.effect {
                    x.insert("effect".into(), json!(e));
                }
                if let Some(s) = t.toleration_seconds {
                    x.insert("tolerationSeconds".into(), json!(s));
                }
                Value::Object(x)
            })
            .collect();
        m.insert("clusterTolerations".into(), Value::Array(list));
    }
    if !p.spread.is_empty() {
        m.insert(
            "spreadConstraints".into(),
            Value::Array(p.spread.iter().map(spread_json).collect()),
        );
    }
    m.insert("replicaScheduling".into(), replicas_json(&p.replicas));
    Value::Object(m)
}

fn spread_json(s: &Spread) -> Value {
    let mut m = Map::new();
    match &s.by {
        SpreadBy::Field(f) => m.insert("spreadByField".into(), json!(f.as_str())),
        SpreadBy::Label(l) => m.insert("spreadByLabel".into(), json!(l)),
    };
    if let Some(max) = s.max {
        m.insert("maxGroups".into(), json!(max));
    }
    m.insert("minGroups".into(), json!(s.min));
    Value::Object(m)
}

fn replicas_json(r: &Replicas) -> Value {
    match r {
        Replicas::Duplicated => json!({"replicaSchedulingType": "Duplicated"}),
        Replicas::Aggregated => json!({
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Aggregated",
        }),
        Replicas::Dynamic => json!({
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        }),
        Replicas::Weighted(weights) if weights.is_empty() => json!({
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
        }),
        Replicas::Weighted(weights) => {
            let list: Vec<Value> = weights
                .iter()
                .map(|(c, w)| json!({"targetCluster": {"clusterNames": [c]}, "weight": w}))
                .collect();
            json!({
                "replicaSchedulingType": "Divided",
                "replicaDivisionPreference": "Weighted",
                "weightPreference": {"staticWeightList": list},
            })
        }
    }
}

fn purge_json(m: &mut Map<String, Value>, purge: PurgeMode) {
    match purge {
        PurgeMode::Directly => {
            m.insert("purgeMode".into(), json!("Directly"));
        }
        PurgeMode::Never => {
            m.insert("purgeMode".into(), json!("Never"));
        }
        PurgeMode::Gracefully {
            grace_period_seconds,
        } => {
            m.insert("purgeMode".into(), json!("Gracefully"));
            m.insert("gracePeriodSeconds".into(), json!(grace_period_seconds));
        }
    }
}

fn state_json(rules: &[StateRule]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| json!({"aliasLabelName": r.alias_label_name, "jsonPath": r.json_path}))
        .collect();
    json!({ "rules": rules })
}

fn failover_json(f: &Failover) -> Value {
    let mut m = Map::new();
    if let Some(ApplicationFailover {
        toleration_seconds,
        purge,
        state_preservation,
    }) = &f.application
    {
        let mut a = Map::new();
        a.insert(
            "decisionConditions".into(),
            json!({"tolerationSeconds": toleration_seconds}),
        );
        purge_json(&mut a, *purge);
        if !state_preservation.is_empty() {
            a.insert("statePreservation".into(), state_json(state_preservation));
        }
        m.insert("application".into(), Value::Object(a));
    }
    if let Some(ClusterFailover {
        purge,
        state_preservation,
    }) = &f.cluster
    {
        let mut c = Map::new();
        // Cluster failover has no grace period field.
        let mode = match purge {
            PurgeMode::Directly => "Directly",
            _ => "Gracefully",
        };
        c.insert("purgeMode".into(), json!(mode));
        if !state_preservation.is_empty() {
            c.insert("statePreservation".into(), state_json(state_preservation));
        }
        m.insert("cluster".into(), Value::Object(c));
    }
    Value::Object(m)
}

fn override_policy(name: &str, members: &[&Item], rules: &[&Value], wave: &str) -> Value {
    let it = members[0];
    let kind = if it.namespace.is_some() {
        "OverridePolicy"
    } else {
        "ClusterOverridePolicy"
    };
    json!({
        "apiVersion": POLICY_API_VERSION,
        "kind": kind,
        "metadata": metadata(name, it.namespace.as_deref(), wave),
        "spec": {
            "resourceSelectors": members.iter().map(|m| selector(m)).collect::<Vec<_>>(),
            "overrideRules": rules,
            // Karmada's webhook adds the (unused) legacy field; emitting it keeps Argo CD in sync.
            "overriders": {},
        },
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::render::Params;

    struct App {
        dir: tempfile::TempDir,
        overlays: BTreeMap<String, Vec<Value>>,
    }

    impl App {
        fn new() -> App {
            App {
                dir: tempfile::tempdir().unwrap(),
                overlays: BTreeMap::new(),
            }
        }

        fn ctx(&self) -> AppContext {
            AppContext {
                app_name: "shop".into(),
                namespace: "dest".into(),
                app_dir: self.dir.path().to_path_buf(),
                display_dir: String::new(),
                params: Params::default(),
                kube_version: None,
                api_versions: Vec::new(),
            }
        }

        fn overlay(&mut self, rel: &str, objects: &str) {
            std::fs::create_dir_all(self.dir.path().join(rel)).unwrap();
            self.overlays.insert(
                rel.to_string(),
                crate::yaml::parse_stream(objects, "o").unwrap(),
            );
        }

        /// Builds and checks the invariants every output must keep.
        fn build(&self, placement: &str, objects: &str) -> Result<(Vec<Value>, Vec<Value>)> {
            let text =
                format!("apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n{placement}");
            let doc = crate::yaml::parse_one(&text, "karmada.yaml")?;
            let p = Placement::parse(&doc, "karmada.yaml")?;
            p.validate()?;
            let mut objs = crate::yaml::parse_stream(objects, "app")?;
            let root = self.dir.path().to_path_buf();
            let overlay = |dir: &Path| -> Result<Vec<Value>> {
                let rel: PathBuf = dir.strip_prefix(&root).unwrap().to_path_buf();
                Ok(self.overlays[rel.to_str().unwrap()].clone())
            };
            let policies = build(&self.ctx(), &p, &mut objs, &overlay)?;
            // Deterministic, and already in the form Karmada stores.
            let mut again = crate::yaml::parse_stream(objects, "app")?;
            assert_eq!(build(&self.ctx(), &p, &mut again, &overlay)?, policies);
            for pol in &policies {
                let mut d = pol.clone();
                crate::karmada::defaults::apply(&mut d);
                assert_eq!(&d, pol, "defaulting changed {pol:#}");
                assert!(naming::is_dns1123_label(
                    pol["metadata"]["name"].as_str().unwrap()
                ));
            }
            Ok((objs, policies))
        }
    }

    fn kinds(policies: &[Value]) -> Vec<String> {
        policies
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["kind"].as_str().unwrap(),
                    p["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect()
    }

    const WEB: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    spec:
      initContainers: [{name: migrate, image: example.com/migrate:1}]
      containers:
        - {name: web, image: example.com/web:1, env: [{name: MODE, value: a}]}
        - {name: proxy, image: envoy:1}
";

    #[test]
    fn namespaced_and_cluster_scoped_objects_get_exact_selectors() {
        let app = App::new();
        let objects = format!(
            "{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: other}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: dest}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r, namespace: ignored}}\n"
        );
        let (objs, pols) = app
            .build("clusters: {names: [m1, m2]}\n", &objects)
            .unwrap();
        assert_eq!(
            objs[0]["metadata"],
            json!({"name": "web", "namespace": "dest"})
        );
        assert_eq!(objs[1]["metadata"]["namespace"], "other");
        assert_eq!(objs[3]["metadata"], json!({"name": "r"}));
        // The Namespace holding policies is created before them.
        assert_eq!(objs[2]["metadata"]["annotations"][SYNC_WAVE], "-3");
        assert_eq!(
            kinds(&pols),
            [
                "ClusterPropagationPolicy shop",
                "PropagationPolicy shop",
                "PropagationPolicy shop"
            ]
        );
        assert_eq!(
            pols[0]["spec"]["resourceSelectors"],
            json!([
                {"apiVersion": "v1", "kind": "Namespace", "name": "dest"},
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "r"}
            ])
        );
        assert_eq!(pols[1]["metadata"]["namespace"], "dest");
        assert_eq!(
            pols[1]["spec"]["resourceSelectors"],
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "dest", "name": "web"}])
        );
        assert_eq!(pols[2]["metadata"]["namespace"], "other");
        assert_eq!(pols[1]["metadata"]["annotations"][SYNC_WAVE], "-1");
        assert_eq!(
            pols[1]["spec"]["placement"],
            json!({"clusterAffinity": {"clusterNames": ["m1", "m2"]}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}})
        );
    }

    #[test]
    fn duplicates_are_errors_naming_both() {
        let app = App::new();
        let objects = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: web, namespace: dest}\n";
        let e = app.build("clusters: {names: [m1]}\n", objects).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the rendered app: duplicate object apps/Deployment dest/web: object #1 (apps/v1) and object #3 (apps/v1beta1) have the same group, kind, namespace and name"
        );
    }

    #[test]
    fn federated_hpa_targets_lose_replicas_and_are_not_overridden() {
        let app = App::new();
        let objects = format!(
            "{WEB}---\napiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {{name: web}}\nspec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}, maxReplicas: 5}}\n"
        );
        let (objs, pols) = app.build("clusters: {names: [m1]}\n", &objects).unwrap();
        assert!(objs[0]["spec"].get("replicas").is_none());
        // The FederatedHPA stays on the control plane.
        assert_eq!(
            pols[0]["spec"]["resourceSelectors"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let e = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], replicas: 3}]\n",
                &objects,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].replicas: apps/Deployment dest/web is scaled by a FederatedHPA; remove `replicas` from this override (or add a `target`)"
        );
    }

    #[test]
    fn user_waves_move_policies_before_the_first_one() {
        let app = App::new();
        let objects = format!(
            "{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, annotations: {{argocd.argoproj.io/sync-wave: '-5'}}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: dest}}\n"
        );
        let (objs, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], labels: {a: b}}]\n",
                &objects,
            )
            .unwrap();
        assert_eq!(objs[2]["metadata"]["annotations"][SYNC_WAVE], "-8");
        let waves: Vec<&str> = pols
            .iter()
            .map(|p| p["metadata"]["annotations"][SYNC_WAVE].as_str().unwrap())
            .collect();
        assert_eq!(waves, ["-6", "-6", "-7", "-7"]);
        let late = objects.replace(
            "name: dest}",
            "name: dest, annotations: {argocd.argoproj.io/sync-wave: '-7'}}",
        );
        let e = app.build("clusters: {names: [m1]}\n", &late).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the rendered app: Namespace dest: metadata.annotations.argocd.argoproj.io/sync-wave: wave -7 is too late"),
            "{e}"
        );
    }

    #[test]
    fn image_overrides_cover_every_container_including_init_containers() {
        let app = App::new();
        let (_, pols) = app
            .build(
                "clusters: {names: [m1, m2]}\noverrides: [{clusters: [m2], image: {registry: mirror.example.com, tag: v2}}]\n",
                &format!("{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n"),
            )
            .unwrap();
        assert_eq!(
            kinds(&pols),
            [
                "PropagationPolicy shop",
                "OverridePolicy shop-deployment-web"
            ]
        );
        assert_eq!(
            pols[0]["spec"]["dependentOverrides"],
            json!(["shop-deployment-web"])
        );
        let rules = &pols[1]["spec"]["overrideRules"];
        assert_eq!(rules[0]["targetCluster"], json!({"clusterNames": ["m2"]}));
        let paths: Vec<(&str, &str)> = rules[0]["overriders"]["imageOverrider"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["predicate"]["path"].as_str().unwrap(),
                    o["component"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            paths,
            [
                ("/spec/template/spec/initContainers/0/image", "Registry"),
                ("/spec/template/spec/initContainers/0/image", "Tag"),
                ("/spec/template/spec/containers/0/image", "Registry"),
                ("/spec/template/spec/containers/0/image", "Tag"),
                ("/spec/template/spec/containers/1/image", "Registry"),
                ("/spec/template/spec/containers/1/image", "Tag"),
            ]
        );
        let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], containers: [proxy], image: {tag: v2}}]\n",
                WEB,
            )
            .unwrap();
        assert_eq!(
            pols[1]["spec"]["overrideRules"][0]["overriders"]["imageOverrider"],
            json!([{"predicate": {"path": "/spec/template/spec/containers/1/image"}, "component": "Tag", "operator": "replace", "value": "v2"}])
        );
        let e = app
            .build("clusters: {names: [m1]}\noverrides: [{clusters: [m1], containers: [nope], image: {tag: v2}}]\n", WEB)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].containers[0]: no selected workload has a container \"nope\""
        );
        let e = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], image: {tag: v2}}]\n",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].image: no selected object has containers"
        );
    }

    #[test]
    fn replicas_env_labels_command_and_patches() {
        let app = App::new();
        let placement = "clusters: {names: [m1, m2]}
overrides:
  - clusters: [m1]
    replicas: 5
    env: {MODE: b, EXTRA: x}
    labels: {tier: gold}
    annotations: {note: hi}
    command: {web: {add: [--verbose], remove: [--quiet]}}
    args: {proxy: [--level=debug]}
    patches:
      - target: {kind: Deployment}
        ops:
          - {op: replace, path: /spec/template/spec/containers/1/image, value: envoy:2}
          - {op: remove, path: /spec/template/spec/initContainers}
";
        let (_, pols) = app.build(placement, WEB).unwrap();
        let o = &pols[1]["spec"]["overrideRules"][0]["overriders"];
        assert_eq!(
            o["plaintext"],
            json!([
                {"path": "/spec/replicas", "operator": "replace", "value": 5},
                {"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "EXTRA", "value": "x"}},
                {"path": "/spec/template/spec/containers/0/env/0", "operator": "replace", "value": {"name": "MODE", "value": "b"}},
                {"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [{"name": "EXTRA", "value": "x"}, {"name": "MODE", "value": "b"}]},
                {"path": "/spec/template/spec/containers/1/image", "operator": "replace", "value": "envoy:2"},
                {"path": "/spec/template/spec/initContainers", "operator": "remove"},
            ])
        );
        assert_eq!(
            o["labelsOverrider"],
            json!([{"operator": "add", "value": {"tier": "gold"}}])
        );
        assert_eq!(
            o["annotationsOverrider"],
            json!([{"operator": "add", "value": {"note": "hi"}}])
        );
        assert_eq!(
            o["commandOverrider"],
            json!([
                {"containerName": "web", "operator": "add", "value": ["--verbose"]},
                {"containerName": "web", "operator": "remove", "value": ["--quiet"]}
            ])
        );
        assert_eq!(
            o["argsOverrider"],
            json!([{"containerName": "proxy", "operator": "add", "value": ["--level=debug"]}])
        );

        let bad = "clusters: {names: [m1]}\noverrides: [{clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: replace, path: /spec/nothing/here, value: 1}]}]}]\n";
        assert_eq!(
            app.build(bad, WEB).unwrap_err().to_string(),
            "karmada.yaml: overrides[0].patches[0].ops[0].path: replace /spec/nothing/here cannot be applied to apps/Deployment dest/web: the path does not exist"
        );
        let bad =
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], command: {sidecar: [x]}}]\n";
        assert_eq!(
            app.build(bad, WEB).unwrap_err().to_string(),
            "karmada.yaml: overrides[0].command.sidecar: no selected Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job has a container \"sidecar\""
        );
        let bad = "clusters: {names: [m1]}\noverrides: [{clusters: [m1], target: {kind: StatefulSet}, labels: {a: b}}]\n";
        assert_eq!(
            app.build(bad, WEB).unwrap_err().to_string(),
            "karmada.yaml: overrides[0].target: matches no object of the app that Karmada propagates"
        );
    }

    #[test]
    fn overlays_become_plaintext_ops_against_the_rendered_base() {
        let mut app = App::new();
        app.overlay(
            "overlays/m1",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  template:\n    spec:\n      initContainers: [{name: migrate, image: example.com/migrate:1}]\n      containers:\n        - {name: web, image: example.com/web:1, env: [{name: MODE, value: z}]}\n        - {name: proxy, image: envoy:1}\n",
        );
        app.overlay(
            "overlays/extra",
            &format!("{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: extra}}\n"),
        );
        let (_, pols) = app
            .build("clusters: {names: [m1, m2]}\noverrides: [{clusters: [m1], kustomize: overlays/m1}]\n", WEB)
            .unwrap();
        assert_eq!(
            pols[1]["spec"]["overrideRules"][0]["overriders"]["plaintext"],
            json!([
                {"path": "/spec/replicas", "operator": "replace", "value": 4},
                {"path": "/spec/template/spec/containers/0/env/0/value", "operator": "replace", "value": "z"},
            ])
        );
        let e = app
            .build("clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: overlays/extra}]\n", WEB)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].kustomize: overlays/extra renders ConfigMap dest/extra, which is not in the app (an overlay may only change objects of the base)"
        );
        let e = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: ../up}]\n",
                WEB,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].kustomize: \"../up\" is not a directory inside the repository"
        );
        let e = app
            .build("clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: overlays/none}]\n", WEB)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "karmada.yaml: overrides[0].kustomize: \"overlays/none\" is not a directory inside the repository"
        );
    }

    #[test]
    fn overrides_for_one_cluster_must_compose() {
        let app = App::new();
        let two_env = "clusters: {names: [m1, m2]}
overrides:
  - {clusters: [m1, m2], containers: [proxy], env: {A: '1'}}
  - {clusters: [m2], containers: [proxy], env: {B: '2'}}
";
        assert_eq!(
            app.build(two_env, WEB).unwrap_err().to_string(),
            "karmada.yaml: overrides[1]: changes /spec/template/spec/containers/1/env of apps/Deployment dest/web on cluster m2, which overrides[0] also changes (/spec/template/spec/containers/1/env); combine them into one entry"
        );
        // Appends to an existing list and disjoint clusters compose.
        let ok = "clusters: {names: [m1, m2]}
overrides:
  - {clusters: [m1, m2], containers: [web], env: {A: '1'}}
  - {clusters: [m2], containers: [web], env: {B: '2'}}
  - {clusters: [m1], containers: [proxy], env: {A: '1'}}
";
        let (_, pols) = app.build(ok, WEB).unwrap();
        assert_eq!(
            pols[1]["spec"]["overrideRules"].as_array().unwrap().len(),
            3
        );
        let removed = "clusters: {names: [m1]}
overrides:
  - {clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: remove, path: /spec/template/spec/initContainers}]}]}
  - {clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: replace, path: /spec/template/spec/initContainers/0/image, value: x}]}]}
";
        assert!(
            app.build(removed, WEB).unwrap_err().to_string().starts_with(
                "karmada.yaml: overrides[1]: changes /spec/template/spec/initContainers/0/image of apps/Deployment dest/web on cluster m1, which overrides[0] also changes"
            )
        );
    }

    #[test]
    fn objects_with_the_same_rules_share_one_override_policy() {
        let app = App::new();
        let objects = format!(
            "{WEB}---\n{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c1}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c2, namespace: other}}\n",
            WEB.replace("name: web}", "name: web2}")
        );
        let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], image: {tag: v2}, labels: {a: b}}]\n",
                &objects,
            )
            .unwrap();
        assert_eq!(
            kinds(&pols),
            [
                "PropagationPolicy shop",
                "PropagationPolicy shop",
                "OverridePolicy shop-deployment-web",
                "OverridePolicy shop-configmap-c1",
                "OverridePolicy shop-configmap-c2"
            ]
        );
        // Both Deployments have the same containers, so the same rules: one policy selects both.
        let names: Vec<&str> = pols[2]["spec"]["resourceSelectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["web", "web2"]);
        assert_eq!(
            pols[0]["spec"]["dependentOverrides"],
            json!(["shop-deployment-web", "shop-configmap-c1"])
        );
        assert_eq!(
            pols[1]["spec"]["dependentOverrides"],
            json!(["shop-configmap-c2"])
        );
    }

    #[test]
    fn override_policy_names_never_collide() {
        let app = App::new();
        let objects = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\n---\napiVersion: other.com/v1\nkind: Widget\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: Weird_Name}\n";
        let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides:\n- {clusters: [m1], target: {apiVersion: example.com/v1}, labels: {a: b}}\n- {clusters: [m1], target: {apiVersion: other.com/v1}, labels: {a: c}}\n- {clusters: [m1], target: {kind: ConfigMap}, labels: {a: d}}\n",
                objects,
            )
            .unwrap();
        let names: Vec<&str> = pols[1..]
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 3);
        assert_eq!(names[0], "shop-widget-a");
        assert!(names[1].starts_with("shop-widget-a-"), "{names:?}");
        assert_eq!(names[1].len(), "shop-widget-a-".len() + 8, "{names:?}");
        assert!(
            names[2].starts_with("shop-configmap-weird-name-"),
            "{names:?}"
        );
        let unique: BTreeSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), 3);
    }

    #[test]
    fn placement_features_reach_the_policy() {
        let app = App::new();
        let placement = "clusters:
  exclude: [m9]
  groups:
    - {name: primary, names: [m1, m2]}
    - {name: backup, selector: {matchLabels: {tier: backup}}, region: {notIn: [us]}}
replicas: {mode: Divided, dynamic: AvailableReplicas}
spread: [{by: cluster, min: 1, max: 2}, {by: region}]
failover: {application: {tolerationSeconds: 30}, cluster: {purgeMode: Directly}}
conflictResolution: Overwrite
priority: 7
preemption: Always
suspension: {dispatching: true}
preserveResourcesOnDeletion: false
tolerations: [{key: k, operator: Equal, value: v, effect: NoSchedule}]
";
        let (_, pols) = app.build(placement, WEB).unwrap();
        let spec = &pols[0]["spec"];
        assert_eq!(
            spec["placement"],
            json!({
                "clusterAffinities": [
                    {"affinityName": "primary", "clusterNames": ["m1", "m2"], "exclude": ["m9"]},
                    {"affinityName": "backup", "labelSelector": {"matchLabels": {"tier": "backup"}},
                     "fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["us"]}]},
                     "exclude": ["m9"]}
                ],
                "clusterTolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}],
                "spreadConstraints": [
                    {"spreadByField": "cluster", "maxGroups": 2, "minGroups": 1},
                    {"spreadByField": "region", "minGroups": 1}
                ],
                "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                      "weightPreference": {"dynamicWeight": "AvailableReplicas"}}
            })
        );
        assert_eq!(
            spec["failover"],
            json!({
                "application": {"decisionConditions": {"tolerationSeconds": 30}, "purgeMode": "Gracefully", "gracePeriodSeconds": 600},
                "cluster": {"purgeMode": "Directly"}
            })
        );
        assert_eq!(spec["conflictResolution"], "Overwrite");
        assert_eq!(spec["priority"], 7);
        assert_eq!(spec["preemption"], "Always");
        assert_eq!(spec["suspension"], json!({"dispatching": true}));
        assert_eq!(spec["preserveResourcesOnDeletion"], false);
        let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\npropagateDeps: false\nreplicas: {mode: Aggregated}\n",
                WEB,
            )
            .unwrap();
        assert!(pols[0]["spec"].get("propagateDeps").is_none());
        assert_eq!(
            pols[0]["spec"]["placement"]["replicaScheduling"],
            json!({"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"})
        );
    }

    #[test]
    fn karmada_objects_and_missing_fields() {
        let app = App::new();
        let e = app
            .build(
                "clusters: {names: [m1]}\n",
                "apiVersion: v1\nmetadata: {name: x}\n",
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "the rendered app: object #1: missing kind");
        // Only control-plane objects: nothing to propagate, no policy.
        let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\n",
                "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterOverridePolicy\nmetadata: {name: x}\nspec: {}\n",
            )
            .unwrap();
        assert!(pols.is_empty());
    }
}
