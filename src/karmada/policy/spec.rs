//! The Karmada policy objects, in the form Karmada stores them.

use std::collections::BTreeMap;

use super::{Item, MANAGED_BY, MANAGER, SYNC_WAVE};
use crate::karmada::api::{
    self, ActivationPreference, ApplicationFailoverBehavior, ClusterAffinity, ClusterAffinityTerm,
    ClusterFailoverBehavior, ClusterPreferences, DecisionConditions, FailoverBehavior,
    FieldSelector, LabelSelectorRequirement, NodeSelectorOperator, NodeSelectorRequirement, Object,
    ObjectMeta, OverrideSpec, POLICY_API_VERSION, PreemptionBehavior, PriorityClassSource,
    PropagationSpec, ReplicaDivisionPreference, ReplicaSchedulingStrategy, ReplicaSchedulingType,
    ResourceSelector, RuleWithCluster, SchedulePriority, SpreadConstraint, SpreadFieldValue,
    StatePreservation, StatePreservationRule, StaticClusterWeight, SuspendClusters,
};
use crate::karmada::naming;
use crate::karmada::placement::{
    Affinity, ApplicationFailover, ClusterFailover, Clusters, ConflictResolution, Failover,
    LabelOperator, LabelSelector, Placement, Preemption, PurgeMode, Replicas, Spread, SpreadBy,
    SpreadField, StateRule, Suspension, Toleration,
};

fn metadata(name: &str, namespace: Option<&str>, wave: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        namespace: namespace.unwrap_or_default().to_string(),
        labels: BTreeMap::from([(MANAGED_BY.to_string(), MANAGER.to_string())]),
        annotations: BTreeMap::from([(SYNC_WAVE.to_string(), wave.to_string())]),
        ..ObjectMeta::default()
    }
}

fn selector(it: &Item) -> ResourceSelector {
    ResourceSelector {
        api_version: it.api_version.clone(),
        kind: it.kind.clone(),
        namespace: it.namespace.clone().unwrap_or_default(),
        name: it.name.clone(),
        label_selector: None,
    }
}

/// `clusterNames: [names...]`, the target of per-cluster rules and weights.
pub(crate) fn cluster_names(names: &[String]) -> ClusterAffinity {
    ClusterAffinity {
        cluster_names: names.to_vec(),
        ..ClusterAffinity::default()
    }
}

pub(super) fn propagation_policy(
    app: &str,
    namespace: Option<&str>,
    items: &[&Item],
    dependent_overrides: &[&str],
    p: &Placement,
    wave: &str,
) -> Object<PropagationSpec> {
    let kind = if namespace.is_some() {
        "PropagationPolicy"
    } else {
        "ClusterPropagationPolicy"
    };
    // Karmada forces propagateDeps on for ServiceImports; say so up front.
    let deps = p.propagate_deps.0 || items.iter().any(|it| it.kind == "ServiceImport");
    let spec = PropagationSpec {
        resource_selectors: items.iter().map(|it| selector(it)).collect(),
        propagate_deps: deps,
        placement: placement(p),
        priority: Some(p.priority),
        preemption: Some(match p.preemption {
            Preemption::Never => PreemptionBehavior::Never,
            Preemption::Always => PreemptionBehavior::Always,
        }),
        dependent_overrides: dependent_overrides.iter().map(|s| s.to_string()).collect(),
        scheduler_name: "default-scheduler".into(),
        failover: p.failover.as_ref().map(failover),
        conflict_resolution: Some(match p.conflict_resolution {
            ConflictResolution::Abort => api::ConflictResolution::Abort,
            ConflictResolution::Overwrite => api::ConflictResolution::Overwrite,
        }),
        activation_preference: p.lazy_activation.then_some(ActivationPreference::Lazy),
        suspension: p.suspension.as_ref().map(|s| match s {
            Suspension::All => api::Suspension {
                dispatching: Some(true),
                ..Default::default()
            },
            Suspension::Clusters(names) => api::Suspension {
                dispatching_on_clusters: Some(SuspendClusters {
                    cluster_names: names.clone(),
                }),
                ..Default::default()
            },
        }),
        preserve_resources_on_deletion: p.preserve_resources_on_deletion,
        schedule_priority: p
            .schedule_priority_class
            .as_ref()
            .map(|class| SchedulePriority {
                priority_class_source: PriorityClassSource::KubePriorityClass,
                priority_class_name: class.clone(),
            }),
        association: false,
    };
    Object {
        api_version: POLICY_API_VERSION.into(),
        kind: kind.into(),
        metadata: metadata(&naming::label(&[app]), namespace, wave),
        spec,
        status: None,
    }
}

