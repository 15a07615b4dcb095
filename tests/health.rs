//! `health`: the Lua VM through the binary, Argo CD's own suites, and a second opinion from the
//! gopher-lua oracle.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use argocd_karmada_plugin::argo::health::{VmOptions, evaluate_health};
use argocd_karmada_plugin::argo::settings::{ResourceOverrides, config_map_key};
use argocd_karmada_plugin::health::suite;
use serde_json::{Value, json};

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn binary");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    p
}

const RB: &str = "apiVersion: work.karmada.io/v1alpha2\nkind: ResourceBinding\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  replicas: 3\n";

#[test]
fn health_file_with_script() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write(dir.path(), "rb.yaml", RB);
    let script = write(
        dir.path(),
        "x.lua",
        "return {status = 'Progressing', message = obj.metadata.name .. ' ' .. obj.spec.replicas}",
    );
    let out = run(
        &[
            "health",
            obj.to_str().unwrap(),
            "--script",
            script.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "STATUS: Progressing\nMESSAGE: web 3\n");

    // stdin and JSON output
    let out = run(
        &[
            "health",
            "-",
            "--script",
            script.to_str().unwrap(),
            "-o",
            "json",
        ],
        Some(RB),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(v, json!({"status": "Progressing", "message": "web 3"}));
}

#[test]
fn health_open_libs_flag() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write(dir.path(), "rb.yaml", RB);
    let script = write(
        dir.path(),
        "x.lua",
        "return {status = 'Healthy', message = string.upper(obj.metadata.name)}",
    );
    let s = script.to_str().unwrap();
    let out = run(&["health", obj.to_str().unwrap(), "--script", s], None);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: failed to get resource health for demo/web")
            && err
                .contains("<string>:1: attempt to index a non-table object(nil) with key 'upper'"),
        "{err}"
    );
    let out = run(
        &[
            "health",
            obj.to_str().unwrap(),
            "--script",
            s,
            "--open-libs",
        ],
        None,
    );
    assert_eq!(text(&out.stdout), "STATUS: Healthy\nMESSAGE: WEB\n");
}

#[test]
fn health_with_argocd_cm() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write(dir.path(), "rb.yaml", RB);
    let cm = write(
        dir.path(),
        "argocd-cm.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  resource.customizations: |
    "*.karmada.io/*":
      health.lua: |
        return {status = "Degraded", message = "wildcard"}
    policy.karmada.io/PropagationPolicy:
      health.lua: |
        return {status = "Healthy", message = string.lower("OPEN")}
      health.lua.useOpenLibs: true
  resource.customizations.health.work.karmada.io_ResourceBinding: |
    return {status = "Suspended", message = "exact " .. tostring(obj.spec.replicas / 2)}
"#,
    );
    let cm = cm.to_str().unwrap();
    let out = run(&["health", obj.to_str().unwrap(), "--argocd-cm", cm], None);
    assert_eq!(
        text(&out.stdout),
        "STATUS: Suspended\nMESSAGE: exact 1.5\n",
        "{}",
        text(&out.stderr)
    );
    let crb = write(
        dir.path(),
        "crb.yaml",
        &RB.replace("kind: ResourceBinding", "kind: ClusterResourceBinding"),
    );
    let out = run(&["health", crb.to_str().unwrap(), "--argocd-cm", cm], None);
    assert_eq!(text(&out.stdout), "STATUS: Degraded\nMESSAGE: wildcard\n");
    let pp = write(
        dir.path(),
        "pp.yaml",
        "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\n",
    );
    let out = run(&["health", pp.to_str().unwrap(), "--argocd-cm", cm], None);
    assert_eq!(text(&out.stdout), "STATUS: Healthy\nMESSAGE: open\n");
    // No script for the kind: Argo CD's admin command wording, exit 0.
    let pod = write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
    );
    let out = run(&["health", pod.to_str().unwrap(), "--argocd-cm", cm], None);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "Health script is not configured for '/Pod'\n"
    );
    // Pending deletion beats any script.
    let deleting = write(
        dir.path(),
        "del.yaml",
        &RB.replace(
            "  name: web\n",
            "  name: web\n  deletionTimestamp: \"2026-01-01T00:00:00Z\"\n",
        ),
    );
    let out = run(
        &["health", deleting.to_str().unwrap(), "--argocd-cm", cm],
        None,
    );
    assert_eq!(
        text(&out.stdout),
        "STATUS: Progressing\nMESSAGE: Pending deletion\n"
    );
}

