//! Generates the health library's self-contained scripts and the `argocd-cm` patch.
//!
//! Sources live in `health-lua/`, laid out like Argo CD's `resource_customizations/`: each check
//! is `<group>/<Kind>/health.lua` plus `health_test.yaml` and `testdata/`; shared modules
//! are `_lib/<path>.lua`. Argo CD's Lua VM cannot load our modules, so `gen` inlines them:
//!
//! - a module file returns one table and never uses `...`;
//! - it is loaded only by a line of the exact form `local NAME = require("PATH")` (PATH =
//!   `[a-z0-9_/-]+`, resolved to `_lib/PATH.lua`); any other use of `require` is an error;
//! - every module a script needs (transitively) is emitted once, dependencies first, as
//!   `local __lib_PATH = (function() <module> end)()`, and each `require` line becomes
//!   `local NAME = __lib_PATH`. Modules that are not needed are left out.
//!
//! The self-contained scripts exist only in `argocd-cm-patch.yaml`, which is what ships; the
//! suites run against it (`health test --argocd-cm argocd-cm-patch.yaml health-lua`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::artifacts::{Artifact, Target};

/// The library's directory, relative to the repository root.
pub const LIBRARY_DIR: &str = "health-lua";
/// The shared modules' directory inside the library.
pub const MODULES_DIR: &str = "_lib";
/// The generated patch, relative to the repository root.
pub const CM_PATCH: &str = "argocd-cm-patch.yaml";

/// Every check of the library as `(group, Kind)`; each has `health-lua/<group>/<Kind>/`.
/// (A test proves this list matches the directories on disk.)
pub const CHECKS: &[(&str, &str)] = &[
    ("apps.karmada.io", "WorkloadRebalancer"),
    ("autoscaling.karmada.io", "CronFederatedHPA"),
    ("autoscaling.karmada.io", "FederatedHPA"),
    ("cluster.karmada.io", "Cluster"),
    ("networking.karmada.io", "MultiClusterIngress"),
    ("networking.karmada.io", "MultiClusterService"),
    ("policy.karmada.io", "FederatedResourceQuota"),
    ("work.karmada.io", "ClusterResourceBinding"),
    ("work.karmada.io", "ResourceBinding"),
    ("work.karmada.io", "Work"),
];

