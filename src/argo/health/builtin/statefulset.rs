//! `health_statefulset.go` `getAppsv1StatefulSetHealth`. It has no Degraded outcome.

use serde_json::Value;

use super::{HealthStatus, int, opt_int, status};

pub fn health(obj: &Value) -> HealthStatus {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let observed = int(st, "observedGeneration");
    if observed == 0 || int(&obj["metadata"], "generation") > observed {
        return status(
            "Progressing",
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let replicas = opt_int(spec, "replicas");
    let ready = int(st, "readyReplicas");
    if let Some(want) = replicas.filter(|w| ready < *w) {
        return status(
            "Progressing",
            format!("Waiting for {} pods to be ready...", want - ready),
        );
    }
    let strategy = &spec["updateStrategy"];
    let updated = int(st, "updatedReplicas");
    let rolling = &strategy["rollingUpdate"];
    if strategy["type"] == "RollingUpdate" && rolling.is_object() {
        if let (Some(want), Some(partition)) = (replicas, opt_int(rolling, "partition"))
            && updated < want - partition
        {
            return status(
                "Progressing",
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    want - partition
                ),
            );
        }
        return status(
            "Healthy",
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if strategy["type"] == "OnDelete" {
        return status("Healthy", format!("statefulset has {ready} ready pods"));
    }
    let update_rev = st["updateRevision"].as_str().unwrap_or("");
    let current_rev = st["currentRevision"].as_str().unwrap_or("");
    if update_rev != current_rev {
        return status(
            "Progressing",
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}..."
            ),
        );
    }
    status(
        "Healthy",
        format!(
            "statefulset rolling update complete {} pods at revision {current_rev}...",
            int(st, "currentReplicas")
        ),
    )
}
