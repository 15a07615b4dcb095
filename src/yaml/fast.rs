//! A fast reader for the plain block YAML that most manifests are written in: block mappings and
//! sequences, single-line flow collections, single-line quoted scalars, and plain scalars whose
//! type cannot be in doubt. Anything else (anchors, tags, block scalars, multi-line scalars,
//! numbers other than small integers, words YAML 1.1 reads as booleans, duplicate keys, tabs,
//! CR line ends, ...) makes it give up, and serde-saphyr reads the text instead, so results are
//! always serde-saphyr's: the differential tests check that. It exists because serde-saphyr
//! spends about half of `generate`'s time on a large app (README: Benchmarks).

use serde_json::{Map, Number, Value};

/// Deepest nesting read here; deeper texts go to serde-saphyr and its own limit.
const MAX_DEPTH: usize = 64;

/// The documents of `text` (empty and null documents skipped), or None when the text is not in
/// the subset this reader knows.
pub fn parse_stream(text: &str) -> Option<Vec<Value>> {
    if text.chars().any(|c| c != '\n' && !printable(c)) {
        return None; // tabs, CR, BOM, controls: serde-saphyr decides
    }
    let mut docs = Vec::new();
    let mut lines: Vec<Line<'_>> = Vec::new();
    for raw in text.split('\n') {
        let trimmed = raw.trim_end_matches(' ');
        if let Some(rest) = trimmed.strip_prefix("---") {
            if !(rest.is_empty() || rest.trim_start().starts_with('#') && rest.starts_with(' ')) {
                return None;
            }
            docs.extend(document(&mut lines)?);
            lines.clear();
            continue;
        }
        if trimmed.starts_with("...") || trimmed.starts_with('%') {
            return None;
        }
        let indent = trimmed.len() - trimmed.trim_start_matches(' ').len();
        let content = strip_comment(&trimmed[indent..])?;
        if !content.is_empty() {
            lines.push(Line {
                indent,
                text: content,
            });
        }
    }
    docs.extend(document(&mut lines)?);
    Some(docs)
}

/// Characters YAML allows as content, minus tab and CR.
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// One document's value (None inside: not in the subset; Some(None): empty document).
fn document(lines: &mut [Line<'_>]) -> Option<Option<Value>> {
    if lines.is_empty() {
        return Some(None);
    }
    let mut pos = 0;
    let value = block(lines, &mut pos, lines[0].indent, 0)?;
    (pos == lines.len() && !value.is_null()).then_some(Some(value))
}

/// `text` without a trailing comment, trimmed; None for an unterminated quote.
fn strip_comment(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' if i == 0 || bytes[i - 1] == b' ' => return Some(text[..i].trim_end()),
            b'"' => i = closing_double(text, i)?,
            b'\'' => i = closing_single(text, i)?,
            _ => {}
        }
        i += 1;
    }
    Some(text)
}

