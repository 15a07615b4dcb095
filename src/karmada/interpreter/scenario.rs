//! End-to-end scenarios as data: a template, its binding's target clusters and what each member
//! reports, and the health Argo CD shows for the template, today (Karmada's native
//! interpretation) and with our customizations.
//!
//! The chain, per Karmada's status pipeline (`pkg/controllers/status`): each member object goes
//! through ReflectStatus into an `AggregatedStatusItem` (sorted by cluster name), AggregateStatus
//! rewrites the template's status, kube-apiserver validates the update, and Argo CD judges the
//! template with its built-in check (or an opt-in Lua check).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use super::r#gen::{Customization, Operation, find};
use super::vm::{Call, InterpreterVm};
use super::{kube_status, native};
use crate::argo::health::HealthStatus;

/// One scenario file (`interpreter-lua/scenarios/*.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scenario {
    pub name: String,
    /// The resource template on karmada-apiserver, with its current status if any.
    pub template: Value,
    /// The binding's target clusters. A target without a `members` entry has no item yet.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Many identical healthy targets `<prefix>-001`..., each running `object`.
    #[serde(default)]
    pub fleet: Option<Fleet>,
    /// What Karmada reports for each cluster.
    #[serde(default)]
    pub members: BTreeMap<String, Member>,
    /// Items added as written (malformed data, eviction leftovers).
    #[serde(default)]
    pub raw_items: Vec<Value>,
    /// The binding has no status yet: AggregateStatus gets a nil item list.
    #[serde(default)]
    pub nil_items: bool,
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    pub count: usize,
    pub prefix: String,
    pub object: Value,
}

/// One cluster's report: exactly one of the fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Member {
    /// The live member object (Karmada reflects its status).
    pub object: Option<Value>,
    /// The Work failed to apply: Karmada's item has no `applied` key, `health: Unknown` and this.
    pub applied_message: Option<String>,
    /// Applied, status not collected yet (`applied: true`, `health: Unknown`, no status).
    #[serde(default)]
    pub pending: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expect {
    /// Argo CD's health of the template with Karmada's native interpretation.
    pub today: Health,
    /// With our customizations and Argo CD's built-in check.
    pub ours: Health,
    /// With our customizations and our opt-in argocd-cm check for the kind.
    #[serde(default)]
    pub ours_opt_in: Option<Health>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    pub status: String,
    #[serde(default)]
    pub message: String,
}

impl From<HealthStatus> for Health {
    fn from(h: HealthStatus) -> Health {
        Health {
            status: h.status,
            message: h.message,
        }
    }
}

/// What the chain produced.
#[derive(Debug)]
pub struct Outcome {
    pub today: Health,
    pub ours: Health,
    pub ours_opt_in: Option<Health>,
    /// The template after our aggregation.
    pub template: Value,
    /// kube-apiserver rules our status breaks (must be empty).
    pub violations: Vec<String>,
    /// The items AggregateStatus received (with our reflection).
    pub items: Value,
}

/// An opt-in Argo CD health check (Lua, as Argo CD runs it) for the template's kind, if any.
pub type OptInCheck<'a> = &'a dyn Fn(&Value) -> Option<Result<HealthStatus>>;

impl Scenario {
    pub fn parse(text: &str, origin: &str) -> Result<Scenario> {
        let v = crate::yaml::parse_one(text, origin)?;
        serde_json::from_value(v).with_context(|| format!("{origin}: not a scenario"))
    }

    /// Every target, sorted (Karmada sorts the items by cluster name).
    fn clusters(&self) -> Vec<(String, Option<&Member>)> {
        let mut names: BTreeSet<String> = self.targets.iter().cloned().collect();
        if let Some(f) = &self.fleet {
            names.extend((1..=f.count).map(|i| format!("{}-{i:03}", f.prefix)));
        }
        names.extend(self.members.keys().cloned());
        names
            .into_iter()
            .map(|n| {
                let m = self.members.get(&n);
                (n, m)
            })
            .collect()
    }

    /// The member object a cluster runs (explicit, else the fleet's).
    fn object<'a>(&'a self, member: Option<&'a Member>) -> Option<&'a Value> {
        match member {
            Some(m) => m.object.as_ref(),
            None => self.fleet.as_ref().map(|f| &f.object),
        }
    }

