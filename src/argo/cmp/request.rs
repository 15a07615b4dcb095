//! One request through repo-server and cmp-server: checks, environment, plugin selection,
//! init + generate, output parsing, parameter announcements.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::app::Application;
use super::config::PluginConfig;
use super::env::EnvEntry;
use super::runner::Context;
use super::workdir::Workspace;
use super::{config, discover, env, godecode, manifests, runner, workdir};

/// Where repo-server looks for plugin sockets (`ARGOCD_PLUGINSOCKFILEPATH`'s default).
pub const PLUGIN_SOCKET_DIR: &str = "/home/argocd/cmp-server/plugins";

/// Everything repo-server and cmp-server would know about one request.
pub struct Request {
    pub plugin: PluginConfig,
    pub app: Application,
    /// The repository root (canonical).
    pub repo: PathBuf,
    pub revision: String,
    pub kube_version: String,
    pub api_versions: Vec<String>,
    pub controller_namespace: String,
    pub workdir: PathBuf,
    pub ctx: Context,
}

/// An error as Argo CD shows it, plus an optional hint of ours (printed on its own line).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The outcome of discovery for one app, with the reason in words.
#[derive(Debug)]
pub struct Selection {
    pub explanation: Vec<String>,
}

impl Request {
    pub fn app_name(&self) -> String {
        self.app.instance_name(&self.controller_namespace)
    }

    fn build_env(&self) -> env::BuildEnv {
        env::BuildEnv {
            app_name: self.app_name(),
            app_namespace: self.app.dest_namespace.clone(),
            project: self.app.project.clone(),
            revision: self.revision.clone(),
            repo_url: self.app.repo_url.clone(),
            source_path: self.app.path.clone(),
            target_revision: self.app.target_revision.clone(),
        }
    }

    /// The env generate (and sidecar selection) sees: `getPluginEnvs`.
    pub fn generate_env(&self) -> Result<Vec<EnvEntry>, Failure> {
        let base = env::with_kube(
            self.build_env().entries(),
            &self.kube_version,
            &self.api_versions,
        )
        .map_err(|e| Failure::new(format!("{e:#}")))?;
        Ok(env::with_plugin(base, self.app.plugin.as_ref()))
    }

    /// The env of the UI's app-details call (parameters tab).
    pub fn app_details_env(&self) -> Vec<EnvEntry> {
        env::with_plugin(
            self.build_env().app_details_entries(),
            self.app.plugin.as_ref(),
        )
    }

    /// repo-server's checks before any plugin runs: symlinks, app path, `.argocd-source*.yaml`.
    pub fn prepare(&mut self) -> Result<(), Failure> {
        workdir::check_out_of_bounds_symlinks(&self.repo)
            .map_err(|e| Failure::new(format!("{e:#}")))?;
        let app_dir = workdir::app_path(&self.repo, &self.app.path)
            .map_err(|e| Failure::new(format!("{e:#}")))?;
        let merged = self.merge_source_overrides(&app_dir).map_err(|e| {
            Failure::new(format!(
                "error getting app source type: error while parsing source parameters: {e:#}"
            ))
        })?;
        match merged {
            None => Ok(()),
            // ExplicitType's errors are not wrapped in "error while parsing source parameters".
            Some(source) => self
                .app
                .set_source(source)
                .map_err(|e| Failure::new(format!("error getting app source type: {e:#}"))),
        }
    }

