//! `cmp run` / `cmp parameters` / `cmp discover` through the binary, on foreign plugins written
//! for these tests (tests/cmp/plugins) and on our own plugin/plugin.yaml.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{copy_dir, stderr, stdout};
use serde_json::Value;

fn fixtures() -> PathBuf {
    common::repo_root().join("tests/cmp")
}

/// The fixture repository as a fresh git checkout; returns it with its HEAD.
fn checkout() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("repo"), dir.path());
    // An executable bit the plugin must NOT see (cmp-server resets modes).
    use std::os::unix::fs::PermissionsExt;
    let tool = dir.path().join("apps/env/tool.sh");
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixture"]);
    let sha = git(&["rev-parse", "HEAD"]);
    assert_eq!(sha.len(), 40);
    (dir, sha)
}

/// The binary's directory first on PATH, so plugins can call `argocd-karmada-plugin`.
fn path_env() -> String {
    let bin_dir = common::bin().parent().unwrap().to_path_buf();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn cmp(args: &[&str]) -> Output {
    Command::new(common::bin())
        .arg("cmp")
        .args(args)
        .env_clear()
        .env("PATH", path_env())
        .env("HOME", "/home/argocd")
        // Must never reach the plugin (minimal env by default).
        .env("SECRET_TOKEN", "topsecret")
        .output()
        .unwrap()
}

fn plugin(name: &str) -> String {
    fixtures().join("plugins").join(name).display().to_string()
}

fn app(name: &str) -> String {
    fixtures().join("apps").join(name).display().to_string()
}

fn docs(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in text.split("---\n").filter(|c| !c.trim().is_empty()) {
        let v: Value = serde_saphyr::from_str(chunk).unwrap();
        out.push(v);
    }
    out
}

#[test]
fn env_contract_is_exact() {
    let (repo, sha) = checkout();
    let repo_s = repo.path().display().to_string();
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin("env-printer.yaml"),
        "--app",
        &app("env.yaml"),
        "--kube-version",
        "v1.29.3+k3s1",
        "--api-versions",
        "apps/v1,v1,v1/ConfigMap",
        &repo_s,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let objs = docs(&stdout(&out));
    assert_eq!(objs.len(), 1);
    let data = &objs[0]["data"];
    let mut expected = vec![
        "ARGOCD_APP_NAME=team-a_envdump".to_string(),
        "ARGOCD_APP_NAMESPACE=prod".into(),
        r#"ARGOCD_APP_PARAMETERS=[{"name":"image.tag","string":"v1.2.3"},{"map":{"east/2":"3","member1":"2"},"name":"replicas-per-cluster"},{"array":["member1","member2"],"name":"clusters"},{"map":{},"name":"empty-map"},{"name":"html","string":"\u003ca\u0026b\u003e"}]"#.into(),
        "ARGOCD_APP_PROJECT_NAME=demo".into(),
        format!("ARGOCD_APP_REVISION={sha}"),
        format!("ARGOCD_APP_REVISION_SHORT={}", &sha[..7]),
        format!("ARGOCD_APP_REVISION_SHORT_8={}", &sha[..8]),
        "ARGOCD_APP_SOURCE_PATH=apps/env".into(),
        "ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/org/repo.git".into(),
        "ARGOCD_APP_SOURCE_TARGET_REVISION=main".into(),
        "ARGOCD_ENV_GREETING=hello team-a_envdump in prod".into(),
        "ARGOCD_ENV_PRICE=$5 and .".into(),
        "ARGOCD_ENV_lower_case=kube=1.29.3".into(),
        "HOME=/home/argocd".into(),
        "KUBE_API_VERSIONS=apps/v1,v1,v1/ConfigMap".into(),
        "KUBE_VERSION=1.29.3".into(),
        "PARAM_CLUSTERS_0=member1".into(),
        "PARAM_CLUSTERS_1=member2".into(),
        "PARAM_HTML=<a&b>".into(),
        "PARAM_IMAGE_TAG=v1.2.3".into(),
        "PARAM_REPLICAS_PER_CLUSTER_EAST_2=3".into(),
        "PARAM_REPLICAS_PER_CLUSTER_MEMBER1=2".into(),
    ];
    expected.sort();
    let expected = expected.join("\n") + "\n";
    assert_eq!(data["env"].as_str().unwrap(), expected);
    assert!(!stdout(&out).contains("topsecret"));
    // Modes reset to 0644, in-repo symlink kept, init ran first in the app directory.
    assert_eq!(data["tool-mode"], "644");
    assert_eq!(data["symlink"], "#!/bin/sh");
    assert_eq!(data["init"], "init-ran");
}

/// What the plugin sees with the default `--kube-version` and `--api-versions`, by variable.
fn default_env() -> Vec<(String, String)> {
    let (repo, _) = checkout();
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin("env-printer.yaml"),
        "--app",
        &app("env.yaml"),
        "--revision",
        "0123456789abcdef",
        &repo.path().display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let env = docs(&stdout(&out))[0]["data"]["env"]
        .as_str()
        .unwrap()
        .to_string();
    env.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn default_api_versions() -> Vec<String> {
    let env = default_env();
    let (_, apis) = env
        .iter()
        .find(|(k, _)| k == "KUBE_API_VERSIONS")
        .expect("KUBE_API_VERSIONS");
    apis.split(',').map(str::to_string).collect()
}

#[test]
fn default_env_lists_karmada_apis_and_revision_flag_wins() {
    let env = default_env();
    let line = |k: &str| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} missing in\n{env:?}"))
    };
    assert_eq!(line("KUBE_VERSION"), "1.31.0");
    assert_eq!(line("ARGOCD_APP_REVISION_SHORT"), "0123456");
    let apis = default_api_versions();
    let mut sorted = apis.clone();
    sorted.sort();
    assert_eq!(apis, sorted);
    for want in [
        "v1",
        "v1/ConfigMap",
        "apps/v1/Deployment",
        "policy.karmada.io/v1alpha1",
        "policy.karmada.io/v1alpha1/PropagationPolicy",
        "work.karmada.io/v1alpha2/ResourceBinding",
    ] {
        assert!(apis.iter().any(|a| a == want), "{want} not in {apis:?}");
    }
}

