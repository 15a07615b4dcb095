//! The module graph is one-way: leaves <- domain <- commands <- CLI, and no two modules of a
//! layer import each other (directly or through others). Reads every `src/**/*.rs`, resolves each
//! `crate::` / `super::` / `self::` path and `use` path to a module, and names the file and the
//! import that breaks the rule.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// No knowledge of Argo CD or Karmada semantics beyond facts: yaml, exec, diagnostics,
    /// artifacts, Kubernetes names, the Lua engine.
    Leaf,
    /// Argo CD's and Karmada's contracts.
    Domain,
    /// What the subcommands do (`generate`, `parameters`, `gen`, `health`, `cmp`, `status`).
    Command,
    /// Argument parsing and error printing.
    Cli,
}

/// Every module, by path (the longest matching prefix decides). A file outside this table fails
/// the test, so a new module must pick its layer.
const UNITS: &[(&str, Layer)] = &[
    ("yaml", Layer::Leaf),
    ("exec", Layer::Leaf),
    ("diag", Layer::Leaf),
    ("artifacts", Layer::Leaf),
    ("kube", Layer::Leaf),
    ("output", Layer::Leaf),
    ("quantity", Layer::Leaf),
    ("parallel", Layer::Leaf),
    // The Lua engine and its profiles.
    ("lua", Layer::Leaf),
    ("karmada", Layer::Domain),
    ("argo", Layer::Domain),
    ("health", Layer::Domain),
    ("live", Layer::Domain),
    ("render", Layer::Command),
    ("preview", Layer::Command),
    ("commands", Layer::Command),
    ("generated", Layer::Command),
    ("sidecar", Layer::Command),
    ("status", Layer::Command),
    ("interpret", Layer::Command),
    ("health::cli", Layer::Command),
    ("argo::cmp::cli", Layer::Command),
    ("cli", Layer::Cli),
    ("main", Layer::Cli),
    ("", Layer::Cli),
];

/// The unit a module path belongs to (longest prefix of whole segments), if any.
fn unit_of(path: &[String]) -> Option<&'static str> {
    UNITS
        .iter()
        .filter(|(u, _)| {
            if u.is_empty() {
                // The crate root (`lib.rs`) only, not everything below it.
                return path.is_empty();
            }
            let segs: Vec<&str> = u.split("::").collect();
            segs.len() <= path.len() && segs.iter().zip(path).all(|(a, b)| a == b)
        })
        .max_by_key(|(u, _)| u.len())
        .map(|(u, _)| *u)
}

fn layer(unit: &str) -> Layer {
    UNITS.iter().find(|(u, _)| *u == unit).unwrap().1
}

/// The module path of a file under `src/`: `karmada/policy.rs` -> `karmada::policy`.
fn module_of(rel: &str) -> Vec<String> {
    let rel = rel.trim_end_matches(".rs");
    match rel {
        "lib" => Vec::new(),
        "main" => vec!["main".to_string()],
        _ => {
            let mut segs: Vec<String> = rel.split('/').map(str::to_string).collect();
            if segs.last().is_some_and(|s| s == "mod") {
                segs.pop();
            }
            segs
        }
    }
}

/// Removes comments, string and char literals (so `"crate::x"` in a message is not an import).
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            i += 2;
            while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c[i] == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
            && {
                let mut j = i + 1;
                while c.get(j) == Some(&'#') {
                    j += 1;
                }
                c.get(j) == Some(&'"')
            }
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while c[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && next == Some('\\') {
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn tokens(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i].is_alphabetic() || c[i] == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // `r#gen` is the module `gen`.
            if word == "r" && c.get(i) == Some(&'#') {
                i += 1;
                continue;
            }
            out.push(word);
        } else if c[i] == ':' && c.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else if c[i].is_whitespace() {
            i += 1;
        } else {
            out.push(c[i].to_string());
            i += 1;
        }
    }
    out
}

/// Parses the path (or `use` tree) starting at `t[i]`, appending full paths to `out`.
fn parse_tree(
    t: &[String],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix;
    loop {
        match t.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                while i < t.len() && t[i] != "}" {
                    if t[i] == "," {
                        i += 1;
                        continue;
                    }
                    i = parse_tree(t, i, path.clone(), out);
                }
                return i + 1;
            }
            Some("self") => {
                out.push(path);
                return i + 1;
            }
            Some(w) if w.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                path.push(w.to_string());
                i += 1;
                if t.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                    continue;
                }
                // `x as y`
                if t.get(i).map(String::as_str) == Some("as") {
                    i += 2;
                }
                out.push(path);
                return i;
            }
            _ => {
                // `*` or the end of the path.
                out.push(path);
                return i + 1;
            }
        }
    }
}

