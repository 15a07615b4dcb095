//! `status` end to end: the binary, through kube-rs, against a local Kubernetes API server that
//! serves Karmada bindings and clusters built from the health library's test data.

mod apiserver;
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use apiserver::ApiServer;
use apiserver::fixtures::{self, Schemas};
use serde_json::{Value, json};

/// A server and a kubeconfig for it. Every Karmada object it serves is recorded, so
/// `served_karmada_objects_match_the_schemas` can check them against Karmada's schemas.
struct World {
    server: ApiServer,
    dir: tempfile::TempDir,
    served: std::cell::RefCell<Vec<Value>>,
}

impl World {
    fn new(_test: &str) -> World {
        World::with(ApiServer::start(), _test)
    }

    fn with(server: ApiServer, _test: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), server.kubeconfig(None)).unwrap();
        World {
            server,
            dir,
            served: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// Serves a Karmada object (and records it for the schema check).
    fn put(&self, obj: Value) {
        self.served.borrow_mut().push(obj.clone());
        self.server.put(obj);
    }

    /// A template of `app` and, unless `binding` is `None`, its binding from that test data.
    fn object(
        &self,
        app: &str,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        binding: Option<&str>,
    ) {
        let t = fixtures::template(app, api_version, kind, ns, name);
        if let Some(b) = binding {
            self.put(fixtures::binding_for(b, &t));
        }
        self.server.put(t);
    }

    fn clusters(&self) {
        self.put(fixtures::cluster("member1", "healthy"));
        self.put(fixtures::cluster("member2", "healthy"));
        self.put(fixtures::cluster("member3", "degraded_not_reachable"));
    }

    /// The `shop` app: one object of each kind of finding, and another app's object beside it.
    fn shop(&self) {
        self.clusters();
        let ns = Some("shop");
        self.object("shop", "apps/v1", "Deployment", ns, "web", Some("healthy"));
        self.object(
            "shop",
            "apps/v1",
            "Deployment",
            ns,
            "api",
            Some("progressing_rollout"),
        );
        self.object(
            "shop",
            "apps/v1",
            "Deployment",
            ns,
            "cart",
            Some("degraded_apply_failed"),
        );
        self.object(
            "shop",
            "v1",
            "Service",
            ns,
            "web",
            Some("service_clusterip"),
        );
        self.object("shop", "v1", "ConfigMap", ns, "settings", None);
        self.object(
            "shop",
            "webapp.my.domain/v1",
            "Guestbook",
            ns,
            "guestbook",
            Some("degraded_unknown_kind"),
        );
        self.object("blog", "apps/v1", "Deployment", ns, "blog", Some("healthy"));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(common::bin());
        c.arg("status")
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// An error run: exit code 3, nothing on stdout. Returns the first stderr line.
fn failed(o: &Output) -> String {
    assert_eq!(code(o), 3, "stderr: {}", stderr(o));
    assert_eq!(stdout(o), "", "never partial output on failure");
    stderr(o).lines().next().unwrap_or("").to_string()
}

/// [`failed`], with a first line that starts with `start`.
fn fails_with(o: &Output, start: &str) -> String {
    let first = failed(o);
    assert!(first.starts_with(start), "{first}");
    first
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

/// Lines of the table that belong to `object` (e.g. `Deployment/shop/cart`).
fn row<'a>(table: &'a str, object: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{object} ")))
        .unwrap_or_else(|| panic!("no row {object} in:\n{table}"))
}

#[test]
fn app_matrix_table() {
    let w = World::new("app_matrix_table");
    w.shop();
    let out = w.run(&["--app", "shop"]);
    let table = stdout(&out);
    assert_eq!(code(&out), 2, "degraded => 2; stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "");
    insta::assert_snapshot!("status-app-shop", table);
    // Every cluster column, in name order; only the app's own objects.
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "OBJECT", "member1", "member2", "member3", "STATUS", "MESSAGE"
        ]
    );
    assert!(!table.contains("blog"));
    let web: Vec<&str> = row(&table, "Deployment/shop/web")
        .split_whitespace()
        .collect();
    assert_eq!(
        web[..5],
        [
            "Deployment/shop/web",
            "Healthy",
            "Healthy",
            "Healthy",
            "Healthy"
        ]
    );
    assert!(row(&table, "ConfigMap/shop/settings").contains("no PropagationPolicy matched"));
    assert!(table.contains("member3 NotReady (ClusterNotReachable)"));
    // Not a terminal: plain words, no escape codes, no glyphs.
    assert!(!table.contains('\x1b') && !table.contains('✔'));
}

#[test]
fn app_lists_once_per_type_never_gets() {
    let w = World::new("app_lists_once_per_type_never_gets");
    w.shop();
    let out = w.run(&["--app", "shop", "--page-size", "2"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let requests = w.server.requests();
    assert!(requests.iter().all(|r| r.starts_with("GET ")));
    // Pages of 2: the 3 Deployments come in two pages, joined by the continue token.
    let deployments: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("GET /apis/apps/v1/deployments?"))
        .collect();
    assert_eq!(deployments.len(), 2, "{deployments:#?}");
    assert!(deployments.iter().all(|r| r.contains("limit=2")));
    assert!(deployments[1].contains("continue=2"));
    // Templates are listed as metadata only (a Secret's data never travels); bindings and
    // clusters whole, as the health library judges them.
    let secrets = requests
        .iter()
        .find(|r| r.starts_with("GET /api/v1/secrets?"))
        .unwrap();
    assert!(secrets.ends_with(" (metadata)"), "{secrets}");
    assert!(deployments.iter().all(|r| r.ends_with(" (metadata)")));
    let bindings = requests
        .iter()
        .find(|r| r.contains("/resourcebindings?"))
        .unwrap();
    assert!(!bindings.ends_with(" (metadata)"), "{bindings}");
    // No request names a single object.
    assert!(
        requests.iter().all(|r| !r.contains("/deployments/")),
        "{requests:#?}"
    );
    // Same table as with one page.
    let one_page = w.run(&["--app", "shop"]);
    assert_eq!(stdout(&out), stdout(&one_page));
}

#[test]
fn app_by_label_tracking() {
    let w = World::new("app_by_label_tracking");
    w.shop();
    let out = w.run(&["--app", "shop", "--tracking", "label"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let by_label = stdout(&out);
    assert_eq!(by_label, stdout(&w.run(&["--app", "shop"])));
    // The label method narrows the LIST on the server.
    assert!(
        w.server
            .requests()
            .iter()
            .any(|r| r.contains("labelSelector=app.kubernetes.io%2Finstance%3Dshop")),
        "{:#?}",
        w.server.requests()
    );
    let both = w.run(&["--app", "shop", "--tracking", "annotation+label"]);
    assert_eq!(stdout(&both), by_label);
}

#[test]
fn app_without_objects_names_the_method() {
    let w = World::new("app_without_objects_names_the_method");
    w.shop();
    let out = w.run(&["--app", "shopp"]);
    let first = fails_with(&out, "error: app shopp: no objects found");
    assert!(first.contains("tracking method annotation"), "{first}");
    assert!(first.contains("--tracking label"), "{first}");
    let first = failed(&w.run(&["--app", "shopp", "--tracking", "label"]));
    assert!(first.contains("--tracking annotation"), "{first}");
}

#[test]
fn exit_codes_follow_the_worst_object() {
    let w = World::new("exit_codes_follow_the_worst_object");
    w.clusters();
    w.object(
        "ok",
        "apps/v1",
        "Deployment",
        Some("a"),
        "web",
        Some("healthy"),
    );
    w.object(
        "rolling",
        "apps/v1",
        "Deployment",
        Some("a"),
        "api",
        Some("progressing_rollout"),
    );
    w.object(
        "paused",
        "apps/v1",
        "Deployment",
        Some("a"),
        "batch",
        Some("suspended"),
    );
    assert_eq!(code(&w.run(&["--app", "ok"])), 0);
    assert_eq!(code(&w.run(&["--app", "rolling"])), 1);
    assert_eq!(code(&w.run(&["--app", "paused"])), 1);
}

#[test]
fn json_and_yaml_shapes() {
    let w = World::new("json_and_yaml_shapes");
    w.shop();
    let out = w.run(&["--app", "shop", "-o", "json"]);
    assert_eq!(code(&out), 2);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["app"], "shop");
    assert_eq!(doc["status"], "Degraded");
    assert_eq!(doc["exitCode"], 2);
    assert_eq!(
        doc["clusters"][2],
        json!({"name": "member3", "ready": "NotReady",
        "reason": "ClusterNotReachable", "message": doc["clusters"][2]["message"]})
    );
    let cart = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "cart")
        .unwrap();
    assert_eq!(cart["apiVersion"], "apps/v1");
    assert_eq!(cart["namespace"], "shop");
    assert_eq!(cart["binding"], "cart-deployment");
    assert_eq!(cart["status"], "Degraded");
    assert_eq!(cart["clusters"]["member1"]["status"], "Healthy");
    assert_eq!(cart["clusters"]["member1"]["replicas"], 2);
    let m3 = &cart["clusters"]["member3"];
    assert_eq!(m3["status"], "Degraded");
    let message = m3["message"].as_str().unwrap();
    // The NotReady cluster explains its cell.
    assert!(
        message.starts_with("cluster member3 is NotReady (ClusterNotReachable); "),
        "{m3}"
    );
    assert!(message.contains("apply failed"), "{m3}");
    assert_eq!(doc["totals"]["Degraded"], 2);
    let yaml = w.run(&["--app", "shop", "-o", "yaml"]);
    let from_yaml = argocd_karmada_plugin::yaml::parse_one(&stdout(&yaml), "stdout").unwrap();
    assert_eq!(from_yaml, doc);
}

#[test]
fn wide_shows_replicas() {
    let w = World::new("wide_shows_replicas");
    w.shop();
    let out = w.run(&["--app", "shop", "--wide"]);
    let table = stdout(&out);
    assert!(
        row(&table, "Deployment/shop/web").contains("Healthy 2/2"),
        "{table}"
    );
    insta::assert_snapshot!("status-app-shop-wide", table);
}

/// An app directory holding `objects` (YAML) and a karmada.yaml for three members.
fn app_dir(root: &Path, name: &str, manifests: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("karmada.yaml"),
        "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters:\n  names: [member1, member2, member3]\n",
    )
    .unwrap();
    std::fs::write(dir.join("app.yaml"), manifests).unwrap();
    dir
}

const SHOP_MANIFESTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 6, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}], selector: {app: web}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: prod}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ghost}
spec: {replicas: 1, selector: {matchLabels: {app: ghost}}, template: {metadata: {labels: {app: ghost}}, spec: {containers: [{name: ghost, image: nginx}]}}}
";