#[test]
fn health_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write(dir.path(), "rb.yaml", RB);
    let bad_cm = write(
        dir.path(),
        "cm.yaml",
        "kind: ConfigMap\ndata:\n  resource.customizations.healthcheck.apps_Deployment: x\n",
    );
    let out = run(
        &[
            "health",
            obj.to_str().unwrap(),
            "--argocd-cm",
            bad_cm.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("cm.yaml: data: resource.customizations.healthcheck.apps_Deployment: resource customization type healthcheck not supported"),
        "{err}"
    );
    let out = run(
        &["health", dir.path().join("missing.yaml").to_str().unwrap()],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("missing.yaml: cannot read"));
    let not_yaml = write(dir.path(), "bad.yaml", "a: [\n");
    let out = run(&["health", not_yaml.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("bad.yaml: invalid YAML"));
    // A script that does not return a table is an error, with Argo CD's text.
    let script = write(dir.path(), "s.lua", "return 'Healthy'");
    let out = run(
        &[
            "health",
            obj.to_str().unwrap(),
            "--script",
            script.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).ends_with("expect table output from Lua script, not string\n"));
}

#[test]
fn health_test_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let kind = dir.path().join("example.io/Widget");
    write(
        &kind,
        "health.lua",
        "if obj.status == nil then return {status = 'Progressing', message = 'waiting'} end\nreturn {status = 'Healthy'}",
    );
    write(
        &kind,
        "testdata/new.yaml",
        "apiVersion: example.io/v1\nkind: Widget\n",
    );
    write(
        &kind,
        "testdata/done.yaml",
        "apiVersion: example.io/v1\nkind: Widget\nstatus: {ready: true}\n",
    );
    write(
        &kind,
        "health_test.yaml",
        "tests:\n- healthStatus: {status: Progressing, message: waiting}\n  inputPath: testdata/new.yaml\n- HealthStatus: {Status: Healthy}\n  InputPath: testdata/done.yaml\n",
    );
    let out = run(&["health", "test", dir.path().to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "2 passed, 0 failed\n");

    write(
        &kind,
        "health_test.yaml",
        "tests:\n- healthStatus: {status: Degraded, message: nope}\n  inputPath: testdata/new.yaml\n",
    );
    let out = run(&["health", "test", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("expected: status=\"Degraded\" message=\"nope\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("actual:   status=\"Progressing\" message=\"waiting\""),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn health_test_open_libs_switch() {
    let dir = tempfile::tempdir().unwrap();
    let kind = dir.path().join("example.io/Gadget");
    write(
        &kind,
        "health.lua",
        "return {status = 'Healthy', message = string.lower(obj.kind)}",
    );
    write(
        &kind,
        "testdata/g.yaml",
        "apiVersion: example.io/v1\nkind: Gadget\n",
    );
    write(
        &kind,
        "health_test.yaml",
        "tests:\n- healthStatus: {status: Healthy, message: gadget}\n  inputPath: testdata/g.yaml\n",
    );
    let d = dir.path().to_str().unwrap();
    let out = run(&["health", "test", d], None);
    assert_eq!(text(&out.stdout), "1 passed, 0 failed\n");
    // Without open libs there is no `string`: the case fails with Argo CD's error text.
    let out = run(&["health", "test", "--no-open-libs", d], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "error:    <string>:1: attempt to index a non-table object(nil) with key 'lower'"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 passed, 1 failed\n"));
}

#[test]
fn health_test_resolves_library_modules() {
    // Our own library, as a user runs it: `health test health-lua`.
    let lib = common::repo_root().join("health-lua");
    let cases = suite::discover(std::slice::from_ref(&lib))
        .unwrap()
        .cases
        .len();
    assert!(cases > 50, "{cases}");
    let out = run(&["health", "test", lib.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), format!("{cases} passed, 0 failed\n"));

    // The mechanism: the nearest `_lib` above the script, nested modules, a missing module.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "_lib/text.lua",
        "local util = require(\"util/join\")\nlocal M = {}\nfunction M.say(a) return util.join(a, '+') end\nreturn M\n",
    );
    write(
        dir.path(),
        "_lib/util/join.lua",
        "local M = {}\nfunction M.join(a, b) return a .. b .. a end\nreturn M\n",
    );
    let kind = dir.path().join("example.io/Widget");
    write(
        &kind,
        "health.lua",
        "local text = require(\"text\")\nreturn {status = 'Healthy', message = text.say(obj.kind)}\n",
    );
    write(
        &kind,
        "testdata/w.yaml",
        "apiVersion: example.io/v1\nkind: Widget\n",
    );
    write(
        &kind,
        "health_test.yaml",
        "tests:\n- healthStatus: {status: Healthy, message: Widget+Widget}\n  inputPath: testdata/w.yaml\n",
    );
    let out = run(&["health", "test", kind.to_str().unwrap()], None);
    assert_eq!(
        text(&out.stdout),
        "1 passed, 0 failed\n",
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_file(dir.path().join("_lib/util/join.lua")).unwrap();
    let out = run(&["health", "test", kind.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("join.lua: cannot read module"),
        "{err}"
    );
}

/// An argocd-cm with one script per kind: the status comes from an annotation.
const LIST_CM: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm}
data:
  resource.customizations.health.work.karmada.io_ResourceBinding: |
    return {status = obj.metadata.annotations.want, message = "wanted " .. obj.metadata.annotations.want}
  resource.customizations.health.apps_Deployment: |
    return {status = "Healthy", message = obj.missing.field}
"#;

fn list_item(kind: &str, name: &str, want: &str) -> String {
    let api = match kind {
        "Deployment" => "apps/v1",
        "ConfigMap" => "v1",
        _ => "work.karmada.io/v1alpha2",
    };
    format!(
        "- apiVersion: {api}\n  kind: {kind}\n  metadata:\n    name: {name}\n    namespace: demo\n    annotations: {{want: {want}}}\n"
    )
}

#[test]
fn health_on_a_list_prints_a_table_and_exits_by_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let cm = write(dir.path(), "cm.yaml", LIST_CM);
    let cm = cm.to_str().unwrap();
    let list = |items: &[(&str, &str, &str)]| {
        let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
        for (k, n, w) in items {
            s.push_str(&list_item(k, n, w));
        }
        s
    };
    let healthy = list(&[
        ("ResourceBinding", "web", "Healthy"),
        ("ConfigMap", "settings", "x"),
    ]);
    let out = run(&["health", "-", "--argocd-cm", cm], Some(&healthy));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "KIND             NAMESPACE/NAME  STATUS   MESSAGE\n\
         ResourceBinding  demo/web        Healthy  wanted Healthy\n\
         ConfigMap        demo/settings   -        Health script is not configured for '/ConfigMap'\n"
    );
    for (worst, code) in [
        ("Suspended", 1),
        ("Progressing", 1),
        ("Degraded", 2),
        ("Missing", 2),
        ("Unknown", 2),
    ] {
        let items = list(&[
            ("ResourceBinding", "a", "Healthy"),
            ("ResourceBinding", "b", worst),
            ("ResourceBinding", "c", "Progressing"),
        ]);
        let out = run(&["health", "-", "--argocd-cm", cm], Some(&items));
        assert_eq!(
            out.status.code(),
            Some(code),
            "{worst}: {}",
            text(&out.stdout)
        );
    }
    // A failing script makes its item Unknown with Argo CD's error text (exit 2); JSON output.
    let items = list(&[
        ("ResourceBinding", "web", "Progressing"),
        ("Deployment", "api", "x"),
    ]);
    let out = run(
        &["health", "-", "--argocd-cm", cm, "-o", "json"],
        Some(&items),
    );
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(
        v,
        json!([
            {"kind": "ResourceBinding", "namespace": "demo", "name": "web", "status": "Progressing", "message": "wanted Progressing"},
            {"kind": "Deployment", "namespace": "demo", "name": "api", "status": "Unknown",
             "message": "<string>:1: attempt to index a non-table object(nil) with key 'field'"},
        ])
    );
    // A single object still exits 0 whenever its script ran.
    let one = "apiVersion: work.karmada.io/v1alpha2\nkind: ResourceBinding\nmetadata: {name: w, annotations: {want: Degraded}}\n";
    let out = run(&["health", "-", "--argocd-cm", cm], Some(one));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "STATUS: Degraded\nMESSAGE: wanted Degraded\n"
    );
    // An item that is not an object is bad input.
    let bad = "apiVersion: v1\nkind: List\nitems: [3]\n";
    let out = run(&["health", "-", "--argocd-cm", cm], Some(bad));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).starts_with("error: stdin: items[0]: expected a Kubernetes object"));
}

