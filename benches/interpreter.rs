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

// The allocator the binary runs with (src/main.rs): the Lua heap comes from it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 25;

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
    // Wall time suffers from a busy machine; the thread's CPU time much less, and its minimum
    // (best of the rounds) least.
    println!(
        "{:>8} {:>12} {:>10} {:>12} {:>10} {:>14} {:>15} {:>12} {:>18}",
        "clusters",
        "wall median",
        "wall min",
        "CPU median",
        "CPU min",
        "baseline: CPU",
        "ours - baseline",
        "per cluster",
        "gopher-lua: median"
    );
    for n in sizes() {
        let args = vec![template.clone(), items(n)];
        let ours_call = Call::new("AggregateStatus", script, args.clone());
        let ours = native_times(&ours_call);
        let base = native_times(&Call::new("AggregateStatus", baseline, args));
        let go = oracle
            .as_ref()
            .map(|vm| format!("{:.3} ms", oracle_median_and_min(vm, &ours_call).0))
            .unwrap_or_else(|| "-".into());
        let (wall, cpu, base_cpu) = (
            median_and_min(ours.0),
            median_and_min(ours.1),
            median_and_min(base.1),
        );
        println!(
            "{n:>8} {:>9.3} ms {:>7.3} ms {:>9.3} ms {:>7.3} ms {:>11.3} ms {:>12.3} ms {:>9.3} us {go:>18}",
            wall.0,
            wall.1,
            cpu.0,
            cpu.1,
            base_cpu.1,
            cpu.1 - base_cpu.1,
            cpu.1 * 1e3 / n as f64,
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

/// Wall and thread CPU times (ms) of `ROUNDS` runs of one call in our VM (after one warm-up).
fn native_times(call: &Call) -> (Vec<f64>, Vec<f64>) {
    NativeVm.call(call).unwrap();
    (0..ROUNDS)
        .map(|_| {
            let (wall, cpu) = (std::time::Instant::now(), thread_cpu_ms());
            std::hint::black_box(NativeVm.call(call).unwrap());
            (wall.elapsed().as_secs_f64() * 1e3, thread_cpu_ms() - cpu)
        })
        .unzip()
}

/// CPU time this thread has used, in ms.
fn thread_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
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
