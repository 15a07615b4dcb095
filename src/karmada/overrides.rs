//! Turning `overrides:` entries into Karmada override rules, per rendered object.
//!
//! Karmada applies one OverridePolicy's rules to every object it selects, and our JSON-patch paths
//! point at one object's containers, so rules are computed per object (and the caller emits one
//! OverridePolicy per overridden object).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use serde_json::{Value, json};

use super::api::{
    CommandArgsOverrider, ImageComponent, ImageOverrider, ImagePredicate, LabelAnnotationOverrider,
    OverriderOperator, Overriders, PlaintextOverrider, RuleWithCluster,
};
use super::overridemanager::{self, OverrideError};
use super::placement::{ContainerArgs, Override, PatchOpKind, Placement};
use super::policy::Item;
use super::scope;
use crate::diag::error;

mod overlay;

use overlay::{OverlayChange, overlay_patches};

/// Normalises rendered objects (namespaces, FederatedHPA targets) the way the base was.
pub type Normalizer<'a> = &'a dyn Fn(&mut Vec<Value>, &str) -> Result<Vec<Item>>;

/// Where a kind keeps its pod spec, and the pod spec.
fn pod_spec<'a>(obj: &'a Value, kind: &str) -> Option<(&'static str, &'a Value)> {
    let p = match kind {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    let spec = crate::yaml::pointer(obj, p)?;
    spec.get("containers")
        .and_then(Value::as_array)
        .map(|_| (p, spec))
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
    let Some((base, spec)) = pod_spec(obj, kind) else {
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

fn plaintext(op: OverriderOperator, path: &str, value: Option<Value>) -> PlaintextOverrider {
    PlaintextOverrider {
        path: path.to_string(),
        operator: op,
        value,
    }
}

/// Override rules, each stored once (apps often repeat one change over many objects), and the
/// rules of every overridden object.
#[derive(Debug, Default)]
pub struct Rules {
    pub unique: Vec<RuleWithCluster>,
    /// Rule ids by hash, to find an equal rule without cloning it into a key.
    by_hash: std::collections::HashMap<u64, Vec<usize>>,
    hasher: std::hash::RandomState,
    /// Object position -> (`overrides:` entry, rule id), in entry order.
    pub by_object: BTreeMap<usize, Vec<(usize, usize)>>,
}

impl Rules {
    fn push(&mut self, object: usize, entry: usize, id: usize) {
        self.by_object.entry(object).or_default().push((entry, id));
    }

    /// Stores `rule` (once) for `object`; returns its id.
    fn add(&mut self, object: usize, entry: usize, rule: RuleWithCluster) -> usize {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(&rule);
        let ids = self.by_hash.entry(hash).or_default();
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
    let mut shapes: Vec<Option<Shape<'_>>> = objects.iter().map(|_| None).collect();
    // Whether an image overrider applies depends on the object and the overrider's paths only
    // (`buildPatches`), which many entries share: check each pair once.
    let mut images_ok: std::collections::HashSet<(usize, Vec<Option<String>>)> = Default::default();
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
        let fixed = Fixed::new(file, entry);
        let target_cluster = super::policy::cluster_names(&entry.clusters);
        let mut used = Used::default();
        // Objects that look the same to this entry get the same rule: compute it once.
        let mut seen: std::collections::HashMap<String, Option<usize>> = Default::default();
        for it in &candidates {
            let overlay_ops = overlay_diffs.get(&it.index);
            let groups = cluster_groups(&out, it.index, &entry.clusters);
            let fresh = matches!(groups.as_slice(), [(_, prior)] if prior.is_empty());
            if !fresh {
                let computed = composed_rules(
                    &fixed,
                    it,
                    &objects[it.index],
                    overlay_ops,
                    &out,
                    groups,
                    &mut used,
                )?;
                for rule in computed {
                    out.add(it.index, entry.index, rule);
                }
                continue;
            }
            let obj = &objects[it.index];
            let key = (entry.patches.is_empty() && overlay_ops.is_none()).then(|| {
                let shape = shapes[it.index].get_or_insert_with(|| Shape::new(it, obj));
                fingerprint(entry, shape)
            });
            if let Some(cached) = key.as_ref().and_then(|k| seen.get(k)) {
                if let Some(id) = cached {
                    // Same rule, same shape: only the image values can differ.
                    let overriders = &out.unique[*id].overriders;
                    let paths = overriders.image_overrider.iter();
                    let paths = paths.map(|io| io.predicate.as_ref().map(|p| p.path.clone()));
                    let key = (it.index, paths.collect::<Vec<_>>());
                    if !images_ok.contains(&key) {
                        overridemanager::check_images(obj, overriders).map_err(|e| {
                            apply_error(file, entry, &entry.clusters, it, &[], &e, None)
                        })?;
                        images_ok.insert(key);
                    }
                    out.push(it.index, entry.index, *id);
                }
                continue;
            }
            let (overriders, origins) = object_overriders(&fixed, it, obj, overlay_ops, &mut used)?;
            // Karmada applies the entry's overriders one after the other: each must apply to
            // the object as the earlier ones left it. Ops we derive ourselves (replicas, env) are
            // built in sequence already; user patches and overlays are checked by applying.
            let checked = match key {
                Some(_) => overridemanager::check_images(obj, &overriders),
                None => overridemanager::apply(&mut obj.clone(), &overriders),
            };
            checked
                .map_err(|e| apply_error(file, entry, &entry.clusters, it, &origins, &e, None))?;
            let id = (!overriders.is_empty()).then(|| {
                let rule = RuleWithCluster {
                    target_cluster: Some(target_cluster.clone()),
                    overriders,
                };
                out.add(it.index, entry.index, rule)
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
    Ok(out)
}

/// The field of an `overrides:` entry that produced a failing overrider.
fn origin_of(entry: &Override, origins: &[String], e: &OverrideError) -> String {
    let path = entry.path();
    let (field, index) = e
        .overrider
        .split_once('[')
        .map(|(f, i)| (f, i.trim_end_matches(']').parse::<usize>().ok()))
        .unwrap_or((e.overrider.as_str(), None));
    match field {
        "plaintext" => index.and_then(|i| origins.get(i)).cloned().unwrap_or(path),
        "imageOverrider" => format!("{path}.image"),
        "commandOverrider" => format!("{path}.command"),
        "argsOverrider" => format!("{path}.args"),
        "labelsOverrider" => format!("{path}.labels"),
        "annotationsOverrider" => format!("{path}.annotations"),
        _ => path,
    }
}

/// An entry's rules for one object whose clusters already have earlier rules for it: per group of
/// clusters, the overriders computed on the object as Karmada will have it after those rules;
/// groups that end up with the same overriders share one rule.
fn composed_rules(
    fixed: &Fixed<'_>,
    it: &Item,
    obj: &Value,
    overlay_ops: Option<&OverlayChange>,
    out: &Rules,
    groups: Vec<(Vec<String>, Vec<usize>)>,
    used: &mut Used,
) -> Result<Vec<RuleWithCluster>> {
    let (file, entry) = (fixed.file, fixed.entry);
    let mut rules: Vec<(Vec<String>, Overriders)> = Vec::new();
    for (clusters, prior) in groups {
        let mut base = obj.clone();
        for id in &prior {
            // Each earlier rule was applied and checked on its own base already.
            let _ = overridemanager::apply(&mut base, &out.unique[*id].overriders);
        }
        let (overriders, origins) = object_overriders(fixed, it, &base, overlay_ops, used)?;
        overridemanager::apply(&mut base, &overriders).map_err(|e| {
            let after = (!prior.is_empty()).then_some(" after the earlier overrides for it");
            apply_error(file, entry, &clusters, it, &origins, &e, after)
        })?;
        if overriders.is_empty() {
            continue;
        }
        match rules.iter_mut().find(|(_, o)| *o == overriders) {
            Some((names, _)) => names.extend(clusters),
            None => rules.push((clusters, overriders)),
        }
    }
    let position = |c: &String| entry.clusters.iter().position(|x| x == c);
    Ok(rules
        .into_iter()
        .map(|(mut clusters, overriders)| {
            clusters.sort_by_key(position);
            RuleWithCluster {
                target_cluster: Some(super::policy::cluster_names(&clusters)),
                overriders,
            }
        })
        .collect())
}

/// The entry's clusters grouped by the earlier rules that already apply to this object there
/// (Karmada applies them first): each group gets its own rule, computed on top of those.
fn cluster_groups(
    out: &Rules,
    object: usize,
    clusters: &[String],
) -> Vec<(Vec<String>, Vec<usize>)> {
    let earlier = out.by_object.get(&object);
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for c in clusters {
        let prior: Vec<usize> = earlier
            .into_iter()
            .flatten()
            .map(|(_, id)| *id)
            .filter(|id| {
                out.unique[*id]
                    .target_cluster
                    .as_ref()
                    .is_some_and(|t| t.cluster_names.contains(c))
            })
            .collect();
        match groups.iter_mut().find(|(_, p)| *p == prior) {
            Some((names, _)) => names.push(c.clone()),
            None => groups.push((vec![c.clone()], prior)),
        }
    }
    groups
}

/// `file: overrides[i].<field>: <op> cannot be applied to <object> on cluster <c>: <why>`.
fn apply_error(
    file: &str,
    entry: &Override,
    clusters: &[String],
    it: &Item,
    origins: &[String],
    e: &OverrideError,
    after: Option<&str>,
) -> anyhow::Error {
    let what = e.operation.as_deref().unwrap_or("the override");
    let clusters = match clusters {
        [one] => format!("cluster {one}"),
        many => format!("clusters {}", many.join(", ")),
    };
    error(
        file,
        &origin_of(entry, origins, e),
        format!(
            "{what} cannot be applied to {} on {clusters}{}: {}",
            it.key().display(),
            after.unwrap_or(""),
            e.message
        ),
    )
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

/// The part of an object's rule fingerprint that no entry changes, built once per object (every
/// entry looks at every object).
struct Shape<'a> {
    key: String,
    containers: Vec<Container<'a>>,
}

impl<'a> Shape<'a> {
    fn new(it: &Item, obj: &'a Value) -> Shape<'a> {
        use std::fmt::Write;
        let containers = containers(obj, &it.kind);
        let mut k = String::new();
        let _ = write!(
            k,
            "{}|{}|{}|{}|{}",
            scope::group(&it.api_version),
            it.kind,
            it.fhpa_target,
            crate::yaml::pointer(obj, "/spec/replicas").map_or("-", |v| if v.is_number() {
                "n"
            } else {
                "x"
            }),
            obj.get("spec").is_some_and(Value::is_object),
        );
        for c in &containers {
            let _ = write!(
                k,
                "|{}/{}/{}:{}:{}:{}",
                c.base,
                c.list,
                c.index,
                c.name.len(),
                c.name,
                c.value.get("image").is_some_and(Value::is_string)
            );
        }
        // Length first: the entry's part follows, and keys must not run into each other.
        Shape {
            key: format!("{}#{k}#", k.len()),
            containers,
        }
    }
}

/// Everything `object_overriders` reads from an object (without patches or an overlay): two objects
/// with the same fingerprint get the same overriders from an entry.
fn fingerprint(entry: &Override, shape: &Shape<'_>) -> String {
    use std::fmt::Write;
    let mut k = shape.key.clone();
    for c in &shape.containers {
        k.push('|');
        if entry.image.is_some() {
            let image = c.value.get("image").and_then(Value::as_str);
            // A pinned image's own value goes into its digest op.
            match image.filter(|i| tag_and_digest(i).is_some()) {
                Some(image) => {
                    let _ = write!(k, ":pinned:{}:{image}", image.len());
                }
                None => k.push_str(":-"),
            }
        }
        if !entry.env.is_empty() && !c.init {
            env_fingerprint(&mut k, c.value.get("env"), &entry.env);
        }
        if !entry.command.is_empty() || !entry.args.is_empty() {
            // The overrider adds a missing list, rewrites a list and fails on anything else.
            let shape = |v: Option<&Value>| match v {
                None | Some(Value::Null) => 0,
                Some(Value::Array(_)) => 1,
                Some(_) => 2,
            };
            let _ = write!(
                k,
                ":{}{}",
                shape(c.value.get("command")),
                shape(c.value.get("args"))
            );
        }
    }
    k
}

/// What `env_ops` reads from a container's env, without the values it only carries along: per
/// existing variable, its name when the entry sets it, whether it already equals the entry's
/// variable, and which entry variables its value references. Workloads that differ only in other
/// variables' names and values share one rule instead of computing one each.
fn env_fingerprint(k: &mut String, env: Option<&Value>, wanted: &[(String, String)]) {
    let Some(list) = env.and_then(Value::as_array) else {
        k.push_str(":env-");
        return;
    };
    k.push_str(":env[");
    for e in list {
        let name = e.get("name").and_then(Value::as_str);
        let value = e.get("value").and_then(Value::as_str);
        k.push('(');
        for (n, v) in wanted {
            let named = name == Some(n.as_str());
            let equal = named && *e == json!({"name": n, "value": v});
            let refers = value.is_some_and(|text| references_in(text, n));
            k.push(match (named, equal, refers) {
                (false, _, false) => '0',
                (false, _, true) => '1',
                (true, false, false) => '2',
                (true, false, true) => '3',
                (true, true, false) => '4',
                (true, true, true) => '5',
            });
        }
        k.push(')');
    }
    k.push(']');
}

/// Whether an env value references `$(name)`.
fn references_in(text: &str, name: &str) -> bool {
    text.match_indices("$(").any(|(i, _)| {
        text[i + 2..]
            .strip_prefix(name)
            .is_some_and(|r| r.starts_with(')'))
    })
}

/// The parts of an entry's overriders that are the same for every object, built once.
struct Fixed<'a> {
    /// `karmada.yaml`, for messages.
    file: &'a str,
    entry: &'a Override,
    labels: Vec<LabelAnnotationOverrider>,
    annotations: Vec<LabelAnnotationOverrider>,
}

impl<'a> Fixed<'a> {
    fn new(file: &'a str, entry: &'a Override) -> Fixed<'a> {
        let overrider = |map: &BTreeMap<String, String>| {
            if map.is_empty() {
                return Vec::new();
            }
            vec![LabelAnnotationOverrider {
                operator: OverriderOperator::Add,
                value: map.clone(),
            }]
        };
        Fixed {
            file,
            entry,
            labels: overrider(&entry.labels),
            annotations: overrider(&entry.annotations),
        }
    }
}

/// The overriders an entry gives one object, and for each plaintext op the entry's field it came
/// from (for messages).
fn object_overriders(
    fixed: &Fixed<'_>,
    it: &Item,
    obj: &Value,
    overlay_ops: Option<&OverlayChange>,
    used: &mut Used,
) -> Result<(Overriders, Vec<String>)> {
    let (file, entry) = (fixed.file, fixed.entry);
    let path = entry.path();
    let mut o = Overriders::default();
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

    let mut digest_ops: Vec<PlaintextOverrider> = Vec::new();
    if let Some(image) = &entry.image {
        for c in &conts {
            let Some(current) = c.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            used.image = true;
            if let Some((tagged, digest)) = tag_and_digest(current) {
                // Karmada's image overrider would keep the tag and drop the digest.
                if image.tag.is_some() {
                    return Err(error(
                        file,
                        &format!("{path}.image.tag"),
                        format!(
                            "container \"{}\" of {} runs {current}, pinned by tag and digest; a new tag would leave the digest in charge (and Karmada's image overrider drops the digest): change the image with `patches` instead",
                            c.name,
                            it.key().display()
                        ),
                    ));
                }
                let mut value = tagged.to_string();
                for (component, v) in [
                    (ImageComponent::Registry, &image.registry),
                    (ImageComponent::Repository, &image.repository),
                ] {
                    if let Some(v) = v {
                        let io = ImageOverrider {
                            predicate: None,
                            component,
                            operator: OverriderOperator::Replace,
                            value: v.clone(),
                        };
                        value = overridemanager::override_image(&value, &io)
                            .map_err(|e| error(file, &format!("{path}.image"), e))?;
                    }
                }
                digest_ops.push(plaintext(
                    OverriderOperator::Replace,
                    &format!("{}/image", c.pointer()),
                    Some(json!(format!("{value}@{digest}"))),
                ));
                continue;
            }
            for (component, value) in [
                (ImageComponent::Registry, &image.registry),
                (ImageComponent::Repository, &image.repository),
                (ImageComponent::Tag, &image.tag),
            ] {
                if let Some(v) = value {
                    o.image_overrider.push(ImageOverrider {
                        predicate: Some(ImagePredicate {
                            path: format!("{}/image", c.pointer()),
                        }),
                        component,
                        operator: OverriderOperator::Replace,
                        value: v.clone(),
                    });
                }
            }
        }
    }

    if supports_command_overrider(&it.kind) {
        o.command_overrider = command_args(&entry.command, &all_conts, &mut used.command);
        o.args_overrider = command_args(&entry.args, &all_conts, &mut used.args);
    }
    o.labels_overrider = fixed.labels.clone();
    o.annotations_overrider = fixed.annotations.clone();

    let mut origins: Vec<String> = vec![format!("{path}.image"); digest_ops.len()];
    let mut ops: Vec<PlaintextOverrider> = digest_ops;
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
        let op = match crate::yaml::pointer(obj, "/spec/replicas") {
            Some(Value::Number(_)) => Some(OverriderOperator::Replace),
            None if scalable(&it.api_version, &it.kind)
                && obj.get("spec").is_some_and(Value::is_object) =>
            {
                Some(OverriderOperator::Add)
            }
            _ => None,
        };
        if let Some(op) = op {
            used.replicas = true;
            ops.push(plaintext(op, "/spec/replicas", Some(json!(n))));
            origins.push(format!("{path}.replicas"));
        }
    }
    if !entry.env.is_empty() {
        for c in conts.iter().filter(|c| !c.init) {
            used.env = true;
            for op in env_ops(c, &entry.env) {
                ops.push(op);
                origins.push(format!("{path}.env"));
            }
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
        for (j, op) in patch.ops.iter().enumerate() {
            let operator = match op.op {
                PatchOpKind::Add => OverriderOperator::Add,
                PatchOpKind::Remove => OverriderOperator::Remove,
                PatchOpKind::Replace => OverriderOperator::Replace,
            };
            ops.push(plaintext(operator, &op.path, op.value.clone()));
            origins.push(format!("{path}.patches[{i}].ops[{j}].path"));
        }
    }
    if let Some(extra) = overlay_ops {
        o.labels_overrider.extend(extra.labels.iter().cloned());
        o.annotations_overrider
            .extend(extra.annotations.iter().cloned());
        for op in &extra.plaintext {
            ops.push(op.clone());
            origins.push(format!("{path}.kustomize"));
        }
    }
    o.plaintext = ops;
    Ok((o, origins))
}

/// `name:tag@digest` split into `name:tag` and the digest, for images pinned by both.
fn tag_and_digest(image: &str) -> Option<(&str, &str)> {
    let (tagged, digest) = image.split_once('@')?;
    let last = tagged.rsplit('/').next().unwrap_or(tagged);
    last.contains(':').then_some((tagged, digest))
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
) -> Vec<CommandArgsOverrider> {
    let mut out = Vec::new();
    for ca in list {
        if !conts.iter().any(|c| !c.init && c.name == ca.container) {
            continue;
        }
        used.insert(ca.container.clone());
        for (operator, value) in [
            (OverriderOperator::Add, &ca.add),
            (OverriderOperator::Remove, &ca.remove),
        ] {
            if !value.is_empty() {
                out.push(CommandArgsOverrider {
                    container_name: ca.container.clone(),
                    operator,
                    value: value.clone(),
                });
            }
        }
    }
    out
}

/// Sets each variable on one container, in the entry's order, never reordering the container's
/// env: a variable of the same name is replaced in place; a new one goes right before the first
/// entry whose value references it as `$(NAME)` (Kubernetes only expands references to earlier
/// entries), else at the end.
fn env_ops(c: &Container<'_>, env: &[(String, String)]) -> Vec<PlaintextOverrider> {
    let at = |rest: &str| format!("{}/env{rest}", c.pointer());
    let Some(existing) = c.value.get("env").and_then(Value::as_array) else {
        let mut list: Vec<Value> = Vec::new();
        for (k, v) in env {
            let entry = json!({"name": k, "value": v});
            match references(&list, k) {
                Some(i) => list.insert(i, entry),
                None => list.push(entry),
            }
        }
        return vec![plaintext(
            OverriderOperator::Add,
            &at(""),
            Some(Value::Array(list)),
        )];
    };
    let mut ops = Vec::new();
    let refers = existing.iter().any(|e| value_of(e).contains("$("))
        || env.iter().any(|(_, v)| v.contains("$("));
    if !refers {
        // Nothing to expand: replace in place, append the rest.
        for (k, v) in env {
            let entry = json!({"name": k, "value": v});
            // A missing name is no name, not "" (as on the path below).
            match existing
                .iter()
                .position(|e| e.get("name").and_then(Value::as_str) == Some(k))
            {
                Some(i) if existing[i] == entry => {}
                Some(i) => ops.push(plaintext(
                    OverriderOperator::Replace,
                    &at(&format!("/{i}")),
                    Some(entry),
                )),
                None => ops.push(plaintext(OverriderOperator::Add, &at("/-"), Some(entry))),
            }
        }
        return ops;
    }
    let mut current = existing.clone();
    for (k, v) in env {
        let entry = json!({"name": k, "value": v});
        let same_name = current
            .iter()
            .position(|e| e.get("name").and_then(Value::as_str) == Some(k));
        match same_name {
            Some(i) if current[i] == entry => {}
            Some(i) => {
                ops.push(plaintext(
                    OverriderOperator::Replace,
                    &at(&format!("/{i}")),
                    Some(entry.clone()),
                ));
                current[i] = entry;
            }
            None => match references(&current, k) {
                Some(i) => {
                    ops.push(plaintext(
                        OverriderOperator::Add,
                        &at(&format!("/{i}")),
                        Some(entry.clone()),
                    ));
                    current.insert(i, entry);
                }
                None => {
                    ops.push(plaintext(
                        OverriderOperator::Add,
                        &at("/-"),
                        Some(entry.clone()),
                    ));
                    current.push(entry);
                }
            },
        }
    }
    ops
}

fn value_of(e: &Value) -> &str {
    e.get("value").and_then(Value::as_str).unwrap_or("")
}

/// The first env entry whose value references `$(name)`.
fn references(list: &[Value], name: &str) -> Option<usize> {
    list.iter().position(|e| {
        e.get("value")
            .and_then(Value::as_str)
            .is_some_and(|v| references_in(v, name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Containers whose env gets the same fingerprint must get the same env ops: the rule
    /// cache in `rules` hands the first one's rule to the others.
    #[test]
    fn equal_env_fingerprints_mean_equal_env_ops() {
        let pairs = |l: &[(&str, &str)]| -> Vec<(String, String)> {
            l.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for wanted in [
            pairs(&[("A", "1"), ("B", "$(A)-x")]),
            pairs(&[("A", "1"), ("C", "2")]),
            pairs(&[("", "1"), ("B", "2")]),
        ] {
            env_fingerprints_hold(&wanted);
        }
    }

    fn env_fingerprints_hold(wanted: &[(String, String)]) {
        let names = ["A", "B", "C", ""];
        let values = ["1", "2", "$(A)-x", "$(B)", "$(C)$(A)", "$(A", "x$(AB)"];
        // Small deterministic generator: every seed gives one env list (or none).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut by_key: std::collections::HashMap<String, (Vec<PlaintextOverrider>, Value)> =
            Default::default();
        let mut shared = 0;
        for _ in 0..4000 {
            let env = match next(8) {
                0 => None,
                1 => Some(json!("not a list")),
                _ => Some(Value::Array(
                    (0..next(4))
                        .map(|_| match next(6) {
                            0 => json!({"name": names[next(names.len())], "valueFrom": {}}),
                            1 => json!({"value": values[next(values.len())]}),
                            _ => {
                                let name = names[next(names.len())];
                                json!({"name": name, "value": values[next(values.len())]})
                            }
                        })
                        .collect(),
                )),
            };
            let mut container = json!({"name": "app", "image": "app:1"});
            if let Some(env) = &env {
                container["env"] = env.clone();
            }
            let obj = json!({"spec": {"template": {"spec": {"containers": [container]}}}});
            let conts = containers(&obj, "Deployment");
            let mut key = String::new();
            env_fingerprint(&mut key, conts[0].value.get("env"), wanted);
            let ops = env_ops(&conts[0], wanted);
            match by_key.get(&key) {
                Some((seen, first)) => {
                    shared += 1;
                    assert_eq!(*seen, ops, "{key}: env {first} and {obj} differ");
                }
                None => {
                    by_key.insert(key, (ops, obj));
                }
            }
        }
        assert!(
            shared > 1000,
            "the generator should repeat fingerprints, got {shared}"
        );
    }

    #[test]
    fn references_in_finds_whole_names() {
        assert!(references_in("x$(A)y", "A"));
        assert!(references_in("$($(A)", "A"));
        assert!(!references_in("$(AB)", "A"));
        assert!(!references_in("$(A", "A"));
        assert!(!references_in("(A)", "A"));
    }

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
        let env = vec![
            ("X".to_string(), "1".to_string()),
            ("Y".to_string(), "2".to_string()),
            ("Z".to_string(), "3".to_string()),
        ];
        let as_json = |ops: Vec<PlaintextOverrider>| serde_json::to_value(ops).unwrap();
        assert_eq!(
            as_json(env_ops(&conts[1], &env)),
            json!([
                {"path": "/spec/template/spec/containers/0/env/1", "operator": "replace", "value": {"name": "Y", "value": "2"}},
                {"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "Z", "value": "3"}},
            ])
        );
        assert_eq!(
            as_json(env_ops(&conts[2], &env)),
            json!([
                {"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [
                    {"name": "X", "value": "1"}, {"name": "Y", "value": "2"}, {"name": "Z", "value": "3"}
                ]}
            ])
        );
    }

    #[test]
    fn new_env_goes_before_its_first_reference_and_order_is_kept() {
        let obj = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "B", "value": "x"}, {"name": "URL", "value": "http://$(HOST):80"}]}
        ]}}}});
        let conts = containers(&obj, "Deployment");
        let env = vec![
            ("Z".to_string(), "1".to_string()),
            ("HOST".to_string(), "h".to_string()),
        ];
        assert_eq!(
            serde_json::to_value(env_ops(&conts[0], &env)).unwrap(),
            json!([
                {"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "Z", "value": "1"}},
                {"path": "/spec/template/spec/containers/0/env/1", "operator": "add", "value": {"name": "HOST", "value": "h"}},
            ])
        );
    }

    #[test]
    fn a_new_variable_goes_before_a_new_one_that_references_it() {
        let obj = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "B", "value": "x"}]}, {"name": "b"}
        ]}}}});
        let conts = containers(&obj, "Deployment");
        let env = vec![
            ("URL".to_string(), "http://$(HOST)".to_string()),
            ("HOST".to_string(), "h".to_string()),
        ];
        assert_eq!(
            serde_json::to_value(env_ops(&conts[0], &env)).unwrap(),
            json!([
                {"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "URL", "value": "http://$(HOST)"}},
                {"path": "/spec/template/spec/containers/0/env/1", "operator": "add", "value": {"name": "HOST", "value": "h"}},
            ])
        );
        assert_eq!(
            serde_json::to_value(env_ops(&conts[1], &env)).unwrap(),
            json!([{"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [
                {"name": "HOST", "value": "h"}, {"name": "URL", "value": "http://$(HOST)"}]}])
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
