//! The Karmada policy objects, in the form Karmada stores them.

use serde_json::{Map, Value, json};

use super::{Item, MANAGED_BY, MANAGER, POLICY_API_VERSION, SYNC_WAVE};
use crate::karmada::naming;
use crate::karmada::placement::{
    Affinity, ApplicationFailover, ClusterFailover, Clusters, ConflictResolution, Failover,
    LabelSelector, Placement, Preemption, PurgeMode, Replicas, Spread, SpreadBy, StateRule,
    Suspension,
};

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

pub(super) fn propagation_policy(
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
    let deps = p.propagate_deps.0 || items.iter().any(|it| it.kind == "ServiceImport");
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
    if p.lazy_activation {
        spec.insert("activationPreference".into(), json!("Lazy"));
    }
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
    if let Some(class) = &p.schedule_priority_class {
        spec.insert(
            "schedulePriority".into(),
            json!({"priorityClassSource": "KubePriorityClass", "priorityClassName": class}),
        );
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

pub(super) fn override_policy(
    name: &str,
    members: &[&Item],
    rules: &[&Value],
    wave: &str,
) -> Value {
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
