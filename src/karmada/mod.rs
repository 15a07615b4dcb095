//! Karmada's side of `generate`: the placement file, the policies built from it, and the form
//! Karmada stores them in.
//!
//! - `placement`: `karmada.yaml` parsed into typed values (plugin parameters applied, cross-checked)
//! - `api`: Karmada's objects as typed values (policies, bindings, clusters)
//! - `policy`: (Cluster)PropagationPolicy / (Cluster)OverridePolicy for the rendered objects
//! - `overrides`: `overrides:` entries turned into override rules per object
//! - `defaults`: what Karmada's webhooks and CRD defaults do to a stored policy
//! - `scope`, `naming`, `fields`, `schema`: object scope, DNS-1123 names, field-by-field reading
//!   with did-you-mean errors, CRD-schema validation (for tests)

pub mod api;
pub mod defaults;
pub mod fields;
pub mod imageparser;
pub mod naming;
pub mod overridemanager;
pub mod overrides;
pub mod pipeline;
pub mod placement;
pub mod policy;
pub mod schema;
pub mod scope;