/// Index of the `"` closing the double-quoted scalar opening at `start`.
fn closing_double(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Index of the `'` closing the single-quoted scalar opening at `start` (`''` is a quote).
fn closing_single(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The block node whose lines start at `lines[*pos]`, all at `indent`.
fn block(lines: &mut [Line<'_>], pos: &mut usize, indent: usize, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    if is_item(lines[*pos].text) {
        sequence(lines, pos, indent, depth)
    } else {
        mapping(lines, pos, indent, depth)
    }
}

fn sequence(lines: &mut [Line<'_>], pos: &mut usize, indent: usize, depth: usize) -> Option<Value> {
    let mut items = Vec::new();
    while *pos < lines.len() && lines[*pos].indent == indent && is_item(lines[*pos].text) {
        let text = lines[*pos].text;
        let rest = text[1..].trim_start_matches(' ');
        if rest.is_empty() {
            *pos += 1;
            items.push(nested(lines, pos, indent, depth)?);
        } else if entry_split(rest).is_some() || is_item(rest) {
            // `- key: value` / `- - x`: a node whose first line starts after the dash.
            let column = indent + (text.len() - rest.len());
            lines[*pos] = Line {
                indent: column,
                text: rest,
            };
            items.push(block(lines, pos, column, depth + 1)?);
        } else {
            *pos += 1;
            items.push(inline(rest)?);
            if *pos < lines.len() && lines[*pos].indent > indent {
                return None; // a continued scalar
            }
        }
    }
    Some(Value::Array(items))
}

/// The value of a key or dash with nothing after it: a deeper block, or null.
fn nested(lines: &mut [Line<'_>], pos: &mut usize, indent: usize, depth: usize) -> Option<Value> {
    match lines.get(*pos) {
        Some(next) if next.indent > indent => block(lines, pos, next.indent, depth + 1),
        _ => Some(Value::Null),
    }
}

fn mapping(lines: &mut [Line<'_>], pos: &mut usize, indent: usize, depth: usize) -> Option<Value> {
    let mut map = Map::new();
    while *pos < lines.len() && lines[*pos].indent == indent && !is_item(lines[*pos].text) {
        let (key, rest) = entry_split(lines[*pos].text)?;
        let key = key_text(key)?;
        *pos += 1;
        let value = if rest.is_empty() {
            match lines.get(*pos) {
                // A sequence may sit at the key's own indentation.
                Some(next) if next.indent == indent && is_item(next.text) => {
                    sequence(lines, pos, indent, depth + 1)?
                }
                _ => nested(lines, pos, indent, depth)?,
            }
        } else {
            if *pos < lines.len() && lines[*pos].indent > indent {
                return None; // a continued scalar, or an error serde-saphyr should report
            }
            inline(rest)?
        };
        if map.insert(key, value).is_some() {
            return None; // duplicate key: serde-saphyr reports it
        }
    }
    if *pos < lines.len() && lines[*pos].indent > indent {
        return None;
    }
    Some(Value::Object(map))
}

/// `key: rest` split at the key's colon (outside quotes, followed by a space or the end).
fn entry_split(text: &str) -> Option<(&str, &str)> {
    let end = match text.as_bytes().first()? {
        b'[' | b'{' => return None, // a flow node, not a key
        b'"' => closing_double(text, 0)? + 1,
        b'\'' => closing_single(text, 0)? + 1,
        _ => text.find(':')?,
    };
    let after = &text[end..];
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((
        text[..end].trim_end_matches(' '),
        rest.trim_start_matches(' '),
    ))
}

/// A mapping key: a quoted scalar, or a plain word that can only be a string.
fn key_text(key: &str) -> Option<String> {
    match key.as_bytes().first()? {
        b'"' | b'\'' => match quoted(key)? {
            (s, "") => Some(s),
            _ => None,
        },
        _ if key.contains(['[', ']', '{', '}', ',', '"', '\'', '#']) => None,
        _ => match plain(key)? {
            Value::String(s) => Some(s),
            _ => None,
        },
    }
}

/// A value on the rest of a line: quoted, flow collection or plain.
fn inline(text: &str) -> Option<Value> {
    match text.as_bytes().first()? {
        b'"' | b'\'' => match quoted(text)? {
            (s, "") => Some(Value::String(s)),
            _ => None,
        },
        b'[' | b'{' => {
            let (v, rest) = flow(text, 0)?;
            rest.is_empty().then_some(v)
        }
        _ => {
            // `host:5000/app:1.0` is a plain scalar; `a: b` and `a:` would be a mapping.
            if text.contains(['[', ']', '{', '}', '"', '\'', '#'])
                || text.contains(": ")
                || text.ends_with(':')
            {
                return None;
            }
            plain(text)
        }
    }
}

/// A quoted scalar at the start of `text`, and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    if text.starts_with('\'') {
        let end = closing_single(text, 0)?;
        return Some((text[1..end].replace("''", "'"), &text[end + 1..]));
    }
    let end = closing_double(text, 0)?;
    let inner = &text[1..end];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            '"' => '"',
            '/' => '/',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            _ => return None,
        });
    }
    Some((out, &text[end + 1..]))
}

