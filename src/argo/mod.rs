//! Argo CD's contracts: the CMP server and health evaluation.

pub mod cmp;
pub mod health;
pub mod settings;
