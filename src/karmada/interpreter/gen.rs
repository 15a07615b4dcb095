//! Generates `karmada-interpreter-customizations.yaml` from `interpreter-lua/`.
//!
//! Layout (same conventions as `health-lua/`): `<group>/<Kind>/status_reflection.lua` and
//! `status_aggregation.lua` per kind, shared modules in `_lib/`, inlined by the health library's
//! generator ([`crate::health::r#gen::inline_from`]). Only statusReflection and
//! statusAggregation are customized: a declarative customization replaces only the operations it
//! defines, so replica, retention, health and dependency interpretation stay Karmada's native ones.

use std::path::Path;

use anyhow::{Context, Result};

use crate::artifacts::{Artifact, Target};

/// The sources' directory, relative to the repository root.
pub const LIBRARY_DIR: &str = "interpreter-lua";
/// The shared modules' directory inside it.
pub const MODULES_DIR: &str = "_lib";
/// The generated file, relative to the repository root.
pub const OUTPUT: &str = "karmada-interpreter-customizations.yaml";
/// Opt-in Argo CD checks for template kinds whose built-in check cannot say Degraded: sources in
/// `interpreter-lua/argocd-checks/<group>/<Kind>/health.lua`.
pub const OPT_IN_DIR: &str = "argocd-checks";
/// Their generated `argocd-cm` patch.
pub const OPT_IN_PATCH: &str = "argocd-cm-patch-karmada-workloads.yaml";
/// The opt-in checks as `(group, Kind)`.
pub const OPT_IN_CHECKS: &[(&str, &str)] = &[("apps", "DaemonSet"), ("apps", "StatefulSet")];

/// A customization's target kind: `(group, version, Kind)`; sources in `interpreter-lua/<group>/<Kind>/`.
pub const KINDS: &[(&str, &str, &str)] = &[
    ("apps", "v1", "DaemonSet"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "StatefulSet"),
    ("batch", "v1", "Job"),
];

/// An operation we customize: its Lua function, its source file and its field in
/// `spec.customizations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ReflectStatus,
    AggregateStatus,
}

impl Operation {
    pub const ALL: [Operation; 2] = [Operation::ReflectStatus, Operation::AggregateStatus];

    /// The global function Karmada calls.
    pub fn function(self) -> &'static str {
        match self {
            Operation::ReflectStatus => "ReflectStatus",
            Operation::AggregateStatus => "AggregateStatus",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Operation::ReflectStatus => "status_reflection.lua",
            Operation::AggregateStatus => "status_aggregation.lua",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Operation::ReflectStatus => "statusReflection",
            Operation::AggregateStatus => "statusAggregation",
        }
    }
}

/// One rendered customization.
#[derive(Debug, Clone)]
pub struct Customization {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub reflection: String,
    pub aggregation: String,
}

impl Customization {
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    pub fn script(&self, op: Operation) -> &str {
        match op {
            Operation::ReflectStatus => &self.reflection,
            Operation::AggregateStatus => &self.aggregation,
        }
    }

    /// The object's name: `argocd-karmada-plugin-<group>-<version>-<kind>`.
    pub fn name(&self) -> String {
        format!(
            "argocd-karmada-plugin-{}-{}-{}",
            self.group.replace('.', "-"),
            self.version,
            self.kind.to_ascii_lowercase()
        )
    }
}

/// Every customization of the library at `root`, in `KINDS` order.
pub fn customizations(root: &Path) -> Result<Vec<Customization>> {
    KINDS
        .iter()
        .map(|&(group, version, kind)| {
            Ok(Customization {
                group,
                version,
                kind,
                reflection: render_script(root, group, kind, Operation::ReflectStatus)?,
                aggregation: render_script(root, group, kind, Operation::AggregateStatus)?,
            })
        })
        .collect()
}

/// The customization for an apiVersion and kind, if we ship one.
pub fn find<'a>(
    all: &'a [Customization],
    api_version: &str,
    kind: &str,
) -> Option<&'a Customization> {
    all.iter()
        .find(|c| c.kind == kind && c.api_version() == api_version)
}

/// The self-contained script of one operation.
pub fn render_script(root: &Path, group: &str, kind: &str, op: Operation) -> Result<String> {
    let path = format!("{LIBRARY_DIR}/{group}/{kind}/{}", op.file());
    inline_entry(root, &path, &format!("{LIBRARY_DIR}/{MODULES_DIR}"))
}

/// The script at `entry_path` with the modules it requires from `modules_dir` inlined (paths
/// relative to `root`).
fn inline_entry(root: &Path, entry_path: &str, modules_dir: &str) -> Result<String> {
    let entry = std::fs::read_to_string(root.join(entry_path))
        .with_context(|| format!("{entry_path}: cannot read"))?;
    let script = crate::health::r#gen::inline_from(&entry, entry_path, modules_dir, &|module| {
        std::fs::read_to_string(root.join(modules_dir).join(format!("{module}.lua")))
            .with_context(|| format!("{modules_dir}/{module}.lua: cannot read module"))
    })?;
    Ok(format!(
        "-- GENERATED by `argocd-karmada-plugin gen` from {entry_path} and the modules in \
         {modules_dir}/: do not edit.\n{script}"
    ))
}

pub fn artifacts() -> Vec<Artifact> {
    vec![
        Artifact {
            path: OUTPUT,
            target: Target::WholeFile,
            render: render_file,
        },
        Artifact {
            path: OPT_IN_PATCH,
            target: Target::WholeFile,
            render: render_opt_in_patch,
        },
        Artifact {
            path: "README.md",
            target: Target::Region("interpreter-scenarios"),
            render: render_scenario_table,
        },
    ]
}

