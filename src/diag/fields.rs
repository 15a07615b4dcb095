//! Reading a user's YAML mapping field by field, so every error names the file and the field path
//! and unknown keys get a did-you-mean.

use std::collections::BTreeMap;

use anyhow::{Error, Result};
use serde_json::{Map, Value};

use super::Diagnostic;

/// One value in a user file, with where it came from.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub file: &'a str,
    pub path: &'a str,
    pub value: &'a Value,
}

/// `file: path: message` (or `file: message` at the document root).
pub fn error(file: &str, path: &str, msg: impl std::fmt::Display) -> Error {
    Diagnostic::new(file, path, msg).into()
}

/// `parent.key`, or `key` at the root.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// How a value's type is named in messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl<'a> Field<'a> {
    pub fn new(file: &'a str, path: &'a str, value: &'a Value) -> Self {
        Field { file, path, value }
    }

    pub fn err(&self, msg: impl std::fmt::Display) -> Error {
        error(self.file, self.path, msg)
    }

    fn expected(&self, what: &str) -> Error {
        self.err(format!("must be {what}, not {}", type_name(self.value)))
    }

    /// A mapping whose keys must all be in `allowed`.
    pub fn object(&self, allowed: &[&str]) -> Result<Obj<'a>> {
        let Value::Object(map) = self.value else {
            return Err(self.expected("a mapping"));
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let path = join(self.path, key);
                let known = allowed.iter().copied();
                return Err(Diagnostic::unknown(self.file, &path, "field", key, known).into());
            }
        }
        Ok(Obj {
            file: self.file,
            path: self.path.to_string(),
            map,
        })
    }

    /// A mapping with arbitrary keys (e.g. cluster names), in file order.
    pub fn entries(&self) -> Result<Vec<(&'a str, &'a Value)>> {
        let Value::Object(map) = self.value else {
            return Err(self.expected("a mapping"));
        };
        Ok(map.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    pub fn str(&self) -> Result<&'a str> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    pub fn non_empty_str(&self) -> Result<&'a str> {
        let s = self.str()?;
        if s.is_empty() {
            return Err(self.err("must not be empty"));
        }
        Ok(s)
    }

    pub fn bool(&self) -> Result<bool> {
        self.value
            .as_bool()
            .ok_or_else(|| self.expected("true or false"))
    }

    pub fn int(&self) -> Result<i64> {
        self.value
            .as_i64()
            .ok_or_else(|| self.expected("an integer"))
    }

    /// An integer in `min..=max`.
    pub fn int_in(&self, min: i64, max: i64) -> Result<i64> {
        let n = self.int()?;
        if n < min || n > max {
            return Err(self.err(format!("{n} is out of range ({min}..={max})")));
        }
        Ok(n)
    }

    pub fn list(&self) -> Result<&'a [Value]> {
        match self.value {
            Value::Array(items) => Ok(items),
            _ => Err(self.expected("a list")),
        }
    }

    /// A list of strings, each non-empty and unique.
    pub fn string_list(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for (i, item) in self.list()?.iter().enumerate() {
            let path = format!("{}[{i}]", self.path);
            let f = Field::new(self.file, &path, item);
            let s = f.non_empty_str()?;
            if out.iter().any(|o| o == s) {
                return Err(f.err(format!("duplicate entry \"{s}\"")));
            }
            out.push(s.to_string());
        }
        Ok(out)
    }

    /// A mapping of string to string (labels, annotations, env); values must be quoted strings
    /// because Kubernetes stores them as strings.
    pub fn string_map(&self) -> Result<BTreeMap<String, String>> {
        Ok(self.string_pairs()?.into_iter().collect())
    }

    /// A mapping of strings, in the order the file lists them.
    pub fn string_pairs(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for (k, v) in self.entries()? {
            let path = join(self.path, k);
            let s = v.as_str().ok_or_else(|| {
                error(
                    self.file,
                    &path,
                    format!("must be a string, not {} (quote it)", type_name(v)),
                )
            })?;
            out.push((k.to_string(), s.to_string()));
        }
        Ok(out)
    }

    /// One of `choices`, with a did-you-mean when it is not.
    pub fn choice<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T> {
        let s = self.str()?;
        if let Some((_, t)) = choices.iter().find(|(name, _)| *name == s) {
            return Ok(*t);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        Err(self.err(super::not_one_of(s, names.iter().copied())))
    }
}

/// A mapping whose keys have been checked.
pub struct Obj<'a> {
    pub file: &'a str,
    pub path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// The path of `key` in this mapping.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Calls `f` with the field when present (a `null` value counts as absent).
    pub fn opt<T>(&self, key: &str, f: impl FnOnce(Field<'_>) -> Result<T>) -> Result<Option<T>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let path = self.path_of(key);
                f(Field::new(self.file, &path, v)).map(Some)
            }
        }
    }

    /// Calls `f` with the field, which must be present.
    pub fn req<T>(&self, key: &str, f: impl FnOnce(Field<'_>) -> Result<T>) -> Result<T> {
        match self.opt(key, f)? {
            Some(t) => Ok(t),
            None => Err(error(
                self.file,
                &self.path_of(key),
                "missing (this field is required)",
            )),
        }
    }

    pub fn err(&self, msg: impl std::fmt::Display) -> Error {
        error(self.file, &self.path, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_get_a_suggestion_and_a_path() {
        let v = json!({"clustrs": 1});
        let err = Field::new("k.yaml", "", &v)
            .object(&["clusters", "replicas"])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "k.yaml: clustrs: unknown field (did you mean \"clusters\"?)"
        );
        assert_eq!(
            super::super::hint_of(&err),
            Some("known fields: clusters, replicas")
        );
        let v = json!({"zzz": 1});
        let err = Field::new("k.yaml", "a", &v)
            .object(&["clusters"])
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "k.yaml: a.zzz: unknown field");
        assert_eq!(super::super::hint_of(&err), Some("known fields: clusters"));
    }

    #[test]
    fn typed_getters_name_the_field() {
        let v = json!({"n": "x", "l": ["a", "a"], "m": {"k": 1}, "c": "Divded"});
        let obj = Field::new("f", "", &v)
            .object(&["n", "l", "m", "c"])
            .unwrap();
        let e = obj.req("n", |f| f.int()).unwrap_err();
        assert_eq!(e.to_string(), "f: n: must be an integer, not a string");
        let e = obj.req("l", |f| f.string_list()).unwrap_err();
        assert_eq!(e.to_string(), "f: l[1]: duplicate entry \"a\"");
        let e = obj.req("m", |f| f.string_map()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: m.k: must be a string, not a number (quote it)"
        );
        let e = obj
            .req("c", |f| f.choice(&[("Divided", 1), ("Duplicated", 2)]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: c: \"Divded\" is not one of \"Divided\", \"Duplicated\" (did you mean \"Divided\"?)"
        );
        let e = obj
            .req("missing", |f| f.str().map(str::to_string))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: missing: missing (this field is required)"
        );
    }
}
