//! Reading a [`Snapshot`] from karmada-apiserver: one LIST per resource type and namespace
//! (paginated), at most `concurrency` requests at a time, never a GET per object.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use futures::StreamExt;
use serde_json::Value;

use super::{Snapshot, Template};
use crate::live::{ListError, Lister, ObjectKey, ResourceType, Shape, TrackingMethod, resources};

/// Which objects make up the app.
#[derive(Debug, Clone)]
pub enum Selection {
    /// `--app NAME`: what Argo CD tracks as the app's, in `namespace` or everywhere.
    Tracked {
        app: String,
        tracking: TrackingMethod,
        namespace: Option<String>,
    },
    /// `status DIR`: exactly the objects the app renders to.
    Rendered { app: String, keys: Vec<ObjectKey> },
}

/// A LIST to repeat as a watch: the type, namespace and the list's resourceVersion.
#[derive(Debug, Clone)]
pub struct Watched {
    pub rt: ResourceType,
    pub namespace: Option<String>,
    pub resource_version: String,
}

/// What was read, what to watch, and what could not be read but did not stop us.
pub struct Fetched {
    pub snapshot: Snapshot,
    pub watches: Vec<Watched>,
    pub warnings: Vec<String>,
}

struct Job {
    rt: ResourceType,
    namespace: Option<String>,
    selector: Option<String>,
    shape: Shape,
}

pub async fn fetch(lister: &Lister, sel: &Selection, concurrency: usize) -> Result<Fetched> {
    // Bindings and clusters first: in --app mode the bindings also say which kinds to look at.
    let rb = ResourceType::resource_binding();
    let crb = ResourceType::cluster_resource_binding();
    let mut control = vec![job(&ResourceType::cluster(), None)];
    match sel {
        Selection::Tracked { namespace, .. } => {
            control.push(job(&rb, namespace.clone()));
            if namespace.is_none() {
                control.push(job(&crb, None));
            }
        }
        Selection::Rendered { keys, .. } => {
            let namespaces: BTreeSet<Option<String>> =
                keys.iter().map(|k| k.namespace.clone()).collect();
            for ns in namespaces {
                match ns {
                    Some(ns) => control.push(job(&rb, Some(ns))),
                    None => control.push(job(&crb, None)),
                }
            }
        }
    }
    let results = run(lister, &control, concurrency).await;
    let mut snapshot = Snapshot::default();
    let mut watches = Vec::new();
    for (j, r) in control.iter().zip(results) {
        let listed = r?;
        watches.push(Watched {
            rt: j.rt.clone(),
            namespace: j.namespace.clone(),
            resource_version: listed.resource_version,
        });
        for item in listed.items {
            if j.rt.kind == "Cluster" {
                if let Some(name) = item["metadata"]["name"].as_str() {
                    snapshot.clusters.insert(name.to_string(), item);
                }
            } else if let Some(key) = binding_key(&item) {
                snapshot.bindings.insert(key, item);
            }
        }
    }

    let mut warnings = Vec::new();
    match sel {
        Selection::Rendered { app, keys } => {
            snapshot.app = app.clone();
            snapshot.templates = rendered(lister, keys, concurrency).await?;
        }
        Selection::Tracked {
            app,
            tracking,
            namespace,
        } => {
            snapshot.app = app.clone();
            snapshot.templates = tracked(
                lister,
                app,
                *tracking,
                namespace.as_deref(),
                &snapshot.bindings,
                concurrency,
                &mut warnings,
            )
            .await?;
        }
    }
    Ok(Fetched {
        snapshot,
        watches,
        warnings,
    })
}

fn job(rt: &ResourceType, namespace: Option<String>) -> Job {
    Job {
        rt: rt.clone(),
        namespace,
        selector: None,
        shape: Shape::Full,
    }
}

