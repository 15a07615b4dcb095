//! The resource types `status` reads, and how Karmada names a template's binding.

use std::fmt;

use kube::discovery::ApiResource;
use serde_json::Value;

/// One object's identity as Argo CD and Karmada see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    /// The key of a Kubernetes object (`None` without apiVersion, kind or name).
    pub fn of(obj: &Value) -> Option<ObjectKey> {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        Some(ObjectKey {
            api_version: text(&obj["apiVersion"])?,
            kind: text(&obj["kind"])?,
            namespace: text(&obj["metadata"]["namespace"]),
            name: text(&obj["metadata"]["name"])?,
        })
    }

    pub fn group(&self) -> &str {
        split_api_version(&self.api_version).0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// `(group, version)` of an apiVersion; the core group is `""`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// A listable resource type: what kube needs to build URLs, without discovery.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceType {
    pub api_version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

impl ResourceType {
    fn new(api_version: &str, kind: &str, plural: &str, namespaced: bool) -> ResourceType {
        ResourceType {
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        }
    }

    pub fn resource_binding() -> ResourceType {
        ResourceType::new(
            "work.karmada.io/v1alpha2",
            "ResourceBinding",
            "resourcebindings",
            true,
        )
    }

    pub fn cluster_resource_binding() -> ResourceType {
        ResourceType::new(
            "work.karmada.io/v1alpha2",
            "ClusterResourceBinding",
            "clusterresourcebindings",
            false,
        )
    }

    pub fn cluster() -> ResourceType {
        ResourceType::new("cluster.karmada.io/v1alpha1", "Cluster", "clusters", false)
    }

    /// The type of a template kind. Known kinds carry their real plural and scope; others get
    /// kube's plural guess, and are namespaced when the template has a namespace.
    pub fn of(api_version: &str, kind: &str, has_namespace: bool) -> ResourceType {
        if let Some(t) = common_types()
            .into_iter()
            .find(|t| t.api_version == api_version && t.kind == kind)
        {
            return t;
        }
        let (group, version) = split_api_version(api_version);
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let ar = ApiResource::from_gvk(&gvk);
        ResourceType::new(api_version, kind, &ar.plural, has_namespace)
    }

    pub fn api_resource(&self) -> ApiResource {
        let (group, version) = split_api_version(&self.api_version);
        ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }

    /// The URL path of the collection, e.g. `/apis/apps/v1/namespaces/web/deployments`.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.api_version.contains('/') {
            format!("/apis/{}", self.api_version)
        } else {
            format!("/api/{}", self.api_version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (group, version) = split_api_version(&self.api_version);
        if group.is_empty() {
            write!(f, "{} ({version})", self.plural)
        } else {
            write!(f, "{}.{group} ({version})", self.plural)
        }
    }
}

/// The kinds `status --app` looks through besides those its bindings name: what apps on a
/// Karmada control plane usually hold.
pub fn common_types() -> Vec<ResourceType> {
    let t = ResourceType::new;
    vec![
        t("v1", "ConfigMap", "configmaps", true),
        t("v1", "Secret", "secrets", true),
        t("v1", "Service", "services", true),
        t("v1", "ServiceAccount", "serviceaccounts", true),
        t(
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
        ),
        t("v1", "Pod", "pods", true),
        t("v1", "Namespace", "namespaces", false),
        t("apps/v1", "Deployment", "deployments", true),
        t("apps/v1", "StatefulSet", "statefulsets", true),
        t("apps/v1", "DaemonSet", "daemonsets", true),
        t("apps/v1", "ReplicaSet", "replicasets", true),
        t("batch/v1", "Job", "jobs", true),
        t("batch/v1", "CronJob", "cronjobs", true),
        t("networking.k8s.io/v1", "Ingress", "ingresses", true),
        t(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
        ),
        t(
            "policy/v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
        ),
        t(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
        ),
        t("rbac.authorization.k8s.io/v1", "Role", "roles", true),
        t(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            "rolebindings",
            true,
        ),
        t(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "clusterroles",
            false,
        ),
        t(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
        ),
        t(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        ),
    ]
}

/// Karmada's binding name for a template: `lower(<name>-<kind>)` with `:` turned into `.`
/// (karmada-io/karmada `pkg/util/names/names.go`, `GenerateBindingName`).
pub fn binding_name(kind: &str, name: &str) -> String {
    format!("{name}-{kind}").to_lowercase().replace(':', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_names_follow_karmada() {
        assert_eq!(binding_name("Deployment", "web"), "web-deployment");
        assert_eq!(
            binding_name("ClusterRole", "system:Aggregate"),
            "system.aggregate-clusterrole"
        );
    }

    #[test]
    fn paths() {
        let d = ResourceType::of("apps/v1", "Deployment", true);
        assert_eq!(
            d.path(Some("web")),
            "/apis/apps/v1/namespaces/web/deployments"
        );
        assert_eq!(
            ResourceType::of("v1", "Namespace", false).path(Some("x")),
            "/api/v1/namespaces"
        );
        let guessed = ResourceType::of("example.com/v1", "Guestbook", true);
        assert_eq!(guessed.plural, "guestbooks");
        assert!(guessed.namespaced);
    }
}
