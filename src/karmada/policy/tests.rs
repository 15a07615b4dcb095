//! Policy building: rules, shapes, waves, names, and invariants every output keeps.

use super::*;
use crate::karmada::Overlay;
use std::collections::BTreeMap;

struct App {
    overlays: BTreeMap<String, Vec<Value>>,
}

impl App {
    fn new() -> App {
        App {
            overlays: BTreeMap::new(),
        }
    }

    fn app(&self) -> Inputs<'static> {
        Inputs {
            app_name: "shop",
            namespace: "dest",
            origins: &[],
        }
    }

    fn overlay(&mut self, rel: &str, objects: &str) {
        self.overlays.insert(
            rel.to_string(),
            crate::yaml::parse_stream(objects, "o").unwrap(),
        );
    }

    /// Builds and checks the invariants every output must keep.
    fn build(&self, placement: &str, objects: &str) -> Result<(Vec<Value>, Vec<Value>)> {
        let text =
            format!("apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n{placement}");
        let doc = crate::yaml::parse_one(&text, "karmada.yaml")?;
        let p = Placement::parse(&doc, "karmada.yaml")?;
        p.validate()?;
        let mut objs = crate::yaml::parse_stream(objects, "app")?;
        let overlay = |dir: &str| -> Result<Overlay> {
            Ok(Overlay {
                objects: match self.overlays.get(dir) {
                    Some(objects) => objects.clone(),
                    None => anyhow::bail!("no overlay {dir}"),
                },
                origin: format!("{dir} (overlay)"),
            })
        };
        let policies = build(self.app(), &p, &mut objs, &overlay)?;
        // Deterministic, and already in the form Karmada stores.
        let mut again = crate::yaml::parse_stream(objects, "app")?;
        assert_eq!(build(self.app(), &p, &mut again, &overlay)?, policies);
        for pol in &policies {
            let mut d = pol.clone();
            crate::karmada::defaults::apply(&mut d);
            assert_eq!(&d, pol, "defaulting changed {pol:#}");
            assert!(naming::is_dns1123_label(
                pol["metadata"]["name"].as_str().unwrap()
            ));
        }
        Ok((objs, policies))
    }
}

fn kinds(policies: &[Value]) -> Vec<String> {
    policies
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["kind"].as_str().unwrap(),
                p["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

const WEB: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  template:
    spec:
      initContainers: [{name: migrate, image: example.com/migrate:1}]
      containers:
        - {name: web, image: example.com/web:1, env: [{name: MODE, value: a}]}
        - {name: proxy, image: envoy:1}
";

#[test]
fn namespaced_and_cluster_scoped_objects_get_exact_selectors() {
    let app = App::new();
    let objects = format!(
        "{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: other}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: dest}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r, namespace: ignored}}\n"
    );
    let (objs, pols) = app
        .build("clusters: {names: [m1, m2]}\n", &objects)
        .unwrap();
    assert_eq!(
        objs[0]["metadata"],
        json!({"name": "web", "namespace": "dest"})
    );
    assert_eq!(objs[1]["metadata"]["namespace"], "other");
    assert_eq!(objs[3]["metadata"], json!({"name": "r"}));
    // The Namespace holding policies is created before them.
    assert_eq!(objs[2]["metadata"]["annotations"][SYNC_WAVE], "-3");
    assert_eq!(
        kinds(&pols),
        [
            "ClusterPropagationPolicy shop",
            "PropagationPolicy shop",
            "PropagationPolicy shop"
        ]
    );
    assert_eq!(
        pols[0]["spec"]["resourceSelectors"],
        json!([
            {"apiVersion": "v1", "kind": "Namespace", "name": "dest"},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "r"}
        ])
    );
    assert_eq!(pols[1]["metadata"]["namespace"], "dest");
    assert_eq!(
        pols[1]["spec"]["resourceSelectors"],
        json!([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "dest", "name": "web"}])
    );
    assert_eq!(pols[2]["metadata"]["namespace"], "other");
    assert_eq!(pols[1]["metadata"]["annotations"][SYNC_WAVE], "-1");
    assert_eq!(
        pols[1]["spec"]["placement"],
        json!({"clusterAffinity": {"clusterNames": ["m1", "m2"]}, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}})
    );
}

