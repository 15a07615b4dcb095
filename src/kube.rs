//! Kubernetes naming facts shared by every layer: DNS-1123 labels, apiVersion parsing, and Go's
//! JSON kind names (what Kubernetes' Go decoders say in their errors).

/// Go's name for the kind of a JSON value (`encoding/json`'s `UnmarshalTypeError.Value`).
pub fn go_json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Longest DNS-1123 label.
pub const MAX_LABEL: usize = 63;

/// A DNS-1123 label (namespace and cluster names): lower-case alphanumerics and '-', starting and
/// ending alphanumeric, at most 63 characters (apimachinery `IsDNS1123Label`).
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The API group of an apiVersion, as apimachinery's `schema.ParseGroupVersion` splits it:
/// `apps/v1` -> `apps`, `v1` -> `` (core), and more than one `/` is invalid (`None`).
pub fn api_group(api_version: &str) -> Option<&str> {
    // k8s.io/apimachinery/pkg/runtime/schema/group_version.go: ParseGroupVersion.
    match api_version.split_once('/') {
        None => Some(""),
        Some((_, version)) if version.contains('/') => None,
        Some((group, _)) => Some(group),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_labels() {
        assert!(is_dns1123_label("member-1"));
        assert!(is_dns1123_label(&"a".repeat(63)));
        for bad in ["", "Member1", "-a", "a-", "a.b", "a_b", "ä"] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
        assert!(!is_dns1123_label(&"a".repeat(64)));
    }

    #[test]
    fn groups_like_parse_group_version() {
        assert_eq!(api_group("v1"), Some(""));
        assert_eq!(api_group("apps/v1"), Some("apps"));
        assert_eq!(
            api_group("policy.karmada.io/v1alpha1"),
            Some("policy.karmada.io")
        );
        assert_eq!(api_group("a/b/c"), None);
        assert_eq!(api_group("/"), Some(""));
    }
}
