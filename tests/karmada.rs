//! Karmada policies against Karmada's own CRD schemas, and in the form Karmada stores them.
//!
//! Schemas come from `../shared/reference/karmada/crds` (never copied into this repository).
//! Undeclared fields count as errors: the API server would prune them and Argo CD would then show
//! the policy OutOfSync forever.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use argocd_karmada_plugin::karmada::{Inputs, Overlay, Params};
use argocd_karmada_plugin::karmada::{defaults, placement::Placement, policy};
use common::schema::CrdSchema;
use serde_json::Value;

/// The golden render outputs (`tests/render/<case>/expected.snap`), by case, parsed.
fn golden_renders() -> Vec<(String, Vec<Value>)> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(common::repo_root().join("tests/render"))
        .unwrap()
        .map(|e| e.unwrap().path().join("expected.snap"))
        .filter(|p| p.is_file())
        .collect();
    cases.sort();
    cases
        .iter()
        .map(|path| {
            let name = path.parent().unwrap().file_name().unwrap();
            let name = name.to_string_lossy().into_owned();
            let text = common::read(path);
            // insta's header is a YAML document of its own; the rendered stream follows it.
            let body = text.splitn(3, "---\n").nth(2).unwrap_or("");
            let docs = argocd_karmada_plugin::yaml::parse_stream(body, &name).unwrap();
            (name, docs)
        })
        .collect()
}

/// Every Karmada CRD schema, by `apiVersion kind`.
fn schemas(test: &str) -> BTreeMap<String, CrdSchema> {
    let dir = common::reference_dir(test).join("karmada/crds/bases");
    let mut out = BTreeMap::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let crd =
                    argocd_karmada_plugin::yaml::parse_one(&common::read(&path), "crd").unwrap();
                let s = CrdSchema::from_crd(&crd)
                    .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
                out.insert(format!("{} {}", s.api_version(), s.kind), s);
            }
        }
    }
    assert!(out.contains_key("policy.karmada.io/v1alpha1 PropagationPolicy"));
    out
}

fn is_karmada(obj: &Value) -> bool {
    let av = obj["apiVersion"].as_str().unwrap_or("");
    av.split('/')
        .next()
        .is_some_and(|g| g.ends_with("karmada.io"))
}

/// Validates every Karmada object of a rendered stream; returns how many policies it checked.
fn check_stream(what: &str, docs: &[Value], schemas: &BTreeMap<String, CrdSchema>) -> usize {
    let mut policies = 0;
    for obj in docs.iter().filter(|o| is_karmada(o)) {
        let key = format!(
            "{} {}",
            obj["apiVersion"].as_str().unwrap(),
            obj["kind"].as_str().unwrap()
        );
        let schema = schemas
            .get(&key)
            .unwrap_or_else(|| panic!("{what}: no CRD schema for {key}"));
        let errors = schema.errors(obj);
        assert!(
            errors.is_empty(),
            "{what}: {key} {}: {errors:#?}\n{obj:#}",
            obj["metadata"]["name"]
        );
        if obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "argocd-karmada-plugin" {
            let mut d = obj.clone();
            defaults::apply(&mut d);
            assert_eq!(&d, obj, "{what}: Karmada's defaulting would change {key}");
            policies += 1;
        }
    }
    policies
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn every_golden_snapshot_holds_valid_defaulted_policies() {
    let schemas = schemas("golden snapshots vs Karmada CRDs");
    let mut checked = 0;
    for (name, docs) in golden_renders() {
        checked += check_stream(&name, &docs, &schemas);
    }
    assert!(
        checked >= 10,
        "only {checked} policies found in golden snapshots"
    );
}

/// An app in a temporary directory, built through the library with every placement feature.
struct Lib {
    dir: tempfile::TempDir,
}

impl Lib {
    fn build(&self, placement: &str, objects: &str) -> Result<Vec<Value>> {
        let text =
            format!("apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n{placement}");
        std::fs::write(self.dir.path().join("karmada.yaml"), text)?;
        let app = Inputs {
            app_name: "My_App",
            namespace: "dest",
            origins: &[],
        };
        let p = Placement::load(
            &self.dir.path().join("karmada.yaml"),
            "karmada.yaml",
            &Params::default(),
        )?;
        let mut objs = argocd_karmada_plugin::yaml::parse_stream(objects, "app")?;
        // The "overlay" is the base with one more replica and another config value.
        let base = objs.clone();
        let overlay = move |dir: &str| -> Result<Overlay> {
            let mut o = base.clone();
            for obj in &mut o {
                if obj["kind"] == "ConfigMap" {
                    obj["data"]["mode"] = "overlay".into();
                }
            }
            Ok(Overlay {
                objects: o,
                origin: format!("{dir} (overlay)"),
            })
        };
        let policies = policy::build(app, &p, &mut objs, &overlay)?;
        objs.extend(policies);
        Ok(objs)
    }
}

const OBJECTS: &str = "
apiVersion: v1
kind: Namespace
metadata: {name: dest}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec: {group: example.com, scope: Cluster, names: {kind: Gadget, plural: gadgets}, versions: []}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g1}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {mode: base}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    spec:
      initContainers: [{name: init, image: busybox:1}]
      containers:
        - {name: web, image: example.com/web:1, env: [{name: A, value: '1'}]}
        - {name: side, image: side:1}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: jobs}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: run, image: run:1}]}}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {replicas: 1, template: {spec: {containers: [{name: db, image: db:1}]}}}
