//! Karmada's own unit cases, ported as data (`tests/karmada-cases/<area>/*.yaml`, each naming the
//! Go test file it comes from), run against our implementation with Karmada's expected results.
//!
//! Every file of an area runs: its `check` names how a case is run, so adding a file or a case
//! adds tests. A failing case is reported by file and case name, after every case has run.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use argocd_karmada_plugin::karmada::api::{
    Cluster, ClusterAffinity, ImageOverrider, Overriders, Placement, ResourceSelector,
};
use argocd_karmada_plugin::karmada::pipeline::claim::{
    ImplicitPriority, PolicyIndex, selector_priority,
};
use argocd_karmada_plugin::karmada::pipeline::division::{TieBreak, webster_from};
use argocd_karmada_plugin::karmada::pipeline::selection::{cluster_matches, select};
use argocd_karmada_plugin::karmada::pipeline::{
    Input, Options, Outcome, clusters_named, overriders_for, simulate,
};
use argocd_karmada_plugin::karmada::{imageparser, overridemanager};
use serde_json::{Value, json};

/// One ported case: the file's top-level document and the case itself.
type Check = fn(&Value, &Value);

fn check_named(name: &str) -> Option<Check> {
    Some(match name {
        "webster" => webster,
        "imageOverrider" => image_overrider,
        "imageParser" => image_parser,
        "selectorPriority" => resource_selector_priority,
        "selectorsPriority" => resource_selectors_priority,
        "clusterMatches" => cluster_matches_case,
        "matchZones" => match_zones,
        "clusterFields" => cluster_fields,
        "affinityFilter" => affinity_filter,
        "affinityTerms" => affinity_terms,
        "overriders" => overriders_case,
        "overridePolicies" => override_policies,
        _ => return None,
    })
}

/// The area's files, sorted, each parsed; a file must name its Go test file and a known check.
fn files(area: &str) -> Vec<(String, Value)> {
    let dir = common::repo_root().join("tests/karmada-cases").join(area);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = format!("{area}/{}", p.file_name().unwrap().to_string_lossy());
            let doc = argocd_karmada_plugin::yaml::parse_one(&common::read(&p), &rel)
                .unwrap_or_else(|e| panic!("{rel}: {e:#}"));
            assert!(
                doc["source"]
                    .as_str()
                    .is_some_and(|s| s.ends_with("_test.go")),
                "{rel}: source: the Go test file the cases come from"
            );
            (rel, doc)
        })
        .collect()
}

