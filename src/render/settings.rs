//! The one settings table: plugin parameters, their environment variables, the `parameters`
//! announcements, `plugin/plugin.yaml` and the README's settings section all derive from it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::karmada::placement::{Affinity, Clusters, Placement, Replicas};
use crate::karmada::{Origin, Param, Params};

/// How Argo CD carries a parameter's value (`collectionType` of a ParameterAnnouncement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    String,
    Array,
    Map,
}

impl Collection {
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::String => "string",
            Collection::Array => "array",
            Collection::Map => "map",
        }
    }

    /// How the value is written in an environment variable.
    pub fn env_format(self) -> &'static str {
        match self {
            Collection::String => "the value",
            Collection::Array => "comma-separated: `a,b`",
            Collection::Map => "comma-separated `key=value`: `a=1,b=2`",
        }
    }
}

/// Which [`Params`] field a setting fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Clusters,
    ExcludeClusters,
    ReplicasMode,
    Weights,
}

/// One plugin setting.
#[derive(Debug)]
pub struct Setting {
    /// The Argo CD parameter name (`spec.source.plugin.parameters[].name`).
    pub name: &'static str,
    /// The environment variable: read as `ARGOCD_ENV_<env>` (Application `plugin.env`), then `<env>`
    /// (the sidecar's own environment).
    pub env: &'static str,
    pub title: &'static str,
    pub tooltip: &'static str,
    pub collection: Collection,
    pub field: Field,
    /// The `karmada.yaml` field the setting replaces (where its default comes from).
    pub placement_path: &'static [&'static str],
    /// Allowed string values (empty: any), checked for strings and map values alike.
    pub allowed: &'static [&'static str],
    /// Map values must be positive integers.
    pub integer_values: bool,
    /// What the user gets when the setting is not given.
    pub default: &'static str,
    /// Longer docs for the README.
    pub docs: &'static str,
}

/// Every setting, in announcement order.
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "clusters",
        env: "KARMADA_CLUSTERS",
        title: "Member clusters",
        tooltip: "Karmada member clusters that receive the app (replaces clusters.names in karmada.yaml)",
        collection: Collection::Array,
        field: Field::Clusters,
        placement_path: &["clusters", "names"],
        allowed: &[],
        integer_values: false,
        default: "`clusters.names` of `karmada.yaml`",
        docs: "Member clusters that receive the app, by name. Replaces `clusters.names`.",
    },
    Setting {
        name: "exclude-clusters",
        env: "KARMADA_EXCLUDE_CLUSTERS",
        title: "Excluded clusters",
        tooltip: "Member clusters that never receive the app (replaces clusters.exclude in karmada.yaml)",
        collection: Collection::Array,
        field: Field::ExcludeClusters,
        placement_path: &["clusters", "exclude"],
        allowed: &[],
        integer_values: false,
        default: "`clusters.exclude` of `karmada.yaml`",
        docs: "Member clusters that never receive the app, e.g. one under maintenance. Replaces \
               `clusters.exclude`.",
    },
    Setting {
        name: "replicas-mode",
        env: "KARMADA_REPLICAS_MODE",
        title: "Replica scheduling",
        tooltip: "Duplicated: every cluster runs all replicas; Divided: split by weight; AvailableReplicas: split by free capacity; Aggregated: as few clusters as possible",
        collection: Collection::String,
        field: Field::ReplicasMode,
        placement_path: &["replicas", "mode"],
        allowed: &["Duplicated", "Divided", "AvailableReplicas", "Aggregated"],
        integer_values: false,
        default: "`replicas.mode` of `karmada.yaml` (`Duplicated` when absent)",
        docs: "`Duplicated` (each cluster runs `spec.replicas`), `Divided` (the replicas are split between \
               clusters by `weights`), `AvailableReplicas` (split by each cluster's free capacity) or \
               `Aggregated` (packed into as few clusters as possible). Replaces `replicas.mode`.",
    },
    Setting {
        name: "weights",
        env: "KARMADA_WEIGHTS",
        title: "Replica weights",
        tooltip: "Static weight per cluster for Divided replicas, e.g. member1=2 (replaces replicas.weights in karmada.yaml)",
        collection: Collection::Map,
        field: Field::Weights,
        placement_path: &["replicas", "weights"],
        allowed: &[],
        integer_values: true,
        default: "`replicas.weights` of `karmada.yaml`",
        docs: "Static weight per cluster (`cluster: integer`) for `Divided` replicas. Replaces \
               `replicas.weights`.",
    },
];

/// The setting with this parameter name.
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// A setting's value, whatever its collection type.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    String(String),
    Array(Vec<String>),
    Map(BTreeMap<String, String>),
}

impl SettingValue {
    pub fn to_json(&self) -> Value {
        match self {
            SettingValue::String(s) => json!(s),
            SettingValue::Array(a) => json!(a),
            SettingValue::Map(m) => json!(m),
        }
    }
}

