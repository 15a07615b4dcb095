//! The parts of an Argo CD Application that reach a plugin: source (path, repo, revision,
//! plugin section), destination namespace, and the instance name.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginParameter {
    pub name: String,
    pub string: Option<String>,
    pub map: Option<BTreeMap<String, String>>,
    pub array: Option<Vec<String>>,
}

/// `spec.source.plugin`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginSource {
    pub name: String,
    pub env: Vec<(String, String)>,
    pub parameters: Vec<PluginParameter>,
}

#[derive(Debug, Clone, Default)]
pub struct Application {
    pub name: String,
    pub namespace: String,
    pub project: String,
    pub repo_url: String,
    pub path: String,
    pub target_revision: String,
    pub dest_namespace: String,
    pub plugin: Option<PluginSource>,
    /// The raw `spec.source`, for `.argocd-source*.yaml` overrides.
    pub source: Map<String, Value>,
}

impl Application {
    /// `Application.InstanceName`: `<ns>_<name>` outside the controller's namespace.
    pub fn instance_name(&self, controller_namespace: &str) -> String {
        if self.namespace.is_empty() || self.namespace == controller_namespace {
            self.name.clone()
        } else {
            format!("{}_{}", self.namespace, self.name)
        }
    }

    pub fn read(path: &Path) -> Result<Application> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let origin = path.display().to_string();
        let doc = crate::yaml::parse_one(&text, &origin)?;
        Self::from_value(&doc).with_context(|| origin)
    }

    pub fn from_value(doc: &Value) -> Result<Application> {
        let Some(root) = doc.as_object() else {
            bail!("expected an Application object");
        };
        let kind = root.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != "Application" {
            bail!("kind: expected Application, found {kind:?}");
        }
        let meta = obj(root, "metadata", "metadata")?
            .cloned()
            .unwrap_or_default();
        let spec = obj(root, "spec", "spec")?.cloned().unwrap_or_default();
        let name = string(&meta, "name", "metadata.name")?;
        if name.is_empty() {
            bail!("metadata.name: required");
        }
        let source = match obj(&spec, "source", "spec.source")? {
            Some(s) => s.clone(),
            None if spec.contains_key("sources") => {
                bail!("spec.sources: multi-source Applications are not supported; use spec.source")
            }
            None => bail!("spec.source: required"),
        };
        let dest = obj(&spec, "destination", "spec.destination")?
            .cloned()
            .unwrap_or_default();
        let mut app = Application {
            name,
            namespace: string(&meta, "namespace", "metadata.namespace")?,
            project: string(&spec, "project", "spec.project")?,
            dest_namespace: string(&dest, "namespace", "spec.destination.namespace")?,
            ..Default::default()
        };
        if app.project.is_empty() {
            app.project = "default".into();
        }
        app.set_source(source)?;
        Ok(app)
    }

    /// Sets everything that comes from `spec.source`.
    pub fn set_source(&mut self, source: Map<String, Value>) -> Result<()> {
        self.repo_url = string(&source, "repoURL", "spec.source.repoURL")?;
        self.path = string(&source, "path", "spec.source.path")?;
        self.target_revision = string(&source, "targetRevision", "spec.source.targetRevision")?;
        let others: Vec<&str> = [
            ("kustomize", "Kustomize"),
            ("helm", "Helm"),
            ("directory", "Directory"),
        ]
        .into_iter()
        .filter(|(k, _)| source.get(*k).is_some_and(|v| !v.is_null()))
        .map(|(_, t)| t)
        .collect();
        self.plugin = match source.get("plugin") {
            None | Some(Value::Null) => None,
            Some(v) => Some(plugin(v)?),
        };
        if self.plugin.is_some() && !others.is_empty() {
            // ApplicationSource.ExplicitType, same words.
            let mut types = others.clone();
            types.push("Plugin");
            bail!("multiple application sources defined: {}", types.join(","));
        }
        if self.plugin.is_none() && !others.is_empty() {
            bail!(
                "spec.source: this Application is of type {} (spec.source.{}), so Argo CD never sends it to a plugin",
                others[0],
                others[0].to_lowercase()
            );
        }
        self.source = source;
        Ok(())
    }
}

