//! Every command that prints treats a reader that stops early (`... | head`) as success: no
//! panic, no error text, a successful exit status.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// Runs the binary, reads one line of its stdout, closes the pipe and waits.
fn read_one_line_then_close(args: &[&str], dir: &Path) -> (String, ExitStatus, String) {
    let mut child = Command::new(common::bin())
        .args(args)
        .current_dir(dir)
        .env("ARGOCD_APP_NAME", "big")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().expect("piped"));
        reader.read_line(&mut first).expect("read a line");
        // the reader is dropped here: the pipe is closed with most of the output unread
    }
    let out = child.wait_with_output().expect("wait");
    (
        first,
        out.status,
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn assert_quiet_success(what: &str, status: ExitStatus, stderr: &str) {
    assert!(status.success(), "{what}: {status:?}, stderr: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("failed printing") && stderr.is_empty(),
        "{what}: {stderr}"
    );
}

#[test]
fn health_on_a_large_list_with_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..20_000 {
        list.push_str(&format!(
            "- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: config-{i:05}, namespace: demo}}}}\n"
        ));
    }
    std::fs::write(dir.path().join("list.yaml"), list).unwrap();
    std::fs::write(
        dir.path().join("ok.lua"),
        "return {status = 'Healthy', message = 'a message long enough to fill the pipe quickly'}",
    )
    .unwrap();
    let (first, status, stderr) =
        read_one_line_then_close(&["health", "list.yaml", "--script", "ok.lua"], dir.path());
    assert!(first.starts_with("KIND"), "{first}");
    assert_quiet_success("health", status, &stderr);
}

#[test]
fn generate_with_a_large_output_and_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("karmada.yaml"),
        "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters:\n  names: [member1]\n",
    )
    .unwrap();
    // 5,000 objects (about 1 MB of output) in files of 500 documents
    for file in 0..10 {
        let mut manifests = String::new();
        for i in file * 500..(file + 1) * 500 {
            manifests.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i:05}\ndata:\n  key: value-{i}\n"
            ));
        }
        std::fs::write(dir.path().join(format!("configs-{file}.yaml")), manifests).unwrap();
    }
    let (first, status, stderr) = read_one_line_then_close(&["generate"], dir.path());
    assert_eq!(first, "---\n", "{stderr}");
    assert_quiet_success("generate", status, &stderr);
}
