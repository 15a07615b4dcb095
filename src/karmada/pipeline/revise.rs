//! What Karmada does to a member's copy before overrides and after: the native ReviseReplica
//! (`pkg/resourceinterpreter/default/native/revisereplica.go`, `helper.ApplyReplica`: only a
//! field that is set is rewritten), replicas and requirements as the native interpreter reads
//! them (`replica.go`), and the fields pruned before the Work is written
//! (`pkg/resourceinterpreter/default/native/prune/prune.go`, called with `RemoveJobTTLSeconds` by
//! `pkg/controllers/ctrlutil/work.go`).

use serde_json::{Value, json};

fn kind_of(obj: &Value) -> (&str, &str) {
    (
        obj.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
        obj.get("kind").and_then(Value::as_str).unwrap_or(""),
    )
}

/// The spec field ReviseReplica rewrites for a kind.
fn replica_field(obj: &Value) -> Option<&'static str> {
    match kind_of(obj) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet") => Some("replicas"),
        ("batch/v1", "Job") => Some("parallelism"),
        _ => None,
    }
}

/// Replicas and whether the template states resource requirements, as the native
/// `GetReplicas` reads them (Deployment/ReplicaSet/StatefulSet `spec.replicas` (default 1), Job
/// `spec.parallelism` (default 1), Pod 1). `None` for kinds without replicas.
pub fn workload_replicas(obj: &Value) -> Option<(i32, bool)> {
    let (av, kind) = kind_of(obj);
    let (field, pod_spec) = match (av, kind) {
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet") => {
            ("replicas", "/spec/template/spec")
        }
        ("batch/v1", "Job") => ("parallelism", "/spec/template/spec"),
        ("v1", "Pod") => ("", "/spec"),
        _ => return None,
    };
    let replicas = if field.is_empty() {
        1
    } else {
        crate::yaml::pointer(obj, &format!("/spec/{field}"))
            .and_then(Value::as_i64)
            .map_or(1, |n| i32::try_from(n).unwrap_or(i32::MAX))
    };
    Some((
        replicas,
        has_requirements(crate::yaml::pointer(obj, pod_spec)),
    ))
}

/// `helper.GenerateReplicaRequirements` is non-nil when the pod asks for resources or constrains
/// its nodes.
fn has_requirements(pod: Option<&Value>) -> bool {
    let Some(pod) = pod else { return false };
    let requests = pod
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            crate::yaml::pointer(c, "/resources/requests")
                .and_then(Value::as_object)
                .is_some_and(|r| !r.is_empty())
        });
    let nodes = ["nodeSelector", "tolerations"]
        .iter()
        .any(|k| pod.get(*k).is_some_and(|v| !v.is_null()))
        || crate::yaml::pointer(pod, "/affinity/nodeAffinity").is_some();
    requests || nodes
}

/// ReviseReplica: writes the cluster's replicas into the field, when the template sets it.
pub fn revise_replicas(obj: &mut Value, replicas: i32) {
    let Some(field) = replica_field(obj) else {
        return;
    };
    if let Some(slot) = obj.pointer_mut(&format!("/spec/{field}"))
        && slot.is_i64()
    {
        *slot = json!(replicas);
    }
}

fn remove(obj: &mut Value, parent: &str, keys: &[&str]) {
    if let Some(m) = obj.pointer_mut(parent).and_then(Value::as_object_mut) {
        for k in keys {
            m.remove(*k);
        }
    }
}

/// `RemoveIrrelevantFields(obj, RemoveJobTTLSeconds)`.
pub fn prune(obj: &mut Value) {
    remove(
        obj,
        "/metadata",
        &[
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "resourceVersion",
            "selfLink",
            "uid",
            "ownerReferences",
            "finalizers",
        ],
    );
    remove(obj, "", &["status"]);
    let kind = kind_of(obj).1.to_string();
    match kind.as_str() {
        "Deployment" => remove(
            obj,
            "/metadata/annotations",
            &[
                "deployment.kubernetes.io/revision",
                "deployment.kubernetes.io/revision-history",
            ],
        ),
        "Job" => {
            if crate::yaml::pointer(obj, "/spec/manualSelector") != Some(&json!(true)) {
                let uid = ["controller-uid", "batch.kubernetes.io/controller-uid"];
                remove(obj, "/spec/selector/matchLabels", &uid);
                let labels = "/spec/template/metadata/labels";
                remove(obj, labels, &uid);
                remove(obj, labels, &["job-name", "batch.kubernetes.io/job-name"]);
            }
            remove(obj, "/spec", &["ttlSecondsAfterFinished"]);
        }
        "Service" => {
            let ip = crate::yaml::pointer(obj, "/spec/clusterIP").and_then(Value::as_str);
            if ip.is_some_and(|ip| ip != "None") {
                remove(obj, "/spec", &["clusterIP", "clusterIPs"]);
            }
        }
        "Secret"
            if obj.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token") =>
        {
            let uid = "kubernetes.io/service-account.uid";
            remove(obj, "/metadata/annotations", &[uid]);
            if let Some(m) = obj.as_object_mut() {
                m.insert("data".into(), Value::Null);
            }
        }
        "ServiceAccount" => {
            let name = crate::yaml::pointer(obj, "/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let prefix = format!("{name}-token-");
            if let Some(list) = obj.get_mut("secrets").and_then(Value::as_array_mut) {
                list.retain(|s| {
                    !s.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with(&prefix))
                });
            }
        }
        "PersistentVolumeClaim" => {
            remove(
                obj,
                "/metadata/annotations",
                &["volume.kubernetes.io/selected-node"],
            );
        }
        _ => {}
    }
}