/// A flow collection at the start of `text` (one line), and what follows it, trimmed.
fn flow(text: &str, depth: usize) -> Option<(Value, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (close, is_map) = match text.as_bytes()[0] {
        b'[' => (b']', false),
        _ => (b'}', true),
    };
    let mut rest = text[1..].trim_start_matches(' ');
    let mut list = Vec::new();
    let mut map = Map::new();
    if let Some(after) = rest.strip_prefix(close as char) {
        return Some((
            if is_map {
                Value::Object(map)
            } else {
                Value::Array(list)
            },
            after.trim_start_matches(' '),
        ));
    }
    loop {
        if is_map {
            let (key, after) = flow_scalar(rest, depth)?;
            let key = match key {
                Value::String(k) => k,
                _ => return None,
            };
            let after = after.strip_prefix(':')?;
            if !after.starts_with(' ') {
                return None;
            }
            let (value, after) = flow_scalar(after.trim_start_matches(' '), depth)?;
            if map.insert(key, value).is_some() {
                return None;
            }
            rest = after;
        } else {
            let (value, after) = flow_scalar(rest, depth)?;
            list.push(value);
            rest = after;
        }
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches(' ');
            if rest.starts_with(close as char) {
                return None; // a trailing comma
            }
            continue;
        }
        let after = rest.strip_prefix(close as char)?;
        let value = if is_map {
            Value::Object(map)
        } else {
            Value::Array(list)
        };
        return Some((value, after.trim_start_matches(' ')));
    }
}

/// One flow node (scalar or nested collection) and what follows it, trimmed.
fn flow_scalar(text: &str, depth: usize) -> Option<(Value, &str)> {
    match text.as_bytes().first()? {
        b'[' | b'{' => flow(text, depth + 1),
        b'"' | b'\'' => {
            let (s, rest) = quoted(text)?;
            Some((Value::String(s), rest.trim_start_matches(' ')))
        }
        _ => {
            let end = text.find([',', ']', '}', ':']).unwrap_or(text.len());
            let word = text[..end].trim_end_matches(' ');
            if word.contains(['[', '{', '"', '\'', '#']) {
                return None;
            }
            Some((plain(word)?, &text[end..]))
        }
    }
}

/// A plain scalar, typed as YAML's core schema would type it, when that cannot be in doubt.
fn plain(text: &str) -> Option<Value> {
    let first = *text.as_bytes().first()?;
    match text {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // YAML 1.1 booleans and the float words in other spellings: leave them to serde-saphyr.
    const DOUBTFUL: [&str; 13] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "nan", "infinity",
        "nil",
    ];
    if DOUBTFUL.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return None;
    }
    // Letters first, or two dashes (`--flag`): no number, null or boolean looks like that.
    if first.is_ascii_alphabetic()
        || first == b'/'
        || (text.starts_with("--") && !text.starts_with("---"))
    {
        return Some(Value::String(text.to_string()));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 18
            || (digits.starts_with('0') && digits != "0")
            || (negative && digits == "0")
        {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        return Some(Value::Number(if negative {
            Number::from(-(n as i64))
        } else {
            Number::from(n)
        }));
    }
    // Quantities and the like (`100m`, `128Mi`): digits then letters no number syntax uses.
    if !negative
        && first.is_ascii_digit()
        && text.bytes().all(|b| b.is_ascii_alphanumeric())
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && !text
            .bytes()
            .any(|b| matches!(b, b'e' | b'E' | b'x' | b'X' | b'o' | b'O' | b'b' | b'B'))
    {
        return Some(Value::String(text.to_string()));
    }
    None
}

/// The tests' one seeded random source (shared with `tests/common`; not every user calls every
/// method).
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../tests/common/rng.rs"]
mod test_rng;

#[cfg(test)]
mod tests {
    use super::*;

    /// serde-saphyr's reading, as `yaml::parse_stream` does it without this reader.
    fn saphyr(text: &str) -> Result<Vec<Value>, String> {
        let docs: Vec<Option<Value>> =
            serde_saphyr::from_multiple_with_options(text, super::super::options())
                .map_err(|e| e.to_string())?;
        Ok(docs
            .into_iter()
            .flatten()
            .filter(|v| !v.is_null())
            .collect())
    }

    /// Whenever this reader answers, serde-saphyr gives the same documents.
    fn agrees(text: &str) -> bool {
        let Some(ours) = parse_stream(text) else {
            return false;
        };
        match saphyr(text) {
            Ok(theirs) => assert_eq!(ours, theirs, "differs from serde-saphyr on:\n{text}"),
            Err(e) => panic!("accepted what serde-saphyr rejects ({e}):\n{text}"),
        }
        true
    }