fn affinity(a: &Affinity) -> ClusterAffinity {
    let fields = (!a.fields.is_empty()).then(|| FieldSelector {
        match_expressions: a
            .fields
            .iter()
            .map(|f| NodeSelectorRequirement {
                key: f.key.as_str().to_string(),
                operator: if f.not_in {
                    NodeSelectorOperator::NotIn
                } else {
                    NodeSelectorOperator::In
                },
                values: f.values.clone(),
            })
            .collect(),
    });
    ClusterAffinity {
        label_selector: a.selector.as_ref().map(label_selector),
        field_selector: fields,
        cluster_names: a.names.clone(),
        exclude_clusters: a.exclude.clone(),
    }
}

fn label_selector(s: &LabelSelector) -> api::LabelSelector {
    api::LabelSelector {
        match_labels: s.match_labels.clone(),
        match_expressions: s
            .match_expressions
            .iter()
            .map(|e| LabelSelectorRequirement {
                key: e.key.clone(),
                operator: match e.operator {
                    LabelOperator::In => api::LabelSelectorOperator::In,
                    LabelOperator::NotIn => api::LabelSelectorOperator::NotIn,
                    LabelOperator::Exists => api::LabelSelectorOperator::Exists,
                    LabelOperator::DoesNotExist => api::LabelSelectorOperator::DoesNotExist,
                },
                values: e.values.clone(),
            })
            .collect(),
    }
}

fn toleration(t: &Toleration) -> api::Toleration {
    // The placement parser only accepts Karmada's spellings.
    let operator = t.operator.and_then(|o| match o {
        "Exists" => Some(api::TolerationOperator::Exists),
        "Equal" => Some(api::TolerationOperator::Equal),
        _ => None,
    });
    let effect = t.effect.and_then(|e| match e {
        "NoSchedule" => Some(api::TaintEffect::NoSchedule),
        "PreferNoSchedule" => Some(api::TaintEffect::PreferNoSchedule),
        "NoExecute" => Some(api::TaintEffect::NoExecute),
        _ => None,
    });
    api::Toleration {
        key: t.key.clone().unwrap_or_default(),
        operator,
        value: t.value.clone().unwrap_or_default(),
        effect,
        toleration_seconds: t.toleration_seconds,
    }
}

fn placement(p: &Placement) -> api::Placement {
    let mut out = api::Placement::default();
    match &p.clusters {
        Clusters::One(a) => out.cluster_affinity = Some(affinity(a)),
        Clusters::Groups(groups) => {
            out.cluster_affinities = groups
                .iter()
                .map(|g| ClusterAffinityTerm {
                    affinity_name: g.name.clone(),
                    affinity: affinity(&g.affinity),
                    overflow_affinities: Vec::new(),
                })
                .collect();
        }
    }
    out.cluster_tolerations = p.tolerations.iter().map(toleration).collect();
    out.spread_constraints = p.spread.iter().map(spread).collect();
    out.replica_scheduling = Some(replicas(&p.replicas));
    out
}

fn spread(s: &Spread) -> SpreadConstraint {
    let (field, label) = match &s.by {
        SpreadBy::Field(f) => (
            Some(match f {
                SpreadField::Cluster => SpreadFieldValue::Cluster,
                SpreadField::Region => SpreadFieldValue::Region,
                SpreadField::Zone => SpreadFieldValue::Zone,
                SpreadField::Provider => SpreadFieldValue::Provider,
            }),
            String::new(),
        ),
        SpreadBy::Label(l) => (None, l.clone()),
    };
    SpreadConstraint {
        spread_by_field: field,
        spread_by_label: label,
        max_groups: s.max.unwrap_or(0),
        min_groups: s.min,
    }
}

