//! Which policies select a template: `util.ResourceSelectorPriority` (`pkg/util/selector.go`), the
//! detector's choice of one PropagationPolicy (`pkg/detector/compare.go`,
//! `getHighestPriorityPropagationPolicy`), its event filter (`pkg/detector/detector.go`
//! `EventFilter`, `pkg/util/names/names.go` `IsReservedNamespace`) and the API groups it never
//! propagates (`pkg/util/apigroup.go` `NewSkippedResourceConfig`).

use serde_json::Value;

use super::selection::labels_match;
use crate::karmada::api::{PropagationPolicy, ResourceSelector};

/// How specifically a selector matches: the order Karmada ranks equal-priority policies by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImplicitPriority {
    MisMatch,
    MatchAll,
    MatchLabelSelector,
    MatchName,
}

fn text<'a>(obj: &'a Value, field: &str) -> &'a str {
    crate::yaml::pointer(obj, field)
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn labels_of(obj: &Value) -> std::collections::BTreeMap<String, String> {
    crate::yaml::pointer(obj, "/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of a template that selectors look at, read once.
struct Subject<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    obj: &'a Value,
    labels: std::cell::OnceCell<std::collections::BTreeMap<String, String>>,
}

impl<'a> Subject<'a> {
    fn new(obj: &'a Value) -> Subject<'a> {
        Subject {
            api_version: text(obj, "/apiVersion"),
            kind: text(obj, "/kind"),
            namespace: text(obj, "/metadata/namespace"),
            name: text(obj, "/metadata/name"),
            obj,
            labels: std::cell::OnceCell::new(),
        }
    }

    fn priority(&self, rs: &ResourceSelector) -> ImplicitPriority {
        if self.api_version != rs.api_version
            || self.kind != rs.kind
            || (!rs.namespace.is_empty() && self.namespace != rs.namespace)
        {
            return ImplicitPriority::MisMatch;
        }
        if !rs.name.is_empty() {
            return if rs.name == self.name {
                ImplicitPriority::MatchName
            } else {
                ImplicitPriority::MisMatch
            };
        }
        match &rs.label_selector {
            None => ImplicitPriority::MatchAll,
            Some(s) if labels_match(s, self.labels.get_or_init(|| labels_of(self.obj))) => {
                ImplicitPriority::MatchLabelSelector
            }
            Some(_) => ImplicitPriority::MisMatch,
        }
    }
}

/// `ResourceSelectorPriority`.
pub fn selector_priority(obj: &Value, rs: &ResourceSelector) -> ImplicitPriority {
    Subject::new(obj).priority(rs)
}

/// Why Karmada's detector never looks at this template, if it does not.
pub fn skipped(obj: &Value) -> Option<String> {
    let ns = text(obj, "/metadata/namespace");
    if ns == "karmada-system" || ns == "karmada-cluster" || ns.starts_with("karmada-es-") {
        return Some(format!("namespace {ns} is reserved for Karmada"));
    }
    if ns.starts_with("kube-") {
        return Some(format!(
            "namespace {ns} is skipped (--skipped-propagating-namespaces=kube-.*)"
        ));
    }
    let api_version = text(obj, "/apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let skipped_groups = [
        "cluster.karmada.io",
        "policy.karmada.io",
        "work.karmada.io",
        "config.karmada.io",
        "networking.karmada.io",
        "autoscaling.karmada.io",
        "remedy.karmada.io",
        "apps.karmada.io",
        "events.k8s.io",
    ];
    let kind = text(obj, "/kind");
    if skipped_groups.contains(&group)
        || (api_version == "v1" && kind == "Event")
        || group == "coordination.k8s.io" && api_version.ends_with("/v1")
    {
        return Some(format!(
            "Karmada never propagates {api_version} {kind} (it stays on the control plane)"
        ));
    }
    None
}

/// The selectors of a list of policies, indexed by name: selecting by name is the common case (our
/// own policies list every object), and a stream can hold hundreds of policies, so a template
/// looks only at the policies that name it or select without a name.
#[derive(Debug, Default)]
pub struct PolicyIndex {
    /// `apiVersion kind namespace name` of name selectors (namespace empty: any namespace) ->
    /// the policies that have one.
    named: std::collections::HashMap<String, Vec<usize>>,
    /// Policies with selectors without a name, and those selectors.
    unnamed: Vec<(usize, Vec<ResourceSelector>)>,
    /// Policies without selectors.
    empty: Vec<usize>,
}

fn name_key(api_version: &str, kind: &str, namespace: &str, name: &str) -> String {
    format!("{api_version}\u{0}{kind}\u{0}{namespace}\u{0}{name}")
}

impl PolicyIndex {
    /// One entry per policy, in order: its resource selectors.
    pub fn new<'a>(policies: impl IntoIterator<Item = &'a [ResourceSelector]>) -> PolicyIndex {
        let mut index = PolicyIndex::default();
        for (i, selectors) in policies.into_iter().enumerate() {
            if selectors.is_empty() {
                index.empty.push(i);
            }
            let mut unnamed = Vec::new();
            for rs in selectors {
                if rs.name.is_empty() {
                    unnamed.push(rs.clone());
                } else {
                    let key = name_key(&rs.api_version, &rs.kind, &rs.namespace, &rs.name);
                    let ids = index.named.entry(key).or_default();
                    if ids.last() != Some(&i) {
                        ids.push(i);
                    }
                }
            }
            if !unnamed.is_empty() {
                index.unnamed.push((i, unnamed));
            }
        }
        index
    }

    /// `ResourceMatchSelectorsPriority` of every policy that selects `obj` (the best of each
    /// policy's selectors), by position. Policies without selectors are not included.
    pub fn matching(&self, obj: &Value) -> std::collections::BTreeMap<usize, ImplicitPriority> {
        let s = Subject::new(obj);
        let mut out = std::collections::BTreeMap::new();
        if !self.named.is_empty() {
            for ns in [s.namespace, ""] {
                let key = name_key(s.api_version, s.kind, ns, s.name);
                for id in self.named.get(&key).into_iter().flatten() {
                    out.insert(*id, ImplicitPriority::MatchName);
                }
            }
        }
        for (id, selectors) in &self.unnamed {
            if out.contains_key(id) {
                continue; // a name match is the best there is
            }
            let best = selectors.iter().map(|rs| s.priority(rs)).max();
            if let Some(p) = best.filter(|p| *p != ImplicitPriority::MisMatch) {
                out.insert(*id, p);
            }
        }
        out
    }

    /// Policies without selectors, by position.
    pub fn empty(&self) -> &[usize] {
        &self.empty
    }
}

/// `getHighestPriorityPropagationPolicy`: highest explicit priority, then the most specific
/// selector, then the smallest name. `candidates` are the policies that select the template.
pub fn highest<'a>(
    candidates: impl IntoIterator<Item = (&'a PropagationPolicy, ImplicitPriority)>,
) -> Option<&'a PropagationPolicy> {
    let mut best: Option<(&PropagationPolicy, i32, ImplicitPriority)> = None;
    for (p, implicit) in candidates {
        let explicit = p.spec.priority.unwrap_or(0);
        let better = match &best {
            None => true,
            Some((b, be, bi)) => {
                explicit > *be
                    || (explicit == *be
                        && (implicit > *bi
                            || (implicit == *bi && p.metadata.name < b.metadata.name)))
            }
        };
        if better {
            best = Some((p, explicit, implicit));
        }
    }
    best.map(|(p, _, _)| p)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_index_ranks_like_each_selector_alone() {
        let sel = |v: Value| -> ResourceSelector { serde_json::from_value(v).unwrap() };
        let selectors = [
            sel(json!({"apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": "x"})),
            sel(json!({"apiVersion": "v1", "kind": "Pod", "name": "y"})),
            sel(
                json!({"apiVersion": "v1", "kind": "Pod", "labelSelector": {"matchLabels": {"k": "v"}}}),
            ),
            sel(json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "a"})),
        ];
        // Each selector as its own policy, and all of them as one.
        let singles = PolicyIndex::new(selectors.iter().map(std::slice::from_ref));
        let together = PolicyIndex::new([&selectors[..]]);
        for (ns, name, labels, kind, av) in [
            ("a", "x", json!({}), "Pod", "v1"),
            ("b", "x", json!({}), "Pod", "v1"),
            ("b", "y", json!({}), "Pod", "v1"),
            ("b", "z", json!({"k": "v"}), "Pod", "v1"),
            ("a", "d", json!({}), "Deployment", "apps/v1"),
            ("b", "d", json!({}), "Deployment", "apps/v1"),
        ] {
            let obj = json!({"apiVersion": av, "kind": kind,
                "metadata": {"namespace": ns, "name": name, "labels": labels}});
            let one_by_one = selectors
                .iter()
                .map(|rs| selector_priority(&obj, rs))
                .max()
                .unwrap();
            let matching = singles.matching(&obj);
            for (i, rs) in selectors.iter().enumerate() {
                let alone = selector_priority(&obj, rs);
                let indexed = matching.get(&i).copied();
                assert_eq!(
                    indexed.unwrap_or(ImplicitPriority::MisMatch),
                    alone,
                    "{obj} #{i}"
                );
            }
            let whole = together.matching(&obj).get(&0).copied();
            assert_eq!(
                whole.unwrap_or(ImplicitPriority::MisMatch),
                one_by_one,
                "{obj}"
            );
        }
    }
}
