//! The generated health library (`health-lua/` -> `argocd-cm-patch.yaml`): its suites pass in
//! our Argo CD-faithful VM, the committed artifacts are fresh, and no input makes a script fail.

mod common;

use std::process::Command;
use std::time::Instant;

use argocd_karmada_plugin::argo::health::{HealthStatus, VmOptions, evaluate_health};
use argocd_karmada_plugin::health::r#gen::{self as health_gen, Check};
use argocd_karmada_plugin::health::suite;
use serde_json::{Map, Value, json};

const VALID: [&str; 6] = [
    "Healthy",
    "Progressing",
    "Suspended",
    "Degraded",
    "Missing",
    "Unknown",
];

fn library() -> Vec<Check> {
    health_gen::checks(&common::repo_root()).expect("the library renders")
}

/// Every `health_test.yaml` case of every check: (check dir, case input path, object, expected).
fn suite_cases() -> Vec<(String, String, Value, HealthStatus)> {
    let root = common::repo_root().join(health_gen::LIBRARY_DIR);
    let mut cases = Vec::new();
    for (group, kind) in health_gen::CHECKS {
        let dir = root.join(group).join(kind);
        for case in suite::read_suite(&dir.join("health_test.yaml")).unwrap() {
            let path = dir.join(&case.input_path);
            let obj =
                suite::parse_object(&common::read(&path), &path.display().to_string()).unwrap();
            cases.push((
                format!("{group}/{kind}"),
                case.input_path,
                obj,
                case.expected,
            ));
        }
    }
    cases
}

/// What users run: the suites against the shipped ConfigMap patch, through the binary.
#[test]
fn health_test_passes_against_the_shipped_patch() {
    let root = common::repo_root();
    let out = Command::new(common::bin())
        .args(["health", "test", "--no-open-libs", "--argocd-cm"])
        .arg(root.join(health_gen::CM_PATCH))
        .arg(root.join(health_gen::LIBRARY_DIR))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let want = format!("{} passed, 0 failed", suite_cases().len());
    assert_eq!(stdout.lines().last(), Some(want.as_str()), "{stdout}");
}