fn replicas(r: &Replicas) -> ReplicaSchedulingStrategy {
    let divided = |preference, weights| ReplicaSchedulingStrategy {
        replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
        replica_division_preference: Some(preference),
        weight_preference: weights,
    };
    match r {
        Replicas::Duplicated => ReplicaSchedulingStrategy {
            replica_scheduling_type: Some(ReplicaSchedulingType::Duplicated),
            ..Default::default()
        },
        Replicas::Aggregated => divided(ReplicaDivisionPreference::Aggregated, None),
        Replicas::Dynamic => divided(
            ReplicaDivisionPreference::Weighted,
            Some(ClusterPreferences {
                dynamic_weight: Some(api::DynamicWeightFactor::AvailableReplicas),
                ..Default::default()
            }),
        ),
        Replicas::Weighted(weights) => divided(
            ReplicaDivisionPreference::Weighted,
            (!weights.is_empty()).then(|| ClusterPreferences {
                static_weight_list: weights
                    .iter()
                    .map(|(c, w)| StaticClusterWeight {
                        target_cluster: cluster_names(std::slice::from_ref(c)),
                        weight: *w,
                    })
                    .collect(),
                dynamic_weight: None,
            }),
        ),
    }
}

/// `int32` fields; the placement parser keeps values in range.
fn int32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn state(rules: &[StateRule]) -> Option<StatePreservation> {
    (!rules.is_empty()).then(|| StatePreservation {
        rules: rules
            .iter()
            .map(|r| StatePreservationRule {
                alias_label_name: r.alias_label_name.clone(),
                json_path: r.json_path.clone(),
            })
            .collect(),
    })
}

fn failover(f: &Failover) -> FailoverBehavior {
    let application = f.application.as_ref().map(
        |ApplicationFailover {
             toleration_seconds,
             purge,
             state_preservation,
         }| {
            let (mode, grace) = match purge {
                PurgeMode::Directly => (api::PurgeMode::Directly, None),
                PurgeMode::Never => (api::PurgeMode::Never, None),
                PurgeMode::Gracefully {
                    grace_period_seconds,
                } => (
                    api::PurgeMode::Gracefully,
                    Some(int32(*grace_period_seconds)),
                ),
            };
            ApplicationFailoverBehavior {
                decision_conditions: DecisionConditions {
                    toleration_seconds: Some(int32(*toleration_seconds)),
                },
                purge_mode: Some(mode),
                grace_period_seconds: grace,
                state_preservation: state(state_preservation),
            }
        },
    );
    let cluster = f.cluster.as_ref().map(
        |ClusterFailover {
             purge,
             state_preservation,
         }| ClusterFailoverBehavior {
            // Cluster failover has no grace period field.
            purge_mode: Some(match purge {
                PurgeMode::Directly => api::PurgeMode::Directly,
                _ => api::PurgeMode::Gracefully,
            }),
            state_preservation: state(state_preservation),
        },
    );
    FailoverBehavior {
        application,
        cluster,
    }
}

pub(super) fn override_policy(
    name: &str,
    members: &[&Item],
    rules: &[&RuleWithCluster],
    wave: &str,
) -> Object<OverrideSpec> {
    let it = members[0];
    let kind = if it.namespace.is_some() {
        "OverridePolicy"
    } else {
        "ClusterOverridePolicy"
    };
    Object {
        api_version: POLICY_API_VERSION.into(),
        kind: kind.into(),
        metadata: metadata(name, it.namespace.as_deref(), wave),
        spec: OverrideSpec {
            resource_selectors: members.iter().map(|m| selector(m)).collect(),
            override_rules: rules.iter().map(|r| (*r).clone()).collect(),
            target_cluster: None,
            // Karmada's webhook adds the (unused) legacy field; `{}` keeps Argo CD in sync.
            overriders: Default::default(),
        },
        status: None,
    }
}
