//! `diff --matrix`: one row per object, one column per cluster.

use serde_json::{Map, Value, json};

use crate::karmada::pipeline::{Outcome, Simulation, revise};

/// Containers' images, `name=image`, in pod-spec order.
fn images(obj: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for base in [
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
        "/spec",
    ] {
        let Some(spec) = obj.pointer(base) else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                if let Some(image) = c.get("image").and_then(Value::as_str) {
                    out.push((name.to_string(), image.to_string()));
                }
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// The template as a member copy would look without any change: pruned.
fn pruned(template: &Value) -> Value {
    let mut base = template.clone();
    revise::prune(&mut base);
    base
}

/// JSON pointers where the member's copy differs from the pruned template.
fn changed_paths(base: &Value, delivered: &Value) -> Vec<String> {
    if base == delivered {
        return Vec::new();
    }
    json_patch::diff(base, delivered)
        .0
        .iter()
        .map(|op| op.path().to_string())
        .collect()
}

/// One cell of the matrix as data; `base` is the pruned template.
fn cell(base: &Value, outcome: Option<&Outcome>) -> Value {
    match outcome {
        Some(Outcome::Delivered(d)) => {
            let mut m = Map::new();
            m.insert("delivered".into(), json!(true));
            if let Some(r) = d.replicas {
                m.insert("replicas".into(), json!(r));
            }
            if let Some(t) = d.tie {
                m.insert("replicasIfTieBrokenOtherWay".into(), json!(t));
            }
            let imgs: Map<String, Value> = images(&d.object)
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect();
            if !imgs.is_empty() {
                m.insert("images".into(), Value::Object(imgs));
            }
            m.insert("changed".into(), json!(changed_paths(base, &d.object)));
            Value::Object(m)
        }
        Some(Outcome::Not(why)) => json!({"delivered": false, "reason": why}),
        None => json!({"delivered": false, "reason": "not in the inventory"}),
    }
}

/// `-o json`: `[{object, warnings, clusters: {name: cell}}]`.
pub fn matrix_json(sim: &Simulation) -> anyhow::Result<String> {
    let rows: Vec<Value> = crate::parallel::map(&sim.templates, |t| {
        let base = pruned(&t.template);
        let clusters: Map<String, Value> = sim
            .clusters
            .iter()
            .map(|c| (c.clone(), cell(&base, t.per_cluster.get(c))))
            .collect();
        json!({"object": t.key, "warnings": t.warnings, "clusters": clusters})
    });
    let mut s = serde_json::to_string_pretty(&rows)?;
    s.push('\n');
    Ok(s)
}

fn cell_text(v: &Value) -> String {
    if v["delivered"] != json!(true) {
        return "-".into();
    }
    let mut parts = Vec::new();
    if let Some(r) = v.get("replicas") {
        match v.get("replicasIfTieBrokenOtherWay") {
            Some(t) => parts.push(format!("{r}|{t} replicas")),
            None => parts.push(format!("{r} replicas")),
        }
    }
    if let Some(imgs) = v.get("images").and_then(Value::as_object) {
        for (c, i) in imgs {
            parts.push(format!("{c}={}", i.as_str().unwrap_or("")));
        }
    }
    let changed: Vec<&str> = v["changed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !changed.is_empty() {
        parts.push(format!("changed {}", changed.join(",")));
    }
    if parts.is_empty() {
        "yes".into()
    } else {
        parts.join("; ")
    }
}

/// The matrix as an aligned text table; reasons and warnings follow it.
pub fn matrix_table(sim: &Simulation) -> String {
    let mut header = vec!["OBJECT".to_string()];
    header.extend(sim.clusters.iter().cloned());
    let mut rows = vec![header];
    let mut notes = Vec::new();
    // Rows are independent: compute them on a few threads, in order.
    let computed = crate::parallel::map(&sim.templates, |t| {
        let mut row = vec![t.key.clone()];
        let mut row_notes = Vec::new();
        let base = pruned(&t.template);
        for c in &sim.clusters {
            let v = cell(&base, t.per_cluster.get(c));
            if let Some(why) = v.get("reason").and_then(Value::as_str) {
                row_notes.push(format!("{} on {c}: {why}", t.key));
            }
            row.push(cell_text(&v));
        }
        for w in &t.warnings {
            row_notes.push(format!("warning: {}: {w}", t.key));
        }
        (row, row_notes)
    });
    for (row, row_notes) in computed {
        rows.push(row);
        notes.extend(row_notes);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{s:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("- {n}\n"));
        }
    }
    out
}
