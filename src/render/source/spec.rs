//! The `source:` section of `karmada.yaml`: which renderer to use and its options.

use anyhow::{Result, bail};
use serde_json::{Map, Value};

/// How the app's base objects are rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Directory(DirectoryOpts),
    Kustomize,
    Helm(HelmOpts),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryOpts {
    /// Descend into subdirectories (default true).
    pub recurse: bool,
    /// Globs over paths relative to the app directory; empty = everything.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Default for DirectoryOpts {
    fn default() -> Self {
        DirectoryOpts {
            recurse: true,
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HelmOpts {
    /// Release name (default: the Argo CD app name).
    pub release_name: Option<String>,
    /// Values files relative to the app directory, in order.
    pub value_files: Vec<String>,
    /// Inline values (a mapping, or YAML text), applied after the files.
    pub values: Option<Value>,
    /// Leave the chart's `crds/` out (Argo CD includes them unless `skipCrds`).
    pub skip_crds: bool,
    /// Leave test hooks out (`--skip-tests`).
    pub skip_tests: bool,
}

const KINDS: [&str; 3] = ["directory", "kustomize", "helm"];

/// Parses `source:`; `None` or `{}` means auto-detect. `file` names karmada.yaml in errors.
pub fn parse(file: &str, raw: Option<&Value>) -> Result<Option<SourceSpec>> {
    let obj = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(Value::String(s)) if KINDS.contains(&s.as_str()) => {
            return parse_kind(file, s, &Value::Null).map(Some);
        }
        Some(_) => bail!(
            "{file}: source: expected a mapping with one of {}",
            KINDS.join(", ")
        ),
    };
    let mut found = None;
    for (k, v) in obj {
        if !KINDS.contains(&k.as_str()) {
            bail!(
                "{file}: source.{k}: unknown key{}; expected one of {}",
                crate::diag::suggestion(k, KINDS),
                KINDS.join(", ")
            );
        }
        if let Some((prev, _)) = found {
            bail!("{file}: source: set only one of {prev} and {k}");
        }
        found = Some((k.as_str(), v));
    }
    match found {
        None => Ok(None),
        Some((kind, v)) => parse_kind(file, kind, v).map(Some),
    }
}

fn parse_kind(file: &str, kind: &str, v: &Value) -> Result<SourceSpec> {
    let empty = Map::new();
    let obj = match v {
        Value::Null => &empty,
        Value::Object(o) => o,
        other => bail!(
            "{file}: source.{kind}: expected a mapping, found {}",
            describe(other)
        ),
    };
    let field = |key: &str| format!("{file}: source.{kind}.{key}");
    match kind {
        "directory" => {
            check_keys(file, kind, obj, &["recurse", "include", "exclude"])?;
            Ok(SourceSpec::Directory(DirectoryOpts {
                recurse: opt_bool(obj, "recurse", &field("recurse"))?.unwrap_or(true),
                include: globs(obj, "include", &field("include"))?,
                exclude: globs(obj, "exclude", &field("exclude"))?,
            }))
        }
        "kustomize" => {
            check_keys(file, kind, obj, &[])?;
            Ok(SourceSpec::Kustomize)
        }
        _ => {
            check_keys(
                file,
                kind,
                obj,
                &[
                    "releaseName",
                    "valueFiles",
                    "values",
                    "skipCrds",
                    "skipTests",
                ],
            )?;
            let release_name = match obj.get("releaseName") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if is_release_name(s) => Some(s.clone()),
                Some(Value::String(s)) => bail!(
                    "{}: \"{s}\" is not a valid release name (lowercase letters, digits, '-' and '.', at most 53)",
                    field("releaseName")
                ),
                Some(other) => bail!(
                    "{}: expected a string, found {}",
                    field("releaseName"),
                    describe(other)
                ),
            };
            let value_files = match obj.get("valueFiles") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                        other => bail!(
                            "{}[{i}]: expected a file path, found {}",
                            field("valueFiles"),
                            describe(other)
                        ),
                    })
                    .collect::<Result<_>>()?,
                Some(other) => bail!(
                    "{}: expected a list of files, found {}",
                    field("valueFiles"),
                    describe(other)
                ),
            };
            let values = match obj.get("values") {
                None | Some(Value::Null) => None,
                Some(v @ (Value::Object(_) | Value::String(_))) => Some(v.clone()),
                Some(other) => bail!(
                    "{}: expected a mapping (or YAML text), found {}",
                    field("values"),
                    describe(other)
                ),
            };
            Ok(SourceSpec::Helm(HelmOpts {
                release_name,
                value_files,
                values,
                skip_crds: opt_bool(obj, "skipCrds", &field("skipCrds"))?.unwrap_or(false),
                skip_tests: opt_bool(obj, "skipTests", &field("skipTests"))?.unwrap_or(false),
            }))
        }
    }
}

