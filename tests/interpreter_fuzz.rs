//! Never breaks Karmada: mutated member objects and item lists through every customization
//! operation. No Lua error, reflection always returns an object, and aggregation always returns
//! the template with a status kube-apiserver accepts for its kind.
//!
//! The VM is an [`InterpreterVm`]: our own Karmada-mode VM ([`NativeVm`]) runs
//! `INTERPRETER_FUZZ_CASES` cases (default 400, so the suite stays fast; 50,000 for a full run);
//! the real gopher-lua (`karmada-lua-oracle`) gives the same results on a 500-case sample.

mod common;

use argocd_karmada_plugin::argo::health::builtin;
use argocd_karmada_plugin::argo::health::{VmOptions, evaluate_health};
use argocd_karmada_plugin::karmada::interpreter::r#gen::{
    Customization, OPT_IN_CHECKS, customizations, opt_in_script,
};
use argocd_karmada_plugin::karmada::interpreter::vm::{Call, InterpreterVm, NativeVm};
use argocd_karmada_plugin::karmada::interpreter::{self, kube_status};
use common::rng::Rng;
use serde_json::{Value, json};

const TIMES: &[&str] = &[
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:05:00Z",
    "2026-02-03T04:05:06Z",
];

/// A counter as members report it, or (sometimes) anything else.
fn number(r: &mut Rng) -> Value {
    match r.below(20) {
        0 => json!(-1 - r.below(5) as i64),
        1 => json!("3"),
        2 => json!(1.5),
        3 => Value::Null,
        4 => json!(4_294_967_296u64),
        5 => json!({"n": 1}),
        6 => json!(true),
        _ => json!(r.below(6)),
    }
}

fn time(r: &mut Rng) -> Value {
    match r.below(8) {
        0 => json!(""),
        1 => json!("yesterday"),
        2 => json!(7),
        _ => json!(r.pick(TIMES)),
    }
}

fn condition(r: &mut Rng) -> Value {
    if r.chance(5) {
        return json!("not a condition");
    }
    let types = [
        "Progressing",
        "Available",
        "ReplicaFailure",
        "Complete",
        "Failed",
        "FailureTarget",
        "SuccessCriteriaMet",
        "Suspended",
    ];
    let reasons = [
        "ProgressDeadlineExceeded",
        "NewReplicaSetAvailable",
        "BackoffLimitExceeded",
        "",
    ];
    let mut c = json!({"type": r.pick(&types), "status": r.pick(&["True", "False", "Unknown"])});
    if r.chance(70) {
        c["reason"] = json!(r.pick(&reasons));
    }
    if r.chance(50) {
        c["message"] = json!(if r.chance(10) {
            "é".repeat(150)
        } else {
            "went wrong".into()
        });
    }
    if r.chance(40) {
        c["lastTransitionTime"] = time(r);
    }
    c
}

const FIELDS: &[&str] = &[
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "currentReplicas",
    "observedGeneration",
    "currentNumberScheduled",
    "desiredNumberScheduled",
    "numberAvailable",
    "numberMisscheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberUnavailable",
    "active",
    "succeeded",
    "failed",
    "ready",
    "generation",
    "resourceTemplateGeneration",
];

/// A status as a member (or a reflection) might carry it.
fn status(r: &mut Rng) -> Value {
    match r.below(12) {
        0 => return json!("garbage"),
        1 => return json!([]),
        2 => return json!({}),
        _ => {}
    }
    let mut s = json!({});
    for f in FIELDS {
        if r.chance(45) {
            s[*f] = number(r);
        }
    }
    if r.chance(50) {
        let n = r.below(4);
        s["conditions"] = if r.chance(5) {
            json!({"type": "Progressing"})
        } else {
            Value::Array((0..n).map(|_| condition(r)).collect())
        };
    }
    for t in ["startTime", "completionTime"] {
        if r.chance(30) {
            s[t] = time(r);
        }
    }
    s
}

fn member(r: &mut Rng, kind: &str) -> Value {
    let mut m = json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "x"}});
    if r.chance(80) {
        m["metadata"]["generation"] = number(r);
    }
    if r.chance(70) {
        let g = match r.below(6) {
            0 => json!("abc"),
            1 => json!(""),
            2 => json!(3),
            3 => json!("-2"),
            _ => json!(r.below(5).to_string()),
        };
        m["metadata"]["annotations"] = json!({"resourcetemplate.karmada.io/generation": g});
    }
    if r.chance(90) {
        m["status"] = status(r);
    }
    m
}

