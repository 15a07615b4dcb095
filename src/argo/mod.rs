//! Argo CD's contracts: the CMP server and the Lua health VM.

pub mod cmp;
pub mod health;
pub mod lua;
pub mod settings;
