//! Sources: plain directories, kustomize, helm.
//!
//! Auto-detection (when `karmada.yaml` has no `source:`): a kustomization file means kustomize, a
//! `Chart.yaml` means helm, anything else is a directory of manifests.

pub mod directory;
pub mod helm;
pub mod spec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use super::AppContext;
use crate::exec::Command;
use crate::karmada::Overlay;
pub use spec::SourceSpec;

/// Time limit for one external renderer run.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(45);
/// Most objects one app may render (a guard against runaway generators).
pub const MAX_OBJECTS: usize = 50_000;

/// Renders the app's base objects in input order.
pub fn render(ctx: &AppContext, spec: Option<&Value>) -> Result<Objects> {
    let spec = match spec::parse(&ctx.display("karmada.yaml"), spec)? {
        Some(s) => s,
        None => detect(&ctx.app_dir),
    };
    let root = RepoRoot::find(&ctx.app_dir)?;
    let mut out = Objects::default();
    match &spec {
        SourceSpec::Directory(opts) => directory::render(ctx, opts, &root, &mut out)?,
        SourceSpec::Kustomize => {
            root.check_tree(ctx)?;
            out.push_docs(
                kustomize_build(ctx, &ctx.app_dir)?,
                &ctx.display("kustomization.yaml"),
            )?;
        }
        SourceSpec::Helm(opts) => {
            root.check_tree(ctx)?;
            let text = helm::render(ctx, opts, &root)?;
            let origin = format!("{} (helm template output)", ctx.display("Chart.yaml"));
            out.push_docs(crate::yaml::parse_stream(&text, &origin)?, &origin)?;
        }
    }
    Ok(out)
}

/// The source an app directory holds when `karmada.yaml` does not say.
pub fn detect(dir: &Path) -> SourceSpec {
    if ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        SourceSpec::Kustomize
    } else if dir.join("Chart.yaml").is_file() {
        SourceSpec::Helm(spec::HelmOpts::default())
    } else {
        SourceSpec::Directory(spec::DirectoryOpts::default())
    }
}

/// Rendered objects, checked as they arrive. Duplicates are found later, by policy building,
/// which knows every object's scope.
#[derive(Debug, Default)]
pub struct Objects {
    pub objects: Vec<Value>,
    /// Where each object came from (`a.yaml: document 1`), for messages.
    pub origins: Vec<String>,
}

impl Objects {
    /// Adds the documents of one file (or tool output): `List`s (any top-level `items` array, as
    /// Argo CD does) are flattened; every object needs `apiVersion`, `kind` and `metadata.name`.
    pub fn push_docs(&mut self, docs: Vec<Value>, origin: &str) -> Result<()> {
        for (i, doc) in docs.into_iter().enumerate() {
            let at = format!("{origin}: document {}", i + 1);
            match doc.get("items") {
                Some(Value::Array(_)) | Some(Value::Null) if doc.is_object() => {
                    let Value::Object(mut map) = doc else {
                        unreachable!()
                    };
                    if let Some(Value::Array(items)) = map.remove("items") {
                        for (j, item) in items.into_iter().enumerate() {
                            self.push_one(item, &format!("{at}: items[{j}]"))?;
                        }
                    }
                }
                _ => self.push_one(doc, &at)?,
            }
        }
        Ok(())
    }

    fn push_one(&mut self, obj: Value, at: &str) -> Result<()> {
        check_object(&obj).with_context(|| at.to_string())?;
        if self.objects.len() >= MAX_OBJECTS {
            bail!("{at}: more than {MAX_OBJECTS} objects; split the app");
        }
        self.objects.push(obj);
        self.origins.push(at.to_string());
        Ok(())
    }
}

