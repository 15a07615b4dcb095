//! Per-cluster kustomize overlays: rendered, diffed against the base, turned into plaintext ops.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use super::{Normalizer, plaintext};
use crate::diag::error;
use crate::karmada::OverlayRenderer;
use crate::karmada::policy::{Item, ObjectKey};

/// Renders one overlay and returns, per base object that it changes, the plaintext ops that turn
/// the base object into the overlay's.
#[allow(clippy::too_many_arguments)]
pub(super) fn overlay_patches(
    file: &str,
    path: &str,
    dir: &str,
    objects: &[Value],
    items: &[Item],
    normalize: Normalizer<'_>,
    overlay: OverlayRenderer<'_>,
) -> Result<BTreeMap<usize, Vec<Value>>> {
    let field = format!("{path}.kustomize");
    let crate::karmada::Overlay {
        objects: mut rendered,
        origin,
    } = overlay(dir).map_err(|e| error(file, &field, format!("{e:#}")))?;
    let overlay_items = normalize(&mut rendered, &origin)?;
    let by_key: BTreeMap<ObjectKey, &Item> = items.iter().map(|it| (it.key(), it)).collect();
    let mut out = BTreeMap::new();
    for (oi, o) in overlay_items.iter().zip(&rendered) {
        let Some(base) = by_key.get(&oi.key()) else {
            return Err(error(
                file,
                &field,
                format!(
                    "{dir} renders {}, which is not in the app (an overlay may only change objects of the base)",
                    oi.key().display()
                ),
            ));
        };
        let diff = json_patch::diff(&objects[base.index], o);
        if diff.0.is_empty() {
            continue;
        }
        if !base.propagated {
            return Err(error(
                file,
                &field,
                format!(
                    "{dir} changes {}, which lives on the Karmada control plane and is not propagated per cluster",
                    oi.key().display()
                ),
            ));
        }
        let ops: Vec<Value> = diff
            .0
            .iter()
            .filter_map(|op| {
                let v = serde_json::to_value(op).unwrap_or(Value::Null);
                let kind = v["op"].as_str().unwrap_or("replace");
                let path = v["path"].as_str().unwrap_or("");
                // The API server drops a null `value`: null means "absent" for Kubernetes objects.
                match (kind, v.get("value")) {
                    ("add", Some(Value::Null)) => None,
                    ("replace", Some(Value::Null)) => Some(plaintext("remove", path, None)),
                    (_, value) => Some(plaintext(kind, path, value.cloned())),
                }
            })
            .collect();
        if ops.is_empty() {
            continue;
        }
        out.insert(base.index, ops);
    }
    Ok(out)
}
