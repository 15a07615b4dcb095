//! Health overrides from the `argocd-cm` ConfigMap and how Argo CD picks a health script
//! (`util/settings/settings.go` GetResourceOverrides, `util/lua/lua.go` GetHealthScript).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use globset::GlobBuilder;
use serde_json::{Map, Value};

/// The data key holding the structured YAML map of overrides.
pub const CUSTOMIZATIONS_KEY: &str = "resource.customizations";

/// The health part of one `ResourceOverride`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthOverride {
    pub health_lua: String,
    pub use_open_libs: bool,
}

/// A script chosen for an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthScript<'a> {
    /// The override key that matched (`group/Kind`, `Kind` or a wildcard).
    pub key: &'a str,
    pub source: &'a str,
    pub open_libs: bool,
}

/// Overrides keyed as Argo CD keys them: `group/Kind`, `Kind` for the core group, or a glob.
#[derive(Debug, Clone, Default)]
pub struct ResourceOverrides {
    overrides: BTreeMap<String, HealthOverride>,
}

/// An object's `group/Kind` key (`Kind` alone for the core group), as `GetConfigMapKey` builds it.
pub fn config_map_key(obj: &Value) -> (String, String) {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    // An apiVersion that ParseGroupVersion rejects (`a/b/c`) gives an empty GVK.
    let Some(group) = crate::kube::api_group(api_version) else {
        return (String::new(), String::new());
    };
    (group.to_string(), kind.to_string())
}

/// `group/Kind`, or `Kind` when the group is empty.
pub fn key_of(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{group}/{kind}")
    }
}

impl ResourceOverrides {
    /// Reads a full `argocd-cm` ConfigMap manifest (or a patch of one).
    pub fn from_config_map(cm: &Value) -> Result<Self> {
        let data = match cm.get("data") {
            None | Some(Value::Null) => return Ok(Self::default()),
            Some(Value::Object(m)) => m,
            Some(_) => bail!("data: must be a map of strings"),
        };
        Self::from_data(data).context("data")
    }

    /// Reads the ConfigMap's `data`: the structured key first, then the split keys override it
    /// field by field.
    pub fn from_data(data: &Map<String, Value>) -> Result<Self> {
        let mut out = ResourceOverrides::default();
        if let Some(v) = data.get(CUSTOMIZATIONS_KEY) {
            let text = data_string(v).context(CUSTOMIZATIONS_KEY)?;
            if !text.is_empty() {
                out.read_structured(&text).context(CUSTOMIZATIONS_KEY)?;
            }
        }
        for (k, v) in data {
            if !k.starts_with(CUSTOMIZATIONS_KEY) {
                continue;
            }
            let parts: Vec<&str> = k.splitn(4, '.').collect();
            if parts.len() < 4 {
                continue;
            }
            let value = data_string(v).with_context(|| k.clone())?;
            out.read_split_key(parts[2], parts[3], &value)
                .with_context(|| k.clone())?;
        }
        Ok(out)
    }

    /// One override, for scripts given directly (`--script`).
    pub fn insert(&mut self, key: &str, over: HealthOverride) {
        self.overrides.insert(key.to_string(), over);
    }

    pub fn len(&self) -> usize {
        self.overrides.len()
    }

    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty()
    }

    /// Every override with a health script, by key.
    pub fn health_scripts(&self) -> impl Iterator<Item = (&str, &HealthOverride)> {
        self.overrides
            .iter()
            .filter(|(_, o)| !o.health_lua.is_empty())
            .map(|(k, o)| (k.as_str(), o))
    }

    fn read_structured(&mut self, text: &str) -> Result<()> {
        let v = crate::yaml::parse_one(text, "value")?;
        let map = match v {
            Value::Null => return Ok(()),
            Value::Object(m) => m,
            _ => bail!("must be a YAML map of `group/Kind` to overrides"),
        };
        for (key, body) in map {
            let mut over = HealthOverride::default();
            let fields = match body {
                Value::Null => Map::new(),
                Value::Object(f) => f,
                _ => bail!("{key}: must be a map"),
            };
            // encoding/json matches field names case-insensitively; the last match wins.
            for (field, value) in &fields {
                if field.eq_ignore_ascii_case("health.lua") {
                    over.health_lua = match value {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        _ => bail!("{key}: health.lua: must be a string"),
                    };
                } else if field.eq_ignore_ascii_case("health.lua.useOpenLibs") {
                    over.use_open_libs = match value {
                        Value::Bool(b) => *b,
                        Value::Null => false,
                        _ => bail!("{key}: health.lua.useOpenLibs: must be a boolean"),
                    };
                }
            }
            self.overrides.insert(key, over);
        }
        Ok(())
    }

    fn read_split_key(&mut self, kind_of_key: &str, group_kind: &str, value: &str) -> Result<()> {
        let parts: Vec<&str> = group_kind.split('_').collect();
        let mut key = match parts[..] {
            [g, k] => format!("{g}/{k}"),
            [k] if !k.is_empty() => k.to_string(),
            _ => bail!(
                "group kind should be in format `resource.customizations.<type>.<group_kind>` or \
                 `resource.customizations.<type>.<kind>`, got group kind: '{group_kind}'"
            ),
        };
        if key == "all" {
            key = "*/*".into();
        }
        let over = self.overrides.entry(key).or_default();
        match kind_of_key {
            "health" => over.health_lua = value.to_string(),
            "useOpenLibs" => over.use_open_libs = parse_go_bool(value)?,
            "actions" | "ignoreDifferences" | "ignoreResourceUpdates" | "knownTypeFields" => {}
            other => bail!(
                "resource customization type {other} not supported (one of health, useOpenLibs, \
                 actions, ignoreDifferences, ignoreResourceUpdates, knownTypeFields)"
            ),
        }
        Ok(())
    }

    /// `GetHealthScript` over the ConfigMap overrides: the exact key, then wildcard keys. Argo CD
    /// tries wildcards in Go map order (random); we try them sorted, so the choice is stable.
    pub fn health_script(&self, group: &str, kind: &str) -> Option<HealthScript<'_>> {
        let key = key_of(group, kind);
        if let Some((k, o)) = self.overrides.get_key_value(&key)
            && !o.health_lua.is_empty()
        {
            return Some(script(k, o));
        }
        self.health_scripts()
            .find(|(pattern, _)| gobwas_match(pattern, &key))
            .map(|(k, o)| script(k, o))
    }
}

