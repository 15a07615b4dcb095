//! The Argo CD CMP contract: what cmp-server puts in our environment, turned into an [`AppContext`].
//!
//! Inputs (see Argo CD's `newEnv` / `getPluginParamEnvs`): `ARGOCD_APP_NAME`, `ARGOCD_APP_NAMESPACE`
//! (destination namespace), `KUBE_VERSION`, `KUBE_API_VERSIONS`, `ARGOCD_ENV_*` (Application
//! `plugin.env`), `ARGOCD_APP_PARAMETERS` (JSON, or the string `null`) and its `PARAM_*` copies.
//! Precedence per setting: parameter > `ARGOCD_ENV_X` > `X`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use super::AppContext;
use super::settings::{self, Collection, SETTINGS, Setting, SettingValue};
use crate::argo::cmp::env::escape_param_name;
use crate::diag::{Diagnostic, error};
use crate::karmada::{Origin, Params};
use crate::kube::is_dns1123_label;

/// The process environment as a map (tests pass their own).
pub type Env = BTreeMap<String, String>;

/// Reads our own environment; variables that are not valid UTF-8 are ignored.
pub fn process_env() -> Env {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Builds the context for the app in `dir` (`None`: the current directory, as under Argo CD).
pub fn app_context(dir: Option<&Path>, env: &Env) -> Result<AppContext> {
    let (given, display_dir) = match dir {
        Some(d) => (d.to_path_buf(), d.to_string_lossy().into_owned()),
        None => (std::path::PathBuf::from("."), String::new()),
    };
    let shown = if display_dir.is_empty() {
        ".".to_string()
    } else {
        display_dir.clone()
    };
    let app_dir = std::fs::canonicalize(&given)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("{shown}: cannot open the app directory"))?;
    if !app_dir.is_dir() {
        bail!("{shown}: not a directory");
    }
    // Other modules read karmada.yaml; make sure it is the app's own file.
    let placement_file = app_dir.join("karmada.yaml");
    if placement_file.is_symlink() {
        let shown = if display_dir.is_empty() {
            "karmada.yaml".to_string()
        } else {
            format!("{}/karmada.yaml", display_dir.trim_end_matches('/'))
        };
        super::source::RepoRoot::find(&app_dir)?.resolve_symlink(&placement_file, &shown)?;
    }
    let non_empty = |k: &str| env.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let app_name = match non_empty("ARGOCD_APP_NAME") {
        Some(name) => name,
        None => app_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "app".to_string()),
    };
    let namespace = non_empty("ARGOCD_APP_NAMESPACE").unwrap_or_else(|| "default".to_string());
    if !is_dns1123_label(&namespace) {
        bail!(
            "ARGOCD_APP_NAMESPACE: \"{namespace}\" is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
        );
    }
    Ok(AppContext {
        app_name,
        namespace,
        app_dir,
        display_dir,
        params: params(env)?,
        kube_version: non_empty("KUBE_VERSION"),
        api_versions: non_empty("KUBE_API_VERSIONS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The effective plugin parameters.
pub fn params(env: &Env) -> Result<Params> {
    let from_json = app_parameters(env)?;
    let mut out = Params::default();
    for s in SETTINGS {
        let (origin, value) = if let Some(v) = from_json.get(s.name) {
            (Origin::AppParameters, v.clone())
        } else if let Some((origin, v)) = param_env(s, env, from_json.is_present)? {
            (origin, v)
        } else if let Some((origin, raw)) = [
            Origin::ArgocdEnv(format!("ARGOCD_ENV_{}", s.env)),
            Origin::Env(s.env.to_string()),
        ]
        .into_iter()
        .find_map(|o| env.get(&o.to_string()).map(|v| (o, v)))
        {
            let v = s
                .parse_env(raw)
                .with_context(|| format!("{origin}: {}", s.name))?;
            (origin, v)
        } else {
            continue;
        };
        s.validate(&value)
            .with_context(|| format!("{origin}: {}", s.name))?;
        s.store(&mut out, value, origin);
    }
    Ok(out)
}

/// Parameters decoded from `ARGOCD_APP_PARAMETERS`.
struct AppParameters {
    /// The variable is set (and not `null`): `PARAM_*` are then only copies of it.
    is_present: bool,
    values: BTreeMap<String, SettingValue>,
}

impl AppParameters {
    fn get(&self, name: &str) -> Option<&SettingValue> {
        self.values.get(name)
    }
}

fn app_parameters(env: &Env) -> Result<AppParameters> {
    const VAR: &str = "ARGOCD_APP_PARAMETERS";
    let mut out = AppParameters {
        is_present: false,
        values: BTreeMap::new(),
    };
    let Some(raw) = env.get(VAR) else {
        return Ok(out);
    };
    let raw = raw.trim();
    if raw.is_empty() || raw == "null" {
        return Ok(out);
    }
    out.is_present = true;
    let doc: Value = serde_json::from_str(raw)
        .map_err(|e| anyhow!("invalid JSON: {e}"))
        .context(VAR)?;
    let Value::Array(items) = doc else {
        bail!(
            "{VAR}: must be a JSON array of parameters, not {}",
            type_name(&doc)
        );
    };
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            bail!(
                "{VAR}: [{i}]: must be an object with `name`, not {}",
                type_name(item)
            );
        };
        let Some(name) = obj.get("name").and_then(Value::as_str) else {
            return Err(error(
                VAR,
                &format!("[{i}].name"),
                "missing (this field is required)",
            ));
        };
        let Some(setting) = settings::find(name) else {
            let known = SETTINGS.iter().map(|s| s.name);
            return Err(Diagnostic::unknown(VAR, name, "parameter", name, known).into());
        };
        if let Some(v) = json_value(setting, obj).with_context(|| format!("{VAR}: {name}"))? {
            out.values.insert(name.to_string(), v);
        }
    }
    Ok(out)
}

/// One parameter's value from its JSON entry; `None` when the entry carries no value.
fn json_value(s: &Setting, obj: &serde_json::Map<String, Value>) -> Result<Option<SettingValue>> {
    let want = s.collection.as_str();
    for other in ["string", "array", "map"] {
        // Argo CD sends `string` alongside nothing else for string parameters; a string for an
        // array/map parameter is accepted in the env-var form (`a,b` / `k=v,...`).
        if other != want && obj.contains_key(other) && !(other == "string" && want != "string") {
            bail!("collectionType is {want}: set `{want}`, not `{other}`");
        }
    }
    let strings = |v: &Value, what: &str| -> Result<String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("{what}: must be a string, not {}", type_name(v)))
    };
    if let Some(v) = obj.get(want) {
        return Ok(Some(match s.collection {
            Collection::String => SettingValue::String(strings(v, "string")?),
            Collection::Array => {
                let Value::Array(a) = v else {
                    bail!("array: must be a JSON array, not {}", type_name(v));
                };
                SettingValue::Array(
                    a.iter()
                        .enumerate()
                        .map(|(i, x)| strings(x, &format!("array[{i}]")))
                        .collect::<Result<_>>()?,
                )
            }
            Collection::Map => {
                let Value::Object(m) = v else {
                    bail!("map: must be a JSON object, not {}", type_name(v));
                };
                SettingValue::Map(
                    m.iter()
                        .map(|(k, x)| Ok((k.clone(), strings(x, &format!("map.{k}"))?)))
                        .collect::<Result<_>>()?,
                )
            }
        }));
    }
    match obj.get("string") {
        Some(v) => Ok(Some(s.parse_env(&strings(v, "string")?)?)),
        None => Ok(None),
    }
}

