//! Decoding a JSON value the way Go's `encoding/json` fills a struct: keys match field names
//! case-insensitively (the last matching key wins), unknown keys are ignored, `null` leaves the
//! zero value, and the first type mismatch is reported in Go's words after decoding finishes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[derive(Default)]
pub struct Decoder {
    first_error: Option<String>,
}

pub(crate) use crate::kube::go_json_kind as go_kind;

/// The value of field `name` in `obj`, matched as Go does (exact or case-folded; last key wins).
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .rev()
        // A later `null` leaves the value an earlier key set.
        .find(|(k, v)| !v.is_null() && (k.as_str() == name || fold_eq(k, name)))
        .map(|(_, v)| v)
}

/// Go's `bytes.EqualFold`-style match, including the Kelvin sign and long s folds.
fn fold_eq(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '\u{212A}' => 'k',
                '\u{17F}' => 's',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    norm(a) == norm(b)
}

impl Decoder {
    pub fn finish(self) -> Result<(), String> {
        match self.first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn mismatch(&mut self, v: &Value, strct: &str, path: &str, ty: &str) {
        if self.first_error.is_none() {
            self.first_error = Some(if strct.is_empty() {
                format!(
                    "json: cannot unmarshal {} into Go value of type {ty}",
                    go_kind(v)
                )
            } else {
                format!(
                    "json: cannot unmarshal {} into Go struct field {strct}.{path} of type {ty}",
                    go_kind(v)
                )
            });
        }
    }

    /// The top-level value must be an object.
    pub fn root<'a>(&mut self, v: &'a Value, ty: &str) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                if self.first_error.is_none() {
                    self.first_error = Some(format!(
                        "json: cannot unmarshal {} into Go value of type {ty}",
                        go_kind(other)
                    ));
                }
                None
            }
        }
    }

    pub fn object<'a>(
        &mut self,
        v: Option<&'a Value>,
        strct: &str,
        path: &str,
        ty: &str,
    ) -> Option<&'a Map<String, Value>> {
        match v? {
            Value::Object(m) => Some(m),
            other => {
                self.mismatch(other, strct, path, ty);
                None
            }
        }
    }

    pub fn string(&mut self, v: Option<&Value>, strct: &str, path: &str) -> String {
        self.opt_string(v, strct, path).unwrap_or_default()
    }

    pub fn opt_string(&mut self, v: Option<&Value>, strct: &str, path: &str) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.mismatch(other, strct, path, "string");
                None
            }
        }
    }

    pub fn boolean(&mut self, v: Option<&Value>, strct: &str, path: &str) -> bool {
        match v {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.mismatch(other, strct, path, "bool");
                false
            }
        }
    }

    pub fn strings(&mut self, v: Option<&Value>, strct: &str, path: &str) -> Vec<String> {
        self.opt_strings(v, strct, path).unwrap_or_default()
    }

    pub fn opt_strings(
        &mut self,
        v: Option<&Value>,
        strct: &str,
        path: &str,
    ) -> Option<Vec<String>> {
        match v? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|i| match i {
                        Value::String(s) => Some(s.clone()),
                        // A null element stays the zero value.
                        Value::Null => Some(String::new()),
                        other => {
                            self.mismatch(other, strct, path, "string");
                            None
                        }
                    })
                    .collect(),
            ),
            other => {
                self.mismatch(other, strct, path, "[]string");
                None
            }
        }
    }

    pub fn opt_string_map(
        &mut self,
        v: Option<&Value>,
        strct: &str,
        path: &str,
    ) -> Option<BTreeMap<String, String>> {
        match v? {
            Value::Object(m) => Some(
                m.iter()
                    .filter_map(|(k, i)| match i {
                        Value::String(s) => Some((k.clone(), s.clone())),
                        Value::Null => Some((k.clone(), String::new())),
                        other => {
                            self.mismatch(other, strct, path, "string");
                            None
                        }
                    })
                    .collect(),
            ),
            other => {
                self.mismatch(other, strct, path, "map[string]string");
                None
            }
        }
    }

    /// A JSON array of objects; non-object elements are reported against `elem_ty`.
    pub fn objects<'a>(
        &mut self,
        v: Option<&'a Value>,
        strct: &str,
        path: &str,
        list_ty: &str,
        elem_ty: &str,
    ) -> Vec<Option<&'a Map<String, Value>>> {
        match v {
            None => vec![],
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::Object(m) => Some(m),
                    Value::Null => None,
                    other => {
                        self.mismatch(other, strct, path, elem_ty);
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.mismatch(other, strct, path, list_ty);
                vec![]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_match_case_insensitively_last_wins() {
        let v = json!({"Command": ["a"], "command": ["b"], "COMMAND": ["c"]});
        let m = v.as_object().unwrap();
        assert_eq!(field(m, "command"), Some(&json!(["c"])));
        let v = json!({"\u{212A}ind": "x"});
        assert_eq!(field(v.as_object().unwrap(), "kind"), Some(&json!("x")));
    }

    #[test]
    fn reports_the_first_type_error_in_go_words() {
        let mut d = Decoder::default();
        let v = json!({"command": "sh", "args": [1]});
        let m = v.as_object().unwrap();
        d.strings(field(m, "command"), "Command", "spec.generate.command");
        d.strings(field(m, "args"), "Command", "spec.generate.args");
        assert_eq!(
            d.finish().unwrap_err(),
            "json: cannot unmarshal string into Go struct field Command.spec.generate.command of type []string"
        );
    }
}
