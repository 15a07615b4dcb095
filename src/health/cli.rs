//! `health` subcommand: evaluate an object like `argocd admin settings resource-overrides health`,
//! or run Argo CD-format test suites.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::argo::health::{HealthCode, HealthStatus, VmOptions, resource_health};
use crate::argo::settings::{HealthOverride, ResourceOverrides, config_map_key, key_of};
use crate::health::suite;
use crate::output;

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
    /// The object to evaluate (YAML or JSON; `-` for stdin); a `List` (`kubectl get -o yaml`)
    /// evaluates every item.
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
    let mut out = String::new();
    for o in &outcomes {
        let name = format!("{}: {}", o.case.suite.display(), o.case.input_path);
        if o.passed() {
            if args.verbose {
                let _ = writeln!(out, "ok   {name}");
            }
            continue;
        }
        let _ = writeln!(out, "FAIL {name}");
        if let Some(script) = &o.script {
            let _ = writeln!(out, "  script:   {script}/health.lua");
        }
        let _ = writeln!(out, "  expected: {}", show(&o.case.expected));
        let _ = match &o.actual {
            Ok(hs) => writeln!(out, "  actual:   {}", show(hs)),
            Err(e) => writeln!(out, "  error:    {e}"),
        };
    }
    let _ = writeln!(out, "{} passed, {} failed", outcomes.len() - failed, failed);
    output::stdout(&out)?;
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
    match list_items(&obj) {
        Some(items) => evaluate_list(items, &origin, &overrides, args.output),
        None => evaluate_one(&obj, &overrides, args.output),
    }
}

/// The items of a `List` (`kind: List`, or a typed list such as `ResourceBindingList`).
fn list_items(obj: &Value) -> Option<&[Value]> {
    let kind = obj.get("kind")?.as_str()?;
    if !kind.ends_with("List") {
        return None;
    }
    obj.get("items")?.as_array().map(Vec::as_slice)
}

/// One object, as `argocd admin settings resource-overrides health` prints it; exit 0 whenever
/// the script ran (or none applies).
fn evaluate_one(obj: &Value, overrides: &ResourceOverrides, format: Output) -> Result<ExitCode> {
    let Some(hs) = resource_health(obj, overrides)? else {
        // Argo CD's admin command prints this and exits 0; it would still fall back to its
        // built-in scripts and Go checks, which this tool does not carry.
        let line = not_configured(obj);
        output::stdout(&match format {
            Output::Text => format!("{line}\n"),
            Output::Json => format!(
                "{}\n",
                serde_json::json!({"configured": false, "message": line})
            ),
        })?;
        return Ok(ExitCode::SUCCESS);
    };
    output::stdout(&match format {
        Output::Text => format!("STATUS: {}\nMESSAGE: {}\n", hs.status, hs.message),
        Output::Json => format!("{}\n", serde_json::to_string(&hs)?),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn not_configured(obj: &Value) -> String {
    let (group, kind) = config_map_key(obj);
    let key = if group.is_empty() {
        format!("/{kind}")
    } else {
        key_of(&group, &kind)
    };
    format!("Health script is not configured for '{key}'")
}

/// One row of a `List`'s table.
#[derive(serde::Serialize)]
struct Row {
    kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    namespace: String,
    name: String,
    /// `None` when no script applies to the item's kind.
    status: Option<String>,
    message: String,
}

/// Every item of a `List`: a table (or a JSON array), exit status by the worst health (0
/// Healthy, 1 Progressing or Suspended, 2 Degraded, Missing or Unknown; items without a script
/// do not count). A failing script makes its item `Unknown` with the error as message, as Argo
/// CD's controller shows it.
fn evaluate_list(
    items: &[Value],
    origin: &str,
    overrides: &ResourceOverrides,
    format: Output,
) -> Result<ExitCode> {
    let mut rows = Vec::with_capacity(items.len());
    let mut worst: Option<HealthCode> = None;
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            bail!("{origin}: items[{i}]: expected a Kubernetes object (a YAML map)");
        }
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(item, |v, k| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (status, message) = match resource_health(item, overrides) {
            Ok(Some(hs)) => (Some(hs.status), hs.message),
            Ok(None) => (None, not_configured(item)),
            Err(e) => (Some("Unknown".to_string()), e.root_cause().to_string()),
        };
        if let Some(s) = &status {
            worst = worst.max(Some(HealthCode::parse(s)));
        }
        rows.push(Row {
            kind: text(&["kind"]),
            namespace: text(&["metadata", "namespace"]),
            name: text(&["metadata", "name"]),
            status,
            message,
        });
    }
    output::stdout(&match format {
        Output::Text => table(&rows),
        Output::Json => format!("{}\n", serde_json::to_string_pretty(&rows)?),
    })?;
    Ok(ExitCode::from(worst.map_or(0, HealthCode::exit_status)))
}

fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let name = if r.namespace.is_empty() {
                r.name.clone()
            } else {
                format!("{}/{}", r.namespace, r.name)
            };
            let status = r.status.clone().unwrap_or_else(|| "-".into());
            [r.kind.clone(), name, status, r.message.replace('\n', " ")]
        })
        .collect();
    let header = [
        "KIND".to_string(),
        "NAMESPACE/NAME".into(),
        "STATUS".into(),
        "MESSAGE".into(),
    ];
    let width = |c: usize| {
        std::iter::once(&header)
            .chain(&cells)
            .map(|r| r[c].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
