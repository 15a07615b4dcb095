//! Deployment status aggregation over growing numbers of member clusters, per call: script load +
//! argument conversion + call + result conversion, as Karmada does per call.
//!
//! Run: `cargo bench --bench interpreter` (our own Karmada-mode VM, in process); with
//! `KARMADA_LUA_ORACLE=path/to/karmada-lua-oracle` the real gopher-lua with Karmada's sandbox is
//! timed beside it (inside its process, so without the pipe).

use argocd_karmada_plugin::karmada::interpreter::r#gen::{customizations, find};
use argocd_karmada_plugin::karmada::interpreter::oracle::OracleVm;
use argocd_karmada_plugin::karmada::interpreter::vm::{Call, InterpreterVm, NativeVm};
use serde_json::{Value, json};

const ROUNDS: usize = 15;

fn items(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let mut status = json!({"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
                    "availableReplicas": 2, "observedGeneration": 4, "generation": 4,
                    "resourceTemplateGeneration": 3,
                    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]});
                if i % 97 == 0 {
                    status["conditions"][1] = json!({"type": "Progressing", "status": "False",
                        "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."});
                }
                json!({"clusterName": format!("member-{i:05}"), "applied": true, "health": "Healthy", "status": status})
            })
            .collect(),
    )
}

fn main() {
    let oracle =
        std::env::var_os("KARMADA_LUA_ORACLE").map(|p| OracleVm::new(std::path::Path::new(&p)));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = customizations(&root).unwrap();
    let script = &find(&all, "apps/v1", "Deployment").unwrap().aggregation;
    let template = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "generation": 3}, "spec": {"replicas": 2}});
    // The same arguments through a script that only returns the template: the cost of
    // converting the arguments and the result, which every script pays.
    let baseline = "function AggregateStatus(desiredObj, statusItems)\n  return desiredObj\nend\n";
    println!(
        "{:>8} {:>14} {:>12} {:>18} {:>16} {:>16}",
        "clusters",
        "ours: median",
        "min",
        "baseline: median",
        "ours - baseline",
        "gopher-lua: median"
    );
    for n in sizes() {
        let args = vec![template.clone(), items(n)];
        let ours_call = Call::new("AggregateStatus", script, args.clone());
        let ours = native_median_and_min(&ours_call);
        let base = native_median_and_min(&Call::new("AggregateStatus", baseline, args));
        let go = oracle
            .as_ref()
            .map(|vm| format!("{:.3} ms", oracle_median_and_min(vm, &ours_call).0))
            .unwrap_or_else(|| "-".into());
        println!(
            "{n:>8} {:>11.3} ms {:>9.3} ms {:>15.3} ms {:>13.3} ms {go:>18}",
            ours.0,
            ours.1,
            base.0,
            ours.0 - base.0
        );
    }
}

/// Cluster counts from the command line (`cargo bench --bench interpreter -- 1000`, e.g. to
/// profile one size), else 10, 100, 1,000 and 5,000.
fn sizes() -> Vec<usize> {
    let given: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if given.is_empty() {
        vec![10, 100, 1_000, 5_000]
    } else {
        given
    }
}

fn median_and_min(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[0])
}

/// Median and minimum time (ms) of `ROUNDS` runs of one call in our VM (after one warm-up).
fn native_median_and_min(call: &Call) -> (f64, f64) {
    NativeVm.call(call).unwrap();
    let ms = (0..ROUNDS)
        .map(|_| {
            let start = std::time::Instant::now();
            std::hint::black_box(NativeVm.call(call).unwrap());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median_and_min(ms)
}

/// Median and minimum time (ms) of `ROUNDS` runs of one call, as gopher-lua times them.
fn oracle_median_and_min(vm: &OracleVm, call: &Call) -> (f64, f64) {
    let calls = vec![call.clone(); ROUNDS];
    let ms = vm
        .timed_call_all(&calls)
        .unwrap()
        .into_iter()
        .map(|(r, ms)| {
            r.unwrap();
            ms
        })
        .collect();
    median_and_min(ms)
}
