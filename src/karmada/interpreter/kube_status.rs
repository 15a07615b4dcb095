//! The status rules kube-apiserver applies when Karmada writes a template's status, for the kinds
//! we customize. A status that breaks one is rejected and the template keeps its old status.
//!
//! Sources (kubernetes `pkg/apis/*/validation/validation.go`): `ValidateDeploymentStatus`,
//! `ValidateStatefulSetStatus`, `ValidateDaemonSetStatusUpdate`, `validateJobStatus` and
//! `ValidateJobStatusUpdate` (with the strengthened status options of 1.31+,
//! `pkg/registry/batch/job/strategy.go`). Decoding comes first: counters must be integers,
//! timestamps RFC 3339 (`metav1.Time`; an empty string fails the whole update).

use serde_json::Value;

/// A kind's status fields in the API (`k8s.io/api` apps/v1 and batch/v1 types).
struct StatusApi {
    /// Integer fields: non-negative (int32, except observedGeneration).
    counters: &'static [&'static str],
    others: &'static [&'static str],
    condition_fields: &'static [&'static str],
}

const CONDITION: &[&str] = &["type", "status", "lastTransitionTime", "reason", "message"];

impl StatusApi {
    fn of(kind: &str) -> Option<StatusApi> {
        let (counters, others, condition_fields): (&[&str], &[&str], &[&str]) = match kind {
            "Deployment" => (
                &[
                    "observedGeneration",
                    "replicas",
                    "updatedReplicas",
                    "readyReplicas",
                    "availableReplicas",
                    "unavailableReplicas",
                    "terminatingReplicas",
                    "collisionCount",
                ],
                &["conditions"],
                &[
                    "type",
                    "status",
                    "lastUpdateTime",
                    "lastTransitionTime",
                    "reason",
                    "message",
                ],
            ),
            "StatefulSet" => (
                &[
                    "observedGeneration",
                    "replicas",
                    "readyReplicas",
                    "currentReplicas",
                    "updatedReplicas",
                    "availableReplicas",
                    "collisionCount",
                ],
                &["currentRevision", "updateRevision", "conditions"],
                CONDITION,
            ),
            "DaemonSet" => (
                &[
                    "observedGeneration",
                    "currentNumberScheduled",
                    "desiredNumberScheduled",
                    "numberAvailable",
                    "numberMisscheduled",
                    "numberReady",
                    "updatedNumberScheduled",
                    "numberUnavailable",
                    "collisionCount",
                ],
                &["conditions"],
                CONDITION,
            ),
            "Job" => (
                &["active", "succeeded", "failed", "ready", "terminating"],
                &[
                    "conditions",
                    "startTime",
                    "completionTime",
                    "completedIndexes",
                    "failedIndexes",
                    "uncountedTerminatedPods",
                ],
                &[
                    "type",
                    "status",
                    "lastProbeTime",
                    "lastTransitionTime",
                    "reason",
                    "message",
                ],
            ),
            _ => return None,
        };
        Some(StatusApi {
            counters,
            others,
            condition_fields,
        })
    }
}

/// Every rule `new` breaks (empty: accepted). `old` is the object before the update.
pub fn validate(kind: &str, new: &Value, old: Option<&Value>) -> Vec<String> {
    let status = &new["status"];
    let mut errors = Vec::new();
    if !(status.is_null() || status.is_object()) {
        return vec!["status: not an object".into()];
    }
    let api = StatusApi::of(kind);
    let counters = api.map_or(&[][..], |a| a.counters);
    for key in counters {
        if let Err(e) = counter(status, key, *key != "observedGeneration") {
            errors.push(e);
        }
    }
    conditions(status, &mut errors);
    for key in ["startTime", "completionTime"] {
        if let Some(v) = status.get(key).filter(|v| !v.is_null())
            && !is_time(v)
        {
            errors.push(format!("status.{key}: {v} is not an RFC 3339 time"));
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    let n = |key: &str| counter(status, key, false).unwrap_or(0);
    let mut at_most = |small: &str, big: &str| {
        if n(small) > n(big) {
            errors.push(format!(
                "status.{small}: cannot be greater than status.{big}"
            ));
        }
    };
    match kind {
        "Deployment" => {
            at_most("updatedReplicas", "replicas");
            at_most("readyReplicas", "replicas");
            at_most("availableReplicas", "replicas");
            at_most("availableReplicas", "readyReplicas");
        }
        "StatefulSet" => {
            at_most("readyReplicas", "replicas");
            at_most("currentReplicas", "replicas");
            at_most("updatedReplicas", "replicas");
            at_most("availableReplicas", "replicas");
            at_most("availableReplicas", "readyReplicas");
        }
        "Job" => job(new, old.map(|o| &o["status"]), &mut errors),
        _ => {}
    }
    errors
}

/// Status fields kube-apiserver would silently drop (not in the kind's API): anything written
/// there never reaches Argo CD. `k8s.io/api` `apps/v1` and `batch/v1` types.
pub fn dropped_fields(kind: &str, obj: &Value) -> Vec<String> {
    let Some(api) = StatusApi::of(kind) else {
        return Vec::new();
    };
    let known = |k: &str| api.counters.contains(&k) || api.others.contains(&k);
    let condition_fields = api.condition_fields;
    let status = &obj["status"];
    let mut dropped: Vec<String> = status
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .filter(|k| !known(k.as_str()))
        .map(|k| format!("status.{k}"))
        .collect();
    for (i, c) in status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for k in c.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !condition_fields.contains(&k.as_str()) {
                dropped.push(format!("status.conditions[{i}].{k}"));
            }
        }
    }
    dropped
}

