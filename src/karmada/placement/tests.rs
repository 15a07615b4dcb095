//! Parsing, parameters and cross-field checks of `karmada.yaml`.

use super::*;
use crate::karmada::{Origin, Param, Params};

fn parse(text: &str) -> Result<Placement> {
    let doc = crate::yaml::parse_one(text, "k.yaml")?;
    let p = Placement::parse(&doc, "k.yaml")?;
    p.validate()?;
    Ok(p)
}

fn err(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

const HEAD: &str = "apiVersion: argocd-karmada-plugin/v1alpha1\nkind: Placement\n";

#[test]
fn minimal_placement_defaults() {
    let p = parse(&format!("{HEAD}clusters: {{names: [member1, member2]}}\n")).unwrap();
    assert_eq!(
        p.clusters,
        Clusters::One(Affinity {
            names: vec!["member1".into(), "member2".into()],
            ..Affinity::default()
        })
    );
    assert_eq!(p.replicas, Replicas::Duplicated);
    assert_eq!(p.propagate_deps, PropagateDeps(true));
    assert_eq!(p.conflict_resolution, ConflictResolution::Abort);
    assert_eq!(p.preemption, Preemption::Never);
    assert_eq!(p.priority, 0);
    // Regression: the type's default used to say `propagateDeps: false`.
    let d = Placement::default();
    assert_eq!(
        (
            d.propagate_deps,
            d.replicas,
            d.conflict_resolution,
            d.preemption,
            d.priority
        ),
        (
            p.propagate_deps,
            p.replicas,
            p.conflict_resolution,
            p.preemption,
            p.priority
        )
    );
    let off = parse(&format!(
        "{HEAD}clusters: {{names: [member1]}}\npropagateDeps: false\n"
    ))
    .unwrap();
    assert_eq!(off.propagate_deps, PropagateDeps(false));
}

#[test]
fn full_placement_parses() {
    let p = parse(&format!(
            "{HEAD}clusters:
  exclude: [member9]
  groups:
    - name: primary
      names: [member1, member2]
    - name: backup
      selector: {{matchLabels: {{tier: backup}}, matchExpressions: [{{key: env, operator: In, values: [prod]}}]}}
      region: {{notIn: [us-east-1]}}
      provider: [aws]
replicas: {{mode: Divided, dynamic: AvailableReplicas}}
spread: [{{by: cluster, min: 1, max: 3}}, {{by: region, min: 2}}]
propagateDeps: true
failover:
  application: {{tolerationSeconds: 60, purgeMode: Directly, statePreservation: [{{aliasLabelName: app.example.com/state, jsonPath: '{{.phase}}'}}]}}
  cluster: {{purgeMode: Gracefully}}
conflictResolution: Overwrite
priority: 5
preemption: Always
suspension: {{clusters: [member1]}}
preserveResourcesOnDeletion: true
tolerations: [{{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}]
overrides:
  - clusters: [member1]
    image: {{registry: eu.example.com, tag: v2}}
    replicas: 3
    labels: {{tier: gold}}
    command: {{web: {{add: [--debug]}}}}
    args: {{web: [--x]}}
    env: {{LOG_LEVEL: debug}}
    patches: [{{target: {{kind: Deployment, name: web}}, ops: [{{op: remove, path: /spec/strategy}}]}}]
"
        ))
        .unwrap();
    let Clusters::Groups(groups) = &p.clusters else {
        panic!("groups expected")
    };
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].affinity.exclude, vec!["member9".to_string()]);
    assert_eq!(groups[1].affinity.fields.len(), 2);
    assert!(groups[1].affinity.fields[1].not_in);
    assert_eq!(p.replicas, Replicas::Dynamic);
    assert_eq!(p.spread.len(), 2);
    let app = p.failover.as_ref().unwrap().application.as_ref().unwrap();
    assert_eq!(app.toleration_seconds, 60);
    assert_eq!(app.purge, PurgeMode::Directly);
    assert_eq!(
        p.suspension,
        Some(Suspension::Clusters(vec!["member1".into()]))
    );
    assert_eq!(p.overrides[0].command[0].add, vec!["--debug".to_string()]);
    assert_eq!(p.overrides[0].args[0].add, vec!["--x".to_string()]);
    assert_eq!(p.tolerations[0].toleration_seconds, Some(30));
}

