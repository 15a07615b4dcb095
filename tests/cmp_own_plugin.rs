//! Our own plugin (plugin/plugin.yaml) through `cmp run` on the examples and on this repository,
//! the example Application against Argo CD's CRD, and the sidecar overlay.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::cmp::*;
use common::{copy_dir, stderr, stdout};
use serde_json::Value;

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
    cmp_run(
        &own_plugin(),
        &app.display().to_string(),
        &["--summary"],
        &repo.display().to_string(),
    )
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
    let out = cmp_run(&own_plugin(), &app, &[], &repo_s);
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
    let out = cmp_run(&own_plugin(), &app, &["--summary"], &repo_s);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("own_plugin_kustomize_summary", stdout(&out));

    // The plugin's own stderr reaches the user inside Argo CD's error chain.
    let app = example_app(tmp.path(), "examples/helm");
    let out = cmp_run(
        &own_plugin(),
        &app,
        &["--sidecar-env", "HELM_BIN=/nonexistent/helm"],
        &repo_s,
    );
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
