//! `preview` and `diff` subcommands.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Source;
use crate::karmada::pipeline::Options;

/// Inputs shared by `preview` and `diff`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// A YAML/JSON stream of templates and Karmada policies (`-` for stdin) instead of an app
    /// directory, e.g. `kubectl get pp,op,cpp,cop -o yaml` plus the templates.
    #[arg(short = 'f', long = "filename")]
    pub file: Option<PathBuf>,
    /// Member clusters: `kubectl get clusters -o yaml` (default: the clusters the policies name).
    #[arg(long)]
    pub clusters_file: Option<PathBuf>,
    /// The templates' UID, which decides Webster ties (default: show both outcomes).
    #[arg(long)]
    pub uid: Option<String>,
    /// As Karmada's scheduler flag: clusters with 0 replicas still get the workload.
    #[arg(long)]
    pub enable_empty_workload_propagation: bool,
    /// Keep the labels and annotations Karmada adds to member objects.
    #[arg(long)]
    pub karmada_metadata: bool,
    /// Replicas per cluster where they depend on live capacity (dynamic weights, Aggregated):
    /// `member1=3,member2=1`.
    #[arg(long, value_delimiter = ',')]
    pub replicas: Vec<String>,
}

impl SimArgs {
    fn run(&self, dir: Option<&std::path::Path>) -> Result<crate::karmada::pipeline::Simulation> {
        let source = match (&self.file, dir) {
            (Some(_), Some(_)) => bail!("give an app directory or -f STREAM, not both"),
            (Some(f), None) => Source::Stream(f),
            (None, d) => Source::App(d),
        };
        let opts = Options {
            uid: self.uid.clone(),
            empty_workload_propagation: self.enable_empty_workload_propagation,
            karmada_metadata: self.karmada_metadata,
            replicas: super::parse_replicas(&self.replicas)?,
        };
        super::run(source, self.clusters_file.as_deref(), &opts)
    }
}

#[derive(clap::Args, Debug)]
pub struct PreviewArgs {
    /// The app directory (default: the current directory).
    pub dir: Option<PathBuf>,
    /// Print only what this cluster receives, as a plain YAML stream.
    #[arg(long)]
    pub cluster: Option<String>,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// `[DIR] A B`: two clusters to compare; with --matrix only `[DIR]`.
    #[arg(num_args = 0..=3)]
    pub args: Vec<String>,
    /// A table of every object on every cluster.
    #[arg(long)]
    pub matrix: bool,
    /// Output of --matrix.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Format,
    #[command(flatten)]
    pub sim: SimArgs,
}

pub fn preview(args: PreviewArgs) -> Result<ExitCode> {
    let sim = args.sim.run(args.dir.as_deref())?;
    let out = match &args.cluster {
        Some(c) => super::cluster_stream(&sim, super::check_cluster(&sim, c)?)?,
        None => super::all_streams(&sim)?,
    };
    crate::render::cli::write_stdout(&out)
}

pub fn diff(args: DiffArgs) -> Result<ExitCode> {
    let (dir, pair): (Option<&String>, Option<(&String, &String)>) =
        match (args.matrix, args.args.as_slice()) {
            (true, []) => (None, None),
            (true, [d]) => (Some(d), None),
            (true, _) => bail!("diff --matrix takes only [DIR]"),
            (false, [a, b]) => (None, Some((a, b))),
            (false, [d, a, b]) => (Some(d), Some((a, b))),
            (false, _) => bail!("diff needs two clusters: diff [DIR] A B (or diff [DIR] --matrix)"),
        };
    let dir = dir.map(PathBuf::from);
    let sim = args.sim.run(dir.as_deref())?;
    let out = if let Some((a, b)) = pair {
        let a = super::check_cluster(&sim, a)?;
        let b = super::check_cluster(&sim, b)?;
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        super::diff(&sim, a, b, color)?
    } else {
        match args.output {
            Format::Table => super::matrix_table(&sim),
            Format::Json => super::matrix_json(&sim)?,
        }
    };
    // The process ends right after printing: freeing every member copy one by one would only
    // delay the exit (20,000 copies on the benchmark app).
    std::mem::forget(sim);
    crate::render::cli::write_stdout(&out)
}
