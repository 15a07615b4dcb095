//! Building PropagationPolicy / OverridePolicy (and their Cluster variants) for the app's objects.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::placement::Placement;
use crate::render::AppContext;

/// Renders a kustomize directory (used for per-cluster overlays).
pub type OverlayRenderer<'a> = &'a dyn Fn(&Path) -> Result<Vec<Value>>;

/// The policies for `objects`; may adjust objects (e.g. drop `spec.replicas` of FederatedHPA targets).
pub fn build(
    _ctx: &AppContext,
    _placement: &Placement,
    _objects: &mut Vec<Value>,
    _overlay: OverlayRenderer<'_>,
) -> Result<Vec<Value>> {
    Ok(Vec::new())
}