impl Setting {
    /// Parses the environment-variable form of the value.
    pub fn parse_env(&self, raw: &str) -> Result<SettingValue> {
        let items = || {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(match self.collection {
            Collection::String => SettingValue::String(raw.trim().to_string()),
            Collection::Array => SettingValue::Array(items().collect()),
            Collection::Map => {
                let mut map = BTreeMap::new();
                for item in items() {
                    let Some((k, v)) = item.split_once('=') else {
                        bail!("expected `key=value` items separated by commas, found \"{item}\"");
                    };
                    map.insert(k.trim().to_string(), v.trim().to_string());
                }
                SettingValue::Map(map)
            }
        })
    }

    /// Checks a value against the setting's rules (allowed strings, integer weights, no empty names).
    pub fn validate(&self, value: &SettingValue) -> Result<()> {
        let check_str = |s: &str| -> Result<()> {
            if !self.allowed.is_empty() && !self.allowed.contains(&s) {
                bail!(
                    "{}",
                    crate::diag::not_one_of(s, self.allowed.iter().copied())
                );
            }
            Ok(())
        };
        match value {
            SettingValue::String(s) => check_str(s)?,
            SettingValue::Array(items) => {
                for (i, s) in items.iter().enumerate() {
                    if s.trim().is_empty() {
                        bail!("item {i} is empty");
                    }
                    check_str(s)?;
                }
            }
            SettingValue::Map(map) => {
                for (k, v) in map {
                    if k.trim().is_empty() {
                        bail!("empty key");
                    }
                    if self.integer_values && !v.trim().parse::<u32>().is_ok_and(|n| n >= 1) {
                        bail!("{k}: \"{v}\" is not a positive integer");
                    }
                }
            }
        }
        Ok(())
    }

    /// Stores the value, with where it came from, in the matching [`Params`] field.
    pub fn store(&self, params: &mut Params, value: SettingValue, origin: Origin) {
        match (self.field, value) {
            (Field::Clusters, SettingValue::Array(a)) => {
                params.clusters = Some(Param::new(a, origin));
            }
            (Field::ExcludeClusters, SettingValue::Array(a)) => {
                params.exclude_clusters = Some(Param::new(a, origin));
            }
            (Field::ReplicasMode, SettingValue::String(s)) => {
                params.replicas_mode = Some(Param::new(s, origin));
            }
            (Field::Weights, SettingValue::Map(m)) => params.weights = Some(Param::new(m, origin)),
            // Values are built from `self.collection`, so the shapes always agree.
            _ => {}
        }
    }

    /// The value held in the matching [`Params`] field, if set.
    pub fn get(&self, params: &Params) -> Option<SettingValue> {
        match self.field {
            Field::Clusters => params
                .clusters
                .clone()
                .map(|p| SettingValue::Array(p.value)),
            Field::ExcludeClusters => params
                .exclude_clusters
                .clone()
                .map(|p| SettingValue::Array(p.value)),
            Field::ReplicasMode => params
                .replicas_mode
                .clone()
                .map(|p| SettingValue::String(p.value)),
            Field::Weights => params.weights.clone().map(|p| SettingValue::Map(p.value)),
        }
    }

    /// The setting's effective value in a loaded placement (parameters already applied).
    pub fn from_placement(&self, p: &Placement) -> Option<SettingValue> {
        let affinities: Vec<&Affinity> = match &p.clusters {
            Clusters::One(a) => vec![a],
            Clusters::Groups(groups) => groups.iter().map(|g| &g.affinity).collect(),
        };
        let union = |pick: fn(&Affinity) -> &Vec<String>| {
            let mut out: Vec<String> = Vec::new();
            for a in &affinities {
                for n in pick(a) {
                    if !out.contains(n) {
                        out.push(n.clone());
                    }
                }
            }
            out
        };
        Some(match self.field {
            Field::Clusters => SettingValue::Array(union(|a| &a.names)),
            Field::ExcludeClusters => SettingValue::Array(union(|a| &a.exclude)),
            Field::ReplicasMode => SettingValue::String(
                match p.replicas {
                    Replicas::Duplicated => "Duplicated",
                    Replicas::Weighted(_) => "Divided",
                    Replicas::Dynamic => "AvailableReplicas",
                    Replicas::Aggregated => "Aggregated",
                }
                .to_string(),
            ),
            Field::Weights => SettingValue::Map(match &p.replicas {
                Replicas::Weighted(list) => list
                    .iter()
                    .map(|(c, w)| (c.clone(), w.to_string()))
                    .collect(),
                _ => BTreeMap::new(),
            }),
        })
    }

    /// The documented default when neither a parameter nor `karmada.yaml` gives a value.
    fn empty_value(&self) -> SettingValue {
        match self.collection {
            Collection::String => SettingValue::String(match self.field {
                Field::ReplicasMode => "Duplicated".to_string(),
                _ => String::new(),
            }),
            Collection::Array => SettingValue::Array(Vec::new()),
            Collection::Map => SettingValue::Map(BTreeMap::new()),
        }
    }
}

/// The ParameterAnnouncements (`parameters` command) with effective values: what the loaded
/// placement (parameters applied) says, or the parameter as given when there is no placement.
pub fn announcements(params: &Params, placement: Option<&Placement>) -> Value {
    let items: Vec<Value> = SETTINGS
        .iter()
        .map(|s| {
            let value = placement
                .and_then(|p| s.from_placement(p))
                .or_else(|| s.get(params))
                .unwrap_or_else(|| s.empty_value());
            let mut a = json!({
                "name": s.name,
                "title": s.title,
                "tooltip": s.tooltip,
                "required": false,
                "itemType": "string",
                "collectionType": s.collection.as_str(),
            });
            a[s.collection.as_str()] = value.to_json();
            a
        })
        .collect();
    Value::Array(items)
}

/// The README `settings` region.
pub fn readme_region(_root: &std::path::Path) -> Result<String> {
    let mut out = String::new();
    out.push_str(
        "Precedence: Argo CD parameter (`spec.source.plugin.parameters`, i.e. `ARGOCD_APP_PARAMETERS` or \
         `PARAM_*`) > `ARGOCD_ENV_<VAR>` (`spec.source.plugin.env`) > `<VAR>` (the sidecar's environment) > \
         `karmada.yaml`.\n\n",
    );
    out.push_str("| parameter | type | env var | default | what it does |\n");
    out.push_str("|---|---|---|---|---|\n");
    for s in SETTINGS {
        out.push_str(&format!(
            "| `{}` | {} | `ARGOCD_ENV_{}`, `{}` ({}) | {} | {} |\n",
            s.name,
            s.collection.as_str(),
            s.env,
            s.env,
            s.collection.env_format(),
            s.default,
            s.docs,
        ));
    }
    Ok(out)
}

/// `plugin/plugin.yaml`: the ConfigManagementPlugin for Argo CD's cmp-server, versioned with the
/// crate so the socket name (`<name>-<version>.sock`) always matches the binary.
pub fn plugin_yaml(_root: &std::path::Path) -> Result<String> {
    let doc = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": PLUGIN_NAME},
        "spec": {
            "version": format!("v{}", env!("CARGO_PKG_VERSION")),
            "generate": {"command": [PLUGIN_NAME, "generate"]},
            // Narrow on purpose: only apps that carry our placement file, never ordinary apps.
            "discover": {"fileName": "karmada.yaml"},
            "parameters": {"dynamic": {"command": [PLUGIN_NAME, "parameters"]}},
        },
    });
    Ok(format!(
        "# GENERATED by `cargo run -- gen` from src/render/settings.rs; do not edit.\n{}",
        crate::yaml::to_string(&doc)?
    ))
}