/// `ignoreDifferences` entries for fields Karmada's webhooks write into objects users keep in
/// git. Only fields a user cannot meaningfully set are ignored, so nothing real is hidden.
const IGNORE_DIFFERENCES: &[(&str, &str, &[&str])] = &[
    (
        "networking.karmada.io",
        "MultiClusterService",
        &[r#".metadata.labels["multiclusterservice.karmada.io/permanent-id"]"#],
    ),
    (
        "policy.karmada.io",
        "ClusterPropagationPolicy",
        &[
            r#".metadata.labels["clusterpropagationpolicy.karmada.io/permanent-id"]"#,
            r#".metadata.finalizers[]? | select(. == "karmada.io/cluster-propagation-policy-controller")"#,
        ],
    ),
    (
        "policy.karmada.io",
        "OverridePolicy",
        &[".spec.resourceSelectors[]?.namespace"],
    ),
    (
        "policy.karmada.io",
        "PropagationPolicy",
        &[
            r#".metadata.labels["propagationpolicy.karmada.io/permanent-id"]"#,
            r#".metadata.finalizers[]? | select(. == "karmada.io/propagation-policy-controller")"#,
            ".spec.resourceSelectors[]?.namespace",
        ],
    ),
];

/// The Argo CD `argocd-cm` key of a customization type for a group/Kind (core: Kind alone).
pub fn cm_key(kind_of_customization: &str, group: &str, kind: &str) -> String {
    if group.is_empty() {
        format!("resource.customizations.{kind_of_customization}.{kind}")
    } else {
        format!("resource.customizations.{kind_of_customization}.{group}_{kind}")
    }
}

/// One generated check.
#[derive(Debug, Clone)]
pub struct Check {
    pub group: &'static str,
    pub kind: &'static str,
    /// The self-contained script, as Argo CD runs it.
    pub script: String,
}

/// All checks of the library at `root`, rendered, in `CHECKS` order.
pub fn checks(root: &Path) -> Result<Vec<Check>> {
    CHECKS
        .iter()
        .map(|&(group, kind)| {
            Ok(Check {
                group,
                kind,
                script: render_script(root, &format!("{group}/{kind}"))?,
            })
        })
        .collect()
}

/// The generated artifacts: every check's `health.lua` and the `argocd-cm` patch.
pub fn artifacts() -> Vec<Artifact> {
    vec![Artifact {
        path: CM_PATCH,
        target: Target::WholeFile,
        render: render_cm_patch,
    }]
}

/// Renders the self-contained script of the check in `health-lua/<dir>`.
pub fn render_script(root: &Path, dir: &str) -> Result<String> {
    let library = root.join(LIBRARY_DIR);
    let entry_path = format!("{LIBRARY_DIR}/{dir}/health.lua");
    let entry = std::fs::read_to_string(root.join(&entry_path))
        .with_context(|| format!("{entry_path}: cannot read"))?;
    let script = inline(&entry, &entry_path, &|module| {
        let path = library.join(MODULES_DIR).join(format!("{module}.lua"));
        std::fs::read_to_string(&path).with_context(|| {
            format!("{LIBRARY_DIR}/{MODULES_DIR}/{module}.lua: cannot read module")
        })
    })?;
    Ok(format!(
        "-- GENERATED by `argocd-karmada-plugin gen` from {entry_path} and the modules in \
         {LIBRARY_DIR}/{MODULES_DIR}/: do not edit.\n{script}"
    ))
}

/// A `require` line: `local NAME = require("PATH")`, split into (`local NAME = `, PATH).
fn parse_require(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_end();
    let start = trimmed.find("require(\"")?;
    let (head, rest) = trimmed.split_at(start);
    let path = rest.strip_prefix("require(\"")?.strip_suffix("\")")?;
    let mut words = head.split_whitespace();
    let ok_head = words.next() == Some("local")
        && words.next().is_some_and(is_identifier)
        && words.next() == Some("=")
        && words.next().is_none();
    let ok_path = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_/-".contains(&b))
        && !path.starts_with('/')
        && !path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    (ok_head && ok_path).then_some((head, path))
}

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `line` mentions `require` as a word (outside the allowed form it is an error).
fn mentions_require(line: &str) -> bool {
    line.match_indices("require").any(|(i, _)| {
        let before = line[..i].bytes().next_back();
        let after = line[i + "require".len()..].bytes().next();
        let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        !word(before) && !word(after)
    })
}

/// The Lua local that holds module `path`.
fn module_var(path: &str) -> String {
    let mut v = String::from("__lib_");
    v.extend(
        path.chars()
            .map(|c| if c == '/' || c == '-' { '_' } else { c }),
    );
    v
}

/// Rewrites the `require` lines of `source` (named `origin` in errors); returns the text and the
/// modules it requires, in order. With `strip`, comment-only and blank lines are dropped (module
/// documentation stays in the sources; the generated scripts stay small).
fn rewrite(source: &str, origin: &str, strip: bool) -> Result<(String, Vec<String>)> {
    if strip && source.contains("[[") {
        bail!("{origin}: long strings and block comments (`[[`) are not supported in modules");
    }
    let mut out = String::with_capacity(source.len());
    let mut deps = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if strip && (trimmed.is_empty() || trimmed.starts_with("--")) {
            continue;
        }
        if let Some((head, path)) = parse_require(line) {
            out.push_str(head);
            out.push_str(&module_var(path));
            deps.push(path.to_string());
        } else if mentions_require(line) {
            bail!(
                "{origin}:{}: `require` is only allowed as `local NAME = require(\"path\")` on its own line",
                n + 1
            );
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Ok((out, deps))
}

/// Inlines every module `entry` needs. `load` returns a module's source by path.
pub fn inline(entry: &str, origin: &str, load: &dyn Fn(&str) -> Result<String>) -> Result<String> {
    inline_from(entry, origin, &format!("{LIBRARY_DIR}/{MODULES_DIR}"), load)
}

/// [`inline`] for a library whose modules live in `modules_dir` (named in errors), e.g. the
/// interpreter customizations' `interpreter-lua/_lib`.
pub fn inline_from(
    entry: &str,
    origin: &str,
    modules_dir: &str,
    load: &dyn Fn(&str) -> Result<String>,
) -> Result<String> {
    let (body, deps) = rewrite(entry, origin, false)?;
    let mut done: BTreeMap<String, ()> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    for dep in &deps {
        visit(dep, modules_dir, load, &mut done, &mut order, &mut stack)?;
    }
    let mut out = String::new();
    for (path, text) in &order {
        out.push_str(&format!("local {} = (function()\n", module_var(path)));
        out.push_str(text);
        out.push_str("end)()\n");
    }
    out.push_str(&body);
    Ok(out)
}

fn visit(
    path: &str,
    modules_dir: &str,
    load: &dyn Fn(&str) -> Result<String>,
    done: &mut BTreeMap<String, ()>,
    order: &mut Vec<(String, String)>,
    stack: &mut Vec<String>,
) -> Result<()> {
    if done.contains_key(path) {
        return Ok(());
    }
    if stack.iter().any(|p| p == path) {
        bail!("module cycle: {} -> {path}", stack.join(" -> "));
    }
    let source = load(path)?;
    let origin = format!("{modules_dir}/{path}.lua");
    let (text, deps) = rewrite(&source, &origin, true)?;
    if text.contains("...") {
        bail!("{origin}: a module must not use `...` (it is inlined into a function)");
    }
    stack.push(path.to_string());
    for dep in &deps {
        visit(dep, modules_dir, load, done, order, stack)?;
    }
    stack.pop();
    done.insert(path.to_string(), ());
    order.push((path.to_string(), text));
    Ok(())
}

/// Renders `argocd-cm-patch.yaml`: one health key per check and the `ignoreDifferences` keys.
pub fn render_cm_patch(root: &Path) -> Result<String> {
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    for check in checks(root)? {
        data.insert(cm_key("health", check.group, check.kind), check.script);
    }
    for (group, kind, expressions) in IGNORE_DIFFERENCES {
        let mut value = String::from("jqPathExpressions:\n");
        for e in *expressions {
            value.push_str(&format!("- '{}'\n", e.replace('\'', "''")));
        }
        data.insert(cm_key("ignoreDifferences", group, kind), value);
    }
    Ok(render_argocd_cm(
        "# GENERATED by `argocd-karmada-plugin gen` from health-lua/: do not edit.\n\
         # Health checks for Karmada objects and diff settings for Karmada's webhook mutations.\n\
         # Apply: kubectl -n argocd patch configmap argocd-cm --patch-file argocd-cm-patch.yaml\n\
         # (or list it under `patches:` in the kustomization that installs Argo CD).\n",
        &data,
    ))
}

/// An `argocd-cm` patch: `header` (comment lines), then the ConfigMap with `data` in key order.
pub fn render_argocd_cm(header: &str, data: &BTreeMap<String, String>) -> String {
    let mut out = format!(
        "{header}apiVersion: v1\n\
         kind: ConfigMap\n\
         metadata:\n  name: argocd-cm\n  labels:\n    app.kubernetes.io/name: argocd-cm\n    \
         app.kubernetes.io/part-of: argocd\n\
         data:\n"
    );
    let keys: BTreeSet<&String> = data.keys().collect();
    for key in keys {
        out.push_str(&format!("  {key}: |\n"));
        crate::yaml::push_literal_block(&mut out, "    ", &data[key]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn loader(modules: &[(&str, &str)]) -> impl Fn(&str) -> Result<String> {
        let map: HashMap<String, String> = modules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |p: &str| {
            map.get(p)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("no module {p}"))
        }
    }

    #[test]
    fn inlines_each_needed_module_once_dependencies_first() {
        let load = loader(&[
            ("common", "-- doc\n\nlocal M = {}\n  -- more\nreturn M\n"),
            (
                "kinds/a-b",
                "local common = require(\"common\")\nlocal M = {}\nreturn M\n",
            ),
            ("unused", "return {}\n"),
        ]);
        let out = inline(
            "local ab = require(\"kinds/a-b\")\nlocal c = require(\"common\")\nreturn ab\n",
            "entry",
            &load,
        )
        .unwrap();
        assert_eq!(
            out,
            "local __lib_common = (function()\nlocal M = {}\nreturn M\nend)()\n\
             local __lib_kinds_a_b = (function()\nlocal common = __lib_common\nlocal M = {}\nreturn M\nend)()\n\
             local ab = __lib_kinds_a_b\nlocal c = __lib_common\nreturn ab\n"
        );
    }

    #[test]
    fn rejects_other_uses_of_require_and_cycles() {
        let load = loader(&[
            ("a", "local b = require(\"b\")\nreturn {}\n"),
            ("b", "local a = require(\"a\")\nreturn {}\n"),
            ("v", "local t = {...}\nreturn t\n"),
            ("s", "local t = [[x]]\nreturn t\n"),
        ]);
        for bad in [
            "local x = require('a')\n",
            "x = require(\"a\")\n",
            "local x = require(\"a\").y\n",
            "local x = require(\"../a\")\n",
            "return require(\"a\")\n",
        ] {
            let err = inline(bad, "entry.lua", &load).unwrap_err();
            assert!(format!("{err:#}").contains("entry.lua:1"), "{bad}: {err:#}");
        }
        let err = inline("local a = require(\"a\")\n", "e", &load).unwrap_err();
        assert!(
            format!("{err:#}").contains("module cycle: a -> b -> a"),
            "{err:#}"
        );
        let err = inline("local v = require(\"v\")\n", "e", &load).unwrap_err();
        assert!(format!("{err:#}").contains("must not use `...`"), "{err:#}");
        let err = inline("local s = require(\"s\")\n", "e", &load).unwrap_err();
        assert!(format!("{err:#}").contains("long strings"), "{err:#}");
        let err = inline("local m = require(\"missing\")\n", "e", &load).unwrap_err();
        assert!(format!("{err:#}").contains("no module missing"), "{err:#}");
        // A word that merely contains `require` is fine.
        assert!(inline("local required = true\n", "e", &load).is_ok());
    }

    #[test]
    fn keys_follow_argo_cd() {
        assert_eq!(
            cm_key("health", "work.karmada.io", "ResourceBinding"),
            "resource.customizations.health.work.karmada.io_ResourceBinding"
        );
        assert_eq!(
            cm_key("health", "", "Service"),
            "resource.customizations.health.Service"
        );
    }

    fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn check_list_matches_the_library() {
        let lib = root().join(LIBRARY_DIR);
        let mut found = Vec::new();
        for group in std::fs::read_dir(&lib).unwrap() {
            let group = group.unwrap();
            let name = group.file_name().into_string().unwrap();
            if name == MODULES_DIR || !group.path().is_dir() {
                continue;
            }
            for kind in std::fs::read_dir(group.path()).unwrap() {
                let kind = kind.unwrap();
                if kind.path().join("health.lua").is_file() {
                    found.push((name.clone(), kind.file_name().into_string().unwrap()));
                }
            }
        }
        found.sort();
        let listed: Vec<(String, String)> = CHECKS
            .iter()
            .map(|(g, k)| (g.to_string(), k.to_string()))
            .collect();
        assert_eq!(found, listed);
    }

    #[test]
    fn cm_patch_parses_back_to_the_scripts() {
        let text = render_cm_patch(&root()).unwrap();
        let cm = crate::yaml::parse_one(&text, CM_PATCH).unwrap();
        assert_eq!(cm["kind"], "ConfigMap");
        assert_eq!(cm["metadata"]["name"], "argocd-cm");
        let data = cm["data"].as_object().unwrap();
        for check in checks(&root()).unwrap() {
            let key = cm_key("health", check.group, check.kind);
            assert_eq!(data[&key].as_str().unwrap(), check.script, "{key}");
            assert!(!check.script.contains("require("), "{key}");
        }
        let ignore =
            data["resource.customizations.ignoreDifferences.policy.karmada.io_PropagationPolicy"]
                .as_str()
                .unwrap();
        let parsed = crate::yaml::parse_one(ignore, "ignoreDifferences").unwrap();
        assert_eq!(
            parsed["jqPathExpressions"][0],
            r#".metadata.labels["propagationpolicy.karmada.io/permanent-id"]"#
        );
        let keys: Vec<&String> = data.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "deterministic key order");
    }
}
