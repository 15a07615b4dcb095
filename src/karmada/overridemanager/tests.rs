use serde_json::json;

use super::*;

fn overriders(v: Value) -> Overriders {
    serde_json::from_value(v).unwrap()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "registry.example.com/team/web:1.0",
             "env": [{"name": "A", "value": "1"}], "args": ["--x"]}
        ]}}}
    })
}

#[test]
fn overriders_run_in_karmadas_order() {
    let mut obj = deployment();
    // plaintext is written first but runs last: it sees the image the image overrider wrote.
    let o = overriders(json!({
        "plaintext": [{"path": "/metadata/annotations/seen", "operator": "add", "value": "x"}],
        "imageOverrider": [{"component": "Tag", "operator": "replace", "value": "2.0"}],
        "argsOverrider": [{"containerName": "app", "operator": "add", "value": ["--y"]}],
        "commandOverrider": [{"containerName": "app", "operator": "add", "value": ["run"]}],
        "labelsOverrider": [{"operator": "add", "value": {"a/b": "c"}}],
        "annotationsOverrider": [{"operator": "add", "value": {"k": "v"}}]
    }));
    apply(&mut obj, &o).unwrap();
    let c = &obj["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "registry.example.com/team/web:2.0");
    assert_eq!(c["command"], json!(["run"]));
    assert_eq!(c["args"], json!(["--x", "--y"]));
    assert_eq!(obj["metadata"]["labels"], json!({"a/b": "c"}));
    assert_eq!(
        obj["metadata"]["annotations"],
        json!({"k": "v", "seen": "x"})
    );
}

#[test]
fn plaintext_ops_apply_in_sequence_and_name_the_failing_one() {
    let mut obj = deployment();
    let o = overriders(json!({"plaintext": [
        {"path": "/spec/template/spec/containers/0/env", "operator": "remove"},
        {"path": "/spec/template/spec/containers/0/env/0/value", "operator": "replace", "value": "2"}
    ]}));
    let before = obj.clone();
    let e = apply(&mut obj, &o).unwrap_err();
    assert_eq!(e.overrider, "plaintext[1]");
    assert_eq!(
        e.operation.as_deref(),
        Some("replace /spec/template/spec/containers/0/env/0/value")
    );
    assert_eq!(e.message, "the path does not exist");
    assert_eq!(obj, before, "a failed patch changes nothing");
}

#[test]
fn image_overrider_with_predicate_and_bad_images() {
    let mut obj = deployment();
    let o = overriders(json!({"imageOverrider": [{
        "predicate": {"path": "/spec/template/spec/containers/0/image"},
        "component": "Registry", "operator": "replace", "value": "mirror.io"
    }]}));
    apply(&mut obj, &o).unwrap();
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"][0]["image"],
        "mirror.io/team/web:1.0"
    );
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = json!("Web:1");
    let e = check_images(&obj, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "imageOverrider[0]: failed to parse image value(Web:1), error: repository name must be lowercase"
    );
    let missing = overriders(json!({"imageOverrider": [{
        "predicate": {"path": "/spec/template/spec/containers/3/image"},
        "component": "Tag", "operator": "remove"
    }]}));
    assert!(apply(&mut deployment(), &missing).is_err());
}

#[test]
fn remove_and_replace_of_missing_labels_are_skipped() {
    let mut obj = json!({"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}});
    let o = overriders(json!({"labelsOverrider": [
        {"operator": "remove", "value": {"a": "", "b": ""}},
        {"operator": "replace", "value": {"c": "3"}}
    ]}));
    apply(&mut obj, &o).unwrap();
    assert_eq!(obj["metadata"]["labels"], json!({}));
}

#[test]
fn command_overrider_only_touches_workload_kinds() {
    let mut cj = json!({"kind": "CronJob", "spec": {"jobTemplate": {}}});
    let before = cj.clone();
    let o = overriders(
        json!({"commandOverrider": [{"containerName": "c", "operator": "add", "value": ["x"]}]}),
    );
    apply(&mut cj, &o).unwrap();
    assert_eq!(cj, before);
    let mut pod =
        json!({"kind": "Pod", "spec": {"containers": [{"name": "c", "command": ["a", "b", "a"]}]}});
    let rm = overriders(
        json!({"commandOverrider": [{"containerName": "c", "operator": "remove", "value": ["a"]}]}),
    );
    apply(&mut pod, &rm).unwrap();
    assert_eq!(pod["spec"]["containers"][0]["command"], json!(["b"]));
}

#[test]
fn field_overrider_patches_an_embedded_document() {
    let mut cm = json!({"kind": "ConfigMap", "data": {
        "cfg.json": "{\"b\":1,\"a\":{\"x\":1}}",
        "cfg.yaml": "b: 1\na:\n  x: 1\n"
    }});
    let o = overriders(json!({"fieldOverrider": [
        {"fieldPath": "/data/cfg.json", "json": [{"subPath": "/a/x", "operator": "replace", "value": 2}]},
        {"fieldPath": "/data/cfg.yaml", "yaml": [{"subPath": "/c", "operator": "add", "value": "z"}]}
    ]}));
    apply(&mut cm, &o).unwrap();
    assert_eq!(cm["data"]["cfg.json"], "{\"b\":1,\"a\":{\"x\":2}}");
    assert_eq!(cm["data"]["cfg.yaml"], "a:\n  x: 1\nb: 1\nc: z\n");
}
