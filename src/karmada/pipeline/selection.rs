//! Which clusters a placement selects: `util.ClusterMatches` (`pkg/util/selector.go`), the first
//! usable `clusterAffinities` term (`pkg/scheduler/core/generic_scheduler.go`) and the
//! TaintToleration filter (`pkg/scheduler/framework/plugins/tainttoleration`).

use std::collections::BTreeMap;

use crate::karmada::api::{
    Cluster, ClusterAffinity, LabelSelector, LabelSelectorOperator, NodeSelectorOperator,
    NodeSelectorRequirement, Placement, TaintEffect, Toleration, TolerationOperator,
};
use crate::karmada::naming::{is_label_key, is_label_value};

/// How many values an operator takes (`labels.NewRequirement`).
#[derive(Clone, Copy)]
enum Arity {
    /// In, NotIn: at least one.
    Some,
    /// Exists, DoesNotExist: none.
    None,
    /// Gt, Lt: exactly one integer.
    OneInteger,
}

/// `labels.NewRequirement`'s checks (apimachinery `pkg/labels/selector.go`). A selector that
/// fails them does not build, and Karmada treats that as "matches nothing".
fn valid_requirement(key: &str, arity: Arity, values: &[String]) -> bool {
    let arity_ok = match arity {
        Arity::Some => !values.is_empty(),
        Arity::None => values.is_empty(),
        Arity::OneInteger => values.len() == 1 && values[0].parse::<i64>().is_ok(),
    };
    arity_ok && is_label_key(key) && values.iter().all(|v| is_label_value(v))
}

fn label_arity(op: LabelSelectorOperator) -> Arity {
    match op {
        LabelSelectorOperator::In | LabelSelectorOperator::NotIn => Arity::Some,
        LabelSelectorOperator::Exists | LabelSelectorOperator::DoesNotExist => Arity::None,
    }
}

fn field_arity(op: NodeSelectorOperator) -> Arity {
    use NodeSelectorOperator as Op;
    match op {
        Op::In | Op::NotIn => Arity::Some,
        Op::Exists | Op::DoesNotExist => Arity::None,
        Op::Gt | Op::Lt => Arity::OneInteger,
    }
}

/// `metav1.LabelSelectorAsSelector(s)`: false when the selector does not build.
fn label_selector_is_valid(s: &LabelSelector) -> bool {
    s.match_labels
        .iter()
        .all(|(k, v)| is_label_key(k) && is_label_value(v))
        && s.match_expressions
            .iter()
            .all(|e| valid_requirement(&e.key, label_arity(e.operator), &e.values))
}

/// `metav1.LabelSelectorAsSelector(s).Matches(labels)`; a selector that does not build matches
/// nothing, as in `util.ClusterMatches` and `util.ResourceSelectorPriority`.
pub fn labels_match(s: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    label_selector_is_valid(s)
        && s.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
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
    if let Some(f) = &a.field_selector {
        // Zone terms are matched on their own (`matchZones`); the others go through
        // `lifted.NodeSelectorRequirementsAsSelector`, so one malformed term matches nothing.
        let built = f
            .match_expressions
            .iter()
            .filter(|r| r.key != "zone")
            .all(|r| valid_requirement(&r.key, field_arity(r.operator), &r.values));
        if !built || !f.match_expressions.iter().all(|r| field_matches(r, c)) {
            return false;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster() -> Cluster {
        serde_json::from_value(
            json!({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
            "metadata": {"name": "m1", "labels": {"env": "prod"}},
            "spec": {"region": "eu", "provider": "aws", "zones": ["a"]}}),
        )
        .unwrap()
    }

    fn matches(affinity: serde_json::Value) -> bool {
        cluster_matches(&cluster(), &serde_json::from_value(affinity).unwrap())
    }

    /// Selectors `labels.NewRequirement` refuses select nothing, even where the test alone would
    /// pass (NotIn / DoesNotExist on a label or field the cluster lacks).
    #[test]
    fn selectors_that_do_not_build_match_nothing() {
        for (bad, good) in [
            (
                json!({"key": "tier", "operator": "NotIn", "values": []}),
                json!({"key": "tier", "operator": "NotIn", "values": ["x"]}),
            ),
            (
                json!({"key": "bad key", "operator": "DoesNotExist"}),
                json!({"key": "bad-key", "operator": "DoesNotExist"}),
            ),
            (
                json!({"key": "tier", "operator": "DoesNotExist", "values": ["x"]}),
                json!({"key": "tier", "operator": "DoesNotExist"}),
            ),
            (
                json!({"key": "tier", "operator": "NotIn", "values": ["not a value"]}),
                json!({"key": "tier", "operator": "NotIn", "values": ["not-a-value"]}),
            ),
        ] {
            let label = |e| json!({"labelSelector": {"matchExpressions": [e]}});
            assert!(!matches(label(bad.clone())), "{bad}");
            assert!(matches(label(good.clone())), "{good}");
        }
        assert!(!matches(
            json!({"labelSelector": {"matchLabels": {"env": "prod", "": "x"}}})
        ));
        let field = |e| json!({"fieldSelector": {"matchExpressions": [e]}});
        assert!(!matches(field(
            json!({"key": "provider", "operator": "NotIn", "values": []})
        )));
        assert!(matches(field(
            json!({"key": "provider", "operator": "NotIn", "values": ["gcp"]})
        )));
        // One malformed term spoils the others: the selector is built as a whole.
        assert!(!matches(json!({"fieldSelector": {"matchExpressions": [
            {"key": "region", "operator": "In", "values": ["eu"]},
            {"key": "region", "operator": "Gt", "values": ["x"]}]}})));
        // Zone terms are checked on their own (`matchZones`), without the builder's rules.
        assert!(matches(field(
            json!({"key": "zone", "operator": "NotIn", "values": []})
        )));
    }
}