/// Every module path a file refers to.
fn references(rel: &str, src: &str) -> Vec<Vec<String>> {
    let file_module = module_of(rel);
    let t = tokens(&strip(src));
    let mut out = Vec::new();
    // Inline modules (`mod tests { .. }`) with the brace depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        let current = || -> Vec<String> {
            let mut m = file_module.clone();
            m.extend(inline.iter().map(|(n, _)| n.clone()));
            m
        };
        let prev = if i > 0 { t[i - 1].as_str() } else { "" };
        match t[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                inline.retain(|(_, d)| *d <= depth);
            }
            "mod" if t.get(i + 2).map(String::as_str) == Some("{") => {
                inline.push((t[i + 1].clone(), depth + 1));
            }
            w @ ("crate" | "argocd_karmada_plugin" | "super" | "self")
                if prev != "::" && t.get(i + 1).map(String::as_str) == Some("::") =>
            {
                let mut base = match w {
                    "crate" | "argocd_karmada_plugin" => Vec::new(),
                    _ => current(),
                };
                let mut j = i;
                while t.get(j).map(String::as_str) == Some("super")
                    && t.get(j + 1).map(String::as_str) == Some("::")
                {
                    base.pop();
                    j += 2;
                }
                if w != "super" {
                    j = i + 2;
                }
                let mut found = Vec::new();
                let end = parse_tree(&t, j, base, &mut found);
                out.extend(found);
                i = end;
                continue;
            }
            // A `use` of a child module (`use inputs::Params`) in the module's own file.
            "use"
                if t.get(i + 1).is_some_and(|w| {
                    !["crate", "super", "self", "argocd_karmada_plugin", "::"].contains(&w.as_str())
                }) =>
            {
                let mut found = Vec::new();
                let end = parse_tree(&t, i + 1, current(), &mut found);
                out.extend(found);
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The rule's violations for a set of `(path under src/, source)` files.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    // unit -> unit -> one example import
    let mut edges: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    for (rel, src) in files {
        let Some(from) = unit_of(&module_of(rel)) else {
            problems.push(format!(
                "src/{rel}: module is in no layer (add it to UNITS in tests/layers.rs)"
            ));
            continue;
        };
        for path in references(rel, src) {
            let Some(to) = unit_of(&path) else { continue };
            if to == from {
                continue;
            }
            let shown = format!("src/{rel}: `crate::{}`", path.join("::"));
            if layer(to) > layer(from) {
                problems.push(format!(
                    "{shown}: {from} ({:?}) must not import {to} ({:?})",
                    layer(from),
                    layer(to)
                ));
            }
            edges.entry(from).or_default().entry(to).or_insert(shown);
        }
    }
    // Cycles between units: a path back from `to` to `from` for any edge.
    for (from, tos) in &edges {
        for (to, shown) in tos {
            let mut seen = BTreeSet::new();
            let mut stack = vec![(*to, vec![shown.clone()])];
            while let Some((at, trail)) = stack.pop() {
                if at == *from {
                    problems.push(format!("import cycle: {}", trail.join(" -> ")));
                    break;
                }
                if !seen.insert(at) {
                    continue;
                }
                for (next, how) in edges.get(at).into_iter().flatten() {
                    let mut t = trail.clone();
                    t.push(how.clone());
                    stack.push((*next, t));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

#[test]
fn the_module_graph_is_one_way() {
    let src = common::repo_root().join("src");
    let mut files = Vec::new();
    collect(&src, &src, &mut files);
    assert!(files.len() > 40, "only {} files found", files.len());
    let refs: usize = files.iter().map(|(r, s)| references(r, s).len()).sum();
    assert!(
        refs > 100,
        "only {refs} references found: the scanner is broken"
    );
    let problems = violations(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_lower_layer_importing_a_higher_one_fails() {
    let v = violations(&files(&[
        ("kube.rs", "use crate::render::AppContext;\n"),
        (
            "karmada/policy.rs",
            "use crate::{yaml, render::{self, AppContext}};\n",
        ),
        ("lua/mod.rs", "fn f() { crate::argo::settings::x(); }\n"),
    ]));
    assert_eq!(
        v,
        [
            "src/karmada/policy.rs: `crate::render::AppContext`: karmada (Domain) must not import render (Command)",
            "src/karmada/policy.rs: `crate::render`: karmada (Domain) must not import render (Command)",
            "src/kube.rs: `crate::render::AppContext`: kube (Leaf) must not import render (Command)",
            "src/lua/mod.rs: `crate::argo::settings::x`: lua (Leaf) must not import argo (Domain)",
        ]
    );
}

#[test]
fn a_cycle_between_domain_modules_fails() {
    let v = violations(&files(&[
        ("karmada/a.rs", "use crate::argo::settings;\n"),
        (
            "argo/cmp/b.rs",
            "fn f() { let s = \"crate::yaml\"; crate::karmada::naming::label(&[]); }\n",
        ),
    ]));
    assert_eq!(
        v,
        [
            "import cycle: src/argo/cmp/b.rs: `crate::karmada::naming::label` -> src/karmada/a.rs: `crate::argo::settings`",
            "import cycle: src/karmada/a.rs: `crate::argo::settings` -> src/argo/cmp/b.rs: `crate::karmada::naming::label`",
        ]
    );
}

#[test]
fn tests_modules_comments_and_strings_are_not_imports() {
    let v = violations(&files(&[(
        "kube.rs",
        "// crate::render\nconst A: &str = \"crate::cli\";\nconst B: char = '\"';\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use self::x::y;\n}\n",
    )]));
    assert!(v.is_empty(), "{v:?}");
    let v = violations(&files(&[("newmod.rs", "")]));
    assert_eq!(
        v,
        ["src/newmod.rs: module is in no layer (add it to UNITS in tests/layers.rs)"]
    );
}
