//! Karmada's native status interpretation for the kinds we customize, reproduced from its source
//! so the README and the scenario suite can show what Argo CD sees without our customizations.
//!
//! Reflection: `pkg/resourceinterpreter/default/native/reflectstatus.go`; aggregation:
//! `aggregatestatus.go` and `pkg/util/helper/job.go` (`ParsingJobStatus`), karmada f8fdd02d.
//! An `Err` is where Karmada's typed conversion fails (the status is then not updated).

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

const TEMPLATE_GENERATION: &str = "resourcetemplate.karmada.io/generation";

/// An integer field as Go's `encoding/json` decodes it into an int: absent or null is 0.
fn int(obj: &Value, key: &str) -> Result<i64> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => super::kube_status::integer(v)
            .ok_or_else(|| anyhow::anyhow!("cannot unmarshal {v} into an integer field {key}")),
    }
}

/// Puts `n` under `key` unless it is 0 (Go's `omitempty`).
fn put(out: &mut Map<String, Value>, key: &str, n: i64) {
    if n != 0 {
        out.insert(key.to_string(), json!(n));
    }
}

/// `FederatedGeneration` of a member object (`status_type.go`).
fn generations(member: &Value, out: &mut Map<String, Value>) -> Result<()> {
    put(out, "generation", int(&member["metadata"], "generation")?);
    let text = member["metadata"]["annotations"][TEMPLATE_GENERATION]
        .as_str()
        .unwrap_or("");
    // runtime.Convert_string_To_int64: "" is 0, anything else must parse.
    let rtg = if text.is_empty() {
        0
    } else {
        text.parse::<i64>()
            .map_err(|e| anyhow::anyhow!("annotation {TEMPLATE_GENERATION}: {e}"))?
    };
    put(out, "resourceTemplateGeneration", rtg);
    Ok(())
}

/// The counters each kind's native reflection keeps (wrapper fields aside).
fn reflected_counters(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment" => &[
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
            "observedGeneration",
        ],
        // No observedGeneration: reflectStatefulSetStatus leaves it out.
        "StatefulSet" => &[
            "availableReplicas",
            "currentReplicas",
            "readyReplicas",
            "replicas",
            "updatedReplicas",
        ],
        "DaemonSet" => &[
            "currentNumberScheduled",
            "desiredNumberScheduled",
            "numberAvailable",
            "numberMisscheduled",
            "numberReady",
            "updatedNumberScheduled",
            "numberUnavailable",
            "observedGeneration",
        ],
        "Job" => &["active", "succeeded", "failed"],
        _ => &[],
    }
}

/// Native ReflectStatus of a member object: `None` when Karmada records no status.
pub fn reflect(kind: &str, member: &Value) -> Result<Option<Value>> {
    let status = match member.get("status") {
        Some(s @ Value::Object(_)) => s,
        Some(Value::Null) | None => return Ok(None),
        Some(other) => bail!("status is not an object: {other}"),
    };
    let mut out = Map::new();
    for key in reflected_counters(kind) {
        put(&mut out, key, int(status, key)?);
    }
    if kind == "Job" {
        for key in ["conditions", "startTime", "completionTime"] {
            if let Some(v) = status.get(key).filter(|v| !v.is_null()) {
                out.insert(key.to_string(), v.clone());
            }
        }
        return Ok(Some(Value::Object(out)));
    }
    generations(member, &mut out)?;
    // Only Deployment (and ReplicaSet) turn an empty result into no status.
    if kind == "Deployment" && out.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::Object(out)))
}

/// The item's status, if Karmada collected one (`item.Status == nil` is skipped).
fn item_status(item: &Value) -> Option<&Value> {
    item.get("status").filter(|s| !s.is_null())
}

/// Native AggregateStatus: the template with its new status.
pub fn aggregate(kind: &str, template: &Value, items: &[Value]) -> Result<Value> {
    if kind == "Job" {
        return aggregate_job(template, items);
    }
    // The reflected counters are the summed ones (observedGeneration aside).
    let counters: Vec<&str> = reflected_counters(kind)
        .iter()
        .copied()
        .filter(|k| *k != "observedGeneration")
        .collect();
    if counters.is_empty() {
        bail!("no native aggregation modelled for {kind}");
    }
    let generation = int(&template["metadata"], "generation")?;
    let mut sums = vec![0i64; counters.len()];
    let mut observed = 0usize;
    for item in items {
        let Some(status) = item_status(item) else {
            continue;
        };
        if !status.is_object() {
            bail!("item status is not an object");
        }
        let member_observed = int(status, "observedGeneration")? >= int(status, "generation")?;
        // StatefulSet compares the member's resourceTemplateGeneration with the member's own
        // generation, not the template's (aggregateStatefulSetStatus).
        let aligned_with = if kind == "StatefulSet" {
            int(status, "generation")?
        } else {
            generation
        };
        if member_observed && int(status, "resourceTemplateGeneration")? >= aligned_with {
            observed += 1;
        }
        for (sum, key) in sums.iter_mut().zip(&counters) {
            *sum += int(status, key)?;
        }
    }
    let mut out = template.clone();
    if !out["status"].is_object() {
        out["status"] = json!({});
    }
    let old_observed = int(&template["status"], "observedGeneration")?;
    let status = out["status"].as_object_mut().expect("object");
    for (sum, key) in sums.iter().zip(&counters) {
        status.insert(key.to_string(), json!(sum));
    }
    let new_observed = if observed == items.len() {
        generation
    } else {
        old_observed
    };
    status.insert("observedGeneration".into(), json!(new_observed));
    Ok(out)
}