#[test]
fn suites_pass_in_our_vm() {
    let scripts: std::collections::HashMap<String, String> = library()
        .into_iter()
        .map(|c| (format!("{}/{}", c.group, c.kind), c.script))
        .collect();
    let cases = suite_cases();
    let mut failures = Vec::new();
    let mut per_check: std::collections::BTreeMap<&str, usize> = Default::default();
    for (check, input, obj, expected) in &cases {
        *per_check.entry(check).or_default() += 1;
        match evaluate_health(&scripts[check], obj, &VmOptions::default()) {
            Ok(got) if &got == expected => {}
            Ok(got) => failures.push(format!("{check}/{input}: got {got:?}, want {expected:?}")),
            Err(e) => failures.push(format!("{check}/{input}: error {e:#}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every check has its own suite; the bindings are covered in depth.
    for (group, kind) in health_gen::CHECKS {
        let n = per_check[format!("{group}/{kind}").as_str()];
        assert!(n >= 4, "{group}/{kind}: only {n} cases");
    }
    assert!(per_check["work.karmada.io/ResourceBinding"] >= 15);
    assert!(per_check["work.karmada.io/ClusterResourceBinding"] >= 8);
}

#[test]
fn gen_check_passes_and_detects_staleness() {
    let out = Command::new(common::bin())
        .args(["gen", "--check", "--root"])
        .arg(common::repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gen --check: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A copy of the library whose patch is stale must fail, naming the file.
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo_root().join("health-lua"),
        &tmp.path().join("health-lua"),
    );
    std::fs::write(tmp.path().join("argocd-cm-patch.yaml"), "stale\n").unwrap();
    let out = Command::new(common::bin())
        .args(["gen", "--check", "--root"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    // (Other projects' artifacts are missing from this copy and reported too; only ours matter.)
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stale: Vec<&str> = stderr
        .split("stale generated files: ")
        .nth(1)
        .and_then(|rest| rest.split(" (run").next())
        .map(|list| list.split(", ").collect())
        .unwrap_or_default();
    assert!(stale.contains(&"argocd-cm-patch.yaml"), "{stderr}");
    assert!(
        !stale.iter().any(|p| p.starts_with("health-lua/")),
        "{stderr}"
    );
}

/// The README's kustomize recipe on Argo CD's own install manifest: the patch lands on
/// `argocd-cm`, adds every key with the generated text, and keeps the install's own keys.
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn patch_applies_to_argo_cds_install_with_kustomize() {
    let reference = common::reference_dir("argocd-cm-patch.yaml applies with kustomize");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        reference.join("argocd/install.yaml"),
        dir.path().join("install.yaml"),
    )
    .unwrap();
    std::fs::copy(
        common::repo_root().join(health_gen::CM_PATCH),
        dir.path().join("argocd-cm-patch.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "resources:\n- install.yaml\npatches:\n- path: argocd-cm-patch.yaml\n",
    )
    .unwrap();
    let out = argocd_karmada_plugin::exec::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .run()
        .unwrap();
    assert!(out.success(), "kubectl kustomize: {}", out.stderr_text());
    let docs = argocd_karmada_plugin::yaml::parse_stream(
        &String::from_utf8(out.stdout).unwrap(),
        "kustomize output",
    )
    .unwrap();
    let cms: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "argocd-cm")
        .collect();
    assert_eq!(cms.len(), 1);
    let data = cms[0]["data"].as_object().unwrap();
    let patch = argocd_karmada_plugin::yaml::parse_one(
        &common::read(&common::repo_root().join(health_gen::CM_PATCH)),
        health_gen::CM_PATCH,
    )
    .unwrap();
    for (key, value) in patch["data"].as_object().unwrap() {
        assert_eq!(data.get(key), Some(value), "{key}");
    }
    for check in library() {
        let key = health_gen::cm_key("health", check.group, check.kind);
        assert_eq!(data[&key].as_str(), Some(check.script.as_str()), "{key}");
    }
    // Argo CD's own settings survive (the patch never sets the global `all` keys).
    assert!(data.contains_key("resource.customizations.ignoreResourceUpdates.all"));
    assert!(data.contains_key("resource.exclusions"));
}

#[test]
fn scripts_need_only_base_and_table() {
    // The default sandbox (no useOpenLibs) is what the patch relies on: no string, math or os
    // global, no string methods. A textual check on top of running the suites without them.
    for check in library() {
        for forbidden in [
            "string.", "math.", "os.", "require(", "goto ", "::", ":sub(", ":find(",
        ] {
            assert!(
                !check.script.contains(forbidden),
                "{}/{}: uses `{forbidden}`",
                check.group,
                check.kind
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Never breaks: generated and mutated objects through every generated script.

use common::rng::Rng;

const WORDS: [&str; 16] = [
    "Healthy",
    "Unhealthy",
    "Unknown",
    "True",
    "False",
    "member1",
    "Deployment",
    "Failed",
    "Complete",
    "Ready",
    "Scheduled",
    "Running",
    "",
    "3",
    "apps/v1",
    "ProgressDeadlineExceeded",
];

const KINDS: [(&str, &str); 18] = [
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("networking.k8s.io/v1", "Ingress"),
    ("v1", "PersistentVolumeClaim"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("argoproj.io/v1alpha1", "Rollout"),
    ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("apps.kruise.io/v1alpha1", "CloneSet"),
    ("v1", "ConfigMap"),
    ("example.io/v1", "Widget"),
];

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.below(7)),
        3 => json!(-(rng.below(5) as i64)),
        4 => json!(1e300),
        5 => json!(0.5),
        6 => json!(rng.below(7).to_string()),
        _ => json!(*rng.pick(&WORDS)),
    }
}

/// A random value of any shape, including deep nesting.
fn junk(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 6 { 1 } else { 4 }) {
        0 => scalar(rng),
        1 => Value::Array((0..rng.below(4)).map(|_| junk(rng, depth + 1)).collect()),
        2 => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                let key = *rng.pick(&[
                    "status",
                    "health",
                    "applied",
                    "name",
                    "replicas",
                    "conditions",
                    "type",
                    "reason",
                    "message",
                    "clusterName",
                    "phase",
                    "x",
                ]);
                m.insert(key.to_string(), junk(rng, depth + 1));
            }
            Value::Object(m)
        }
        _ => {
            // Deep nesting.
            let mut v = scalar(rng);
            for _ in 0..(10 + rng.below(60)) {
                v = if rng.chance(50) {
                    json!([v])
                } else {
                    json!({ "status": v })
                };
            }
            v
        }
    }
}

/// A realistic member status for a kind, with random counters.
fn member_status(rng: &mut Rng, kind: &str) -> Value {
    let mut n = || rng.below(5);
    match kind {
        "Deployment" | "Rollout" | "CloneSet" | "ReplicaSet" | "StatefulSet" => json!({
            "replicas": n(), "updatedReplicas": n(), "readyReplicas": n(), "availableReplicas": n(),
            "observedGeneration": n(), "generation": n(), "updatedReadyReplicas": n(),
        }),
        "DaemonSet" => json!({
            "desiredNumberScheduled": n(), "updatedNumberScheduled": n(), "numberAvailable": n(),
            "observedGeneration": n(), "generation": n(),
        }),
        "Job" => {
            json!({"active": n(), "conditions": [{"type": (["Failed", "Complete", "Suspended"][n() % 3]), "status": "True", "message": "m"}]})
        }
        "Pod" => {
            json!({"phase": (["Running", "Pending", "Failed", "Succeeded", "X"][n()]), "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]})
        }
        "Service" | "Ingress" => json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}),
        _ => json!({"phase": "Bound", "currentReplicas": n(), "desiredReplicas": n()}),
    }
}

/// A ResourceBinding with `clusters` targets and random per-cluster states.
fn binding(rng: &mut Rng, clusters: usize) -> Value {
    let (api, kind) = *rng.pick(&KINDS);
    let names: Vec<String> = (0..clusters).map(|i| format!("member{i}")).collect();
    let spec_clusters: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "replicas": rng.below(4)}))
        .collect();
    let mut items = Vec::new();
    for n in &names {
        match rng.below(6) {
            0 => {}
            1 => items.push(
                json!({"clusterName": n, "health": "Unknown", "appliedMessage": "Failed to apply"}),
            ),
            2 => items.push(json!({"clusterName": n, "applied": true, "health": "Unknown"})),
            _ => items.push(json!({
                "clusterName": n, "applied": true,
                "health": *rng.pick(&["Healthy", "Unhealthy", "Unknown"]),
                "status": member_status(rng, kind),
            })),
        }
    }
    let mut spec = json!({
        "resource": {"apiVersion": api, "kind": kind, "name": "x", "namespace": "default"},
        "clusters": spec_clusters,
    });
    if rng.chance(10) {
        spec["requiredBy"] =
            json!([{"name": "a", "clusters": [{"name": "member0"}, {"name": "extra"}]}]);
    }
    if rng.chance(10) {
        spec["suspension"] = json!({"dispatching": rng.chance(50), "dispatchingOnClusters": {"clusterNames": ["member1"]}});
    }
    json!({
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": "x", "namespace": "default", "generation": rng.below(4)},
        "spec": spec,
        "status": {
            "schedulerObservedGeneration": rng.below(4),
            "conditions": [{"type": "Scheduled", "status": *rng.pick(&["True", "False"]), "reason": "NoClusterFit"}],
            "aggregatedStatus": items,
        },
    })
}

/// Visits a random node of `v` (possibly the root) and applies `f` to it.
fn at_random_node(rng: &mut Rng, v: &mut Value, f: &mut dyn FnMut(&mut Rng, &mut Value)) {
    let stop = rng.chance(25);
    let len = match v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if stop || len == 0 {
        f(rng, v);
        return;
    }
    let i = rng.below(len);
    match v {
        Value::Object(m) => {
            let child = m.values_mut().nth(i).expect("in range");
            at_random_node(rng, child, f);
        }
        Value::Array(a) => at_random_node(rng, &mut a[i], f),
        _ => unreachable!(),
    }
}

fn mutate(rng: &mut Rng, v: &mut Value) {
    // Huge lists are rare: they cost most of the fuzzer's time in debug builds.
    let what = if rng.chance(2) {
        6
    } else {
        *rng.pick(&[0, 1, 2, 3, 4, 5, 7])
    };
    at_random_node(rng, v, &mut |rng, node| match what {
        0 => *node = scalar(rng),
        1 => *node = junk(rng, 0),
        // A number as a string, or a string where a number belongs.
        2 => {
            let replaced = match &*node {
                Value::Number(n) => json!(n.to_string()),
                other => json!(other.to_string()),
            };
            *node = replaced;
        }
        // Drop a key, or an element.
        3 => match node {
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(rng.below(m.len())).cloned().unwrap();
                m.remove(&k);
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => *node = Value::Null,
        },
        // Duplicate list items; nulls inside lists.
        4 => match node {
            Value::Array(a) if !a.is_empty() => {
                let item = a[rng.below(a.len())].clone();
                a.push(item);
                a.insert(rng.below(a.len()), Value::Null);
            }
            _ => *node = json!([Value::Null, node.clone()]),
        },
        // An object turned into a list of its values, or a list into an object.
        5 => {
            let replaced = match &*node {
                Value::Object(m) => Value::Array(m.values().cloned().collect()),
                Value::Array(a) => json!({"0": a.first().cloned().unwrap_or(Value::Null)}),
                other => json!({"value": other.clone()}),
            };
            *node = replaced;
        }
        // A huge list (of small items: the point is length, not memory).
        6 => {
            let item = if rng.chance(50) {
                scalar(rng)
            } else {
                json!({"name": "member1", "clusterName": "member1", "applied": true, "health": "Unhealthy", "type": "Failed"})
            };
            *node = Value::Array(vec![item; 100 + rng.below(500)]);
        }
        _ => {
            if let Value::Object(m) = node {
                let key = *rng.pick(&WORDS);
                m.insert(key.to_string(), junk(rng, 2));
            } else {
                *node = Value::Object(Map::new());
            }
        }
    });
}

/// The object for a failure message, cut to a readable length.
fn shown(obj: &Value) -> String {
    let text = serde_json::to_string(obj).unwrap();
    match text.char_indices().nth(3000) {
        Some((i, _)) => format!("{}... ({} bytes)", &text[..i], text.len()),
        None => text,
    }
}

fn check_result(script: &str, name: &str, obj: &Value) -> String {
    match evaluate_health(script, obj, &VmOptions::default()) {
        Ok(h) => {
            assert!(
                VALID.contains(&h.status.as_str()) && !h.message.is_empty(),
                "{name}: invalid result {h:?} for {}",
                shown(obj)
            );
            assert_ne!(
                h.message,
                "Lua returned an invalid health status",
                "{name}: {}",
                shown(obj)
            );
            h.status
        }
        Err(e) => panic!("{name}: script error {e:#} for {}", shown(obj)),
    }
}

/// At least 100,000 evaluations in all (four tests of 25,000, so they run in parallel): every
/// script gets the library's own test inputs (of every check, not only its own), mutated, and
/// random bindings of up to 300 clusters, mutated.
fn fuzz(seed: u64, evaluations: usize) {
    let checks = library();
    let seeds: Vec<Value> = suite_cases().into_iter().map(|c| c.2).collect();
    let mut rng = Rng(seed);
    let mut seen = std::collections::BTreeSet::<String>::new();
    let started = Instant::now();
    for i in 0..evaluations {
        let check = &checks[i % checks.len()];
        let mut obj = if rng.chance(70) {
            rng.pick(&seeds).clone()
        } else {
            let max = if rng.chance(2) { 300 } else { 12 };
            let n = rng.below(max);
            binding(&mut rng, n)
        };
        for _ in 0..rng.below(4) {
            mutate(&mut rng, &mut obj);
        }
        // Objects keep their own kind, so each script also sees every other kind's shapes.
        seen.insert(check_result(
            &check.script,
            &format!("{}/{}", check.group, check.kind),
            &obj,
        ));
    }
    // The inputs stay meaningful enough to reach every verdict, not just one fallback.
    for status in ["Healthy", "Progressing", "Degraded", "Suspended", "Unknown"] {
        assert!(seen.contains(status), "no {status} result in {seen:?}");
    }
    eprintln!(
        "{evaluations} fuzzed evaluations (seed {seed:#x}) over {} scripts in {:.1?}",
        checks.len(),
        started.elapsed()
    );
}

const FUZZ_PER_TEST: usize = 25_000;

#[test]
fn no_input_breaks_a_script_1() {
    fuzz(0x5EED_CAFE_F00D_0001, FUZZ_PER_TEST);
}

#[test]
fn no_input_breaks_a_script_2() {
    fuzz(0x5EED_CAFE_F00D_0002, FUZZ_PER_TEST);
}

#[test]
fn no_input_breaks_a_script_3() {
    fuzz(0x5EED_CAFE_F00D_0003, FUZZ_PER_TEST);
}

#[test]
fn no_input_breaks_a_script_4() {
    fuzz(0x5EED_CAFE_F00D_0004, FUZZ_PER_TEST);
}

/// Thousands of clusters, deep nesting and non-object inputs, through every script.
#[test]
fn extreme_inputs_do_not_break_a_script() {
    let mut rng = Rng(7);
    let big = binding(&mut rng, 5_000);
    let mut deep = json!("x");
    for i in 0..150 {
        deep = if i % 2 == 0 {
            json!({"spec": {"clusters": [deep]}})
        } else {
            json!({"status": {"aggregatedStatus": [{"status": deep}]}})
        };
    }
    for check in library() {
        let name = format!("{}/{}", check.group, check.kind);
        for obj in [
            &big,
            &deep,
            &Value::Null,
            &json!([]),
            &json!("x"),
            &json!(3),
        ] {
            check_result(&check.script, &name, obj);
        }
    }
    // The 5,000-cluster binding is judged, not just survived.
    let rb = library()
        .into_iter()
        .find(|c| c.kind == "ResourceBinding")
        .unwrap();
    let h = evaluate_health(&rb.script, &big, &VmOptions::default()).unwrap();
    assert!(h.message.contains("/5000 clusters healthy"), "{h:?}");
    assert!(h.message.ends_with(" more"), "{h:?}");
}

// ---------------------------------------------------------------------------------------------
// Differential fuzzing: the same fuzzed inputs in real gopher-lua (the oracle) give the same
// status and message as in our VM, so what the fuzz test proves for our VM holds for Argo CD.

#[test]
#[cfg_attr(
    not(has_oracle),
    ignore = "needs the gopher-lua oracle: set ARGO_LUA_ORACLE"
)]
fn fuzzed_inputs_match_the_oracle() {
    const EVALUATIONS: usize = 8_000;
    let oracle = common::oracle("fuzzed health-lua inputs vs gopher-lua oracle");
    let checks = library();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<std::path::PathBuf> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = dir.path().join(format!("check{i}.lua"));
            std::fs::write(&p, &c.script).unwrap();
            p
        })
        .collect();
    let seeds: Vec<Value> = suite_cases().into_iter().map(|c| c.2).collect();
    let mut rng = Rng(0xD1FF_0000_0000_0001);
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    while requests.len() < EVALUATIONS {
        let i = requests.len() % checks.len();
        let mut obj = if rng.chance(70) {
            rng.pick(&seeds).clone()
        } else {
            let n = rng.below(40);
            binding(&mut rng, n)
        };
        for _ in 0..rng.below(4) {
            mutate(&mut rng, &mut obj);
        }
        // Argo CD always hands over an object (the oracle accepts nothing else).
        if !obj.is_object() || serde_json::to_string(&obj).unwrap().len() > 100_000 {
            continue;
        }
        ours.push(evaluate_health(
            &checks[i].script,
            &obj,
            &VmOptions::default(),
        ));
        requests.push(json!({"id": requests.len(), "script": paths[i], "object": obj}));
    }
    let results = common::oracle_batch(&oracle, &["--no-lint", "--key-order", "random"], &requests);
    let mut differences = Vec::new();
    for ((request, result), mine) in requests.iter().zip(&results).zip(&ours) {
        let theirs = match result.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
            None => Ok(HealthStatus {
                status: result["status"].as_str().unwrap_or_default().to_string(),
                message: result["message"].as_str().unwrap_or_default().to_string(),
            }),
        };
        let mine = mine.as_ref().map_err(|e| format!("{e:#}")).cloned();
        if mine != theirs && differences.len() < 5 {
            differences.push(format!(
                "{}: ours {mine:?}, oracle {theirs:?}, object {}",
                request["script"],
                shown(&request["object"])
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
