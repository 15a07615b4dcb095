//! `health_deployment.go` `getAppsv1DeploymentHealth`.

use serde_json::Value;

use super::{HealthStatus, int, opt_int, status};

pub fn health(obj: &Value) -> HealthStatus {
    let spec = &obj["spec"];
    let st = &obj["status"];
    if spec["paused"] == true {
        return status("Suspended", "Deployment is paused");
    }
    // Generation <= Status.ObservedGeneration, else still Progressing.
    if int(&obj["metadata"], "generation") > int(st, "observedGeneration") {
        return status(
            "Progressing",
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    // The first Progressing condition, whatever its status.
    let progressing = st["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"));
    let (replicas, updated, available) = (
        int(st, "replicas"),
        int(st, "updatedReplicas"),
        int(st, "availableReplicas"),
    );
    if progressing.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
        return status(
            "Degraded",
            format!("Deployment {name:?} exceeded its progress deadline"),
        );
    }
    if let Some(want) = opt_int(spec, "replicas").filter(|w| updated < *w) {
        return status(
            "Progressing",
            format!(
                "Waiting for rollout to finish: {updated} out of {want} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return status(
            "Progressing",
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return status(
            "Progressing",
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    status("Healthy", "")
}
