//! YAML streams in and out, as `serde_json::Value` documents.
//!
//! Parsing is bounded (serde-saphyr's budget stops alias bombs and runaway inputs); emitting is
//! deterministic: the same values give the same bytes.

use anyhow::{Context, Result, bail};
use serde_json::Value;

mod fast;

/// Largest YAML/JSON text we parse in one go.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_events: 20_000_000,
            max_depth: 200,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    }
}

/// Parses one or more YAML (or JSON) documents; empty and `null` documents are skipped, as
/// Kubernetes tooling does. `origin` names the input in errors.
pub fn parse_stream(text: &str, origin: &str) -> Result<Vec<Value>> {
    if text.len() > MAX_INPUT_BYTES {
        bail!(
            "{origin}: {} bytes is over the {} byte limit",
            text.len(),
            MAX_INPUT_BYTES
        );
    }
    if let Some(docs) = fast::parse_stream(text) {
        return Ok(docs);
    }
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))
        .with_context(|| format!("{origin}: invalid YAML"))?;
    Ok(docs
        .into_iter()
        .flatten()
        .filter(|v| !v.is_null())
        .collect())
}

/// Appends `text` as the body of a literal block scalar (`key: |`), each line indented by
/// `indent` (empty lines stay empty). `text` must not start with a space.
pub fn push_literal_block(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Parses exactly one YAML document (an empty text is `null`).
pub fn parse_one(text: &str, origin: &str) -> Result<Value> {
    let mut docs = parse_stream(text, origin)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        n => bail!("{origin}: expected one YAML document, found {n}"),
    }
}

/// One document as YAML text (no leading `---`).
pub fn to_string(v: &Value) -> Result<String> {
    serde_saphyr::to_string(v).context("cannot write YAML")
}

/// A stream of documents, each starting with `---`.
pub fn to_stream<'a, I>(docs: I) -> Result<String>
where
    I: IntoIterator<Item = &'a Value>,
{
    let docs: Vec<&Value> = docs.into_iter().collect();
    // Documents are written independently on a few threads, then joined in order.
    let texts = crate::parallel::map(&docs, |d| to_string(d));
    let mut out = String::with_capacity(texts.iter().flatten().map(|t| t.len() + 5).sum());
    for text in texts {
        let text = text?;
        out.push_str("---\n");
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// `Value::pointer` without its per-segment allocations (serde_json unescapes every segment into
/// a new String); hot paths look up a few fixed pointers on every object for every override entry.
/// Same result as `v.pointer(p)` for every `p` (pointers with `~` escapes take serde_json's path).
pub fn pointer<'a>(v: &'a Value, p: &str) -> Option<&'a Value> {
    if p.contains('~') {
        return v.pointer(p);
    }
    if p.is_empty() {
        return Some(v);
    }
    let rest = p.strip_prefix('/')?;
    rest.split('/').try_fold(v, |cur, seg| match cur {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => array_index(seg).and_then(|i| a.get(i)),
        _ => None,
    })
}

/// An array index as RFC 6901 (and serde_json) reads it: digits, no sign, no leading zero.
fn array_index(seg: &str) -> Option<usize> {
    if seg.starts_with('+') || (seg.starts_with('0') && seg.len() != 1) {
        return None;
    }
    seg.parse().ok()
}

/// serde-saphyr renders errors with snippets over several lines; keep the first and the location
/// line so the user's first stderr line stays self-contained.
fn one_line(msg: &str) -> String {
    let mut lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("parse error").to_string();
    match lines.find(|l| l.starts_with("-->") || l.contains("line ")) {
        Some(loc) if !first.contains("line ") => {
            format!("{first} ({})", loc.trim_start_matches("-->").trim())
        }
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_streams_and_skips_empty_docs() {
        let docs = parse_stream("---\na: 1\n---\n---\nnull\n---\nb: [x]\n", "t").unwrap();
        assert_eq!(docs, vec![json!({"a": 1}), json!({"b": ["x"]})]);
    }

    #[test]
    fn parses_json() {
        let docs = parse_stream(r#"{"kind": "List", "items": []}"#, "t").unwrap();
        assert_eq!(docs, vec![json!({"kind": "List", "items": []})]);
    }

    #[test]
    fn rejects_alias_bombs() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            bomb.push_str(&format!(
                "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let err = parse_stream(&bomb, "bomb.yaml").unwrap_err();
        assert!(
            format!("{err:#}").starts_with("bomb.yaml: invalid YAML"),
            "{err:#}"
        );
    }

    #[test]
    fn rejects_duplicate_keys() {
        let err = parse_stream("a: 1\na: 2\n", "dup.yaml").unwrap_err();
        assert!(format!("{err:#}").contains("dup.yaml"), "{err:#}");
    }

    #[test]
    fn round_trips_tricky_scalars() {
        let v = json!({
            "s": ["yes", "no", "on", "1.0", "null", "~", "", "0x10", "a: b", "- x", "#c", "1e3", "true"],
            "n": [1, -2, 1.5],
            "b": [true, false],
            "z": null,
            "multi": "line1\nline2\n",
        });
        let text = to_stream([&v]).unwrap();
        assert!(text.starts_with("---\n"));
        assert_eq!(parse_one(&text, "t").unwrap(), v, "{text}");
    }

    #[test]
    fn pointer_agrees_with_serde_json() {
        let v = json!({
            "spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}},
            "a/b": {"m~n": 1}, "": {"": 2}, "arr": [[0, 1], {"0": "k"}], "n": null,
        });
        let cases = [
            "",
            "/",
            "//",
            "/spec",
            "/spec/template/spec/containers/1/name",
            "/spec/template/spec/containers/01",
            "/spec/template/spec/containers/+1",
            "/spec/template/spec/containers/-",
            "/spec/template/spec/containers/2",
            "/spec/template/spec/containers/1a",
            "/a~1b/m~0n",
            "/a~1b",
            "/a/b",
            "/arr/0/1",
            "/arr/1/0",
            "/arr/00",
            "/n",
            "/n/x",
            "spec",
            "/spec/",
            "/missing/x",
            "/arr/18446744073709551616",
        ];
        for p in cases {
            assert_eq!(pointer(&v, p), v.pointer(p), "pointer {p:?}");
        }
    }

    #[test]
    fn emits_deterministically() {
        let v = json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
        assert_eq!(to_stream([&v]).unwrap(), to_stream([&v]).unwrap());
    }
}
