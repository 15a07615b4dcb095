//! The placement file `karmada.yaml`: where the app goes and how it differs per cluster.

use std::collections::{BTreeMap, BTreeSet};

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::diag::{Field, error};

mod parse;
use super::Params;
use parse::*;

pub const API_VERSION: &str = "argocd-karmada-plugin/v1alpha1";
pub const KIND: &str = "Placement";

/// The parsed placement file, with the plugin parameters applied.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// The raw `source:` section; the source module interprets it.
    pub source: Option<Value>,
    /// How the file is named in messages.
    pub file: String,
    pub clusters: Clusters,
    pub replicas: Replicas,
    pub spread: Vec<Spread>,
    /// Propagate referenced ConfigMaps/Secrets/ServiceAccounts/PVCs along.
    pub propagate_deps: PropagateDeps,
    pub failover: Option<Failover>,
    pub conflict_resolution: ConflictResolution,
    pub priority: i32,
    pub preemption: Preemption,
    pub suspension: Option<Suspension>,
    pub preserve_resources_on_deletion: Option<bool>,
    /// Policy changes apply only when the object next changes (`activationPreference: Lazy`).
    pub lazy_activation: bool,
    /// Scheduling priority from a Kubernetes PriorityClass on the control plane.
    pub schedule_priority_class: Option<String>,
    pub tolerations: Vec<Toleration>,
    pub overrides: Vec<Override>,
}

/// `propagateDeps`: on unless the file says `false`, for a parsed file and for
/// `Placement::default()` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropagateDeps(pub bool);

impl Default for PropagateDeps {
    fn default() -> Self {
        PropagateDeps(true)
    }
}

/// Which member clusters: one affinity, or ordered affinity groups (tried in order; failover).
#[derive(Debug, Clone, PartialEq)]
pub enum Clusters {
    One(Affinity),
    Groups(Vec<AffinityGroup>),
}

impl Default for Clusters {
    fn default() -> Self {
        Clusters::One(Affinity::default())
    }
}

/// Karmada's ClusterAffinity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Affinity {
    pub names: Vec<String>,
    pub selector: Option<LabelSelector>,
    pub fields: Vec<FieldRequirement>,
    pub exclude: Vec<String>,
}

impl Affinity {
    /// Selects clusters only by name (so the exact cluster set is known here).
    pub fn by_names_only(&self) -> bool {
        self.selector.is_none() && self.fields.is_empty()
    }

    /// The clusters this affinity certainly selects (names minus exclusions).
    pub fn named(&self) -> Vec<&str> {
        self.names
            .iter()
            .filter(|n| !self.exclude.contains(n))
            .map(String::as_str)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AffinityGroup {
    pub name: String,
    pub affinity: Affinity,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<LabelRequirement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelRequirement {
    pub key: String,
    pub operator: LabelOperator,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LabelOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelOperator::In => "In",
            LabelOperator::NotIn => "NotIn",
            LabelOperator::Exists => "Exists",
            LabelOperator::DoesNotExist => "DoesNotExist",
        }
    }
}

/// A cluster field requirement (Karmada's fieldSelector: provider, region or zone; In or NotIn).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRequirement {
    pub key: ClusterField,
    pub not_in: bool,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClusterField {
    Provider,
    Region,
    Zone,
}

impl ClusterField {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterField::Provider => "provider",
            ClusterField::Region => "region",
            ClusterField::Zone => "zone",
        }
    }
}

