//! `cmp run`: the environment a plugin sees (Argo CD's build environment, `--kube-version`,
//! `--api-versions`, revision flags) and `.argocd-source*.yaml` over the app's source.

mod common;

use common::cmp::*;
use common::{stderr, stdout};
use serde_json::Value;

#[test]
fn env_contract_is_exact() {
    let (repo, sha) = checkout();
    let repo_s = repo.path().display().to_string();
    let out = cmp_run(
        &plugin("env-printer.yaml"),
        &app("env.yaml"),
        &[
            "--kube-version",
            "v1.29.3+k3s1",
            "--api-versions",
            "apps/v1,v1,v1/ConfigMap",
        ],
        &repo_s,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let objs = docs(&stdout(&out));
    assert_eq!(objs.len(), 1);
    let data = &objs[0]["data"];
    let mut expected = vec![
        "ARGOCD_APP_NAME=team-a_envdump".to_string(),
        "ARGOCD_APP_NAMESPACE=prod".into(),
        r#"ARGOCD_APP_PARAMETERS=[{"name":"image.tag","string":"v1.2.3"},{"map":{"east/2":"3","member1":"2"},"name":"replicas-per-cluster"},{"array":["member1","member2"],"name":"clusters"},{"map":{},"name":"empty-map"},{"name":"html","string":"\u003ca\u0026b\u003e"}]"#.into(),
        "ARGOCD_APP_PROJECT_NAME=demo".into(),
        format!("ARGOCD_APP_REVISION={sha}"),
        format!("ARGOCD_APP_REVISION_SHORT={}", &sha[..7]),
        format!("ARGOCD_APP_REVISION_SHORT_8={}", &sha[..8]),
        "ARGOCD_APP_SOURCE_PATH=apps/env".into(),
        "ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/org/repo.git".into(),
        "ARGOCD_APP_SOURCE_TARGET_REVISION=main".into(),
        "ARGOCD_ENV_GREETING=hello team-a_envdump in prod".into(),
        "ARGOCD_ENV_PRICE=$5 and .".into(),
        "ARGOCD_ENV_lower_case=kube=1.29.3".into(),
        "HOME=/home/argocd".into(),
        "KUBE_API_VERSIONS=apps/v1,v1,v1/ConfigMap".into(),
        "KUBE_VERSION=1.29.3".into(),
        "PARAM_CLUSTERS_0=member1".into(),
        "PARAM_CLUSTERS_1=member2".into(),
        "PARAM_HTML=<a&b>".into(),
        "PARAM_IMAGE_TAG=v1.2.3".into(),
        "PARAM_REPLICAS_PER_CLUSTER_EAST_2=3".into(),
        "PARAM_REPLICAS_PER_CLUSTER_MEMBER1=2".into(),
    ];
    expected.sort();
    let expected = expected.join("\n") + "\n";
    assert_eq!(data["env"].as_str().unwrap(), expected);
    assert!(!stdout(&out).contains("topsecret"));
    // Modes reset to 0644, in-repo symlink kept, init ran first in the app directory.
    assert_eq!(data["tool-mode"], "644");
    assert_eq!(data["symlink"], "#!/bin/sh");
    assert_eq!(data["init"], "init-ran");
}

/// What the plugin sees with the default `--kube-version` and `--api-versions`, by variable.
fn default_env() -> Vec<(String, String)> {
    let (repo, _) = checkout();
    let out = cmp_run(
        &plugin("env-printer.yaml"),
        &app("env.yaml"),
        &["--revision", "0123456789abcdef"],
        &repo.path().display().to_string(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let env = docs(&stdout(&out))[0]["data"]["env"]
        .as_str()
        .unwrap()
        .to_string();
    env.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn default_api_versions() -> Vec<String> {
    let env = default_env();
    let (_, apis) = env
        .iter()
        .find(|(k, _)| k == "KUBE_API_VERSIONS")
        .expect("KUBE_API_VERSIONS");
    apis.split(',').map(str::to_string).collect()
}

#[test]
fn default_env_lists_karmada_apis_and_revision_flag_wins() {
    let env = default_env();
    let line = |k: &str| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} missing in\n{env:?}"))
    };
    assert_eq!(line("KUBE_VERSION"), "1.31.0");
    assert_eq!(line("ARGOCD_APP_REVISION_SHORT"), "0123456");
    let apis = default_api_versions();
    let mut sorted = apis.clone();
    sorted.sort();
    assert_eq!(apis, sorted);
    for want in [
        "v1",
        "v1/ConfigMap",
        "apps/v1/Deployment",
        "policy.karmada.io/v1alpha1",
        "policy.karmada.io/v1alpha1/PropagationPolicy",
        "work.karmada.io/v1alpha2/ResourceBinding",
    ] {
        assert!(apis.iter().any(|a| a == want), "{want} not in {apis:?}");
    }
}

/// Every served version and kind of Karmada's CRDs in the reference data.
#[test]
#[cfg_attr(
    not(has_reference),
    ignore = "needs ../shared/reference: set ARGOCD_KARMADA_SHARED"
)]
fn default_api_versions_cover_every_karmada_crd() {
    let apis = default_api_versions();
    let crds = common::reference_dir("default_env_lists_karmada_apis").join("karmada/crds/bases");
    let mut checked = 0;
    for group_dir in std::fs::read_dir(&crds).unwrap() {
        for f in std::fs::read_dir(group_dir.unwrap().path()).unwrap() {
            let crd: Value = serde_saphyr::from_str(&common::read(&f.unwrap().path())).unwrap();
            let spec = &crd["spec"];
            for v in spec["versions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| v["served"] == true)
            {
                let gv = format!(
                    "{}/{}",
                    spec["group"].as_str().unwrap(),
                    v["name"].as_str().unwrap()
                );
                let gvk = format!("{gv}/{}", spec["names"]["kind"].as_str().unwrap());
                assert!(
                    apis.contains(&gv) && apis.contains(&gvk),
                    "{gvk} not in KUBE_API_VERSIONS"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 19, "only {checked} CRD versions found");
}

#[test]
fn argocd_source_files_and_preserve_file_mode() {
    let (repo, _) = checkout();
    let app_dir = repo.path().join("apps/env");
    // JSON merge patches over spec.source: the env list is replaced, path stays.
    std::fs::write(
        app_dir.join(".argocd-source.yaml"),
        "path: elsewhere\nplugin:\n  env:\n    - {name: FROM_FILE, value: $ARGOCD_APP_SOURCE_PATH}\n",
    )
    .unwrap();
    std::fs::write(
        app_dir.join(".argocd-source-web.yaml"),
        "plugin:\n  parameters:\n    - {name: p, string: from-app-file}\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let plugin = tmp.path().join("p.yaml");
    std::fs::write(
        &plugin,
        "kind: ConfigManagementPlugin\nmetadata: {name: p}\nspec:\n  preserveFileMode: true\n  generate:\n    command: [sh, -c]\n    args: ['printf \"kind: ConfigMap\\ndata: {mode: \\\"%s\\\", env: \\\"%s\\\", param: \\\"%s\\\", greeting: \\\"%s\\\"}\\n\" \"$(stat -c %a tool.sh)\" \"$ARGOCD_ENV_FROM_FILE\" \"$PARAM_P\" \"$ARGOCD_ENV_GREETING\"']\n",
    )
    .unwrap();
    let app = write_app(tmp.path(), "p", "apps/env");
    let out = cmp_run(
        &plugin.display().to_string(),
        &app,
        &[],
        &repo.path().display().to_string(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let data = &docs(&stdout(&out))[0]["data"];
    assert_eq!(
        data,
        &serde_json::json!({"mode": "755", "env": "apps/env", "param": "from-app-file", "greeting": ""})
    );
}
