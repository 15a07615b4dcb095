use serde_json::{Value, json};

use super::health;

fn check(obj: Value) -> (String, String) {
    let h = health(&obj).expect("built-in kind");
    (h.status, h.message)
}

fn deploy(generation: i64, status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "generation": generation}, "spec": {"replicas": 3}, "status": status})
}

#[test]
fn deployment_rules_in_go_order() {
    let (s, m) = check(deploy(2, json!({"observedGeneration": 1})));
    assert_eq!(
        (s.as_str(), m.contains("observed deployment generation")),
        ("Progressing", true)
    );
    // The deadline wins over the counters, but only once the generation is observed.
    let pde = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
        "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]});
    assert_eq!(
        check(deploy(2, pde.clone())),
        (
            "Degraded".into(),
            "Deployment \"web\" exceeded its progress deadline".into()
        )
    );
    assert_eq!(check(deploy(3, pde)).0, "Progressing");
    let rolling = json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3});
    assert_eq!(
        check(deploy(2, rolling)).1,
        "Waiting for rollout to finish: 1 old replicas are pending termination..."
    );
    let healthy = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3});
    assert_eq!(check(deploy(2, healthy)), ("Healthy".into(), String::new()));
    let mut paused = deploy(2, json!({}));
    paused["spec"]["paused"] = json!(true);
    assert_eq!(check(paused).0, "Suspended");
}

#[test]
fn statefulset_partition_and_revisions() {
    let sts = |status: Value, strategy: Value| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "generation": 1},
            "spec": {"replicas": 6, "updateStrategy": strategy}, "status": status})
    };
    let partitioned = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
    let st = json!({"observedGeneration": 1, "readyReplicas": 6, "updatedReplicas": 3});
    assert_eq!(
        check(sts(st, partitioned.clone())).1,
        "Waiting for partitioned roll out to finish: 3 out of 5 new pods have been updated..."
    );
    let st = json!({"observedGeneration": 1, "readyReplicas": 6, "updatedReplicas": 5});
    assert_eq!(check(sts(st, partitioned)).0, "Healthy");
    let st = json!({"observedGeneration": 0, "readyReplicas": 6});
    assert_eq!(check(sts(st, json!({}))).0, "Progressing");
    let st = json!({"observedGeneration": 1, "readyReplicas": 6, "currentRevision": "a", "updateRevision": "b"});
    assert_eq!(
        check(sts(st, json!({"type": "RollingUpdate"}))).0,
        "Progressing"
    );
}

#[test]
fn daemonset_and_job() {
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "generation": 1},
        "status": {"observedGeneration": 1, "desiredNumberScheduled": 4, "updatedNumberScheduled": 4, "numberAvailable": 3}});
    assert_eq!(
        check(ds).1,
        "Waiting for daemon set \"agent\" rollout to finish: 3 of 4 updated pods are available..."
    );
    let job = |conds: Value| json!({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": conds}});
    assert_eq!(check(job(json!([]))).0, "Progressing");
    assert_eq!(
        check(job(
            json!([{"type": "Failed", "status": "True", "message": "x"}])
        )),
        ("Degraded".into(), "x".into())
    );
    assert_eq!(
        check(job(json!([{"type": "Suspended", "status": "True"}]))).0,
        "Suspended"
    );
    assert_eq!(
        check(job(
            json!([{"type": "Complete", "status": "True", "message": "done"}])
        ))
        .1,
        "done"
    );
    let mut deleting = job(json!([]));
    deleting["metadata"] = json!({"deletionTimestamp": "2024-01-01T00:00:00Z"});
    assert_eq!(check(deleting).1, "Pending deletion");
    assert!(health(&json!({"apiVersion": "v1", "kind": "Pod"})).is_none());
}
