//! The placement file `karmada.yaml`: where the app goes and how it differs per cluster.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::Value;

use super::fields::{Field, Obj, error};
use crate::render::AppContext;

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
    /// Propagate referenced ConfigMaps/Secrets/ServiceAccounts/PVCs along (default on).
    pub propagate_deps: bool,
    pub failover: Option<Failover>,
    pub conflict_resolution: ConflictResolution,
    pub priority: i32,
    pub preemption: Preemption,
    pub suspension: Option<Suspension>,
    pub preserve_resources_on_deletion: Option<bool>,
    pub tolerations: Vec<Toleration>,
    pub overrides: Vec<Override>,
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
    pub env: BTreeMap<String, String>,
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
    "tolerations",
    "overrides",
];

const AFFINITY_KEYS: &[&str] = &["names", "selector", "exclude", "provider", "region", "zone"];

impl Placement {
    /// Reads `karmada.yaml` from the app directory and applies the plugin parameters.
    pub fn load(ctx: &AppContext) -> Result<Placement> {
        let shown = ctx.display("karmada.yaml");
        let text = std::fs::read_to_string(ctx.app_dir.join("karmada.yaml"))
            .with_context(|| format!("{shown}: cannot read"))?;
        let doc = crate::yaml::parse_one(&text, &shown)?;
        let mut placement = Placement::parse(&doc, &shown)?;
        placement.apply_params(&ctx.params)?;
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
            propagate_deps: obj.opt("propagateDeps", |f| f.bool())?.unwrap_or(true),
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
            tolerations: obj
                .opt("tolerations", parse_tolerations)?
                .unwrap_or_default(),
            overrides: obj.opt("overrides", parse_overrides)?.unwrap_or_default(),
        })
    }

    /// Plugin parameters win over the file.
    pub fn apply_params(&mut self, params: &crate::render::Params) -> Result<()> {
        let file = self.file.clone();
        let param_err =
            |name: &str, msg: String| anyhow::anyhow!("{file}: parameter `{name}`: {msg}");
        if let Some(names) = &params.clusters {
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
        if let Some(exclude) = &params.exclude_clusters {
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
        if let Some(mode) = &params.replicas_mode {
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
                    let hint = crate::diag::suggestion(other, REPLICA_MODES.iter().copied());
                    return Err(param_err(
                        "replicas-mode",
                        format!(
                            "\"{other}\" is not one of {}{hint}",
                            REPLICA_MODES.map(|m| format!("\"{m}\"")).join(", ")
                        ),
                    ));
                }
            };
        }
        if let Some(weights) = &params.weights {
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
            && !self.propagate_deps
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

fn cluster_names(f: Field<'_>) -> Result<Vec<String>> {
    let names = f.string_list()?;
    for (i, n) in names.iter().enumerate() {
        if let Err(msg) = check_cluster_name(n) {
            return Err(super::fields::error(
                f.file,
                &format!("{}[{i}]", f.path),
                msg,
            ));
        }
    }
    Ok(names)
}

fn parse_clusters(f: Field<'_>) -> Result<Clusters> {
    let mut keys = AFFINITY_KEYS.to_vec();
    keys.push("groups");
    let obj = f.object(&keys)?;
    let top = parse_affinity_fields(&obj)?;
    let Some(groups) = obj.opt("groups", parse_groups)? else {
        return Ok(Clusters::One(top));
    };
    if !top.names.is_empty() || top.selector.is_some() || !top.fields.is_empty() {
        return Err(obj.err(
            "`groups` cannot be combined with `names`, `selector` or provider/region/zone; move them into the groups",
        ));
    }
    // A top-level `exclude` applies to every group.
    let groups = groups
        .into_iter()
        .map(|mut g| {
            for e in &top.exclude {
                if !g.affinity.exclude.contains(e) {
                    g.affinity.exclude.push(e.clone());
                }
            }
            g
        })
        .collect();
    Ok(Clusters::Groups(groups))
}

fn parse_groups(f: Field<'_>) -> Result<Vec<AffinityGroup>> {
    let items = f.list()?;
    if items.is_empty() {
        return Err(f.err("must list at least one group"));
    }
    let mut groups: Vec<AffinityGroup> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let mut keys = AFFINITY_KEYS.to_vec();
        keys.push("name");
        let obj = Field::new(f.file, &path, item).object(&keys)?;
        let name = obj.req("name", |f| {
            let n = f.non_empty_str()?;
            if !super::naming::is_affinity_name(n) {
                return Err(f.err(format!(
                    "\"{n}\" is not a valid group name (1-32 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
                )));
            }
            Ok(n.to_string())
        })?;
        if groups.iter().any(|g| g.name == name) {
            return Err(super::fields::error(
                f.file,
                &obj.path_of("name"),
                format!("duplicate group name \"{name}\""),
            ));
        }
        let affinity = parse_affinity_fields(&obj)?;
        groups.push(AffinityGroup { name, affinity });
    }
    Ok(groups)
}

fn parse_affinity_fields(obj: &Obj<'_>) -> Result<Affinity> {
    let names = obj.opt("names", cluster_names)?.unwrap_or_default();
    let exclude = obj.opt("exclude", cluster_names)?.unwrap_or_default();
    let selector = obj.opt("selector", parse_label_selector)?;
    let mut fields = Vec::new();
    for (key, field) in [
        ("provider", ClusterField::Provider),
        ("region", ClusterField::Region),
        ("zone", ClusterField::Zone),
    ] {
        if let Some(req) = obj.opt(key, |f| parse_field_requirement(f, field))? {
            fields.push(req);
        }
    }
    Ok(Affinity {
        names,
        selector,
        fields,
        exclude,
    })
}

/// `region: [a, b]` (In) or `region: {notIn: [a]}` / `region: {in: [a]}`.
fn parse_field_requirement(f: Field<'_>, key: ClusterField) -> Result<FieldRequirement> {
    let (not_in, values) = match f.value {
        Value::Array(_) => (false, f.string_list()?),
        _ => {
            let obj = f.object(&["in", "notIn"])?;
            match (obj.has("in"), obj.has("notIn")) {
                (true, false) => (false, obj.req("in", |f| f.string_list())?),
                (false, true) => (true, obj.req("notIn", |f| f.string_list())?),
                _ => return Err(f.err("give exactly one of `in` or `notIn`")),
            }
        }
    };
    if values.is_empty() {
        return Err(f.err("must list at least one value"));
    }
    Ok(FieldRequirement {
        key,
        not_in,
        values,
    })
}

fn parse_label_selector(f: Field<'_>) -> Result<LabelSelector> {
    let obj = f.object(&["matchLabels", "matchExpressions"])?;
    let match_labels = obj
        .opt("matchLabels", |f| f.string_map())?
        .unwrap_or_default();
    let match_expressions = obj
        .opt("matchExpressions", |f| {
            let mut out = Vec::new();
            for (i, item) in f.list()?.iter().enumerate() {
                let path = format!("{}[{i}]", f.path);
                let e = Field::new(f.file, &path, item).object(&["key", "operator", "values"])?;
                let key = e.req("key", |f| f.non_empty_str().map(str::to_string))?;
                let operator = e.req("operator", |f| {
                    f.choice(&[
                        ("In", LabelOperator::In),
                        ("NotIn", LabelOperator::NotIn),
                        ("Exists", LabelOperator::Exists),
                        ("DoesNotExist", LabelOperator::DoesNotExist),
                    ])
                })?;
                let values = e.opt("values", |f| f.string_list())?.unwrap_or_default();
                let needs_values = matches!(operator, LabelOperator::In | LabelOperator::NotIn);
                if needs_values && values.is_empty() {
                    return Err(e.err(format!(
                        "operator {} needs at least one value",
                        operator.as_str()
                    )));
                }
                if !needs_values && !values.is_empty() {
                    return Err(e.err(format!("operator {} takes no values", operator.as_str())));
                }
                out.push(LabelRequirement {
                    key,
                    operator,
                    values,
                });
            }
            Ok(out)
        })?
        .unwrap_or_default();
    Ok(LabelSelector {
        match_labels,
        match_expressions,
    })
}

fn parse_replicas(f: Field<'_>) -> Result<Replicas> {
    let obj = f.object(&["mode", "weights", "dynamic"])?;
    #[derive(Clone, Copy)]
    enum Mode {
        Duplicated,
        Divided,
        Aggregated,
    }
    let mode = obj
        .opt("mode", |f| {
            f.choice(&[
                ("Duplicated", Mode::Duplicated),
                ("Divided", Mode::Divided),
                ("Aggregated", Mode::Aggregated),
            ])
        })?
        .unwrap_or(if obj.has("weights") || obj.has("dynamic") {
            Mode::Divided
        } else {
            Mode::Duplicated
        });
    let weights = obj.opt("weights", |f| {
        let mut out: Vec<(String, i64)> = Vec::new();
        for (cluster, v) in f.entries()? {
            let path = super::fields::join(f.path, cluster);
            let w = Field::new(f.file, &path, v);
            let n = w.int()?;
            if n < 1 {
                return Err(w.err(format!("weight {n} must be at least 1")));
            }
            if let Err(msg) = check_cluster_name(cluster) {
                return Err(w.err(msg));
            }
            out.push((cluster.to_string(), n));
        }
        if out.is_empty() {
            return Err(f.err(
                "must give at least one cluster weight (or leave `weights` out for equal weights)",
            ));
        }
        Ok(out)
    })?;
    let dynamic = obj.opt("dynamic", |f| f.choice(&[("AvailableReplicas", ())]))?;
    match mode {
        Mode::Duplicated => {
            if weights.is_some() || dynamic.is_some() {
                return Err(error(
                    f.file,
                    &obj.path_of("mode"),
                    "Duplicated runs every replica in every cluster; `weights` and `dynamic` need mode Divided",
                ));
            }
            Ok(Replicas::Duplicated)
        }
        Mode::Aggregated => {
            if weights.is_some() || dynamic.is_some() {
                return Err(error(
                    f.file,
                    &obj.path_of("mode"),
                    "Aggregated packs replicas by capacity; `weights` and `dynamic` need mode Divided",
                ));
            }
            Ok(Replicas::Aggregated)
        }
        Mode::Divided => match (weights, dynamic) {
            (Some(_), Some(_)) => Err(
                obj.err("give either `weights` (static) or `dynamic: AvailableReplicas`, not both")
            ),
            (Some(w), None) => Ok(Replicas::Weighted(w)),
            (None, Some(())) => Ok(Replicas::Dynamic),
            (None, None) => Ok(Replicas::Weighted(Vec::new())),
        },
    }
}

fn parse_spread(f: Field<'_>) -> Result<Vec<Spread>> {
    let mut out: Vec<Spread> = Vec::new();
    for (i, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let obj = Field::new(f.file, &path, item).object(&["by", "byLabel", "min", "max"])?;
        let by = match (obj.has("by"), obj.has("byLabel")) {
            (true, true) => return Err(obj.err("give either `by` or `byLabel`, not both")),
            (false, true) => {
                SpreadBy::Label(obj.req("byLabel", |f| f.non_empty_str().map(str::to_string))?)
            }
            _ => SpreadBy::Field(
                obj.opt("by", |f| {
                    f.choice(&[
                        ("cluster", SpreadField::Cluster),
                        ("region", SpreadField::Region),
                        ("zone", SpreadField::Zone),
                        ("provider", SpreadField::Provider),
                    ])
                })?
                .unwrap_or(SpreadField::Cluster),
            ),
        };
        let min = obj.opt("min", |f| f.int_in(1, 1_000_000))?.unwrap_or(1);
        let max = obj.opt("max", |f| f.int_in(1, 1_000_000))?;
        if let Some(max) = max
            && max < min
        {
            return Err(error(
                f.file,
                &obj.path_of("max"),
                format!("{max} is lower than min ({min})"),
            ));
        }
        if let SpreadBy::Field(field) = by
            && out.iter().any(|s| s.by == SpreadBy::Field(field))
        {
            return Err(obj.err(format!(
                "a second spread by {} is not allowed",
                field.as_str()
            )));
        }
        out.push(Spread { by, min, max });
    }
    let by_field = out.iter().any(|s| matches!(s.by, SpreadBy::Field(_)));
    let by_cluster = out
        .iter()
        .any(|s| s.by == SpreadBy::Field(SpreadField::Cluster));
    if by_field && !by_cluster {
        return Err(f.err(
            "spreading by region, zone or provider also needs a `by: cluster` entry (Karmada requires it)",
        ));
    }
    Ok(out)
}

fn parse_failover(f: Field<'_>) -> Result<Failover> {
    let obj = f.object(&["application", "cluster"])?;
    let application = obj.opt("application", |f| {
        let o = f.object(&[
            "tolerationSeconds",
            "purgeMode",
            "gracePeriodSeconds",
            "statePreservation",
        ])?;
        let toleration_seconds = o
            .opt("tolerationSeconds", |f| f.int_in(0, i32::MAX.into()))?
            .unwrap_or(300);
        let purge = parse_purge(&o, true)?;
        Ok(ApplicationFailover {
            toleration_seconds,
            purge,
            state_preservation: o
                .opt("statePreservation", parse_state_rules)?
                .unwrap_or_default(),
        })
    })?;
    let cluster = obj.opt("cluster", |f| {
        let o = f.object(&["purgeMode", "statePreservation"])?;
        Ok(ClusterFailover {
            purge: parse_purge(&o, false)?,
            state_preservation: o
                .opt("statePreservation", parse_state_rules)?
                .unwrap_or_default(),
        })
    })?;
    if application.is_none() && cluster.is_none() {
        return Err(f.err("give `application` and/or `cluster`"));
    }
    Ok(Failover {
        application,
        cluster,
    })
}

fn parse_purge(o: &Obj<'_>, application: bool) -> Result<PurgeMode> {
    #[derive(Clone, Copy)]
    enum M {
        Directly,
        Gracefully,
        Never,
    }
    let choices: &[(&str, M)] = if application {
        &[
            ("Directly", M::Directly),
            ("Gracefully", M::Gracefully),
            ("Never", M::Never),
        ]
    } else {
        &[("Directly", M::Directly), ("Gracefully", M::Gracefully)]
    };
    let mode = o
        .opt("purgeMode", |f| f.choice(choices))?
        .unwrap_or(M::Gracefully);
    let grace = if application {
        o.opt("gracePeriodSeconds", |f| f.int_in(1, i32::MAX.into()))?
    } else {
        None
    };
    Ok(match mode {
        M::Gracefully => PurgeMode::Gracefully {
            grace_period_seconds: grace.unwrap_or(600),
        },
        M::Directly | M::Never => {
            if grace.is_some() {
                return Err(error(
                    o.file,
                    &o.path_of("gracePeriodSeconds"),
                    "only applies with purgeMode: Gracefully",
                ));
            }
            if matches!(mode, M::Directly) {
                PurgeMode::Directly
            } else {
                PurgeMode::Never
            }
        }
    })
}

fn parse_state_rules(f: Field<'_>) -> Result<Vec<StateRule>> {
    let mut out = Vec::new();
    for (i, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let o = Field::new(f.file, &path, item).object(&["aliasLabelName", "jsonPath"])?;
        let alias_label_name = o.req("aliasLabelName", |f| {
            let s = f.non_empty_str()?;
            if !super::naming::is_label_key(s) {
                return Err(f.err(format!("\"{s}\" is not a valid label name")));
            }
            Ok(s.to_string())
        })?;
        let json_path = o.req("jsonPath", |f| f.non_empty_str().map(str::to_string))?;
        out.push(StateRule {
            alias_label_name,
            json_path,
        });
    }
    if out.is_empty() {
        return Err(f.err("must list at least one rule"));
    }
    Ok(out)
}

fn parse_suspension(f: Field<'_>) -> Result<Option<Suspension>> {
    if let Value::Bool(b) = f.value {
        return Ok(b.then_some(Suspension::All));
    }
    let obj = f.object(&["dispatching", "clusters"])?;
    let all = obj.opt("dispatching", |f| f.bool())?.unwrap_or(false);
    let clusters = obj.opt("clusters", cluster_names)?.unwrap_or_default();
    match (all, clusters.is_empty()) {
        (true, false) => {
            Err(obj.err("give either `dispatching: true` (all clusters) or `clusters`, not both"))
        }
        (true, true) => Ok(Some(Suspension::All)),
        (false, false) => Ok(Some(Suspension::Clusters(clusters))),
        (false, true) => Ok(None),
    }
}

fn parse_tolerations(f: Field<'_>) -> Result<Vec<Toleration>> {
    let mut out = Vec::new();
    for (i, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let o = Field::new(f.file, &path, item).object(&[
            "key",
            "operator",
            "value",
            "effect",
            "tolerationSeconds",
        ])?;
        let operator = o.opt("operator", |f| {
            f.choice(&[("Exists", "Exists"), ("Equal", "Equal")])
        })?;
        let value = o.opt("value", |f| f.str().map(str::to_string))?;
        if operator == Some("Exists") && value.is_some() {
            return Err(o.err("operator Exists takes no value"));
        }
        out.push(Toleration {
            key: o.opt("key", |f| f.str().map(str::to_string))?,
            operator,
            value,
            effect: o.opt("effect", |f| {
                f.choice(&[
                    ("NoSchedule", "NoSchedule"),
                    ("PreferNoSchedule", "PreferNoSchedule"),
                    ("NoExecute", "NoExecute"),
                ])
            })?,
            toleration_seconds: o.opt("tolerationSeconds", |f| f.int())?,
        });
    }
    Ok(out)
}

const OVERRIDE_KEYS: &[&str] = &[
    "clusters",
    "target",
    "containers",
    "image",
    "replicas",
    "labels",
    "annotations",
    "command",
    "args",
    "env",
    "patches",
    "kustomize",
];

fn parse_overrides(f: Field<'_>) -> Result<Vec<Override>> {
    let mut out = Vec::new();
    for (index, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{index}]", f.path);
        let o = Field::new(f.file, &path, item).object(OVERRIDE_KEYS)?;
        let clusters = o.req("clusters", cluster_names)?;
        if clusters.is_empty() {
            return Err(error(
                f.file,
                &o.path_of("clusters"),
                "must name at least one cluster",
            ));
        }
        let entry = Override {
            index,
            clusters,
            target: o.opt("target", parse_target)?,
            containers: o
                .opt("containers", |f| f.string_list())?
                .unwrap_or_default(),
            image: o.opt("image", parse_image)?,
            replicas: o.opt("replicas", |f| f.int_in(0, i32::MAX.into()))?,
            labels: o.opt("labels", |f| f.string_map())?.unwrap_or_default(),
            annotations: o
                .opt("annotations", |f| f.string_map())?
                .unwrap_or_default(),
            command: o.opt("command", parse_container_args)?.unwrap_or_default(),
            args: o.opt("args", parse_container_args)?.unwrap_or_default(),
            env: o.opt("env", |f| f.string_map())?.unwrap_or_default(),
            patches: o.opt("patches", parse_patches)?.unwrap_or_default(),
            kustomize: o.opt("kustomize", |f| f.non_empty_str().map(str::to_string))?,
        };
        let empty = entry.image.is_none()
            && entry.replicas.is_none()
            && entry.labels.is_empty()
            && entry.annotations.is_empty()
            && entry.command.is_empty()
            && entry.args.is_empty()
            && entry.env.is_empty()
            && entry.patches.is_empty()
            && entry.kustomize.is_none();
        if !entry.containers.is_empty() && entry.image.is_none() && entry.env.is_empty() {
            return Err(error(
                f.file,
                &o.path_of("containers"),
                "only applies to `image` and `env`; give one of them or remove `containers`",
            ));
        }
        if empty {
            return Err(o.err(
                "overrides nothing; give image, replicas, labels, annotations, command, args, env, patches or kustomize",
            ));
        }
        out.push(entry);
    }
    Ok(out)
}