/// A JSON number that decodes into a Go integer field (`3` or `3.0`), or `None`.
pub fn integer(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// A counter: absent/null, or an integer that is non-negative (int32 unless `observedGeneration`).
fn counter(status: &Value, key: &str, int32: bool) -> Result<i64, String> {
    let Some(v) = status.get(key).filter(|v| !v.is_null()) else {
        return Ok(0);
    };
    let n = v
        .as_i64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| format!("status.{key}: {v} is not an integer"))?;
    if int32 && n > i64::from(i32::MAX) {
        return Err(format!("status.{key}: {n} overflows int32"));
    }
    if n < 0 {
        return Err(format!("status.{key}: must be greater than or equal to 0"));
    }
    Ok(n)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` with valid ranges.
fn is_time(v: &Value) -> bool {
    let Some(s) = v.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |acc, x| acc * 10 + u32::from(x - b'0')))
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return false;
    }
    let (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if end == 0 {
            return false;
        }
        rest = &frac[end..];
    }
    match rest {
        "Z" | "z" => true,
        r => {
            let r = r.as_bytes();
            r.len() == 6
                && (r[0] == b'+' || r[0] == b'-')
                && r[1..3].iter().all(u8::is_ascii_digit)
                && r[3] == b':'
                && r[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

/// Conditions decode as a list of objects with string fields and RFC 3339 times.
fn conditions(status: &Value, errors: &mut Vec<String>) {
    let Some(v) = status.get("conditions").filter(|v| !v.is_null()) else {
        return;
    };
    let Some(list) = v.as_array() else {
        errors.push("status.conditions: not a list".into());
        return;
    };
    for (i, c) in list.iter().enumerate() {
        let Some(c) = c.as_object() else {
            errors.push(format!("status.conditions[{i}]: not an object"));
            continue;
        };
        for (k, v) in c {
            let ok = match k.as_str() {
                "lastTransitionTime" | "lastUpdateTime" | "lastProbeTime" => {
                    v.is_null() || is_time(v)
                }
                _ => v.is_null() || v.is_string(),
            };
            if !ok {
                errors.push(format!("status.conditions[{i}].{k}: invalid value {v}"));
            }
        }
    }
}

fn is_true(status: &Value, ctype: &str) -> bool {
    status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == ctype && c["status"] == "True")
    })
}

/// Job status rules, and the update rules against the old status.
fn job(obj: &Value, old: Option<&Value>, errors: &mut Vec<String>) {
    let status = &obj["status"];
    let complete = is_true(status, "Complete");
    let failed = is_true(status, "Failed");
    let target = is_true(status, "FailureTarget");
    let criteria = is_true(status, "SuccessCriteriaMet");
    let finished = complete || failed;
    let n = |key: &str| counter(status, key, false).unwrap_or(0);
    let has = |key: &str| status.get(key).is_some_and(|v| !v.is_null());
    let mut rule = |broken: bool, msg: &str| {
        if broken {
            errors.push(format!("status: {msg}"));
        }
    };
    rule(
        complete && failed,
        "cannot set Complete=True and Failed=true conditions",
    );
    rule(
        complete && target,
        "cannot set Complete=True and FailureTarget=true conditions",
    );
    rule(
        has("completionTime") && !complete,
        "cannot set completionTime when there is no Complete=True condition",
    );
    rule(
        complete && !has("completionTime"),
        "completionTime is required for Complete jobs",
    );
    if let (Some(s), Some(c)) = (
        status["startTime"].as_str(),
        status["completionTime"].as_str(),
    ) {
        rule(c < s, "completionTime cannot be set before startTime");
    }
    rule(
        failed && !target,
        "cannot set Failed=True condition without the FailureTarget=true condition",
    );
    rule(
        complete && !criteria,
        "cannot set Complete=True condition without the SuccessCriteriaMet=true condition",
    );
    rule(
        finished && n("active") > 0,
        "active>0 is invalid for finished job",
    );
    rule(
        finished && !has("startTime"),
        "startTime is required for finished job",
    );
    rule(
        finished && n("terminating") > 0,
        "terminating>0 is invalid for finished job",
    );
    rule(
        n("ready") > n("active"),
        "cannot set more ready pods than active",
    );
    rule(
        criteria && failed,
        "cannot set SuccessCriteriaMet=True and Failed=true conditions",
    );
    rule(
        criteria && target,
        "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions",
    );
    let Some(old) = old.filter(|o| o.is_object()) else {
        return;
    };
    for ctype in ["Failed", "Complete", "FailureTarget", "SuccessCriteriaMet"] {
        rule(
            is_true(old, ctype) && !is_true(status, ctype),
            &format!("cannot disable the terminal {ctype}=True condition"),
        );
    }
    let o = |key: &str| counter(old, key, false).unwrap_or(0);
    rule(
        n("failed") < o("failed"),
        "cannot decrease the failed counter",
    );
    rule(
        n("succeeded") < o("succeeded"),
        "cannot decrease the succeeded counter",
    );
    let old_completion = old.get("completionTime").filter(|v| !v.is_null());
    let new_completion = status.get("completionTime").filter(|v| !v.is_null());
    rule(
        old_completion.is_some() && new_completion.is_some() && old_completion != new_completion,
        "completionTime cannot be mutated",
    );
    // RejectStartTimeUpdateForUnsuspendedJob: only a suspended Job may change its start.
    let old_start = old.get("startTime").filter(|v| !v.is_null());
    rule(
        old_start.is_some()
            && old_start != status.get("startTime").filter(|v| !v.is_null())
            && obj["spec"]["suspend"] != true,
        "startTime cannot be removed for unsuspended job",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job_with(status: Value) -> Value {
        json!({"kind": "Job", "status": status})
    }

    #[test]
    fn times_follow_rfc_3339() {
        for good in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123Z",
            "2024-01-02T03:04:05+02:00",
        ] {
            assert!(is_time(&json!(good)), "{good}");
        }
        for bad in [
            "",
            "2024-01-02",
            "2024-13-02T03:04:05Z",
            "2024-01-02 03:04:05Z",
            "yesterday",
        ] {
            assert!(!is_time(&json!(bad)), "{bad}");
        }
    }

    #[test]
    fn unknown_status_fields_are_dropped() {
        let obj = json!({"status": {"replicas": 1, "perCluster": {"m1": "x"},
            "conditions": [{"type": "Progressing", "status": "True", "clusters": ["m1"]}]}});
        assert_eq!(
            dropped_fields("Deployment", &obj),
            vec!["status.perCluster", "status.conditions[0].clusters"]
        );
        let job = json!({"status": {"startTime": "2026-01-01T00:00:00Z", "conditions": [{"type": "Failed", "lastProbeTime": null}]}});
        assert!(dropped_fields("Job", &job).is_empty());
    }

    #[test]
    fn deployment_counters() {
        let ok = json!({"status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2}});
        assert!(validate("Deployment", &ok, None).is_empty());
        let bad = json!({"status": {"replicas": 1, "readyReplicas": 2, "availableReplicas": 3, "unavailableReplicas": -1}});
        let errors = validate("Deployment", &bad, None);
        assert_eq!(
            errors,
            vec!["status.unavailableReplicas: must be greater than or equal to 0"]
        );
        let bad = json!({"status": {"replicas": 1, "readyReplicas": 2, "availableReplicas": 3}});
        assert_eq!(validate("Deployment", &bad, None).len(), 3);
        let bad = json!({"status": {"replicas": "3"}});
        assert_eq!(validate("Deployment", &bad, None).len(), 1);
    }

    #[test]
    fn job_rules_of_karmada_issue_7844() {
        // Native aggregation's Failed without FailureTarget, with other clusters still active.
        let native = job_with(
            json!({"active": 2, "failed": 1, "startTime": "2024-01-01T00:00:00Z",
            "conditions": [{"type": "Failed", "status": "True"}]}),
        );
        let errors = validate("Job", &native, None);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("without the FailureTarget")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("active>0")), "{errors:?}");
        let ours = job_with(
            json!({"active": 0, "failed": 1, "startTime": "2024-01-01T00:00:00Z",
            "conditions": [{"type": "FailureTarget", "status": "True"}, {"type": "Failed", "status": "True"}]}),
        );
        assert!(validate("Job", &ours, None).is_empty());
        let complete = job_with(json!({"succeeded": 1, "startTime": "2024-01-01T00:00:00Z",
            "conditions": [{"type": "Complete", "status": "True"}]}));
        let errors = validate("Job", &complete, None);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("completionTime is required")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("SuccessCriteriaMet=true")),
            "{errors:?}"
        );
        let old = job_with(
            json!({"failed": 2, "conditions": [{"type": "FailureTarget", "status": "True"}]}),
        );
        let errors = validate("Job", &job_with(json!({"failed": 1})), Some(&old));
        assert_eq!(errors.len(), 2, "{errors:?}");
        let empty_time = job_with(json!({"startTime": ""}));
        assert_eq!(validate("Job", &empty_time, None).len(), 1);
    }
}
