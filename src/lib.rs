//! argocd-karmada-plugin: an Argo CD config management plugin, a Lua health library and a local
//! harness that make Argo CD and Karmada work as one multi-cluster GitOps system.

pub mod argo;
pub mod artifacts;
pub mod cli;
pub mod diag;
pub mod exec;
pub mod generated;
pub mod health;
pub mod interpret;
pub mod karmada;
pub mod kube;
pub mod live;
pub mod lua;
pub mod output;
pub mod parallel;
pub mod preview;
pub mod quantity;
pub mod render;
pub mod sidecar;
pub mod status;
pub mod yaml;