#[test]
fn duplicates_are_errors_naming_both() {
    let app = App::new();
    let objects = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: web, namespace: dest}\n";
    let e = app.build("clusters: {names: [m1]}\n", objects).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the rendered app: object #3: duplicate object apps/Deployment dest/web (first in the rendered app: object #1 as apps/v1, here as apps/v1beta1)"
    );
    // Identity follows scope, as Argo CD applies objects: a cluster-scoped object's namespace
    // (built-in kind, or a CRD of the app) is ignored, a namespaced one's is filled in.
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Cluster, names: {kind: Widget}}\n";
    for (objects, dup) in [
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: x}\n".to_string(),
            "Namespace shop",
        ),
        (
            format!("{crd}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: a}}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: b}}\n"),
            "example.com/Widget w",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: dest}\n".to_string(),
            "ConfigMap dest/c",
        ),
    ] {
        let e = app.build("clusters: {names: [m1]}\n", &objects).unwrap_err();
        assert!(
            e.to_string().contains(&format!("duplicate object {dup} (first in")),
            "{e}"
        );
    }
    let distinct = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other}\n";
    app.build("clusters: {names: [m1]}\n", distinct).unwrap();
    let e = app
        .build(
            "clusters: {names: [m1]}\n",
            "apiVersion: a/b/c\nkind: X\nmetadata: {name: x}\n",
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the rendered app: object #1: apiVersion: \"a/b/c\" is not a valid apiVersion (`group/version` or `version`)"
    );
}

#[test]
fn federated_hpa_targets_lose_replicas_and_are_not_overridden() {
    let app = App::new();
    let objects = format!(
        "{WEB}---\napiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {{name: web}}\nspec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}, maxReplicas: 5}}\n"
    );
    let (objs, pols) = app.build("clusters: {names: [m1]}\n", &objects).unwrap();
    assert!(objs[0]["spec"].get("replicas").is_none());
    // The FederatedHPA stays on the control plane.
    assert_eq!(
        pols[0]["spec"]["resourceSelectors"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let e = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], replicas: 3}]\n",
            &objects,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "karmada.yaml: overrides[0].replicas: apps/Deployment dest/web is scaled by a FederatedHPA; remove `replicas` from this override (or add a `target`)"
    );
}

#[test]
fn user_waves_move_policies_before_the_first_one() {
    let app = App::new();
    let objects = format!(
        "{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, annotations: {{argocd.argoproj.io/sync-wave: '-5'}}}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: dest}}\n"
    );
    let (objs, pols) = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], labels: {a: b}}]\n",
            &objects,
        )
        .unwrap();
    assert_eq!(objs[2]["metadata"]["annotations"][SYNC_WAVE], "-8");
    let waves: Vec<&str> = pols
        .iter()
        .map(|p| p["metadata"]["annotations"][SYNC_WAVE].as_str().unwrap())
        .collect();
    assert_eq!(waves, ["-6", "-6", "-7", "-7"]);
    let late = objects.replace(
        "name: dest}",
        "name: dest, annotations: {argocd.argoproj.io/sync-wave: '-7'}}",
    );
    let e = app.build("clusters: {names: [m1]}\n", &late).unwrap_err();
    assert!(
            e.to_string()
                .starts_with("the rendered app: Namespace dest: metadata.annotations.argocd.argoproj.io/sync-wave: wave -7 is too late"),
            "{e}"
        );
}

