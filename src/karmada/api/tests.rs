use serde_json::json;

use super::*;

#[test]
fn omitempty_fields_are_left_out() {
    let item = AggregatedStatusItem {
        cluster_name: "member1".into(),
        applied: false,
        applied_message: "boom".into(),
        health: Some(ResourceHealth::Unknown),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&item).unwrap(),
        json!({"clusterName": "member1", "appliedMessage": "boom", "health": "Unknown"})
    );
    let rule = RuleWithCluster::default();
    assert_eq!(
        serde_json::to_value(&rule).unwrap(),
        json!({"overriders": {}})
    );
}

#[test]
fn closed_sets_reject_unknown_values() {
    let bad = json!({"path": "/a", "operator": "move"});
    assert!(serde_json::from_value::<PlaintextOverrider>(bad).is_err());
    let spread = json!({"spreadByField": "planet"});
    assert!(serde_json::from_value::<SpreadConstraint>(spread).is_err());
}

#[test]
fn affinity_terms_inline_the_affinity() {
    let term = json!({"affinityName": "primary", "clusterNames": ["a"], "exclude": ["b"]});
    let t: ClusterAffinityTerm = serde_json::from_value(term.clone()).unwrap();
    assert_eq!(t.affinity.cluster_names, ["a"]);
    assert_eq!(t.affinity.exclude_clusters, ["b"]);
    assert_eq!(serde_json::to_value(&t).unwrap(), term);
}