#[test]
fn dir_looks_up_exactly_the_rendered_objects() {
    let w = World::new("dir_looks_up_exactly_the_rendered_objects");
    w.shop();
    let dir = app_dir(w.dir.path(), "shop", SHOP_MANIFESTS);
    let out = w
        .command(&[dir.to_str().unwrap()])
        .env("ARGOCD_APP_NAMESPACE", "shop")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let table = stdout(&out);
    // In render order; the policies generate adds stay on the control plane and are not rows.
    let objects: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        objects,
        [
            "Deployment/shop/web",
            "Service/shop/web",
            "ConfigMap/shop/settings",
            "Deployment/shop/ghost"
        ]
    );
    assert!(row(&table, "Deployment/shop/ghost").contains("Missing"));
    assert!(row(&table, "Deployment/shop/ghost").contains("not found on karmada-apiserver"));
    assert!(
        row(&table, "ConfigMap/shop/settings").contains("no ResourceBinding settings-configmap")
    );
    // One LIST per type and namespace, bindings of that namespace only.
    let mut requests: Vec<String> = w
        .server
        .requests()
        .into_iter()
        .map(|r| r.split('?').next().unwrap().to_string())
        .collect();
    requests.sort();
    assert_eq!(
        requests,
        [
            "GET /api/v1/namespaces/shop/configmaps",
            "GET /api/v1/namespaces/shop/services",
            "GET /apis/apps/v1/namespaces/shop/deployments",
            "GET /apis/cluster.karmada.io/v1alpha1/clusters",
            "GET /apis/work.karmada.io/v1alpha2/namespaces/shop/resourcebindings",
        ]
    );
}