    /// Runs the chain: today's (native) and ours (customizations in `vm`).
    pub fn run(
        &self,
        customizations: &[Customization],
        vm: &dyn InterpreterVm,
        opt_in: OptInCheck,
    ) -> Result<Outcome> {
        let kind = self.template["kind"].as_str().context("template.kind")?;
        let api_version = self.template["apiVersion"]
            .as_str()
            .context("template.apiVersion")?;
        let cz = find(customizations, api_version, kind)
            .with_context(|| format!("no customization for {api_version} {kind}"))?;
        let clusters = self.clusters();
        for (name, m) in &clusters {
            if let Some(m) = m {
                let set = usize::from(m.object.is_some())
                    + usize::from(m.applied_message.is_some())
                    + usize::from(m.pending);
                if set != 1 {
                    bail!("members.{name}: give exactly one of object, appliedMessage, pending");
                }
            }
        }
        // Our reflection, batched.
        let reflect_calls: Vec<Call> = clusters
            .iter()
            .filter_map(|(_, m)| self.object(*m))
            .map(|o| {
                Call::new(
                    Operation::ReflectStatus.function(),
                    cz.script(Operation::ReflectStatus),
                    vec![o.clone()],
                )
            })
            .collect();
        let mut reflected = vm.call_all(&reflect_calls).into_iter();
        let mut ours_items = Vec::new();
        let mut native_items = Vec::new();
        for (name, m) in &clusters {
            let applied_message = m.and_then(|m| m.applied_message.as_ref());
            let pending = m.is_some_and(|m| m.pending);
            if let Some(obj) = self.object(*m) {
                let status = reflected
                    .next()
                    .expect("one result per call")
                    .with_context(|| format!("ReflectStatus for {name}"))?;
                ours_items.push(item(name, Some(status)));
                let native_status = native::reflect(kind, obj).ok().flatten();
                native_items.push(item(name, native_status));
            } else if let Some(msg) = applied_message {
                let failed =
                    json!({"clusterName": name, "appliedMessage": msg, "health": "Unknown"});
                ours_items.push(failed.clone());
                native_items.push(failed);
            } else if pending {
                let p = json!({"clusterName": name, "applied": true, "health": "Unknown"});
                ours_items.push(p.clone());
                native_items.push(p);
            }
            // A target without a member entry (and no fleet) has no item yet.
        }
        ours_items.extend(self.raw_items.iter().cloned());
        native_items.extend(self.raw_items.iter().cloned());
        let items_arg = if self.nil_items {
            Value::Null
        } else {
            Value::Array(ours_items)
        };
        let aggregate = Call::new(
            Operation::AggregateStatus.function(),
            cz.script(Operation::AggregateStatus),
            vec![self.template.clone(), items_arg.clone()],
        );
        let template = vm.call(&aggregate).context("AggregateStatus")?;
        let mut violations = kube_status::validate(kind, &template, Some(&self.template));
        violations.extend(
            kube_status::dropped_fields(kind, &template)
                .into_iter()
                .map(|f| format!("{f} is not in the API: kube-apiserver drops it")),
        );
        let ours = crate::argo::health::builtin::health(&template)
            .with_context(|| format!("no Argo CD built-in check for {kind}"))?;
        let native_list = if self.nil_items {
            Vec::new()
        } else {
            native_items
        };
        let today_template = native::round(kind, &self.template, &native_list);
        let today = crate::argo::health::builtin::health(&today_template)
            .with_context(|| format!("no Argo CD built-in check for {kind}"))?;
        let ours_opt_in = opt_in(&template).transpose()?.map(Health::from);
        Ok(Outcome {
            today: today.into(),
            ours: ours.into(),
            ours_opt_in,
            template,
            violations,
            items: items_arg,
        })
    }

    /// Differences between the outcome and the expectations (empty: the scenario passes).
    pub fn check(&self, out: &Outcome) -> Vec<String> {
        let mut problems = Vec::new();
        let mut cmp = |what: &str, want: Option<&Health>, got: Option<&Health>| {
            if want != got {
                problems.push(format!("{what}: expected {want:?}, got {got:?}"));
            }
        };
        cmp("today", Some(&self.expect.today), Some(&out.today));
        cmp("ours", Some(&self.expect.ours), Some(&out.ours));
        if self.expect.ours_opt_in.is_some() || out.ours_opt_in.is_some() {
            cmp(
                "oursOptIn",
                self.expect.ours_opt_in.as_ref(),
                out.ours_opt_in.as_ref(),
            );
        }
        for v in &out.violations {
            problems.push(format!("kube-apiserver would reject our status: {v}"));
        }
        problems
    }
}

/// An `AggregatedStatusItem` of an applied member (`health` is not read by the aggregations).
fn item(cluster: &str, status: Option<Value>) -> Value {
    let mut it = json!({"clusterName": cluster, "applied": true, "health": "Healthy"});
    if let Some(s) = status.filter(|s| s.as_object().is_some_and(|o| !o.is_empty())) {
        it["status"] = s;
    }
    it
}
