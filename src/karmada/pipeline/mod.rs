//! Karmada's pipeline, offline: from templates and policies to what each member cluster receives.
//!
//! For each template: the detector's claim (`claim`), cluster selection (`selection`), replica
//! assignment (`division`), then per cluster ReviseReplica, the (Cluster)OverridePolicies
//! (`overridemanager`) and the pruning before the Work is written (`revise`), in the order of
//! `pkg/controllers/binding/common.go` `ensureWork`.

pub mod claim;
pub mod division;
pub mod revise;
pub mod selection;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::api::{
    Cluster, ClusterSpec, Object, ObjectMeta, OverridePolicy, POLICY_API_VERSION,
    PropagationPolicy, ReplicaDivisionPreference, ReplicaSchedulingType, ResourceSelector,
};
use super::overridemanager;
use claim::ImplicitPriority;
use division::TieBreak;

/// Knobs for what Karmada cannot tell us offline.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The templates' UID, which breaks Webster ties; without it a tie shows both outcomes.
    pub uid: Option<String>,
    /// The scheduler's `--enable-empty-workload-propagation`.
    pub empty_workload_propagation: bool,
    /// Keep the labels and annotations Karmada adds.
    pub karmada_metadata: bool,
    /// Replicas per cluster for divisions that need live capacity (dynamic weights, Aggregated).
    pub replicas: BTreeMap<String, i32>,
}

/// A stream split into templates and Karmada policies.
#[derive(Debug, Default)]
pub struct Input {
    pub templates: Vec<Value>,
    pub propagation: Vec<PropagationPolicy>,
    pub cluster_propagation: Vec<PropagationPolicy>,
    pub overrides: Vec<OverridePolicy>,
    pub cluster_overrides: Vec<OverridePolicy>,
    /// Each list's selectors, indexed (same positions as the lists).
    index: [claim::PolicyIndex; 4],
}

impl Input {
    /// Splits `docs`; policies must parse as Karmada's types (`origin` names the stream).
    pub fn from_stream(docs: Vec<Value>, origin: &str) -> Result<Input> {
        let mut input = Input::default();
        for (i, doc) in docs.into_iter().enumerate() {
            if !input.add_policy(&doc, origin, i)? {
                input.templates.push(doc);
            }
        }
        input.index_policies();
        Ok(input)
    }

    /// The policies among `docs`, without templates: no copy of the stream.
    pub fn policies_of(docs: &[Value], origin: &str) -> Result<Input> {
        let mut input = Input::default();
        for (i, doc) in docs.iter().enumerate() {
            input.add_policy(doc, origin, i)?;
        }
        input.index_policies();
        Ok(input)
    }