#[test]
fn dir_render_errors_are_reported_first() {
    let w = World::new("dir_render_errors_are_reported_first");
    let dir = app_dir(
        w.dir.path(),
        "bad",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
    );
    let out = w.run(&[dir.to_str().unwrap()]);
    assert_eq!(code(&out), 3);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    assert!(
        w.server.requests().is_empty(),
        "render fails before any request"
    );
}

#[test]
fn unauthorized_says_the_credentials_are_bad() {
    let w = World::new("unauthorized_says_the_credentials_are_bad");
    w.shop();
    w.server.require_token("current-token");
    std::fs::write(w.kubeconfig(), w.server.kubeconfig(Some("expired-token"))).unwrap();
    let out = w.run(&["--app", "shop"]);
    let first = failed(&out);
    assert!(first.contains("unauthorized (401)"), "{first}");
    assert!(first.contains(&w.server.url), "{first}");
    assert!(
        !stderr(&out).contains("expired-token"),
        "never print the token"
    );
    // The right token works.
    std::fs::write(w.kubeconfig(), w.server.kubeconfig(Some("current-token"))).unwrap();
    assert_eq!(code(&w.run(&["--app", "shop"])), 2);
}

#[test]
fn forbidden_bindings_name_the_resource() {
    let w = World::new("forbidden_bindings_name_the_resource");
    w.shop();
    w.server.fail(
        "/apis/work.karmada.io/v1alpha2/resourcebindings",
        403,
        "resourcebindings.work.karmada.io is forbidden: User \"dev\" cannot list resource \"resourcebindings\" in API group \"work.karmada.io\" at the cluster scope",
    );
    let out = w.run(&["--app", "shop"]);
    let first = fails_with(
        &out,
        "error: /apis/work.karmada.io/v1alpha2/resourcebindings: forbidden (403): ",
    );
    assert!(first.contains("cannot list resource"), "{first}");
}

