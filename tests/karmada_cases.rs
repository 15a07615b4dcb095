//! Karmada's own unit cases, ported as data (`tests/karmada-cases/<area>/*.yaml`, each naming the
//! Go test file it comes from), run against our implementation with Karmada's expected results.

mod common;

use std::collections::BTreeMap;

use argocd_karmada_plugin::karmada::api::{ImageOverrider, Overriders, ResourceSelector};
use argocd_karmada_plugin::karmada::pipeline::claim::{ImplicitPriority, selector_priority};
use argocd_karmada_plugin::karmada::pipeline::division::{TieBreak, webster_from};
use argocd_karmada_plugin::karmada::{imageparser, overridemanager};
use serde_json::{Value, json};

fn cases(file: &str) -> (Value, Vec<Value>) {
    let path = common::repo_root().join("tests/karmada-cases").join(file);
    let doc = argocd_karmada_plugin::yaml::parse_one(&common::read(&path), file).unwrap();
    assert!(
        doc["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("_test.go")),
        "{file}: source"
    );
    let list = doc["cases"].as_array().unwrap().clone();
    (doc, list)
}

fn name(c: &Value) -> &str {
    c["name"].as_str().unwrap()
}

#[test]
fn webster_method() {
    let (_, list) = cases("division/webstermethod.yaml");
    for c in &list {
        let votes: Vec<(&str, i64)> = c["votes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_i64().unwrap()))
            .collect();
        let initial: Vec<(&str, i32)> = c["initial"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_i64().unwrap() as i32))
            .collect();
        let tie = match c["tie"].as_str() {
            Some("descending") => TieBreak::Descending,
            _ => TieBreak::Ascending,
        };
        let got: BTreeMap<String, i32> =
            webster_from(c["seats"].as_i64().unwrap() as i32, &votes, &initial, tie)
                .into_iter()
                .collect();
        let want: BTreeMap<String, i32> = serde_json::from_value(c["want"].clone()).unwrap();
        assert_eq!(got, want, "{}", name(c));
    }
    assert!(list.len() >= 18);
}

fn workload(kind: &str, images: &[Value]) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, img)| json!({"name": format!("c{i}"), "image": img}))
        .collect();
    let (api_version, spec) = match kind {
        "Pod" => ("v1", json!({"containers": containers})),
        "Job" => (
            "batch/v1",
            json!({"template": {"spec": {"containers": containers}}}),
        ),
        _ => (
            "apps/v1",
            json!({"replicas": 1, "template": {"spec": {"containers": containers}}}),
        ),
    };
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": spec})
}

#[test]
fn image_overrider() {
    let (_, list) = cases("image/imageoverride.yaml");
    for c in &list {
        let kind = c["kind"].as_str().unwrap();
        let mut obj = workload(kind, c["images"].as_array().unwrap());
        let io: ImageOverrider = serde_json::from_value(c["overrider"].clone()).unwrap();
        let o = Overriders {
            image_overrider: vec![io],
            ..Overriders::default()
        };
        overridemanager::apply(&mut obj, &o).unwrap_or_else(|e| panic!("{}: {e}", name(c)));
        let base = if kind == "Pod" {
            "/spec/containers"
        } else {
            "/spec/template/spec/containers"
        };
        let got: Vec<Value> = obj
            .pointer(base)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["image"].clone())
            .collect();
        assert_eq!(Value::Array(got), c["want"], "{}", name(c));
    }
    assert!(list.len() >= 18);
}

#[test]
fn image_parser() {
    let (_, list) = cases("image/parser.yaml");
    for c in &list {
        let want = &c["want"];
        if let Some(split) = c["split"].as_str() {
            // SplitHostname is reached through Parse: the parsed name splits the same way.
            let comp = imageparser::parse(split).unwrap();
            assert_eq!(
                (comp.hostname.as_str(), comp.repository.as_str()),
                (
                    want["hostname"].as_str().unwrap(),
                    want["repository"].as_str().unwrap()
                ),
                "{}",
                name(c)
            );
            continue;
        }
        let image = c["image"].as_str().unwrap();
        let mut comp = imageparser::parse(image).unwrap_or_else(|e| panic!("{}: {e}", name(c)));
        if let Some(edits) = c["edits"].as_array() {
            for (edit, print) in edits.iter().zip(c["prints"].as_array().unwrap()) {
                let (op, v) = edit.as_object().unwrap().iter().next().unwrap();
                let v = v.as_str().unwrap_or("");
                match op.as_str() {
                    "setHostname" => comp.hostname = v.to_string(),
                    "removeHostname" => comp.hostname.clear(),
                    "setRepository" => comp.repository = v.to_string(),
                    "setTagOrDigest" => comp.set_tag_or_digest(v),
                    "removeTagOrDigest" => comp.remove_tag_or_digest(),
                    other => panic!("{}: unknown edit {other}", name(c)),
                }
                assert_eq!(comp.to_string(), print.as_str().unwrap(), "{}", name(c));
            }
            continue;
        }
        assert_eq!(
            comp.to_string(),
            image,
            "{}: String() changes the image",
            name(c)
        );
        let got = json!({"hostname": comp.hostname, "repository": comp.repository, "tag": comp.tag, "digest": comp.digest});
        assert_eq!(&got, want, "{}", name(c));
    }
    assert!(list.len() >= 13);
}

#[test]
fn resource_selector_priority() {
    let (doc, list) = cases("selector/resourceselectorpriority.yaml");
    let resource = &doc["resource"];
    for c in &list {
        let rs: ResourceSelector = serde_json::from_value(c["selector"].clone()).unwrap();
        let want = match c["want"].as_str().unwrap() {
            "MisMatch" => ImplicitPriority::MisMatch,
            "MatchAll" => ImplicitPriority::MatchAll,
            "MatchLabelSelector" => ImplicitPriority::MatchLabelSelector,
            "MatchName" => ImplicitPriority::MatchName,
            other => panic!("{other}"),
        };
        assert_eq!(selector_priority(resource, &rs), want, "{}", name(c));
    }
    assert!(list.len() >= 12);
}

/// At least 60 ported cases in all.
#[test]
fn enough_cases_are_ported() {
    let root = common::repo_root().join("tests/karmada-cases");
    let mut total = 0;
    for area in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(area.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            let rel = p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
            total += cases(&rel).1.len();
        }
    }
    assert!(total >= 60, "{total} cases");
}