#[test]
fn errors_name_file_and_field() {
    assert_eq!(
        err(&format!("{HEAD}clustrs: {{names: [a]}}\n")),
        "k.yaml: clustrs: unknown field (did you mean \"clusters\"?)"
    );
    assert_eq!(
        err(&format!("{HEAD}clusters: {{names: []}}\n")),
        "k.yaml: clusters: selects no cluster; list clusters in `names` or select them with `selector`"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1], exclude: [member1]}}\n"
        )),
        "k.yaml: clusters: selects no cluster: every name in `names` is excluded (member1)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1, member2]}}\noverrides: [{{clusters: [membr1], replicas: 1}}]\n"
        )),
        "k.yaml: overrides[0].clusters[0]: unknown cluster \"membr1\" (did you mean \"member1\"?)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1, member3: 2}}}}\n"
        )),
        "k.yaml: replicas.weights.member3: unknown cluster \"member3\" (did you mean \"member2\"?)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1, edge: 2}}}}\n"
        )),
        "k.yaml: replicas.weights.edge: unknown cluster \"edge\" (selected clusters: member1, member2)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1, member2]}}\nreplicas: {{weights: {{member1: 1}}}}\n"
        )),
        "k.yaml: replicas.weights: cluster \"member2\" is selected but has no weight (it would get no replicas); give it a weight or stop selecting it"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [member1]}}\nreplicas: {{weights: {{member1: -1}}}}\n"
        )),
        "k.yaml: replicas.weights.member1: weight -1 must be at least 1"
    );
    assert_eq!(
        err(&format!("{HEAD}clusters: {{names: [a, a]}}\n")),
        "k.yaml: clusters.names[1]: duplicate entry \"a\""
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\nreplicas: {{mode: Divded}}\n"
        )),
        "k.yaml: replicas.mode: \"Divded\" is not one of \"Duplicated\", \"Divided\", \"Aggregated\" (did you mean \"Divided\"?)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{groups: [{{name: a, names: [x]}}, {{name: a, names: [y]}}]}}\n"
        )),
        "k.yaml: clusters.groups[1].name: duplicate group name \"a\""
    );
    assert!(
        err(&format!(
            "{HEAD}clusters: {{groups: [{{name: '-bad', names: [x]}}]}}\n"
        ))
        .starts_with("k.yaml: clusters.groups[0].name: \"-bad\" is not a valid group name")
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\nspread: [{{by: region}}]\n"
        )),
        "k.yaml: spread: spreading by region, zone or provider also needs a `by: cluster` entry (Karmada requires it)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\npropagateDeps: false\nfailover: {{application: {{}}}}\n"
        )),
        "k.yaml: failover.application: needs propagateDeps: true (Karmada rejects application failover without it)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\noverrides: [{{clusters: [a]}}]\n"
        )),
        "k.yaml: overrides[0]: overrides nothing; give image, replicas, labels, annotations, command, args, env, patches or kustomize"
    );
    assert_eq!(
        err("apiVersion: v1\nkind: Placement\nclusters: {names: [a]}\n"),
        "k.yaml: apiVersion: \"v1\" is not supported; use \"argocd-karmada-plugin/v1alpha1\""
    );
    assert_eq!(
        err(HEAD),
        "k.yaml: clusters: missing; name the member clusters (clusters.names) or select them (clusters.selector)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\noverrides: [{{clusters: [a], labels: {{tier: 'gold plated'}}}}]\n"
        )),
        "k.yaml: overrides[0].labels.tier: \"gold plated\" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{selector: {{matchLabels: {{'bad key!': x}}}}}}\n"
        )),
        "k.yaml: clusters.selector.matchLabels.bad key!: not a valid key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.')"
    );
    assert_eq!(
        err(&format!("{HEAD}clusters: {{names: [Member_1]}}\n")),
        "k.yaml: clusters.names[0]: \"Member_1\" is not a valid cluster name (lower-case letters, digits and '-', at most 63 characters)"
    );
    assert_eq!(
        err(&format!(
            "{HEAD}clusters: {{names: [a]}}\noverrides: [{{clusters: [a], patches: [{{target: {{kind: X}}, ops: [{{op: add, path: /a}}]}}]}}]\n"
        )),
        "k.yaml: overrides[0].patches[0].ops[0].value: missing (add needs a value)"
    );
}

#[test]
fn selectors_cannot_be_checked_by_name_but_exclusions_can() {
    let text = format!(
        "{HEAD}clusters: {{selector: {{matchLabels: {{env: prod}}}}, exclude: [member3]}}\noverrides: [{{clusters: [anything], replicas: 1}}]\n"
    );
    parse(&text).unwrap();
    let text = format!(
        "{HEAD}clusters: {{selector: {{}}, exclude: [member3]}}\noverrides: [{{clusters: [member3], replicas: 1}}]\n"
    );
    assert_eq!(
        format!("{:#}", parse(&text).unwrap_err()),
        "k.yaml: overrides[0].clusters[0]: cluster \"member3\" is excluded"
    );
}

fn given<T>(value: T) -> Param<T> {
    Param::new(value, Origin::AppParameters)
}

#[test]
fn parameters_win() {
    let doc = crate::yaml::parse_one(
            &format!(
                "{HEAD}clusters: {{names: [member1, member2], exclude: [member2]}}\nreplicas: {{weights: {{member1: 1}}}}\n"
            ),
            "k.yaml",
        )
        .unwrap();
    let mut p = Placement::parse(&doc, "k.yaml").unwrap();
    p.apply_params(&Params {
        clusters: Some(given(vec!["member3".into(), " member4 ".into()])),
        exclude_clusters: Some(given(vec![])),
        replicas_mode: None,
        weights: Some(given(BTreeMap::from([
            ("member3".to_string(), "2".to_string()),
            ("member4".to_string(), "1".to_string()),
        ]))),
    })
    .unwrap();
    p.validate().unwrap();
    assert_eq!(
        p.clusters,
        Clusters::One(Affinity {
            names: vec!["member3".into(), "member4".into()],
            ..Affinity::default()
        })
    );
    assert_eq!(
        p.replicas,
        Replicas::Weighted(vec![("member3".into(), 2), ("member4".into(), 1)])
    );
    p.apply_params(&Params {
        replicas_mode: Some(given("Duplicated".into())),
        ..Params::default()
    })
    .unwrap();
    assert_eq!(p.replicas, Replicas::Duplicated);
    let e = p
        .apply_params(&Params {
            replicas_mode: Some(given("Divded".into())),
            ..Params::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "k.yaml: parameter `replicas-mode`: \"Divded\" is not one of \"Duplicated\", \"Divided\", \"AvailableReplicas\", \"Aggregated\" (did you mean \"Divided\"?)"
    );
    let e = p
        .apply_params(&Params {
            weights: Some(given(BTreeMap::from([(
                "member3".to_string(),
                "x".to_string(),
            )]))),
            ..Params::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "k.yaml: parameter `weights`: member3: \"x\" is not an integer"
    );
}
