//! Plugin stdout -> manifests, as cmp-server (`kube.SplitYAMLToString`) and repo-server
//! (`kube.SplitYAML`, list flattening) turn it into what Argo CD applies.

use serde_json::Value;

/// Where a manifest stream failed, so the caller can wrap it the way Argo CD does.
#[derive(Debug, PartialEq)]
pub enum ParseError {
    /// cmp-server could not split the stream (an `error generating manifests` on the sidecar).
    Split(String),
    /// repo-server could not turn a document into an object.
    Convert(String),
    /// repo-server could not flatten a list.
    List(String),
}

/// The manifests Argo CD would apply, in output order (tracking annotations aside).
pub fn parse(stdout: &str) -> Result<Vec<Value>, ParseError> {
    let docs = split(stdout).map_err(ParseError::Split)?;
    let mut objects = Vec::new();
    for doc in docs {
        let Value::Object(map) = &doc else {
            return Err(ParseError::Convert(format!(
                "failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                super::godecode::go_kind(&doc)
            )));
        };
        if map
            .get("kind")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(ParseError::Convert(format!(
                "failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing in '{}'",
                go_json(&doc)
            )));
        }
        match map.get("items") {
            Some(Value::Array(items)) => {
                for item in items {
                    if !item.is_object() {
                        return Err(ParseError::List(
                            "items member is not an object: map[string]interface {}".into(),
                        ));
                    }
                    objects.push(item.clone());
                }
            }
            Some(Value::Null) if !map.contains_key("spec") && !map.contains_key("status") => {}
            _ => objects.push(doc),
        }
    }
    Ok(objects)
}

/// `{`-first input is a stream of JSON values; anything else is YAML split on `---` lines.
fn split(text: &str) -> Result<Vec<Value>, String> {
    if text.trim_start().starts_with('{') {
        let mut out = Vec::new();
        for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            let v = v.map_err(|e| format!("failed to unmarshal manifest: {e}"))?;
            if !v.is_null() {
                out.push(v);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    let chunks = yaml_documents(text).map_err(|e| format!("failed to unmarshal manifest: {e}"))?;
    for chunk in chunks {
        let docs = crate::yaml::parse_stream(&chunk, "manifest").map_err(|e| {
            let cause = e.chain().last().map(|c| c.to_string()).unwrap_or_default();
            format!("failed to unmarshal manifest: error converting YAML to JSON: {cause}")
        })?;
        out.extend(docs.into_iter().filter(|d| !d.is_null()));
    }
    Ok(out)
}

/// Splits like the Kubernetes YAML reader: a line starting with `---` ends a document; only
/// white space or a comment may follow the dashes.
fn yaml_documents(text: &str) -> Result<Vec<String>, String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(format!("invalid Yaml document separator: {rest}"));
            }
            docs.push(String::new());
        } else {
            docs.last_mut().expect("never empty").push_str(line);
        }
    }
    docs.retain(|d| !d.trim().is_empty());
    Ok(docs)
}

/// Compact JSON with sorted keys and Go's HTML-safe escaping, as the error message shows it.
fn go_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", super::env::go_json_string(k), go_json(&m[k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(go_json).collect::<Vec<_>>().join(",")),
        Value::String(s) => super::env::go_json_string(s),
        other => other.to_string(),
    }
}

/// `kind/name/namespace` rows for `--summary`.
pub fn summary(objects: &[Value]) -> String {
    let field = |o: &Value, p: &str| -> String {
        o.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut rows = vec![["KIND".to_string(), "NAME".into(), "NAMESPACE".into()]];
    for o in objects {
        rows.push([
            field(o, "/kind"),
            field(o, "/metadata/name"),
            field(o, "/metadata/namespace"),
        ]);
    }
    let w0 = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rows {
        let line = format!("{:w0$}  {:w1$}  {}", r[0], r[1], r[2]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_stream_with_empty_null_and_lists() {
        let objs = parse(
            "---\n---\nnull\n---\nkind: List\nitems:\n- {kind: A}\n- {kind: B}\n---\nkind: C\nitems: null\n---\nkind: D\n--- # c\nkind: E\n",
        )
        .unwrap();
        assert_eq!(
            objs,
            vec![
                json!({"kind": "A"}),
                json!({"kind": "B"}),
                json!({"kind": "D"}),
                json!({"kind": "E"})
            ]
        );
    }

    #[test]
    fn json_stream() {
        let objs = parse("{\"kind\":\"A\"}\n{\"kind\":\"B\"} null").unwrap();
        assert_eq!(objs, vec![json!({"kind": "A"}), json!({"kind": "B"})]);
    }

    #[test]
    fn missing_kind_names_the_object_like_argo() {
        assert_eq!(
            parse("metadata: {name: x}\napiVersion: v1\n").unwrap_err(),
            ParseError::Convert(
                "failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: Object 'Kind' is missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}'".into()
            )
        );
        assert!(
            matches!(parse("just text\n").unwrap_err(), ParseError::Convert(m) if m.contains("cannot unmarshal string"))
        );
        assert!(
            matches!(parse("a: [\n").unwrap_err(), ParseError::Split(m) if m.starts_with("failed to unmarshal manifest: error converting YAML to JSON: "))
        );
        assert!(
            matches!(parse("{\"kind\": ").unwrap_err(), ParseError::Split(m) if m.starts_with("failed to unmarshal manifest: "))
        );
    }
}