    /// `mergeSourceParameters`: `.argocd-source.yaml`, then `.argocd-source-<app>.yaml`, merged
    /// into `spec.source` as JSON merge patches (path, repoURL and targetRevision stay).
    fn merge_source_overrides(
        &self,
        app_dir: &Path,
    ) -> anyhow::Result<Option<serde_json::Map<String, Value>>> {
        let mut files = vec![app_dir.join(".argocd-source.yaml")];
        let name = self.app_name();
        if !name.is_empty() {
            files.push(app_dir.join(format!(".argocd-source-{name}.yaml")));
        }
        let mut merged = Value::Object(self.app.source.clone());
        let mut changed = false;
        for f in files {
            if !f.is_file() {
                continue;
            }
            let shown = f.display().to_string();
            let text = std::fs::read_to_string(&f).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
            let patch = crate::yaml::parse_one(&text, &shown)?;
            json_patch::merge(&mut merged, &patch);
            changed = true;
        }
        if !changed {
            return Ok(None);
        }
        let Value::Object(mut source) = merged else {
            anyhow::bail!("merged source is not an object");
        };
        for key in ["path", "repoURL", "targetRevision", "chart"] {
            match self.app.source.get(key) {
                Some(v) => source.insert(key.into(), v.clone()),
                None => source.remove(key),
            };
        }
        Ok(Some(source))
    }

    fn workspace(&self) -> Result<(Workspace, PathBuf), Failure> {
        let ws = Workspace::create(&self.repo, &self.workdir, self.plugin.preserve_file_mode)
            .map_err(|e| Failure::new(format!("{e:#}")))?;
        let app_dir = workdir::lexical_join(ws.root(), &self.app.path);
        Ok((ws, app_dir))
    }

    fn socket(&self) -> String {
        format!("{}.sock", self.plugin.identity())
    }

    /// `DetectConfigManagementPlugin` restricted to this one plugin, with Argo CD's errors.
    pub fn select(&self, env: &[EnvEntry]) -> Result<Selection, Failure> {
        let identity = self.plugin.identity();
        let named = self
            .app
            .plugin
            .as_ref()
            .map(|p| p.name.as_str())
            .filter(|n| !n.is_empty());
        let (not_found, why) = match named {
            Some(name) => {
                let not_found = format!(
                    "could not find cmp-server plugin with name {name:?} supporting the given repository"
                );
                if name != identity {
                    // repo-server dials `<name>.sock` in the plugins directory; nothing listens there.
                    return Err(Failure::new(format!(
                        "{not_found}: error dialing to cmp-server for plugin {name}.sock: error dial proxy: dial unix {PLUGIN_SOCKET_DIR}/{name}.sock: connect: no such file or directory"
                    ))
                    .hint(format!(
                        "this plugin.yaml serves the socket {identity}.sock; spec.source.plugin.name must be {identity:?} (metadata.name-spec.version)"
                    )));
                }
                let why = format!("spec.source.plugin.name is {name:?}, this plugin's name");
                (not_found, why)
            }
            None => {
                let not_found = "could not find plugin supporting the given repository".to_string();
                if self.plugin.discover.rule().is_none() {
                    return Err(Failure::new(not_found).hint(format!(
                        "plugin {identity:?} has no spec.discover, so only Applications naming it in spec.source.plugin.name use it"
                    )));
                }
                let why = "spec.source.plugin.name is empty: Argo CD probes every plugin's discovery in socket-name order; the first match wins".to_string();
                (not_found, why)
            }
        };
        let (ws, app_dir) = self.workspace()?;
        match discover::matches(&self.plugin.discover, ws.root(), &app_dir, &self.ctx, env) {
            // Only a named plugin gets here without discovery: naming it is enough.
            None => Ok(Selection {
                explanation: vec![
                    why,
                    "the plugin has no discovery rule, so naming it is enough".into(),
                ],
            }),
            Some(Err(e)) => {
                let f = Failure::new(format!(
                    "{not_found}: error checking repository support for plugin {}: error receiving stream response: rpc error: code = Unknown desc = match repository error: {}",
                    self.socket(),
                    e.message()
                ));
                Err(match e {
                    discover::DiscoverError::Command(c) if c.timed_out => f.hint(TIMEOUT_HINT),
                    _ => f,
                })
            }
            Some(Ok(m)) if m.supported => Ok(Selection {
                explanation: vec![why, describe_rule(&self.plugin, &m)],
            }),
            Some(Ok(m)) => {
                let also = if named.is_some() {
                    "; a plugin with discovery must match even when the Application names it"
                } else {
                    ""
                };
                Err(Failure::new(not_found)
                    .hint(format!("{}{also}", describe_rule(&self.plugin, &m))))
            }
        }
    }