fn check_keys(file: &str, kind: &str, obj: &Map<String, Value>, known: &[&str]) -> Result<()> {
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            let hint = if known.is_empty() {
                " (kustomize takes no options; put them in kustomization.yaml)".to_string()
            } else {
                format!(
                    "{}; expected one of {}",
                    crate::diag::suggestion(k, known.iter().copied()),
                    known.join(", ")
                )
            };
            bail!("{file}: source.{kind}.{k}: unknown key{hint}");
        }
    }
    Ok(())
}

fn opt_bool(obj: &Map<String, Value>, key: &str, field: &str) -> Result<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => bail!("{field}: expected true or false, found {}", describe(other)),
    }
}

/// A glob or a list of globs.
fn globs(obj: &Map<String, Value>, key: &str, field: &str) -> Result<Vec<String>> {
    let list = match obj.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => bail!("{field}[{i}]: expected a glob, found {}", describe(other)),
            })
            .collect::<Result<_>>()?,
        Some(other) => bail!(
            "{field}: expected a glob or a list of globs, found {}",
            describe(other)
        ),
    };
    for (i, g) in list.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            bail!("{field}[{i}]: invalid glob \"{g}\": {}", e.kind());
        }
    }
    Ok(list)
}

/// Helm's release-name rule (DNS-1123 subdomain, at most 53 characters).
fn is_release_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 53
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_each_kind() {
        assert_eq!(parse("k", None).unwrap(), None);
        assert_eq!(parse("k", Some(&json!({}))).unwrap(), None);
        assert_eq!(
            parse("k", Some(&json!({"kustomize": {}}))).unwrap(),
            Some(SourceSpec::Kustomize)
        );
        assert_eq!(
            parse("k", Some(&json!("kustomize"))).unwrap(),
            Some(SourceSpec::Kustomize)
        );
        assert_eq!(
            parse(
                "k",
                Some(&json!({"directory": {"recurse": false, "include": "*.yaml"}}))
            )
            .unwrap(),
            Some(SourceSpec::Directory(DirectoryOpts {
                recurse: false,
                include: vec!["*.yaml".into()],
                exclude: vec![]
            }))
        );
        let helm = parse(
            "k",
            Some(
                &json!({"helm": {"valueFiles": ["v.yaml"], "values": {"a": 1}, "skipCrds": true}}),
            ),
        )
        .unwrap();
        assert_eq!(
            helm,
            Some(SourceSpec::Helm(HelmOpts {
                release_name: None,
                value_files: vec!["v.yaml".into()],
                values: Some(json!({"a": 1})),
                skip_crds: true,
                skip_tests: false,
            }))
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = |v: Value| format!("{:#}", parse("app/karmada.yaml", Some(&v)).unwrap_err());
        assert_eq!(
            err(json!({"helm": {"valueFiles": [1]}})),
            "app/karmada.yaml: source.helm.valueFiles[0]: expected a file path, found the number 1"
        );
        assert_eq!(
            err(json!({"helm": {"valuesFiles": []}})),
            "app/karmada.yaml: source.helm.valuesFiles: unknown key (did you mean \"valueFiles\"?); expected one of releaseName, valueFiles, values, skipCrds, skipTests"
        );
        assert_eq!(
            err(json!({"helm": {}, "kustomize": {}})),
            "app/karmada.yaml: source: set only one of helm and kustomize"
        );
        assert!(
            err(json!({"directory": {"include": "[a"}}))
                .starts_with("app/karmada.yaml: source.directory.include[0]: invalid glob \"[a\"")
        );
        assert!(
            err(json!({"helm": {"releaseName": "Bad_Name"}})).contains("not a valid release name")
        );
    }
}