    #[test]
    fn reads_typical_manifests() {
        let text = r#"
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # trailing comment
  labels: {app.kubernetes.io/name: web, tier: "front end"}
  annotations:
    example.com/note: 'it''s # not a comment'
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com:5000/team/web:1.0.1
        args: ["--port=8080", --verbose]
        command:
          - /bin/app
          - --flag
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        env:
          - {name: A, value: "x\ty"}
          - name: EMPTY
          -
      tolerations: []
      nodeSelector: {}
      hostNetwork: false
      priority: -5
      nothing: ~
---
---
kind: List
items:
- - nested
  - 0
"#;
        assert!(agrees(text));
    }

    #[test]
    fn leaves_the_rest_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: yes\n",
            "a: On\n",
            "a: 1.5\n",
            "a: 0x10\n",
            "a: 012\n",
            "a: 1e3\n",
            "a: 2001-12-14\n",
            "a: .inf\n",
            "a: b\n  continued\n",
            "a: \"multi\n  line\"\n",
            "a: 1\na: 2\n",
            "<<: {a: 1}\n",
            "a:\tb\n",
            "a: b\r\n",
            "%YAML 1.2\n---\na: 1\n",
            "? a\n: b\n",
            "a: [1, 2,]\n",
            "a: [\n  1]\n",
            "just a scalar\n",
            "a: \"\\x41\"\n",
            "80: http\n",
        ] {
            assert!(parse_stream(text).is_none(), "{text:?}");
            let _ = saphyr(text); // and serde-saphyr gets it, whatever it makes of it
        }
    }

    /// Every YAML file of this repository that the reader takes gives serde-saphyr's documents.
    #[test]
    fn agrees_on_the_repository() {
        let texts = repository_yaml();
        let taken = texts.iter().filter(|t| agrees(t)).count();
        let files = texts.len();
        assert!(files > 300 && taken > files / 3, "{taken} of {files} files");
    }

    /// The same files, each damaged in many small ways: the reader gives up or agrees.
    #[test]
    fn agrees_on_damaged_repository_files() {
        const INSERTS: &[&str] = &[
            ":", ": ", " #", "'", "\"", "- ", "[", "{", "0", "yes", "&a ", "*a", "  ",
        ];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut taken = 0;
        for text in repository_yaml()
            .iter()
            .filter(|t| parse_stream(t).is_some())
        {
            for _ in 0..30 {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let i = rng.below(lines.len());
                match rng.below(5) {
                    0 => lines[i].insert(0, ' '),
                    1 => lines[i] = lines[i].trim_start().to_string(),
                    2 => lines.insert(i, lines[i].clone()),
                    3 => {
                        let at = rng.below(lines[i].len() + 1);
                        if lines[i].is_char_boundary(at) {
                            let insert = *rng.pick(INSERTS);
                            lines[i].insert_str(at, insert);
                        }
                    }
                    _ => {
                        let j = rng.below(lines.len());
                        lines.swap(i, j);
                    }
                }
                if agrees(&(lines.join("\n") + "\n")) {
                    taken += 1;
                }
            }
        }
        assert!(taken > 1_000, "only {taken} damaged files were read here");
    }

    fn repository_yaml() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.to_path_buf()];
        let mut texts = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || name == "target" {
                    continue;
                }
                let kind = entry.file_type().unwrap();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                    texts.extend(std::fs::read_to_string(&path).ok());
                }
            }
        }
        texts.sort();
        texts
    }

    use super::test_rng::Rng;

    /// Scalars near every edge of YAML's typing and quoting.
    const SCALARS: &[&str] = &[
        "a",
        "web",
        "x y",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "null",
        "Null",
        "~",
        "NULL",
        "nULL",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "0",
        "1",
        "-1",
        "-0",
        "00",
        "007",
        "12",
        "123456789012345678",
        "1234567890123456789",
        "18446744073709551616",
        "1.5",
        "1e3",
        "1E3",
        "0x1F",
        "0o17",
        "0b1",
        "1_000",
        ".5",
        "-.inf",
        ".inf",
        ".NaN",
        "inf",
        "nan",
        "100m",
        "128Mi",
        "5Gi",
        "1b",
        "2e",
        "3x",
        "1.0.1",
        "2001-12-14",
        "12:30",
        "1:20",
        "a:b",
        "host:5000/app:1.0",
        "a: b",
        "a:",
        "-",
        "--flag",
        "--port=8080",
        "---",
        "-x",
        "+1",
        "a#b",
        "a #b",
        "#x",
        "\"q\"",
        "\"a\\\"b\"",
        "\"\\t\"",
        "\"\\u00e9\"",
        "'s'",
        "'it''s'",
        "''",
        "\"\"",
        "[]",
        "{}",
        "[a, b]",
        "{a: b}",
        "[a, [b, c]]",
        "{a: [1, 2]}",
        "[a,b]",
        "{a:b}",
        "[a, ]",
        "&x a",
        "*x",
        "!t a",
        "|",
        ">",
        "%",
        "@x",
        "`x`",
        "?",
        ",",
        "é",
        "naïve",
        "/path",
        "<<",
        "=",
        "a b  c",
        "a\\b",
        "a'b",
        "a\"b",
        "a{b",
        "a]b",
    ];
    const KEYS: &[&str] = &[
        "a",
        "b",
        "name",
        "app.kubernetes.io/name",
        "\"quoted key\"",
        "'single'",
        "1",
        "-k",
        "a b",
        "a#b",
        "true",
        "null",
        "a[0]",
        "?x",
        "k",
    ];

    fn node(rng: &mut Rng, out: &mut String, indent: usize, depth: u32) {
        let pad = " ".repeat(indent);
        let step = if rng.below(2) == 0 { 2 } else { 4 };
        if depth > 3 || rng.below(3) == 0 {
            out.push(' ');
            // Half the time a scalar this reader takes, so that whole documents get through.
            let common = [
                "web",
                "1",
                "100m",
                "host:5000/app:1.0",
                "--flag",
                "\"q\"",
                "[a, 1]",
                "{a: b}",
                "~",
            ];
            let from: &[&str] = if rng.below(2) == 0 { &common } else { SCALARS };
            let scalar: &&str = rng.pick(from);
            out.push_str(scalar);
            if rng.below(6) == 0 {
                out.push_str(" # c");
            }
            out.push('\n');
            return;
        }
        out.push('\n');
        let entries = 1 + rng.below(3);
        if rng.below(2) == 0 {
            let at = if rng.below(3) == 0 {
                indent
            } else {
                indent + step
            };
            for _ in 0..entries {
                out.push_str(&" ".repeat(at));
                out.push('-');
                node(rng, out, at + 2, depth + 1);
            }
        } else {
            for i in 0..entries {
                out.push_str(&pad);
                out.push_str(&" ".repeat(step));
                let key = if i > 0 && rng.below(8) == 0 {
                    &"a"
                } else {
                    rng.pick(KEYS)
                };
                out.push_str(key);
                out.push(':');
                node(rng, out, indent + step, depth + 1);
                if rng.below(10) == 0 {
                    out.push_str("\n# between\n");
                }
            }
        }
    }

    /// Random documents and random damage to them: the reader either gives up or agrees.
    #[test]
    fn agrees_on_generated_documents() {
        let seed = std::env::var("YAML_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok());
        let mut rng = Rng(seed.unwrap_or(0x9e37_79b9_7f4a_7c15));
        let mut taken = 0;
        for _ in 0..50_000 {
            let mut text = String::new();
            for _ in 0..1 + rng.below(2) {
                if rng.below(2) == 0 {
                    text.push_str("---\n");
                }
                text.push_str("root:");
                node(&mut rng, &mut text, 0, 0);
            }
            if rng.below(3) == 0 {
                // Damage: drop, repeat or shift a byte range.
                let mut bytes = text.into_bytes();
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, b' '),
                    _ => bytes.insert(at, *b":-#'\"[{ \n".get(rng.below(9)).unwrap()),
                }
                let Ok(damaged) = String::from_utf8(bytes) else {
                    continue;
                };
                text = damaged;
            }
            if agrees(&text) {
                taken += 1;
            }
        }
        assert!(taken > 5_000, "only {taken} generated texts were read here");
    }
}
