//! `preview` and `diff` through the binary: what each member cluster receives.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use argocd_karmada_plugin::yaml;
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.env_clear();
    if let Some(helm) = std::env::var_os("HELM_BIN") {
        cmd.env("HELM_BIN", helm);
    }
    cmd.args(args).current_dir(dir);
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.env("ARGOCD_APP_NAME", "demo")
        .env("ARGOCD_APP_NAMESPACE", "default");
    cmd.output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?}: stdout on failure");
    let err = String::from_utf8(out.stderr).unwrap();
    err.lines().next().unwrap_or("").to_string()
}

fn by_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {docs:#?}"))
}

fn examples() -> Vec<std::path::PathBuf> {
    let root = common::repo_root().join("examples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("karmada.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn has_tool(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

#[test]
fn guestbook_member2_gets_its_replicas_and_mirror_image() {
    let dir = common::repo_root().join("examples/guestbook");
    let m1 = yaml::parse_stream(&ok(&dir, &["preview", "--cluster", "member1"]), "m1").unwrap();
    let m2 = yaml::parse_stream(&ok(&dir, &["preview", "--cluster", "member2"]), "m2").unwrap();
    let d1 = by_kind(&m1, "Deployment");
    let d2 = by_kind(&m2, "Deployment");
    // 3 replicas at weights 2:1 (Webster): 2 and 1.
    assert_eq!(
        (
            d1["spec"]["replicas"].as_i64(),
            d2["spec"]["replicas"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let image = |d: &Value| d["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    assert_eq!(image(d1), "gcr.io/heptio-images/ks-guestbook-demo:0.2");
    assert_eq!(
        image(d2),
        "registry.eu.example.com/heptio-images/ks-guestbook-demo:0.2"
    );
    // Policies stay on the control plane; no Karmada bookkeeping without --karmada-metadata.
    assert!(
        m1.iter()
            .all(|d| d["apiVersion"] != "policy.karmada.io/v1alpha1")
    );
    assert!(
        d1["metadata"]["labels"]
            .get("propagationpolicy.karmada.io/permanent-id")
            .is_none()
    );
    let with = ok(
        &dir,
        &["preview", "--cluster", "member1", "--karmada-metadata"],
    );
    assert!(
        with.contains("propagationpolicy.karmada.io/permanent-id"),
        "{with}"
    );
}

/// `preview`, `preview -f` of `generate`'s output, `diff A B` and `diff --matrix` agree on an example.
fn check_example(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let all = ok(dir, &["preview"]);
    let generated = ok(dir, &["generate"]);
    let docs = yaml::parse_stream(&generated, &name).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("stream.yaml");
    std::fs::write(&stream, &generated).unwrap();
    let from_stream = ok(dir, &["preview", "-f", stream.to_str().unwrap()]);
    assert_eq!(
        all, from_stream,
        "{name}: preview DIR and preview -f of generate's output differ"
    );
    let json: Value = serde_json::from_str(&ok(dir, &["diff", "--matrix", "-o", "json"])).unwrap();
    let rows = json.as_array().unwrap();
    let templates = docs
        .iter()
        .filter(|d| d["apiVersion"] != "policy.karmada.io/v1alpha1")
        .count();
    assert_eq!(rows.len(), templates, "{name}: one matrix row per template");
    let clusters: Vec<String> = rows[0]["clusters"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(clusters.len() >= 2, "{name}: {clusters:?}");
    for c in &clusters {
        assert!(
            all.contains(&format!("# ===== cluster {c}: ")),
            "{name}: no group for {c}"
        );
        let one = yaml::parse_stream(&ok(dir, &["preview", "--cluster", c]), c).unwrap();
        let delivered = rows
            .iter()
            .filter(|r| r["clusters"][c]["delivered"] == true)
            .count();
        assert_eq!(
            one.len(),
            delivered,
            "{name}: {c}: stream and matrix disagree"
        );
        assert!(!one.is_empty(), "{name}: {c} receives nothing");
    }
    let diff = ok(dir, &["diff", &clusters[0], &clusters[1]]);
    assert!(diff.contains(" objects are the same on "), "{name}: {diff}");
    let table = ok(dir, &["diff", "--matrix"]);
    assert!(table.starts_with("OBJECT"), "{name}: {table}");
}

#[test]
fn every_example_previews_diffs_and_matrixes() {
    let mut checked = 0;
    for dir in examples() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if name == "helm" {
            continue; // helm_example_previews
        }
        if name.contains("kustomize") && !has_tool("kubectl") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{name}: kubectl is required when CI=true"
            );
            eprintln!("SKIPPED CHECK: example {name} (kubectl missing)");
            continue;
        }
        check_example(&dir);
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
#[cfg_attr(
    not(has_helm),
    ignore = "needs helm: run scripts/install-helm.sh, put it on PATH or set HELM_BIN"
)]
fn helm_example_previews() {
    check_example(&common::repo_root().join("examples/helm"));
}

#[test]
fn bad_preview_arguments_fail_with_one_clear_line_and_no_stdout() {
    let dir = common::repo_root().join("examples/guestbook");
    assert_eq!(
        fails(&dir, &["preview", "--cluster", "member9"]),
        "error: --cluster: cluster member9 is not in the inventory (member1, member2)"
    );
    assert_eq!(
        fails(&dir, &["diff", "member1"]),
        "error: diff needs two clusters: diff [DIR] A B (or diff [DIR] --matrix)"
    );
    assert_eq!(
        fails(&dir, &["preview", ".", "-f", "x.yaml"]),
        "error: give an app directory or -f STREAM, not both"
    );
    assert_eq!(
        fails(&dir, &["preview", "--replicas", "member1=x"]),
        "error: --replicas: \"member1=x\": N must be a whole number >= 0"
    );
    let bad = std::env::temp_dir().join(format!("preview-bad-{}.yaml", std::process::id()));
    std::fs::write(&bad, "apiVersion: policy.karmada.io/v1alpha1\nkind: OverridePolicy\nmetadata: {name: o}\nspec:\n  overrideRules:\n  - overriders:\n      plaintext:\n      - {path: /a, operator: move}\n").unwrap();
    let line = fails(&dir, &["preview", "-f", bad.to_str().unwrap()]);
    assert!(
        line.starts_with(&format!(
            "error: {}: document #1: OverridePolicy: unknown variant `move`",
            bad.display()
        )),
        "{line}"
    );
    std::fs::remove_file(bad).ok();
}

/// A cluster inventory from `kubectl get clusters -o yaml`: labels and fields decide.
#[test]
fn preview_stream_with_a_cluster_inventory() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("stream.yaml");
    std::fs::write(
        &stream,
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 4
  template: {spec: {containers: [{name: api, image: "shop/api:1.0"}]}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: api, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: api}]
  placement:
    clusterAffinity:
      labelSelector: {matchLabels: {env: prod}}
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: mirror}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  overrideRules:
  - targetCluster: {fieldSelector: {matchExpressions: [{key: region, operator: In, values: [eu]}]}}
    overriders:
      imageOverrider: [{component: Registry, operator: replace, value: mirror.eu}]
"#,
    )
    .unwrap();
    let clusters = tmp.path().join("clusters.yaml");
    std::fs::write(
        &clusters,
        r#"
apiVersion: v1
kind: List
items:
- apiVersion: cluster.karmada.io/v1alpha1
  kind: Cluster
  metadata: {name: eu1, labels: {env: prod}}
  spec: {syncMode: Push, region: eu}
- apiVersion: cluster.karmada.io/v1alpha1
  kind: Cluster
  metadata: {name: us1, labels: {env: prod}}
  spec: {syncMode: Push, region: us}
- apiVersion: cluster.karmada.io/v1alpha1
  kind: Cluster
  metadata: {name: dev1, labels: {env: dev}}
  spec: {syncMode: Pull, region: eu}
"#,
    )
    .unwrap();
    let s = stream.to_str().unwrap();
    let c = clusters.to_str().unwrap();
    let eu = yaml::parse_stream(
        &ok(
            tmp.path(),
            &["preview", "-f", s, "--clusters-file", c, "--cluster", "eu1"],
        ),
        "eu1",
    )
    .unwrap();
    assert_eq!(eu[0]["spec"]["replicas"], 2);
    assert_eq!(
        eu[0]["spec"]["template"]["spec"]["containers"][0]["image"],
        "mirror.eu/shop/api:1.0"
    );
    let us = ok(
        tmp.path(),
        &["preview", "-f", s, "--clusters-file", c, "--cluster", "us1"],
    );
    assert!(us.contains("image: shop/api:1.0"), "{us}");
    let dev = ok(
        tmp.path(),
        &[
            "preview",
            "-f",
            s,
            "--clusters-file",
            c,
            "--cluster",
            "dev1",
        ],
    );
    assert!(dev.starts_with("# not delivered: apps/v1 Deployment shop/api: not selected by the placement's cluster affinity"), "{dev}");
}

/// A selector Kubernetes cannot build (here `NotIn` with no values) matches no cluster, in a
/// placement and in an override rule's target alike (`util.ClusterMatches`), although its test
/// alone would pass.
#[test]
fn selectors_that_do_not_build_select_no_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = |placement: &str, target: &str| {
        format!(
            r#"
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop}}
spec: {{containers: [{{name: c, image: "shop/c:1.0"}}]}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: p, namespace: shop}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: Pod, name: p}}]
  placement: {{clusterAffinity: {placement}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {{name: mirror}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: Pod}}]
  overrideRules:
  - targetCluster: {target}
    overriders: {{imageOverrider: [{{component: Registry, operator: replace, value: mirror.eu}}]}}
