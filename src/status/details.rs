//! `--details CLUSTER`: for each object not healthy on that cluster, the member's own view through
//! Karmada's cluster proxy (`/apis/cluster.karmada.io/v1alpha1/clusters/NAME/proxy/...`,
//! karmada-io/karmada `pkg/registry/cluster/storage/proxy.go`): conditions, recent events and,
//! for workloads, the pods that are not ready with their waiting reasons.

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::{Health, Matrix};
use crate::live::{ListError, Lister, ObjectKey, ResourceType};

/// Events shown per object.
const MAX_EVENTS: usize = 10;
/// Not-ready pods shown per object.
const MAX_PODS: usize = 10;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    pub object: ObjectKey,
    pub cluster: String,
    pub status: Health,
    pub conditions: Vec<String>,
    pub events: Vec<String>,
    pub pods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Detail {
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} on {} ({}):\n",
            self.object,
            self.cluster,
            self.status.as_str()
        );
        if let Some(e) = &self.error {
            let _ = writeln!(out, "  {e}");
            return out;
        }
        for (title, lines) in [
            ("conditions", &self.conditions),
            ("events", &self.events),
            ("pods not ready", &self.pods),
        ] {
            if lines.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title}:");
            for l in lines {
                let _ = writeln!(out, "    {l}");
            }
        }
        if self.conditions.is_empty() && self.events.is_empty() && self.pods.is_empty() {
            out.push_str("  no conditions, events or unready pods reported by the member\n");
        }
        out
    }
}

/// Drill-down for every object whose cell on `cluster` is not Healthy. Once the proxy is
/// refused, the remaining objects get the same message instead of more refused requests.
pub async fn details(lister: &Lister, m: &Matrix, cluster: &str) -> Vec<Detail> {
    let mut out = Vec::new();
    let mut refused: Option<String> = None;
    for row in &m.objects {
        let Some(cell) = row.clusters.get(cluster) else {
            continue;
        };
        if cell.status == Health::Healthy {
            continue;
        }
        let mut d = Detail {
            object: row.key.clone(),
            cluster: cluster.to_string(),
            status: cell.status,
            conditions: vec![],
            events: vec![],
            pods: vec![],
            error: refused.clone(),
        };
        if refused.is_none()
            && let Err(e) = fill(lister, cluster, &mut d).await
        {
            let text = match &e {
                ListError::Forbidden { message, .. } => format!(
                    "no permission for Karmada's cluster proxy: needs `get` on `clusters/proxy` (group cluster.karmada.io) for cluster {cluster}: {message}"
                ),
                other => other.to_string(),
            };
            if matches!(
                e,
                ListError::Forbidden { .. } | ListError::Unauthorized { .. }
            ) {
                refused = Some(text.clone());
            }
            d.error = Some(text);
        }
        out.push(d);
    }
    out
}

async fn get(lister: &Lister, path: &str) -> Result<Value, ListError> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| ListError::Other {
            what: path.into(),
            message: e.to_string(),
        })?;
    lister
        .client
        .request::<Value>(req)
        .await
        .map_err(|e| ListError::from_kube(e, path, &lister.server))
}

async fn fill(lister: &Lister, cluster: &str, d: &mut Detail) -> Result<(), ListError> {
    let proxy = format!("/apis/cluster.karmada.io/v1alpha1/clusters/{cluster}/proxy");
    let k = &d.object;
    let rt = ResourceType::of(&k.api_version, &k.kind, k.namespace.is_some());
    let obj = match get(
        lister,
        &format!("{proxy}{}/{}", rt.path(k.namespace.as_deref()), k.name),
    )
    .await
    {
        Ok(o) => o,
        Err(ListError::NotFound { .. }) => {
            d.error = Some(format!("{} does not exist on cluster {cluster}", d.object));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    for c in obj["status"]["conditions"].as_array().into_iter().flatten() {
        let mut line = format!(
            "{}={}",
            c["type"].as_str().unwrap_or("?"),
            c["status"].as_str().unwrap_or("?")
        );
        if let Some(r) = c["reason"].as_str() {
            let _ = write!(line, " {r}");
        }
        if let Some(msg) = c["message"].as_str().filter(|s| !s.is_empty()) {
            let _ = write!(line, ": {msg}");
        }
        d.conditions.push(line);
    }
    let ns_path = k
        .namespace
        .as_deref()
        .map(|ns| format!("/api/v1/namespaces/{ns}"))
        .unwrap_or_else(|| "/api/v1".into());
    let events = get(
        lister,
        &format!(
            "{proxy}{ns_path}/events?fieldSelector=involvedObject.name%3D{}%2CinvolvedObject.kind%3D{}",
            k.name, k.kind
        ),
    )
    .await?;
    let mut items: Vec<&Value> = events["items"].as_array().into_iter().flatten().collect();
    items.sort_by_key(|e| event_time(e));
    for e in items.iter().rev().take(MAX_EVENTS) {
        d.events.push(format!(
            "{} {} {}: {}",
            event_time(e),
            e["type"].as_str().unwrap_or(""),
            e["reason"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    let selector: Vec<String> = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}%3D{v}")))
        .collect();
    if let (false, Some(ns)) = (selector.is_empty(), k.namespace.as_deref()) {
        let pods = get(
            lister,
            &format!(
                "{proxy}/api/v1/namespaces/{ns}/pods?labelSelector={}",
                selector.join("%2C")
            ),
        )
        .await?;
        for p in pods["items"].as_array().into_iter().flatten() {
            if let Some(line) = unready_pod(p)
                && d.pods.len() < MAX_PODS
            {
                d.pods.push(line);
            }
        }
    }
    Ok(())
}

fn event_time(e: &Value) -> String {
    ["lastTimestamp", "eventTime", "firstTimestamp"]
        .iter()
        .find_map(|k| e[*k].as_str())
        .or_else(|| e["metadata"]["creationTimestamp"].as_str())
        .unwrap_or("")
        .to_string()
}

/// `name: phase; container: reason (message)` for a pod whose Ready condition is not True.
fn unready_pod(p: &Value) -> Option<String> {
    let ready = p["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .is_some_and(|c| c["status"] == "True");
    if ready {
        return None;
    }
    let mut line = format!(
        "{}: {}",
        p["metadata"]["name"].as_str().unwrap_or("?"),
        p["status"]["phase"].as_str().unwrap_or("Unknown")
    );
    let statuses = ["initContainerStatuses", "containerStatuses"];
    for s in statuses
        .iter()
        .flat_map(|k| p["status"][*k].as_array().into_iter().flatten())
    {
        let waiting = &s["state"]["waiting"];
        if let Some(reason) = waiting["reason"].as_str() {
            let _ = write!(line, "; {}: {reason}", s["name"].as_str().unwrap_or("?"));
            if let Some(msg) = waiting["message"].as_str().filter(|m| !m.is_empty()) {
                let _ = write!(line, " ({msg})");
            }
        }
    }
    Some(line)
}
