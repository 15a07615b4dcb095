//! What Karmada stores for a policy we send: its mutating webhooks (which re-marshal the typed
//! object) plus the CRD `default:` values. `generate` emits policies already in this form, so
//! applying this function to our output changes nothing (tested), and Argo CD sees no drift.

use serde_json::{Map, Value, json};

const POLICY_API: &str = "policy.karmada.io/v1alpha1";

/// Applies Karmada's defaulting to a (Cluster)PropagationPolicy or (Cluster)OverridePolicy; other
/// objects are left alone.
pub fn apply(obj: &mut Value) {
    if obj.get("apiVersion").and_then(Value::as_str) != Some(POLICY_API) {
        return;
    }
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    match kind.as_str() {
        "PropagationPolicy" => {
            fill_selector_namespaces(spec, namespace.as_deref());
            propagation(spec);
        }
        "ClusterPropagationPolicy" => propagation(spec),
        "OverridePolicy" => {
            fill_selector_namespaces(spec, namespace.as_deref());
            // `overriders` has no omitempty in the Go type: the webhook's re-marshal adds it.
            spec.entry("overriders").or_insert_with(|| json!({}));
            drop_null_values(spec);
        }
        // No mutating webhook for ClusterOverridePolicy; only the API server's null pruning.
        "ClusterOverridePolicy" => drop_null_values(spec),
        _ => {}
    }
}

/// The webhook sets an empty selector namespace to the policy's namespace.
fn fill_selector_namespaces(spec: &mut Map<String, Value>, namespace: Option<&str>) {
    let Some(ns) = namespace else { return };
    if let Some(Value::Array(selectors)) = spec.get_mut("resourceSelectors") {
        for s in selectors.iter_mut().filter_map(Value::as_object_mut) {
            let empty = s
                .get("namespace")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                s.insert("namespace".into(), json!(ns));
            }
        }
    }
}

/// PropagationSpec: webhook mutations, omitempty of the re-marshal, CRD defaults.
fn propagation(spec: &mut Map<String, Value>) {
    let selects_service_import = spec
        .get("resourceSelectors")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s["kind"] == "ServiceImport"));
    if selects_service_import {
        spec.insert("propagateDeps".into(), json!(true));
    }
    for key in ["propagateDeps", "association"] {
        if spec.get(key) == Some(&json!(false)) {
            spec.remove(key);
        }
    }
    let placement = spec
        .entry("placement")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(placement) = placement {
        if let Some(Value::Array(constraints)) = placement.get_mut("spreadConstraints") {
            for c in constraints.iter_mut().filter_map(Value::as_object_mut) {
                spread_constraint(c);
            }
        }
        if let Some(rs) = placement
            .get_mut("replicaScheduling")
            .and_then(Value::as_object_mut)
        {
            let ty = rs
                .entry("replicaSchedulingType")
                .or_insert_with(|| json!("Divided"));
            if ty == "Divided" {
                rs.entry("replicaDivisionPreference")
                    .or_insert_with(|| json!("Weighted"));
            }
        }
    }
    spec.entry("priority").or_insert_with(|| json!(0));
    spec.entry("preemption").or_insert_with(|| json!("Never"));
    spec.entry("schedulerName")
        .or_insert_with(|| json!("default-scheduler"));
    spec.entry("conflictResolution")
        .or_insert_with(|| json!("Abort"));
    if let Some(failover) = spec.get_mut("failover").and_then(Value::as_object_mut) {
        if let Some(app) = failover
            .get_mut("application")
            .and_then(Value::as_object_mut)
        {
            let dc = app.entry("decisionConditions").or_insert_with(|| json!({}));
            if let Some(dc) = dc.as_object_mut() {
                dc.entry("tolerationSeconds").or_insert_with(|| json!(300));
            }
            let purge = app
                .entry("purgeMode")
                .or_insert_with(|| json!("Gracefully"));
            if purge == "Gracefully" {
                app.entry("gracePeriodSeconds")
                    .or_insert_with(|| json!(600));
            }
        }
        if let Some(cluster) = failover.get_mut("cluster").and_then(Value::as_object_mut) {
            cluster
                .entry("purgeMode")
                .or_insert_with(|| json!("Gracefully"));
        }
    }
}

