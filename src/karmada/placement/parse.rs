//! Reading each section of `karmada.yaml` into the placement model.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use super::*;
use crate::diag::{Field, Obj, error};

pub(super) fn cluster_names(f: Field<'_>) -> Result<Vec<String>> {
    let names = f.string_list()?;
    for (i, n) in names.iter().enumerate() {
        if let Err(msg) = check_cluster_name(n) {
            return Err(crate::diag::error(f.file, &format!("{}[{i}]", f.path), msg));
        }
    }
    Ok(names)
}

/// Labels: valid label keys and values (a member cluster would refuse others).
pub(super) fn labels(f: Field<'_>) -> Result<BTreeMap<String, String>> {
    let map = annotations(f)?;
    for (k, v) in &map {
        if !crate::karmada::naming::is_label_value(v) {
            return Err(crate::diag::error(
                f.file,
                &crate::diag::join(f.path, k),
                format!(
                    "\"{v}\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
                ),
            ));
        }
    }
    Ok(map)
}

/// Annotations: valid keys, any string values.
pub(super) fn annotations(f: Field<'_>) -> Result<BTreeMap<String, String>> {
    let map = f.string_map()?;
    for k in map.keys() {
        if !crate::karmada::naming::is_label_key(k) {
            return Err(crate::diag::error(
                f.file,
                &crate::diag::join(f.path, k),
                "not a valid key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.')",
            ));
        }
    }
    Ok(map)
}

pub(super) fn parse_clusters(f: Field<'_>) -> Result<Clusters> {
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

pub(super) fn parse_groups(f: Field<'_>) -> Result<Vec<AffinityGroup>> {
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
            if !crate::karmada::naming::is_affinity_name(n) {
                return Err(f.err(format!(
                    "\"{n}\" is not a valid group name (1-32 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
                )));
            }
            Ok(n.to_string())
        })?;
        if groups.iter().any(|g| g.name == name) {
            return Err(crate::diag::error(
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

pub(super) fn parse_affinity_fields(obj: &Obj<'_>) -> Result<Affinity> {
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
pub(super) fn parse_field_requirement(f: Field<'_>, key: ClusterField) -> Result<FieldRequirement> {
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

pub(super) fn parse_label_selector(f: Field<'_>) -> Result<LabelSelector> {
    let obj = f.object(&["matchLabels", "matchExpressions"])?;
    let match_labels = obj.opt("matchLabels", labels)?.unwrap_or_default();
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

pub(super) fn parse_replicas(f: Field<'_>) -> Result<Replicas> {
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
            let path = crate::diag::join(f.path, cluster);
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

pub(super) fn parse_spread(f: Field<'_>) -> Result<Vec<Spread>> {
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

pub(super) fn parse_failover(f: Field<'_>) -> Result<Failover> {
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

pub(super) fn parse_purge(o: &Obj<'_>, application: bool) -> Result<PurgeMode> {
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

pub(super) fn parse_state_rules(f: Field<'_>) -> Result<Vec<StateRule>> {
    let mut out = Vec::new();
    for (i, item) in f.list()?.iter().enumerate() {
        let path = format!("{}[{i}]", f.path);
        let o = Field::new(f.file, &path, item).object(&["aliasLabelName", "jsonPath"])?;
        let alias_label_name = o.req("aliasLabelName", |f| {
            let s = f.non_empty_str()?;
            if !crate::karmada::naming::is_label_key(s) {
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

pub(super) fn parse_suspension(f: Field<'_>) -> Result<Option<Suspension>> {
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

pub(super) fn parse_tolerations(f: Field<'_>) -> Result<Vec<Toleration>> {
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

pub(super) fn parse_overrides(f: Field<'_>) -> Result<Vec<Override>> {
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
            labels: o.opt("labels", labels)?.unwrap_or_default(),
            annotations: o.opt("annotations", annotations)?.unwrap_or_default(),
            command: o.opt("command", parse_container_args)?.unwrap_or_default(),
            args: o.opt("args", parse_container_args)?.unwrap_or_default(),
            env: o.opt("env", |f| f.string_pairs())?.unwrap_or_default(),
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

pub(super) fn parse_target(f: Field<'_>) -> Result<Target> {
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

pub(super) fn parse_image(f: Field<'_>) -> Result<Image> {
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
pub(super) fn parse_container_args(f: Field<'_>) -> Result<Vec<ContainerArgs>> {
    let mut out = Vec::new();
    for (container, v) in f.entries()? {
        let path = crate::diag::join(f.path, container);
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

pub(super) fn parse_patches(f: Field<'_>) -> Result<Vec<Patch>> {
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
                    Some(_) if kind == PatchOpKind::Remove => {
                        return Err(error(f.file, &op.path_of("value"), "remove takes no value"));
                    }
                    None if kind != PatchOpKind::Remove && op.has("value") => {
                        // The API server drops a null `value`, so Karmada would never see it.
                        return Err(error(
                            f.file,
                            &op.path_of("value"),
                            "null cannot be sent to Karmada; use `op: remove` to delete a field",
                        ));
                    }
                    None if kind != PatchOpKind::Remove => {
                        return Err(error(
                            f.file,
                            &op.path_of("value"),
                            format!("missing ({} needs a value)", kind.as_str()),
                        ));
                    }
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