---
apiVersion: autoscaling.karmada.io/v1alpha1
kind: FederatedHPA
metadata: {name: db}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}, minReplicas: 1, maxReplicas: 4}
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceImport
metadata: {name: svc}
spec: {type: ClusterSetIP, ports: []}
";

const OVERRIDES: &str = "
overrides:
  - clusters: [m1]
    image: {registry: mirror.example.com, repository: team/web, tag: v2}
    labels: {tier: gold}
    annotations: {note: one}
  - clusters: [m2]
    target: {kind: Deployment}
    replicas: 5
    env: {A: '2', B: '3'}
    command: {web: {add: [--x], remove: [--y]}}
    args: {side: [--verbose]}
    patches:
      - target: {kind: Deployment, name: web}
        ops: [{op: add, path: /spec/template/spec/priorityClassName, value: high}, {op: remove, path: /spec/template/spec/initContainers}]
  - clusters: [m2]
    kustomize: overlays/m2
  - clusters: [m1, m2]
    target: {kind: Gadget}
    patches: [{target: {kind: Gadget}, ops: [{op: add, path: /spec, value: {size: 2}}]}]
";

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn policies_validate_for_every_placement_feature() {
    let schemas = schemas("placement features vs Karmada CRDs");
    let placements = [
        "clusters: {names: [m1, m2]}\n".to_string(),
        format!("clusters: {{names: [m1, m2]}}\nreplicas: {{weights: {{m1: 2, m2: 1}}}}\n{OVERRIDES}"),
        "clusters: {names: [m1, m2, m3], exclude: [m3]}\nreplicas: {mode: Divided}\npropagateDeps: false\n".to_string(),
        "clusters: {selector: {matchLabels: {env: prod}, matchExpressions: [{key: tier, operator: Exists}]}, provider: [aws], region: {notIn: [us-east-1]}, zone: [a]}\nreplicas: {dynamic: AvailableReplicas}\n".to_string(),
        "clusters: {selector: {}}\nreplicas: {mode: Aggregated}\nspread: [{by: cluster, min: 2, max: 3}, {by: region, min: 1, max: 2}]\n".to_string(),
        "clusters: {names: [m1, m2]}\nspread: [{byLabel: topology.example.com/rack, min: 1}]\n".to_string(),
        format!(
            "clusters:\n  exclude: [m9]\n  groups:\n    - {{name: primary, names: [m1, m2]}}\n    - {{name: backup.eu_1, selector: {{matchLabels: {{role: backup}}}}, zone: {{in: [z1]}}}}\n{OVERRIDES}"
        ),
        "clusters: {names: [m1, m2]}\nfailover:\n  application: {tolerationSeconds: 10, purgeMode: Gracefully, gracePeriodSeconds: 30, statePreservation: [{aliasLabelName: example.com/phase, jsonPath: '{.phase}'}]}\n  cluster: {purgeMode: Directly, statePreservation: [{aliasLabelName: keep, jsonPath: '{.x}'}]}\n".to_string(),
        "clusters: {names: [m1, m2]}\nfailover: {application: {purgeMode: Never}, cluster: {}}\n".to_string(),
        "clusters: {names: [m1, m2]}\nfailover: {application: {purgeMode: Directly}}\n".to_string(),
        "clusters: {names: [m1, m2]}\nconflictResolution: Overwrite\npriority: -3\npreemption: Always\nsuspension: true\npreserveResourcesOnDeletion: true\nactivationPreference: Lazy\nschedulePriority: {priorityClassName: high}\n".to_string(),
        "clusters: {names: [m1, m2]}\nsuspension: {clusters: [m2]}\npreserveResourcesOnDeletion: false\ntolerations: [{key: a, operator: Exists, effect: NoExecute, tolerationSeconds: 60}, {key: b, operator: Equal, value: c}]\n".to_string(),
    ];
    let lib = Lib {
        dir: tempfile::tempdir().unwrap(),
    };
    let mut kinds = std::collections::BTreeSet::new();
    let mut total = 0;
    for (i, p) in placements.iter().enumerate() {
        let docs = lib
            .build(p, OBJECTS)
            .unwrap_or_else(|e| panic!("placement #{i}: {e:#}\n{p}"));
        total += check_stream(&format!("placement #{i}"), &docs, &schemas);
        for d in docs.iter().filter(|d| is_karmada(d)) {
            kinds.insert(d["kind"].as_str().unwrap().to_string());
        }
    }
    for k in [
        "PropagationPolicy",
        "ClusterPropagationPolicy",
        "OverridePolicy",
        "ClusterOverridePolicy",
    ] {
        assert!(kinds.contains(k), "no {k} emitted");
    }
    assert!(total > 40, "{total}");
}

