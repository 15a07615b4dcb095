//! Building PropagationPolicy / OverridePolicy (and their Cluster variants) for the app's objects.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

mod spec;
mod waves;

use super::api::RuleWithCluster;
use super::naming;
use super::overrides::Rules;
use super::placement::Placement;
use super::scope::{self, Scopes};
use super::{Inputs, OverlayRenderer};
pub(crate) use spec::cluster_names;
use spec::{override_policy, propagation_policy};
use waves::Waves;

pub use super::api::POLICY_API_VERSION;
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
    app: Inputs<'_>,
    placement: &Placement,
    objects: &mut Vec<Value>,
    overlay: OverlayRenderer<'_>,
) -> Result<Vec<Value>> {
    let scopes = Scopes::from_objects(objects);
    let normalize_at = |objs: &mut Vec<Value>, at: &dyn Fn(usize) -> String| {
        let mut items = normalize(app.namespace, &scopes, objs, at)?;
        drop_scaled_replicas(objs, &mut items);
        Ok(items)
    };
    // Overlay objects are named by position; the app's own by where they were rendered from.
    let normalize = |objs: &mut Vec<Value>, origin: &str| -> Result<Vec<Item>> {
        normalize_at(objs, &|i| format!("{origin}: object #{}", i + 1))
    };
    let items = normalize_at(objects, &|i| match app.origins.get(i) {
        Some(at) => at.clone(),
        None => format!("the rendered app: object #{}", i + 1),
    })?;
    let rules = super::overrides::rules(placement, objects, &items, &normalize, overlay)?;

    let app = app.app_name;
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
        propagation.push(to_value(propagation_policy(
            app,
            None,
            &cluster_items,
            &deps,
            placement,
            &waves.propagation,
        ))?);
    }
    for ns in &namespaces {
        let ns_items: Vec<&Item> = items
            .iter()
            .filter(|it| it.propagated && it.namespace.as_deref() == Some(*ns))
            .collect();
        let deps = dependent_overrides(&ns_items, &policy_of);
        propagation.push(to_value(propagation_policy(
            app,
            Some(ns),
            &ns_items,
            &deps,
            placement,
            &waves.propagation,
        ))?);
    }
    // Cluster-scoped overrides first, then namespaced ones, each in object order.
    let mut ordered: Vec<&Vec<usize>> = groups.iter().collect();
    ordered.sort_by_key(|g| (items[g[0]].namespace.is_some(), g[0]));
    for group in ordered {
        let members: Vec<&Item> = group.iter().map(|i| &items[*i]).collect();
        let group_rules: Vec<&RuleWithCluster> = rules
            .ids_of(group[0])
            .into_iter()
            .map(|id| &rules.unique[id])
            .collect();
        overrides.push(to_value(override_policy(
            &override_names[&group[0]],
            &members,
            &group_rules,
            &waves.overrides,
        ))?);
    }
    waves.mark_namespaces(objects, &items);
    propagation.extend(overrides);
    Ok(propagation)
}

/// A typed Karmada object as the JSON we emit.
fn to_value(obj: impl serde::Serialize) -> Result<Value> {
    Ok(serde_json::to_value(obj)?)
}

/// Checks identity fields, fills the destination namespace, clears namespaces of cluster-scoped
/// objects and rejects duplicates: the one place that decides object identity (group, kind,
/// namespace as Argo CD applies it, name), since only here is every object's scope known.
/// `at(i)` names object `i` in messages.
fn normalize(
    destination: &str,
    scopes: &Scopes,
    objects: &mut [Value],
    at: &dyn Fn(usize) -> String,
) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = Vec::with_capacity(objects.len());
    let mut seen: BTreeMap<ObjectKey, usize> = BTreeMap::new();
    for (index, obj) in objects.iter_mut().enumerate() {
        let text = |v: &Value, field: &str| -> Result<String> {
            match crate::yaml::pointer(v, field).and_then(Value::as_str) {
                Some(s) if !s.is_empty() => Ok(s.to_string()),
                _ => bail!(
                    "{}: missing {}",
                    at(index),
                    field.trim_start_matches('/').replace('/', ".")
                ),
            }
        };
        let api_version = text(obj, "/apiVersion")?;
        if crate::kube::api_group(&api_version).is_none() {
            bail!(
                "{}: apiVersion: \"{api_version}\" is not a valid apiVersion (`group/version` or `version`)",
                at(index)
            );
        }
        let kind = text(obj, "/kind")?;
        let name = text(obj, "/metadata/name")?;
        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
            bail!("{}: metadata must be a mapping", at(index));
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
                    if destination.is_empty() {
                        bail!(
                            "{}: {kind} {name} has no namespace and the destination namespace is unknown; set the Application's destination namespace (ARGOCD_APP_NAMESPACE)",
                            at(index)
                        );
                    }
                    insert_after_name(meta, json!(destination));
                    Some(destination.to_string())
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
            let versions = if prev.api_version == item.api_version {
                String::new()
            } else {
                format!(" as {}, here as {}", prev.api_version, item.api_version)
            };
            bail!(
                "{}: duplicate object {} (first in {}{versions})",
                at(index),
                item.key().display(),
                at(first),
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

#[cfg(test)]
mod tests;
