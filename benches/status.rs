//! Time to the first complete `status --app` table for an app of 1,000 templates on 100 member
//! clusters, against the loopback test API server (`tests/apiserver`), release build.
//!
//! Run: `cargo bench --bench status`. It starts the server on its own threads in this process,
//! serves 100 Clusters, 1,000 Deployments and their 1,000 ResourceBindings (every binding targets
//! all 100 clusters; one binding in ten is still rolling out on some of them), then runs the real
//! binary once to warm up (the server keeps each response's bytes from then on) and several more
//! times, and prints the wall time of each run, from process start to exit, with the CPU time the
//! `status` process used (user + system) and the CPU time the test server used (this process's
//! own CPU time over the same runs): on a shared, loaded machine the CPU times are the numbers
//! that say what the work costs.

#[path = "../tests/apiserver/mod.rs"]
mod apiserver;
// The test API server checks its objects with the tests' CRD-schema validation.
#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use apiserver::ApiServer;
use apiserver::fixtures;
use serde_json::{Value, json};

const TEMPLATES: usize = 1_000;
const CLUSTERS: usize = 100;
const RUNS: usize = 7;

/// The health library's healthy Deployment binding, spread over `CLUSTERS` members; bindings
/// with `rolling` set report every tenth member mid-rollout.
fn binding(template: &Value, rolling: bool) -> Value {
    let mut b = fixtures::binding_for("healthy", template);
    let names: Vec<String> = (0..CLUSTERS).map(|i| format!("member{i:03}")).collect();
    b["spec"]["clusters"] = names
        .iter()
        .map(|n| json!({"name": n, "replicas": 2}))
        .collect();
    b["spec"]["placement"]["clusterAffinity"]["clusterNames"] = json!(names);
    b["spec"]["placement"]["replicaScheduling"] = json!({"replicaSchedulingType": "Duplicated"});
    let item = b["status"]["aggregatedStatus"][0].clone();
    b["status"]["aggregatedStatus"] = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut it = item.clone();
            it["clusterName"] = json!(n);
            if rolling && i % 10 == 0 {
                it["status"]["updatedReplicas"] = json!(1);
                it["health"] = json!("Unhealthy");
            }
            it
        })
        .collect();
    b
}

fn main() {
    let server = ApiServer::start();
    for i in 0..CLUSTERS {
        server.put(fixtures::cluster(&format!("member{i:03}"), "healthy"));
    }
    for i in 0..TEMPLATES {
        let ns = format!("team{}", i % 10);
        let t = fixtures::template(
            "bench",
            "apps/v1",
            "Deployment",
            Some(&ns),
            &format!("app{i:04}"),
        );
        server.put(binding(&t, i % 10 == 0));
        server.put(t);
    }
    // The server answers every repeated LIST with the bytes it sent the first time, so its own
    // JSON encoding is paid once, in the untimed warm-up run below.
    server.cache_responses();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig(None)).unwrap();

    let status = || {
        Command::new(env!("CARGO_BIN_EXE_argocd-karmada-plugin"))
            .args(["status", "--app", "bench"])
            .env("KUBECONFIG", &kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .unwrap()
    };
    status();
    let load = load_average();
    let mut times: Vec<Duration> = Vec::new();
    let mut client_cpu: Vec<Duration> = Vec::new();
    let mut server_cpu: Vec<Duration> = Vec::new();
    let mut last = String::new();
    for _ in 0..RUNS {
        let (children, own) = (cpu(libc::RUSAGE_CHILDREN), cpu(libc::RUSAGE_SELF));
        let started = Instant::now();
        let out = status();
        times.push(started.elapsed());
        client_cpu.push(cpu(libc::RUSAGE_CHILDREN) - children);
        server_cpu.push(cpu(libc::RUSAGE_SELF) - own);
        assert_eq!(
            out.status.code(),
            Some(1),
            "rolling bindings make the app Progressing: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        last = String::from_utf8(out.stdout).unwrap();
    }
    let rows = last
        .lines()
        .filter(|l| l.starts_with("Deployment/"))
        .count();
    assert_eq!(rows, TEMPLATES, "one row per template");
    assert!(last.lines().next().unwrap().contains("member099"));
    let ms = |d: &Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!(
        "status --app: {TEMPLATES} templates x {CLUSTERS} clusters, {RUNS} runs (min / median / max)"
    );
    for (what, mut v) in [
        ("wall time to the first complete table", times),
        ("CPU time of the status process", client_cpu),
        ("CPU time of the test API server", server_cpu),
    ] {
        v.sort();
        println!(
            "  {what}: {} / {} / {}",
            ms(&v[0]),
            ms(&v[RUNS / 2]),
            ms(&v[RUNS - 1])
        );
    }
    println!("  load average before the runs: {load}");
}

/// User + system CPU time of this process (`RUSAGE_SELF`) or of its waited-for children.
fn cpu(who: libc::c_int) -> Duration {
    // SAFETY: getrusage only writes the struct we pass.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut r) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(r.ru_utime) + tv(r.ru_stime)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
