//! Lua VM cost per evaluation: our reused state + per-run environment vs a fresh state per run
//! (what Argo CD's controller does), on a small object and on bindings of growing size.
//!
//! Run: `cargo bench --bench lua_vm`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use argocd_karmada_plugin::argo::health::{
    VmOptions, evaluate_health, evaluate_health_fresh_state,
};
use serde_json::{Value, json};

const TRIVIAL: &str = r#"return {status = "Healthy", message = "ok"}"#;

/// A typical binding check: loop over the clusters, count the healthy ones, build a message.
const LOOP: &str = r#"
local healthy, total, bad = 0, 0, {}
for _, item in ipairs(obj.status.aggregatedStatus or {}) do
  total = total + 1
  if item.health == "Healthy" and item.applied then
    healthy = healthy + 1
  elseif #bad < 3 then
    table.insert(bad, item.clusterName .. ": " .. tostring(item.health))
  end
end
if healthy == total then
  return {status = "Healthy", message = healthy .. "/" .. total .. " clusters healthy"}
end
return {status = "Degraded", message = healthy .. "/" .. total .. " clusters healthy; " .. table.concat(bad, ", ")}
"#;

fn binding(clusters: usize) -> Value {
    let status: Vec<Value> = (0..clusters)
        .map(|i| {
            json!({
                "clusterName": format!("member{i}"),
                "applied": true,
                "health": if i % 97 == 5 { "Unhealthy" } else { "Healthy" },
                "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "observedGeneration": 2}
            })
        })
        .collect();
    let spec: Vec<Value> = (0..clusters)
        .map(|i| json!({"name": format!("member{i}"), "replicas": 3}))
        .collect();
    json!({
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": "web", "namespace": "demo", "generation": 2},
        "spec": {"clusters": spec, "replicas": 3 * clusters},
        "status": {"aggregatedStatus": status, "conditions": [{"type": "Scheduled", "status": "True"}]}
    })
}

fn time(label: &str, budget: Duration, mut f: impl FnMut()) {
    f(); // warm up: state creation, chunk compilation
    let mut runs = 0u32;
    let start = Instant::now();
    while start.elapsed() < budget {
        f();
        runs += 1;
    }
    let per = start.elapsed() / runs;
    println!(
        "{label:<58} {:>10.1} µs/eval  ({runs} runs)",
        per.as_secs_f64() * 1e6
    );
}

fn main() {
    let opts = VmOptions::default();
    let open = VmOptions {
        open_libs: true,
        ..VmOptions::default()
    };
    let small = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3}});
    let budget = Duration::from_millis(1500);
    time("trivial script, small object, reused state", budget, || {
        black_box(evaluate_health(TRIVIAL, &small, &opts).unwrap());
    });
    time(
        "trivial script, small object, fresh state per eval",
        budget,
        || {
            black_box(evaluate_health_fresh_state(TRIVIAL, &small, &opts).unwrap());
        },
    );
    time(
        "trivial script, small object, open libs, reused state",
        budget,
        || {
            black_box(evaluate_health(TRIVIAL, &small, &open).unwrap());
        },
    );
    time(
        "trivial script, small object, open libs, fresh state",
        budget,
        || {
            black_box(evaluate_health_fresh_state(TRIVIAL, &small, &open).unwrap());
        },
    );
    for n in [10, 100, 1000, 5000] {
        let obj = binding(n);
        time(
            &format!("return nil (obj conversion only), {n} clusters"),
            budget,
            || {
                black_box(evaluate_health("return nil", &obj, &opts).unwrap());
            },
        );
        time(
            &format!("binding loop script, {n} clusters, reused state"),
            budget,
            || {
                black_box(evaluate_health(LOOP, &obj, &opts).unwrap());
            },
        );
    }
}