/// `PARAM_<ESC(name)>` copies, used only when `ARGOCD_APP_PARAMETERS` is absent (runs by hand).
fn param_env(s: &Setting, env: &Env, json_present: bool) -> Result<Option<(Origin, SettingValue)>> {
    if json_present {
        return Ok(None);
    }
    let base = format!("PARAM_{}", escape_param_name(s.name));
    Ok(match s.collection {
        Collection::String => env.get(&base).map(|v| {
            (
                Origin::ParamEnv(base.clone()),
                SettingValue::String(v.clone()),
            )
        }),
        Collection::Array => {
            let mut items = Vec::new();
            while let Some(v) = env.get(&format!("{base}_{}", items.len())) {
                items.push(v.clone());
            }
            (!items.is_empty()).then(|| {
                (
                    Origin::ParamEnv(format!("{base}_*")),
                    SettingValue::Array(items),
                )
            })
        }
        Collection::Map => {
            // Argo CD escapes map keys too (`member-1` -> `MEMBER_1`); cluster names are lowercase
            // DNS names, so lowercasing restores all but `-`/`.`, which ARGOCD_APP_PARAMETERS keeps.
            let prefix = format!("{base}_");
            let map: BTreeMap<String, String> = env
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_lowercase(), v.clone())))
                .collect();
            (!map.is_empty()).then(|| {
                (
                    Origin::ParamEnv(format!("{base}_*")),
                    SettingValue::Map(map),
                )
            })
        }
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::karmada::Param;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn precedence_parameter_then_argocd_env_then_plain_env() {
        let p = params(&env(&[
            ("KARMADA_CLUSTERS", "x"),
            ("ARGOCD_ENV_KARMADA_CLUSTERS", "y,z"),
            ("KARMADA_REPLICAS_MODE", "Divided"),
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"weights","map":{"member-1":"2"}},{"name":"exclude-clusters","array":[]}]"#,
            ),
            ("PARAM_WEIGHTS_MEMBER_1", "9"),
        ]))
        .unwrap();
        assert_eq!(
            p.clusters,
            Some(Param::new(
                vec!["y".into(), "z".into()],
                Origin::ArgocdEnv("ARGOCD_ENV_KARMADA_CLUSTERS".into())
            ))
        );
        assert_eq!(
            p.replicas_mode,
            Some(Param::new(
                "Divided".into(),
                Origin::Env("KARMADA_REPLICAS_MODE".into())
            ))
        );
        assert_eq!(
            p.weights,
            Some(Param::new(
                BTreeMap::from([("member-1".into(), "2".into())]),
                Origin::AppParameters
            ))
        );
        assert_eq!(
            p.exclude_clusters,
            Some(Param::new(vec![], Origin::AppParameters))
        );
    }

    #[test]
    fn null_parameters_and_param_env_fallback() {
        let p = params(&env(&[
            ("ARGOCD_APP_PARAMETERS", "null"),
            ("PARAM_CLUSTERS_0", "a"),
            ("PARAM_CLUSTERS_1", "b"),
            ("PARAM_REPLICAS_MODE", "Duplicated"),
            ("PARAM_WEIGHTS_A", "3"),
        ]))
        .unwrap();
        let from = |v: &str| Origin::ParamEnv(v.into());
        assert_eq!(
            p.clusters,
            Some(Param::new(
                vec!["a".into(), "b".into()],
                from("PARAM_CLUSTERS_*")
            ))
        );
        assert_eq!(
            p.replicas_mode,
            Some(Param::new("Duplicated".into(), from("PARAM_REPLICAS_MODE")))
        );
        assert_eq!(
            p.weights,
            Some(Param::new(
                BTreeMap::from([("a".into(), "3".into())]),
                from("PARAM_WEIGHTS_*")
            ))
        );
    }

    #[test]
    fn errors_name_the_parameter() {
        let err = |pairs: &[(&str, &str)]| format!("{:#}", params(&env(pairs)).unwrap_err());
        assert_eq!(
            err(&[("ARGOCD_APP_PARAMETERS", r#"[{"name":"clusters","map":{}}]"#)]),
            "ARGOCD_APP_PARAMETERS: clusters: collectionType is array: set `array`, not `map`"
        );
        assert!(
            err(&[("ARGOCD_APP_PARAMETERS", "[{")])
                .starts_with("ARGOCD_APP_PARAMETERS: invalid JSON")
        );
        assert_eq!(
            err(&[(
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"cluster","array":[]}]"#
            )]),
            "ARGOCD_APP_PARAMETERS: cluster: unknown parameter (did you mean \"clusters\"?)"
        );
        assert_eq!(
            err(&[("ARGOCD_ENV_KARMADA_WEIGHTS", "a=x")]),
            "ARGOCD_ENV_KARMADA_WEIGHTS: weights: a: \"x\" is not a positive integer"
        );
    }
}
