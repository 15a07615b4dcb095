//! `cmp` subcommands: run, parameters, discover.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::app::Application;
use super::config::PluginConfig;
use super::env::{EnvEntry, default_api_versions};
use super::runner::Context;
use super::{Failure, Request, manifests};
use crate::exec;

#[derive(clap::Args, Debug)]
pub struct CmpArgs {
    #[command(subcommand)]
    pub command: CmpCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum CmpCommand {
    /// Discover, init and generate like cmp-server; print the manifests Argo CD would apply.
    Run(Box<RunArgs>),
    /// Print the parameter announcements the Argo CD UI would show (dynamic, then static).
    Parameters(Box<CommonArgs>),
    /// Say whether Argo CD would send this Application to this plugin, and why.
    Discover(Box<CommonArgs>),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print a KIND/NAME/NAMESPACE table instead of the manifests.
    #[arg(long)]
    pub summary: bool,
}

#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// The ConfigManagementPlugin file (what the sidecar mounts as plugin.yaml).
    #[arg(long)]
    pub plugin: PathBuf,
    /// The Application manifest (spec.source.path, spec.source.plugin, spec.destination).
    #[arg(long)]
    pub app: PathBuf,
    /// The repository checkout that spec.source.path is relative to.
    pub repo: PathBuf,
    /// ARGOCD_APP_REVISION; default: `git rev-parse HEAD` when REPO is the top of a checkout.
    #[arg(long)]
    pub revision: Option<String>,
    /// The destination cluster's version (KUBE_VERSION is derived from it as Argo CD does).
    #[arg(long, default_value = "v1.31.0")]
    pub kube_version: String,
    /// KUBE_API_VERSIONS entries (comma-separated, repeatable); default: Kubernetes + Karmada APIs.
    #[arg(long, value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// Argo CD's namespace: Applications elsewhere are named `<namespace>_<name>`.
    #[arg(long, default_value = "argocd")]
    pub controller_namespace: String,
    /// Deadline for the whole request (e.g. `60`, `500ms`, `2s`); then SIGTERM, SIGKILL 5 s later.
    #[arg(long, default_value = "60", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Where the repository copy goes (cmp-server: $ARGOCD_CMP_WORKDIR or /tmp).
    #[arg(long)]
    pub workdir: Option<PathBuf>,
    /// Pass our whole environment to the plugin (default: only PATH and HOME).
    #[arg(long)]
    pub inherit_env: bool,
    /// Extra sidecar environment `NAME=value` (repeatable), as if set on the sidecar container.
    #[arg(long = "sidecar-env", value_name = "NAME=VALUE")]
    pub sidecar_env: Vec<String>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 60, 2s or 500ms)"))?;
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return Err(format!("{s:?}: the deadline must be positive"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

pub fn run(args: CmpArgs) -> Result<ExitCode> {
    match args.command {
        CmpCommand::Run(a) => cmd_run(*a),
        CmpCommand::Parameters(a) => cmd_parameters(*a),
        CmpCommand::Discover(a) => cmd_discover(*a),
    }
}

fn request(a: &CommonArgs) -> Result<Request> {
    let plugin = PluginConfig::read(&a.plugin)?;
    let app = Application::read(&a.app)?;
    let repo = std::fs::canonicalize(&a.repo)
        .with_context(|| format!("{}: repository directory not found", a.repo.display()))?;
    if !repo.is_dir() {
        bail!("{}: not a directory", a.repo.display());
    }
    let revision = match &a.revision {
        Some(r) => r.clone(),
        None => git_revision(&repo),
    };
    let workdir = match &a.workdir {
        Some(w) => w.clone(),
        None => std::env::temp_dir(),
    };
    Ok(Request {
        plugin,
        app,
        repo,
        revision,
        kube_version: a.kube_version.clone(),
        api_versions: if a.api_versions.is_empty() {
            default_api_versions()
        } else {
            a.api_versions.clone()
        },
        controller_namespace: a.controller_namespace.clone(),
        workdir,
        ctx: Context {
            sidecar_env: sidecar_env(a)?,
            deadline: Instant::now() + a.timeout,
            kill_grace: Duration::from_secs(5),
        },
    })
}

/// cmp-server passes its own environment; we start from a small reproducible one.
fn sidecar_env(a: &CommonArgs) -> Result<Vec<EnvEntry>> {
    let mut env: Vec<EnvEntry> = if a.inherit_env {
        std::env::vars().collect()
    } else {
        ["PATH", "HOME"]
            .into_iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect()
    };
    for kv in &a.sidecar_env {
        let Some((k, v)) = kv.split_once('=') else {
            bail!(
                "--sidecar-env {k:?}: expected NAME=value",
                k = kv.split('=').next().unwrap_or("")
            );
        };
        env.push((k.to_string(), v.to_string()));
    }
    Ok(env)
}

/// The checkout's HEAD when `repo` is the top of a git work tree, else empty.
fn git_revision(repo: &Path) -> String {
    let git = |args: &[&str]| -> Option<String> {
        let out = exec::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .timeout(Duration::from_secs(10))
            .run()
            .ok()?;
        out.success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let Some(top) = git(&["rev-parse", "--show-toplevel"]) else {
        return String::new();
    };
    if std::fs::canonicalize(&top).ok().as_deref() != Some(repo) {
        return String::new();
    }
    git(&["rev-parse", "HEAD"]).unwrap_or_default()
}

fn fail(f: Failure) -> Result<ExitCode> {
    eprintln!("error: {}", f.message);
    if let Some(h) = f.hint {
        eprintln!("hint: {h}");
    }
    Ok(ExitCode::from(1))
}

fn cmd_run(a: RunArgs) -> Result<ExitCode> {
    let mut req = request(&a.common)?;
    if let Err(f) = req.prepare() {
        return fail(f);
    }
    match req.generate() {
        Err(f) => fail(f),
        Ok((objects, _)) => {
            let text = if a.summary {
                manifests::summary(&objects)
            } else {
                crate::yaml::to_stream(&objects)?
            };
            crate::output::stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cmd_parameters(a: CommonArgs) -> Result<ExitCode> {
    let mut req = request(&a)?;
    if let Err(f) = req.prepare() {
        return fail(f);
    }
    match req.parameters() {
        Err(f) => fail(f),
        Ok(list) => {
            crate::output::stdout(&format!("{}\n", serde_json::to_string_pretty(&list)?))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cmd_discover(a: CommonArgs) -> Result<ExitCode> {
    let mut req = request(&a)?;
    if let Err(f) = req.prepare() {
        return fail(f);
    }
    let identity = req.plugin.identity();
    let result = if req.app.plugin.is_none() {
        req.auto_detect()
    } else {
        // Worded as the app's sync error would show it.
        let name = req.app_name();
        req.generate_env()
            .and_then(|env| req.select(&env))
            .map_err(|f| Failure {
                message: format!(
                    "CMP processing failed for application {name:?}: {}",
                    f.message
                ),
                ..f
            })
    };
    match result {
        Ok(sel) => {
            let mut text = format!(
                "plugin {identity:?} is used for application {:?}\n",
                req.app_name()
            );
            for line in sel.explanation {
                text.push_str(&format!("- {line}\n"));
            }
            crate::output::stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            crate::output::stdout(&format!(
                "plugin {identity:?} is NOT used for application {:?}\n",
                req.app_name()
            ))?;
            fail(f)
        }
    }
}