fn obj<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => bail!("{path}: expected an object"),
    }
}

fn string(m: &Map<String, Value>, key: &str, path: &str) -> Result<String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => bail!("{path}: expected a string"),
    }
}

fn plugin(v: &Value) -> Result<PluginSource> {
    const P: &str = "spec.source.plugin";
    let Some(m) = v.as_object() else {
        bail!("{P}: expected an object");
    };
    let mut p = PluginSource {
        name: string(m, "name", &format!("{P}.name"))?,
        ..Default::default()
    };
    if let Some(env) = m.get("env").filter(|v| !v.is_null()) {
        let Some(items) = env.as_array() else {
            bail!("{P}.env: expected a list of {{name, value}}");
        };
        for (i, e) in items.iter().enumerate() {
            let path = format!("{P}.env[{i}]");
            let Some(e) = e.as_object() else {
                bail!("{path}: expected {{name, value}}");
            };
            let name = string(e, "name", &format!("{path}.name"))?;
            if name.is_empty() {
                bail!("{path}.name: required");
            }
            p.env
                .push((name, string(e, "value", &format!("{path}.value"))?));
        }
    }
    if let Some(params) = m.get("parameters").filter(|v| !v.is_null()) {
        let Some(items) = params.as_array() else {
            bail!("{P}.parameters: expected a list");
        };
        for (i, e) in items.iter().enumerate() {
            let path = format!("{P}.parameters[{i}]");
            let Some(e) = e.as_object() else {
                bail!("{path}: expected an object with name and string, array or map");
            };
            let mut param = PluginParameter {
                name: string(e, "name", &format!("{path}.name"))?,
                ..Default::default()
            };
            match e.get("string") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => param.string = Some(s.clone()),
                Some(_) => bail!("{path}.string: expected a string"),
            }
            match e.get("array") {
                None | Some(Value::Null) => {}
                Some(Value::Array(a)) => {
                    let mut out = Vec::new();
                    for (j, s) in a.iter().enumerate() {
                        match s {
                            Value::String(s) => out.push(s.clone()),
                            _ => bail!("{path}.array[{j}]: expected a string"),
                        }
                    }
                    param.array = Some(out);
                }
                Some(_) => bail!("{path}.array: expected a list of strings"),
            }
            match e.get("map") {
                None | Some(Value::Null) => {}
                Some(Value::Object(o)) => {
                    let mut out = BTreeMap::new();
                    for (k, s) in o {
                        match s {
                            Value::String(s) => {
                                out.insert(k.clone(), s.clone());
                            }
                            _ => bail!("{path}.map.{k}: expected a string"),
                        }
                    }
                    param.map = Some(out);
                }
                Some(_) => bail!("{path}.map: expected a map of strings"),
            }
            p.parameters.push(param);
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_plugin_section() {
        let app = Application::from_value(&json!({
            "kind": "Application",
            "metadata": {"name": "web", "namespace": "team"},
            "spec": {
                "source": {"repoURL": "https://x", "path": "apps/web", "plugin": {
                    "name": "p-v1",
                    "env": [{"name": "A", "value": "$ARGOCD_APP_NAME"}],
                    "parameters": [{"name": "m", "map": {}}, {"name": "a", "array": ["x"]}]
                }},
                "destination": {"namespace": "prod"}
            }
        }))
        .unwrap();
        assert_eq!(app.instance_name("argocd"), "team_web");
        assert_eq!(app.instance_name("team"), "web");
        assert_eq!(app.project, "default");
        let p = app.plugin.unwrap();
        assert_eq!(
            p.env,
            vec![("A".to_string(), "$ARGOCD_APP_NAME".to_string())]
        );
        assert_eq!(p.parameters[0].map, Some(BTreeMap::new()));
    }

    #[test]
    fn rejects_mixed_source_types() {
        let err = Application::from_value(&json!({
            "kind": "Application", "metadata": {"name": "x"},
            "spec": {"source": {"helm": {}, "plugin": {}}}
        }))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "multiple application sources defined: Helm,Plugin"
        );
    }
}