    /// For an Application without `spec.source.plugin`: would Argo CD pick this plugin at all?
    /// (Type detection runs discovery with the build env only and ignores errors.)
    pub fn auto_detect(&self) -> Result<Selection, Failure> {
        let identity = self.plugin.identity();
        let env = self.build_env().entries();
        let reason = match self.plugin.discover.rule() {
            None => format!("plugin {identity:?} has no spec.discover"),
            Some(_) => {
                let (ws, app_dir) = self.workspace()?;
                match discover::matches(&self.plugin.discover, ws.root(), &app_dir, &self.ctx, &env)
                {
                    Some(Ok(m)) if m.supported => {
                        return Ok(Selection {
                            explanation: vec![
                                "the Application has no spec.source.plugin: type detection ran discovery before Helm/Kustomize/Directory".into(),
                                describe_rule(&self.plugin, &m),
                            ],
                        });
                    }
                    Some(Ok(m)) => describe_rule(&self.plugin, &m),
                    Some(Err(e)) => format!(
                        "discovery failed ({}), which Argo CD treats as no match",
                        e.message()
                    ),
                    None => format!("plugin {identity:?} has no spec.discover"),
                }
            }
        };
        Err(Failure::new(format!(
            "Argo CD would not use plugin {identity:?} for application {:?}: it has no spec.source.plugin and {reason}; it would render {:?} as a Helm, Kustomize or Directory app",
            self.app_name(),
            self.app.path
        )))
    }

    /// The whole `GenerateManifests` path for a plugin app.
    pub fn generate(&self) -> Result<(Vec<Value>, Selection), Failure> {
        let cmp_failed = |m: String| {
            format!(
                "CMP processing failed for application {:?}: {m}",
                self.app_name()
            )
        };
        let mut explanation = Vec::new();
        if self.app.plugin.is_none() {
            explanation.extend(self.auto_detect()?.explanation);
        }
        let env = self.generate_env().map_err(|f| Failure {
            message: cmp_failed(f.message),
            ..f
        })?;
        let sel = self.select(&env).map_err(|f| Failure {
            message: cmp_failed(f.message),
            ..f
        })?;
        explanation.extend(sel.explanation);
        let (ws, app_dir) = self.workspace()?;
        let in_cmp = |m: &str| {
            cmp_failed(format!(
                "error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: {m}"
            ))
        };
        let run = |spec: &config::CommandSpec| {
            self.ctx.run(spec, &app_dir, &env).map_err(|f| {
                let fail = Failure::new(in_cmp(&f.message));
                if f.timed_out {
                    fail.hint(TIMEOUT_HINT)
                } else {
                    fail
                }
            })
        };
        if !self.plugin.init.is_empty() {
            run(&self.plugin.init)?;
        }
        let stdout = run(&self.plugin.generate)?;
        drop(ws);
        let objects = manifests::parse(&stdout).map_err(|e| match e {
            manifests::ParseError::Split(m) => Failure::new(in_cmp(&m)),
            manifests::ParseError::Convert(m) => Failure::new(cmp_failed(format!(
                "failed to convert CMP manifests to unstructured objects: {m}"
            ))),
            manifests::ParseError::List(m) => Failure::new(m),
        })?;
        Ok((objects, Selection { explanation }))
    }

    /// `GetParametersAnnouncement`: dynamic output ++ static announcements.
    pub fn parameters(&self) -> Result<Vec<Value>, Failure> {
        let env = self.app_details_env();
        self.select(&env).map_err(|f| Failure {
            message: format!("failed to detect CMP for app: {}", f.message),
            ..f
        })?;
        let wrap = |m: String| {
            format!(
                "failed to get parameter announcement: rpc error: code = Unknown desc = get parameters announcement error: {m}"
            )
        };
        let mut out = Vec::new();
        if !self.plugin.dynamic_parameters.is_empty() {
            let (_ws, app_dir) = self.workspace()?;
            let stdout = self
                .ctx
                .run(&self.plugin.dynamic_parameters, &app_dir, &env)
                .map_err(|f| {
                    Failure::new(wrap(format!(
                        "error executing dynamic parameter output command: {}",
                        f.message
                    )))
                })?;
            out = parse_announcements(&stdout).map_err(|e| {
                Failure::new(wrap(format!(
                    "error unmarshaling dynamic parameter output into ParametersAnnouncementResponse: {e}"
                )))
            })?;
        }
        out.extend(self.plugin.static_parameters.iter().cloned());
        Ok(out)
    }
}

