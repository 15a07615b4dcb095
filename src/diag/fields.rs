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

/// `must be a string, not ...`: for a number or boolean, says to quote it, everywhere (YAML turns
/// `1.10` into 1.1, `010` into 10 and `yes`-like words into booleans before we see them).
pub fn not_a_string(file: &str, path: &str, v: &Value) -> Error {
    match v {
        Value::Number(n) => Diagnostic::new(
            file,
            path,
            format!("must be a string, not the number {n}; quote it (YAML reads an unquoted 1.10 as 1.1)"),
        )
        .with_hint("quote number-like values everywhere in the file, e.g. tag: \"1.10\", version: \"010\"")
        .into(),
        Value::Bool(b) => Diagnostic::new(
            file,
            path,
            format!("must be a string, not the boolean {b}; quote it (\"{b}\")"),
        )
        .with_hint("quote values that YAML reads as booleans or numbers everywhere in the file")
        .into(),
        _ => error(file, path, format!("must be a string, not {}", type_name(v))),
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
        self.object_nested(allowed, &[])
    }

    /// [`Field::object`] that knows the keys one level deeper (`("image", &["registry",
    /// "repository", "tag"])`), so a key written one level too high is pointed at its place:
    /// `tag` -> `did you mean "image.tag"?`.
    pub fn object_nested(&self, allowed: &[&str], nested: &[(&str, &[&str])]) -> Result<Obj<'a>> {
        let Value::Object(map) = self.value else {
            return Err(self.expected("a mapping"));
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let path = join(self.path, key);
                let deeper = nested
                    .iter()
                    .find(|(_, children)| children.contains(&key.as_str()));
                let d = match deeper {
                    Some((parent, _)) => Diagnostic::new(
                        self.file,
                        &path,
                        format!("unknown field (did you mean \"{parent}.{key}\"?)"),
                    )
                    .with_hint(format!(
                        "`{key}` belongs under `{parent}`: {parent}: {{{key}: ...}}"
                    )),
                    None => {
                        Diagnostic::unknown(self.file, &path, "field", key, allowed.iter().copied())
                    }
                };
                return Err(d.into());
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

    /// A string. YAML reads unquoted `1.10` as the number 1.1 and `true` as a boolean, so a
    /// number or boolean here is most likely a value that needed quotes.
    pub fn str(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| not_a_string(self.file, self.path, self.value))
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
            let s = v
                .as_str()
                .ok_or_else(|| not_a_string(self.file, &path, v))?;
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
    fn a_key_one_level_too_high_points_at_its_place() {
        let v = json!({"clusters": ["a"], "tag": "v2"});
        let err = Field::new("k.yaml", "overrides[1]", &v)
            .object_nested(&["clusters", "image"], &[("image", &["registry", "tag"])])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "k.yaml: overrides[1].tag: unknown field (did you mean \"image.tag\"?)"
        );
        assert_eq!(
            super::super::hint_of(&err),
            Some("`tag` belongs under `image`: image: {tag: ...}")
        );
    }

    #[test]
    fn numbers_and_booleans_where_strings_belong_say_to_quote() {
        let v = json!({"tag": 1.1, "on": true});
        let obj = Field::new("f", "", &v).object(&["tag", "on"]).unwrap();
        let e = obj.req("tag", |f| f.str().map(str::to_string)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: tag: must be a string, not the number 1.1; quote it (YAML reads an unquoted 1.10 as 1.1)"
        );
        assert!(super::super::hint_of(&e).unwrap().contains("tag: \"1.10\""));
        let e = obj
            .req("on", |f| f.non_empty_str().map(str::to_string))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: on: must be a string, not the boolean true; quote it (\"true\")"
        );
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
            "f: m.k: must be a string, not the number 1; quote it (YAML reads an unquoted 1.10 as 1.1)"
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