fn run_generate(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(common::bin());
    cmd.arg("generate").current_dir(dir).env_clear();
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn examples_render_valid_policies_through_the_binary() {
    let schemas = schemas("examples vs Karmada CRDs");
    let examples: Vec<PathBuf> = ["guestbook", "kustomize-overlays"]
        .iter()
        .map(|e| common::repo_root().join("examples").join(e))
        .collect();
    for dir in examples {
        let out = run_generate(
            &dir,
            &[
                ("ARGOCD_APP_NAME", "demo"),
                ("ARGOCD_APP_NAMESPACE", "demo"),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", dir.display());
        let stdout = String::from_utf8(out.stdout).unwrap();
        let docs = argocd_karmada_plugin::yaml::parse_stream(&stdout, "stdout").unwrap();
        let n = check_stream(&dir.display().to_string(), &docs, &schemas);
        assert!(n >= 2, "{}: {n} policies", dir.display());
    }
}

#[test]
fn placement_errors_through_the_binary_name_file_field_and_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(
        app.join("karmada.yaml"),
        "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\nclusters: {names: [member1, member2]}\noverrides: [{clusters: [membr1], replicas: 2}]\n",
    )
    .unwrap();
    std::fs::write(
        app.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    let out = run_generate(&app, &[]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: karmada.yaml: overrides[0].clusters[0]: unknown cluster \"membr1\" (did you mean \"member1\"?)"
    );
}

#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn schema_check_rejects_fields_karmada_would_prune_or_refuse() {
    let schemas = schemas("schema check self-test");
    let pp = &schemas["policy.karmada.io/v1alpha1 PropagationPolicy"];
    let good = serde_json::json!({
        "apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": {"resourceSelectors": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c"}]}
    });
    assert!(pp.errors(&good).is_empty(), "{:?}", pp.errors(&good));
    let mut pruned = good.clone();
    pruned["spec"]["placement"] = serde_json::json!({"clusterAffinity": {"clusterName": ["a"]}});
    assert_eq!(pp.errors(&pruned).len(), 1, "{:?}", pp.errors(&pruned));
    let mut bad_enum = good.clone();
    bad_enum["spec"]["preemption"] = "Sometimes".into();
    assert_eq!(pp.errors(&bad_enum).len(), 1);
    let mut empty = good;
    empty["spec"]["resourceSelectors"] = serde_json::json!([]);
    assert_eq!(pp.errors(&empty).len(), 1);
}

#[test]
fn readme_reference_example_is_a_valid_placement() {
    let readme = common::read(&common::repo_root().join("README.md"));
    let section = readme
        .split("## karmada.yaml reference")
        .nth(1)
        .expect("README has a karmada.yaml reference section");
    let example = section
        .split("### Example")
        .nth(1)
        .and_then(|s| s.split("```yaml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the reference section has a yaml example");
    let doc = argocd_karmada_plugin::yaml::parse_one(example, "README example").unwrap();
    let p = Placement::parse(&doc, "README example").unwrap();
    p.validate().unwrap();
    assert_eq!(p.overrides.len(), 3);
}

/// Karmada's own sample objects read into our typed objects and written back unchanged: the types
/// hold every field the samples use, with Karmada's names.
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn karmada_samples_round_trip_through_the_typed_objects() {
    use argocd_karmada_plugin::karmada::api;
    let reference = common::reference_dir("Karmada samples round trip");
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) -> Value {
        let typed: T =
            serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{e}: {doc:#}"));
        serde_json::to_value(typed).unwrap()
    }
    /// Go's `omitempty` drops `false`, `0`, `""` and empty lists; equal after dropping them means
    /// no field was lost or renamed.
    fn prune(v: &Value) -> Value {
        let empty = |v: &Value| {
            matches!(v, Value::Bool(false) | Value::Null)
                || v.as_str() == Some("")
                || v.as_i64() == Some(0)
                || v.as_array().is_some_and(Vec::is_empty)
        };
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, x)| !empty(x))
                    .map(|(k, x)| (k.clone(), prune(x)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(prune).collect()),
            other => other.clone(),
        }
    }
    let mut kinds = BTreeMap::<String, usize>::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(reference.join("karmada/samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let docs = argocd_karmada_plugin::yaml::parse_stream(&common::read(&path), &name).unwrap();
        for doc in docs {
            let kind = doc["kind"].as_str().unwrap_or("").to_string();
            let back = match kind.as_str() {
                "PropagationPolicy" | "ClusterPropagationPolicy" => {
                    round_trip::<api::PropagationPolicy>(&doc)
                }
                "OverridePolicy" | "ClusterOverridePolicy" => {
                    // `overriders` has no omitempty: Karmada writes `{}` when the sample leaves it out.
                    let mut doc = doc.clone();
                    doc["spec"]
                        .as_object_mut()
                        .unwrap()
                        .entry("overriders")
                        .or_insert(serde_json::json!({}));
                    let back = round_trip::<api::OverridePolicy>(&doc);
                    assert_eq!(prune(&back), prune(&doc), "{name}");
                    *kinds.entry(kind).or_default() += 1;
                    continue;
                }
                "ResourceBinding" | "ClusterResourceBinding" => {
                    round_trip::<api::ResourceBinding>(&doc)
                }
                "Cluster" => round_trip::<api::Cluster>(&doc),
                _ => continue,
            };
            assert_eq!(
                prune(&back),
                prune(&doc),
                "{name}: {kind} changed in a round trip"
            );
            *kinds.entry(kind).or_default() += 1;
        }
    }
    for kind in [
        "PropagationPolicy",
        "ClusterPropagationPolicy",
        "OverridePolicy",
        "ClusterOverridePolicy",
        "ResourceBinding",
        "Cluster",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} sample: {kinds:?}");
    }
}

/// Karmada policy `spec` fields that `karmada.yaml` deliberately cannot set, and why. The README's
/// "Not exposed" list says the same.
const NOT_EXPOSED: &[(&str, &str)] = &[
    ("spec.association", "deprecated in favour of propagateDeps"),
    (
        "spec.resourceSelectors[].labelSelector",
        "policies select exactly the app's objects by name, never by label",
    ),
    (
        "spec.placement.replicaScheduling.weightPreference.staticWeightList[].targetCluster.labelSelector",
        "weights are given per cluster name",
    ),
    (
        "spec.placement.replicaScheduling.weightPreference.staticWeightList[].targetCluster.fieldSelector",
        "weights are given per cluster name",
    ),
    (
        "spec.placement.replicaScheduling.weightPreference.staticWeightList[].targetCluster.exclude[]",
        "weights are given per cluster name",
    ),
];

/// Leaf paths (`a.b[].c`) of a CRD schema below `spec`; label and field selectors count as one
/// leaf each (they are whole selectors in `karmada.yaml`).
fn schema_leaves(schema: &Value, path: &str, out: &mut Vec<String>) {
    let leaf_key = path.ends_with("labelSelector") || path.ends_with("fieldSelector");
    if let Some(items) = schema.get("items").filter(|_| !leaf_key) {
        return schema_leaves(items, &format!("{path}[]"), out);
    }
    match schema.get("properties").and_then(Value::as_object) {
        Some(props) if !leaf_key => {
            for (k, v) in props {
                schema_leaves(v, &format!("{path}.{k}"), out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

/// The same paths, as they occur in an emitted object.
fn object_leaves(v: &Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
    let leaf_key = path.ends_with("labelSelector") || path.ends_with("fieldSelector");
    match v {
        Value::Object(m) if !leaf_key => {
            for (k, v) in m {
                object_leaves(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) if !leaf_key => {
            for v in items {
                object_leaves(v, &format!("{path}[]"), out);
            }
            if items.is_empty() {
                out.insert(format!("{path}[]"));
            }
        }
        _ => {
            out.insert(path.to_string());
        }
    }
}

/// Every field of Karmada's (Cluster)PropagationPolicy `spec` is either emitted by some golden
/// render (so `karmada.yaml` reaches it) or listed, with a reason, in [`NOT_EXPOSED`] and the
/// README. A field a new Karmada release adds fails here until it is decided on.
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn every_propagation_policy_field_is_reachable_or_documented_as_not_exposed() {
    let dir = common::reference_dir("CRD coverage").join("karmada/crds/bases/policy");
    let mut crd_paths = std::collections::BTreeSet::new();
    for file in [
        "policy.karmada.io_propagationpolicies.yaml",
        "policy.karmada.io_clusterpropagationpolicies.yaml",
    ] {
        let crd =
            argocd_karmada_plugin::yaml::parse_one(&common::read(&dir.join(file)), file).unwrap();
        for v in crd["spec"]["versions"].as_array().unwrap() {
            let mut leaves = Vec::new();
            schema_leaves(
                &v["schema"]["openAPIV3Schema"]["properties"]["spec"],
                "spec",
                &mut leaves,
            );
            crd_paths.extend(leaves);
        }
    }
    assert!(crd_paths.len() > 40, "{crd_paths:?}");

    let mut emitted = std::collections::BTreeSet::new();
    for (_, docs) in golden_renders() {
        for doc in docs {
            if doc["kind"]
                .as_str()
                .is_some_and(|k| k.ends_with("PropagationPolicy"))
            {
                object_leaves(&doc["spec"], "spec", &mut emitted);
            }
        }
    }

    let readme = common::read(&common::repo_root().join("README.md"));
    let mut problems = Vec::new();
    for p in &crd_paths {
        let listed = NOT_EXPOSED.iter().find(|(n, _)| n == p);
        match (emitted.contains(p), listed) {
            (true, Some(_)) => problems.push(format!("{p}: emitted, yet listed as not exposed")),
            (false, None) => problems.push(format!(
                "{p}: no golden render emits it and NOT_EXPOSED does not explain why"
            )),
            (false, Some(_)) if !readme.contains(&format!("`{p}`")) => {
                problems.push(format!("{p}: not exposed, but the README does not say so"))
            }
            _ => {}
        }
    }
    for (p, _) in NOT_EXPOSED {
        if !crd_paths.contains(*p) {
            problems.push(format!(
                "{p}: listed as not exposed, but the CRDs have no such field"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The schema check itself can fail: undeclared fields and wrong types are errors, fields under
/// `x-kubernetes-preserve-unknown-fields` are not.
#[test]
fn schema_check_rejects_undeclared_fields() {
    let crd = serde_json::json!({"spec": {"group": "g.io", "names": {"kind": "K"}, "versions": [
        {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "properties": {
                    "a": {"type": "integer"},
                    "free": {"x-kubernetes-preserve-unknown-fields": true, "type": "object", "properties": {}}
                }}
            }
        }}}
    ]}});
    let s = CrdSchema::from_crd(&crd).unwrap();
    assert_eq!(s.api_version(), "g.io/v1");
    assert!(
        s.errors(
            &serde_json::json!({"spec": {"a": 1, "free": {"x": 1}}, "metadata": {"name": "n"}})
        )
        .is_empty()
    );
    assert_eq!(s.errors(&serde_json::json!({"spec": {"b": 1}})).len(), 1);
    assert_eq!(s.errors(&serde_json::json!({"spec": {"a": "x"}})).len(), 1);
}
