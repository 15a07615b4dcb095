//! The environment repo-server builds for a plugin: build env, `KUBE_*`, `ARGOCD_ENV_*` and
//! parameters, with Argo CD's exact encodings (Go `os.Expand`, Go `encoding/json`).

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use super::app::{PluginParameter, PluginSource};

/// One `NAME=value` entry, in the order Argo CD appends them (later duplicates win).
pub type EnvEntry = (String, String);

/// What repo-server knows about the request (`newEnv` in reposerver/repository/repository.go).
#[derive(Debug, Clone, Default)]
pub struct BuildEnv {
    pub app_name: String,
    pub app_namespace: String,
    pub project: String,
    pub revision: String,
    pub repo_url: String,
    pub source_path: String,
    pub target_revision: String,
}

impl BuildEnv {
    /// `ARGOCD_APP_*` as seen by generate (and named-plugin discovery).
    pub fn entries(&self) -> Vec<EnvEntry> {
        let short = |n: usize| self.revision.chars().take(n).collect::<String>();
        vec![
            ("ARGOCD_APP_NAME".into(), self.app_name.clone()),
            ("ARGOCD_APP_NAMESPACE".into(), self.app_namespace.clone()),
            ("ARGOCD_APP_PROJECT_NAME".into(), self.project.clone()),
            ("ARGOCD_APP_REVISION".into(), self.revision.clone()),
            ("ARGOCD_APP_REVISION_SHORT".into(), short(7)),
            ("ARGOCD_APP_REVISION_SHORT_8".into(), short(8)),
            ("ARGOCD_APP_SOURCE_REPO_URL".into(), self.repo_url.clone()),
            ("ARGOCD_APP_SOURCE_PATH".into(), self.source_path.clone()),
            (
                "ARGOCD_APP_SOURCE_TARGET_REVISION".into(),
                self.target_revision.clone(),
            ),
        ]
    }

    /// The smaller set the UI's app-details call sends (`populatePluginAppDetails`): no
    /// revision, namespace, project or `KUBE_*`.
    pub fn app_details_entries(&self) -> Vec<EnvEntry> {
        vec![
            ("ARGOCD_APP_NAME".into(), self.app_name.clone()),
            ("ARGOCD_APP_SOURCE_REPO_URL".into(), self.repo_url.clone()),
            ("ARGOCD_APP_SOURCE_PATH".into(), self.source_path.clone()),
            (
                "ARGOCD_APP_SOURCE_TARGET_REVISION".into(),
                self.target_revision.clone(),
            ),
        ]
    }
}

/// `KUBE_VERSION` and `KUBE_API_VERSIONS` appended to the build env (`getPluginEnvs`).
pub fn with_kube(
    mut env: Vec<EnvEntry>,
    kube_version: &str,
    api_versions: &[String],
) -> Result<Vec<EnvEntry>> {
    let version = parse_kube_version(kube_version)?;
    env.push(("KUBE_VERSION".into(), version));
    env.push(("KUBE_API_VERSIONS".into(), api_versions.join(",")));
    Ok(env)
}

/// `ARGOCD_ENV_*`, `ARGOCD_APP_PARAMETERS` and `PARAM_*` (`getPluginParamEnvs`); nothing when the
/// Application has no `spec.source.plugin` section.
pub fn with_plugin(mut env: Vec<EnvEntry>, plugin: Option<&PluginSource>) -> Vec<EnvEntry> {
    let Some(plugin) = plugin else {
        return env;
    };
    let base = env.clone();
    for (name, value) in &plugin.env {
        env.push((format!("ARGOCD_ENV_{name}"), envsubst(&base, value)));
    }
    env.push((
        "ARGOCD_APP_PARAMETERS".into(),
        parameters_json(&plugin.parameters),
    ));
    for p in &plugin.parameters {
        let base = format!("PARAM_{}", escape_param_name(&p.name));
        if let Some(s) = &p.string {
            env.push((base.clone(), s.clone()));
        }
        if let Some(map) = &p.map {
            // Argo iterates a Go map (random order); sorted keeps us deterministic.
            for (k, v) in map {
                env.push((format!("{base}_{}", escape_param_name(k)), v.clone()));
            }
        }
        if let Some(array) = &p.array {
            for (i, v) in array.iter().enumerate() {
                env.push((format!("{base}_{i}"), v.clone()));
            }
        }
    }
    env
}

