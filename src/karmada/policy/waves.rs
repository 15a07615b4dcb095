//! Argo CD sync waves for the generated policies.

use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeSet;

use super::{Item, SYNC_WAVE};

/// Argo CD sync waves: OverridePolicies, then PropagationPolicies, then the workloads.
pub(super) struct Waves {
    pub overrides: String,
    pub propagation: String,
    /// Namespaces that hold our policies and must exist before them.
    namespace: i64,
    policy_namespaces: BTreeSet<String>,
}

pub(super) fn wave_of(obj: &Value) -> Option<i64> {
    crate::yaml::pointer(obj, "/metadata/annotations")
        .and_then(|a| a.get(SYNC_WAVE))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse().ok())
}

impl Waves {
    pub fn new(objects: &[Value], items: &[Item], namespaces: &[&str]) -> Result<Waves> {
        let is_namespace = |it: &Item| it.kind == "Namespace" && it.api_version == "v1";
        // Objects without a wave are in wave 0.
        let lowest = items
            .iter()
            .filter(|it| it.propagated && !is_namespace(it))
            .map(|it| wave_of(&objects[it.index]).unwrap_or(0))
            .min()
            .unwrap_or(0);
        // The policies need three waves below the lowest one; keep far from integer overflow.
        if lowest < i64::from(i32::MIN) {
            bail!(
                "the rendered app: sync wave {lowest} is too low; use waves within the 32-bit integer range"
            );
        }
        let waves = Waves {
            overrides: (lowest - 2).to_string(),
            propagation: (lowest - 1).to_string(),
            namespace: lowest - 3,
            policy_namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        };
        for it in items.iter().filter(|it| is_namespace(it)) {
            if !waves.policy_namespaces.contains(&it.name) {
                continue;
            }
            if let Some(w) = wave_of(&objects[it.index])
                && w > waves.namespace
            {
                bail!(
                    "the rendered app: Namespace {}: metadata.annotations.{SYNC_WAVE}: wave {w} is too late: the policies in this namespace go in waves {} and {} (before the app's first wave {lowest}), so the Namespace needs wave {} or lower",
                    it.name,
                    waves.overrides,
                    waves.propagation,
                    waves.namespace
                );
            }
        }
        Ok(waves)
    }

    /// Namespaces of the app that hold our policies get a wave before them.
    pub fn mark_namespaces(&self, objects: &mut [Value], items: &[Item]) {
        for it in items {
            if it.kind != "Namespace"
                || it.api_version != "v1"
                || !self.policy_namespaces.contains(&it.name)
            {
                continue;
            }
            let obj = &mut objects[it.index];
            if wave_of(obj).is_some() {
                continue;
            }
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                let ann = meta.entry("annotations").or_insert_with(|| json!({}));
                if let Some(ann) = ann.as_object_mut() {
                    ann.insert(SYNC_WAVE.into(), json!(self.namespace.to_string()));
                }
            }
        }
    }
}
