//! Karmada interpreter customizations: the generated file, the scenario suite (member objects ->
//! our reflection -> our aggregation -> Argo CD's health of the template), the opt-in Argo CD
//! checks, and the gopher-lua lint.

mod common;

use std::path::PathBuf;

use argocd_karmada_plugin::argo::health::{HealthStatus, VmOptions, evaluate_health};
use argocd_karmada_plugin::karmada::interpreter::r#gen::{
    self as rgen, Customization, OPT_IN_CHECKS, customizations, opt_in_script,
};
use argocd_karmada_plugin::karmada::interpreter::scenario::Scenario;
use argocd_karmada_plugin::karmada::interpreter::vm::NativeVm;
use common::karmada_vm::{OracleVm, oracle};
use common::schema::CrdSchema;
use serde_json::Value;

fn scenario_files() -> Vec<PathBuf> {
    let dir = common::repo_root().join("interpreter-lua/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Our opt-in argocd-cm check for the object's kind, run as Argo CD runs it.
fn opt_in(obj: &Value) -> Option<anyhow::Result<HealthStatus>> {
    let kind = obj["kind"].as_str()?;
    let (group, kind) = OPT_IN_CHECKS.iter().find(|(_, k)| *k == kind)?;
    let script = opt_in_script(&common::repo_root(), group, kind).unwrap();
    Some(evaluate_health(&script, obj, &VmOptions::default()))
}

fn all() -> Vec<Customization> {
    customizations(&common::repo_root()).unwrap()
}

#[test]
fn scenarios_give_the_expected_app_health() {
    let vm = NativeVm;
    let all = all();
    let files = scenario_files();
    assert!(files.len() >= 15, "scenario files: {}", files.len());
    let mut failures = Vec::new();
    let mut degraded_today = 0;
    let mut degraded_ours = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let s = Scenario::parse(&common::read(file), &name).unwrap();
        let out = s
            .run(&all, &vm, &opt_in)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        for p in s.check(&out) {
            failures.push(format!("{name}: {p}"));
        }
        degraded_today += usize::from(out.today.status == "Degraded");
        degraded_ours += usize::from(
            out.ours.status == "Degraded"
                || out
                    .ours_opt_in
                    .as_ref()
                    .is_some_and(|h| h.status == "Degraded"),
        );
        // Deterministic: the same input gives the same template.
        let again = s.run(&all, &vm, &opt_in).unwrap();
        assert_eq!(again.template, out.template, "{name}: not deterministic");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The point of the customizations: failures that today stay Progressing become Degraded.
    assert_eq!(degraded_today, 0);
    assert!(degraded_ours >= 7, "degraded with ours: {degraded_ours}");
}

/// Our VM and the real gopher-lua give every scenario the same items, template and health.
#[test]
#[cfg_attr(
    not(has_karmada_oracle),
    ignore = "needs karmada-lua-oracle: set KARMADA_LUA_ORACLE"
)]
fn scenarios_are_identical_in_the_gopher_lua_oracle() {
    let oracle = OracleVm::new(&oracle("scenarios_are_identical_in_the_gopher_lua_oracle"));
    let all = all();
    let files = scenario_files();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let s = Scenario::parse(&common::read(file), &name).unwrap();
        let ours = s.run(&all, &NativeVm, &opt_in).unwrap();
        let theirs = s.run(&all, &oracle, &opt_in).unwrap();
        assert_eq!(ours.items, theirs.items, "{name}: items");
        assert_eq!(ours.template, theirs.template, "{name}: template");
        assert_eq!(ours.today, theirs.today, "{name}: today");
        assert_eq!(ours.ours, theirs.ours, "{name}: ours");
        assert_eq!(ours.ours_opt_in, theirs.ours_opt_in, "{name}: opt-in");
        assert_eq!(ours.violations, theirs.violations, "{name}: violations");
    }
    assert!(files.len() >= 15, "scenario files: {}", files.len());
}