fn parse_target(f: Field<'_>) -> Result<Target> {
    let o = f.object(&["apiVersion", "kind", "name", "namespace"])?;
    let s = |key: &str| o.opt(key, |f| f.non_empty_str().map(str::to_string));
    let t = Target {
        api_version: s("apiVersion")?,
        kind: s("kind")?,
        name: s("name")?,
        namespace: s("namespace")?,
    };
    if t == Target::default() {
        return Err(f.err("give at least one of apiVersion, kind, name, namespace"));
    }
    Ok(t)
}

fn parse_image(f: Field<'_>) -> Result<Image> {
    let o = f.object(&["registry", "repository", "tag"])?;
    let s = |key: &str| o.opt(key, |f| f.non_empty_str().map(str::to_string));
    let image = Image {
        registry: s("registry")?,
        repository: s("repository")?,
        tag: s("tag")?,
    };
    if image.registry.is_none() && image.repository.is_none() && image.tag.is_none() {
        return Err(f.err("give at least one of registry, repository, tag"));
    }
    Ok(image)
}

/// `{container: {add: [..], remove: [..]}}`, or `{container: [..]}` as a short form for add.
fn parse_container_args(f: Field<'_>) -> Result<Vec<ContainerArgs>> {
    let mut out = Vec::new();
    for (container, v) in f.entries()? {
        let path = super::fields::join(f.path, container);
        let field = Field::new(f.file, &path, v);
        let (add, remove) = if v.is_array() {
            (field.string_list()?, Vec::new())
        } else {
            let o = field.object(&["add", "remove"])?;
            (
                o.opt("add", |f| f.string_list())?.unwrap_or_default(),
                o.opt("remove", |f| f.string_list())?.unwrap_or_default(),
            )
        };
        if add.is_empty() && remove.is_empty() {
            return Err(field.err("give values to `add` and/or `remove`"));
        }
        out.push(ContainerArgs {
            container: container.to_string(),
            add,
            remove,
        });
    }
    Ok(out)
}

