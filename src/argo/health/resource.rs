//! gitops-engine's `health.GetResourceHealth` (`pkg/health/health.go`) with health overrides
//! from `argocd-cm`: pending deletion first, then the script Argo CD would pick.

use anyhow::{Context, Result};
use serde_json::Value;

use super::{HealthStatus, VmOptions, evaluate_health};
use crate::argo::settings::{ResourceOverrides, config_map_key};

/// The object's health, or `Ok(None)` when no script applies (Argo CD would then use its Go
/// checks, which this tool does not carry).
pub fn resource_health(obj: &Value, overrides: &ResourceOverrides) -> Result<Option<HealthStatus>> {
    let meta = obj.get("metadata");
    let deleting = meta
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some_and(|t| !t.is_null());
    // gitops-engine `hook.HasHookFinalizer`
    let hook_finalizer = meta
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| {
            f.iter()
                .any(|x| x.as_str() == Some("argocd.argoproj.io/hook-finalizer"))
        });
    if deleting && !hook_finalizer {
        return Ok(Some(HealthStatus {
            status: "Progressing".into(),
            message: "Pending deletion".into(),
        }));
    }
    let (group, kind) = config_map_key(obj);
    let Some(script) = overrides.health_script(&group, &kind) else {
        return Ok(None);
    };
    let opts = VmOptions {
        open_libs: script.open_libs,
        ..VmOptions::default()
    };
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    evaluate_health(script.source, obj, &opts)
        .map(Some)
        .with_context(|| {
            format!(
                "failed to get resource health for {}/{}",
                text("namespace"),
                text("name")
            )
        })
}
