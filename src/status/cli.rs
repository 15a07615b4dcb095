//! The `status` subcommand: flags, the runtime, output and exit codes, `--watch`.

use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures::{FutureExt, StreamExt, stream::BoxStream};
use serde_json::Value;

use super::fetch::{Fetched, Selection, Watched, fetch};
use super::output::{Format, Style, render};
use super::{Matrix, Snapshot, details, judge};
use crate::argo::settings::ResourceOverrides;
use crate::live::{ConnectOptions, ListError, Lister, ObjectKey, TrackingMethod, connect};

/// Exit code for errors (0-2 are health verdicts).
const EXIT_ERROR: u8 = 3;

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The app directory: render it as `generate` does and look up exactly those objects.
    #[arg(conflicts_with = "app", required_unless_present = "app")]
    pub dir: Option<PathBuf>,
    /// The Argo CD app: look up the objects Argo CD tracks as its own.
    #[arg(long)]
    pub app: Option<String>,
    /// How Argo CD tracks the app's objects (`application.resourceTrackingMethod`).
    #[arg(long, value_enum, default_value_t = TrackingMethod::Annotation, requires = "app")]
    pub tracking: TrackingMethod,
    /// Look only in this namespace (with --app).
    #[arg(short = 'n', long, requires = "app")]
    pub namespace: Option<String>,
    /// The kubeconfig (default: KUBECONFIG, then ~/.kube/config, then in-cluster config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Connect with Argo CD's cluster Secret for karmada-apiserver (its `server` and `config`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["kubeconfig", "context"])]
    pub argocd_cluster_secret: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// Show replicas per cluster (ready/assigned).
    #[arg(long)]
    pub wide: bool,
    /// Keep watching bindings and clusters and redraw on every change.
    #[arg(long)]
    pub watch: bool,
    /// For objects not healthy on CLUSTER: the member's conditions, events and unready pods.
    #[arg(long, value_name = "CLUSTER")]
    pub details: Option<String>,
    /// Limit for the whole command, e.g. `30s`, `2m`, `500ms` (default 30s; with --watch: none).
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Objects per LIST page.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration like 30s, 2m or 500ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !(secs > 0.0 && secs < 1e7) {
        return Err(format!("{s:?}: must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Runs `status`; errors are printed here so they get exit code 3.
pub fn run(args: StatusArgs) -> Result<ExitCode> {
    match run_inner(args) {
        Ok(code) => Ok(ExitCode::from(code)),
        Err(e) => {
            // The same `error: <context>: <cause>` line as every command (`cli::report`), printed
            // here because the exit code is 3, not the CLI's 1.
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

fn run_inner(args: StatusArgs) -> Result<u8> {
    let selection = selection(&args)?;
    let lib = crate::health::cli::library()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let timeout = args
        .timeout
        .or((!args.watch).then_some(Duration::from_secs(30)));
    let code = runtime.block_on(async {
        let deadline = timeout.map(|t| (tokio::time::Instant::now() + t, t));
        live(&args, &selection, &lib, deadline).await
    });
    // Shutting the runtime down frees each connection's buffers one by one; the process exits
    // next, which frees them all at once.
    std::mem::forget(runtime);
    code
}

/// `Deadline`: when the command must be done, and the `--timeout` it came from.
type Deadline = Option<(tokio::time::Instant, Duration)>;

/// Runs `fut` until the deadline.
async fn bounded<T>(deadline: Deadline, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match deadline {
        Some((at, t)) => tokio::time::timeout_at(at, fut)
            .await
            .unwrap_or_else(|_| Err(anyhow!("timed out after {} (--timeout)", humanize(t)))),
        None => fut.await,
    }
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// `--app`, or the objects `generate` renders for DIR (Karmada's own objects stay on the
/// control plane and have no bindings, so they are left out).
fn selection(args: &StatusArgs) -> Result<Selection> {
    if let Some(app) = &args.app {
        return Ok(Selection::Tracked {
            app: app.clone(),
            tracking: args.tracking,
            namespace: args.namespace.clone(),
        });
    }
    let env = crate::render::contract::process_env();
    let ctx = crate::render::contract::app_context(args.dir.as_deref(), &env)?;
    let stream = crate::render::generate(&ctx)?;
    let docs = crate::yaml::parse_stream(&stream, "rendered app")?;
    let keys: Vec<ObjectKey> = docs
        .iter()
        .filter_map(ObjectKey::of)
        .filter(|k| !k.group().ends_with("karmada.io"))
        .collect();
    if keys.is_empty() {
        bail!("{}: the app renders no objects to look up", ctx.display_dir);
    }
    Ok(Selection::Rendered {
        app: ctx.app_name,
        keys,
    })
}

async fn live(
    args: &StatusArgs,
    selection: &Selection,
    lib: &ResourceOverrides,
    deadline: Deadline,
) -> Result<u8> {
    // The first table is always bounded: by --timeout, else (while watching) by 30 s.
    let first_deadline = deadline.or_else(|| {
        let t = Duration::from_secs(30);
        Some((tokio::time::Instant::now() + t, t))
    });
    let opts = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        argocd_cluster_secret: args.argocd_cluster_secret.clone(),
        // No per-read limit: the deadline bounds a LIST, and an idle watch is not an error.
        read_timeout: None,
        connect_timeout: Duration::from_secs(10),
    };
    let (client, server) = bounded(first_deadline, connect(&opts)).await?;
    let lister = Lister {
        client,
        server,
        page_size: args.page_size,
    };
    let concurrency = usize::from(args.concurrency);
    let fetched = bounded(first_deadline, fetch(&lister, selection, concurrency)).await?;
    for w in &fetched.warnings {
        eprintln!("warning: {w}");
    }
    let style = Style {
        color: args.output == Format::Table
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
        wide: args.wide,
    };
    let matrix = judge(&fetched.snapshot, lib);
    let text = bounded(first_deadline, frame(&lister, args, &matrix, style)).await?;
    print(&text, false, style)?;
    if !args.watch {
        let code = matrix.status.exit_code();
        // The process exits next: freeing every binding piece by piece would only delay that.
        std::mem::forget((fetched, matrix));
        return Ok(code);
    }
    // The exit code of the last table drawn.
    let last = Cell::new(matrix.status.exit_code());
    let until = deadline.map(|(at, _)| at);
    let watching = watch(&lister, args, selection, lib, fetched, style, text, &last);
    match until {
        // The watch ends at the deadline with the verdict of the last table shown.
        Some(at) => match tokio::time::timeout_at(at, watching).await {
            Ok(r) => r,
            Err(_) => Ok(last.get()),
        },
        None => watching.await,
    }
}

async fn frame(lister: &Lister, args: &StatusArgs, m: &Matrix, style: Style) -> Result<String> {
    let details = match &args.details {
        Some(cluster) => {
            if !m.clusters.iter().any(|c| &c.name == cluster) {
                let known: Vec<&str> = m.clusters.iter().map(|c| c.name.as_str()).collect();
                bail!(
                    "--details: cluster {cluster:?} is not a target of this app (targets: {})",
                    known.join(", ")
                );
            }
            details::details(lister, m, cluster).await
        }
        None => Vec::new(),
    };
    render(m, &details, args.output, style)
}

fn print(text: &str, redraw: bool, style: Style) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if redraw {
        if style.color {
            // Home and clear: the new table replaces the old one in place.
            out.write_all(b"\x1b[H\x1b[2J")?;
        } else {
            out.write_all(b"\n")?;
        }
    }
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Watch events; `None` when one watch ended (the server's watch timeout).
type Events = BoxStream<'static, Option<Result<(String, Value), ListError>>>;

/// Opens one watch per LIST that fed the snapshot (bindings and clusters), from that LIST's
/// resourceVersion: no polling, one long request per collection.
async fn open_watches(lister: &Lister, watches: &[Watched]) -> Result<Events> {
    let mut streams = Vec::with_capacity(watches.len());
    for w in watches {
        let s = lister
            .watch(&w.rt, w.namespace.as_deref(), &w.resource_version)
            .await?;
        streams.push(
            s.map(Some)
                .chain(futures::stream::once(async { None }))
                .boxed(),
        );
    }
    Ok(futures::stream::select_all(streams).boxed())
}

/// Applies one watch event to the snapshot.
fn apply(snap: &mut Snapshot, kind: &str, obj: Value) {
    let Some(name) = obj["metadata"]["name"].as_str().map(str::to_string) else {
        return;
    };
    if obj["kind"] == "Cluster" {
        if kind == "DELETED" {
            snap.clusters.remove(&name);
        } else {
            snap.clusters.insert(name, obj);
        }
        return;
    }
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if kind == "DELETED" {
        snap.bindings.remove(&(ns, name));
    } else {
        snap.bindings.insert((ns, name), obj);
    }
}

#[allow(clippy::too_many_arguments)]
async fn watch(
    lister: &Lister,
    args: &StatusArgs,
    selection: &Selection,
    lib: &ResourceOverrides,
    fetched: Fetched,
    style: Style,
    mut shown: String,
    last: &Cell<u8>,
) -> Result<u8> {
    let mut snap = fetched.snapshot;
    let mut events = open_watches(lister, &fetched.watches).await?;
    loop {
        // Every stream ends with a `None` of its own, so this is `None` only between relists.
        let first = events.next().await.flatten();
        let mut batch = vec![first];
        // Take what else has already arrived, so a burst of events is one redraw.
        while let Some(more) = events.next().now_or_never().flatten() {
            batch.push(more);
        }
        for ev in batch {
            match ev {
                Some(Ok((kind, obj))) if kind != "BOOKMARK" => apply(&mut snap, &kind, obj),
                Some(Ok(_)) => {}
                // A watch ended (server timeout) or failed (e.g. 410 Gone: our resourceVersion
                // is too old): start over from a LIST, at most once a second.
                other => {
                    if let Some(Err(e)) = other {
                        eprintln!("warning: {e}; listing again");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    let again = fetch(lister, selection, usize::from(args.concurrency)).await?;
                    snap = again.snapshot;
                    events = open_watches(lister, &again.watches).await?;
                    break;
                }
            }
        }
        let matrix = judge(&snap, lib);
        let text = frame(lister, args, &matrix, style).await?;
        if text != shown {
            print(&text, true, style)?;
            shown = text;
        }
        last.set(matrix.status.exit_code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3 days").is_err());
        assert!(parse_duration("s").is_err());
        assert_eq!(humanize(Duration::from_millis(1500)), "1500ms");
        assert_eq!(humanize(Duration::from_secs(4)), "4s");
    }
}