/// Every node of a full placement replaced by values of every other type: never a panic, and
/// every refusal names the file and a field.
#[test]
fn structurally_mutated_placements_never_panic() {
    let full = "clusters:
  exclude: [m9]
  groups:
    - {name: primary, names: [m1, m2], provider: [aws]}
    - {name: backup, selector: {matchLabels: {t: b}, matchExpressions: [{key: k, operator: In, values: [v]}]}, region: {notIn: [us]}}
replicas: {mode: Divided, weights: {m1: 2, m2: 1}}
spread: [{by: cluster, min: 1, max: 2}]
propagateDeps: true
failover: {application: {tolerationSeconds: 30, purgeMode: Gracefully, gracePeriodSeconds: 60, statePreservation: [{aliasLabelName: a, jsonPath: '{.x}'}]}, cluster: {purgeMode: Directly}}
conflictResolution: Abort
priority: 1
preemption: Never
suspension: {clusters: [m1]}
preserveResourcesOnDeletion: true
tolerations: [{key: k, operator: Exists}]
overrides:
  - clusters: [m1]
    target: {kind: Deployment}
    containers: [web]
    image: {registry: r, repository: x/y, tag: t}
    replicas: 2
    labels: {a: b}
    annotations: {c: d}
    command: {web: {add: [x1], remove: [y1]}}
    args: {web: [z]}
    env: {E: v}
    patches: [{target: {kind: Deployment}, ops: [{op: add, path: /spec/paused, value: true}]}]
";
    let head = "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n";
    let doc = crate::yaml::parse_one(&format!("{head}{full}"), "k").unwrap();
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| {
                pointers(
                    c,
                    format!("{at}/{}", super::super::overrides::escape(k)),
                    out,
                )
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }
    let mut all = Vec::new();
    pointers(&doc, String::new(), &mut all);
    App::new().build(full, WEB).unwrap();
    let replacements = [
        json!(null),
        json!(true),
        json!(-1),
        json!(2.5),
        json!("x"),
        json!(""),
        json!([]),
        json!({}),
        json!([1]),
        json!({"zz": 1}),
        json!("m1"),
    ];
    let app = App::new();
    let (mut ok, mut refused) = (0, 0);
    for ptr in all.iter().filter(|p| !p.is_empty()) {
        for r in &replacements {
            let mut d = doc.clone();
            *d.pointer_mut(ptr).unwrap() = r.clone();
            let text = crate::yaml::to_string(&d).unwrap();
            let text = text.strip_prefix(head).unwrap_or(&text).to_string();
            let result = std::panic::catch_unwind(|| app.build(&text, WEB).map(|_| ()));
            match result {
                Err(_) => panic!("panic with {ptr} = {r}"),
                Ok(Ok(())) => ok += 1,
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with("karmada.yaml: "), "{ptr} = {r}: {msg}");
                    refused += 1;
                }
            }
        }
    }
    assert!(refused > 200 && ok > 20, "refused {refused}, accepted {ok}");
}

#[test]
fn absurd_waves_are_errors_not_overflows() {
    let app = App::new();
    let objects = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, annotations: {argocd.argoproj.io/sync-wave: '-9223372036854775808'}}\n";
    let e = app.build("clusters: {names: [m1]}\n", objects).unwrap_err();
    assert!(e.to_string().contains("is too low"), "{e}");
}