fn spread_constraint(c: &mut Map<String, Value>) {
    let empty = |v: Option<&Value>| v.and_then(Value::as_str).is_none_or(str::is_empty);
    if empty(c.get("spreadByField")) && empty(c.get("spreadByLabel")) {
        c.insert("spreadByField".into(), json!("cluster"));
    }
    for key in ["spreadByField", "spreadByLabel"] {
        if c.get(key) == Some(&json!("")) {
            c.remove(key);
        }
    }
    if c.get("minGroups").and_then(Value::as_i64).unwrap_or(0) == 0 {
        c.insert("minGroups".into(), json!(1));
    }
    if c.get("maxGroups").and_then(Value::as_i64) == Some(0) {
        c.remove("maxGroups");
    }
}

/// The API server drops `null` values of fields its schema declares without `nullable` (e.g. a
/// plaintext op's `value`); inside free-form values (`value` keeps unknown fields) nulls stay.
fn drop_null_values(spec: &mut Map<String, Value>) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|_, v| !v.is_null());
                for (k, child) in m.iter_mut() {
                    if k != "value" {
                        walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    spec.retain(|_, v| !v.is_null());
    for v in spec.values_mut() {
        walk(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_policy_defaults() {
        let mut pp = json!({
            "apiVersion": POLICY_API, "kind": "PropagationPolicy",
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "v1", "kind": "ServiceImport", "name": "s"}],
                "propagateDeps": false,
                "placement": {
                    "spreadConstraints": [{"maxGroups": 0}, {"spreadByLabel": "x", "minGroups": 2}],
                    "replicaScheduling": {}
                },
                "failover": {"application": {"decisionConditions": {}}, "cluster": {}}
            }
        });
        apply(&mut pp);
        assert_eq!(
            pp["spec"],
            json!({
                "resourceSelectors": [{"apiVersion": "v1", "kind": "ServiceImport", "name": "s", "namespace": "ns"}],
                "propagateDeps": true,
                "placement": {
                    "spreadConstraints": [
                        {"spreadByField": "cluster", "minGroups": 1},
                        {"spreadByLabel": "x", "minGroups": 2}
                    ],
                    "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
                },
                "priority": 0,
                "preemption": "Never",
                "schedulerName": "default-scheduler",
                "conflictResolution": "Abort",
                "failover": {
                    "application": {"decisionConditions": {"tolerationSeconds": 300}, "purgeMode": "Gracefully", "gracePeriodSeconds": 600},
                    "cluster": {"purgeMode": "Gracefully"}
                }
            })
        );
    }

    #[test]
    fn cluster_propagation_policy_gets_no_namespace_and_an_empty_placement() {
        let mut cpp = json!({
            "apiVersion": POLICY_API, "kind": "ClusterPropagationPolicy",
            "metadata": {"name": "p"},
            "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "Namespace", "name": "x"}], "propagateDeps": false}
        });
        apply(&mut cpp);
        assert_eq!(
            cpp["spec"],
            json!({
                "resourceSelectors": [{"apiVersion": "v1", "kind": "Namespace", "name": "x"}],
                "placement": {},
                "priority": 0, "preemption": "Never", "schedulerName": "default-scheduler", "conflictResolution": "Abort"
            })
        );
    }

    #[test]
    fn override_policies() {
        let mut op = json!({
            "apiVersion": POLICY_API, "kind": "OverridePolicy",
            "metadata": {"name": "o", "namespace": "ns"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": ""}],
                "overrideRules": [{"overriders": {"plaintext": [
                    {"path": "/a", "operator": "remove", "value": null},
                    {"path": "/b", "operator": "add", "value": {"keep": null}}
                ]}}]
            }
        });
        apply(&mut op);
        assert_eq!(
            op["spec"],
            json!({
                "resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": "ns"}],
                "overrideRules": [{"overriders": {"plaintext": [
                    {"path": "/a", "operator": "remove"},
                    {"path": "/b", "operator": "add", "value": {"keep": null}}
                ]}}],
                "overriders": {}
            })
        );
        let mut cop = json!({
            "apiVersion": POLICY_API, "kind": "ClusterOverridePolicy",
            "metadata": {"name": "o"},
            "spec": {"overrideRules": []}
        });
        let before = cop.clone();
        apply(&mut cop);
        assert_eq!(cop, before);
    }

    #[test]
    fn other_objects_are_untouched() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {}});
        let before = d.clone();
        apply(&mut d);
        assert_eq!(d, before);
    }
}
