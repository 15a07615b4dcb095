//! The health library: evaluating health scripts as Argo CD does, and generating our library.

pub mod cli;
pub mod r#gen;
pub mod suite;
