//! Object identity and scope: which rendered objects are namespaced, which are cluster-scoped,
//! and which belong to Karmada's control plane (never propagated).

use std::collections::BTreeSet;

use serde_json::Value;

/// Kinds that are cluster-scoped, by API group ("" = core).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("node.k8s.io", "RuntimeClass"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("cluster.karmada.io", "Cluster"),
    ("policy.karmada.io", "ClusterPropagationPolicy"),
    ("policy.karmada.io", "ClusterOverridePolicy"),
    ("policy.karmada.io", "ClusterTaintPolicy"),
    ("work.karmada.io", "ClusterResourceBinding"),
    ("config.karmada.io", "ResourceInterpreterCustomization"),
    (
        "config.karmada.io",
        "ResourceInterpreterWebhookConfiguration",
    ),
    ("apps.karmada.io", "WorkloadRebalancer"),
    ("remedy.karmada.io", "Remedy"),
    ("search.karmada.io", "ResourceRegistry"),
];

/// The API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``); objects with an invalid
/// apiVersion (`a/b/c`) are rejected before policies are built, so they never get here.
pub fn group(api_version: &str) -> &str {
    crate::kube::api_group(api_version).unwrap_or_default()
}

/// Karmada's own API objects live on the control plane; no policy propagates them.
pub fn is_karmada_control_plane(api_version: &str) -> bool {
    let g = group(api_version);
    g == "karmada.io" || g.ends_with(".karmada.io")
}

/// Which kinds are cluster-scoped: the built-in list plus CRDs of the app with `scope: Cluster`.
#[derive(Debug, Default)]
pub struct Scopes {
    app_cluster_scoped: BTreeSet<(String, String)>,
    app_namespaced: BTreeSet<(String, String)>,
}

impl Scopes {
    /// Learns the scope of the kinds that the app's own CRDs define.
    pub fn from_objects(objects: &[Value]) -> Scopes {
        let mut s = Scopes::default();
        for o in objects {
            if o.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let spec = &o["spec"];
            let (Some(g), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str())
            else {
                continue;
            };
            let key = (g.to_string(), kind.to_string());
            if spec["scope"].as_str() == Some("Cluster") {
                s.app_cluster_scoped.insert(key);
            } else {
                s.app_namespaced.insert(key);
            }
        }
        s
    }

    /// Unknown kinds count as namespaced, as Argo CD assumes without discovery.
    pub fn is_cluster_scoped(&self, api_version: &str, kind: &str) -> bool {
        let g = group(api_version);
        let key = (g.to_string(), kind.to_string());
        if self.app_namespaced.contains(&key) {
            return false;
        }
        self.app_cluster_scoped.contains(&key)
            || CLUSTER_SCOPED
                .iter()
                .any(|(cg, ck)| *cg == g && *ck == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget"}}
        });
        let s = Scopes::from_objects(&[crd]);
        assert!(s.is_cluster_scoped("example.com/v1", "Widget"));
        assert!(!s.is_cluster_scoped("other.com/v1", "Widget"));
        assert!(s.is_cluster_scoped("v1", "Namespace"));
        assert!(s.is_cluster_scoped("rbac.authorization.k8s.io/v1", "ClusterRole"));
        assert!(!s.is_cluster_scoped("apps/v1", "Deployment"));
        assert!(!s.is_cluster_scoped("example.com/v1", "Namespace"));
        assert!(is_karmada_control_plane("autoscaling.karmada.io/v1alpha1"));
        assert!(is_karmada_control_plane("policy.karmada.io/v1alpha1"));
        assert!(!is_karmada_control_plane("multicluster.x-k8s.io/v1alpha1"));
        assert!(!is_karmada_control_plane("notkarmada.io/v1"));
        assert_eq!(group("v1"), "");
        assert_eq!(group("apps/v1"), "apps");
    }
}