    /// Adds document `i` if it is a Karmada policy (false: a template).
    fn add_policy(&mut self, doc: &Value, origin: &str, i: usize) -> Result<bool> {
        if doc.get("apiVersion").and_then(Value::as_str) != Some(POLICY_API_VERSION) {
            return Ok(false);
        }
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        // Read in place: the stream is not copied.
        fn read<T: serde::de::DeserializeOwned>(doc: &Value) -> serde_json::Result<T> {
            T::deserialize(doc)
        }
        let what =
            |e: serde_json::Error| anyhow::anyhow!("{origin}: document #{}: {kind}: {e}", i + 1);
        match kind {
            "PropagationPolicy" => self.propagation.push(read(doc).map_err(what)?),
            "ClusterPropagationPolicy" => self.cluster_propagation.push(read(doc).map_err(what)?),
            "OverridePolicy" => self.overrides.push(read(doc).map_err(what)?),
            "ClusterOverridePolicy" => self.cluster_overrides.push(read(doc).map_err(what)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn index_policies(&mut self) {
        let input = self;
        // The PropagationPolicy webhook fills empty selector namespaces with the policy's.
        for p in &mut input.propagation {
            let ns = p.metadata.namespace.clone();
            for s in &mut p.spec.resource_selectors {
                if s.namespace.is_empty() {
                    s.namespace = ns.clone();
                }
            }
        }
        for p in &mut input.overrides {
            let ns = p.metadata.namespace.clone();
            for s in &mut p.spec.resource_selectors {
                if s.namespace.is_empty() {
                    s.namespace = ns.clone();
                }
            }
        }
        fn pp(p: &PropagationPolicy) -> &[ResourceSelector] {
            &p.spec.resource_selectors
        }
        fn op(p: &OverridePolicy) -> &[ResourceSelector] {
            &p.spec.resource_selectors
        }
        input.index = [
            claim::PolicyIndex::new(input.propagation.iter().map(pp)),
            claim::PolicyIndex::new(input.cluster_propagation.iter().map(pp)),
            claim::PolicyIndex::new(input.overrides.iter().map(op)),
            claim::PolicyIndex::new(input.cluster_overrides.iter().map(op)),
        ];
    }

    /// Every cluster name the policies mention, for an inventory of name-only clusters.
    pub fn named_clusters(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        let mut affinity = |a: &super::api::ClusterAffinity| {
            names.extend(a.cluster_names.iter().cloned());
            names.extend(a.exclude_clusters.iter().cloned());
        };
        for p in self.propagation.iter().chain(&self.cluster_propagation) {
            let pl = &p.spec.placement;
            pl.cluster_affinity.iter().for_each(&mut affinity);
            pl.cluster_affinities
                .iter()
                .for_each(|t| affinity(&t.affinity));
            if let Some(w) = pl
                .replica_scheduling
                .as_ref()
                .and_then(|r| r.weight_preference.as_ref())
            {
                w.static_weight_list
                    .iter()
                    .for_each(|s| affinity(&s.target_cluster));
            }
        }
        for o in self.overrides.iter().chain(&self.cluster_overrides) {
            o.spec.target_cluster.iter().for_each(&mut affinity);
            o.spec
                .override_rules
                .iter()
                .filter_map(|r| r.target_cluster.as_ref())
                .for_each(&mut affinity);
        }
        names.into_iter().collect()
    }
}

/// Clusters that are known only by name.
pub fn clusters_named(names: &[String]) -> Vec<Cluster> {
    names
        .iter()
        .map(|n| Object {
            api_version: super::api::CLUSTER_API_VERSION.into(),
            kind: "Cluster".into(),
            metadata: ObjectMeta {
                name: n.clone(),
                ..ObjectMeta::default()
            },
            spec: ClusterSpec::default(),
            status: None,
        })
        .collect()
}

/// Reads a cluster inventory: `kubectl get clusters -o yaml` (a List) or a stream of Clusters.
pub fn parse_clusters(docs: Vec<Value>, origin: &str) -> Result<Vec<Cluster>> {
    let mut out: Vec<Cluster> = Vec::new();
    let mut items = Vec::new();
    for d in docs {
        match d.get("items").and_then(Value::as_array) {
            Some(list) => items.extend(list.iter().cloned()),
            None => items.push(d),
        }
    }
    for (i, d) in items.into_iter().enumerate() {
        if d.get("kind").and_then(Value::as_str) != Some("Cluster") {
            bail!("{origin}: item #{}: kind: expected Cluster", i + 1);
        }
        let c: Cluster = serde_json::from_value(d)
            .map_err(|e| anyhow::anyhow!("{origin}: item #{}: {e}", i + 1))?;
        if c.metadata.name.is_empty() {
            bail!("{origin}: item #{}: metadata.name: missing", i + 1);
        }
        if out.iter().any(|o| o.metadata.name == c.metadata.name) {
            bail!(
                "{origin}: item #{}: cluster {} is listed twice",
                i + 1,
                c.metadata.name
            );
        }
        out.push(c);
    }
    Ok(out)
}

/// What one cluster gets of one template.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered(Delivered),
    /// Not delivered, and why.
    Not(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub object: Value,
    /// Assigned replicas, for workloads.
    pub replicas: Option<i32>,
    /// The replicas this cluster gets when a Webster tie is broken the other way (unknown UID).
    pub tie: Option<i32>,
}

/// One template's fate on every cluster of the inventory.
#[derive(Debug, Clone)]
pub struct TemplateResult {
    /// `apps/v1 Deployment default/web`.
    pub key: String,
    pub template: Value,
    /// `PropagationPolicy default/app`, when one claims it.
    pub policy: Option<String>,
    pub per_cluster: BTreeMap<String, Outcome>,
    /// Things the simulation could not decide offline, or that surprise users.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub struct Simulation {
    /// The inventory's clusters, in its order.
    pub clusters: Vec<String>,
    pub templates: Vec<TemplateResult>,
}

pub fn key_of(obj: &Value) -> String {
    let t = |p: &str| {
        crate::yaml::pointer(obj, p)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let ns = t("/metadata/namespace");
    let name = if ns.is_empty() {
        t("/metadata/name").to_string()
    } else {
        format!("{ns}/{}", t("/metadata/name"))
    };
    format!("{} {} {name}", t("/apiVersion"), t("/kind"))
}

/// Runs the pipeline for every template on every cluster.
pub fn simulate(input: &Input, clusters: &[Cluster], opts: &Options) -> Simulation {
    // Templates are independent: simulate them on a few threads, in order.
    let templates = crate::parallel::map(&input.templates, |t| {
        template(input, clusters, opts, t, true)
    });
    Simulation {
        clusters: clusters.iter().map(|c| c.metadata.name.clone()).collect(),
        templates,
    }
}

fn all(clusters: &[Cluster], reason: &str) -> BTreeMap<String, Outcome> {
    clusters
        .iter()
        .map(|c| (c.metadata.name.clone(), Outcome::Not(reason.to_string())))
        .collect()
}

/// The claiming policy: the namespace's PropagationPolicies first, then ClusterPropagationPolicies.
fn claim<'a>(input: &'a Input, obj: &Value) -> Option<(&'a PropagationPolicy, bool)> {
    let ns = crate::yaml::pointer(obj, "/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let candidates = |policies: &'a [PropagationPolicy], index: &claim::PolicyIndex| {
        let matching = index.matching(obj);
        let selected = matching.into_iter().map(|(i, prio)| (&policies[i], prio));
        selected.collect::<Vec<_>>()
    };
    if !ns.is_empty() {
        let pps = candidates(&input.propagation, &input.index[0]);
        let own = pps.into_iter().filter(|(p, _)| p.metadata.namespace == ns);
        if let Some(p) = claim::highest(own) {
            return Some((p, false));
        }
    }
    let cpps = candidates(&input.cluster_propagation, &input.index[1]);
    claim::highest(cpps).map(|p| (p, true))
}

/// Scheduling only (no member copies): each distinct warning once, with the objects it concerns.
pub fn schedule_warnings(input: &Input, clusters: &[Cluster], opts: &Options) -> Vec<String> {
    warnings_for(input, input.templates.iter(), clusters, opts)
}

fn warnings_for<'a>(
    input: &Input,
    templates: impl Iterator<Item = &'a Value>,
    clusters: &[Cluster],
    opts: &Options,
) -> Vec<String> {
    let mut by_text: Vec<(String, Vec<String>)> = Vec::new();
    for t in templates {
        let r = template(input, clusters, opts, t, false);
        for w in r.warnings {
            match by_text.iter_mut().find(|(text, _)| *text == w) {
                Some((_, keys)) => keys.push(r.key.clone()),
                None => by_text.push((w, vec![r.key.clone()])),
            }
        }
    }
    by_text
        .into_iter()
        .map(|(text, keys)| match keys.len() {
            1 => format!("{}: {text}", keys[0]),
            n => format!("{} (and {} more objects): {text}", keys[0], n - 1),
        })
        .collect()
}

/// What `generate` warns about in its own output: overrides for clusters Divided leaves without
/// replicas, and 0-replica workloads that go nowhere. Only workloads are scheduled.
pub fn generate_warnings(docs: &[Value]) -> Vec<String> {
    let is_policy =
        |d: &Value| d.get("apiVersion").and_then(Value::as_str) == Some(POLICY_API_VERSION);
    let Ok(input) = Input::policies_of(docs, "the generated stream") else {
        return Vec::new(); // our own policies always parse (tested)
    };
    let workloads = docs
        .iter()
        .filter(|d| !is_policy(d) && revise::workload_replicas(d).is_some());
    let clusters = clusters_named(&input.named_clusters());
    warnings_for(&input, workloads, &clusters, &Options::default())
}

/// The first of a template's override policies that names `cluster` in a rule.
fn override_naming(overrides: &[(&'static str, &OverridePolicy)], cluster: &str) -> Option<String> {
    overrides
        .iter()
        .find(|(_, p)| {
            p.spec
                .override_rules
                .iter()
                .filter_map(|r| r.target_cluster.as_ref())
                .chain(&p.spec.target_cluster)
                .any(|t| t.cluster_names.iter().any(|n| n == cluster))
        })
        .map(|(kind, p)| format!("{kind} {}", p.metadata.name))
}

fn template(
    input: &Input,
    clusters: &[Cluster],
    opts: &Options,
    obj: &Value,
    deliver_copies: bool,
) -> TemplateResult {
    let mut result = TemplateResult {
        key: key_of(obj),
        // Only delivered copies are compared with it; warnings passes skip the copy.
        template: if deliver_copies {
            obj.clone()
        } else {
            Value::Null
        },
        policy: None,
        per_cluster: BTreeMap::new(),
        warnings: Vec::new(),
    };
    if let Some(reason) = claim::skipped(obj) {
        result.per_cluster = all(clusters, &reason);
        return result;
    }
    let Some((policy, cluster_scoped)) = claim(input, obj) else {
        result.per_cluster = all(
            clusters,
            "no PropagationPolicy or ClusterPropagationPolicy selects it",
        );
        return result;
    };
    let policy_name = if cluster_scoped {
        format!("ClusterPropagationPolicy {}", policy.metadata.name)
    } else {
        format!(
            "PropagationPolicy {}/{}",
            policy.metadata.namespace, policy.metadata.name
        )
    };
    result.policy = Some(policy_name.clone());
    let placement = &policy.spec.placement;
    if !placement.spread_constraints.is_empty() {
        result.warnings.push(
            "spread constraints pick clusters by live scores; the preview assumes every selected cluster is kept"
                .into(),
        );
    }
    let selection = selection::select(placement, clusters);
    if let Some(term) = placement
        .cluster_affinities
        .iter()
        .find(|t| Some(&t.affinity_name) == selection.affinity_name.as_ref())
        .filter(|t| !t.overflow_affinities.is_empty())
    {
        // The scheduler spills into overflow groups only when the primary group lacks capacity.
        let groups: Vec<&str> = term
            .overflow_affinities
            .iter()
            .map(|o| o.affinity_name.as_str())
            .collect();
        result.warnings.push(format!(
            "clusterAffinities term {} has overflow groups ({}) that Karmada adds only when its clusters run out of capacity (live state); the preview shows the primary group's clusters",
            term.affinity_name,
            groups.join(", ")
        ));
    }
    for (name, why) in &selection.rejected {
        result
            .per_cluster
            .insert(name.clone(), Outcome::Not(format!("{why} ({policy_name})")));
    }
    let assigned = match assign(
        placement,
        obj,
        &selection.selected,
        opts,
        &mut result.warnings,
    ) {
        Ok(a) => a,
        Err(why) => {
            for c in &selection.selected {
                result
                    .per_cluster
                    .insert(c.metadata.name.clone(), Outcome::Not(why.clone()));
            }
            return result;
        }
    };
    let zero_workload = revise::workload_replicas(obj).is_some_and(|(n, _)| n == 0);
    if zero_workload && assigned.iter().all(|a| a.replicas.is_err()) {
        result.warnings.push(
            "a workload with 0 replicas is delivered nowhere (Karmada's scheduler runs without --enable-empty-workload-propagation)".into(),
        );
    }
    let overrides = matching_overrides(input, obj);
    // Overrides for clusters Divided leaves without replicas never apply: one line per policy.
    let mut moot: Vec<(String, Vec<&str>)> = Vec::new();
    for a in assigned
        .iter()
        .filter(|a| a.replicas.is_err() && !zero_workload)
    {
        if let Some(op) = override_naming(&overrides, &a.cluster) {
            match moot.iter_mut().find(|(o, _)| *o == op) {
                Some((_, cs)) => cs.push(&a.cluster),
                None => moot.push((op, vec![&a.cluster])),
            }
        }
    }
    let total = revise::workload_replicas(obj).map_or(0, |(n, _)| n);
    for (op, cs) in moot {
        let (word, them) = if cs.len() == 1 {
            ("cluster", "it")
        } else {
            ("clusters", "them")
        };
        result.warnings.push(format!(
            "{op} overrides it on {word} {}, but Divided gives {them} 0 of {total} replicas, so Karmada writes no Work there: the override never applies",
            cs.join(", ")
        ));
    }
    if !deliver_copies {
        return result;
    }
    let divided_job = placement
        .replica_scheduling
        .as_ref()
        .is_some_and(|r| r.replica_scheduling_type == Some(ReplicaSchedulingType::Divided));
    let completions = job_completions(obj, &assigned, divided_job, opts);
    for c in &selection.selected {
        let name = &c.metadata.name;
        let Some(a) = assigned.iter().find(|a| &a.cluster == name) else {
            continue;
        };
        let outcome = match &a.replicas {
            Err(why) => Outcome::Not(why.clone()),
            Ok(replicas) => deliver(
                &overrides,
                obj,
                c,
                policy,
                cluster_scoped,
                *replicas,
                completions.get(name).copied(),
                opts,
            )
            .map_or_else(Outcome::Not, |object| {
                Outcome::Delivered(Delivered {
                    object,
                    replicas: *replicas,
                    tie: a.tie,
                })
            }),
        };
        result.per_cluster.insert(name.clone(), outcome);
    }
    result
}

/// One selected cluster's share.
struct Assigned {
    cluster: String,
    /// Replicas (None for non-workloads), or why the cluster gets nothing.
    replicas: std::result::Result<Option<i32>, String>,
    /// The share if a tie were broken the other way.
    tie: Option<i32>,
}

/// `AssignReplicas` (`pkg/scheduler/core/common.go`) then `removeZeroReplicasCluster` or, with
/// empty-workload propagation, `attachZeroReplicasCluster`.
fn assign(
    placement: &super::api::Placement,
    obj: &Value,
    selected: &[&Cluster],
    opts: &Options,
    warnings: &mut Vec<String>,
) -> std::result::Result<Vec<Assigned>, String> {
    if selected.is_empty() {
        return Err("no cluster fits the placement".into());
    }
    let names: Vec<&str> = selected.iter().map(|c| c.metadata.name.as_str()).collect();
    let workload = revise::workload_replicas(obj).filter(|(n, req)| *n > 0 || *req);
    let Some((total, _)) = workload else {
        // Non-workloads go to every selected cluster.
        return Ok(names
            .iter()
            .map(|n| Assigned {
                cluster: n.to_string(),
                replicas: Ok(None),
                tie: None,
            })
            .collect());
    };
    let strategy = placement.replica_scheduling.as_ref();
    let divided =
        strategy.is_some_and(|s| s.replica_scheduling_type == Some(ReplicaSchedulingType::Divided));
    let shares: Vec<(String, i32, Option<i32>)> = if !divided {
        names.iter().map(|n| (n.to_string(), total, None)).collect()
    } else {
        let s = strategy.cloned().unwrap_or_default();
        let dynamic = s.replica_division_preference == Some(ReplicaDivisionPreference::Aggregated)
            || s.weight_preference
                .as_ref()
                .is_some_and(|w| w.dynamic_weight.is_some());
        if dynamic {
            if opts.replicas.is_empty() {
                return Err(
                    "Divided by live capacity (dynamic weights or Aggregated): the share depends on each cluster's free resources; pass --replicas CLUSTER=N,...".into(),
                );
            }
            warnings.push("replicas per cluster taken from --replicas".into());
            names
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        opts.replicas.get(*n).copied().unwrap_or(0),
                        None,
                    )
                })
                .collect()
        } else {
            let rules = s
                .weight_preference
                .map(|w| w.static_weight_list)
                .unwrap_or_default();
            let weight_of = |name: &str| {
                let c = selected.iter().find(|c| c.metadata.name == name);
                rules
                    .iter()
                    .filter(|r| c.is_some_and(|c| selection::cluster_matches(c, &r.target_cluster)))
                    .map(|r| r.weight)
                    .max()
                    .unwrap_or(if rules.is_empty() { 1 } else { 0 })
            };
            // Once per template, not once per tie-break order.
            let weights: Vec<(&str, i64)> = names.iter().map(|n| (*n, weight_of(n))).collect();
            let weight_of = |name: &str| {
                let found = weights.iter().find(|(n, _)| *n == name);
                found.map_or(0, |(_, w)| *w)
            };
            let run = |tie| division::static_weights(total, &names, weight_of, tie);
            match opts.uid.as_deref() {
                Some(uid) => run(TieBreak::for_uid(uid))
                    .into_iter()
                    .map(|(n, r)| (n, r, None))
                    .collect(),
                None => {
                    let asc = run(TieBreak::Ascending);
                    let desc = run(TieBreak::Descending);
                    if asc != desc {
                        warnings.push(
                            "replicas tie between clusters: Karmada breaks it by the template's UID (pass --uid); both outcomes are shown".into(),
                        );
                    }
                    asc.into_iter()
                        .map(|(n, r)| {
                            let other = desc.iter().find(|(d, _)| *d == n).map(|(_, x)| *x);
                            let tie = other.filter(|o| *o != r);
                            (n, r, tie)
                        })
                        .collect()
                }
            }
        }
    };
    Ok(names
        .iter()
        .map(|n| {
            let (replicas, tie) = shares
                .iter()
                .find(|(s, _, _)| s == n)
                .map(|(_, r, t)| (*r, *t))
                .unwrap_or((0, None));
            let replicas = if replicas > 0 || opts.empty_workload_propagation || tie.is_some_and(|t| t > 0) {
                Ok(Some(replicas))
            } else if total == 0 {
                Err("a workload with 0 replicas is delivered nowhere (Karmada's scheduler runs without --enable-empty-workload-propagation)".to_string())
            } else {
                Err(format!(
                    "Divided gives it 0 of {total} replicas, so Karmada writes no Work for it"
                ))
            };
            Assigned {
                cluster: n.to_string(),
                replicas,
                tie,
            }
        })
        .collect())
}

/// `divideReplicasByJobCompletions`: a Divided Job's `completions` split like its replicas.
fn job_completions(
    obj: &Value,
    assigned: &[Assigned],
    divided: bool,
    opts: &Options,
) -> BTreeMap<String, i32> {
    let is_job =
        obj.get("apiVersion") == Some(&json!("batch/v1")) && obj.get("kind") == Some(&json!("Job"));
    let Some(completions) = crate::yaml::pointer(obj, "/spec/completions").and_then(Value::as_i64)
    else {
        return BTreeMap::new();
    };
    if !is_job || !divided {
        return BTreeMap::new();
    }
    let votes: Vec<(&str, i64)> = assigned
        .iter()
        .filter_map(|a| Some((a.cluster.as_str(), i64::from(a.replicas.clone().ok()??))))
        .collect();
    let tie = TieBreak::for_uid(opts.uid.as_deref().unwrap_or(""));
    division::webster(i32::try_from(completions).unwrap_or(i32::MAX), &votes, tie)
        .into_iter()
        .collect()
}

const CLAIM_KEYS: &[&str] = &[
    "propagationpolicy.karmada.io/permanent-id",
    "propagationpolicy.karmada.io/name",
    "propagationpolicy.karmada.io/namespace",
    "clusterpropagationpolicy.karmada.io/permanent-id",
    "clusterpropagationpolicy.karmada.io/name",
    "resourcebinding.karmada.io/permanent-id",
    "resourcebinding.karmada.io/name",
    "resourcebinding.karmada.io/namespace",
    "clusterresourcebinding.karmada.io/permanent-id",
    "clusterresourcebinding.karmada.io/name",
];

/// Stands in for the UUIDs Karmada generates.
const PERMANENT_ID: &str = "<permanent-id>";

fn set_meta(obj: &mut Value, map: &str, key: &str, value: &str) {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let m = meta.entry(map).or_insert_with(|| json!({}));
    if !m.is_object() {
        *m = json!({});
    }
    if let Some(m) = m.as_object_mut() {
        m.insert(key.into(), json!(value));
    }
}

/// `ensureWork` for one cluster: claim metadata (`pkg/detector/claim.go`), ReviseReplica, Job
/// completions, overrides, binding metadata, pruning.
#[allow(clippy::too_many_arguments)]
fn deliver(
    overrides: &[(&'static str, &OverridePolicy)],
    template: &Value,
    cluster: &Cluster,
    policy: &PropagationPolicy,
    cluster_scoped: bool,
    replicas: Option<i32>,
    completions: Option<i32>,
    opts: &Options,
) -> std::result::Result<Value, String> {
    let mut obj = template.clone();
    if cluster_scoped {
        set_meta(
            &mut obj,
            "labels",
            "clusterpropagationpolicy.karmada.io/permanent-id",
            PERMANENT_ID,
        );
        set_meta(
            &mut obj,
            "annotations",
            "clusterpropagationpolicy.karmada.io/name",
            &policy.metadata.name,
        );
    } else {
        set_meta(
            &mut obj,
            "labels",
            "propagationpolicy.karmada.io/permanent-id",
            PERMANENT_ID,
        );
        set_meta(
            &mut obj,
            "annotations",
            "propagationpolicy.karmada.io/name",
            &policy.metadata.name,
        );
        set_meta(
            &mut obj,
            "annotations",
            "propagationpolicy.karmada.io/namespace",
            &policy.metadata.namespace,
        );
    }
    if let Some(n) = replicas {
        revise::revise_replicas(&mut obj, n);
    }
    if let Some(c) = completions
        && let Some(slot) = obj.pointer_mut("/spec/completions")
    {
        *slot = json!(c);
    }
    apply_overrides(overrides, &mut obj, cluster)?;
    let ns = crate::yaml::pointer(&obj, "/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = crate::yaml::pointer(&obj, "/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let binding = format!("{name}-{kind}").to_lowercase().replace(':', ".");
    if ns.is_empty() {
        set_meta(
            &mut obj,
            "labels",
            "clusterresourcebinding.karmada.io/permanent-id",
            PERMANENT_ID,
        );
        set_meta(
            &mut obj,
            "annotations",
            "clusterresourcebinding.karmada.io/name",
            &binding,
        );
    } else {
        set_meta(
            &mut obj,
            "labels",
            "resourcebinding.karmada.io/permanent-id",
            PERMANENT_ID,
        );
        set_meta(
            &mut obj,
            "annotations",
            "resourcebinding.karmada.io/name",
            &binding,
        );
        set_meta(
            &mut obj,
            "annotations",
            "resourcebinding.karmada.io/namespace",
            &ns,
        );
    }
    revise::prune(&mut obj);
    if !opts.karmada_metadata {
        strip_karmada_metadata(&mut obj, template);
    }
    Ok(obj)
}

/// Removes the keys Karmada added (and the maps it created) so the copy compares with the template.
fn strip_karmada_metadata(obj: &mut Value, template: &Value) {
    for map in ["labels", "annotations"] {
        let had_map = crate::yaml::pointer(template, &format!("/metadata/{map}")).is_some();
        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
            return;
        };
        if let Some(m) = meta.get_mut(map).and_then(Value::as_object_mut) {
            for k in CLAIM_KEYS {
                m.remove(*k);
            }
            if m.is_empty() && !had_map {
                meta.remove(map);
            }
        }
    }
}

/// The override policies that select a template, in the order Karmada applies them
/// (`ApplyOverridePolicies`, `getOverridersFromOverridePolicies`): every matching
/// ClusterOverridePolicy, then the namespace's OverridePolicies, each list by implicit priority
/// then name.
fn matching_overrides<'a>(
    input: &'a Input,
    obj: &Value,
) -> Vec<(&'static str, &'a OverridePolicy)> {
    let ns = crate::yaml::pointer(obj, "/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let lists = [
        (
            "ClusterOverridePolicy",
            &input.cluster_overrides,
            &input.index[3],
        ),
        ("OverridePolicy", &input.overrides, &input.index[2]),
    ];
    let mut out = Vec::new();
    for (kind, policies, index) in lists {
        let own = |p: &OverridePolicy| {
            kind == "ClusterOverridePolicy" || (!ns.is_empty() && p.metadata.namespace == ns)
        };
        let selecting = index.matching(obj).into_iter();
        let match_all = index
            .empty()
            .iter()
            .map(|i| (*i, ImplicitPriority::MatchAll));
        let mut matching: Vec<(ImplicitPriority, &str, usize)> = selecting
            .chain(match_all)
            .filter(|(i, _)| own(&policies[*i]))
            .map(|(i, prio)| (prio, policies[i].metadata.name.as_str(), i))
            .collect();
        // Karmada sorts by implicit priority, then name (`pkg/util/overridemanager`).
        matching.sort();
        out.extend(matching.into_iter().map(|(_, _, i)| (kind, &policies[i])));
    }
    out
}

/// One rule of a matching policy that targets the cluster (`policyOverriders`).
#[derive(Debug, Clone, Copy)]
pub struct PolicyOverriders<'a> {
    /// `ClusterOverridePolicy` or `OverridePolicy`.
    pub kind: &'static str,
    pub policy: &'a OverridePolicy,
    pub overriders: &'a super::api::Overriders,
}

/// Every override rule for `obj` on `cluster`, in the order Karmada applies them
/// (`ApplyOverridePolicies` then `getOverridersFromOverridePolicies`,
/// `pkg/util/overridemanager/overridemanager.go`).
pub fn overriders_for<'a>(
    input: &'a Input,
    obj: &Value,
    cluster: &Cluster,
) -> Vec<PolicyOverriders<'a>> {
    rules_for(&matching_overrides(input, obj), cluster)
}