/// The README's before/after table, from the scenario files' expectations (which the scenario
/// suite proves).
pub fn render_scenario_table(root: &Path) -> Result<String> {
    let dir = root.join(LIBRARY_DIR).join("scenarios");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{LIBRARY_DIR}/scenarios: cannot read"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    let cell = |h: &super::scenario::Health| {
        let msg = h.message.replace('|', "\\|");
        if msg.is_empty() {
            format!("**{}**", h.status)
        } else {
            format!("**{}** {msg}", h.status)
        }
    };
    let mut out = String::from(
        "| scenario (`interpreter-lua/scenarios/`) | Argo CD today (native aggregation) | with our customizations | with the opt-in check |\n|---|---|---|---|\n",
    );
    for f in files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let s = super::scenario::Scenario::parse(&std::fs::read_to_string(&f)?, &name)?;
        let opt_in = s.expect.ours_opt_in.as_ref().map(cell).unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {opt_in} |\n",
            s.name.replace('|', "\\|"),
            cell(&s.expect.today),
            cell(&s.expect.ours)
        ));
    }
    Ok(out)
}

/// The opt-in check for a template kind, as Argo CD runs it (its modules, from
/// `interpreter-lua/argocd-checks/_lib/`, inlined).
pub fn opt_in_script(root: &Path, group: &str, kind: &str) -> Result<String> {
    let path = format!("{LIBRARY_DIR}/{OPT_IN_DIR}/{group}/{kind}/health.lua");
    inline_entry(
        root,
        &path,
        &format!("{LIBRARY_DIR}/{OPT_IN_DIR}/{MODULES_DIR}"),
    )
}

/// Renders the opt-in `argocd-cm` patch.
pub fn render_opt_in_patch(root: &Path) -> Result<String> {
    let mut data = std::collections::BTreeMap::new();
    for (group, kind) in OPT_IN_CHECKS {
        data.insert(
            crate::health::r#gen::cm_key("health", group, kind),
            opt_in_script(root, group, kind)?,
        );
    }
    Ok(crate::health::r#gen::render_argocd_cm(
        "# GENERATED by `argocd-karmada-plugin gen` from interpreter-lua/argocd-checks/: do not edit.\n\
         # OPT-IN: these keys replace Argo CD's built-in health check for EVERY StatefulSet and\n\
         # DaemonSet in the Argo CD instance. Apply only when Argo CD manages Karmada templates that\n\
         # carry the status written by karmada-interpreter-customizations.yaml:\n\
         #   kubectl -n argocd patch configmap argocd-cm --patch-file argocd-cm-patch-karmada-workloads.yaml\n",
        &data,
    ))
}

/// Renders the installable YAML stream: one ResourceInterpreterCustomization per kind.
pub fn render_file(root: &Path) -> Result<String> {
    let mut out = String::from(
        "# GENERATED by `argocd-karmada-plugin gen` from interpreter-lua/: do not edit.\n\
         # Karmada resource interpreter customizations that make template status truthful.\n\
         # Install on the Karmada control plane:\n\
         #   kubectl --kubeconfig karmada-apiserver.config apply -f karmada-interpreter-customizations.yaml\n",
    );
    for c in customizations(root)? {
        out.push_str(
            "---\napiVersion: config.karmada.io/v1alpha1\nkind: ResourceInterpreterCustomization\n",
        );
        out.push_str(&format!("metadata:\n  name: {}\n", c.name()));
        out.push_str(&format!(
            "spec:\n  target:\n    apiVersion: {}\n    kind: {}\n  customizations:\n",
            c.api_version(),
            c.kind
        ));
        for op in Operation::ALL {
            out.push_str(&format!("    {}:\n      luaScript: |\n", op.field()));
            crate::yaml::push_literal_block(&mut out, "        ", c.script(op));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn kind_list_matches_the_sources() {
        let lib = root().join(LIBRARY_DIR);
        let mut found = Vec::new();
        for group in std::fs::read_dir(&lib).unwrap() {
            let group = group.unwrap();
            let name = group.file_name().into_string().unwrap();
            if name.starts_with('_')
                || name == "scenarios"
                || name == OPT_IN_DIR
                || !group.path().is_dir()
            {
                continue;
            }
            for kind in std::fs::read_dir(group.path()).unwrap() {
                let kind = kind.unwrap().file_name().into_string().unwrap();
                found.push((name.clone(), kind));
            }
        }
        found.sort();
        let mut listed: Vec<(String, String)> = KINDS
            .iter()
            .map(|(g, _, k)| (g.to_string(), k.to_string()))
            .collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    #[test]
    fn file_parses_back_to_the_scripts() {
        let text = render_file(&root()).unwrap();
        let docs = crate::yaml::parse_stream(&text, OUTPUT).unwrap();
        let all = customizations(&root()).unwrap();
        assert_eq!(docs.len(), all.len());
        for (doc, c) in docs.iter().zip(&all) {
            assert_eq!(doc["kind"], "ResourceInterpreterCustomization");
            assert_eq!(doc["spec"]["target"]["kind"], c.kind);
            let cz = &doc["spec"]["customizations"];
            assert_eq!(
                cz.as_object().unwrap().len(),
                2,
                "only the two status hooks"
            );
            assert_eq!(cz["statusReflection"]["luaScript"], c.reflection.as_str());
            assert_eq!(cz["statusAggregation"]["luaScript"], c.aggregation.as_str());
            assert!(!c.aggregation.contains("require("));
        }
    }
}