#[test]
fn the_condition_message_names_clusters_and_cuts_long_lists() {
    let vm = NativeVm;
    let file = common::repo_root()
        .join("interpreter-lua/scenarios/deployment-200-clusters-3-failures.yaml");
    let mut s = Scenario::parse(&common::read(&file), "200").unwrap();
    let out = s.run(&all(), &vm, &opt_in).unwrap();
    let cond = &out.template["status"]["conditions"][0];
    assert_eq!(cond["type"], "Progressing");
    assert_eq!(cond["reason"], "ProgressDeadlineExceeded");
    let msg = cond["message"].as_str().unwrap();
    assert!(
        msg.starts_with("3 of 200 clusters failed: edge-198: apply failed: "),
        "{msg}"
    );
    assert!(msg.contains("; edge-200: ProgressDeadlineExceeded: ReplicaSet \"web-5d8\" has timed out progressing."), "{msg}");
    assert!(!msg.contains("more"), "{msg}");
    // Two more failures: named up to three, then "+2 more".
    for n in ["edge-001", "edge-002"] {
        s.members.insert(
            n.into(),
            serde_json::from_value(serde_json::json!({"appliedMessage": "boom"})).unwrap(),
        );
    }
    let out = s.run(&all(), &vm, &opt_in).unwrap();
    let msg = out.template["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap();
    assert!(msg.starts_with("5 of 200 clusters failed: edge-001: apply failed: boom; edge-002: apply failed: boom; edge-198:"), "{msg}");
    assert!(msg.ends_with("; +2 more"), "{msg}");
    // The counters are the native sums over the 198 reporting clusters.
    assert_eq!(out.template["status"]["replicas"], 197 * 2 + 3 - 2 * 2);
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs reference data: set ARGOCD_KARMADA_SHARED"
)]
fn generated_customizations_are_valid_resource_interpreter_customizations() {
    let reference = common::reference_dir("generated_customizations_are_valid");
    let crd_path = reference
        .join("karmada/crds/bases/config/config.karmada.io_resourceinterpretercustomizations.yaml");
    let crd = argocd_karmada_plugin::yaml::parse_one(&common::read(&crd_path), "crd").unwrap();
    let schema = CrdSchema::from_crd(&crd).unwrap();
    let path = common::repo_root().join(rgen::OUTPUT);
    let docs =
        argocd_karmada_plugin::yaml::parse_stream(&common::read(&path), rgen::OUTPUT).unwrap();
    assert_eq!(docs.len(), rgen::KINDS.len());
    for doc in &docs {
        assert_eq!(doc["apiVersion"], schema.api_version());
        let errors = schema.errors(doc);
        assert!(errors.is_empty(), "{}: {errors:?}", doc["metadata"]["name"]);
        let mut ops: Vec<&String> = doc["spec"]["customizations"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        ops.sort();
        assert_eq!(ops, ["statusAggregation", "statusReflection"]);
    }
    // A broken object is caught by the same schema (the check can fail).
    let mut bad = docs[0].clone();
    bad["spec"]["target"] = serde_json::json!({"kind": "Deployment"});
    assert!(!schema.errors(&bad).is_empty());
}

#[test]
fn reflection_keeps_what_native_reflection_keeps() {
    use argocd_karmada_plugin::karmada::interpreter::native;
    use argocd_karmada_plugin::karmada::interpreter::vm::{Call, InterpreterVm};
    let vm = NativeVm;
    let all = all();
    let mut checked = 0;
    for file in scenario_files() {
        let s = Scenario::parse(&common::read(&file), "s").unwrap();
        let kind = s.template["kind"].as_str().unwrap();
        let cz = rgen::find(&all, s.template["apiVersion"].as_str().unwrap(), kind).unwrap();
        for m in s.members.values() {
            let Some(obj) = &m.object else { continue };
            let ours = vm
                .call(&Call::new(
                    "ReflectStatus",
                    &cz.reflection,
                    vec![obj.clone()],
                ))
                .unwrap();
            let theirs = native::reflect(kind, obj).unwrap().unwrap_or_default();
            for (k, v) in theirs.as_object().into_iter().flatten() {
                assert_eq!(&ours[k], v, "{kind} {k}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}

/// The generated scripts avoid every construct where the gopher-lua of Karmada and Argo CD
/// builds is known to differ.
#[test]
#[cfg_attr(
    not(has_oracle),
    ignore = "needs the gopher-lua oracle: set ARGO_LUA_ORACLE"
)]
fn generated_scripts_pass_the_gopher_lua_lint() {
    let lint = common::oracle("generated_scripts_pass_the_gopher_lua_lint");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for c in all() {
        for (op, text) in [("reflect", &c.reflection), ("aggregate", &c.aggregation)] {
            let p = dir.path().join(format!("{}-{op}.lua", c.kind));
            std::fs::write(&p, text).unwrap();
            files.push(p);
        }
    }
    for (group, kind) in OPT_IN_CHECKS {
        let p = dir.path().join(format!("{kind}-health.lua"));
        std::fs::write(
            &p,
            opt_in_script(&common::repo_root(), group, kind).unwrap(),
        )
        .unwrap();
        files.push(p);
    }
    let out = std::process::Command::new(&lint)
        .arg("lint")
        .args(&files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "lint: {text}");
    // And the lint does flag a deviation (the check can fail).
    let bad = dir.path().join("bad.lua");
    std::fs::write(&bad, "local x = 1\nlocal y = nil\nx = y and 1 or x\n").unwrap();
    let out = std::process::Command::new(&lint)
        .arg("lint")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "lint should flag `x = c and a or x`");
}

#[test]
fn gen_check_covers_the_customizations_and_the_opt_in_patch() {
    let run = |root: &std::path::Path| {
        let out = std::process::Command::new(common::bin())
            .args(["gen", "--check", "--root"])
            .arg(root)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, stderr) = run(&common::repo_root());
    assert!(ok, "gen --check: {stderr}");
    // A copy whose generated files are stale fails, naming each of them.
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo_root().join("interpreter-lua"),
        &tmp.path().join("interpreter-lua"),
    );
    for f in [rgen::OUTPUT, rgen::OPT_IN_PATCH] {
        std::fs::write(tmp.path().join(f), "stale\n").unwrap();
    }
    let (ok, stderr) = run(tmp.path());
    assert!(!ok);
    let stale = stderr
        .split("stale generated files: ")
        .nth(1)
        .unwrap_or_default();
    assert!(
        stale.contains(rgen::OUTPUT) && stale.contains(rgen::OPT_IN_PATCH),
        "{stderr}"
    );
    // Fresh copies are not reported.
    for f in [rgen::OUTPUT, rgen::OPT_IN_PATCH] {
        std::fs::copy(common::repo_root().join(f), tmp.path().join(f)).unwrap();
    }
    let (_, stderr) = run(tmp.path());
    let stale = stderr
        .split("stale generated files: ")
        .nth(1)
        .unwrap_or_default();
    assert!(
        !stale.contains(rgen::OUTPUT) && !stale.contains(rgen::OPT_IN_PATCH),
        "{stderr}"
    );
}