/// The plugin's name in Argo CD (`spec.source.plugin.name`, with `-<version>`).
pub const PLUGIN_NAME: &str = "argocd-karmada-plugin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_env_vars_are_unique_and_escaped_like_argo() {
        let mut names: Vec<_> = SETTINGS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len());
        for s in SETTINGS {
            assert!(s.env.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        }
    }

    #[test]
    fn parses_env_forms() {
        let weights = find("weights").unwrap();
        assert_eq!(
            weights.parse_env(" member1=2, member2 = 1,").unwrap(),
            SettingValue::Map(BTreeMap::from([
                ("member1".into(), "2".into()),
                ("member2".into(), "1".into())
            ]))
        );
        assert!(weights.parse_env("member1").is_err());
        let clusters = find("clusters").unwrap();
        assert_eq!(
            clusters.parse_env("a, b,,").unwrap(),
            SettingValue::Array(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn validates_values() {
        let mode = find("replicas-mode").unwrap();
        let err = mode
            .validate(&SettingValue::String("Divded".into()))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"Divded\" is not one of \"Duplicated\", \"Divided\", \"AvailableReplicas\", \"Aggregated\" (did you mean \"Divided\"?)"
        );
        let weights = find("weights").unwrap();
        assert!(
            weights
                .validate(&SettingValue::Map(BTreeMap::from([(
                    "m".into(),
                    "0".into()
                )])))
                .is_err()
        );
    }

    #[test]
    fn announcements_show_the_effective_placement() {
        let doc = json!({
            "apiVersion": "argocd-karmada-plugin/v1alpha1",
            "kind": "Placement",
            "clusters": {"names": ["a", "b"]},
            "replicas": {"mode": "Divided", "weights": {"a": 2, "b": 1}},
        });
        let mut p = Placement::parse(&doc, "k.yaml").unwrap();
        let params = Params {
            exclude_clusters: Some(Param::new(vec!["b".into()], Origin::AppParameters)),
            ..Params::default()
        };
        p.apply_params(&params).unwrap();
        let a = announcements(&params, Some(&p));
        assert_eq!(a[0]["array"], json!(["a", "b"]));
        assert_eq!(a[1]["array"], json!(["b"]));
        assert_eq!(a[2]["string"], json!("Divided"));
        assert_eq!(a[3]["map"], json!({"a": "2", "b": "1"}));
        assert_eq!(a[3]["collectionType"], json!("map"));
        let a = announcements(&params, None);
        assert_eq!(a[0]["array"], json!([]));
        assert_eq!(a[1]["array"], json!(["b"]));
        assert_eq!(a[2]["string"], json!("Duplicated"));
    }
}