/// Runs every case of `area`; returns how many ran. Fails after all ran, naming each failure.
fn run_area(area: &str) -> usize {
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, doc) in files(area) {
        let check = doc["check"].as_str().and_then(check_named);
        let Some(check) = check else {
            failures.push(format!("{file}: check: unknown {}", doc["check"]));
            continue;
        };
        let cases = doc["cases"].as_array().cloned().unwrap_or_default();
        assert!(!cases.is_empty(), "{file}: no cases");
        for case in &cases {
            total += 1;
            let name = case["name"].as_str().unwrap_or("(unnamed)");
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| check(&doc, case))) {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{file}: {name}: {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    total
}

fn from<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Each area and the fewest cases it must hold (so a file that silently loses its cases fails).
const AREAS: [(&str, usize); 5] = [
    ("division", 18),
    ("image", 31),
    ("selector", 25),
    ("cluster", 60),
    ("override", 45),
];

fn area(name: &str) {
    let (_, least) = AREAS.iter().find(|(a, _)| *a == name).unwrap();
    let ran = run_area(name);
    assert!(
        ran >= *least,
        "{name}: {ran} cases, expected at least {least}"
    );
}

#[test]
fn division() {
    area("division");
}

#[test]
fn image() {
    area("image");
}

#[test]
fn selector() {
    area("selector");
}

#[test]
fn cluster() {
    area("cluster");
}

#[test]
fn override_() {
    area("override");
}

/// Every area directory has its test above, and there are at least 60 cases in all (the issue's
/// floor).
#[test]
fn every_area_runs_and_enough_cases_are_ported() {
    let root = common::repo_root().join("tests/karmada-cases");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    dirs.sort();
    let mut known: Vec<&str> = AREAS.iter().map(|(a, _)| *a).collect();
    known.sort();
    assert_eq!(dirs, known, "an area directory without its test");
    let total: usize = dirs
        .iter()
        .flat_map(|a| files(a))
        .map(|(_, doc)| doc["cases"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(total >= 60, "{total} cases");
}

// --- division, image, selector -----------------------------------------------------------------

fn webster(_: &Value, c: &Value) {
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
    let want: BTreeMap<String, i32> = from(&c["want"], "want");
    assert_eq!(got, want);
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

fn image_overrider(_: &Value, c: &Value) {
    let kind = c["kind"].as_str().unwrap();
    let mut obj = workload(kind, c["images"].as_array().unwrap());
    let io: ImageOverrider = from(&c["overrider"], "overrider");
    let o = Overriders {
        image_overrider: vec![io],
        ..Overriders::default()
    };
    overridemanager::apply(&mut obj, &o).unwrap_or_else(|e| panic!("{e}"));
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
    assert_eq!(Value::Array(got), c["want"]);
}

fn image_parser(_: &Value, c: &Value) {
    let want = &c["want"];
    if let Some(split) = c["split"].as_str() {
        // SplitHostname is reached through Parse: the parsed name splits the same way.
        let comp = imageparser::parse(split).unwrap();
        assert_eq!(
            (comp.hostname.as_str(), comp.repository.as_str()),
            (
                want["hostname"].as_str().unwrap(),
                want["repository"].as_str().unwrap()
            )
        );
        return;
    }
    let image = c["image"].as_str().unwrap();
    let mut comp = imageparser::parse(image).unwrap_or_else(|e| panic!("{e}"));
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
                other => panic!("unknown edit {other}"),
            }
            assert_eq!(comp.to_string(), print.as_str().unwrap());
        }
        return;
    }
    assert_eq!(comp.to_string(), image, "String() changes the image");
    let got = json!({"hostname": comp.hostname, "repository": comp.repository, "tag": comp.tag, "digest": comp.digest});
    assert_eq!(&got, want);
}

fn priority(name: &Value) -> ImplicitPriority {
    match name.as_str().unwrap() {
        "MisMatch" => ImplicitPriority::MisMatch,
        "MatchAll" => ImplicitPriority::MatchAll,
        "MatchLabelSelector" => ImplicitPriority::MatchLabelSelector,
        "MatchName" => ImplicitPriority::MatchName,
        other => panic!("want: {other}"),
    }
}

fn resource_selector_priority(doc: &Value, c: &Value) {
    let rs: ResourceSelector = from(&c["selector"], "selector");
    assert_eq!(
        selector_priority(&doc["resource"], &rs),
        priority(&c["want"])
    );
}

/// Through the index the pipeline ranks policies with.
fn resource_selectors_priority(doc: &Value, c: &Value) {
    let list: Vec<ResourceSelector> = from(&c["selectors"], "selectors");
    // One policy with these selectors.
    let index = PolicyIndex::new([&list[..]]);
    let got = index.matching(&doc["resource"]).get(&0).copied();
    assert_eq!(
        got.unwrap_or(ImplicitPriority::MisMatch),
        priority(&c["want"])
    );
}

// --- cluster -----------------------------------------------------------------------------------

fn cluster_with(spec: Value) -> Cluster {
    from(
        &json!({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
                "metadata": {"name": "cluster1"}, "spec": spec}),
        "cluster",
    )
}

fn field_affinity(requirement: Value) -> ClusterAffinity {
    from(
        &json!({"fieldSelector": {"matchExpressions": [requirement]}}),
        "requirement",
    )
}

fn cluster_matches_case(doc: &Value, c: &Value) {
    let cluster: Cluster = from(&doc["cluster"], "cluster");
    let want = c["want"].as_bool().unwrap();
    if let Some(why) = c["rejected"].as_str() {
        // A deliberate difference: we refuse the affinity where Karmada selects nothing.
        assert!(!want, "rejected ({why}) only where Karmada matches nothing");
        let parsed = serde_json::from_value::<ClusterAffinity>(c["affinity"].clone());
        assert!(
            parsed.is_err(),
            "expected the affinity to be rejected: {why}"
        );
        return;
    }
    let affinity: ClusterAffinity = from(&c["affinity"], "affinity");
    assert_eq!(cluster_matches(&cluster, &affinity), want);
}

fn match_zones(_: &Value, c: &Value) {
    let cluster = cluster_with(json!({"zones": c["zones"]}));
    let affinity = field_affinity(c["requirement"].clone());
    assert_eq!(
        cluster_matches(&cluster, &affinity),
        c["want"].as_bool().unwrap()
    );
}

/// The field set is observed through selectors: a present field matches `In [value]` and
/// `Exists`; an absent one matches `DoesNotExist` only.
fn cluster_fields(_: &Value, c: &Value) {
    let cluster = cluster_with(c["spec"].clone());
    for key in ["provider", "region"] {
        let probe = |op: &str, values: Vec<&str>| {
            cluster_matches(
                &cluster,
                &field_affinity(json!({"key": key, "operator": op, "values": values})),
            )
        };
        match c["want"][key].as_str() {
            Some(v) => {
                assert!(probe("In", vec![v]), "{key}: In [{v}]");
                assert!(probe("Exists", vec![]), "{key}: Exists");
                assert!(!probe("DoesNotExist", vec![]), "{key}: DoesNotExist");
            }
            None => {
                assert!(probe("DoesNotExist", vec![]), "{key}: DoesNotExist");
                assert!(!probe("Exists", vec![]), "{key}: Exists");
            }
        }
    }
}

fn affinity_filter(_: &Value, c: &Value) {
    let placement: Placement = from(&c["placement"], "placement");
    let clusters = clusters_named(&[c["cluster"].as_str().unwrap().to_string()]);
    let s = select(&placement, &clusters);
    let got = if s.selected.is_empty() {
        "Unschedulable"
    } else {
        "Success"
    };
    assert_eq!(got, c["want"].as_str().unwrap());
    if let Some(observed) = c["observed"].as_str() {
        assert_eq!(s.affinity_name.as_deref(), Some(observed), "affinity term");
    }
}

fn affinity_terms(_: &Value, c: &Value) {
    let placement: Placement = from(&c["placement"], "placement");
    let inventory: Vec<String> = from(&c["inventory"], "inventory");
    let clusters = clusters_named(&inventory);
    let s = select(&placement, &clusters);
    let got: Vec<&str> = s
        .selected
        .iter()
        .map(|c| c.metadata.name.as_str())
        .collect();
    let want: Vec<String> = from(&c["want"]["clusters"], "want.clusters");
    assert_eq!(got, want, "clusters");
    assert_eq!(
        s.affinity_name.as_deref(),
        c["want"]["affinity"].as_str(),
        "affinity term"
    );
}

// --- override ----------------------------------------------------------------------------------

fn object(doc: &Value, c: &Value) -> Value {
    let key = c["object"].as_str().unwrap();
    let obj = &doc["objects"][key];
    assert!(obj.is_object(), "object {key}: not in the file's objects");
    obj.clone()
}

/// What Karmada leaves in the object: `want` (JSON pointer -> value), `absent` (pointers),
/// `contains` / `notContains` (pointer -> substrings of a string field).
fn assert_outcome(obj: &Value, c: &Value) {
    for (pointer, value) in c["want"].as_object().into_iter().flatten() {
        assert_eq!(obj.pointer(pointer), Some(value), "{pointer}");
    }
    for pointer in c["absent"].as_array().into_iter().flatten() {
        let pointer = pointer.as_str().unwrap();
        assert_eq!(obj.pointer(pointer), None, "{pointer}: should be absent");
    }
    for (key, expected) in [("contains", true), ("notContains", false)] {
        for (pointer, parts) in c[key].as_object().into_iter().flatten() {
            let text = obj
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| {
                    panic!("{pointer}: not a string in {obj}");
                });
            for part in parts.as_array().unwrap() {
                let part = part.as_str().unwrap();
                assert_eq!(text.contains(part), expected, "{key} {part:?} in {text:?}");
            }
        }
    }
}