#[test]
fn forbidden_template_kind_is_a_warning() {
    let w = World::new("forbidden_template_kind_is_a_warning");
    w.shop();
    w.server.fail(
        "/api/v1/secrets",
        403,
        "secrets is forbidden: User \"dev\" cannot list resource \"secrets\"",
    );
    let out = w.run(&["--app", "shop"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("warning: /api/v1/secrets: forbidden (403): "),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("Deployment/shop/cart"));
}

#[test]
fn unreachable_server() {
    let w = World::new("unreachable_server");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = w
        .server
        .kubeconfig(None)
        .replace(&w.server.url, &format!("http://127.0.0.1:{port}"));
    std::fs::write(w.kubeconfig(), kc).unwrap();
    let started = Instant::now();
    let out = w.run(&["--app", "shop", "--timeout", "5s"]);
    let first = failed(&out);
    assert!(first.contains("cannot reach the API server"), "{first}");
    assert!(!first.contains("Error {"), "no debug dump: {first}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn missing_kubeconfig_file() {
    let w = World::new("missing_kubeconfig_file");
    let out = w.run(&["--app", "shop", "--kubeconfig", "/nonexistent/kubeconfig"]);
    fails_with(
        &out,
        "error: /nonexistent/kubeconfig: cannot read the kubeconfig",
    );
}

#[test]
fn timeout_bounds_a_silent_server() {
    let w = World::new("timeout_bounds_a_silent_server");
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let kc = w
        .server
        .kubeconfig(None)
        .replace(&w.server.url, &format!("http://127.0.0.1:{port}"));
    std::fs::write(w.kubeconfig(), kc).unwrap();
    let started = Instant::now();
    let out = w.run(&["--app", "shop", "--timeout", "1s"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("1s"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn unknown_kind_falls_back_like_the_library() {
    let w = World::new("unknown_kind_falls_back_like_the_library");
    w.shop();
    let out = w.run(&["--app", "shop", "-o", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let gb = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Guestbook")
        .unwrap();
    // The library's verdict on the same binding, evaluated directly.
    let t = fixtures::template(
        "shop",
        "webapp.my.domain/v1",
        "Guestbook",
        Some("shop"),
        "guestbook",
    );
    let b = fixtures::binding_for("degraded_unknown_kind", &t);
    let lib = argocd_karmada_plugin::health::cli::library().unwrap();
    let hs = argocd_karmada_plugin::argo::health::resource_health(&b, &lib)
        .unwrap()
        .unwrap();
    assert_eq!(gb["status"], hs.status);
    assert_eq!(gb["message"], hs.message);
}

/// Member-side objects of `cart` on member3: a Deployment with conditions, its events, a pod
/// stuck pulling its image, and a ready pod.
fn cart_on_member3(w: &World) {
    let objects = [
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "cart"}}},
        "status": {"conditions": [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
             "message": "Deployment does not have minimum availability."}]}}),
        json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "cart.1", "namespace": "shop"},
        "involvedObject": {"kind": "Deployment", "name": "cart", "namespace": "shop"},
        "type": "Warning", "reason": "FailedCreate", "lastTimestamp": "2026-11-20T10:01:00Z",
        "message": "pods \"cart-7d9\" is forbidden: exceeded quota"}),
        json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "shop"},
        "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "shop"},
        "type": "Normal", "reason": "ScalingReplicaSet", "lastTimestamp": "2026-11-20T10:00:00Z",
        "message": "another object's event"}),
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "cart-7d9-abcde", "namespace": "shop", "labels": {"app": "cart"}},
        "status": {"phase": "Pending",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "cart", "ready": false,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"cart:v2\""}}}]}}),
        json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "cart-7d9-fghij", "namespace": "shop", "labels": {"app": "cart"}},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
    ];
    for obj in objects {
        w.server.put_member("member3", obj);
    }
}