#[test]
fn image_overrides_cover_every_container_including_init_containers() {
    let app = App::new();
    let (_, pols) = app
            .build(
                "clusters: {names: [m1, m2]}\noverrides: [{clusters: [m2], image: {registry: mirror.example.com, tag: v2}}]\n",
                &format!("{WEB}---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n"),
            )
            .unwrap();
    assert_eq!(
        kinds(&pols),
        [
            "PropagationPolicy shop",
            "OverridePolicy shop-deployment-web"
        ]
    );
    assert_eq!(
        pols[0]["spec"]["dependentOverrides"],
        json!(["shop-deployment-web"])
    );
    let rules = &pols[1]["spec"]["overrideRules"];
    assert_eq!(rules[0]["targetCluster"], json!({"clusterNames": ["m2"]}));
    let paths: Vec<(&str, &str)> = rules[0]["overriders"]["imageOverrider"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["predicate"]["path"].as_str().unwrap(),
                o["component"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("/spec/template/spec/initContainers/0/image", "Registry"),
            ("/spec/template/spec/initContainers/0/image", "Tag"),
            ("/spec/template/spec/containers/0/image", "Registry"),
            ("/spec/template/spec/containers/0/image", "Tag"),
            ("/spec/template/spec/containers/1/image", "Registry"),
            ("/spec/template/spec/containers/1/image", "Tag"),
        ]
    );
    let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], containers: [proxy], image: {tag: v2}}]\n",
                WEB,
            )
            .unwrap();
    assert_eq!(
        pols[1]["spec"]["overrideRules"][0]["overriders"]["imageOverrider"],
        json!([{"predicate": {"path": "/spec/template/spec/containers/1/image"}, "component": "Tag", "operator": "replace", "value": "v2"}])
    );
    let e = app
            .build("clusters: {names: [m1]}\noverrides: [{clusters: [m1], containers: [nope], image: {tag: v2}}]\n", WEB)
            .unwrap_err();
    assert_eq!(
        e.to_string(),
        "karmada.yaml: overrides[0].containers[0]: no selected workload has a container \"nope\""
    );
    let e = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], image: {tag: v2}}]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "karmada.yaml: overrides[0].image: no selected object has containers"
    );
}

#[test]
fn replicas_env_labels_command_and_patches() {
    let app = App::new();
    let placement = "clusters: {names: [m1, m2]}
overrides:
  - clusters: [m1]
    replicas: 5
    env: {MODE: b, EXTRA: x}
    labels: {tier: gold}
    annotations: {note: hi}
    command: {web: {add: [--verbose], remove: [--quiet]}}
    args: {proxy: [--level=debug]}
    patches:
      - target: {kind: Deployment}
        ops:
          - {op: replace, path: /spec/template/spec/containers/1/image, value: envoy:2}
          - {op: remove, path: /spec/template/spec/initContainers}
";
    let (_, pols) = app.build(placement, WEB).unwrap();
    let o = &pols[1]["spec"]["overrideRules"][0]["overriders"];
    assert_eq!(
        o["plaintext"],
        json!([
            {"path": "/spec/replicas", "operator": "replace", "value": 5},
            // In the entry's order, never sorted.
            {"path": "/spec/template/spec/containers/0/env/0", "operator": "replace", "value": {"name": "MODE", "value": "b"}},
            {"path": "/spec/template/spec/containers/0/env/-", "operator": "add", "value": {"name": "EXTRA", "value": "x"}},
            {"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [{"name": "MODE", "value": "b"}, {"name": "EXTRA", "value": "x"}]},
            {"path": "/spec/template/spec/containers/1/image", "operator": "replace", "value": "envoy:2"},
            {"path": "/spec/template/spec/initContainers", "operator": "remove"},
        ])
    );
    assert_eq!(
        o["labelsOverrider"],
        json!([{"operator": "add", "value": {"tier": "gold"}}])
    );
    assert_eq!(
        o["annotationsOverrider"],
        json!([{"operator": "add", "value": {"note": "hi"}}])
    );
    assert_eq!(
        o["commandOverrider"],
        json!([
            {"containerName": "web", "operator": "add", "value": ["--verbose"]},
            {"containerName": "web", "operator": "remove", "value": ["--quiet"]}
        ])
    );
    assert_eq!(
        o["argsOverrider"],
        json!([{"containerName": "proxy", "operator": "add", "value": ["--level=debug"]}])
    );

    let bad = "clusters: {names: [m1]}\noverrides: [{clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: replace, path: /spec/nothing/here, value: 1}]}]}]\n";
    assert_eq!(
        app.build(bad, WEB).unwrap_err().to_string(),
        "karmada.yaml: overrides[0].patches[0].ops[0].path: replace /spec/nothing/here cannot be applied to apps/Deployment dest/web on cluster m1: the path does not exist"
    );
    let bad = "clusters: {names: [m1]}\noverrides: [{clusters: [m1], command: {sidecar: [x]}}]\n";
    assert_eq!(
        app.build(bad, WEB).unwrap_err().to_string(),
        "karmada.yaml: overrides[0].command.sidecar: no selected Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job has a container \"sidecar\""
    );
    let bad = "clusters: {names: [m1]}\noverrides: [{clusters: [m1], target: {kind: StatefulSet}, labels: {a: b}}]\n";
    assert_eq!(
        app.build(bad, WEB).unwrap_err().to_string(),
        "karmada.yaml: overrides[0].target: matches no object of the app that Karmada propagates"
    );
}

#[test]
fn overlays_become_plaintext_ops_against_the_rendered_base() {
    let mut app = App::new();
    app.overlay(
            "overlays/m1",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  template:\n    spec:\n      initContainers: [{name: migrate, image: example.com/migrate:1}]\n      containers:\n        - {name: web, image: example.com/web:1, env: [{name: MODE, value: z}]}\n        - {name: proxy, image: envoy:1}\n",
        );
    app.overlay(
        "overlays/extra",
        &format!("{WEB}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: extra}}\n"),
    );
    let (_, pols) = app
        .build(
            "clusters: {names: [m1, m2]}\noverrides: [{clusters: [m1], kustomize: overlays/m1}]\n",
            WEB,
        )
        .unwrap();
    assert_eq!(
        pols[1]["spec"]["overrideRules"][0]["overriders"]["plaintext"],
        json!([
            {"path": "/spec/replicas", "operator": "replace", "value": 4},
            {"path": "/spec/template/spec/containers/0/env/0/value", "operator": "replace", "value": "z"},
        ])
    );
    // Null means absent to Kubernetes (and the API server drops null values).
    app.overlay(
        "overlays/nulls",
        &WEB.replace("replicas: 2", "replicas: null\n  paused: null"),
    );
    let (_, pols) = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: overlays/nulls}]\n",
            WEB,
        )
        .unwrap();
    assert_eq!(
        pols[1]["spec"]["overrideRules"][0]["overriders"]["plaintext"],
        json!([{"path": "/spec/replicas", "operator": "remove"}])
    );
    let e = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: overlays/extra}]\n",
            WEB,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "karmada.yaml: overrides[0].kustomize: overlays/extra renders ConfigMap dest/extra, which is not in the app (an overlay may only change objects of the base)"
    );
    // The renderer's own errors (bad directory, failing kustomize) name the entry.
    let e = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], kustomize: overlays/none}]\n",
            WEB,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "karmada.yaml: overrides[0].kustomize: no overlay overlays/none"
    );
}

