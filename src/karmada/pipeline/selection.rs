//! Which clusters a placement selects: `util.ClusterMatches` (`pkg/util/selector.go`), the first
//! usable `clusterAffinities` term (`pkg/scheduler/core/generic_scheduler.go`) and the
//! TaintToleration filter (`pkg/scheduler/framework/plugins/tainttoleration`).

use std::collections::BTreeMap;

use crate::karmada::api::{
    Cluster, ClusterAffinity, LabelSelector, LabelSelectorOperator, NodeSelectorOperator,
    NodeSelectorRequirement, Placement, TaintEffect, Toleration, TolerationOperator,
};

/// `metav1.LabelSelectorAsSelector(s).Matches(labels)`.
pub fn labels_match(s: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    s.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
        && s.match_expressions.iter().all(|e| {
            let have = labels.get(&e.key);
            match e.operator {
                LabelSelectorOperator::In => have.is_some_and(|v| e.values.contains(v)),
                LabelSelectorOperator::NotIn => have.is_none_or(|v| !e.values.contains(v)),
                LabelSelectorOperator::Exists => have.is_some(),
                LabelSelectorOperator::DoesNotExist => have.is_none(),
            }
        })
}

/// One field requirement against `provider`/`region` (`extractClusterFields`), or `zone` against
/// `spec.zones` (`matchZones`; the deprecated `spec.zone` is not consulted).
fn field_matches(r: &NodeSelectorRequirement, c: &Cluster) -> bool {
    use NodeSelectorOperator as Op;
    if r.key == "zone" {
        let zones = &c.spec.zones;
        return match r.operator {
            Op::In => zones.iter().any(|z| r.values.contains(z)),
            Op::NotIn => !zones.iter().any(|z| r.values.contains(z)),
            Op::Exists => !zones.is_empty(),
            Op::DoesNotExist => zones.is_empty(),
            Op::Gt | Op::Lt => false,
        };
    }
    let value = match r.key.as_str() {
        "provider" if !c.spec.provider.is_empty() => Some(&c.spec.provider),
        "region" if !c.spec.region.is_empty() => Some(&c.spec.region),
        _ => None,
    };
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator {
        Op::In => value.is_some_and(|v| r.values.contains(v)),
        Op::NotIn => value.is_none_or(|v| !r.values.contains(v)),
        Op::Exists => value.is_some(),
        Op::DoesNotExist => value.is_none(),
        Op::Gt | Op::Lt => {
            let (Some(v), Some(limit)) = (
                value.and_then(|v| number(v)),
                r.values.first().and_then(|x| number(x)),
            ) else {
                return false;
            };
            if r.operator == Op::Gt {
                v > limit
            } else {
                v < limit
            }
        }
    }
}

/// `util.ClusterMatches`.
pub fn cluster_matches(c: &Cluster, a: &ClusterAffinity) -> bool {
    let name = &c.metadata.name;
    if a.exclude_clusters.contains(name) {
        return false;
    }
    if let Some(s) = &a.label_selector
        && !labels_match(s, &c.metadata.labels)
    {
        return false;
    }
    if let Some(f) = &a.field_selector
        && !f.match_expressions.iter().all(|r| field_matches(r, c))
    {
        return false;
    }
    a.cluster_names.is_empty() || a.cluster_names.contains(name)
}

/// `Toleration.ToleratesTaint`.
fn tolerates(t: &Toleration, key: &str, value: &str, effect: TaintEffect) -> bool {
    if t.effect.is_some_and(|e| e != effect) {
        return false;
    }
    if !t.key.is_empty() && t.key != key {
        return false;
    }
    match t.operator {
        Some(TolerationOperator::Exists) => true,
        _ => t.value == value,
    }
}

/// The first NoSchedule/NoExecute taint no toleration tolerates.
fn untolerated<'a>(c: &'a Cluster, tolerations: &[Toleration]) -> Option<&'a str> {
    c.spec
        .taints
        .iter()
        .filter(|t| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute))
        .find(|t| {
            !tolerations
                .iter()
                .any(|tol| tolerates(tol, &t.key, &t.value, t.effect))
        })
        .map(|t| t.key.as_str())
}

/// The clusters a placement selects, in inventory order, and why each other cluster is left out.
pub struct Selection<'a> {
    pub selected: Vec<&'a Cluster>,
    pub rejected: BTreeMap<String, String>,
    /// Which `clusterAffinities` term was used.
    pub affinity_name: Option<String>,
}

pub fn select<'a>(p: &Placement, clusters: &'a [Cluster]) -> Selection<'a> {
    let run = |a: Option<&ClusterAffinity>| {
        let mut selected = Vec::new();
        let mut rejected = BTreeMap::new();
        for c in clusters {
            let name = c.metadata.name.clone();
            if a.is_some_and(|a| !cluster_matches(c, a)) {
                rejected.insert(
                    name,
                    "not selected by the placement's cluster affinity".into(),
                );
            } else if let Some(taint) = untolerated(c, &p.cluster_tolerations) {
                rejected.insert(name, format!("taint {taint} is not tolerated"));
            } else {
                selected.push(c);
            }
        }
        (selected, rejected)
    };
    if p.cluster_affinities.is_empty() {
        let (selected, rejected) = run(p.cluster_affinity.as_ref());
        return Selection {
            selected,
            rejected,
            affinity_name: None,
        };
    }
    // Karmada starts with the first term and moves on only when it fits no cluster.
    let mut last = None;
    for term in &p.cluster_affinities {
        let (selected, rejected) = run(Some(&term.affinity));
        if !selected.is_empty() {
            return Selection {
                selected,
                rejected,
                affinity_name: Some(term.affinity_name.clone()),
            };
        }
        last = Some(rejected);
    }
    Selection {
        selected: Vec::new(),
        rejected: last.unwrap_or_default(),
        affinity_name: None,
    }
}