/// Upper-case, then every char outside `[A-Z0-9_]` becomes `_` (one `_` per char, as Go's
/// regexp replaces runes).
pub fn escape_param_name(name: &str) -> String {
    name.chars()
        // Go's ToUpper maps rune by rune (simple case mapping): `ß` stays one rune.
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .map(|c| {
            if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `ARGOCD_APP_PARAMETERS`: Go's `json.Marshal` of the parameter list with Argo's custom
/// marshaller (keys sorted `array`, `map`, `name`, `string`); `null` for no parameters.
pub fn parameters_json(params: &[PluginParameter]) -> String {
    if params.is_empty() {
        // The list crosses protobuf on its way to repo-server: empty and absent both arrive as nil.
        return "null".into();
    }
    let mut out = String::from("[");
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        let mut fields = Vec::new();
        if let Some(a) = &p.array {
            let items: Vec<String> = a.iter().map(|s| go_json_string(s)).collect();
            fields.push(format!("\"array\":[{}]", items.join(",")));
        }
        if let Some(m) = &p.map {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_json_string(k), go_json_string(v)))
                .collect();
            fields.push(format!("\"map\":{{{}}}", items.join(",")));
        }
        fields.push(format!("\"name\":{}", go_json_string(&p.name)));
        if let Some(s) = &p.string {
            fields.push(format!("\"string\":{}", go_json_string(s)));
        }
        out.push_str(&fields.join(","));
        out.push('}');
    }
    out.push(']');
    out
}

/// A JSON string as Go's `encoding/json` writes it (HTML-safe escaping, `\u2028`/`\u2029`).
pub fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `os.Expand` with Argo's mapping: `$$` is `$`, unknown names are empty.
pub fn envsubst(env: &[EnvEntry], s: &str) -> String {
    let vars: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let lookup = |name: &str| -> String {
        if name == "$" {
            "$".into()
        } else {
            vars.get(name).copied().unwrap_or_default().to_string()
        }
    };
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut j = 0;
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            out.extend_from_slice(&b[i..j]);
            let (name, w) = shell_name(&s[j + 1..]);
            match name {
                None if w > 0 => {} // invalid syntax: eaten
                None => out.push(b'$'),
                Some(n) => out.extend_from_slice(lookup(n).as_bytes()),
            }
            j += w;
            i = j + 1;
        }
        j += 1;
    }
    out.extend_from_slice(&b[i.min(b.len())..]);
    String::from_utf8_lossy(&out).into_owned()
}

fn is_special(c: u8) -> bool {
    matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit()
}