/// Every served version and kind of Karmada's CRDs in the reference data.
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn default_api_versions_cover_every_karmada_crd() {
    let apis = default_api_versions();
    let crds = common::reference_dir("default_env_lists_karmada_apis").join("karmada/crds/bases");
    let mut checked = 0;
    for group_dir in std::fs::read_dir(&crds).unwrap() {
        for f in std::fs::read_dir(group_dir.unwrap().path()).unwrap() {
            let crd: Value = serde_saphyr::from_str(&common::read(&f.unwrap().path())).unwrap();
            let spec = &crd["spec"];
            for v in spec["versions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["served"] == true)
            {
                let gv = format!(
                    "{}/{}",
                    spec["group"].as_str().unwrap(),
                    v["name"].as_str().unwrap()
                );
                let gvk = format!("{gv}/{}", spec["names"]["kind"].as_str().unwrap());
                assert!(
                    apis.contains(&gv) && apis.contains(&gvk),
                    "{gvk} not in KUBE_API_VERSIONS"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 19, "only {checked} CRD versions found");
}

#[test]
fn find_command_plugin_with_json_stream() {
    let (repo, _) = checkout();
    let repo_s = repo.path().display().to_string();
    for app_file in ["starlark.yaml", "starlark-auto.yaml"] {
        let out = cmp(&[
            "run",
            "--plugin",
            &plugin("starlark.yaml"),
            "--app",
            &app(app_file),
            "--summary",
            &repo_s,
        ]);
        assert!(out.status.success(), "{app_file}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "KIND       NAME  NAMESPACE\nConfigMap  main\nConfigMap  lib\n",
            "{app_file}"
        );
    }
    let out = cmp(&[
        "discover",
        "--plugin",
        &plugin("starlark.yaml"),
        "--app",
        &app("starlark.yaml"),
        &repo_s,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("discover.find.command `sh -c \"find . -name \\\"*.star\\\" | LC_ALL=C sort\"` matched: ./main.star\n./nested/lib.star"), "{}", stdout(&out));
    // No match: the unnamed plugin section probes discovery and finds nothing.
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin("starlark.yaml"),
        "--app",
        &app("plain.yaml"),
        &repo_s,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "error: CMP processing failed for application \"plain\": could not find plugin supporting the given repository"
    );
    let out = cmp(&[
        "discover",
        "--plugin",
        &plugin("starlark.yaml"),
        "--app",
        &app("plain.yaml"),
        &repo_s,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("is NOT used"), "{}", stdout(&out));
}

#[test]
fn parameters_are_dynamic_then_static() {
    let (repo, _) = checkout();
    let out = cmp(&[
        "parameters",
        "--plugin",
        &plugin("starlark.yaml"),
        "--app",
        &app("starlark.yaml"),
        &repo.path().display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"name": "files", "collectionType": "array", "array": ["main.star"]},
            {"name": "entrypoint", "title": "Entry point", "string": "main.star"}
        ])
    );
}

/// Writes a plugin.yaml with the given generate script (and discovery) into `dir`.
fn write_plugin(
    dir: &Path,
    name: &str,
    discover: &str,
    script: &str,
    dynamic: Option<&str>,
) -> String {
    let mut text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: {name}\nspec:\n  generate:\n    command: [sh, -c]\n    args: [{script:?}]\n{discover}"
    );
    if let Some(d) = dynamic {
        text.push_str(&format!(
            "  parameters:\n    dynamic:\n      command: [sh, -c, {d:?}]\n"
        ));
    }
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn write_app(dir: &Path, plugin_name: &str, path: &str) -> String {
    let p = dir.join("app.yaml");
    std::fs::write(
        &p,
        format!("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: web}}\nspec:\n  source: {{repoURL: https://x, path: {path}, plugin: {{name: {plugin_name}}}}}\n  destination: {{namespace: prod}}\n"),
    )
    .unwrap();
    p.display().to_string()
}

fn failure(script: &str, extra: &[&str]) -> (Output, Duration) {
    let (repo, _) = checkout();
    let tmp = tempfile::tempdir().unwrap();
    let plugin = write_plugin(tmp.path(), "p", "", script, None);
    let app = write_app(tmp.path(), "p", "apps/plain");
    let repo_s = repo.path().display().to_string();
    let mut args = vec!["run", "--plugin", &plugin, "--app", &app];
    args.extend_from_slice(extra);
    args.push(&repo_s);
    let started = Instant::now();
    let out = cmp(&args);
    (out, started.elapsed())
}

fn first_error_line(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(o));
    assert!(o.stdout.is_empty(), "partial stdout: {}", stdout(o));
    stderr(o).lines().next().unwrap_or_default().to_string()
}

const IN_CMP: &str = "error: CMP processing failed for application \"web\": error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: ";

#[test]
fn non_zero_exit_shows_stderr() {
    let (out, _) = failure("echo partial; echo bad things happened >&2; exit 4", &[]);
    assert_eq!(
        first_error_line(&out),
        format!(
            "{IN_CMP}`sh -c \"echo partial; echo bad things happened >&2; exit 4\"` failed exit status 4: bad things happened"
        )
    );
}

#[test]
fn invalid_output_is_a_parse_error() {
    let (out, _) = failure("printf 'kind: A\\n  bad: [\\n'", &[]);
    let line = first_error_line(&out);
    assert!(
        line.starts_with(&format!(
            "{IN_CMP}failed to unmarshal manifest: error converting YAML to JSON: "
        )),
        "{line}"
    );
}

#[test]
fn object_without_kind_is_rejected_like_repo_server() {
    let (out, _) = failure(
        "printf 'kind: ConfigMap\\nmetadata: {name: ok}\\n---\\napiVersion: v1\\nmetadata: {name: nokind}\\n'",
        &[],
    );
    assert_eq!(
        first_error_line(&out),
        "error: CMP processing failed for application \"web\": failed to convert CMP manifests to unstructured objects: failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"nokind\"}}'"
    );
}

#[test]
fn lists_are_flattened_and_empty_docs_skipped() {
    let (out, _) = failure(
        "printf -- '---\\n---\\nnull\\n---\\nkind: List\\nitems:\\n- {kind: A, metadata: {name: a}}\\n- {kind: B, metadata: {name: b}}\\n'",
        &["--summary"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "KIND  NAME  NAMESPACE\nA     a\nB     b\n");
}

#[test]
fn timeout_kills_the_plugin() {
    let (out, elapsed) = failure("sleep 30", &["--timeout", "3s"]);
    assert_eq!(
        first_error_line(&out),
        format!("{IN_CMP}`sh -c \"sleep 30\"` failed signal: killed")
    );
    assert!(
        stderr(&out).contains("hint: the plugin ran past the deadline"),
        "{}",
        stderr(&out)
    );
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// A background process holding the plugin's stdout cannot stretch the run past `--timeout`.
#[test]
fn timeout_covers_a_background_process_holding_stdout() {
    let (out, elapsed) = failure("sleep 6 & echo hi", &["--timeout", "500ms"]);
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    // `sh` has normally exited by the deadline (only `sleep` holds stdout); on a loaded machine it
    // may still be running, and is then killed.
    let line = first_error_line(&out);
    assert!(
        line == format!("{IN_CMP}context deadline exceeded")
            || line == format!("{IN_CMP}`sh -c \"sleep 6 & echo hi\"` failed signal: killed"),
        "{line}"
    );
    assert!(
        stderr(&out).contains("hint: the plugin ran past the deadline"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
}

#[test]
fn named_plugin_with_discovery_must_still_match() {
    let (repo, _) = checkout();
    let tmp = tempfile::tempdir().unwrap();
    let plugin = write_plugin(
        tmp.path(),
        "p",
        "  discover:\n    fileName: karmada.yaml\n",
        "echo",
        None,
    );
    let app = write_app(tmp.path(), "p", "apps/plain");
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin,
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        "error: CMP processing failed for application \"web\": could not find cmp-server plugin with name \"p\" supporting the given repository"
    );
    // A failing find.command is appended to the error for a named plugin.
    let plugin = write_plugin(
        tmp.path(),
        "p",
        "  discover:\n    find:\n      command: [sh, -c, 'echo no >&2; exit 2']\n",
        "echo",
        None,
    );
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin,
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        "error: CMP processing failed for application \"web\": could not find cmp-server plugin with name \"p\" supporting the given repository: error checking repository support for plugin p.sock: error receiving stream response: rpc error: code = Unknown desc = match repository error: error running find command: `sh -c \"echo no >&2; exit 2\"` failed exit status 2: no"
    );
    // The name must be the plugin's socket name.
    let app = write_app(tmp.path(), "other", "apps/plain");
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin,
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        "error: CMP processing failed for application \"web\": could not find cmp-server plugin with name \"other\" supporting the given repository: error dialing to cmp-server for plugin other.sock: error dial proxy: dial unix /home/argocd/cmp-server/plugins/other.sock: connect: no such file or directory"
    );
    assert!(stderr(&out).contains("hint: this plugin.yaml serves the socket p.sock"));
}

#[test]
fn bad_plugin_yaml_and_dynamic_parameters() {
    let (repo, _) = checkout();
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "kind: ConfigManagementPlugin\nmetadata: {name: p}\nspec: {generate: {command: []}}\n",
    )
    .unwrap();
    let app = write_app(tmp.path(), "p", "apps/plain");
    let out = cmp(&[
        "run",
        "--plugin",
        &bad.display().to_string(),
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        format!(
            "error: {}: invalid plugin configuration file. spec.generate command should be non-empty",
            bad.display()
        )
    );
    let plugin = write_plugin(
        tmp.path(),
        "p",
        "",
        "echo",
        Some("echo '{\"name\": \"x\"}'"),
    );
    let out = cmp(&[
        "parameters",
        "--plugin",
        &plugin,
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        "error: failed to get parameter announcement: rpc error: code = Unknown desc = get parameters announcement error: error unmarshaling dynamic parameter output into ParametersAnnouncementResponse: json: cannot unmarshal object into Go value of type []*apiclient.ParameterAnnouncement"
    );
}

#[test]
fn out_of_bounds_symlinks_are_refused() {
    let (repo, _) = checkout();
    std::os::unix::fs::symlink(
        "../../../../etc/passwd",
        repo.path().join("apps/plain/passwd"),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let plugin = write_plugin(tmp.path(), "p", "", "cat passwd", None);
    let app = write_app(tmp.path(), "p", "apps/plain");
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin,
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert_eq!(
        first_error_line(&out),
        "error: repository contains out-of-bounds symlinks. file: apps/plain/passwd"
    );
}

/// The examples, as a repository of their own.
fn examples_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &common::repo_root().join("examples"),
        &dir.path().join("examples"),
    );
    dir
}

fn own_plugin() -> String {
    common::repo_root()
        .join("plugin/plugin.yaml")
        .display()
        .to_string()
}

/// examples/application.yaml pointed at another example path, without parameters.
fn example_app(dir: &Path, path: &str) -> String {
    let text = common::read(&common::repo_root().join("examples/application.yaml"));
    let mut app: Value = serde_saphyr::from_str(&text).unwrap();
    app["spec"]["source"]["path"] = Value::String(path.into());
    app["spec"]["source"]["plugin"]
        .as_object_mut()
        .unwrap()
        .remove("parameters");
    let p = dir.join(format!("{}.json", path.replace('/', "_")));
    std::fs::write(&p, serde_json::to_string(&app).unwrap()).unwrap();
    p.display().to_string()
}

/// `cmp run` on a copy of this very repository (its tracked files): repo-server would refuse the
/// whole repository if any committed symlink left it, so the test fixtures must not.
#[test]
fn cmp_run_accepts_this_repository() {
    let root = common::repo_root();
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(&root)
        .output()
        .expect("git ls-files");
    assert!(
        listed.status.success(),
        "this test needs a git checkout: {}",
        stderr(&listed)
    );
    let copy = tempfile::tempdir().unwrap();
    for rel in listed.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).unwrap());
        let (from, to) = (root.join(rel), copy.path().join(rel));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // deleted in the work tree, not yet committed
        };
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from).unwrap(), &to).unwrap();
        } else {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    let out = guestbook_summary(copy.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let examples_only = guestbook_summary(examples_repo().path());
    assert_eq!(stdout(&out), stdout(&examples_only));
}

/// `cmp run --summary` of examples/application.yaml (guestbook) with our plugin on `repo`.
fn guestbook_summary(repo: &Path) -> Output {
    let app = common::repo_root().join("examples/application.yaml");
    cmp(&[
        "run",
        "--plugin",
        &own_plugin(),
        "--app",
        &app.display().to_string(),
        "--summary",
        &repo.display().to_string(),
    ])
}

#[test]
fn own_plugin_renders_the_examples() {
    let repo = examples_repo();
    let repo_s = repo.path().display().to_string();
    let app = common::repo_root()
        .join("examples/application.yaml")
        .display()
        .to_string();
    let out = guestbook_summary(repo.path());
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("own_plugin_guestbook_summary", stdout(&out));

    // The full stream is what `generate` prints with the same Argo CD inputs.
    let out = cmp(&["run", "--plugin", &own_plugin(), "--app", &app, &repo_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    let direct = Command::new(common::bin())
        .arg("generate")
        .current_dir(repo.path().join("examples/guestbook"))
        .env_clear()
        .env("PATH", path_env())
        .env("ARGOCD_APP_NAME", "guestbook")
        .env("ARGOCD_APP_NAMESPACE", "guestbook")
        .env(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"array":["member1","member2"],"name":"clusters"},{"name":"replicas-mode","string":"Divided"},{"map":{"member1":"2","member2":"1"},"name":"weights"}]"#,
        )
        .output()
        .unwrap();
    assert!(direct.status.success(), "{}", stderr(&direct));
    assert_eq!(stdout(&out), stdout(&direct));

    let tmp = tempfile::tempdir().unwrap();
    let app = example_app(tmp.path(), "examples/kustomize-overlays");
    let out = cmp(&[
        "run",
        "--plugin",
        &own_plugin(),
        "--app",
        &app,
        "--summary",
        &repo_s,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("own_plugin_kustomize_summary", stdout(&out));

    // The plugin's own stderr reaches the user inside Argo CD's error chain.
    let app = example_app(tmp.path(), "examples/helm");
    let out = cmp(&[
        "run",
        "--plugin",
        &own_plugin(),
        "--app",
        &app,
        "--sidecar-env",
        "HELM_BIN=/nonexistent/helm",
        &repo_s,
    ]);
    let line = first_error_line(&out);
    assert!(
        line.starts_with("error: CMP processing failed for application \"guestbook\": error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: `argocd-karmada-plugin generate` failed exit status 1: error: "),
        "{line}"
    );

    // Discovery: karmada.yaml decides, even though the Application names the plugin.
    let app = example_app(tmp.path(), "examples/helm/templates");
    let out = cmp(&[
        "discover",
        "--plugin",
        &own_plugin(),
        "--app",
        &app,
        &repo_s,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("plugin \"argocd-karmada-plugin-v0.1.0\" is NOT used"));
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "error: CMP processing failed for application \"guestbook\": could not find cmp-server plugin with name \"argocd-karmada-plugin-v0.1.0\" supporting the given repository"
    );
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn example_application_matches_the_crd_and_names_our_plugin() {
    let reference = common::reference_dir("example_application_matches_the_crd");
    let crd: Value = serde_saphyr::from_str(&common::read(
        &reference.join("argocd/application-crd.yaml"),
    ))
    .unwrap();
    let schema = common::schema::CrdSchema::from_crd(&crd).unwrap();
    let app: Value = serde_saphyr::from_str(&common::read(
        &common::repo_root().join("examples/application.yaml"),
    ))
    .unwrap();
    assert_eq!(schema.errors(&app), Vec::<String>::new());
    // The check can fail: env as a map instead of a list of {name, value}.
    let mut bad = app.clone();
    bad["spec"]["source"]["plugin"]["env"] = serde_json::json!({"A": "b"});
    assert!(!schema.errors(&bad).is_empty());
    // The plugin name is <metadata.name>-<spec.version> of plugin/plugin.yaml.
    let plugin: Value = serde_saphyr::from_str(&common::read(
        &common::repo_root().join("plugin/plugin.yaml"),
    ))
    .unwrap();
    let identity = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert_eq!(
        app["spec"]["source"]["plugin"]["name"],
        Value::String(identity)
    );
}

/// `kubectl kustomize sidecar/` over the reference Argo CD v3.5.1 install (copied, since the
/// overlay's remote resource is not reachable here).
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn sidecar_overlay_adds_the_plugin_to_repo_server() {
    let reference = common::reference_dir("sidecar_overlay_adds_the_plugin_to_repo_server");
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("sidecar");
    copy_dir(&common::repo_root().join("sidecar"), &overlay);
    std::fs::copy(
        reference.join("argocd/install.yaml"),
        overlay.join("install.yaml"),
    )
    .unwrap();
    let kustomization = common::read(&overlay.join("kustomization.yaml"));
    let remote = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml";
    assert!(
        kustomization.contains(remote),
        "the overlay must install Argo CD v3.5.1"
    );
    std::fs::write(
        overlay.join("kustomization.yaml"),
        kustomization.replace(remote, "install.yaml"),
    )
    .unwrap();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&overlay)
        .output()
        .expect("kubectl (with built-in kustomize) is required");
    assert!(out.status.success(), "{}", stderr(&out));
    let objs = docs(&stdout(&out));
    let find = |kind: &str, name: &str| {
        objs.iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name} missing"))
    };

    let deploy = find("Deployment", "argocd-repo-server");
    assert_eq!(deploy["metadata"]["namespace"], "argocd");
    let pod = &deploy["spec"]["template"]["spec"];
    let containers = pod["containers"].as_array().unwrap();
    assert!(
        containers.iter().any(|c| c["name"] == "argocd-repo-server"),
        "repo-server itself is kept"
    );
    let sidecar = containers
        .iter()
        .find(|c| c["name"] == "argocd-karmada-plugin")
        .expect("sidecar container");
    assert_eq!(
        sidecar["command"],
        serde_json::json!(["/var/run/argocd/argocd-cmp-server"])
    );
    // The tag scripts/build-image.sh gives the image: the crate's version, as plugin.yaml's.
    assert_eq!(
        sidecar["image"],
        format!(
            "registry.example.com/argocd-karmada-plugin:v{}",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(
        sidecar["securityContext"],
        serde_json::json!({
            "runAsNonRoot": true,
            "runAsUser": 999,
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        })
    );
    let config_map = objs
        .iter()
        .find(|o| {
            o["kind"] == "ConfigMap"
                && o["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("argocd-karmada-plugin-config-")
        })
        .expect("generated plugin ConfigMap (name with hash)");
    let cm_name = config_map["metadata"]["name"].as_str().unwrap();
    let mounts: Vec<(String, String, Option<String>)> = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["mountPath"].as_str().unwrap().to_string(),
                m["subPath"].as_str().map(String::from),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        vec![
            ("var-files".to_string(), "/var/run/argocd".to_string(), None),
            (
                "plugins".into(),
                "/home/argocd/cmp-server/plugins".into(),
                None
            ),
            (
                "argocd-karmada-plugin-config".into(),
                "/home/argocd/cmp-server/config/plugin.yaml".into(),
                Some("plugin.yaml".into())
            ),
            ("argocd-karmada-plugin-tmp".into(), "/tmp".into(), None),
        ]
    );
    // Every mounted volume exists in the pod; ours are what they should be.
    let volumes = pod["volumes"].as_array().unwrap();
    for (name, _, _) in &mounts {
        assert!(
            volumes.iter().any(|v| v["name"] == name.as_str()),
            "volume {name} missing"
        );
    }
    let volume = |n: &str| volumes.iter().find(|v| v["name"] == n).unwrap();
    assert_eq!(
        volume("argocd-karmada-plugin-tmp")["emptyDir"],
        serde_json::json!({})
    );
    assert_eq!(
        volume("argocd-karmada-plugin-config")["configMap"]["name"],
        cm_name
    );
    // Not repo-server's tmp volume.
    assert_ne!(volume("argocd-karmada-plugin-tmp"), volume("tmp"));
    // The ConfigMap carries plugin/plugin.yaml.
    let served: Value =
        serde_saphyr::from_str(config_map["data"]["plugin.yaml"].as_str().unwrap()).unwrap();
    let ours: Value = serde_saphyr::from_str(&common::read(
        &common::repo_root().join("plugin/plugin.yaml"),
    ))
    .unwrap();
    assert_eq!(served, ours);

    // argocd-cm carries every key of the committed argocd-cm-patch.yaml, with the same values.
    let patch: Value = serde_saphyr::from_str(&common::read(
        &common::repo_root().join("argocd-cm-patch.yaml"),
    ))
    .unwrap();
    let want = patch["data"]
        .as_object()
        .expect("argocd-cm-patch.yaml has data");
    assert!(!want.is_empty());
    let cm = find("ConfigMap", "argocd-cm");
    for (k, v) in want {
        assert_eq!(&cm["data"][k], v, "argocd-cm data {k}");
    }
}

#[test]
fn argocd_source_files_and_preserve_file_mode() {
    let (repo, _) = checkout();
    let app_dir = repo.path().join("apps/env");
    // JSON merge patches over spec.source: the env list is replaced, path stays.
    std::fs::write(
        app_dir.join(".argocd-source.yaml"),
        "path: elsewhere\nplugin:\n  env:\n    - {name: FROM_FILE, value: $ARGOCD_APP_SOURCE_PATH}\n",
    )
    .unwrap();
    std::fs::write(
        app_dir.join(".argocd-source-web.yaml"),
        "plugin:\n  parameters:\n    - {name: p, string: from-app-file}\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let plugin = tmp.path().join("p.yaml");
    std::fs::write(
        &plugin,
        "kind: ConfigManagementPlugin\nmetadata: {name: p}\nspec:\n  preserveFileMode: true\n  generate:\n    command: [sh, -c]\n    args: ['printf \"kind: ConfigMap\\ndata: {mode: \\\"%s\\\", env: \\\"%s\\\", param: \\\"%s\\\", greeting: \\\"%s\\\"}\\n\" \"$(stat -c %a tool.sh)\" \"$ARGOCD_ENV_FROM_FILE\" \"$PARAM_P\" \"$ARGOCD_ENV_GREETING\"']\n",
    )
    .unwrap();
    let app = write_app(tmp.path(), "p", "apps/env");
    let out = cmp(&[
        "run",
        "--plugin",
        &plugin.display().to_string(),
        "--app",
        &app,
        &repo.path().display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let data = &docs(&stdout(&out))[0]["data"];
    assert_eq!(
        data,
        &serde_json::json!({"mode": "755", "env": "apps/env", "param": "from-app-file", "greeting": ""})
    );
}