fn item(r: &mut Rng, i: usize) -> Value {
    if r.chance(3) {
        return json!(42);
    }
    let mut it = json!({"clusterName": format!("member{i}")});
    match r.below(6) {
        0 => {
            it["appliedMessage"] = json!("Failed to apply all manifests (0/1): denied");
            it["health"] = json!("Unknown");
        }
        1 => {
            it["applied"] = json!(true);
            it["health"] = json!("Unknown");
        }
        2 => it["applied"] = json!(r.pick(&[json!(false), json!("yes"), Value::Null])).clone(),
        _ => {
            it["applied"] = json!(true);
            it["health"] = json!("Healthy");
            it["status"] = status(r);
        }
    }
    if r.chance(3) {
        it["clusterName"] = json!(7);
    }
    it
}

/// A template whose current status kube-apiserver once accepted.
fn template(r: &mut Rng, c: &Customization) -> Value {
    let mut t = json!({"apiVersion": c.api_version(), "kind": c.kind,
        "metadata": {"name": "t", "namespace": "ns", "generation": 1 + r.below(5),
            "creationTimestamp": r.pick(TIMES)},
        "spec": {"replicas": r.below(8)}});
    if c.kind == "StatefulSet" && r.chance(60) {
        t["spec"]["updateStrategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": r.below(4)}});
    }
    if c.kind == "Job" {
        t["spec"] = json!({"suspend": r.chance(20)});
        t["status"] = match r.below(5) {
            0 => json!({"active": 2, "startTime": TIMES[0]}),
            1 => json!({"failed": 1, "startTime": TIMES[0],
                "conditions": [{"type": "FailureTarget", "status": "True", "message": "m"}]}),
            2 => json!({"succeeded": 3, "failed": 2}),
            _ => Value::Null,
        };
    } else if r.chance(60) {
        t["status"] = json!({"observedGeneration": r.below(5), "replicas": 2, "readyReplicas": 1});
    }
    t
}

struct Case {
    kind: &'static str,
    template: Value,
    calls: Vec<Call>,
}

fn cases(n: usize, seed: u64) -> Vec<Case> {
    let all = customizations(&common::repo_root()).unwrap();
    let mut r = Rng(seed);
    (0..n)
        .map(|_| {
            let c = r.pick(&all).clone();
            let template = template(&mut r, &c);
            let items = if r.chance(5) {
                Value::Null
            } else if c.kind == "Job" && r.chance(30) {
                // Every cluster in the same state, now and then one odd field.
                let ctype = *r.pick(&["Complete", "Suspended"]);
                let n = 1 + r.below(4);
                Value::Array(
                    (0..n)
                        .map(|i| {
                            let mut st = json!({"succeeded": 1, "startTime": r.pick(TIMES),
                                "completionTime": r.pick(TIMES),
                                "conditions": [{"type": ctype, "status": "True"}]});
                            if r.chance(20) {
                                let f = *r.pick(FIELDS);
                                st[f] = number(&mut r);
                            }
                            json!({"clusterName": format!("m{i}"), "applied": true, "status": st})
                        })
                        .collect(),
                )
            } else {
                let n = r.below(7);
                Value::Array((0..n).map(|i| item(&mut r, i)).collect())
            };
            let member = member(&mut r, c.kind);
            let calls = vec![
                Call::new(
                    "AggregateStatus",
                    &c.aggregation,
                    vec![template.clone(), items],
                ),
                Call::new("ReflectStatus", &c.reflection, vec![member]),
            ];
            Case {
                kind: c.kind,
                template,
                calls,
            }
        })
        .collect()
}

/// Differential: two VMs give the same result or both fail, for every call.
fn assert_same_results(a: &dyn InterpreterVm, b: &dyn InterpreterVm, calls: &[Call]) {
    let ra = a.call_all(calls);
    let rb = b.call_all(calls);
    for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
        assert_eq!(
            x.as_ref().ok(),
            y.as_ref().ok(),
            "call {i}: {:?} vs {:?}",
            x.as_ref().err(),
            y.as_ref().err()
        );
    }
}

/// Runs `cases` through `vm`; returns every problem found and the condition types written.
fn run(
    vm: &dyn InterpreterVm,
    cases: &[Case],
) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
    let mut written = std::collections::BTreeMap::new();
    let calls: Vec<Call> = cases.iter().flat_map(|c| c.calls.iter().cloned()).collect();
    let mut results = vm.call_all(&calls).into_iter();
    let mut problems = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let aggregated = results.next().unwrap();
        let reflected = results.next().unwrap();
        match aggregated {
            Err(e) => problems.push(format!("case {i} AggregateStatus: {e:#}")),
            Ok(out) => {
                assert_eq!(out["kind"], case.template["kind"]);
                assert_eq!(out["metadata"], case.template["metadata"]);
                for c in out["status"]["conditions"].as_array().into_iter().flatten() {
                    let key = format!("{} {}", case.kind, c["type"].as_str().unwrap_or("?"));
                    *written.entry(key).or_insert(0) += 1;
                }
                for v in kube_status::validate(case.kind, &out, Some(&case.template)) {
                    problems.push(format!("case {i} {}: {v}: {}", case.kind, out["status"]));
                }
                for f in kube_status::dropped_fields(case.kind, &out) {
                    problems.push(format!("case {i} {}: {f} would be dropped", case.kind));
                }
            }
        }
        match reflected {
            Err(e) => problems.push(format!("case {i} ReflectStatus: {e:#}")),
            Ok(v) if !v.is_object() => problems.push(format!("case {i} ReflectStatus gave {v}")),
            Ok(_) => {}
        }
    }
    (problems, written)
}

