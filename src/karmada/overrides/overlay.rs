//! Per-cluster kustomize overlays: rendered, diffed against the base, turned into plaintext ops.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use super::{Normalizer, plaintext};
use crate::diag::error;
use crate::karmada::OverlayRenderer;
use crate::karmada::api::{LabelAnnotationOverrider, OverriderOperator, PlaintextOverrider};
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
) -> Result<BTreeMap<usize, OverlayChange>> {
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
        let change = OverlayChange::new(&objects[base.index], ops);
        if change.is_empty() {
            continue;
        }
        out.insert(base.index, change);
    }
    Ok(out)
}

/// What an overlay changes in one object. Label and annotation changes go through Karmada's
/// labels/annotations overriders, key by key: Karmada adds its own labels and annotations to the
/// member copy before overrides run, so replacing the whole map would drop them.
#[derive(Debug, Default)]
pub(super) struct OverlayChange {
    pub plaintext: Vec<PlaintextOverrider>,
    pub labels: Vec<LabelAnnotationOverrider>,
    pub annotations: Vec<LabelAnnotationOverrider>,
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

impl OverlayChange {
    fn is_empty(&self) -> bool {
        self.plaintext.is_empty() && self.labels.is_empty() && self.annotations.is_empty()
    }

    fn new(base: &Value, ops: Vec<PlaintextOverrider>) -> OverlayChange {
        let mut change = OverlayChange::default();
        // Per map: keys to add (or change), keys to remove.
        let mut maps: [(BTreeMap<String, String>, BTreeMap<String, String>); 2] =
            Default::default();
        for op in ops {
            let Some((which, key)) =
                ["labels", "annotations"]
                    .iter()
                    .enumerate()
                    .find_map(|(i, m)| {
                        let rest = op.path.strip_prefix(&format!("/metadata/{m}"))?;
                        match rest {
                            "" => Some((i, None)),
                            r if r.starts_with('/') && !r[1..].contains('/') => {
                                Some((i, Some(unescape(&r[1..]))))
                            }
                            _ => None,
                        }
                    })
            else {
                change.plaintext.push(op);
                continue;
            };
            let name = ["labels", "annotations"][which];
            let current: BTreeMap<String, String> = base
                .pointer(&format!("/metadata/{name}"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let (add, remove) = &mut maps[which];
            match (key, op.operator, &op.value) {
                (Some(k), OverriderOperator::Remove, _) => {
                    remove.insert(k, String::new());
                }
                (Some(k), _, Some(Value::String(v))) => {
                    add.insert(k, v.clone());
                }
                (None, OverriderOperator::Remove, _) => {
                    remove.extend(current.keys().map(|k| (k.clone(), String::new())));
                }
                (None, _, Some(Value::Object(m))) if m.values().all(Value::is_string) => {
                    for (k, v) in m {
                        let v = v.as_str().unwrap_or_default();
                        if current.get(k).map(String::as_str) != Some(v) {
                            add.insert(k.clone(), v.to_string());
                        }
                    }
                    for k in current.keys().filter(|k| !m.contains_key(*k)) {
                        remove.insert(k.clone(), String::new());
                    }
                }
                // Not a map of strings: Kubernetes would refuse it anyway; keep it visible.
                _ => change.plaintext.push(op),
            }
        }
        for (i, (add, remove)) in maps.into_iter().enumerate() {
            let mut list = Vec::new();
            if !add.is_empty() {
                list.push(LabelAnnotationOverrider {
                    operator: OverriderOperator::Add,
                    value: add,
                });
            }
            if !remove.is_empty() {
                list.push(LabelAnnotationOverrider {
                    operator: OverriderOperator::Remove,
                    value: remove,
                });
            }
            if i == 0 {
                change.labels = list;
            } else {
                change.annotations = list;
            }
        }
        change
    }
}
