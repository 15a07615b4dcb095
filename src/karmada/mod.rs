//! Karmada's API shapes: placement, policies, defaulting.

pub mod placement;
pub mod policy;