#[test]
fn customizations_never_break_karmada() {
    let n = std::env::var("INTERPRETER_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let vm = NativeVm;
    let cases = cases(n, 0x5eed_cafe);
    let (problems, written) = run(&vm, &cases);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    eprintln!(
        "{n} fuzz cases, {} calls: no Lua error, every status valid; conditions written: {written:?}",
        2 * n
    );
    // The inputs reach every outcome (else the fuzz proves little).
    for key in [
        "Deployment Progressing",
        "StatefulSet Progressing",
        "DaemonSet Progressing",
        "Job FailureTarget",
        "Job Failed",
        "Job Complete",
        "Job Suspended",
    ] {
        assert!(
            written.get(key).is_some_and(|n| *n > 0),
            "no {key} in {written:?}"
        );
    }
}

/// The real gopher-lua gives the same result or failure as our VM on a 500-case sample (1,000
/// calls), in sorted and in Go-map (random) key order (Karmada decodes into Go maps).
#[test]
#[cfg_attr(
    not(has_karmada_oracle),
    ignore = "needs karmada-lua-oracle: set KARMADA_LUA_ORACLE"
)]
fn the_gopher_lua_oracle_agrees_on_a_fuzz_sample() {
    let oracle = common::karmada_vm::oracle("the_gopher_lua_oracle_agrees_on_a_fuzz_sample");
    // Karmada hands scripts typed `AggregatedStatusItem`s (our VM converts the fuzzed items the
    // same way); the oracle takes its arguments as given, so it gets them converted.
    let sample: Vec<Call> = cases(500, 0x5eed_cafe)
        .iter()
        .flat_map(|c| c.calls.clone())
        .map(|mut call| {
            if let Some(Value::Array(items)) = call.args.get_mut(1) {
                *items = items.iter().map(interpreter::status_item).collect();
            }
            call
        })
        .collect();
    let sorted = common::karmada_vm::OracleVm::new(&oracle);
    assert_same_results(&NativeVm, &sorted, &sample);
    let mut shuffled = common::karmada_vm::OracleVm::new(&oracle);
    shuffled.flags = vec!["--key-order".into(), "random".into()];
    assert_same_results(&NativeVm, &shuffled, &sample);
}

/// The fuzz can fail: a script that writes an invalid status is caught.
#[test]
fn the_fuzz_catches_an_invalid_status() {
    let vm = NativeVm;
    let mut cases = cases(40, 7);
    for c in &mut cases {
        let sum_only = "function AggregateStatus(d, items)\n  d.status = {replicas = -1, active = -1, numberReady = -1}\n  return d\nend\n";
        c.calls[0].script = sum_only.into();
    }
    let problems = run(&vm, &cases).0;
    for i in 0..40 {
        let prefix = format!("case {i} ");
        assert!(
            problems.iter().any(|p| p.starts_with(&prefix)),
            "case {i} not caught"
        );
    }
}

/// Where our status has no Progressing condition, the opt-in checks are Argo CD's built-in ones.
#[test]
fn opt_in_checks_equal_the_built_in_checks_without_our_condition() {
    let mut r = Rng(42);
    let root = common::repo_root();
    let mut compared = 0;
    for (group, kind) in OPT_IN_CHECKS {
        let script = opt_in_script(&root, group, kind).unwrap();
        for _ in 0..3000 {
            let mut obj = json!({"apiVersion": "apps/v1", "kind": kind,
                "metadata": {"name": "w", "generation": r.below(4)},
                "spec": {}, "status": {}});
            if r.chance(70) {
                obj["spec"]["replicas"] = json!(r.below(6));
            }
            obj["spec"]["updateStrategy"] = match r.below(4) {
                0 => json!({"type": "OnDelete"}),
                1 => json!({"type": "RollingUpdate"}),
                2 => json!({"type": "RollingUpdate", "rollingUpdate": {"partition": r.below(4)}}),
                _ => json!({}),
            };
            for f in FIELDS {
                if r.chance(50) {
                    obj["status"][*f] = json!(r.below(6));
                }
            }
            if r.chance(50) {
                obj["status"]["currentRevision"] = json!(r.pick(&["a", "b"]));
                obj["status"]["updateRevision"] = json!(r.pick(&["a", "b"]));
            }
            let lua = evaluate_health(&script, &obj, &VmOptions::default()).unwrap();
            assert_eq!(lua, builtin::health(&obj).unwrap(), "{obj}");
            compared += 1;
        }
    }
    assert_eq!(compared, 6000);
}
