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
    obj.pointer(field).and_then(Value::as_str).unwrap_or("")
}

fn labels_of(obj: &Value) -> std::collections::BTreeMap<String, String> {
    obj.pointer("/metadata/labels")
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

/// `ResourceMatchSelectorsPriority`: the best of a policy's selectors.
pub fn selectors_priority(obj: &Value, selectors: &[ResourceSelector]) -> ImplicitPriority {
    let subject = Subject::new(obj);
    let mut best = ImplicitPriority::MisMatch;
    for rs in selectors {
        best = best.max(subject.priority(rs));
        if best == ImplicitPriority::MatchName {
            break;
        }
    }
    best
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

/// `getHighestPriorityPropagationPolicy`: highest explicit priority, then the most specific
/// selector, then the smallest name.
pub fn highest<'a>(
    obj: &Value,
    policies: &[&'a PropagationPolicy],
) -> Option<&'a PropagationPolicy> {
    let mut best: Option<(&PropagationPolicy, i32, ImplicitPriority)> = None;
    for p in policies {
        let implicit = selectors_priority(obj, &p.spec.resource_selectors);
        if implicit == ImplicitPriority::MisMatch {
            continue;
        }
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
