//! Deployment status aggregation over growing numbers of member clusters, timed inside the VM
//! (script load + call + result conversion, as Karmada does per call).
//!
//! Run: `KARMADA_LUA_ORACLE=path/to/karmada-lua-oracle cargo bench --bench interpreter`
//! (the real gopher-lua with Karmada's sandbox; our own Karmada-mode VM plugs in the same way).

use argocd_karmada_plugin::karmada::interpreter::r#gen::{customizations, find};
use argocd_karmada_plugin::karmada::interpreter::oracle::OracleVm;
use argocd_karmada_plugin::karmada::interpreter::vm::Call;
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
    let Some(path) = std::env::var_os("KARMADA_LUA_ORACLE") else {
        eprintln!("set KARMADA_LUA_ORACLE to run this benchmark");
        return;
    };
    let vm = OracleVm::new(std::path::Path::new(&path));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = customizations(&root).unwrap();
    let script = &find(&all, "apps/v1", "Deployment").unwrap().aggregation;
    let template = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "generation": 3}, "spec": {"replicas": 2}});
    // The same arguments through a script that only returns the template: the cost of
    // converting the arguments and the result, which every script pays.
    let baseline = "function AggregateStatus(desiredObj, statusItems)\n  return desiredObj\nend\n";
    println!(
        "{:>8} {:>14} {:>12} {:>18} {:>16}",
        "clusters", "ours: median", "min", "baseline: median", "ours - baseline"
    );
    for n in [10, 100, 1_000, 2_000] {
        let args = vec![template.clone(), items(n)];
        let ours = median_and_min(&vm, &Call::new("AggregateStatus", script, args.clone()));
        let base = median_and_min(&vm, &Call::new("AggregateStatus", baseline, args));
        println!(
            "{n:>8} {:>11.3} ms {:>9.3} ms {:>15.3} ms {:>13.3} ms",
            ours.0,
            ours.1,
            base.0,
            ours.0 - base.0
        );
    }
}

/// Median and minimum time (ms) of `ROUNDS` runs of one call.
fn median_and_min(vm: &OracleVm, call: &Call) -> (f64, f64) {
    let calls = vec![call.clone(); ROUNDS];
    let mut ms: Vec<f64> = vm
        .timed_call_all(&calls)
        .unwrap()
        .into_iter()
        .map(|(r, ms)| {
            r.unwrap();
            ms
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[0])
}
