//! Time per evaluation of the ResourceBinding health check for bindings with 10 to 5,000 member
//! clusters: our generated script in our VM, side by side with Argo CD's upstream built-in
//! ResourceBinding script (read from a local argo-cd mirror at bench time, never committed) and,
//! when the gopher-lua oracle is available, the same inputs in real gopher-lua.
//!
//! Run: `cargo bench --bench health`. Optional environment:
//! - `ARGOCD_MIRROR`: an argo-cd git directory (clone or bare mirror)
//! - `ARGO_LUA_ORACLE`: the oracle binary (default `target/oracle/argo-lua-oracle`)

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use argocd_karmada_plugin::argo::health::{VmOptions, evaluate_health};
use argocd_karmada_plugin::health::r#gen as health_gen;
use serde_json::{Value, json};

const SIZES: [usize; 4] = [10, 100, 1_000, 5_000];
const ARGO_TAG: &str = "v3.5.1";
const ARGO_SCRIPT: &str = "resource_customizations/work.karmada.io/ResourceBinding/health.lua";

/// A scheduled Deployment binding with `n` clusters. `rolling` of every 10 clusters are still
/// rolling out (Karmada reports them Unhealthy); the rest are healthy.
fn binding(n: usize, rolling: usize) -> Value {
    let names: Vec<String> = (0..n).map(|i| format!("member{i:05}")).collect();
    let clusters: Vec<Value> = names
        .iter()
        .map(|c| json!({"name": c, "replicas": 3}))
        .collect();
    let items: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (updated, available, health) = if i % 10 < rolling {
                (1, 1, "Unhealthy")
            } else {
                (3, 3, "Healthy")
            };
            json!({
                "clusterName": c, "applied": true, "health": health,
                "status": {"replicas": 3, "updatedReplicas": updated, "readyReplicas": available,
                           "availableReplicas": available, "observedGeneration": 2, "generation": 2,
                           "resourceTemplateGeneration": 2},
            })
        })
        .collect();
    json!({
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": "web-deployment", "namespace": "shop", "generation": 2},
        "spec": {
            "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "shop"},
            "replicas": 3 * n,
            "clusters": clusters,
        },
        "status": {
            "schedulerObservedGeneration": 2,
            "conditions": [{"type": "Scheduled", "status": "True", "reason": "Success"}],
            "aggregatedStatus": items,
        },
    })
}

/// Mean and best time per evaluation over at least `min_runs` runs and about 0.5 s.
fn time(mut f: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..3 {
        f();
    }
    let mut runs = 0u32;
    let mut best = Duration::MAX;
    let started = Instant::now();
    while runs < 20 || started.elapsed() < Duration::from_millis(500) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        runs += 1;
    }
    (started.elapsed() / runs, best)
}

fn upstream_script() -> Option<String> {
    let Some(mirror) = std::env::var_os("ARGOCD_MIRROR").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED: Argo CD's upstream script (set ARGOCD_MIRROR to an argo-cd git directory)"
        );
        return None;
    };
    let out = Command::new("git")
        .arg("-C")
        .arg(&mirror)
        .args(["show", &format!("{ARGO_TAG}:{ARGO_SCRIPT}")])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "SKIPPED: Argo CD's upstream script ({ARGO_TAG}:{ARGO_SCRIPT}) not found in the mirror at {} \
             (set ARGOCD_MIRROR to a bare argo-cd clone)",
            mirror.display()
        );
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

/// Per-case evaluation time the oracle reports (`--stats`) for `runs` evaluations of `obj`.
fn oracle_time(
    oracle: &Path,
    script: &Path,
    open_libs: bool,
    obj: &Value,
    runs: usize,
) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let requests = dir.path().join("requests.jsonl");
    let line =
        serde_json::to_string(&json!({"script": script, "object": obj, "openLibs": open_libs}))
            .ok()?;
    std::fs::write(&requests, format!("{line}\n").repeat(runs)).ok()?;
    // The oracle reads its requests from stdin, which exec::Command does not offer; this is a
    // developer benchmark over our own inputs, so a plain Command with a file as stdin is enough.
    let out = Command::new(oracle)
        .args(["--stats", "--no-lint", "batch"])
        .stdin(std::fs::File::open(&requests).ok()?)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    let stats = String::from_utf8_lossy(&out.stderr);
    let tail = stats.split("evaluation only").nth(1)?;
    Some(tail.split_whitespace().next()?.to_string() + " us")
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ours = health_gen::render_script(&root, "work.karmada.io/ResourceBinding")
        .expect("render our ResourceBinding script");
    let upstream = upstream_script();
    let oracle = std::env::var_os("ARGO_LUA_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/oracle/argo-lua-oracle"));
    let oracle = oracle.is_file().then_some(oracle);
    if oracle.is_none() {
        eprintln!("SKIPPED: gopher-lua oracle not found (set ARGO_LUA_ORACLE)");
    }
    let scripts = tempfile::tempdir().expect("temp dir");
    let ours_path = scripts.path().join("ours.lua");
    std::fs::write(&ours_path, &ours).expect("write script");
    let upstream_path = scripts.path().join("upstream.lua");
    if let Some(s) = &upstream {
        std::fs::write(&upstream_path, s).expect("write script");
    }

    let default_sandbox = VmOptions::default();
    // Argo CD runs its built-in scripts with useOpenLibs.
    let open_libs = VmOptions {
        open_libs: true,
        ..VmOptions::default()
    };
    // What every evaluation costs before any script work: converting `obj` and a fresh
    // environment. The scripts' own cost is their time minus this.
    let trivial = "return {status = \"Healthy\", message = \"\"}";
    println!(
        "| clusters | input | baseline (obj conversion) | ours: mean (best) | Argo CD {ARGO_TAG} built-in: mean (best) | oracle (gopher-lua), ours | oracle, built-in |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for n in SIZES {
        for (label, rolling) in [("all healthy", 0), ("10% rolling out", 1)] {
            let obj = binding(n, rolling);
            let ours_result = evaluate_health(&ours, &obj, &default_sandbox).expect("ours runs");
            let (base, base_best) = time(|| {
                evaluate_health(trivial, &obj, &default_sandbox).expect("trivial runs");
            });
            let (mean, best) = time(|| {
                evaluate_health(&ours, &obj, &default_sandbox).expect("ours runs");
            });
            let upstream_cell = match &upstream {
                Some(s) => {
                    evaluate_health(s, &obj, &open_libs).expect("upstream runs");
                    let (m, b) = time(|| {
                        evaluate_health(s, &obj, &open_libs).expect("upstream runs");
                    });
                    format!("{m:.2?} ({b:.2?})")
                }
                None => "skipped (no mirror)".into(),
            };
            let runs = if n >= 1_000 { 20 } else { 200 };
            let (oracle_ours, oracle_upstream) = match &oracle {
                Some(o) => (
                    oracle_time(o, &ours_path, false, &obj, runs)
                        .unwrap_or_else(|| "failed".into()),
                    if upstream.is_some() {
                        oracle_time(o, &upstream_path, true, &obj, runs)
                            .unwrap_or_else(|| "failed".into())
                    } else {
                        "skipped".into()
                    },
                ),
                None => ("skipped".into(), "skipped".into()),
            };
            println!(
                "| {n} | {label} | {base:.2?} ({base_best:.2?}) | {mean:.2?} ({best:.2?}) | {upstream_cell} | {oracle_ours} | {oracle_upstream} |"
            );
            eprintln!(
                "  {n} clusters, {label}: {} {}",
                ours_result.status,
                ours_result.message.chars().take(100).collect::<String>()
            );
        }
    }
}