#[test]
fn details_through_the_cluster_proxy() {
    let w = World::new("details_through_the_cluster_proxy");
    w.shop();
    cart_on_member3(&w);
    let out = w.run(&["--app", "shop", "--details", "member3"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let text = stdout(&out);
    let cart = text
        .split("\n\n")
        .find(|s| s.starts_with("Deployment/shop/cart on member3 (Degraded):"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(cart.contains("Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability."), "{cart}");
    assert!(
        cart.contains("Warning FailedCreate: pods \"cart-7d9\" is forbidden: exceeded quota"),
        "{cart}"
    );
    assert!(!cart.contains("another object's event"), "{cart}");
    assert!(
        cart.contains(
            "cart-7d9-abcde: Pending; cart: ImagePullBackOff (Back-off pulling image \"cart:v2\")"
        ),
        "{cart}"
    );
    assert!(!cart.contains("cart-7d9-fghij"), "{cart}");
    // Objects the member does not have say so; healthy cells are not drilled into.
    assert!(text.contains("Deployment/shop/api on member3"), "{text}");
    assert!(!text.contains("Deployment/shop/web on member3"), "{text}");
    assert!(w.server.requests().iter().any(|r| r.starts_with(
        "GET /apis/cluster.karmada.io/v1alpha1/clusters/member3/proxy/apis/apps/v1/namespaces/shop/deployments/cart"
    )));
    let json_out = w.run(&["--app", "shop", "--details", "member3", "-o", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&json_out)).unwrap();
    let d = doc["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["object"]["name"] == "cart")
        .unwrap();
    assert_eq!(d["cluster"], "member3");
    assert_eq!(d["pods"].as_array().unwrap().len(), 1);
}

#[test]
fn details_without_proxy_rights() {
    let w = World::new("details_without_proxy_rights");
    w.shop();
    cart_on_member3(&w);
    w.server.fail(
        "/apis/cluster.karmada.io/v1alpha1/clusters/member3/proxy",
        403,
        "clusters.cluster.karmada.io \"member3\" is forbidden: User \"dev\" cannot get resource \"clusters/proxy\"",
    );
    let out = w.run(&["--app", "shop", "--details", "member3"]);
    assert_eq!(
        code(&out),
        2,
        "the table and verdict still stand: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("Deployment/shop/cart"), "{text}");
    assert!(
        text.contains("no permission for Karmada's cluster proxy: needs `get` on `clusters/proxy` (group cluster.karmada.io) for cluster member3"),
        "{text}"
    );
    // Refused once, not once per object.
    let proxied = w
        .server
        .requests()
        .iter()
        .filter(|r| r.contains("/proxy/"))
        .count();
    assert_eq!(proxied, 1);
}

#[test]
fn details_for_a_cluster_the_app_does_not_use() {
    let w = World::new("details_for_a_cluster_the_app_does_not_use");
    w.shop();
    let out = w.run(&["--app", "shop", "--details", "member9"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("member9"), "{}", stderr(&out));
}

#[test]
fn watch_redraws_on_a_binding_change() {
    let w = World::new("watch_redraws_on_a_binding_change");
    w.clusters();
    let t = fixtures::template("shop", "apps/v1", "Deployment", Some("shop"), "api");
    w.put(fixtures::binding_for("progressing_rollout", &t));
    w.server.put(t.clone());
    let mut child = w
        .command(&["--app", "shop", "--watch", "--timeout", "8s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first = Vec::new();
    for l in lines.by_ref() {
        let l = l.unwrap();
        let done = l.contains(" objects: ") || l.contains(" object: ");
        first.push(l);
        if done {
            break;
        }
    }
    let first = first.join("\n");
    assert!(first.contains("1 Progressing"), "{first}");
    // The rollout finishes: the server pushes a MODIFIED event; the table is drawn again.
    w.put(fixtures::binding_for("healthy", &t));
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let rest = rest.join("\n");
    assert!(
        rest.contains("1 object: 1 Healthy (app shop: Healthy)"),
        "{rest}"
    );
    assert_eq!(
        status.code(),
        Some(0),
        "the last table decides the exit code"
    );
    // Watches, not polling: one LIST of bindings and one watch request for them.
    let requests = w.server.requests();
    let rb: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("/resourcebindings?"))
        .collect();
    assert_eq!(rb.len(), 2, "{rb:#?}");
    assert!(
        rb[1].contains("watch=true") || rb[1].contains("watch=1"),
        "{rb:#?}"
    );
}

#[test]
fn tls_with_generated_ca() {
    let w = World::with(ApiServer::start_tls(), "tls_with_generated_ca");
    w.shop();
    assert!(w.server.url.starts_with("https://127.0.0.1:"));
    let out = w.run(&["--app", "shop"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(stdout(&out), World::new("tls_plain").run_shop());
    // Without the CA the server is not trusted.
    let kc: Value = serde_json::from_str(&w.server.kubeconfig(None)).unwrap();
    let mut untrusted = kc.clone();
    untrusted["clusters"][0]["cluster"]
        .as_object_mut()
        .unwrap()
        .remove("certificate-authority-data");
    std::fs::write(w.kubeconfig(), untrusted.to_string()).unwrap();
    let out = w.run(&["--app", "shop"]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("cannot reach the API server"),
        "{}",
        stderr(&out)
    );
}

impl World {
    fn run_shop(&self) -> String {
        self.shop();
        stdout(&self.run(&["--app", "shop"]))
    }
}

#[test]
fn argocd_cluster_secret() {
    use base64::Engine;
    let w = World::with(ApiServer::start_tls(), "argocd_cluster_secret");
    w.shop();
    w.server.require_token("argocd-manager-token");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let config = json!({"bearerToken": "argocd-manager-token",
        "tlsClientConfig": {"insecure": false, "caData": b64(w.server.ca_pem.as_ref().unwrap())}});
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-karmada\n  namespace: argocd\n  labels: {{argocd.argoproj.io/secret-type: cluster}}\ntype: Opaque\ndata:\n  name: {}\n  server: {}\n  config: {}\n",
        b64("karmada"),
        b64(&w.server.url),
        b64(&config.to_string())
    );
    let path = w.dir.path().join("secret.yaml");
    std::fs::write(&path, secret).unwrap();
    // No kubeconfig at all: the secret is the whole connection.
    let out = w
        .command(&[
            "--app",
            "shop",
            "--argocd-cluster-secret",
            path.to_str().unwrap(),
        ])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stdout(&out).contains("Deployment/shop/cart"));
}

#[test]
fn served_fixtures_match_the_health_suites() {
    // The served bindings are the health library's own cases, so the row verdicts are the
    // suites' expected verdicts.
    let w = World::new("served_fixtures_match_the_health_suites");
    w.shop();
    let out = w.run(&["--app", "shop", "-o", "json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let suite: Value = argocd_karmada_plugin::yaml::parse_one(
        &common::read(
            &common::repo_root()
                .join("health-lua/work.karmada.io/ResourceBinding/health_test.yaml"),
        ),
        "health_test.yaml",
    )
    .unwrap();
    let expected = |file: &str| {
        suite["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["inputPath"].as_str() == Some(&format!("testdata/{file}.yaml")))
            .unwrap()["healthStatus"]
            .clone()
    };
    for (name, file) in [
        ("web", "healthy"),
        ("api", "progressing_rollout"),
        ("cart", "degraded_apply_failed"),
    ] {
        let o = doc["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "Deployment" && o["name"] == name)
            .unwrap();
        let e = expected(file);
        assert_eq!(o["status"], e["status"], "{name}");
        assert_eq!(o["message"], e["message"], "{name}");
    }
}

#[test]
fn context_picks_the_cluster() {
    let w = World::new("context_picks_the_cluster");
    w.shop();
    // The current context points at a closed port; --context names the working one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut kc: Value = serde_json::from_str(&w.server.kubeconfig(None)).unwrap();
    kc["clusters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "old", "cluster": {"server": format!("http://127.0.0.1:{port}")}}));
    kc["contexts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "old", "context": {"cluster": "old", "user": "admin"}}));
    kc["current-context"] = json!("old");
    std::fs::write(w.kubeconfig(), kc.to_string()).unwrap();
    assert_eq!(code(&w.run(&["--app", "shop"])), 3);
    let out = w.run(&["--app", "shop", "--context", "karmada-apiserver"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let out = w.run(&["--app", "shop", "--context", "nope"]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
}

#[test]
fn no_kubeconfig_and_not_in_a_cluster() {
    let w = World::new("no_kubeconfig_and_not_in_a_cluster");
    let out = w
        .command(&["--app", "shop"])
        .env("KUBECONFIG", w.dir.path().join("absent"))
        .env("HOME", w.dir.path())
        .output()
        .unwrap();
    fails_with(
        &out,
        "error: no usable kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a cluster",
    );
}

#[test]
fn in_cluster_service_account() {
    // A pod's view: no kubeconfig, the API server in KUBERNETES_SERVICE_HOST/PORT, the service
    // account's token and CA in files (moved from /var/run/secrets/... for the test).
    let w = World::with(ApiServer::start_tls(), "in_cluster_service_account");
    w.shop();
    w.server.require_token("service-account-token");
    let sa = w.dir.path().join("serviceaccount");
    std::fs::create_dir(&sa).unwrap();
    std::fs::write(sa.join("token"), "service-account-token").unwrap();
    std::fs::write(sa.join("ca.crt"), w.server.ca_pem.as_ref().unwrap()).unwrap();
    let port = w.server.url.rsplit(':').next().unwrap().to_string();
    let in_pod = || {
        let mut c = w.command(&["--app", "shop"]);
        c.env("KUBECONFIG", w.dir.path().join("absent"))
            .env("HOME", w.dir.path())
            .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            .env("KUBERNETES_SERVICE_PORT", &port)
            .env("ARGOCD_KARMADA_SERVICE_ACCOUNT_DIR", &sa);
        c.output().unwrap()
    };
    let out = in_pod();
    assert_eq!(stdout(&out), World::new("in_cluster_plain").run_shop());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(!w.server.requests().is_empty());
    // The token is what authenticates: a rotated-out one is refused.
    std::fs::write(sa.join("token"), "expired-token").unwrap();
    let out = in_pod();
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("unauthorized (401)"),
        "{}",
        stderr(&out)
    );
    // Without the CA file there is no in-cluster config, and the error says which file.
    std::fs::remove_file(sa.join("ca.crt")).unwrap();
    let out = fails_with(&in_pod(), "error: ");
    assert!(
        out.contains("ca.crt: cannot read the service account's credentials (in-cluster config)"),
        "{out}"
    );
}

#[test]
fn usage_errors_are_errors_not_verdicts() {
    let w = World::new("usage_errors_are_errors_not_verdicts");
    let out = w.run(&["--app", "shop", "--tracking", "labels"]);
    assert_eq!(code(&out), 3, "clap's 2 would read as Degraded");
    assert!(stderr(&out).contains("labels"), "{}", stderr(&out));
    assert_eq!(code(&w.run(&[])), 3, "neither DIR nor --app");
    assert_eq!(code(&w.run(&["--help"])), 0);
    assert!(w.server.requests().is_empty());
}

#[test]
fn watch_lists_again_when_the_server_ends_a_watch() {
    let w = World::new("watch_lists_again_when_the_server_ends_a_watch");
    w.clusters();
    w.server.end_watches_after(1);
    let t = fixtures::template("shop", "apps/v1", "Deployment", Some("shop"), "api");
    w.put(fixtures::binding_for("progressing_rollout", &t));
    w.server.put(t.clone());
    let child = w
        .command(&["--app", "shop", "--watch", "--timeout", "8s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // After the first watches have ended and the bindings were listed again, the rollout ends.
    let listed = |n: usize| {
        w.server
            .requests()
            .iter()
            .filter(|r| r.contains("/resourcebindings?") && !r.contains("watch="))
            .count()
            >= n
    };
    let started = Instant::now();
    while !listed(2) && started.elapsed() < Duration::from_secs(7) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(listed(2), "{:#?}", w.server.requests());
    w.put(fixtures::binding_for("healthy", &t));
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("1 object: 1 Healthy (app shop: Healthy)"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a watch ending is routine, not a warning");
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs the reference data (Karmada's CRDs and swagger.json): set ARGOCD_KARMADA_SHARED"
)]
fn served_karmada_objects_match_the_schemas() {
    let schemas = Schemas::load(&common::reference_dir(
        "served_karmada_objects_match_the_schemas",
    ));
    let w = World::new("served_karmada_objects_match_the_schemas");
    w.shop();
    let t = fixtures::template("shop", "apps/v1", "Deployment", Some("a"), "batch");
    w.put(fixtures::binding_for("suspended", &t));
    let ns = fixtures::template("shop", "v1", "Namespace", None, "shop");
    w.put(fixtures::binding_for("healthy", &ns));
    let served = w.served.borrow();
    let kinds: std::collections::BTreeSet<&str> =
        served.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["Cluster", "ClusterResourceBinding", "ResourceBinding"]
    );
    for obj in served.iter() {
        schemas.check(obj);
    }
}
