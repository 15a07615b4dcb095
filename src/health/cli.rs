//! `health` subcommand: evaluate an object like `argocd admin settings resource-overrides health`,
//! or run Argo CD-format test suites.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::argo::lua::{HealthStatus, VmOptions, evaluate_health};
use crate::argo::settings::{HealthOverride, ResourceOverrides, config_map_key};
use crate::health::suite;

/// Our library, as generated into the ConfigMap patch.
const LIBRARY_PATCH: &str = include_str!("../../argocd-cm-patch.yaml");

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HealthArgs {
    #[command(subcommand)]
    pub command: Option<HealthCommand>,
    #[command(flatten)]
    pub eval: EvalArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum HealthCommand {
    /// Run Argo CD-format suites (`health_test.yaml`) found under each DIR.
    Test(TestArgs),
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The object to evaluate (YAML or JSON; `-` for stdin).
    pub file: Option<String>,
    /// Take health overrides from this argocd-cm ConfigMap manifest instead of our library.
    #[arg(long, value_name = "CONFIGMAP_YAML", conflicts_with = "script")]
    pub argocd_cm: Option<PathBuf>,
    /// Evaluate this Lua script instead of our library.
    #[arg(long, value_name = "LUA")]
    pub script: Option<PathBuf>,
    /// With --script: run with Argo CD's `useOpenLibs` (string, math, os...).
    #[arg(long, requires = "script")]
    pub open_libs: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Directories to search for `health_test.yaml` (and `health.lua`, unless `--argocd-cm`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Run scripts without open libs (Argo CD's default for argocd-cm scripts). Argo CD's own
    /// suite runs built-in scripts with open libs, which is the default here.
    #[arg(long)]
    pub no_open_libs: bool,
    /// List every case, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// Take the scripts from this argocd-cm (or patch) instead of `health.lua` files, resolved by
    /// each object's group/Kind as at runtime, with each key's own `useOpenLibs`.
    #[arg(long, value_name = "CONFIGMAP")]
    pub argocd_cm: Option<PathBuf>,
}

pub fn run(args: HealthArgs) -> Result<ExitCode> {
    match args.command {
        Some(HealthCommand::Test(t)) => run_tests(t),
        None => evaluate(args.eval),
    }
}

fn run_tests(args: TestArgs) -> Result<ExitCode> {
    let suites = suite::discover(&args.dirs)?;
    if suites.cases.is_empty() {
        bail!("no health_test.yaml cases found under the given directories");
    }
    let opts = VmOptions {
        open_libs: !args.no_open_libs,
        ..VmOptions::default()
    };
    let cm = args.argocd_cm.as_deref().map(read_argocd_cm).transpose()?;
    let outcomes = suite::run(&suites, cm.as_ref(), &opts);
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    for o in &outcomes {
        let name = format!("{}: {}", o.case.suite.display(), o.case.input_path);
        if o.passed() {
            if args.verbose {
                println!("ok   {name}");
            }
            continue;
        }
        println!("FAIL {name}");
        if let Some(script) = &o.script {
            println!("  script:   {script}/health.lua");
        }
        println!("  expected: {}", show(&o.case.expected));
        match &o.actual {
            Ok(hs) => println!("  actual:   {}", show(hs)),
            Err(e) => println!("  error:    {e}"),
        }
    }
    println!("{} passed, {} failed", outcomes.len() - failed, failed);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn show(hs: &HealthStatus) -> String {
    format!("status={:?} message={:?}", hs.status, hs.message)
}

fn evaluate(args: EvalArgs) -> Result<ExitCode> {
    let Some(file) = args.file.as_deref() else {
        bail!(
            "give the object to evaluate: `health FILE` (or `-` for stdin), or `health test DIR...`"
        );
    };
    let (origin, text) = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(crate::yaml::MAX_INPUT_BYTES as u64 + 1)
            .read_to_string(&mut s)
            .context("stdin: cannot read")?;
        ("stdin".to_string(), s)
    } else {
        let s = std::fs::read_to_string(file).with_context(|| format!("{file}: cannot read"))?;
        (file.to_string(), s)
    };
    let obj = suite::parse_object(&text, &origin)?;
    if !obj.is_object() {
        bail!("{origin}: expected a Kubernetes object (a YAML map)");
    }
    let overrides = overrides(&args)?;
    let (group, kind) = config_map_key(&obj);
    let result = health_of(&obj, &overrides)?;
    let Some(hs) = result else {
        // Argo CD's admin command prints this and exits 0; it would still fall back to its
        // built-in scripts and Go checks, which this tool does not carry.
        let line = format!(
            "Health script is not configured for '{}'",
            if group.is_empty() {
                format!("/{kind}")
            } else {
                format!("{group}/{kind}")
            }
        );
        match args.output {
            Output::Text => println!("{line}"),
            Output::Json => println!(
                "{}",
                serde_json::json!({"configured": false, "message": line})
            ),
        }
        return Ok(ExitCode::SUCCESS);
    };
    match args.output {
        Output::Text => {
            println!("STATUS: {}", hs.status);
            println!("MESSAGE: {}", hs.message);
        }
        Output::Json => println!("{}", serde_json::to_string(&hs)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// Where scripts come from: `--script`, `--argocd-cm`, or our library.
fn overrides(args: &EvalArgs) -> Result<ResourceOverrides> {
    if let Some(path) = &args.script {
        let origin = path.display().to_string();
        let src =
            std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
        let mut o = ResourceOverrides::default();
        o.insert(
            "*",
            HealthOverride {
                health_lua: src,
                use_open_libs: args.open_libs,
            },
        );
        return Ok(o);
    }
    match &args.argocd_cm {
        Some(path) => read_argocd_cm(path),
        None => parse_argocd_cm(LIBRARY_PATCH, "argocd-cm-patch.yaml (built in)"),
    }
}

/// Our library's health overrides, as Argo CD loads them from the patched argocd-cm.
pub fn library() -> Result<ResourceOverrides> {
    parse_argocd_cm(LIBRARY_PATCH, "argocd-cm-patch.yaml (built in)")
}

fn read_argocd_cm(path: &Path) -> Result<ResourceOverrides> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    parse_argocd_cm(&text, &origin)
}

fn parse_argocd_cm(text: &str, origin: &str) -> Result<ResourceOverrides> {
    let cm = crate::yaml::parse_one(text, origin)?;
    ResourceOverrides::from_config_map(&cm).with_context(|| origin.to_string())
}

/// `health.GetResourceHealth` with our overrides: pending deletion first, then the script.
/// `Ok(None)` when no script applies.
pub fn health_of(obj: &Value, overrides: &ResourceOverrides) -> Result<Option<HealthStatus>> {
    let meta = obj.get("metadata");
    let deleting = meta
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some_and(|t| !t.is_null());
    let hook_finalizer = meta
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| {
            f.iter()
                .any(|x| x.as_str() == Some("argocd.argoproj.io/hook-finalizer"))
        });
    if deleting && !hook_finalizer {
        return Ok(Some(HealthStatus {
            status: "Progressing".into(),
            message: "Pending deletion".into(),
        }));
    }
    let (group, kind) = config_map_key(obj);
    let Some(script) = overrides.health_script(&group, &kind) else {
        return Ok(None);
    };
    let opts = VmOptions {
        open_libs: script.open_libs,
        ..VmOptions::default()
    };
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    evaluate_health(script.source, obj, &opts)
        .map(Some)
        .with_context(|| {
            format!(
                "failed to get resource health for {}/{}",
                text("namespace"),
                text("name")
            )
        })
}