/// The rules of `policies` (already in order) whose target cluster matches. A policy without
/// `overrideRules` is read through its deprecated `targetCluster` + `overriders`.
fn rules_for<'a>(
    policies: &[(&'static str, &'a OverridePolicy)],
    cluster: &Cluster,
) -> Vec<PolicyOverriders<'a>> {
    let mut out = Vec::new();
    for &(kind, policy) in policies {
        let spec = &policy.spec;
        let rules: Vec<_> = if spec.override_rules.is_empty() {
            vec![(spec.target_cluster.as_ref(), &spec.overriders)]
        } else {
            spec.override_rules
                .iter()
                .map(|r| (r.target_cluster.as_ref(), &r.overriders))
                .collect()
        };
        for (target, overriders) in rules {
            if target.is_none_or(|t| selection::cluster_matches(cluster, t)) {
                out.push(PolicyOverriders {
                    kind,
                    policy,
                    overriders,
                });
            }
        }
    }
    out
}

/// Applies the matching policies' rules for `cluster`, in order.
fn apply_overrides(
    policies: &[(&'static str, &OverridePolicy)],
    obj: &mut Value,
    cluster: &Cluster,
) -> std::result::Result<(), String> {
    for rule in rules_for(policies, cluster) {
        overridemanager::apply(obj, rule.overriders).map_err(|e| {
            let p = rule.policy;
            let name = if p.metadata.namespace.is_empty() {
                p.metadata.name.clone()
            } else {
                format!("{}/{}", p.metadata.namespace, p.metadata.name)
            };
            format!(
                "{} {name} fails ({e}); Karmada does not update this cluster's copy",
                rule.kind
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
