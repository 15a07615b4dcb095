use serde_json::json;

use super::*;

fn input(docs: Value) -> Input {
    let docs: Vec<Value> = serde_json::from_value(docs).unwrap();
    Input::from_stream(docs, "test").unwrap()
}

fn deployment(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1"}]}}}})
}

fn pp(name: &str, selector: Value, placement: Value, priority: i64) -> Value {
    json!({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"resourceSelectors": [selector], "placement": placement, "priority": priority}})
}

/// PropagationPolicy `p` for every Deployment of namespace `shop`.
fn all_deployments(placement: Value) -> Value {
    pp(
        "p",
        json!({"apiVersion": "apps/v1", "kind": "Deployment"}),
        placement,
        0,
    )
}

fn run(i: &Input, names: &[&str]) -> Simulation {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    simulate(i, &clusters_named(&names), &Options::default())
}

fn replicas(sim: &Simulation, cluster: &str) -> Option<i32> {
    match &sim.templates[0].per_cluster[cluster] {
        Outcome::Delivered(d) => d.replicas,
        Outcome::Not(_) => None,
    }
}

#[test]
fn divided_by_static_weights_and_zero_replica_clusters() {
    let i = input(json!([
        deployment(10),
        all_deployments(json!({
        "clusterAffinity": {"clusterNames": ["a", "b", "c"]},
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": {"clusterNames": ["a"]}, "weight": 2},
                {"targetCluster": {"clusterNames": ["b"]}, "weight": 1}]}}}))
    ]));
    let sim = run(&i, &["a", "b", "c"]);
    assert_eq!(replicas(&sim, "a"), Some(7));
    assert_eq!(replicas(&sim, "b"), Some(3));
    let Outcome::Not(why) = &sim.templates[0].per_cluster["c"] else {
        panic!()
    };
    assert!(why.contains("0 of 10"), "{why}");
    let Outcome::Delivered(d) = &sim.templates[0].per_cluster["a"] else {
        panic!()
    };
    assert_eq!(d.object["spec"]["replicas"], 7);
    assert!(
        d.object["metadata"]["labels"]
            .get("propagationpolicy.karmada.io/permanent-id")
            .is_none()
    );
}

#[test]
fn ties_show_both_outcomes_unless_the_uid_is_known() {
    let i = input(json!([
        deployment(5),
        all_deployments(json!({
        "clusterAffinity": {"clusterNames": ["a", "b"]},
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}}))
    ]));
    let cl = clusters_named(&["a".into(), "b".into()]);
    let sim = simulate(&i, &cl, &Options::default());
    let Outcome::Delivered(a) = &sim.templates[0].per_cluster["a"] else {
        panic!()
    };
    assert_eq!((a.replicas, a.tie), (Some(3), Some(2)));
    let opts = Options {
        uid: Some("b".into()),
        ..Options::default()
    };
    let sim = simulate(&i, &cl, &opts);
    assert_eq!(
        (replicas(&sim, "a"), replicas(&sim, "b")),
        (Some(2), Some(3))
    );
}

#[test]
fn claim_prefers_explicit_priority_then_name_match_then_name() {
    let by_name = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
    let all = json!({"apiVersion": "apps/v1", "kind": "Deployment"});
    let to = |c: &str| json!({"clusterAffinity": {"clusterNames": [c]}});
    let i = input(json!([
        deployment(1),
        pp("b-all", all.clone(), to("x"), 0),
        pp("c-name", by_name.clone(), to("y"), 0)
    ]));
    assert_eq!(i.templates.len(), 1);
    let sim = run(&i, &["x", "y"]);
    assert_eq!(
        sim.templates[0].policy.as_deref(),
        Some("PropagationPolicy shop/c-name")
    );
    let i = input(json!([
        deployment(1),
        pp("b-all", all, to("x"), 5),
        pp("c-name", by_name, to("y"), 0)
    ]));
    let sim = run(&i, &["x", "y"]);
    assert_eq!(
        sim.templates[0].policy.as_deref(),
        Some("PropagationPolicy shop/b-all")
    );
}

#[test]
fn overrides_apply_in_karmadas_order_and_a_failure_withholds_the_cluster() {
    let op = |name: &str, value: &str| {
        json!({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "overrideRules": [{"targetCluster": {"clusterNames": ["a"]}, "overriders": {"plaintext": [
                {"path": "/metadata/labels/app", "operator": "replace", "value": value}]}}]}})
    };
    let broken = json!({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterOverridePolicy",
        "metadata": {"name": "z"},
        "spec": {"overrideRules": [{"targetCluster": {"clusterNames": ["b"]}, "overriders": {"plaintext": [
            {"path": "/spec/nothing/here", "operator": "replace", "value": 1}]}}]}});
    let i = input(json!([
        deployment(1),
        all_deployments(json!({"clusterAffinity": {"clusterNames": ["a", "b"]}})),
        op("y", "second"),
        op("x", "first"),
        broken
    ]));
    let sim = run(&i, &["a", "b"]);
    let Outcome::Delivered(a) = &sim.templates[0].per_cluster["a"] else {
        panic!()
    };
    assert_eq!(
        a.object["metadata"]["labels"]["app"], "second",
        "x runs before y"
    );
    let Outcome::Not(why) = &sim.templates[0].per_cluster["b"] else {
        panic!()
    };
    assert!(why.starts_with("ClusterOverridePolicy z fails"), "{why}");
}

