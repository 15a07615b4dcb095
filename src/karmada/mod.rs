//! Karmada's side of `generate`: the placement file, the policies built from it, and the form
//! Karmada stores them in.
//!
//! - `placement`: `karmada.yaml` parsed into typed values (plugin parameters applied, cross-checked)
//! - `api`: Karmada's objects as typed values (policies, bindings, clusters)
//! - `policy`: (Cluster)PropagationPolicy / (Cluster)OverridePolicy for the rendered objects
//! - `overrides`: `overrides:` entries turned into override rules per object
//! - `defaults`: what Karmada's webhooks and CRD defaults do to a stored policy
//! - `scope`, `naming`: object scope, policy names
//! - `interpreter`: interpreter customizations that make a template's status truthful

pub mod api;
pub mod defaults;
pub mod imageparser;
pub mod inputs;
pub mod interpreter;
pub mod naming;
pub mod overridemanager;
pub mod overrides;
pub mod pipeline;
pub mod placement;
pub mod policy;
pub mod scope;

pub use inputs::{Inputs, Origin, Overlay, OverlayRenderer, Param, Params};