/// Runs the LISTs with bounded concurrency; results in job order.
async fn run(
    lister: &Lister,
    jobs: &[Job],
    concurrency: usize,
) -> Vec<Result<crate::live::Listed, ListError>> {
    futures::stream::iter(jobs)
        .map(|j| {
            lister.list(
                &j.rt,
                j.namespace.as_deref(),
                j.selector.as_deref(),
                j.shape,
            )
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// `(namespace, name)` of a binding; cluster-scoped bindings have no namespace.
fn binding_key(b: &Value) -> Option<(Option<String>, String)> {
    let name = b["metadata"]["name"].as_str()?;
    let ns = b["metadata"]["namespace"]
        .as_str()
        .filter(|s| !s.is_empty());
    Some((ns.map(str::to_string), name.to_string()))
}

/// `status DIR`: one LIST per type and namespace of the rendered objects; absent ones stay `None`.
async fn rendered(
    lister: &Lister,
    keys: &[ObjectKey],
    concurrency: usize,
) -> Result<Vec<Template>> {
    let groups: BTreeSet<(ResourceType, Option<String>)> = keys
        .iter()
        .map(|k| {
            let rt = ResourceType::of(&k.api_version, &k.kind, k.namespace.is_some());
            (rt, k.namespace.clone())
        })
        .collect();
    let jobs: Vec<Job> = groups
        .into_iter()
        .map(|(rt, namespace)| Job {
            rt,
            namespace,
            selector: None,
            shape: Shape::Metadata,
        })
        .collect();
    let results = run(lister, &jobs, concurrency).await;
    let mut found: BTreeMap<ObjectKey, Value> = BTreeMap::new();
    for (j, r) in jobs.iter().zip(results) {
        let listed = match r {
            Ok(l) => l,
            // A kind the server does not serve (its CRD is not installed): its objects are missing.
            Err(ListError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        for item in listed.items {
            if let Some(mut key) = ObjectKey::of(&item) {
                if !j.rt.namespaced {
                    key.namespace = None;
                }
                found.insert(key, item);
            }
        }
    }
    Ok(keys
        .iter()
        .map(|k| Template {
            key: k.clone(),
            obj: found.remove(k),
        })
        .collect())
}

/// `status --app`: the common kinds plus every kind a binding names, filtered by tracking.
async fn tracked(
    lister: &Lister,
    app: &str,
    tracking: TrackingMethod,
    namespace: Option<&str>,
    bindings: &BTreeMap<(Option<String>, String), Value>,
    concurrency: usize,
    warnings: &mut Vec<String>,
) -> Result<Vec<Template>> {
    let mut types: BTreeSet<ResourceType> = resources::common_types().into_iter().collect();
    for b in bindings.values() {
        let r = &b["spec"]["resource"];
        if let (Some(v), Some(k)) = (r["apiVersion"].as_str(), r["kind"].as_str()) {
            let namespaced = b["kind"].as_str() == Some("ResourceBinding");
            types.insert(ResourceType::of(v, k, namespaced));
        }
    }
    let selector = tracking.label_selector(app);
    let jobs: Vec<Job> = types
        .into_iter()
        .filter(|rt| namespace.is_none() || rt.namespaced)
        .map(|rt| Job {
            rt,
            namespace: namespace.map(str::to_string),
            selector: selector.clone(),
            shape: Shape::Metadata,
        })
        .collect();
    let results = run(lister, &jobs, concurrency).await;
    let mut out = Vec::new();
    for (j, r) in jobs.iter().zip(results) {
        let listed = match r {
            Ok(l) => l,
            Err(ListError::NotFound { .. }) => continue,
            // Some kinds may be off-limits (Secrets often are); say so and show the rest.
            Err(e @ ListError::Forbidden { .. }) => {
                warnings.push(format!("{e}; objects of this kind are not shown"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for item in listed.items {
            if !tracking.tracks(&item, app) {
                continue;
            }
            if let Some(mut key) = ObjectKey::of(&item) {
                if !j.rt.namespaced {
                    key.namespace = None;
                }
                out.push(Template {
                    key,
                    obj: Some(item),
                });
            }
        }
    }
    if out.is_empty() {
        let other = tracking.other();
        let scope = namespace
            .map(|n| format!(" in namespace {n}"))
            .unwrap_or_default();
        bail!(
            "app {app}: no objects found{scope} with tracking method {} ({}); if Argo CD tracks by {}, try --tracking {}",
            tracking.as_str(),
            match tracking {
                TrackingMethod::Label =>
                    format!("label {}={app}", crate::live::tracking::INSTANCE_LABEL),
                _ => format!(
                    "annotation {} = {app}:...",
                    crate::live::tracking::TRACKING_ID
                ),
            },
            other.as_str(),
            other.as_str()
        );
    }
    out.sort_by(|a, b| {
        (a.key.group(), &a.key.kind, &a.key.namespace, &a.key.name).cmp(&(
            b.key.group(),
            &b.key.kind,
            &b.key.namespace,
            &b.key.name,
        ))
    });
    out.dedup_by(|a, b| a.key == b.key);
    Ok(out)
}