fn script<'a>(key: &'a str, o: &'a HealthOverride) -> HealthScript<'a> {
    HealthScript {
        key,
        source: &o.health_lua,
        open_libs: o.use_open_libs,
    }
}

/// ConfigMap data values are strings; YAML scalars that are not strings are refused as the API
/// server would.
fn data_string(v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        other => bail!("ConfigMap data values must be strings, got {other}"),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Result<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => bail!("strconv.ParseBool: parsing {s:?}: invalid syntax"),
    }
}

/// Argo CD's `util/glob.Match` (gobwas/glob without separators: `*` also spans `/`).
pub fn gobwas_match(pattern: &str, text: &str) -> bool {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(false)
}

/// doublestar's `PathMatch` as used for Argo CD's built-in wildcard directories: `*` stops at `/`.
pub fn path_match(pattern: &str, text: &str) -> bool {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn structured_then_split_keys() {
        let cm = json!({"data": {
            "resource.customizations": "work.karmada.io/ResourceBinding:\n  health.lua: return nil\n  health.lua.useOpenLibs: true\n\"*.karmada.io/*\":\n  health.lua: wild\n",
            "resource.customizations.health.work.karmada.io_ResourceBinding": "split",
            "resource.customizations.useOpenLibs.apps_Deployment": "true",
            "resource.customizations.health.Service": "core",
        }});
        let o = ResourceOverrides::from_config_map(&cm).unwrap();
        let s = o
            .health_script("work.karmada.io", "ResourceBinding")
            .unwrap();
        assert_eq!((s.source, s.open_libs), ("split", true));
        let s = o.health_script("policy.karmada.io", "X").unwrap();
        assert_eq!((s.key, s.source), ("*.karmada.io/*", "wild"));
        assert_eq!(o.health_script("", "Service").unwrap().source, "core");
        assert!(o.health_script("apps", "Deployment").is_none());
    }

    #[test]
    fn bad_keys() {
        let bad = json!({"data": {"resource.customizations.healthz.apps_Deployment": "x"}});
        let e = ResourceOverrides::from_config_map(&bad).unwrap_err();
        assert!(format!("{e:#}").contains("type healthz not supported"));
        let bad = json!({"data": {"resource.customizations.health.a_b_c": "x"}});
        assert!(ResourceOverrides::from_config_map(&bad).is_err());
        let bad = json!({"data": {"resource.customizations.useOpenLibs.a_b": "yes"}});
        let e = ResourceOverrides::from_config_map(&bad).unwrap_err();
        assert!(format!("{e:#}").contains("ParseBool"));
    }

    #[test]
    fn globs() {
        assert!(gobwas_match("*/*", "apps/Deployment"));
        assert!(gobwas_match("*", "apps/Deployment"));
        assert!(path_match(
            "*.crossplane.io/*",
            "pkg.crossplane.io/Provider"
        ));
        assert!(!path_match("*", "apps/Deployment"));
    }

    #[test]
    fn keys() {
        assert_eq!(
            config_map_key(&json!({"apiVersion": "apps/v1", "kind": "Deployment"})),
            ("apps".into(), "Deployment".into())
        );
        assert_eq!(
            config_map_key(&json!({"apiVersion": "v1", "kind": "Pod"})),
            ("".into(), "Pod".into())
        );
    }
}