"#
        )
    };
    let clusters = tmp.path().join("clusters.yaml");
    std::fs::write(
        &clusters,
        "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: eu1, labels: {env: prod}}\nspec: {syncMode: Push, region: eu}\n",
    )
    .unwrap();
    let preview = |stream: String| {
        let path = tmp.path().join("stream.yaml");
        std::fs::write(&path, stream).unwrap();
        ok(
            tmp.path(),
            &[
                "preview",
                "-f",
                path.to_str().unwrap(),
                "--clusters-file",
                clusters.to_str().unwrap(),
                "--cluster",
                "eu1",
            ],
        )
    };
    let empty_not_in =
        "{labelSelector: {matchExpressions: [{key: env, operator: NotIn, values: []}]}}";
    let out = preview(doc(empty_not_in, "{clusterNames: [eu1]}"));
    assert!(
        out.starts_with(
            "# not delivered: v1 Pod shop/p: not selected by the placement's cluster affinity"
        ),
        "{out}"
    );
    let field = |values: &str| {
        format!(
            "{{fieldSelector: {{matchExpressions: [{{key: region, operator: NotIn, values: {values}}}]}}}}"
        )
    };
    let out = preview(doc("{clusterNames: [eu1]}", &field("[]")));
    assert!(out.contains("image: shop/c:1.0"), "{out}");
    let out = preview(doc("{clusterNames: [eu1]}", &field("[us]")));
    assert!(out.contains("image: mirror.eu/shop/c:1.0"), "{out}");
}

