//! What Karmada's side of `generate` needs from the rendering side, as plain values: the app's
//! identity, the plugin parameters that change placement (with where each came from) and a way to
//! render a per-cluster overlay. `karmada` never sees how the app itself is rendered.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Result;
use serde_json::Value;

/// The Argo CD app the policies belong to.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// `ARGOCD_APP_NAME` (policy names derive from it).
    pub app_name: &'a str,
    /// The destination namespace (`ARGOCD_APP_NAMESPACE`), given to namespaced objects without one.
    pub namespace: &'a str,
    /// Where each rendered object came from (`a.yaml: document 1`), for messages; may be empty.
    pub origins: &'a [String],
}

/// A rendered per-cluster overlay.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub objects: Vec<Value>,
    /// How the overlay is named in messages, e.g. `apps/web/overlays/eu (overlay)`.
    pub origin: String,
}

/// Renders the overlay directory an `overrides[].kustomize` entry names (relative to the app
/// directory, as written in `karmada.yaml`).
pub type OverlayRenderer<'a> = &'a dyn Fn(&str) -> Result<Overlay>;

/// Where a plugin parameter's value came from (Argo CD's `getPluginParamEnvs` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An entry of `ARGOCD_APP_PARAMETERS`.
    AppParameters,
    /// `PARAM_<NAME>` (or its `_<i>` / `_<KEY>` items), used when `ARGOCD_APP_PARAMETERS` is absent.
    ParamEnv(String),
    /// `ARGOCD_ENV_<VAR>` (the Application's `plugin.env`).
    ArgocdEnv(String),
    /// `<VAR>` in the sidecar's own environment.
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::AppParameters => f.write_str("ARGOCD_APP_PARAMETERS"),
            Origin::ParamEnv(v) | Origin::ArgocdEnv(v) | Origin::Env(v) => f.write_str(v),
        }
    }
}

/// One parameter's value and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Param<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Param<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Param { value, origin }
    }
}

/// Plugin parameters that change placement; `None` = not set, keep `karmada.yaml`'s value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pub clusters: Option<Param<Vec<String>>>,
    pub exclude_clusters: Option<Param<Vec<String>>>,
    pub replicas_mode: Option<Param<String>>,
    pub weights: Option<Param<BTreeMap<String, String>>>,
}
