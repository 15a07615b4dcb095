//! The `source:` section of `karmada.yaml`: which renderer to use and its options.

use anyhow::Result;
use serde_json::Value;

use crate::diag::{Diagnostic, Field, error, join, type_name};

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
const DIRECTORY_KEYS: &[&str] = &["recurse", "include", "exclude"];
const HELM_KEYS: &[&str] = &[
    "releaseName",
    "valueFiles",
    "values",
    "skipCrds",
    "skipTests",
];

/// Parses `source:`; `None` or `{}` means auto-detect. `file` names karmada.yaml in errors.
pub fn parse(file: &str, raw: Option<&Value>) -> Result<Option<SourceSpec>> {
    let v = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    if let Value::String(s) = v
        && KINDS.contains(&s.as_str())
    {
        return parse_kind(file, s, &Value::Null).map(Some);
    }
    let source = Field::new(file, "source", v);
    let obj = source.object(&KINDS)?;
    // In file order, so the message names the keys as the user wrote them.
    let set: Vec<&str> = source.entries()?.into_iter().map(|(k, _)| k).collect();
    match set[..] {
        [] => Ok(None),
        [kind] => obj.req(kind, |f| parse_kind(file, kind, f.value)).map(Some),
        [a, b, ..] => Err(obj.err(format!("set only one of {a} and {b}"))),
    }
}

fn parse_kind(file: &str, kind: &str, v: &Value) -> Result<SourceSpec> {
    let empty = Value::Object(Default::default());
    let v = if v.is_null() { &empty } else { v };
    let path = format!("source.{kind}");
    let f = Field::new(file, &path, v);
    match kind {
        "directory" => {
            let o = f.object(DIRECTORY_KEYS)?;
            Ok(SourceSpec::Directory(DirectoryOpts {
                recurse: o.opt("recurse", |f| f.bool())?.unwrap_or(true),
                include: o.opt("include", globs)?.unwrap_or_default(),
                exclude: o.opt("exclude", globs)?.unwrap_or_default(),
            }))
        }
        "kustomize" => {
            if let Some((k, _)) = f.entries()?.first() {
                let d = Diagnostic::new(file, &join(&path, k), "unknown field")
                    .with_hint("kustomize takes no options; put them in kustomization.yaml");
                return Err(d.into());
            }
            Ok(SourceSpec::Kustomize)
        }
        _ => {
            let o = f.object(HELM_KEYS)?;
            let release_name = o.opt("releaseName", |f| {
                let s = f.str()?;
                if !is_release_name(s) {
                    return Err(f.err(format!(
                        "\"{s}\" is not a valid release name (lowercase letters, digits, '-' and '.', at most 53)"
                    )));
                }
                Ok(s.to_string())
            })?;
            let value_files = o
                .opt("valueFiles", |f| {
                    let mut out = Vec::new();
                    for (i, item) in f.list()?.iter().enumerate() {
                        let p = format!("{}[{i}]", f.path);
                        out.push(Field::new(file, &p, item).non_empty_str()?.to_string());
                    }
                    Ok(out)
                })?
                .unwrap_or_default();
            let values = o.opt("values", |f| match f.value {
                Value::Object(_) | Value::String(_) => Ok(f.value.clone()),
                other => Err(f.err(format!(
                    "must be a mapping (or YAML text), not {}",
                    type_name(other)
                ))),
            })?;
            Ok(SourceSpec::Helm(HelmOpts {
                release_name,
                value_files,
                values,
                skip_crds: o.opt("skipCrds", |f| f.bool())?.unwrap_or(false),
                skip_tests: o.opt("skipTests", |f| f.bool())?.unwrap_or(false),
            }))
        }
    }
}

/// A glob or a list of globs.
fn globs(f: Field<'_>) -> Result<Vec<String>> {
    let list = match f.value {
        Value::String(s) => vec![s.clone()],
        _ => {
            let mut out = Vec::new();
            for (i, item) in f.list()?.iter().enumerate() {
                let p = format!("{}[{i}]", f.path);
                out.push(Field::new(f.file, &p, item).str()?.to_string());
            }
            out
        }
    };
    for (i, g) in list.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            let p = format!("{}[{i}]", f.path);
            return Err(error(
                f.file,
                &p,
                format!("invalid glob \"{g}\": {}", e.kind()),
            ));
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
            "app/karmada.yaml: source.helm.valueFiles[0]: must be a string, not a number"
        );
        assert_eq!(
            err(json!({"helm": {"valuesFiles": []}})),
            "app/karmada.yaml: source.helm.valuesFiles: unknown field (did you mean \"valueFiles\"?)"
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
        assert_eq!(
            err(json!({"directory": {"recurse": "yes"}})),
            "app/karmada.yaml: source.directory.recurse: must be true or false, not a string"
        );
        let e = parse("k", Some(&json!({"kustomize": {"images": []}}))).unwrap_err();
        assert_eq!(e.to_string(), "k: source.kustomize.images: unknown field");
        assert_eq!(
            crate::diag::hint_of(&e),
            Some("kustomize takes no options; put them in kustomization.yaml")
        );
    }
}
