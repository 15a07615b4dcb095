//! `interpret` subcommand: our `karmadactl interpret`. Runs one operation of a
//! ResourceInterpreterCustomization on given objects, or Karmada-format customization tests.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::karmada::interpreter::{self, Input, Operation, suite};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InterpretArgs {
    #[command(subcommand)]
    pub command: Option<InterpretCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum InterpretCommand {
    /// Run Karmada-format customization tests (`customizations.yaml` + `testdata/*.yaml`).
    Test(TestArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The ResourceInterpreterCustomization(s) (YAML); the one targeting the object's kind runs.
    #[arg(short = 'f', long = "file", value_name = "CUSTOMIZATION")]
    pub file: Option<PathBuf>,
    /// The operation: InterpretReplica, InterpretComponent, ReviseReplica, Retain,
    /// AggregateStatus, InterpretStatus, InterpretHealth or InterpretDependency.
    #[arg(long)]
    pub operation: Option<String>,
    /// The desired object (the resource template).
    #[arg(long, value_name = "FILE")]
    pub desired_file: Option<PathBuf>,
    /// The observed object (as a member cluster has it).
    #[arg(long, value_name = "FILE")]
    pub observed_file: Option<PathBuf>,
    /// AggregatedStatusItems for AggregateStatus: a YAML list, or a stream of items.
    #[arg(long, value_name = "FILE")]
    pub status_file: Option<PathBuf>,
    /// The replicas given to ReviseReplica.
    #[arg(long, default_value_t = 0)]
    pub desired_replica: i64,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Directories to search for `customizations.yaml` with a `testdata/` beside.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// List every case, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: InterpretArgs) -> Result<ExitCode> {
    match args.command {
        Some(InterpretCommand::Test(t)) => run_tests(t),
        None => run_one(args.run),
    }
}

fn read_docs(path: &Path) -> Result<Vec<Value>> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    crate::yaml::parse_stream(&text, &origin)
}

fn read_object(path: &Path) -> Result<Value> {
    let mut docs = read_docs(path)?;
    match docs.len() {
        1 if docs[0].is_object() => Ok(docs.remove(0)),
        1 => bail!(
            "{}: expected a Kubernetes object (a YAML map)",
            path.display()
        ),
        n => bail!(
            "{}: expected one object, found {n} YAML documents",
            path.display()
        ),
    }
}

fn run_one(args: RunArgs) -> Result<ExitCode> {
    let Some(file) = &args.file else {
        bail!(
            "give the customization: `interpret -f FILE --operation OP ...`, or `interpret test DIR...`"
        );
    };
    let Some(op_name) = &args.operation else {
        bail!("--operation: missing (one of {})", operation_names());
    };
    let Some(op) = Operation::parse(op_name) else {
        bail!(
            "--operation: unknown operation {op_name:?} (one of {})",
            operation_names()
        );
    };
    let rics = read_docs(file)?;
    let input = Input {
        desired: args.desired_file.as_deref().map(read_object).transpose()?,
        observed: args.observed_file.as_deref().map(read_object).transpose()?,
        status_items: args
            .status_file
            .as_deref()
            .map(read_status_items)
            .transpose()?,
        replicas: args.desired_replica,
    };
    let Some(obj) = input.desired.as_ref().or(input.observed.as_ref()) else {
        bail!("give the object: --desired-file or --observed-file");
    };
    let Some(script) = suite::script_for(&rics, obj, op) else {
        bail!(
            "{}: no customization with spec.customizations.{}.luaScript targets {} {}",
            file.display(),
            op.rule(),
            obj.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
            obj.get("kind").and_then(Value::as_str).unwrap_or("")
        );
    };
    let results = interpreter::run(op, &script, &input)
        .with_context(|| format!("{}: {}", file.display(), op.name()))?;
    let mut out = String::new();
    match args.output {
        Format::Json => {
            let map: serde_json::Map<String, Value> = results
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            out.push_str(&serde_json::to_string_pretty(&map)?);
            out.push('\n');
        }
        Format::Yaml => {
            let n = results.len();
            for (i, (name, value)) in results.iter().enumerate() {
                let _ = writeln!(out, "---\n# [{}/{n}] {name}:", i + 1);
                out.push_str(&crate::yaml::to_string(value)?);
            }
        }
    }
    output::stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Status items: one YAML list, or a stream of item documents.
fn read_status_items(path: &Path) -> Result<Vec<Value>> {
    let docs = read_docs(path)?;
    match docs.as_slice() {
        [Value::Array(items)] => Ok(items.clone()),
        _ if docs.iter().all(Value::is_object) => Ok(docs),
        _ => bail!(
            "{}: expected AggregatedStatusItems (a list, or one item per document)",
            path.display()
        ),
    }
}

fn operation_names() -> String {
    Operation::ALL.map(Operation::name).join(", ")
}

fn run_tests(args: TestArgs) -> Result<ExitCode> {
    let cases = suite::discover(&args.dirs)?;
    if cases.is_empty() {
        bail!("no customizations.yaml with testdata found under the given directories");
    }
    let mut out = String::new();
    let mut failed = 0;
    for case in &cases {
        let outcome = suite::run_case(case);
        let name = format!(
            "{} [{}] {}",
            outcome.case.file.display(),
            outcome.case.operation,
            outcome.case.name
        );
        match &outcome.result {
            Ok(()) if args.verbose => {
                let _ = writeln!(out, "ok   {name}");
            }
            Ok(()) => {}
            Err(why) => {
                failed += 1;
                let _ = writeln!(out, "FAIL {name}\n    {why}");
            }
        }
    }
    let _ = writeln!(out, "{} passed, {failed} failed", cases.len() - failed);
    output::stdout(&out)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