fn is_alnum(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Go's `getShellName`: the name after `$` and how many bytes it took.
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    if b[0] == b'{' {
        if b.len() > 2 && is_special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        for i in 1..b.len() {
            if b[i] == b'}' {
                if i == 1 {
                    return (None, 2);
                }
                return (Some(&s[1..i]), i + 1);
            }
        }
        return (None, 1);
    }
    if is_special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b.iter().take_while(|c| is_alnum(**c)).count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

/// `k8s.io/apimachinery` `version.ParseGeneric(v).String()`: `v1.29.3+k3s1` -> `1.29.3`.
pub fn parse_kube_version(v: &str) -> Result<String> {
    if v.is_empty() {
        return Ok(String::new());
    }
    let t = v.trim_start();
    let t = t.strip_prefix('v').unwrap_or(t);
    let numbers: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    // The regexp wants digit groups separated by single dots.
    let numbers = numbers.trim_end_matches('.');
    let parts: Vec<&str> = numbers.split('.').collect();
    if numbers.is_empty() || parts.iter().any(|p| p.is_empty()) {
        bail!("could not parse kubernetes version {v}: could not parse {v:?} as version");
    }
    if parts.len() < 2 {
        bail!("could not parse kubernetes version {v}: illegal version string {v:?}");
    }
    if parts[0].len() > 1 && parts[0].starts_with('0') {
        bail!(
            "could not parse kubernetes version {v}: illegal zero-prefixed version component {:?} in {v:?}",
            parts[0]
        );
    }
    let mut out = Vec::new();
    for p in parts {
        let n: u64 = p.parse().map_err(|_| {
            anyhow::anyhow!("could not parse kubernetes version {v}: illegal non-numeric version component {p:?} in {v:?}")
        })?;
        out.push(n.to_string());
    }
    Ok(out.join("."))
}

/// The API versions a Karmada control plane (a kube-apiserver plus Karmada's aggregated and
/// CRD APIs) reports: both `group/version` and `group/version/Kind`, sorted, as Argo CD's
/// `APIResourcesToStrings` builds them.
pub fn default_api_versions() -> Vec<String> {
    const APIS: &[(&str, &[&str])] = &[
        (
            "v1",
            &[
                "ConfigMap",
                "Endpoints",
                "Event",
                "LimitRange",
                "Namespace",
                "PersistentVolume",
                "PersistentVolumeClaim",
                "Pod",
                "ResourceQuota",
                "Secret",
                "Service",
                "ServiceAccount",
            ],
        ),
        (
            "admissionregistration.k8s.io/v1",
            &[
                "MutatingWebhookConfiguration",
                "ValidatingWebhookConfiguration",
            ],
        ),
        ("apiextensions.k8s.io/v1", &["CustomResourceDefinition"]),
        ("apiregistration.k8s.io/v1", &["APIService"]),
        (
            "apps/v1",
            &[
                "ControllerRevision",
                "DaemonSet",
                "Deployment",
                "ReplicaSet",
                "StatefulSet",
            ],
        ),
        ("autoscaling/v1", &["HorizontalPodAutoscaler"]),
        ("autoscaling/v2", &["HorizontalPodAutoscaler"]),
        ("batch/v1", &["CronJob", "Job"]),
        ("coordination.k8s.io/v1", &["Lease"]),
        ("discovery.k8s.io/v1", &["EndpointSlice"]),
        ("events.k8s.io/v1", &["Event"]),
        (
            "networking.k8s.io/v1",
            &["Ingress", "IngressClass", "NetworkPolicy"],
        ),
        ("policy/v1", &["PodDisruptionBudget"]),
        (
            "rbac.authorization.k8s.io/v1",
            &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        ),
        ("scheduling.k8s.io/v1", &["PriorityClass"]),
        ("storage.k8s.io/v1", &["CSIDriver", "StorageClass"]),
        // Karmada
        ("apps.karmada.io/v1alpha1", &["WorkloadRebalancer"]),
        (
            "autoscaling.karmada.io/v1alpha1",
            &["CronFederatedHPA", "FederatedHPA"],
        ),
        ("cluster.karmada.io/v1alpha1", &["Cluster"]),
        (
            "config.karmada.io/v1alpha1",
            &[
                "ResourceInterpreterCustomization",
                "ResourceInterpreterWebhookConfiguration",
            ],
        ),
        (
            "networking.karmada.io/v1alpha1",
            &["MultiClusterIngress", "MultiClusterService"],
        ),
        (
            "policy.karmada.io/v1alpha1",
            &[
                "ClusterOverridePolicy",
                "ClusterPropagationPolicy",
                "ClusterTaintPolicy",
                "FederatedResourceQuota",
                "OverridePolicy",
                "PropagationPolicy",
            ],
        ),
        (
            "multicluster.x-k8s.io/v1alpha1",
            &["ServiceExport", "ServiceImport"],
        ),
        ("remedy.karmada.io/v1alpha1", &["Remedy"]),
        // Bindings are served at v1alpha1 and v1alpha2.
        (
            "work.karmada.io/v1alpha1",
            &["ClusterResourceBinding", "ResourceBinding", "Work"],
        ),
        (
            "work.karmada.io/v1alpha2",
            &["ClusterResourceBinding", "ResourceBinding"],
        ),
    ];
    let mut out = std::collections::BTreeSet::new();
    for (gv, kinds) in APIS {
        out.insert(gv.to_string());
        for k in *kinds {
            out.insert(format!("{gv}/{k}"));
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<EnvEntry> {
        vec![
            ("X".into(), "1".into()),
            ("ARGOCD_APP_NAME".into(), "app".into()),
        ]
    }

    #[test]
    fn envsubst_matches_go_os_expand() {
        // Expected values produced by Go's os.Expand with Argo's mapping.
        let cases = [
            ("a$$b", "a$b"),
            ("$X-${X}", "1-1"),
            ("${}", ""),
            ("${", ""),
            ("$", "$"),
            ("a$", "a$"),
            ("$1x", "x"),
            ("${ARGOCD_APP_NAME}/$ARGOCD_APP_NAME.x", "app/app.x"),
            ("$*", ""),
            ("${*}", ""),
            ("${X", "X"),
            ("$-", ""),
            ("$@x", "x"),
            ("${X}}", "1}"),
            ("$!", ""),
            ("$UNKNOWN!", "!"),
            ("é$Xé", "é1é"),
        ];
        for (input, want) in cases {
            assert_eq!(envsubst(&env(), input), want, "{input}");
        }
    }

    #[test]
    fn parameters_json_matches_go() {
        let p = PluginParameter {
            name: "p".into(),
            string: Some("a<b>&\"\\\n\t\u{8}\u{c}\u{1}\u{2028}é".into()),
            map: Some([("b".into(), "1".into()), ("a".into(), "2".into())].into()),
            array: Some(vec![]),
        };
        assert_eq!(
            parameters_json(&[p]),
            r#"[{"array":[],"map":{"a":"2","b":"1"},"name":"p","string":"a\u003cb\u003e\u0026\"\\\n\t\b\f\u0001\u2028é"}]"#
        );
        assert_eq!(parameters_json(&[]), "null");
    }

    #[test]
    fn plugin_section_decides_what_is_sent() {
        let base = vec![("ARGOCD_APP_NAME".to_string(), "a".to_string())];
        // No plugin section: no ARGOCD_ENV_*, no ARGOCD_APP_PARAMETERS at all.
        assert_eq!(with_plugin(base.clone(), None), base);
        // An empty one: parameters are the JSON `null`.
        let env = with_plugin(base.clone(), Some(&PluginSource::default()));
        assert_eq!(
            env.last().unwrap(),
            &("ARGOCD_APP_PARAMETERS".to_string(), "null".to_string())
        );
        // Expansion sees the build env only, not other ARGOCD_ENV_ entries.
        let p = PluginSource {
            env: vec![
                ("A".into(), "x".into()),
                ("B".into(), "$ARGOCD_ENV_A-$ARGOCD_APP_NAME".into()),
            ],
            ..Default::default()
        };
        let env = with_plugin(base, Some(&p));
        assert_eq!(env[2], ("ARGOCD_ENV_B".to_string(), "-a".to_string()));
    }

    #[test]
    fn escapes_param_names() {
        assert_eq!(escape_param_name("image.tag"), "IMAGE_TAG");
        assert_eq!(escape_param_name("a-b c_1"), "A_B_C_1");
        assert_eq!(escape_param_name("ü"), "_");
        assert_eq!(escape_param_name("ß"), "_");
        assert_eq!(escape_param_name("ı"), "I");
        // Go's strings.ToUpper maps rune by rune: `ß` has no one-rune upper case and stays one
        // rune (Rust's to_uppercase would give `SS`); `é` becomes `É`, then `_`.
        assert_eq!(escape_param_name("straße"), "STRA_E");
        assert_eq!(escape_param_name("café"), "CAF_");
        assert_eq!(escape_param_name("exclude-clusters"), "EXCLUDE_CLUSTERS");
        assert_eq!(escape_param_name("a.b/c"), "A_B_C");
    }

    #[test]
    fn parses_kube_versions_like_parse_generic() {
        assert_eq!(parse_kube_version("v1.29.3+k3s1").unwrap(), "1.29.3");
        assert_eq!(parse_kube_version("1.31").unwrap(), "1.31");
        assert_eq!(parse_kube_version("").unwrap(), "");
        assert!(parse_kube_version("1").is_err());
        assert!(parse_kube_version("latest").is_err());
    }

    #[test]
    fn default_api_versions_are_sorted_and_list_karmada() {
        let v = default_api_versions();
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(v, sorted);
        assert!(v.contains(&"policy.karmada.io/v1alpha1".to_string()));
        assert!(v.contains(&"policy.karmada.io/v1alpha1/PropagationPolicy".to_string()));
        assert!(v.contains(&"v1/ConfigMap".to_string()));
    }
}
