//! Argo CD's health assessment outside Lua.
//!
//! - `builtin`: Argo CD's built-in (Go) checks for the workload kinds Karmada templates carry

pub mod builtin;
