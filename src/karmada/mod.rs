//! Karmada's API shapes: placement, policies, defaulting.

pub mod defaults;
pub mod fields;
pub mod naming;
pub mod overrides;
pub mod placement;
pub mod policy;
pub mod schema;
pub mod scope;
