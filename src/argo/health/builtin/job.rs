//! `health_job.go` `getBatchv1JobHealth`. Note: a `Failed` or `Complete` condition counts
//! whatever its status; only `Suspended` looks at it.

use serde_json::Value;

use super::{HealthStatus, status};

pub fn health(obj: &Value) -> HealthStatus {
    let (mut failed, mut complete, mut suspended) = (false, false, false);
    let (mut fail_msg, mut message) = (String::new(), String::new());
    let text = |c: &Value| c["message"].as_str().unwrap_or("").to_string();
    for c in obj["status"]["conditions"].as_array().into_iter().flatten() {
        match c["type"].as_str() {
            Some("Failed") => {
                failed = true;
                complete = true;
                fail_msg = text(c);
            }
            Some("Complete") => {
                complete = true;
                message = text(c);
            }
            Some("Suspended") => {
                complete = true;
                message = text(c);
                if c["status"] == "True" {
                    suspended = true;
                }
            }
            _ => {}
        }
    }
    if !complete {
        status("Progressing", message)
    } else if failed {
        status("Degraded", fail_msg)
    } else if suspended {
        // Argo CD reports the (empty unless Failed) failure message here.
        status("Suspended", fail_msg)
    } else {
        status("Healthy", message)
    }
}
