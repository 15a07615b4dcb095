//! Rendering an app for Argo CD: sources -> base objects -> Karmada policies -> one YAML stream.

pub mod cli;
pub mod contract;
pub mod settings;
pub mod source;

use std::path::PathBuf;

use anyhow::Result;

use crate::karmada::{self, Params, placement::Placement};

/// Everything `generate` knows about the app it renders.
#[derive(Debug, Clone)]
pub struct AppContext {
    /// `ARGOCD_APP_NAME`, or the app directory's name.
    pub app_name: String,
    /// The destination namespace (`ARGOCD_APP_NAMESPACE`), given to namespaced objects without one.
    pub namespace: String,
    /// The app directory (absolute).
    pub app_dir: PathBuf,
    /// How the app directory is named in messages (as the user gave it, e.g. `examples/guestbook`).
    pub display_dir: String,
    /// Effective plugin parameters (parameter > `ARGOCD_ENV_X` > `X`).
    pub params: Params,
    /// `KUBE_VERSION`, e.g. `1.29.3`.
    pub kube_version: Option<String>,
    /// `KUBE_API_VERSIONS`, split on commas.
    pub api_versions: Vec<String>,
}

impl AppContext {
    /// The display path of a file in the app directory, e.g. `examples/guestbook/karmada.yaml`.
    pub fn display(&self, rel: &str) -> String {
        if self.display_dir.is_empty() || self.display_dir == "." {
            rel.to_string()
        } else {
            format!("{}/{}", self.display_dir.trim_end_matches('/'), rel)
        }
    }

    /// What Karmada's side needs to know about the app.
    pub fn inputs(&self) -> karmada::Inputs<'_> {
        karmada::Inputs {
            app_name: &self.app_name,
            namespace: &self.namespace,
            origins: &[],
        }
    }

    /// Reads the app's `karmada.yaml` and applies the plugin parameters.
    pub fn placement(&self) -> Result<Placement> {
        Placement::load(
            &self.app_dir.join("karmada.yaml"),
            &self.display("karmada.yaml"),
            &self.params,
        )
    }
}

/// Renders the app and its policies as the YAML stream Argo CD reads.
pub fn generate(ctx: &AppContext) -> Result<String> {
    Ok(generate_with_documents(ctx)?.0)
}

/// [`generate`], handing back the documents too: a caller about to exit can skip freeing them.
pub fn generate_with_documents(ctx: &AppContext) -> Result<(String, Vec<serde_json::Value>)> {
    let docs = documents(ctx)?;
    // The warnings pass and writing YAML only read the documents: run them side by side.
    let (warnings, stream) = std::thread::scope(|s| {
        let warnings = s.spawn(|| karmada::pipeline::generate_warnings(&docs));
        let stream = crate::yaml::to_stream(&docs);
        let warnings = warnings
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (warnings, stream)
    });
    // Argo CD logs a plugin's stderr; `preview` shows the same findings per cluster.
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok((stream?, docs))
}

/// The documents `generate` prints: the app's objects, then its policies.
pub fn documents(ctx: &AppContext) -> Result<Vec<serde_json::Value>> {
    let placement = ctx.placement()?;
    let source::Objects {
        mut objects,
        origins,
    } = source::render(ctx, placement.source.as_ref())?;
    let app = karmada::Inputs {
        origins: &origins,
        ..ctx.inputs()
    };
    let policies = karmada::policy::build(app, &placement, &mut objects, &|dir| {
        source::overlay(ctx, dir)
    })?;
    objects.extend(policies);
    Ok(objects)
}

/// The `parameters` output: ParameterAnnouncements (JSON array) with the effective values.
pub fn parameters(ctx: &AppContext) -> Result<String> {
    // The UI may ask before the file exists; announce the parameters with what was given.
    let placement = if ctx.app_dir.join("karmada.yaml").exists() {
        Some(ctx.placement()?)
    } else {
        None
    };
    let mut out =
        serde_json::to_string_pretty(&settings::announcements(&ctx.params, placement.as_ref()))?;
    out.push('\n');
    Ok(out)
}
