//! `preview` and `diff`: what each member cluster receives, from an app directory (rendered like
//! `generate`) or any stream of templates and Karmada policies, run through Karmada's pipeline
//! (`crate::karmada::pipeline`).

pub mod cli;
mod diff;
mod matrix;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::karmada::api::Cluster;
use crate::karmada::pipeline::{self, Input, Options, Outcome, Simulation};
use crate::render::{self, contract};

pub use diff::diff;
pub use matrix::{matrix_json, matrix_table};

/// Where the templates and policies come from.
pub enum Source<'a> {
    /// An app directory, rendered like `generate` (default: the current directory).
    App(Option<&'a Path>),
    /// A YAML/JSON stream (`-` for stdin).
    Stream(&'a Path),
}

/// Reads the input, the cluster inventory, and runs the pipeline.
pub fn run(source: Source<'_>, clusters_file: Option<&Path>, opts: &Options) -> Result<Simulation> {
    let input = match source {
        Source::App(dir) => {
            let ctx = contract::app_context(dir, &contract::process_env())?;
            Input::from_stream(render::documents(&ctx)?, "the rendered app")?
        }
        Source::Stream(path) => {
            let (text, origin) = read_text(path)?;
            let docs = crate::yaml::parse_stream(&text, &origin)?;
            let docs = flatten_lists(docs);
            Input::from_stream(docs, &origin)?
        }
    };
    let clusters = match clusters_file {
        Some(path) => {
            let (text, origin) = read_text(path)?;
            pipeline::parse_clusters(crate::yaml::parse_stream(&text, &origin)?, &origin)?
        }
        None => {
            let names = input.named_clusters();
            if names.is_empty() {
                bail!(
                    "no cluster inventory: the policies name no cluster; pass --clusters-file (the output of `kubectl get clusters -o yaml`)"
                );
            }
            pipeline::clusters_named(&names)
        }
    };
    Ok(pipeline::simulate(&input, &clusters, opts))
}

fn read_text(path: &Path) -> Result<(String, String)> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(std::io::stdin(), crate::yaml::MAX_INPUT_BYTES as u64 + 1),
            &mut text,
        )
        .context("stdin: cannot read")?;
        return Ok((text, "stdin".into()));
    }
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path).with_context(|| format!("{origin}: cannot read"))?;
    if meta.len() > crate::yaml::MAX_INPUT_BYTES as u64 {
        bail!(
            "{origin}: {} bytes is over the {} byte limit",
            meta.len(),
            crate::yaml::MAX_INPUT_BYTES
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    Ok((text, origin))
}

/// `kubectl get ... -o yaml` prints Lists.
fn flatten_lists(docs: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        match d.get("items").and_then(Value::as_array) {
            Some(items)
                if d.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List")) =>
            {
                out.extend(items.iter().cloned())
            }
            _ => out.push(d),
        }
    }
    out
}

/// The cluster names to show, checked against the inventory.
pub fn check_cluster<'a>(sim: &'a Simulation, name: &str) -> Result<&'a str> {
    sim.clusters
        .iter()
        .find(|c| *c == name)
        .map(String::as_str)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--cluster: cluster {name} is not in the inventory ({})",
                sim.clusters.join(", ")
            )
        })
}

/// One cluster's objects as a YAML stream, preceded by comments: what it does not receive and why,
/// ties and warnings.
pub fn cluster_stream(sim: &Simulation, cluster: &str) -> Result<String> {
    let mut head = String::new();
    let mut docs: Vec<&Value> = Vec::new();
    for t in &sim.templates {
        match t.per_cluster.get(cluster) {
            Some(Outcome::Delivered(d)) => {
                docs.push(&d.object);
                if let (Some(r), Some(other)) = (d.replicas, d.tie) {
                    head.push_str(&format!(
                        "# {}: {r} replicas, or {other} if Karmada breaks the tie the other way (depends on the template's UID; pass --uid)\n",
                        t.key
                    ));
                }
            }
            Some(Outcome::Not(why)) => {
                head.push_str(&format!("# not delivered: {}: {why}\n", t.key));
            }
            None => {}
        }
        for w in &t.warnings {
            head.push_str(&format!("# warning: {}: {w}\n", t.key));
        }
    }
    let body = crate::yaml::to_stream(docs)?;
    Ok(format!("{head}{body}"))
}

/// Every cluster's stream, each after a header line.
pub fn all_streams(sim: &Simulation) -> Result<String> {
    let mut out = String::new();
    for c in &sim.clusters {
        let count = sim
            .templates
            .iter()
            .filter(|t| matches!(t.per_cluster.get(c), Some(Outcome::Delivered(_))))
            .count();
        out.push_str(&format!("# ===== cluster {c}: {count} objects =====\n"));
        out.push_str(&cluster_stream(sim, c)?);
    }
    Ok(out)
}

/// `--replicas member1=3,member2=1`.
pub fn parse_replicas(list: &[String]) -> Result<BTreeMap<String, i32>> {
    let mut out = BTreeMap::new();
    for item in list {
        let Some((name, n)) = item.split_once('=') else {
            bail!("--replicas: \"{item}\" is not CLUSTER=N");
        };
        let n: i32 =
            n.trim().parse().ok().filter(|n| *n >= 0).with_context(|| {
                format!("--replicas: \"{item}\": N must be a whole number >= 0")
            })?;
        out.insert(name.trim().to_string(), n);
    }
    Ok(out)
}

/// The clusters of a simulation, for messages.
pub fn inventory(clusters: &[Cluster]) -> String {
    clusters
        .iter()
        .map(|c| c.metadata.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
