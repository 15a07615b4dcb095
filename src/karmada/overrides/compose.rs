//! Rules for one cluster are applied one after the other: they must not undo each other.

use anyhow::Result;
use serde_json::Value;

use super::apply_error;
use crate::diag::error;
use crate::karmada::api::RuleWithCluster;
use crate::karmada::overridemanager;
use crate::karmada::placement::Override;
use crate::karmada::policy::Item;

fn plaintext_paths(rule: &RuleWithCluster) -> Vec<&str> {
    rule.overriders
        .plaintext
        .iter()
        .map(|o| o.path.as_str())
        .collect()
}

fn clusters_of(rule: &RuleWithCluster) -> Vec<&str> {
    rule.target_cluster
        .iter()
        .flat_map(|t| t.cluster_names.iter().map(String::as_str))
        .collect()
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
/// silently undo each other, and every rule must still apply after the earlier ones.
pub(super) fn check_rules_compose(
    file: &str,
    it: &Item,
    obj: &Value,
    rules: &[&RuleWithCluster],
    entries: &[&Override],
) -> Result<()> {
    if rules.len() < 2 {
        return Ok(()); // one rule was applied to the object already
    }
    let clusters: Vec<Vec<&str>> = rules.iter().map(|r| clusters_of(r)).collect();
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
                        &entries[j].path(),
                        format!(
                            "changes {p} of {} on cluster {cluster}, which {} also changes ({q}); combine them into one entry",
                            it.key().display(),
                            entries[i].path()
                        ),
                    ));
                }
            }
        }
    }
    // Every cluster's sequence of rules must apply cleanly (only matters with 2+ rules there).
    let mut all_clusters: Vec<&str> = clusters.iter().flatten().copied().collect();
    all_clusters.sort_unstable();
    all_clusters.dedup();
    for cluster in all_clusters {
        let on_cluster: Vec<usize> = (0..rules.len())
            .filter(|r| clusters[*r].contains(&cluster))
            .collect();
        if on_cluster.len() < 2 {
            continue;
        }
        let mut scratch = obj.clone();
        for r in on_cluster {
            overridemanager::apply(&mut scratch, &rules[r].overriders).map_err(|e| {
                let one = Override {
                    clusters: vec![cluster.to_string()],
                    ..entries[r].clone()
                };
                apply_error(
                    file,
                    &one,
                    it,
                    &[],
                    &e,
                    Some(" after the earlier overrides"),
                )
            })?;
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