fn overriders_case(doc: &Value, c: &Value) {
    let mut obj = object(doc, c);
    let template = obj.clone();
    let o: Overriders = from(&c["overriders"], "overriders");
    let got = overridemanager::apply(&mut obj, &o);
    if c["wantError"].as_bool() == Some(true) {
        assert!(got.is_err(), "expected an error, got {obj}");
        return;
    }
    got.unwrap_or_else(|e| panic!("{e}"));
    if !c["wantPatch"].is_null() {
        // Karmada's expected patch, applied to the object, is the object we must produce.
        let patch: json_patch::Patch = from(&c["wantPatch"], "wantPatch");
        let mut want = template;
        json_patch::patch(&mut want, &patch).unwrap_or_else(|e| panic!("wantPatch: {e}"));
        assert_eq!(obj, want);
    }
    assert_outcome(&obj, c);
}

fn override_policies(doc: &Value, c: &Value) {
    let obj = object(doc, c);
    let cluster = c["cluster"].as_str().unwrap();
    let picked: Vec<String> = from(&c["policies"], "policies");
    let mut stream: Vec<Value> = picked
        .iter()
        .map(|name| {
            doc["policies"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["metadata"]["name"] == name.as_str())
                .unwrap_or_else(|| panic!("policy {name}: not in the file's policies"))
                .clone()
        })
        .collect();
    // A propagation policy that sends the object to the cluster, so it is delivered there.
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("");
    let (kind, meta) = if ns.is_empty() {
        ("ClusterPropagationPolicy", json!({"name": "cases"}))
    } else {
        (
            "PropagationPolicy",
            json!({"name": "cases", "namespace": ns}),
        )
    };
    stream.push(
        json!({"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": meta,
        "spec": {"resourceSelectors": [{"apiVersion": obj["apiVersion"], "kind": obj["kind"],
                                        "name": obj["metadata"]["name"]}],
                 "placement": {"clusterAffinity": {"clusterNames": [cluster]}}}}),
    );
    stream.push(obj.clone());
    let input = Input::from_stream(stream, "case").unwrap_or_else(|e| panic!("{e:#}"));
    let clusters = clusters_named(&[cluster.to_string()]);

    let got: Vec<Value> = overriders_for(&input, &obj, &clusters[0])
        .iter()
        .map(|r| {
            json!({"kind": r.kind, "policy": r.policy.metadata.name,
                   "overriders": serde_json::to_value(r.overriders).unwrap()})
        })
        .collect();
    let Some(want) = c["wantApplied"].as_array() else {
        return delivered(&input, &clusters, c);
    };
    let want: Vec<Value> = want
        .iter()
        .map(|w| {
            let o: Overriders = from(&w["overriders"], "wantApplied.overriders");
            json!({"kind": w["kind"], "policy": w["policy"],
                   "overriders": serde_json::to_value(o).unwrap()})
        })
        .collect();
    assert_eq!(got, want, "applied rules, in order");
    delivered(&input, &clusters, c);
}

/// The copy the whole pipeline delivers to the case's cluster, checked with [`assert_outcome`].
fn delivered(input: &Input, clusters: &[Cluster], c: &Value) {
    let sim = simulate(input, clusters, &Options::default());
    let cluster = &clusters[0].metadata.name;
    match &sim.templates[0].per_cluster[cluster] {
        Outcome::Delivered(d) => assert_outcome(&d.object, c),
        Outcome::Not(why) => panic!("not delivered to {cluster}: {why}"),
    }
}
