//! Karmada's side of `generate`: the placement file, the policies built from it, and the form
//! Karmada stores them in.
//!
//! - `placement`: `karmada.yaml` parsed into typed values (plugin parameters applied, cross-checked)
//! - `policy`: (Cluster)PropagationPolicy / (Cluster)OverridePolicy for the rendered objects
//! - `overrides`: `overrides:` entries turned into override rules per object
//! - `defaults`: what Karmada's webhooks and CRD defaults do to a stored policy
//! - `scope`, `naming`, `fields`, `schema`: object scope, DNS-1123 names, field-by-field reading
//!   with did-you-mean errors, CRD-schema validation (for tests)

pub mod defaults;
pub mod fields;
pub mod interpreter;
pub mod naming;
pub mod overrides;
pub mod placement;
pub mod policy;
pub mod schema;
pub mod scope;