/// How replicas of workloads are scheduled.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Replicas {
    /// Every cluster runs all replicas (Karmada's default).
    #[default]
    Duplicated,
    /// Replicas are split by static weights (empty: equal weights).
    Weighted(Vec<(String, i64)>),
    /// Replicas are split by each cluster's available capacity.
    Dynamic,
    /// Replicas are packed into as few clusters as possible.
    Aggregated,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub by: SpreadBy,
    pub min: i64,
    pub max: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SpreadBy {
    Field(SpreadField),
    Label(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpreadField {
    Cluster,
    Region,
    Zone,
    Provider,
}

impl SpreadField {
    pub fn as_str(self) -> &'static str {
        match self {
            SpreadField::Cluster => "cluster",
            SpreadField::Region => "region",
            SpreadField::Zone => "zone",
            SpreadField::Provider => "provider",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Failover {
    pub application: Option<ApplicationFailover>,
    pub cluster: Option<ClusterFailover>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationFailover {
    pub toleration_seconds: i64,
    pub purge: PurgeMode,
    pub state_preservation: Vec<StateRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterFailover {
    pub purge: PurgeMode,
    pub state_preservation: Vec<StateRule>,
}

/// What happens to the old copy on failover. `Gracefully` carries its grace period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PurgeMode {
    Directly,
    Gracefully { grace_period_seconds: i64 },
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateRule {
    pub alias_label_name: String,
    pub json_path: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum ConflictResolution {
    #[default]
    Abort,
    Overwrite,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Preemption {
    #[default]
    Never,
    Always,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Suspension {
    /// Stop dispatching to every cluster.
    All,
    /// Stop dispatching to these clusters.
    Clusters(Vec<String>),
}

/// A cluster toleration (Karmada's clusterTolerations, core/v1 Toleration without Lt/Gt).
#[derive(Debug, Clone, PartialEq)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<&'static str>,
    pub value: Option<String>,
    pub effect: Option<&'static str>,
    pub toleration_seconds: Option<i64>,
}

/// One `overrides:` entry: per-cluster differences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Override {
    /// Position in `overrides:`, for messages.
    pub index: usize,
    pub clusters: Vec<String>,
    /// Restricts the entry to matching objects (default: every object it applies to).
    pub target: Option<Target>,
    /// Restricts `image` and `env` to containers with these names (default: all).
    pub containers: Vec<String>,
    pub image: Option<Image>,
    pub replicas: Option<i64>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub command: Vec<ContainerArgs>,
    pub args: Vec<ContainerArgs>,
    /// In the file's order: Kubernetes expands `$(VAR)` only from variables listed earlier.
    pub env: Vec<(String, String)>,
    pub patches: Vec<Patch>,
    /// An overlay directory, relative to the app directory.
    pub kustomize: Option<String>,
}

impl Override {
    pub fn path(&self) -> String {
        format!("overrides[{}]", self.index)
    }
}

/// Which objects an override or patch applies to; unset fields match anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

impl Target {
    pub fn matches(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> bool {
        self.api_version.as_deref().is_none_or(|v| v == api_version)
            && self.kind.as_deref().is_none_or(|v| v == kind)
            && self.name.as_deref().is_none_or(|v| v == name)
            && self.namespace.as_deref().is_none_or(|v| v == namespace)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Image {
    pub registry: Option<String>,
    pub repository: Option<String>,
    pub tag: Option<String>,
}

/// Arguments added to / removed from one container's command or args.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerArgs {
    pub container: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// A free-form JSON patch on matching objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub target: Target,
    pub ops: Vec<PatchOp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: PatchOpKind,
    pub path: String,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PatchOpKind {
    Add,
    Remove,
    Replace,
}

impl PatchOpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Remove => "remove",
            PatchOpKind::Replace => "replace",
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "source",
    "clusters",
    "replicas",
    "spread",
    "propagateDeps",
    "failover",
    "conflictResolution",
    "priority",
    "preemption",
    "suspension",
    "preserveResourcesOnDeletion",
    "activationPreference",
    "schedulePriority",
    "tolerations",
    "overrides",
];

const AFFINITY_KEYS: &[&str] = &["names", "selector", "exclude", "provider", "region", "zone"];

impl Placement {
    /// Reads the placement file at `path` (named `shown` in messages) and applies the plugin
    /// parameters.
    pub fn load(path: &Path, shown: &str, params: &Params) -> Result<Placement> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
        let doc = crate::yaml::parse_one(&text, shown)?;
        let mut placement = Placement::parse(&doc, shown)?;
        placement.apply_params(params)?;
        placement.validate()?;
        Ok(placement)
    }

    /// Parses the document (without parameters or cross-field checks).
    pub fn parse(doc: &Value, file: &str) -> Result<Placement> {
        let root = Field::new(file, "", doc);
        if doc.is_null() {
            return Err(root.err(format!(
                "empty placement file; start with `apiVersion: {API_VERSION}`, `kind: {KIND}` and `clusters:`"
            )));
        }
        let obj = root.object(TOP_KEYS)?;
        let api_version = obj.req("apiVersion", |f| f.str().map(str::to_string))?;
        if api_version != API_VERSION {
            return Err(error(
                file,
                "apiVersion",
                format!("\"{api_version}\" is not supported; use \"{API_VERSION}\""),
            ));
        }
        let kind = obj.req("kind", |f| f.str().map(str::to_string))?;
        if kind != KIND {
            return Err(error(
                file,
                "kind",
                format!("\"{kind}\" is not supported; use \"{KIND}\""),
            ));
        }
        let clusters = match obj.opt("clusters", parse_clusters)? {
            Some(c) => c,
            None => {
                return Err(error(
                    file,
                    "clusters",
                    "missing; name the member clusters (clusters.names) or select them (clusters.selector)",
                ));
            }
        };
        Ok(Placement {
            source: obj.opt("source", |f| Ok(f.value.clone()))?,
            file: file.to_string(),
            clusters,
            replicas: obj.opt("replicas", parse_replicas)?.unwrap_or_default(),
            spread: obj.opt("spread", parse_spread)?.unwrap_or_default(),
            propagate_deps: obj
                .opt("propagateDeps", |f| f.bool())?
                .map(PropagateDeps)
                .unwrap_or_default(),
            failover: obj.opt("failover", parse_failover)?,
            conflict_resolution: obj
                .opt("conflictResolution", |f| {
                    f.choice(&[
                        ("Abort", ConflictResolution::Abort),
                        ("Overwrite", ConflictResolution::Overwrite),
                    ])
                })?
                .unwrap_or_default(),
            priority: obj
                .opt("priority", |f| f.int_in(i32::MIN.into(), i32::MAX.into()))?
                .map_or(0, |p| p as i32),
            preemption: obj
                .opt("preemption", |f| {
                    f.choice(&[("Never", Preemption::Never), ("Always", Preemption::Always)])
                })?
                .unwrap_or_default(),
            suspension: obj.opt("suspension", parse_suspension)?.flatten(),
            preserve_resources_on_deletion: obj.opt("preserveResourcesOnDeletion", |f| f.bool())?,
            lazy_activation: obj
                .opt("activationPreference", |f| f.choice(&[("Lazy", true)]))?
                .unwrap_or(false),
            schedule_priority_class: obj.opt("schedulePriority", |f| {
                let o = f.object(&["priorityClassName"])?;
                o.req("priorityClassName", |f| {
                    f.non_empty_str().map(str::to_string)
                })
            })?,
            tolerations: obj
                .opt("tolerations", parse_tolerations)?
                .unwrap_or_default(),
            overrides: obj.opt("overrides", parse_overrides)?.unwrap_or_default(),
        })
    }

    /// Plugin parameters win over the file.
    pub fn apply_params(&mut self, params: &Params) -> Result<()> {
        let file = self.file.clone();
        let param_err =
            |name: &str, msg: String| anyhow::anyhow!("{file}: parameter `{name}`: {msg}");
        if let Some(names) = params.clusters.as_ref().map(|p| &p.value) {
            let names = clean_names(names).map_err(|m| param_err("clusters", m))?;
            // An empty list (e.g. cleared in the Argo CD UI) keeps the file's clusters.
            if !names.is_empty() {
                let exclude = match &self.clusters {
                    Clusters::One(a) => a.exclude.clone(),
                    Clusters::Groups(g) => g
                        .first()
                        .map(|g| g.affinity.exclude.clone())
                        .unwrap_or_default(),
                };
                self.clusters = Clusters::One(Affinity {
                    names,
                    exclude,
                    ..Affinity::default()
                });
            }
        }
        if let Some(exclude) = params.exclude_clusters.as_ref().map(|p| &p.value) {
            let exclude = clean_names(exclude).map_err(|m| param_err("exclude-clusters", m))?;
            match &mut self.clusters {
                Clusters::One(a) => a.exclude = exclude,
                Clusters::Groups(groups) => {
                    for g in groups {
                        g.affinity.exclude = exclude.clone();
                    }
                }
            }
        }
        if let Some(mode) = params.replicas_mode.as_ref().map(|p| &p.value) {
            let mode = mode.trim();
            self.replicas = match mode {
                "Duplicated" => Replicas::Duplicated,
                "Divided" => match &self.replicas {
                    r @ (Replicas::Weighted(_) | Replicas::Dynamic) => r.clone(),
                    _ => Replicas::Weighted(Vec::new()),
                },
                "AvailableReplicas" => Replicas::Dynamic,
                "Aggregated" => Replicas::Aggregated,
                other => {
                    let why = crate::diag::not_one_of(other, REPLICA_MODES);
                    return Err(param_err("replicas-mode", why));
                }
            };
        }
        if let Some(weights) = params.weights.as_ref().map(|p| &p.value) {
            let mut list = Vec::new();
            for (cluster, w) in weights {
                let w: i64 = w.trim().parse().map_err(|_| {
                    param_err("weights", format!("{cluster}: \"{w}\" is not an integer"))
                })?;
                if w < 1 {
                    return Err(param_err(
                        "weights",
                        format!("{cluster}: weight {w} must be at least 1"),
                    ));
                }
                list.push((cluster.clone(), w));
            }
            match &self.replicas {
                Replicas::Duplicated if params.replicas_mode.is_none() && !list.is_empty() => {
                    self.replicas = Replicas::Weighted(list);
                }
                Replicas::Weighted(_) => self.replicas = Replicas::Weighted(list),
                _ if list.is_empty() => {}
                _ => {
                    return Err(param_err(
                        "weights",
                        "weights need replicas mode Divided".to_string(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Cross-field checks: a non-empty cluster set, weights and overrides naming selected clusters.
    pub fn validate(&self) -> Result<()> {
        let file = self.file.as_str();
        let affinities: Vec<(String, &Affinity)> = match &self.clusters {
            Clusters::One(a) => vec![("clusters".to_string(), a)],
            Clusters::Groups(groups) => groups
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("clusters.groups[{i}]"), &g.affinity))
                .collect(),
        };
        for (path, a) in &affinities {
            if a.by_names_only() {
                if a.names.is_empty() {
                    return Err(error(
                        file,
                        path,
                        "selects no cluster; list clusters in `names` or select them with `selector`",
                    ));
                }
                if a.named().is_empty() {
                    return Err(error(
                        file,
                        path,
                        format!(
                            "selects no cluster: every name in `names` is excluded ({})",
                            a.exclude.join(", ")
                        ),
                    ));
                }
            }
        }
        let excluded: BTreeSet<&str> = affinities
            .iter()
            .flat_map(|(_, a)| a.exclude.iter().map(String::as_str))
            .collect();
        // The exact cluster set is known only when every affinity selects by name.
        let known: Option<BTreeSet<&str>> = affinities
            .iter()
            .all(|(_, a)| a.by_names_only())
            .then(|| affinities.iter().flat_map(|(_, a)| a.named()).collect());
        let check_cluster = |path: &str, name: &str| -> Result<()> {
            if let Some(known) = &known {
                if !known.contains(name) {
                    let hint = crate::diag::suggestion(name, known.iter().copied());
                    let why = if excluded.contains(name) {
                        " (it is excluded)".to_string()
                    } else if hint.is_empty() {
                        format!(
                            " (selected clusters: {})",
                            known.iter().copied().collect::<Vec<_>>().join(", ")
                        )
                    } else {
                        hint
                    };
                    return Err(error(
                        file,
                        path,
                        format!("unknown cluster \"{name}\"{why}"),
                    ));
                }
            } else if excluded.contains(name) {
                return Err(error(file, path, format!("cluster \"{name}\" is excluded")));
            }
            Ok(())
        };
        if let Replicas::Weighted(weights) = &self.replicas {
            for (cluster, _) in weights {
                check_cluster(&format!("replicas.weights.{cluster}"), cluster)?;
            }
            if let (Some(known), false) = (&known, weights.is_empty()) {
                for name in known {
                    if !weights.iter().any(|(c, _)| c == name) {
                        return Err(error(
                            file,
                            "replicas.weights",
                            format!(
                                "cluster \"{name}\" is selected but has no weight (it would get no replicas); give it a weight or stop selecting it"
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(Suspension::Clusters(names)) = &self.suspension {
            for (i, name) in names.iter().enumerate() {
                check_cluster(&format!("suspension.clusters[{i}]"), name)?;
            }
        }
        for o in &self.overrides {
            for (i, name) in o.clusters.iter().enumerate() {
                check_cluster(&format!("{}.clusters[{i}]", o.path()), name)?;
            }
        }
        if let Some(Failover {
            application: Some(_),
            ..
        }) = &self.failover
            && !self.propagate_deps.0
        {
            return Err(error(
                file,
                "failover.application",
                "needs propagateDeps: true (Karmada rejects application failover without it)",
            ));
        }
        Ok(())
    }
}

const REPLICA_MODES: [&str; 4] = ["Duplicated", "Divided", "AvailableReplicas", "Aggregated"];

/// Trims parameter list entries and rejects empty or duplicate names.
fn clean_names(names: &[String]) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = n.trim();
        if n.is_empty() {
            continue;
        }
        if out.iter().any(|o| o == n) {
            return Err(format!("duplicate cluster \"{n}\""));
        }
        check_cluster_name(n)?;
        out.push(n.to_string());
    }
    Ok(out)
}

/// Karmada cluster names are DNS-1123 labels.
fn check_cluster_name(n: &str) -> std::result::Result<(), String> {
    if super::naming::is_dns1123_label(n) {
        Ok(())
    } else {
        Err(format!(
            "\"{n}\" is not a valid cluster name (lower-case letters, digits and '-', at most 63 characters)"
        ))
    }
}

#[cfg(test)]
mod tests;