/// Argo CD's own `resource_customizations/` at v3.5.1: every case must pass.
#[test]
#[cfg_attr(
    not(has_argo_suite),
    ignore = "needs Argo CD's resource_customizations: set ARGOCD_RESOURCE_CUSTOMIZATIONS or ARGOCD_MIRROR"
)]
fn argo_cd_builtin_suite() {
    let dir = argo_resource_customizations();
    let out = run(&["health", "test", dir.path().to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    let summary = stdout.lines().last().unwrap_or("").to_string();
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let passed: usize = summary
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected summary: {summary}"));
    assert!(passed >= 1100, "only {passed} cases found");
    eprintln!("Argo CD v3.5.1 resource_customizations: {summary}");
}

enum Checkout {
    Given(PathBuf),
    Extracted(tempfile::TempDir),
}

impl Checkout {
    fn path(&self) -> PathBuf {
        match self {
            Checkout::Given(p) => p.clone(),
            Checkout::Extracted(t) => t.path().join("resource_customizations"),
        }
    }
}

const ARGO_TAG: &str = "v3.5.1";
/// `$ARGOCD_RESOURCE_CUSTOMIZATIONS`, or the tag extracted from an argo-cd git directory
/// (`$ARGOCD_MIRROR`). Not reference data: the test is ignored unless one is set.
fn argo_resource_customizations() -> Checkout {
    if let Some(p) = std::env::var_os("ARGOCD_RESOURCE_CUSTOMIZATIONS") {
        return Checkout::Given(PathBuf::from(p));
    }
    let mirror = std::env::var_os("ARGOCD_MIRROR")
        .map(PathBuf::from)
        .expect("set ARGOCD_RESOURCE_CUSTOMIZATIONS or ARGOCD_MIRROR (an argo-cd git directory)");
    let tmp = tempfile::tempdir().unwrap();
    let archive = Command::new("git")
        .arg("-C")
        .arg(&mirror)
        .args(["archive", ARGO_TAG, "resource_customizations"])
        .output()
        .expect("run git archive");
    assert!(
        archive.status.success(),
        "git archive: {}",
        text(&archive.stderr)
    );
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("run tar");
    tar.stdin
        .take()
        .unwrap()
        .write_all(&archive.stdout)
        .unwrap();
    assert!(tar.wait().unwrap().success());
    Checkout::Extracted(tmp)
}

// ---------------------------------------------------------------------------------------------
// Second opinion: the gopher-lua oracle.

enum Compare {
    /// Same status and message, or the same error text.
    Exact,
    /// Both fail; our text starts with the oracle's (gopher-lua v1.1.2 adds `with key '...'`).
    ErrorPrefix,
    /// Both fail (the 2017 parser words syntax errors differently).
    Error,
}

struct Probe {
    name: String,
    script: String,
    object: Value,
    open_libs: bool,
    compare: Compare,
}

fn probes() -> Vec<Probe> {
    let path = common::repo_root().join("tests/data/lua-probes.yaml");
    let doc: Value =
        argocd_karmada_plugin::yaml::parse_one(&common::read(&path), "probes").unwrap();
    doc["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Probe {
            name: p["name"].as_str().unwrap().to_string(),
            script: p["script"].as_str().unwrap().to_string(),
            object: p.get("object").cloned().unwrap_or(json!({})),
            open_libs: p.get("open_libs").and_then(Value::as_bool).unwrap_or(false),
            compare: match p.get("compare").and_then(Value::as_str) {
                None | Some("exact") | Some("exact-error") => Compare::Exact,
                Some("error-prefix") => Compare::ErrorPrefix,
                Some("error") => Compare::Error,
                Some(other) => panic!("probe {}: unknown compare {other}", p["name"]),
            },
        })
        .collect()
}

/// Our VM's answer in the oracle's result shape.
fn ours(script: &str, obj: &Value, open_libs: bool) -> Value {
    let opts = VmOptions {
        open_libs,
        ..VmOptions::default()
    };
    match evaluate_health(script, obj, &opts) {
        Ok(hs) => json!({"status": hs.status, "message": hs.message}),
        Err(e) => json!({"error": format!("{e:#}")}),
    }
}

fn strip(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("id");
        m.remove("warnings");
    }
    v
}

