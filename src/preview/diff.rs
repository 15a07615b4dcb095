//! `diff A B`: object by object, what cluster A receives against what cluster B receives.

use std::fmt::Write;

use anyhow::Result;

use crate::karmada::pipeline::{Outcome, Simulation};

fn text_of(outcome: Option<&Outcome>) -> Result<(String, Option<&str>)> {
    match outcome {
        Some(Outcome::Delivered(d)) => Ok((crate::yaml::to_string(&d.object)?, None)),
        Some(Outcome::Not(why)) => Ok((String::new(), Some(why.as_str()))),
        None => Ok((String::new(), Some("not in the inventory"))),
    }
}

/// A unified diff per object that differs; `color` adds ANSI colours (terminals).
pub fn diff(sim: &Simulation, a: &str, b: &str, color: bool) -> Result<String> {
    let mut out = String::new();
    let mut same = 0;
    for t in &sim.templates {
        let (ta, why_a) = text_of(t.per_cluster.get(a))?;
        let (tb, why_b) = text_of(t.per_cluster.get(b))?;
        if ta == tb && why_a.is_some() == why_b.is_some() {
            same += 1;
            continue;
        }
        for (cluster, why) in [(a, why_a), (b, why_b)] {
            if let Some(why) = why {
                let _ = writeln!(out, "# {cluster} does not receive {}: {why}", t.key);
            }
        }
        let d = similar::TextDiff::from_lines(&ta, &tb);
        let body = d
            .unified_diff()
            .context_radius(3)
            .header(&format!("{a}: {}", t.key), &format!("{b}: {}", t.key))
            .to_string();
        for line in body.lines() {
            let paint = |code: &str| format!("\x1b[{code}m{line}\x1b[0m");
            let shown = match line.as_bytes().first() {
                _ if !color => line.to_string(),
                Some(b'-') if line.starts_with("---") => paint("1"),
                Some(b'+') if line.starts_with("+++") => paint("1"),
                Some(b'-') => paint("31"),
                Some(b'+') => paint("32"),
                Some(b'@') => paint("36"),
                _ => line.to_string(),
            };
            out.push_str(&shown);
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "# {same} of {} objects are the same on {a} and {b}",
        sim.templates.len()
    );
    Ok(out)
}