fn parse_patches(f: Field<'_>) -> Result<Vec<Patch>> {
    let mut out = Vec::new();
    for (i, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let o = Field::new(f.file, &path, item).object(&["target", "ops"])?;
        let target = o.req("target", parse_target)?;
        let ops = o.req("ops", |f| {
            let mut ops = Vec::new();
            for (j, item) in f.list()?.iter().enumerate() {
                let path = format!("{}[{j}]", f.path);
                let op = Field::new(f.file, &path, item).object(&["op", "path", "value"])?;
                let kind = op.req("op", |f| {
                    f.choice(&[
                        ("add", PatchOpKind::Add),
                        ("remove", PatchOpKind::Remove),
                        ("replace", PatchOpKind::Replace),
                    ])
                })?;
                let pointer = op.req("path", |f| {
                    let p = f.str()?;
                    if !p.starts_with('/') {
                        return Err(f.err(format!(
                            "\"{p}\" is not a JSON pointer (it must start with '/')"
                        )));
                    }
                    Ok(p.to_string())
                })?;
                let value = match op.opt("value", |f| Ok(f.value.clone()))? {
                    Some(v) if kind == PatchOpKind::Remove => {
                        let _ = v;
                        return Err(error(f.file, &op.path_of("value"), "remove takes no value"));
                    }
                    None if kind != PatchOpKind::Remove && !op.has("value") => {
                        return Err(error(
                            f.file,
                            &op.path_of("value"),
                            format!("missing ({} needs a value)", kind.as_str()),
                        ));
                    }
                    // `value: null` is a real value for add/replace.
                    None if kind != PatchOpKind::Remove => Some(Value::Null),
                    v => v,
                };
                ops.push(PatchOp {
                    op: kind,
                    path: pointer,
                    value,
                });
            }
            if ops.is_empty() {
                return Err(f.err("must list at least one op"));
            }
            Ok(ops)
        })?;
        out.push(Patch { target, ops });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Params;

    fn parse(text: &str) -> Result<Placement> {
        let doc = crate::yaml::parse_one(text, "k.yaml")?;
        let p = Placement::parse(&doc, "k.yaml")?;
        p.validate()?;
        Ok(p)
    }

    fn err(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    const HEAD: &str = "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n";

    #[test]
    fn minimal_placement_defaults() {
        let p = parse(&format!("{HEAD}clusters: {{names: [member1, member2]}}\n")).unwrap();
        assert_eq!(
            p.clusters,
            Clusters::One(Affinity {
                names: vec!["member1".into(), "member2".into()],
                ..Affinity::default()
            })
        );
        assert_eq!(p.replicas, Replicas::Duplicated);
        assert!(p.propagate_deps);
        assert_eq!(p.conflict_resolution, ConflictResolution::Abort);
        assert_eq!(p.preemption, Preemption::Never);
        assert_eq!(p.priority, 0);
    }

    #[test]
    fn full_placement_parses() {
        let p = parse(&format!(
            "{HEAD}clusters:
  exclude: [member9]
  groups:
    - name: primary
      names: [member1, member2]
    - name: backup
      selector: {{matchLabels: {{tier: backup}}, matchExpressions: [{{key: env, operator: In, values: [prod]}}]}}
      region: {{notIn: [us-east-1]}}
      provider: [aws]
replicas: {{mode: Divided, dynamic: AvailableReplicas}}
spread: [{{by: cluster, min: 1, max: 3}}, {{by: region, min: 2}}]
propagateDeps: true
failover:
  application: {{tolerationSeconds: 60, purgeMode: Directly, statePreservation: [{{aliasLabelName: app.example.com/state, jsonPath: '{{.phase}}'}}]}}
  cluster: {{purgeMode: Gracefully}}
conflictResolution: Overwrite
priority: 5
preemption: Always
suspension: {{clusters: [member1]}}
preserveResourcesOnDeletion: true
tolerations: [{{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}]
overrides:
  - clusters: [member1]
    image: {{registry: eu.example.com, tag: v2}}
    replicas: 3
    labels: {{tier: gold}}
    command: {{web: {{add: [--debug]}}}}
    args: {{web: [--x]}}
    env: {{LOG_LEVEL: debug}}
    patches: [{{target: {{kind: Deployment, name: web}}, ops: [{{op: remove, path: /spec/strategy}}]}}]
"
        ))
        .unwrap();
        let Clusters::Groups(groups) = &p.clusters else {
            panic!("groups expected")
        };
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].affinity.exclude, vec!["member9".to_string()]);
        assert_eq!(groups[1].affinity.fields.len(), 2);
        assert!(groups[1].affinity.fields[1].not_in);
        assert_eq!(p.replicas, Replicas::Dynamic);
        assert_eq!(p.spread.len(), 2);
        let app = p.failover.as_ref().unwrap().application.as_ref().unwrap();
        assert_eq!(app.toleration_seconds, 60);
        assert_eq!(app.purge, PurgeMode::Directly);
        assert_eq!(
            p.suspension,
            Some(Suspension::Clusters(vec!["member1".into()]))
        );
        assert_eq!(p.overrides[0].command[0].add, vec!["--debug".to_string()]);
        assert_eq!(p.overrides[0].args[0].add, vec!["--x".to_string()]);
        assert_eq!(p.tolerations[0].toleration_seconds, Some(30));
    }

    #[test]
    fn errors_name_file_and_field() {
        assert_eq!(
            err(&format!("{HEAD}clustrs: {{names: [a]}}\n")),
            "k.yaml: clustrs: unknown field (did you mean \"clusters\"?)"
        );
        assert_eq!(
            err(&format!("{HEAD}clusters: {{names: []}}\n")),
            "k.yaml: clusters: selects no cluster; list clusters in `names` or select them with `selector`"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1], exclude: [member1]}}\n"
            )),
            "k.yaml: clusters: selects no cluster: every name in `names` is excluded (member1)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1, member2]}}\noverrides: [{{clusters: [membr1], replicas: 1}}]\n"
            )),
            "k.yaml: overrides[0].clusters[0]: unknown cluster \"membr1\" (did you mean \"member1\"?)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1, member3: 2}}}}\n"
            )),
            "k.yaml: replicas.weights.member3: unknown cluster \"member3\" (did you mean \"member2\"?)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1, edge: 2}}}}\n"
            )),
            "k.yaml: replicas.weights.edge: unknown cluster \"edge\" (selected clusters: member1, member2)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1}}}}\n"
            )),
            "k.yaml: replicas.weights: cluster \"member2\" is selected but has no weight (it would get no replicas); give it a weight or stop selecting it"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [member1]}}\nreplicas: {{weights: {{member1: -1}}}}\n"
            )),
            "k.yaml: replicas.weights.member1: weight -1 must be at least 1"
        );
        assert_eq!(
            err(&format!("{HEAD}clusters: {{names: [a, a]}}\n")),
            "k.yaml: clusters.names[1]: duplicate entry \"a\""
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [a]}}\nreplicas: {{mode: Divded}}\n"
            )),
            "k.yaml: replicas.mode: \"Divded\" is not one of \"Duplicated\", \"Divided\", \"Aggregated\" (did you mean \"Divided\"?)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{groups: [{{name: a, names: [x]}}, {{name: a, names: [y]}}]}}\n"
            )),
            "k.yaml: clusters.groups[1].name: duplicate group name \"a\""
        );
        assert!(
            err(&format!(
                "{HEAD}clusters: {{groups: [{{name: '-bad', names: [x]}}]}}\n"
            ))
            .starts_with("k.yaml: clusters.groups[0].name: \"-bad\" is not a valid group name")
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [a]}}\nspread: [{{by: region}}]\n"
            )),
            "k.yaml: spread: spreading by region, zone or provider also needs a `by: cluster` entry (Karmada requires it)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [a]}}\npropagateDeps: false\nfailover: {{application: {{}}}}\n"
            )),
            "k.yaml: failover.application: needs propagateDeps: true (Karmada rejects application failover without it)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [a]}}\noverrides: [{{clusters: [a]}}]\n"
            )),
            "k.yaml: overrides[0]: overrides nothing; give image, replicas, labels, annotations, command, args, env, patches or kustomize"
        );
        assert_eq!(
            err("apiVersion: v1\nkind: Placement\nclusters: {names: [a]}\n"),
            "k.yaml: apiVersion: \"v1\" is not supported; use \"argocd-karmada-plugin/v1alpha1\""
        );
        assert_eq!(
            err(HEAD),
            "k.yaml: clusters: missing; name the member clusters (clusters.names) or select them (clusters.selector)"
        );
        assert_eq!(
            err(&format!("{HEAD}clusters: {{names: [Member_1]}}\n")),
            "k.yaml: clusters.names[0]: \"Member_1\" is not a valid cluster name (lower-case letters, digits and '-', at most 63 characters)"
        );
        assert_eq!(
            err(&format!(
                "{HEAD}clusters: {{names: [a]}}\noverrides: [{{clusters: [a], patches: [{{target: {{kind: X}}, ops: [{{op: add, path: /a}}]}}]}}]\n"
            )),
            "k.yaml: overrides[0].patches[0].ops[0].value: missing (add needs a value)"
        );
    }

    #[test]
    fn selectors_cannot_be_checked_by_name_but_exclusions_can() {
        let text = format!(
            "{HEAD}clusters: {{selector: {{matchLabels: {{env: prod}}}}, exclude: [member3]}}\noverrides: [{{clusters: [anything], replicas: 1}}]\n"
        );
        parse(&text).unwrap();
        let text = format!(
            "{HEAD}clusters: {{selector: {{}}, exclude: [member3]}}\noverrides: [{{clusters: [member3], replicas: 1}}]\n"
        );
        assert_eq!(
            format!("{:#}", parse(&text).unwrap_err()),
            "k.yaml: overrides[0].clusters[0]: cluster \"member3\" is excluded"
        );
    }

    #[test]
    fn parameters_win() {
        let doc = crate::yaml::parse_one(
            &format!(
                "{HEAD}clusters: {{names: [member1, member2], exclude: [member2]}}\nreplicas: {{weights: {{member1: 1}}}}\n"
            ),
            "k.yaml",
        )
        .unwrap();
        let mut p = Placement::parse(&doc, "k.yaml").unwrap();
        p.apply_params(&Params {
            clusters: Some(vec!["member3".into(), " member4 ".into()]),
            exclude_clusters: Some(vec![]),
            replicas_mode: None,
            weights: Some(BTreeMap::from([
                ("member3".to_string(), "2".to_string()),
                ("member4".to_string(), "1".to_string()),
            ])),
        })
        .unwrap();
        p.validate().unwrap();
        assert_eq!(
            p.clusters,
            Clusters::One(Affinity {
                names: vec!["member3".into(), "member4".into()],
                ..Affinity::default()
            })
        );
        assert_eq!(
            p.replicas,
            Replicas::Weighted(vec![("member3".into(), 2), ("member4".into(), 1)])
        );
        p.apply_params(&Params {
            replicas_mode: Some("Duplicated".into()),
            ..Params::default()
        })
        .unwrap();
        assert_eq!(p.replicas, Replicas::Duplicated);
        let e = p
            .apply_params(&Params {
                replicas_mode: Some("Divded".into()),
                ..Params::default()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "k.yaml: parameter `replicas-mode`: \"Divded\" is not one of \"Duplicated\", \"Divided\", \"AvailableReplicas\", \"Aggregated\" (did you mean \"Divided\"?)"
        );
        let e = p
            .apply_params(&Params {
                weights: Some(BTreeMap::from([("member3".to_string(), "x".to_string())])),
                ..Params::default()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "k.yaml: parameter `weights`: member3: \"x\" is not an integer"
        );
    }
}
