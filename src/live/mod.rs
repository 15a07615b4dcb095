//! The live view of karmada-apiserver through `kube`: connecting (kubeconfig, in-cluster, Argo CD's
//! cluster secret), the resource types we read, Argo CD's resource tracking, Karmada's binding
//! names, and bounded, paginated listing.

pub mod connect;
pub mod list;
pub mod resources;
pub mod tracking;

pub use connect::{ConnectOptions, connect};
pub use list::{ListError, Listed, Lister, Shape};
pub use resources::{ObjectKey, ResourceType, binding_name};
pub use tracking::TrackingMethod;