#[test]
fn overrides_for_one_cluster_compose_in_order() {
    let app = App::new();
    // Two env entries for one cluster on a container without env: the second one is computed
    // on top of the first, as Karmada applies them.
    let two_env = "clusters: {names: [m1, m2]}
overrides:
  - {clusters: [m1, m2], containers: [proxy], env: {A: '1'}}
  - {clusters: [m2], containers: [proxy], env: {B: '2'}}
";
    let (_, pols) = app.build(two_env, WEB).unwrap();
    assert_eq!(
        pols[1]["spec"]["overrideRules"],
        json!([
            {"targetCluster": {"clusterNames": ["m1", "m2"]}, "overriders": {"plaintext": [
                {"path": "/spec/template/spec/containers/1/env", "operator": "add", "value": [{"name": "A", "value": "1"}]}]}},
            {"targetCluster": {"clusterNames": ["m2"]}, "overriders": {"plaintext": [
                {"path": "/spec/template/spec/containers/1/env/-", "operator": "add", "value": {"name": "B", "value": "2"}}]}}
        ])
    );
    // A later entry that only some clusters see on top of earlier rules gets one rule per view.
    let split = "clusters: {names: [m1, m2]}
overrides:
  - {clusters: [m2], containers: [proxy], env: {A: '1'}}
  - {clusters: [m1, m2], containers: [proxy], env: {B: '2'}}
";
    let (_, pols) = app.build(split, WEB).unwrap();
    let rules = pols[1]["spec"]["overrideRules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[1]["targetCluster"]["clusterNames"], json!(["m1"]));
    assert_eq!(
        rules[1]["overriders"]["plaintext"][0]["path"],
        "/spec/template/spec/containers/1/env"
    );
    assert_eq!(rules[2]["targetCluster"]["clusterNames"], json!(["m2"]));
    assert_eq!(
        rules[2]["overriders"]["plaintext"][0]["path"],
        "/spec/template/spec/containers/1/env/-"
    );
    // A patch that no longer applies after an earlier entry is an error naming the cluster.
    let removed = "clusters: {names: [m1]}
overrides:
  - {clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: remove, path: /spec/template/spec/initContainers}]}]}
  - {clusters: [m1], patches: [{target: {kind: Deployment}, ops: [{op: replace, path: /spec/template/spec/initContainers/0/image, value: x}]}]}