/// The minimum Argo CD and Karmada need from an object.
pub fn check_object(obj: &Value) -> Result<()> {
    let Value::Object(map) = obj else {
        bail!(
            "expected a Kubernetes object (a mapping), found {}",
            spec::describe(obj)
        );
    };
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(s))
                if key == "apiVersion" && crate::kube::api_group(s).is_none() =>
            {
                bail!(
                    "apiVersion: \"{s}\" is not a valid apiVersion (`group/version` or `version`)"
                )
            }
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            None | Some(Value::Null) => bail!("{key}: missing"),
            Some(other) => bail!(
                "{key}: expected a non-empty string, found {}",
                spec::describe(other)
            ),
        }
    }
    let Some(Value::Object(meta)) = map.get("metadata") else {
        bail!("metadata.name: missing");
    };
    let name = match meta.get("name") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) if meta.contains_key("generateName") => bail!(
            "metadata.name: missing (generateName is not supported: Karmada policies select objects by name)"
        ),
        None | Some(Value::Null) => bail!("metadata.name: missing"),
        Some(other) => bail!(
            "metadata.name: expected a string, found {}",
            spec::describe(other)
        ),
    };
    if let Some(why) = invalid_name(name) {
        bail!("metadata.name: \"{name}\" is not a valid object name: {why}");
    }
    match meta.get("namespace") {
        None | Some(Value::Null) => {}
        Some(Value::String(ns)) if crate::kube::is_dns1123_label(ns) => {}
        Some(Value::String(ns)) => bail!(
            "metadata.namespace: \"{ns}\" is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
        ),
        Some(other) => bail!(
            "metadata.namespace: expected a string, found {}",
            spec::describe(other)
        ),
    }
    Ok(())
}

/// Why `name` can never be a Kubernetes object name (the rule every kind shares: a path
/// segment of at most 253 characters, without whitespace).
fn invalid_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty")
    } else if name.len() > 253 {
        Some("longer than 253 characters")
    } else if name == "." || name == ".." {
        Some("not allowed")
    } else if name.contains(['/', '%']) {
        Some("'/' and '%' are not allowed")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("whitespace is not allowed")
    } else {
        None
    }
}

/// The repository root: the nearest ancestor of the app directory holding `.git`; else, under
/// Argo CD (which may leave `.git` out of the tarball), the app directory minus
/// `ARGOCD_APP_SOURCE_PATH`; else the app directory itself. Nothing we read may resolve outside it.
#[derive(Debug, Clone)]
pub struct RepoRoot(PathBuf);

impl RepoRoot {
    pub fn find(app_dir: &Path) -> Result<RepoRoot> {
        let source_path = std::env::var("ARGOCD_APP_SOURCE_PATH").ok();
        RepoRoot::find_with(app_dir, source_path.as_deref())
    }

    pub fn find_with(app_dir: &Path, source_path: Option<&str>) -> Result<RepoRoot> {
        let app = std::fs::canonicalize(app_dir)
            .with_context(|| format!("{}: cannot open", app_dir.display()))?;
        if let Some(root) = app.ancestors().find(|d| d.join(".git").exists()) {
            return Ok(RepoRoot(root.to_path_buf()));
        }
        let rel = Path::new(source_path.unwrap_or("").trim_matches('/'));
        let plain = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let depth = rel.components().count();
        if plain
            && depth > 0
            && app.ends_with(rel)
            && let Some(root) = app.ancestors().nth(depth)
        {
            return Ok(RepoRoot(root.to_path_buf()));
        }
        Ok(RepoRoot(app))
    }

