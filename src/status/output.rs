//! Rendering the matrix: a table (glyphs and colour on a terminal, plain words otherwise), JSON
//! or YAML.

use std::fmt::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::details::Detail;
use super::{Cell, Health, Matrix};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

/// How the table looks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Glyphs and ANSI colour (a terminal).
    pub color: bool,
    /// Replicas per cluster.
    pub wide: bool,
}

pub fn render(m: &Matrix, details: &[Detail], format: Format, style: Style) -> Result<String> {
    match format {
        Format::Table => {
            let mut out = table(m, style);
            for d in details {
                out.push('\n');
                out.push_str(&d.to_text());
            }
            Ok(out)
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&document(m, details)?)?;
            s.push('\n');
            Ok(s)
        }
        Format::Yaml => crate::yaml::to_string(&document(m, details)?),
    }
}

fn document(m: &Matrix, details: &[Detail]) -> Result<Value> {
    let mut v = serde_json::to_value(m)?;
    if !details.is_empty() {
        v["details"] = serde_json::to_value(details)?;
    }
    v["exitCode"] = json!(m.status.exit_code());
    Ok(v)
}

fn glyph(h: Health) -> &'static str {
    match h {
        Health::Healthy => "✔",
        Health::Suspended => "⏸",
        Health::Progressing => "◐",
        Health::Missing => "○",
        Health::Degraded => "✖",
        Health::Unknown => "?",
    }
}

fn color(h: Health) -> &'static str {
    match h {
        Health::Healthy => "32",
        Health::Suspended => "34",
        Health::Progressing => "33",
        Health::Missing => "35",
        Health::Degraded => "31",
        Health::Unknown => "90",
    }
}

/// One cell: its text and, on a terminal, its colour.
struct Text {
    plain: String,
    color: Option<&'static str>,
}

fn status_text(h: Health, style: Style, suffix: &str) -> Text {
    let word = if style.color {
        format!("{} {}", glyph(h), h.as_str())
    } else {
        h.as_str().to_string()
    };
    Text {
        plain: format!("{word}{suffix}"),
        color: style.color.then(|| color(h)),
    }
}

fn cell_text(cell: Option<&Cell>, style: Style) -> Text {
    let Some(c) = cell else {
        return Text {
            plain: "-".into(),
            color: None,
        };
    };
    let suffix = match (style.wide, c.ready_replicas, c.replicas) {
        (true, Some(r), Some(a)) => format!(" {r}/{a}"),
        (true, None, Some(a)) => format!(" {a}"),
        _ => String::new(),
    };
    status_text(c.status, style, &suffix)
}

fn plain(s: impl Into<String>) -> Text {
    Text {
        plain: s.into(),
        color: None,
    }
}

pub fn table(m: &Matrix, style: Style) -> String {
    let mut header = vec![plain("OBJECT")];
    header.extend(m.clusters.iter().map(|c| plain(c.name.clone())));
    header.push(plain("STATUS"));
    header.push(plain("MESSAGE"));
    let mut rows = vec![header];
    for r in &m.objects {
        let mut row = vec![plain(r.key.to_string())];
        for c in &m.clusters {
            row.push(cell_text(r.clusters.get(&c.name), style));
        }
        row.push(status_text(r.status, style, ""));
        row.push(plain(r.message.clone()));
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].plain.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, t) in row.iter().enumerate() {
            let last = i + 1 == columns;
            let pad = if last {
                0
            } else {
                widths[i] - t.plain.chars().count() + 2
            };
            match t.color {
                Some(c) => {
                    let _ = write!(line, "\x1b[{c}m{}\x1b[0m", t.plain);
                }
                None => line.push_str(&t.plain),
            }
            line.push_str(&" ".repeat(pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    let clusters: Vec<String> = m
        .clusters
        .iter()
        .map(|c| match &c.reason {
            Some(r) if !c.is_ready() => format!("{} {} ({r})", c.name, c.ready),
            _ => format!("{} {}", c.name, c.ready),
        })
        .collect();
    if clusters.is_empty() {
        out.push_str("clusters: none targeted\n");
    } else {
        let _ = writeln!(out, "clusters: {}", clusters.join(", "));
    }
    let totals: Vec<String> = m
        .totals
        .iter()
        .map(|(h, n)| format!("{n} {}", h.as_str()))
        .collect();
    let noun = if m.objects.len() == 1 {
        "object"
    } else {
        "objects"
    };
    let _ = writeln!(
        out,
        "{} {noun}: {} (app {}: {})",
        m.objects.len(),
        totals.join(", "),
        m.app,
        m.status.as_str()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ObjectKey;
    use crate::status::{ClusterState, Row};
    use std::collections::BTreeMap;

    fn matrix() -> Matrix {
        let cell = |status, replicas, ready| Cell {
            status,
            message: String::new(),
            replicas,
            ready_replicas: ready,
        };
        let clusters = BTreeMap::from([
            ("m1".to_string(), cell(Health::Healthy, Some(2), Some(2))),
            ("m2".to_string(), cell(Health::Degraded, Some(3), None)),
        ]);
        Matrix {
            app: "shop".into(),
            status: Health::Degraded,
            clusters: ["m1", "m2"]
                .iter()
                .map(|n| ClusterState {
                    name: n.to_string(),
                    ready: "Ready".into(),
                    reason: None,
                    message: String::new(),
                })
                .collect(),
            objects: vec![Row {
                key: ObjectKey {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    namespace: Some("shop".into()),
                    name: "web".into(),
                },
                binding: Some("web-deployment".into()),
                status: Health::Degraded,
                message: "1/2 clusters healthy".into(),
                clusters,
            }],
            totals: BTreeMap::from([(Health::Degraded, 1)]),
        }
    }

    #[test]
    fn terminal_cells_get_glyphs_and_colour_and_stay_aligned() {
        let t = table(
            &matrix(),
            Style {
                color: true,
                wide: false,
            },
        );
        let first = t.lines().nth(1).unwrap();
        assert!(first.contains("\x1b[32m✔ Healthy\x1b[0m"), "{first:?}");
        assert!(first.contains("\x1b[31m✖ Degraded\x1b[0m"), "{first:?}");
        // Padding counts the visible text only: the header's columns line up with the cells.
        let visible = |s: &str| {
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    for c in chars.by_ref() {
                        if c == 'm' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            out
        };
        let header = t.lines().next().unwrap();
        let col = |line: &str, word: &str| {
            visible(line)
                .chars()
                .collect::<String>()
                .find(word)
                .map(|b| visible(line)[..b].chars().count())
        };
        assert_eq!(col(header, "m2"), col(first, "✖"));
    }

    #[test]
    fn plain_and_wide() {
        let plain = table(&matrix(), Style::default());
        assert!(!plain.contains('\x1b'));
        assert!(
            plain
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("Deployment/shop/web  Healthy  Degraded  Degraded  1/2")
        );
        let wide = table(
            &matrix(),
            Style {
                color: false,
                wide: true,
            },
        );
        assert!(wide.contains("Healthy 2/2  Degraded 3"), "{wide}");
        assert!(
            plain.ends_with("1 object: 1 Degraded (app shop: Degraded)\n"),
            "{plain}"
        );
    }
}
