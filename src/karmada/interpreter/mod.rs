//! Karmada resource interpreter customizations that make a template's status truthful.
//!
//! - `r#gen`: `interpreter-lua/` rendered into `karmada-interpreter-customizations.yaml`
//! - `vm`: one operation of a customization run by a Karmada-faithful Lua VM (behind a trait, so
//!   the gopher-lua oracle and our own VM are interchangeable)
//! - `oracle`: the real gopher-lua (`karmada-lua-oracle`) as a VM
//! - `native`: Karmada's native status aggregation for the same kinds, for comparison
//! - `kube_status`: the status rules kube-apiserver applies to the template's kind
//! - `scenario`: member objects -> reflection -> aggregation -> Argo CD's health of the template

pub mod r#gen;
pub mod kube_status;
pub mod native;
pub mod oracle;
pub mod scenario;
pub mod vm;
