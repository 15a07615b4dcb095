//! Rules for one cluster are applied one after the other: they must not undo each other.

use anyhow::Result;
use serde_json::{Value, json};

use super::patch_error_text;
use crate::diag::error;
use crate::karmada::policy::Item;

fn plaintext_paths(rule: &Value) -> Vec<&str> {
    rule["overriders"]["plaintext"]
        .as_array()
        .map(|ops| ops.iter().filter_map(|o| o["path"].as_str()).collect())
        .unwrap_or_default()
}

/// Two paths change the same place: equal (appends with `/-` excepted) or one inside the other.
fn paths_overlap(a: &str, b: &str) -> bool {
    if a == b {
        return !a.ends_with("/-");
    }
    let inside = |outer: &str, inner: &str| {
        inner.starts_with(outer) && inner[outer.len()..].starts_with('/')
    };
    inside(a, b) || inside(b, a)
}

/// Karmada applies the rules for a cluster one after the other, but each rule's JSON-patch ops were
/// computed against the rendered object: rules that touch the same place on one cluster would
/// silently undo each other, and ops must still apply after the earlier rules.
pub(super) fn check_rules_compose(
    file: &str,
    it: &Item,
    obj: &Value,
    rules: &[&Value],
    entries: &[usize],
) -> Result<()> {
    if rules.len() < 2 {
        return Ok(()); // one rule's ops were each checked against the object already
    }
    let clusters: Vec<Vec<&str>> = rules
        .iter()
        .map(|r| {
            r["targetCluster"]["clusterNames"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        })
        .collect();
    let paths: Vec<Vec<&str>> = rules.iter().map(|r| plaintext_paths(r)).collect();
    for j in 0..rules.len() {
        for i in 0..j {
            let Some(cluster) = clusters[i].iter().find(|c| clusters[j].contains(c)) else {
                continue;
            };
            for p in &paths[j] {
                if let Some(q) = paths[i].iter().find(|q| paths_overlap(p, q)) {
                    return Err(error(
                        file,
                        &format!("overrides[{}]", entries[j]),
                        format!(
                            "changes {p} of {} on cluster {cluster}, which overrides[{}] also changes ({q}); combine them into one entry",
                            it.key().display(),
                            entries[i]
                        ),
                    ));
                }
            }
        }
    }
    // Every cluster's sequence of ops must apply cleanly (only matters with 2+ patching rules).
    let mut all_clusters: Vec<&str> = clusters.iter().flatten().copied().collect();
    all_clusters.sort_unstable();
    all_clusters.dedup();
    for cluster in all_clusters {
        let patching: Vec<usize> = (0..rules.len())
            .filter(|r| clusters[*r].contains(&cluster) && !paths[*r].is_empty())
            .collect();
        if patching.len() < 2 {
            continue;
        }
        let mut scratch = obj.clone();
        for r in patching {
            let entry = entries[r];
            for op in rules[r]["overriders"]["plaintext"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let mut one = serde_json::Map::new();
                one.insert("op".into(), op["operator"].clone());
                one.insert("path".into(), op["path"].clone());
                if let Some(v) = op.get("value") {
                    one.insert("value".into(), v.clone());
                }
                let parsed: json_patch::Patch = serde_json::from_value(json!([one]))
                    .map_err(|e| error(file, &format!("overrides[{entry}]"), e))?;
                if let Err(e) = json_patch::patch(&mut scratch, &parsed) {
                    return Err(error(
                        file,
                        &format!("overrides[{entry}]"),
                        format!(
                            "{} {} cannot be applied to {} on cluster {cluster} after the earlier overrides: {}",
                            op["operator"].as_str().unwrap_or(""),
                            op["path"].as_str().unwrap_or(""),
                            it.key().display(),
                            patch_error_text(&e)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_paths() {
        assert!(paths_overlap("/a/env", "/a/env"));
        assert!(paths_overlap("/a/env", "/a/env/0/value"));
        assert!(paths_overlap("/a/env/0", "/a/env"));
        assert!(!paths_overlap("/a/env/-", "/a/env/-"));
        assert!(!paths_overlap("/a/env2", "/a/env"));
        assert!(!paths_overlap("/a/env/0", "/a/env/1"));
    }
}
