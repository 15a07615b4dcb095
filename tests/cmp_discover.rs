//! `cmp run` / `cmp parameters` / `cmp discover`: which plugin serves an app (discovery, named
//! plugins), its parameters (dynamic then static), and plugin.yaml errors.

mod common;

use common::cmp::*;
use common::{stderr, stdout};
use serde_json::Value;

#[test]
fn find_command_plugin_with_json_stream() {
    let (repo, _) = checkout();
    let repo_s = repo.path().display().to_string();
    for app_file in ["starlark.yaml", "starlark-auto.yaml"] {
        let out = cmp_run(
            &plugin("starlark.yaml"),
            &app(app_file),
            &["--summary"],
            &repo_s,
        );
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
    let out = cmp_run(&plugin("starlark.yaml"), &app("plain.yaml"), &[], &repo_s);
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
    let out = cmp_run(&plugin, &app, &[], &repo.path().display().to_string());
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
    let out = cmp_run(&plugin, &app, &[], &repo.path().display().to_string());
    assert_eq!(
        first_error_line(&out),
        "error: CMP processing failed for application \"web\": could not find cmp-server plugin with name \"p\" supporting the given repository: error checking repository support for plugin p.sock: error receiving stream response: rpc error: code = Unknown desc = match repository error: error running find command: `sh -c \"echo no >&2; exit 2\"` failed exit status 2: no"
    );
    // The name must be the plugin's socket name.
    let app = write_app(tmp.path(), "other", "apps/plain");
    let out = cmp_run(&plugin, &app, &[], &repo.path().display().to_string());
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
    let out = cmp_run(
        &bad.display().to_string(),
        &app,
        &[],
        &repo.path().display().to_string(),
    );
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
