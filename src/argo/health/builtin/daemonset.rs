//! `health_daemonset.go` `getAppsv1DaemonSetHealth`. It has no Degraded outcome.

use serde_json::Value;

use super::{HealthStatus, int, status};

pub fn health(obj: &Value) -> HealthStatus {
    let st = &obj["status"];
    if int(&obj["metadata"], "generation") > int(st, "observedGeneration") {
        return status(
            "Progressing",
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let (updated, desired, available) = (
        int(st, "updatedNumberScheduled"),
        int(st, "desiredNumberScheduled"),
        int(st, "numberAvailable"),
    );
    if obj["spec"]["updateStrategy"]["type"] == "OnDelete" {
        return status(
            "Healthy",
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return status(
            "Progressing",
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    if available < desired {
        return status(
            "Progressing",
            format!(
                "Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    status("Healthy", "")
}
