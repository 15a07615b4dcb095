//! Objects for the test API server, built from the health library's own test data (the same
//! bindings and clusters its suites judge) and checked against Karmada's schemas.

use std::path::{Path, PathBuf};

use crate::common::schema::CrdSchema;
use serde_json::{Value, json};

fn health_lua() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("health-lua")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    argocd_karmada_plugin::yaml::parse_one(&text, &path.display().to_string()).unwrap()
}

/// A ResourceBinding from `health-lua/work.karmada.io/ResourceBinding/testdata/<name>.yaml`.
pub fn binding_testdata(name: &str) -> Value {
    load(&health_lua().join(format!(
        "work.karmada.io/ResourceBinding/testdata/{name}.yaml"
    )))
}

/// A Cluster named `name` from `health-lua/cluster.karmada.io/Cluster/testdata`: `healthy` or
/// `degraded_not_reachable`.
pub fn cluster(name: &str, testdata: &str) -> Value {
    let mut c = load(&health_lua().join(format!(
        "cluster.karmada.io/Cluster/testdata/{testdata}.yaml"
    )));
    c["metadata"]["name"] = json!(name);
    c["spec"]["secretRef"]["name"] = json!(name);
    c
}

/// How a template is tracked by its Argo CD app.
pub fn tracking_metadata(
    app: &str,
    api_version: &str,
    kind: &str,
    ns: Option<&str>,
    name: &str,
) -> Value {
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    json!({
        "labels": {"app.kubernetes.io/instance": app},
        "annotations": {
            "argocd.argoproj.io/tracking-id":
                format!("{app}:{group}/{kind}:{}/{name}", ns.unwrap_or(""))
        }
    })
}

/// A resource template of `app` (what Argo CD applied to karmada-apiserver).
pub fn template(app: &str, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Value {
    let mut meta = tracking_metadata(app, api_version, kind, ns, name);
    meta["name"] = json!(name);
    meta["uid"] = json!(uid(kind, name));
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    let mut obj = json!({"apiVersion": api_version, "kind": kind, "metadata": meta});
    if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
        obj["spec"] = json!({"replicas": 6, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]}}});
    }
    obj
}

/// A stable uid per template.
pub fn uid(kind: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in format!("{kind}/{name}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        h >> 32,
        h & 0xffff_ffff_ffff
    )
}

/// The health library's test binding `testdata`, rebound to the given template: Karmada's name
/// (`<name>-<kind>`, lower case), `spec.resource` and the controller owner reference.
pub fn binding_for(testdata: &str, template: &Value) -> Value {
    let mut b = binding_testdata(testdata);
    let api_version = template["apiVersion"].as_str().unwrap();
    let kind = template["kind"].as_str().unwrap();
    let name = template["metadata"]["name"].as_str().unwrap();
    let uid = template["metadata"]["uid"].as_str().unwrap();
    let ns = template["metadata"]["namespace"].as_str();
    b["metadata"]["name"] = json!(format!("{name}-{kind}").to_lowercase().replace(':', "."));
    match ns {
        Some(ns) => {
            b["metadata"]["namespace"] = json!(ns);
            b["spec"]["resource"]["namespace"] = json!(ns);
        }
        None => {
            b["kind"] = json!("ClusterResourceBinding");
            b["metadata"].as_object_mut().unwrap().remove("namespace");
            b["spec"]["resource"]
                .as_object_mut()
                .unwrap()
                .remove("namespace");
        }
    }
    b["spec"]["resource"]["apiVersion"] = json!(api_version);
    b["spec"]["resource"]["kind"] = json!(kind);
    b["spec"]["resource"]["name"] = json!(name);
    b["spec"]["resource"]["uid"] = json!(uid);
    b["metadata"]["ownerReferences"] = json!([{"apiVersion": api_version, "kind": kind,
        "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]);
    b
}

/// Validates served Karmada objects: bindings against the CRDs, Clusters (an aggregated API, not
/// a CRD) against Karmada's `swagger.json`. `None` when the reference data is absent (and not CI).
pub struct Schemas {
    rb: CrdSchema,
    crb: CrdSchema,
    cluster: jsonschema::Validator,
}

impl Schemas {
    pub fn load(reference: &Path) -> Schemas {
        let crd = |file: &str| {
            let path = reference.join("karmada/crds/bases/work").join(file);
            CrdSchema::from_crd(&load(&path)).unwrap()
        };
        let swagger: Value = serde_json::from_str(
            &std::fs::read_to_string(reference.join("karmada/swagger.json")).unwrap(),
        )
        .unwrap();
        let schema = json!({
            "$ref": "#/definitions/com.github.karmada-io.karmada.pkg.apis.cluster.v1alpha1.Cluster",
            "definitions": swagger["definitions"],
        });
        Schemas {
            rb: crd("work.karmada.io_resourcebindings.yaml"),
            crb: crd("work.karmada.io_clusterresourcebindings.yaml"),
            cluster: jsonschema::validator_for(&schema).unwrap(),
        }
    }

    /// Panics naming the object and every violation.
    pub fn check(&self, obj: &Value) {
        let errors: Vec<String> = match obj["kind"].as_str() {
            Some("ResourceBinding") => self.rb.errors(obj),
            Some("ClusterResourceBinding") => self.crb.errors(obj),
            Some("Cluster") => self
                .cluster
                .iter_errors(obj)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect(),
            _ => return,
        };
        assert!(
            errors.is_empty(),
            "{} {}: not a valid Karmada object: {errors:#?}",
            obj["kind"],
            obj["metadata"]["name"]
        );
    }
}