/// Property: for every `overrides[].kustomize` overlay of every example, what `preview --cluster X`
/// gives each of the entry's clusters is exactly the overlay's own render (Karmada turned the
/// overlay into OverridePolicies and applied them back).
#[test]
fn overlay_overrides_deliver_the_overlay_render() {
    if !has_tool("kubectl") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "kubectl is required when CI=true"
        );
        eprintln!("SKIPPED CHECK: overlay property (kubectl missing)");
        return;
    }
    let key = |d: &Value| {
        format!(
            "{} {} {} {}",
            d["apiVersion"], d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]
        )
    };
    let mut checked = 0;
    for dir in examples() {
        let placement =
            yaml::parse_one(&common::read(&dir.join("karmada.yaml")), "karmada.yaml").unwrap();
        for entry in placement["overrides"].as_array().into_iter().flatten() {
            let Some(overlay) = entry["kustomize"].as_str() else {
                continue;
            };
            let out = Command::new("kubectl")
                .args(["kustomize", overlay])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut expected =
                yaml::parse_stream(&String::from_utf8(out.stdout).unwrap(), overlay).unwrap();
            for d in &mut expected {
                // Namespaced objects without a namespace land in the destination namespace.
                if d["metadata"].get("namespace").is_none() && d["kind"] != "Namespace" {
                    let meta = d["metadata"].as_object_mut().unwrap();
                    let name = meta.remove("name").unwrap();
                    let rest = std::mem::take(meta);
                    meta.insert("name".into(), name);
                    meta.insert("namespace".into(), "default".into());
                    meta.extend(rest);
                }
            }
            for cluster in entry["clusters"].as_array().unwrap() {
                let c = cluster.as_str().unwrap();
                let got = yaml::parse_stream(&ok(&dir, &["preview", "--cluster", c]), c).unwrap();
                let mut want: Vec<(String, &Value)> =
                    expected.iter().map(|d| (key(d), d)).collect();
                let mut have: Vec<(String, &Value)> = got.iter().map(|d| (key(d), d)).collect();
                want.sort_by(|a, b| a.0.cmp(&b.0));
                have.sort_by(|a, b| a.0.cmp(&b.0));
                assert_eq!(
                    want.iter().map(|w| &w.0).collect::<Vec<_>>(),
                    have.iter().map(|h| &h.0).collect::<Vec<_>>(),
                    "{overlay} on {c}: different objects"
                );
                for ((k, w), (_, h)) in want.iter().zip(&have) {
                    assert_eq!(w, h, "{overlay} on {c}: {k}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "only {checked} overlay/cluster pairs checked");
}

/// An app in a fresh repository: `files` are (path, content).
fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    for (path, text) in files {
        let p = tmp.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    tmp
}

fn member(dir: &Path, cluster: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["preview", "--cluster", cluster];
    args.extend_from_slice(extra);
    yaml::parse_stream(&ok(dir, &args), cluster).unwrap()
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: example.com/shop/web:1.0
        env:
        - {name: B, value: x}
        - {name: URL, value: 'http://$(HOST):80'}
";

fn env_names(d: &Value, container: usize) -> Vec<String> {
    d["spec"]["template"]["spec"]["containers"][container]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// Regression: env overrides keep the container's order and put a new variable before the first
/// `$(VAR)` that references it; several entries for one cluster compose.
#[test]
fn env_overrides_keep_order_expand_references_and_compose() {
    let dir = app(&[
        ("web.yaml", WEB),
        (
            "karmada.yaml",
            "apiVersion: argocd-karmada-plugin/v1alpha1
kind: Placement
clusters: {names: [m1, m2]}
overrides:
  - {clusters: [m1], env: {Z: '1', HOST: h.example.com}}
  - {clusters: [m2], patches: [{target: {kind: Deployment}, ops: [{op: remove, path: /spec/template/spec/containers/0/env}]}]}
  - {clusters: [m2], env: {A: '1'}}
  - {clusters: [m2], env: {C: '3'}}
",
        ),
    ]);
    let m1 = member(dir.path(), "m1", &[]);
    assert_eq!(env_names(&m1[0], 0), ["B", "HOST", "URL", "Z"]);
    let m2 = member(dir.path(), "m2", &[]);
    assert_eq!(env_names(&m2[0], 0), ["A", "C"]);
}

/// Regression: an image override addresses the containers that are there after earlier rules
/// for the same cluster (here a sidecar inserted first).
#[test]
fn image_overrides_follow_containers_moved_by_earlier_rules() {
    let dir = app(&[
        ("web.yaml", WEB),
        (
            "karmada.yaml",
            "apiVersion: argocd-karmada-plugin/v1alpha1
kind: Placement
clusters: {names: [m1]}
overrides:
  - clusters: [m1]
    patches:
      - target: {kind: Deployment}
        ops: [{op: add, path: /spec/template/spec/containers/0, value: {name: proxy, image: envoy:1}}]
  - {clusters: [m1], image: {registry: mirror.example.com}}
",
        ),
    ]);
    let m1 = member(dir.path(), "m1", &[]);
    let images: Vec<&str> = m1[0]["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["image"].as_str().unwrap())
        .collect();
    assert_eq!(
        images,
        [
            "mirror.example.com/envoy:1",
            "mirror.example.com/shop/web:1.0"
        ]
    );
}

/// Regression: an image pinned by tag and digest keeps its digest under a registry override, and a
/// tag override on it is refused.
#[test]
fn images_pinned_by_digest_keep_it() {
    let digest = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c";
    let web = WEB.replace(
        "example.com/shop/web:1.0",
        &format!("example.com/shop/web:1.0@{digest}"),
    );
    let placement = |o: &str| {
        format!(
            "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters: {{names: [m1]}}\noverrides:\n  - {{clusters: [m1], image: {o}}}\n"
        )
    };
    let dir = app(&[
        ("web.yaml", &web),
        ("karmada.yaml", &placement("{registry: mirror.example.com}")),
    ]);
    let m1 = member(dir.path(), "m1", &[]);
    assert_eq!(
        m1[0]["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("mirror.example.com/shop/web:1.0@{digest}")
    );
    let dir = app(&[
        ("web.yaml", &web),
        ("karmada.yaml", &placement("{tag: '2.0'}")),
    ]);
    let line = fails(dir.path(), &["generate"]);
    assert!(
        line.starts_with(&format!("error: karmada.yaml: overrides[0].image.tag: container \"app\" of apps/Deployment default/web runs example.com/shop/web:1.0@{digest}, pinned by tag and digest")),
        "{line}"
    );
}

/// Regression: two workloads pinned to different digests each keep their own image under one
/// registry override (they used to share the first one's rule).
#[test]
fn pinned_images_are_overridden_per_workload() {
    let pinned = |name: &str, fill: char| {
        let digest = format!("sha256:{}", fill.to_string().repeat(64));
        let doc = WEB
            .replace("{name: web}", &format!("{{name: {name}}}"))
            .replace(
                "example.com/shop/web:1.0",
                &format!("example.com/shop/{name}:1.0@{digest}"),
            );
        (doc, format!("mirror.example.com/shop/{name}:1.0@{digest}"))
    };
    let ((a, want_a), (b, want_b)) = (pinned("a", '1'), pinned("b", '2'));
    let dir = app(&[
        ("a.yaml", &a),
        ("b.yaml", &b),
        (
            "karmada.yaml",
            "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters: {names: [m1]}\noverrides:\n  - {clusters: [m1], image: {registry: mirror.example.com}}\n",
        ),
    ]);
    let images: BTreeMap<String, Value> = member(dir.path(), "m1", &[])
        .into_iter()
        .map(|d| {
            let name = d["metadata"]["name"].as_str().unwrap().to_string();
            (
                name,
                d["spec"]["template"]["spec"]["containers"][0]["image"].clone(),
            )
        })
        .collect();
    assert_eq!(images["a"], want_a.as_str());
    assert_eq!(images["b"], want_b.as_str());
}

/// Regression: an overlay that adds labels to an object without labels changes them key by key
/// (Karmada's own labels on the member copy survive).
#[test]
fn overlay_labels_are_added_key_by_key() {
    if !has_tool("kubectl") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "kubectl is required when CI=true"
        );
        return;
    }
    let dir = app(&[
        (
            "base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1'}\n",
        ),
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        (
            "overlays/m1/kustomization.yaml",
            "resources: [../../base]\nlabels:\n- pairs: {tier: gold}\n",
        ),
        ("kustomization.yaml", "resources: [base]\n"),
        (
            "karmada.yaml",
            "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters: {names: [m1]}\noverrides:\n  - {clusters: [m1], kustomize: overlays/m1}\n",
        ),
    ]);
    let generated = ok(dir.path(), &["generate"]);
    assert!(generated.contains("labelsOverrider"), "{generated}");
    assert!(
        !generated.contains("path: /metadata/labels\n"),
        "{generated}"
    );
    let m1 = member(dir.path(), "m1", &["--karmada-metadata"]);
    let labels = &m1[0]["metadata"]["labels"];
    assert_eq!(labels["tier"], "gold");
    assert!(
        labels
            .get("propagationpolicy.karmada.io/permanent-id")
            .is_some(),
        "{labels}"
    );
}

/// Regression: Divided leaving a cluster without replicas makes its override moot; a 0-replica
/// workload goes nowhere. `generate` warns on stderr, `preview` and `diff --matrix` show it.
#[test]
fn zero_replica_clusters_and_workloads_are_reported() {
    let dir = app(&[
        ("web.yaml", WEB),
        (
            "idle.yaml",
            &WEB.replace("name: web}", "name: idle}")
                .replace("replicas: 2", "replicas: 0")
                .replace("env:", "resources: {requests: {cpu: 100m}}\n        env:"),
        ),
        (
            "karmada.yaml",
            "apiVersion: argocd-karmada-plugin/v1alpha1
kind: Placement
clusters: {names: [m1, m2, m3]}
replicas: {mode: Divided, weights: {m1: 5, m2: 5, m3: 1}}
overrides:
  - {clusters: [m3], target: {name: web}, labels: {tier: small}}
",
        ),
    ]);
    let out = run(dir.path(), &["generate"]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: apps/v1 Deployment default/web: OverridePolicy demo-deployment-web overrides it on cluster m3, but Divided gives it 0 of 2 replicas"),
        "{stderr}"
    );
    assert!(stderr.contains("warning: apps/v1 Deployment default/idle: a workload with 0 replicas is delivered nowhere"), "{stderr}");
    let m3 = ok(dir.path(), &["preview", "--cluster", "m3"]);
    assert!(
        m3.contains(
            "# not delivered: apps/v1 Deployment default/web: Divided gives it 0 of 2 replicas"
        ),
        "{m3}"
    );
    assert!(m3.contains("# warning: apps/v1 Deployment default/web: OverridePolicy demo-deployment-web overrides it on cluster m3"), "{m3}");
    let table = ok(dir.path(), &["diff", "--matrix"]);
    assert!(table.contains("- warning: apps/v1 Deployment default/idle: a workload with 0 replicas is delivered nowhere"), "{table}");
}
