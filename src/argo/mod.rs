//! Argo CD's contracts: the CMP server and the Lua health VM.

pub mod cmp;
pub mod lua;
pub mod settings;