    /// `path` (canonical) is inside the repository.
    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.0)
    }

    /// The canonical target of a symlink, refusing one that leaves the repository.
    pub fn resolve_symlink(&self, link: &Path, shown: &str) -> Result<PathBuf> {
        let target = std::fs::canonicalize(link)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{shown}: broken symlink"))?;
        if !self.contains(&target) {
            bail!("{shown}: symlink points outside the repository; refusing to follow it");
        }
        Ok(target)
    }

    /// Refuses out-of-repository symlinks anywhere under the app directory (before handing it to
    /// kustomize or helm, which would follow them).
    pub fn check_tree(&self, ctx: &AppContext) -> Result<()> {
        let mut stack = vec![(ctx.app_dir.clone(), String::new())];
        let mut seen = 0usize;
        while let Some((dir, rel)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                seen += 1;
                if seen > directory::MAX_ENTRIES {
                    return Ok(());
                }
                let name = e.file_name().to_string_lossy().into_owned();
                if name == ".git" {
                    continue;
                }
                let child_rel = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_symlink() {
                    // Dangling links are the tool's business; escaping ones are ours.
                    if let Ok(target) = std::fs::canonicalize(e.path())
                        && !self.contains(&target)
                    {
                        bail!(
                            "{}: symlink points outside the repository; refusing to render",
                            ctx.display(&child_rel)
                        );
                    }
                } else if ft.is_dir() {
                    stack.push((e.path(), child_rel));
                }
            }
        }
        Ok(())
    }
}

/// `kustomize build DIR`, falling back to `kubectl kustomize DIR` when kustomize is not installed.
/// Renders a per-cluster overlay (`overrides[].kustomize`): a directory relative to the app
/// directory that, after following symlinks, lies inside the repository (overlays shared between
/// apps are common in GitOps repos).
pub fn overlay(ctx: &AppContext, dir: &str) -> Result<Overlay> {
    if Path::new(dir).is_absolute() {
        bail!("\"{dir}\" must be a path relative to the app directory");
    }
    let full = ctx.app_dir.join(dir);
    let root = RepoRoot::find(&ctx.app_dir)?;
    let inside = full
        .canonicalize()
        .is_ok_and(|f| root.contains(&f) && f.is_dir());
    if !inside {
        bail!("\"{dir}\" is not a directory inside the repository");
    }
    Ok(Overlay {
        objects: kustomize_build(ctx, &full)?,
        origin: format!("{} (overlay)", ctx.display(dir)),
    })
}

pub fn kustomize_build(ctx: &AppContext, dir: &Path) -> Result<Vec<Value>> {
    let shown = dir
        .strip_prefix(&ctx.app_dir)
        .map(|p| match p.to_string_lossy() {
            p if !p.is_empty() => ctx.display(&p),
            _ if ctx.display_dir.is_empty() => ".".to_string(),
            _ => ctx.display_dir.trim_end_matches('/').to_string(),
        })
        .unwrap_or_else(|_| dir.display().to_string());
    let inside = std::fs::canonicalize(dir)
        .ok()
        .zip(RepoRoot::find(&ctx.app_dir).ok())
        .is_some_and(|(dir, root)| root.contains(&dir));
    if !inside {
        bail!("{shown}: not a directory inside the repository");
    }
    let candidates = [
        Command::new("kustomize").arg("build").arg(dir),
        Command::new("kubectl").arg("kustomize").arg(dir),
    ];
    for cmd in candidates {
        let cmd = cmd.cwd(&ctx.app_dir).timeout(TOOL_TIMEOUT);
        let out = match cmd.run() {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("{shown}: cannot run `{}`", cmd.display()));
            }
        };
        let tool = if cmd.program == "kustomize" {
            "kustomize build"
        } else {
            "kubectl kustomize"
        };
        if out.timed_out {
            bail!("{shown}: `{tool}` timed out after {:?}", TOOL_TIMEOUT);
        }
        if !out.success() {
            bail!(
                "{shown}: `{tool}` failed (exit {}): {}",
                out.code(),
                helm::one_line(&strip_klog(&out.stderr_text()))
            );
        }
        let text = String::from_utf8(out.stdout)
            .map_err(|_| anyhow!("{shown}: `{tool}` printed invalid UTF-8"))?;
        return crate::yaml::parse_stream(&text, &format!("{shown} ({tool} output)"));
    }
    bail!(
        "{shown}: kustomize is not installed (neither `kustomize` nor `kubectl` is on PATH); install one in the plugin's sidecar image"
    )
}

