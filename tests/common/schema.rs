//! Validating objects against Karmada's CRD schemas (the reference CRDs); tests only, so
//! `jsonschema` stays a dev-dependency.
//!
//! The API server prunes fields a structural schema does not declare, which would make Argo CD
//! show the object OutOfSync forever; so validation here treats undeclared fields as errors.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// A CRD's validator for one served version.
pub struct CrdSchema {
    pub group: String,
    pub kind: String,
    pub version: String,
    validator: jsonschema::Validator,
}

impl CrdSchema {
    /// The storage version's schema of a CRD document.
    pub fn from_crd(crd: &Value) -> Result<CrdSchema> {
        let spec = &crd["spec"];
        let group = spec["group"].as_str().context("CRD without spec.group")?;
        let kind = spec["names"]["kind"]
            .as_str()
            .context("CRD without spec.names.kind")?;
        let versions = spec["versions"]
            .as_array()
            .context("CRD without spec.versions")?;
        let version = versions
            .iter()
            .find(|v| v["storage"] == true && v["served"] == true)
            .context("CRD without a served storage version")?;
        let mut schema = version["schema"]["openAPIV3Schema"].clone();
        if !schema.is_object() {
            bail!("{kind}: no openAPIV3Schema");
        }
        strict(&mut schema);
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| anyhow!("{kind}: invalid schema: {e}"))?;
        Ok(CrdSchema {
            group: group.to_string(),
            kind: kind.to_string(),
            version: version["name"].as_str().unwrap_or("").to_string(),
            validator,
        })
    }

    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    /// Every schema violation, as `path: message`.
    pub fn errors(&self, obj: &Value) -> Vec<String> {
        self.validator
            .iter_errors(obj)
            .map(|e| format!("{}: {}", e.instance_path(), e))
            .collect()
    }
}

/// Structural-schema semantics in JSON Schema terms: objects with declared properties accept no
/// other keys (unless they preserve unknown fields), and `metadata` keeps its usual fields.
fn strict(schema: &mut Value) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if m.contains_key("properties") && !m.contains_key("additionalProperties") && !preserve {
        m.insert("additionalProperties".into(), json!(false));
    }
    for key in ["properties"] {
        if let Some(Value::Object(props)) = m.get_mut(key) {
            props.values_mut().for_each(strict);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = m.get_mut(key) {
            strict(v);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            list.iter_mut().for_each(strict);
        }
    }
}