";
    assert_eq!(
        app.build(removed, WEB).unwrap_err().to_string(),
        "karmada.yaml: overrides[1].patches[0].ops[0].path: replace /spec/template/spec/initContainers/0/image cannot be applied to apps/Deployment dest/web on cluster m1 after the earlier overrides for it: the path does not exist"
    );
}

#[test]
fn objects_with_the_same_rules_share_one_override_policy() {
    let app = App::new();
    let objects = format!(
        "{WEB}---\n{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c1}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c2, namespace: other}}\n",
        WEB.replace("name: web}", "name: web2}")
    );
    let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides: [{clusters: [m1], image: {tag: v2}, labels: {a: b}}]\n",
                &objects,
            )
            .unwrap();
    assert_eq!(
        kinds(&pols),
        [
            "PropagationPolicy shop",
            "PropagationPolicy shop",
            "OverridePolicy shop-deployment-web",
            "OverridePolicy shop-configmap-c1",
            "OverridePolicy shop-configmap-c2"
        ]
    );
    // Both Deployments have the same containers, so the same rules: one policy selects both.
    let names: Vec<&str> = pols[2]["spec"]["resourceSelectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "web2"]);
    assert_eq!(
        pols[0]["spec"]["dependentOverrides"],
        json!(["shop-deployment-web", "shop-configmap-c1"])
    );
    assert_eq!(
        pols[1]["spec"]["dependentOverrides"],
        json!(["shop-configmap-c2"])
    );
}

#[test]
fn objects_that_differ_where_an_entry_looks_get_their_own_rules() {
    let app = App::new();
    let other = WEB
        .replace("name: web}", "name: web2}")
        .replace(", env: [{name: MODE, value: a}]", "");
    let objects = format!("{WEB}---\n{other}---\n{WEB}").replacen("name: web}", "name: web3}", 1);
    let (_, pols) = app
        .build(
            "clusters: {names: [m1]}\noverrides: [{clusters: [m1], env: {MODE: b}}]\n",
            &objects,
        )
        .unwrap();
    let selected: Vec<Vec<&str>> = pols[1..]
        .iter()
        .map(|p| {
            p["spec"]["resourceSelectors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap())
                .collect()
        })
        .collect();
    // web3 and web have the same env, web2 has none: its rule adds the list instead.
    assert_eq!(selected, [vec!["web3", "web"], vec!["web2"]]);
    assert_eq!(
        pols[2]["spec"]["overrideRules"][0]["overriders"]["plaintext"][0]["path"],
        "/spec/template/spec/containers/0/env"
    );
}

#[test]
fn override_policy_names_never_collide() {
    let app = App::new();
    let objects = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\n---\napiVersion: other.com/v1\nkind: Widget\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: Weird_Name}\n";
    let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\noverrides:\n- {clusters: [m1], target: {apiVersion: example.com/v1}, labels: {a: b}}\n- {clusters: [m1], target: {apiVersion: other.com/v1}, labels: {a: c}}\n- {clusters: [m1], target: {kind: ConfigMap}, labels: {a: d}}\n",
                objects,
            )
            .unwrap();
    let names: Vec<&str> = pols[1..]
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], "shop-widget-a");
    assert!(names[1].starts_with("shop-widget-a-"), "{names:?}");
    assert_eq!(names[1].len(), "shop-widget-a-".len() + 8, "{names:?}");
    assert!(
        names[2].starts_with("shop-configmap-weird-name-"),
        "{names:?}"
    );
    let unique: BTreeSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), 3);
}