/// kubectl logs through klog (`E1125 19:35:36.567366   15619 run.go:72] msg`); keep the message.
fn strip_klog(text: &str) -> String {
    text.lines()
        .map(|line| {
            let b = line.as_bytes();
            let klog = b.len() > 22
                && matches!(b[0], b'E' | b'W' | b'I' | b'F')
                && b[1..5].iter().all(u8::is_ascii_digit)
                && b[5] == b' ';
            match line.find("] ") {
                Some(i) if klog => &line[i + 2..],
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_lists_and_checks_objects() {
        let mut out = Objects::default();
        out.push_docs(
            vec![
                json!({"apiVersion": "v1", "kind": "List", "items": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
                ]}),
                json!({"apiVersion": "v1", "kind": "ConfigMapList", "items": null}),
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}),
            ],
            "f.yaml",
        )
        .unwrap();
        assert_eq!(out.objects.len(), 2);
        assert_eq!(out.objects[0]["metadata"]["name"], "a");

        let err = |doc: Value| {
            let mut out = Objects::default();
            format!("{:#}", out.push_docs(vec![doc], "f.yaml").unwrap_err())
        };
        assert_eq!(
            err(json!({"apiVersion": "v1", "metadata": {"name": "a"}})),
            "f.yaml: document 1: kind: missing"
        );
        assert_eq!(
            err(
                json!({"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "X"}]})
            ),
            "f.yaml: document 1: items[0]: metadata.name: missing"
        );
        assert_eq!(
            err(json!(["a"])),
            "f.yaml: document 1: expected a Kubernetes object (a mapping), found a list"
        );
        assert!(
            err(json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a b"}}))
                .contains("whitespace")
        );
        assert_eq!(
            err(json!({"apiVersion": "a/b/c", "kind": "X", "metadata": {"name": "a"}})),
            "f.yaml: document 1: apiVersion: \"a/b/c\" is not a valid apiVersion (`group/version` or `version`)"
        );
        assert!(
            err(json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a", "namespace": "Prod"}}))
                .contains("metadata.namespace")
        );
    }

    #[test]
    fn caps_the_object_count() {
        let mut out = Objects::default();
        let docs: Vec<Value> = (0..=MAX_OBJECTS)
            .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}")}}))
            .collect();
        let err = format!("{:#}", out.push_docs(docs, "many.yaml").unwrap_err());
        assert_eq!(
            err,
            format!(
                "many.yaml: document {}: more than {MAX_OBJECTS} objects; split the app",
                MAX_OBJECTS + 1
            )
        );
    }

    #[test]
    fn strips_klog_headers() {
        assert_eq!(
            strip_klog(
                "E1125 19:35:36.567366   15619 run.go:72] \"command failed\" err=\"x\"\nplain"
            ),
            "\"command failed\" err=\"x\"\nplain"
        );
    }

    #[test]
    fn repo_root_from_git_or_argo_source_path() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let app = base.join("apps/web");
        std::fs::create_dir_all(&app).unwrap();
        let root = |sp| RepoRoot::find_with(&app, sp).unwrap().0;
        assert_eq!(root(None), app);
        assert_eq!(root(Some("apps/web")), base);
        assert_eq!(root(Some("/apps/web/")), base);
        assert_eq!(root(Some("other/web")), app);
        assert_eq!(root(Some("../web")), app);
        std::fs::create_dir_all(base.join("apps/.git")).unwrap();
        assert_eq!(root(Some("apps/web")), base.join("apps"));
    }

    #[test]
    fn detects_sources() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(detect(dir.path()), SourceSpec::Directory(_)));
        std::fs::write(dir.path().join("Chart.yaml"), "name: x").unwrap();
        assert!(matches!(detect(dir.path()), SourceSpec::Helm(_)));
        std::fs::write(dir.path().join("kustomization.yaml"), "").unwrap();
        assert_eq!(detect(dir.path()), SourceSpec::Kustomize);
    }
}