#[test]
fn cluster_selection_by_labels_fields_and_taints() {
    let clusters: Vec<Cluster> = serde_json::from_value(json!([
        {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "eu", "labels": {"env": "prod"}},
         "spec": {"region": "eu-west-1", "zones": ["a"]}},
        {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "us", "labels": {"env": "prod"}},
         "spec": {"region": "us-east-1", "taints": [{"key": "maint", "effect": "NoSchedule"}]}},
        {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "dev", "labels": {"env": "dev"}},
         "spec": {"region": "eu-west-1"}}
    ])).unwrap();
    let i = input(json!([
        deployment(2),
        all_deployments(json!({
        "clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}}}))
    ]));
    let sim = simulate(&i, &clusters, &Options::default());
    assert_eq!(replicas(&sim, "eu"), Some(2));
    let Outcome::Not(us) = &sim.templates[0].per_cluster["us"] else {
        panic!()
    };
    assert!(us.contains("taint maint"), "{us}");
    assert!(matches!(
        &sim.templates[0].per_cluster["dev"],
        Outcome::Not(_)
    ));
    let i = input(json!([
        deployment(2),
        all_deployments(json!({
        "clusterAffinity": {"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["eu-west-1"]}]}},
        "clusterTolerations": [{"key": "maint", "operator": "Exists"}]}))
    ]));
    let sim = simulate(&i, &clusters, &Options::default());
    assert_eq!(
        (
            replicas(&sim, "eu"),
            replicas(&sim, "dev"),
            replicas(&sim, "us")
        ),
        (Some(2), Some(2), None)
    );
}

#[test]
fn zero_replica_workloads_go_nowhere_unless_empty_propagation() {
    let mut d = deployment(0);
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "1"}});
    let i = input(json!([
        d,
        all_deployments(json!({"clusterAffinity": {"clusterNames": ["a"]}}))
    ]));
    let cl = clusters_named(&["a".into()]);
    let sim = simulate(&i, &cl, &Options::default());
    assert!(
        matches!(&sim.templates[0].per_cluster["a"], Outcome::Not(w) if w.contains("0 replicas"))
    );
    let sim = simulate(
        &i,
        &cl,
        &Options {
            empty_workload_propagation: true,
            ..Options::default()
        },
    );
    assert_eq!(replicas(&sim, "a"), Some(0));
}

#[test]
fn pruning_drops_what_karmada_drops_before_writing_a_work() {
    let mut svc = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "s", "uid": "u", "resourceVersion": "1", "labels": {"a": "b"}},
        "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 80}]},
        "status": {"loadBalancer": {}}});
    revise::prune(&mut svc);
    assert_eq!(
        svc,
        json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "s", "labels": {"a": "b"}}, "spec": {"ports": [{"port": 80}]}})
    );
    let mut headless = json!({"kind": "Service", "spec": {"clusterIP": "None"}});
    revise::prune(&mut headless);
    assert_eq!(headless["spec"]["clusterIP"], "None");
    let mut job = json!({"kind": "Job", "spec": {"ttlSecondsAfterFinished": 10,
        "selector": {"matchLabels": {"controller-uid": "x", "app": "j"}},
        "template": {"metadata": {"labels": {"job-name": "j", "app": "j"}}}}});
    revise::prune(&mut job);
    assert_eq!(
        job,
        json!({"kind": "Job", "spec": {"selector": {"matchLabels": {"app": "j"}},
        "template": {"metadata": {"labels": {"app": "j"}}}}})
    );
}

#[test]
fn overflow_groups_are_named_as_live_state() {
    let term = json!({"affinityName": "primary", "clusterNames": ["m1"],
        "overflowAffinities": [{"affinityName": "burst", "clusterNames": ["m2"]}]});
    let placement = json!({"clusterAffinities": [term],
        "replicaScheduling": {"replicaSchedulingType": "Divided"}});
    let i = input(json!([deployment(4), all_deployments(placement)]));
    let sim = run(&i, &["m1", "m2"]);
    assert_eq!(replicas(&sim, "m1"), Some(4));
    assert_eq!(replicas(&sim, "m2"), None);
    let warnings = &sim.templates[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("term primary has overflow groups (burst)")),
        "{warnings:?}"
    );
}