#[test]
fn placement_features_reach_the_policy() {
    let app = App::new();
    let placement = "clusters:
  exclude: [m9]
  groups:
    - {name: primary, names: [m1, m2]}
    - {name: backup, selector: {matchLabels: {tier: backup}}, region: {notIn: [us]}}
replicas: {mode: Divided, dynamic: AvailableReplicas}
spread: [{by: cluster, min: 1, max: 2}, {by: region}]
failover: {application: {tolerationSeconds: 30}, cluster: {purgeMode: Directly}}
conflictResolution: Overwrite
priority: 7
preemption: Always
suspension: {dispatching: true}
preserveResourcesOnDeletion: false
activationPreference: Lazy
schedulePriority: {priorityClassName: critical}
tolerations: [{key: k, operator: Equal, value: v, effect: NoSchedule}]
";
    let (_, pols) = app.build(placement, WEB).unwrap();
    let spec = &pols[0]["spec"];
    assert_eq!(
        spec["placement"],
        json!({
            "clusterAffinities": [
                {"affinityName": "primary", "clusterNames": ["m1", "m2"], "exclude": ["m9"]},
                {"affinityName": "backup", "labelSelector": {"matchLabels": {"tier": "backup"}},
                 "fieldSelector": {"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["us"]}]},
                 "exclude": ["m9"]}
            ],
            "clusterTolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}],
            "spreadConstraints": [
                {"spreadByField": "cluster", "maxGroups": 2, "minGroups": 1},
                {"spreadByField": "region", "minGroups": 1}
            ],
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted",
                                  "weightPreference": {"dynamicWeight": "AvailableReplicas"}}
        })
    );
    assert_eq!(
        spec["failover"],
        json!({
            "application": {"decisionConditions": {"tolerationSeconds": 30}, "purgeMode": "Gracefully", "gracePeriodSeconds": 600},
            "cluster": {"purgeMode": "Directly"}
        })
    );
    assert_eq!(spec["conflictResolution"], "Overwrite");
    assert_eq!(spec["priority"], 7);
    assert_eq!(spec["preemption"], "Always");
    assert_eq!(spec["suspension"], json!({"dispatching": true}));
    assert_eq!(spec["preserveResourcesOnDeletion"], false);
    assert_eq!(spec["activationPreference"], "Lazy");
    assert_eq!(
        spec["schedulePriority"],
        json!({"priorityClassSource": "KubePriorityClass", "priorityClassName": "critical"})
    );
    let (_, pols) = app
        .build(
            "clusters: {names: [m1]}\npropagateDeps: false\nreplicas: {mode: Aggregated}\n",
            WEB,
        )
        .unwrap();
    assert!(pols[0]["spec"].get("propagateDeps").is_none());
    assert_eq!(
        pols[0]["spec"]["placement"]["replicaScheduling"],
        json!({"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"})
    );
}

#[test]
fn karmada_objects_and_missing_fields() {
    let app = App::new();
    let e = app
        .build(
            "clusters: {names: [m1]}\n",
            "apiVersion: v1\nmetadata: {name: x}\n",
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "the rendered app: object #1: missing kind");
    // Only control-plane objects: nothing to propagate, no policy.
    let (_, pols) = app
            .build(
                "clusters: {names: [m1]}\n",
                "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterOverridePolicy\nmetadata: {name: x}\nspec: {}\n",
            )
            .unwrap();
    assert!(pols.is_empty());
}
