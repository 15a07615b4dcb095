//! `cmp run` failures as repo-server reports them: plugin exit status, unparsable output,
//! timeouts, symlinks leaving the repository.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::cmp::*;
use common::{stderr, stdout};

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
    let out = cmp_run(&plugin, &app, &[], &repo.path().display().to_string());
    assert_eq!(
        first_error_line(&out),
        "error: repository contains out-of-bounds symlinks. file: apps/plain/passwd"
    );
}