#[test]
#[cfg_attr(
    not(has_oracle),
    ignore = "needs the gopher-lua oracle: set ARGO_LUA_ORACLE"
)]
fn vm_probes_match_the_oracle() {
    let oracle = common::oracle("VM conformance probes vs gopher-lua oracle");
    let probes = probes();
    assert!(probes.len() >= 80, "probe file lost cases");
    let requests: Vec<Value> = probes
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"id": i, "source": p.script, "object": p.object, "openLibs": p.open_libs}))
        .collect();
    let answers = common::oracle_batch(&oracle, &[], &requests);
    let mut diffs = Vec::new();
    for (p, theirs) in probes.iter().zip(answers) {
        let theirs = strip(theirs);
        let mine = ours(&p.script, &p.object, p.open_libs);
        let ok = match p.compare {
            Compare::Exact => mine == theirs,
            Compare::ErrorPrefix => match (mine.get("error"), theirs.get("error")) {
                (Some(m), Some(t)) => m.as_str().unwrap().starts_with(t.as_str().unwrap()),
                _ => false,
            },
            Compare::Error => mine.get("error").is_some() && theirs.get("error").is_some(),
        };
        if !ok {
            diffs.push(format!("{}:\n  ours:   {mine}\n  oracle: {theirs}", p.name));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} probe(s) differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Every case of every `health-lua/**/health_test.yaml`, with the script Argo CD would run (the
/// generated `argocd-cm-patch.yaml`, else the suite's own `health.lua`), in our VM and in the
/// oracle, both without open libs: identical results.
#[test]
#[cfg_attr(
    not(has_oracle),
    ignore = "needs the gopher-lua oracle: set ARGO_LUA_ORACLE"
)]
fn library_suites_match_the_oracle() {
    let root = common::repo_root().join("health-lua");
    let oracle = common::oracle("health-lua suites vs gopher-lua oracle");
    if !root.is_dir() {
        eprintln!("note: no health-lua/ directory yet; nothing to compare");
        return;
    }
    let suites = suite::discover(std::slice::from_ref(&root)).unwrap();
    let patch = patch_overrides();
    let mut requests = Vec::new();
    let mut mine = Vec::new();
    let mut names = Vec::new();
    for case in &suites.cases {
        let input = case.suite.parent().unwrap().join(&case.input_path);
        let obj = suite::parse_object(&common::read(&input), &input.display().to_string()).unwrap();
        let (group, kind) = config_map_key(&obj);
        let script = match patch.health_script(&group, &kind) {
            Some(s) => s.source.to_string(),
            None => match suites.library.resolve(&group, &kind) {
                Some((_, src)) => src.to_string(),
                None => panic!("{}: no script for {group}/{kind}", input.display()),
            },
        };
        names.push(format!("{}: {}", case.suite.display(), case.input_path));
        mine.push(ours(&script, &obj, false));
        requests.push(json!({"id": requests.len(), "source": script, "objectPath": input}));
    }
    let answers = common::oracle_batch(&oracle, &[], &requests);
    let mut diffs = Vec::new();
    for ((name, m), t) in names.iter().zip(&mine).zip(answers) {
        let t = strip(t);
        if *m != t {
            diffs.push(format!("{name}:\n  ours:   {m}\n  oracle: {t}"));
        }
    }
    eprintln!("health-lua: {} cases compared with the oracle", names.len());
    assert!(
        diffs.is_empty(),
        "{} case(s) differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

fn patch_overrides() -> ResourceOverrides {
    let path = common::repo_root().join("argocd-cm-patch.yaml");
    let cm = argocd_karmada_plugin::yaml::parse_one(&common::read(&path), "argocd-cm-patch.yaml")
        .unwrap();
    ResourceOverrides::from_config_map(&cm).unwrap()
}

/// The oracle's deviation lint finds nothing in any script we ship.
#[test]
#[cfg_attr(
    not(has_oracle),
    ignore = "needs the gopher-lua oracle: set ARGO_LUA_ORACLE"
)]
fn shipped_scripts_pass_the_oracle_lint() {
    let oracle = common::oracle("argocd-cm-patch.yaml scripts vs oracle lint");
    let patch = patch_overrides();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (key, o)) in patch.health_scripts().enumerate() {
        let f = dir
            .path()
            .join(format!("{i}-{}.lua", key.replace(['/', '*'], "_")));
        std::fs::write(&f, &o.health_lua).unwrap();
        files.push(f);
    }
    if files.is_empty() {
        eprintln!("note: argocd-cm-patch.yaml has no health scripts yet; nothing to lint");
        return;
    }
    let out = Command::new(&oracle)
        .arg("lint")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lint warnings:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
