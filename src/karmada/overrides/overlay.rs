//! Per-cluster kustomize overlays: rendered, diffed against the base, turned into plaintext ops.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use super::{Normalizer, plaintext};
use crate::diag::error;
use crate::karmada::OverlayRenderer;
use crate::karmada::api::{OverriderOperator, PlaintextOverrider};
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
) -> Result<BTreeMap<usize, Vec<PlaintextOverrider>>> {
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
        let ops: Vec<PlaintextOverrider> = diff
            .0
            .iter()
            .filter_map(|op| {
                use OverriderOperator as O;
                use json_patch::PatchOperation as P;
                // The API server drops a null `value`: null means "absent" for Kubernetes objects.
                match op {
                    P::Add(a) if a.value.is_null() => None,
                    P::Add(a) => Some(plaintext(O::Add, a.path.as_str(), Some(a.value.clone()))),
                    P::Replace(r) if r.value.is_null() => {
                        Some(plaintext(O::Remove, r.path.as_str(), None))
                    }
                    P::Replace(r) => Some(plaintext(
                        O::Replace,
                        r.path.as_str(),
                        Some(r.value.clone()),
                    )),
                    P::Remove(r) => Some(plaintext(O::Remove, r.path.as_str(), None)),
                    // `diff` only writes add, remove and replace.
                    _ => None,
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