/// Go's `json.Unmarshal` into `[]*ParameterAnnouncement`, with its error words.
pub fn parse_announcements(text: &str) -> Result<Vec<Value>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            "unexpected end of JSON input".to_string()
        } else {
            format!("invalid JSON: {e}")
        }
    })?;
    let mut d = godecode::Decoder::default();
    let items = match &v {
        Value::Array(_) => d.objects(
            Some(&v),
            "",
            "",
            "[]*apiclient.ParameterAnnouncement",
            "apiclient.ParameterAnnouncement",
        ),
        Value::Null => vec![],
        other => {
            let kind = match other {
                Value::Object(_) => "object",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "bool",
            };
            return Err(format!(
                "json: cannot unmarshal {kind} into Go value of type []*apiclient.ParameterAnnouncement"
            ));
        }
    };
    let out: Vec<Value> = items
        .into_iter()
        .map(|m| config::announcement(&mut d, m, ""))
        .collect();
    d.finish()?;
    Ok(out)
}

const TIMEOUT_HINT: &str = "the plugin ran past the deadline (--timeout; in Argo CD controller.repo.server.timeout.seconds, default 60s): it got SIGTERM and, 5s later, SIGKILL";

fn describe_rule(plugin: &PluginConfig, m: &discover::Match) -> String {
    let what = match plugin.discover.rule() {
        Some(config::DiscoveryRule::FileName(p)) => format!("discover.fileName {p:?}"),
        Some(config::DiscoveryRule::Glob(p)) => format!("discover.find.glob {p:?}"),
        Some(config::DiscoveryRule::Command(c)) => {
            format!("discover.find.command `{}`", runner::args_to_log(&c.argv()))
        }
        None => return "no discovery rule".into(),
    };
    let shadowed = shadowed_rules(plugin);
    let shadow = if shadowed.is_empty() {
        String::new()
    } else {
        format!(" (ignored because it comes first: {})", shadowed.join(", "))
    };
    if m.supported {
        let shown: Vec<&str> = m.evidence.iter().take(5).map(String::as_str).collect();
        format!("{what} matched: {}{shadow}", shown.join(", "))
    } else {
        format!("{what} did not match in the app path{shadow}")
    }
}

fn shadowed_rules(plugin: &PluginConfig) -> Vec<&'static str> {
    let d = &plugin.discover;
    let mut out = Vec::new();
    match d.rule() {
        Some(config::DiscoveryRule::FileName(_)) => {
            if !d.glob.is_empty() {
                out.push("find.glob");
            }
            if !d.find.is_empty() {
                out.push("find.command");
            }
        }
        Some(config::DiscoveryRule::Glob(_)) if !d.find.is_empty() => out.push("find.command"),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_parameters_errors_use_go_words() {
        assert_eq!(
            parse_announcements("{\"name\": \"x\"}").unwrap_err(),
            "json: cannot unmarshal object into Go value of type []*apiclient.ParameterAnnouncement"
        );
        assert_eq!(
            parse_announcements("[{\"name\": 1}]").unwrap_err(),
            "json: cannot unmarshal number into Go struct field ParameterAnnouncement.name of type string"
        );
        assert_eq!(
            parse_announcements("").unwrap_err(),
            "unexpected end of JSON input"
        );
        assert_eq!(
            parse_announcements("[{\"name\": \"a\", \"collectionType\": \"map\", \"map\": {\"k\": \"v\"}, \"x\": 1}]").unwrap(),
            vec![serde_json::json!({"name": "a", "collectionType": "map", "map": {"k": "v"}})]
        );
    }
}