fn condition_true(status: &Value, ctype: &str) -> bool {
    status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == ctype && c["status"] == "True")
    })
}

/// `aggregateJobStatus` + `ParsingJobStatus` (condition times left out: they are `metav1.Now()`).
fn aggregate_job(template: &Value, items: &[Value]) -> Result<Value> {
    let old = &template["status"];
    if condition_true(old, "Complete") || condition_true(old, "Failed") {
        return Ok(template.clone());
    }
    let (mut active, mut succeeded, mut failed) = (0, 0, 0);
    let mut failed_clusters = Vec::new();
    let (mut successful, mut criteria_met, mut starts, mut completions) = (0, 0, 0, 0);
    let mut start: Option<String> = None;
    let mut completion: Option<String> = None;
    for item in items {
        let Some(st) = item_status(item) else {
            continue;
        };
        active += int(st, "active")?;
        succeeded += int(st, "succeeded")?;
        failed += int(st, "failed")?;
        // GetJobFinishedStatus: the first Complete/Failed condition that is True.
        let finished = st["conditions"].as_array().and_then(|cs| {
            cs.iter()
                .find(|c| {
                    (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True"
                })
                .map(|c| c["type"].as_str().unwrap_or("").to_string())
        });
        match finished.as_deref() {
            Some("Complete") => successful += 1,
            Some("Failed") => {
                failed_clusters.push(item["clusterName"].as_str().unwrap_or("").to_string())
            }
            _ => {}
        }
        if condition_true(st, "SuccessCriteriaMet") {
            criteria_met += 1;
        }
        let s = st["startTime"].as_str().map(str::to_string);
        if s.is_some() {
            starts += 1;
        }
        // `startTime == nil || temp.StartTime.Before(startTime)` (Before is false on nil).
        if start.is_none() || s.as_ref().is_some_and(|s| Some(s) < start.as_ref()) {
            start = s;
        }
        if let Some(c) = st["completionTime"].as_str() {
            completions += 1;
            if completion.as_deref().is_none_or(|cur| cur < c) {
                completion = Some(c.to_string());
            }
        }
    }
    let mut conditions = Vec::new();
    if !failed_clusters.is_empty() {
        conditions.push(json!({"type": "Failed", "status": "True", "reason": "JobFailed",
            "message": format!("Job executed failed in member clusters {}", failed_clusters.join(","))}));
    }
    if successful == items.len() && successful > 0 {
        conditions.push(json!({"type": "Complete", "status": "True", "reason": "Completed", "message": "Job completed"}));
        if criteria_met == items.len() {
            conditions.push(json!({"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                "message": "All member clusters have met success criteria"}));
        }
    }
    let mut status = Map::new();
    put(&mut status, "active", active);
    put(&mut status, "succeeded", succeeded);
    put(&mut status, "failed", failed);
    if !conditions.is_empty() {
        status.insert("conditions".into(), Value::Array(conditions));
    }
    match old.get("startTime").filter(|v| !v.is_null()) {
        Some(s) => {
            status.insert("startTime".into(), s.clone());
        }
        None if starts == items.len() && starts > 0 => {
            status.insert("startTime".into(), json!(start));
        }
        None => {}
    }
    if completion.is_some() && completions == items.len() {
        status.insert("completionTime".into(), json!(completion));
    }
    let mut out = template.clone();
    out["status"] = Value::Object(status);
    Ok(out)
}

/// What the template looks like after Karmada's native round: the aggregated template when
/// aggregation succeeds and kube-apiserver accepts the status update, else the template as it was.
pub fn round(kind: &str, template: &Value, items: &[Value]) -> Value {
    match aggregate(kind, template, items) {
        Ok(new) if super::kube_status::validate(kind, &new, Some(template)).is_empty() => new,
        _ => template.clone(),
    }
}
