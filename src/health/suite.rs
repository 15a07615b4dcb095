//! Argo CD-format health test suites (`util/lua/health_test.go`): every `health_test.yaml` under
//! the given directories, each case's object evaluated with the script Argo CD would pick for the
//! object's group/Kind: among the scripts found (exact `<group>/<Kind>/health.lua` first, then the
//! wildcard directories, `_` standing for `*`), or among an argocd-cm's overrides, as at runtime.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::argo::health::{HealthStatus, VmOptions, evaluate_health};
use crate::argo::settings::{ResourceOverrides, config_map_key, key_of, path_match};
use crate::health::r#gen;

/// A library of scripts keyed by `group/Kind` (the script's two parent directory names).
#[derive(Debug, Default)]
pub struct Library {
    scripts: BTreeMap<String, (PathBuf, String)>,
}

impl Library {
    /// The script for an object: the exact key, then the wildcard directories in sorted order.
    pub fn resolve(&self, group: &str, kind: &str) -> Option<(&str, &str)> {
        let key = key_of(group, kind);
        if let Some((k, (_, src))) = self.scripts.get_key_value(&key) {
            return Some((k.as_str(), src.as_str()));
        }
        self.scripts
            .iter()
            .filter(|(k, _)| k.contains('_'))
            .find(|(k, _)| path_match(&k.replace('_', "*"), &key))
            .map(|(k, (_, src))| (k.as_str(), src.as_str()))
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }
}

/// Where a case's script comes from.
#[derive(Debug, Clone, Copy)]
pub enum Scripts<'a> {
    /// The `health.lua` files found beside the suites (Argo CD's built-in library layout).
    Found(&'a Library),
    /// An argocd-cm's health overrides, each with its own `useOpenLibs`.
    ConfigMap(&'a ResourceOverrides),
}

impl Scripts<'_> {
    /// `(key, source, open libs if the source decides it)`.
    fn resolve(&self, group: &str, kind: &str) -> Option<(&str, &str, Option<bool>)> {
        match self {
            Scripts::Found(lib) => lib.resolve(group, kind).map(|(k, s)| (k, s, None)),
            Scripts::ConfigMap(o) => o
                .health_script(group, kind)
                .map(|h| (h.key, h.source, Some(h.open_libs))),
        }
    }
}

/// One case of a suite.
#[derive(Debug, Clone)]
pub struct Case {
    /// The `health_test.yaml` that lists the case.
    pub suite: PathBuf,
    pub input_path: String,
    pub expected: HealthStatus,
}

/// What a case gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Case,
    /// `group/Kind` key of the script used.
    pub script: Option<String>,
    pub actual: Result<HealthStatus, String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(&self.actual, Ok(hs) if *hs == self.case.expected)
    }
}

/// Everything found under some directories.
#[derive(Debug, Default)]
pub struct Suites {
    pub library: Library,
    pub cases: Vec<Case>,
}

/// Walks `dirs` for `health.lua` and `health_test.yaml` (symlinks are not followed).
pub fn discover(dirs: &[PathBuf]) -> Result<Suites> {
    let mut out = Suites::default();
    for dir in dirs {
        if !dir.is_dir() {
            bail!("{}: not a directory", dir.display());
        }
        let mut files = Vec::new();
        walk(dir, &mut files).with_context(|| dir.display().to_string())?;
        files.sort();
        for f in files {
            match f.file_name().and_then(|n| n.to_str()) {
                Some("health.lua") => {
                    let src = load_script(&f)?;
                    // The key needs both parent directories, even under `health test Kind`.
                    let key = script_key(&std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone()));
                    out.library.scripts.entry(key).or_insert((f.clone(), src));
                }
                Some("health_test.yaml") => out.cases.extend(read_suite(&f)?),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// A `health.lua` as Argo CD would run it. In a library laid out like ours (a `_lib` directory
/// in the script's directory or above), its `require("x")` lines are resolved from `_lib` the
/// way `gen` inlines them; other scripts are taken as they are.
fn load_script(path: &Path) -> Result<String> {
    let origin = path.display().to_string();
    let src = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    let Some(modules) = modules_dir(path) else {
        return Ok(src);
    };
    r#gen::inline(&src, &origin, &|module| {
        let file = modules.join(format!("{module}.lua"));
        // Module paths cannot climb (`gen` refuses `..`); a symlink could, so none is read.
        if file
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            bail!("{}: a module must not be a symlink", file.display());
        }
        std::fs::read_to_string(&file)
            .with_context(|| format!("{}: cannot read module", file.display()))
    })
}

/// The nearest `_lib` directory (not a symlink) beside the script's directory or above it.
fn modules_dir(script: &Path) -> Option<PathBuf> {
    let script = std::fs::canonicalize(script).ok()?;
    script
        .ancestors()
        .skip(1)
        .map(|dir| dir.join(r#gen::MODULES_DIR))
        .find(|d| d.symlink_metadata().is_ok_and(|m| m.is_dir()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&entry.path(), out)?;
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// `<group>/<Kind>` from `.../<group>/<Kind>/health.lua`.
fn script_key(path: &Path) -> String {
    let mut comps = path
        .parent()
        .into_iter()
        .flat_map(|p| p.components().rev())
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let kind = comps.next().unwrap_or_default();
    let group = comps.next().unwrap_or_default();
    key_of(&group, &kind)
}

/// Reads a `health_test.yaml`; keys match case-insensitively, as Go's JSON decoding does.
pub fn read_suite(path: &Path) -> Result<Vec<Case>> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{origin}: cannot read"))?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = parse_object(&text, &origin)?;
    let tests = match field(&doc, "tests") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(t)) => t,
        Some(_) => bail!("{origin}: tests: must be a list"),
    };
    let mut cases = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        let at = || format!("{origin}: tests[{i}]");
        let input_path = match field(t, "inputPath") {
            Some(Value::String(s)) => s.clone(),
            _ => bail!("{}: inputPath: missing or not a string", at()),
        };
        let hs = field(t, "healthStatus");
        let text = |name: &str| -> Result<String> {
            match hs.and_then(|h| field(h, name)) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => bail!("{}: healthStatus.{name}: must be a string", at()),
            }
        };
        cases.push(Case {
            suite: path.to_path_buf(),
            input_path,
            expected: HealthStatus {
                status: text("status")?,
                message: text("message")?,
            },
        });
    }
    Ok(cases)
}

/// A map field by case-insensitive name (the last match wins, as in Go).
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .next_back()
}

/// Parses an object the way Argo CD's YAML loading (go-yaml v2 under `sigs.k8s.io/yaml`) treats
/// it: one document, and a repeated key keeps its last value.
pub fn parse_object(text: &str, origin: &str) -> Result<Value> {
    if text.len() > crate::yaml::MAX_INPUT_BYTES {
        bail!(
            "{origin}: {} bytes is over the {} byte limit",
            text.len(),
            crate::yaml::MAX_INPUT_BYTES
        );
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_events: 20_000_000,
            max_depth: 200,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
    };
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().lines().next().unwrap_or("")))
        .with_context(|| format!("{origin}: invalid YAML"))?;
    let mut docs: Vec<Value> = docs
        .into_iter()
        .flatten()
        .filter(|v| !v.is_null())
        .collect();
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => bail!("{origin}: no object in the file"),
        n => bail!("{origin}: expected one object, found {n} YAML documents"),
    }
}

/// Runs one case.
pub fn run_case(scripts: Scripts<'_>, case: &Case, opts: &VmOptions) -> Outcome {
    let dir = case.suite.parent().unwrap_or(Path::new("."));
    let input = dir.join(&case.input_path);
    let result = (|| -> Result<(Option<String>, Result<HealthStatus, String>)> {
        let text = std::fs::read_to_string(&input)
            .with_context(|| format!("{}: cannot read", input.display()))?;
        let obj = parse_object(&text, &input.display().to_string())?;
        let (group, kind) = config_map_key(&obj);
        let Some((key, script, open_libs)) = scripts.resolve(&group, &kind) else {
            bail!("no health script for '{}'", key_of(&group, &kind));
        };
        let opts = VmOptions {
            open_libs: open_libs.unwrap_or(opts.open_libs),
            ..opts.clone()
        };
        let actual = evaluate_health(script, &obj, &opts).map_err(|e| format!("{e:#}"));
        Ok((Some(key.to_string()), actual))
    })();
    let (script, actual) = match result {
        Ok(r) => r,
        Err(e) => (None, Err(format!("{e:#}"))),
    };
    Outcome {
        case: case.clone(),
        script,
        actual,
    }
}

/// Runs every case, with the scripts found beside the suites or, if given, an argocd-cm's.
pub fn run(suites: &Suites, cm: Option<&ResourceOverrides>, opts: &VmOptions) -> Vec<Outcome> {
    let scripts = match cm {
        Some(o) => Scripts::ConfigMap(o),
        None => Scripts::Found(&suites.library),
    };
    suites
        .cases
        .iter()
        .map(|c| run_case(scripts, c, opts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(keys: &[&str]) -> Library {
        let mut l = Library::default();
        for k in keys {
            l.scripts
                .insert(k.to_string(), (PathBuf::from(k), format!("-- {k}")));
        }
        l
    }

    #[test]
    fn exact_key_beats_wildcard_directories() {
        let l = lib(&[
            "_.crossplane.io/_",
            "pkg.crossplane.io/Provider",
            "a_b.io/_",
        ]);
        assert_eq!(
            l.resolve("pkg.crossplane.io", "Provider").unwrap().0,
            "pkg.crossplane.io/Provider"
        );
        assert_eq!(
            l.resolve("aws.crossplane.io", "Bucket").unwrap().0,
            "_.crossplane.io/_"
        );
        // `_` in a directory name stands for `*` (sorted, first match wins)
        assert_eq!(l.resolve("aXb.io", "K").unwrap().0, "a_b.io/_");
        assert!(l.resolve("apps", "Deployment").is_none());
    }

    #[test]
    fn script_keys_come_from_the_two_parent_directories() {
        assert_eq!(
            script_key(Path::new(
                "/x/resource_customizations/apps.kruise.io/CloneSet/health.lua"
            )),
            "apps.kruise.io/CloneSet"
        );
    }

    #[test]
    fn suite_keys_are_case_insensitive() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("health_test.yaml");
        std::fs::write(
            &p,
            "Tests:\n- inputpath: a.yaml\n  HEALTHSTATUS: {STATUS: Healthy}\n- inputPath: b.yaml\n",
        )
        .unwrap();
        let cases = read_suite(&p).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].input_path, "a.yaml");
        assert_eq!(cases[0].expected.status, "Healthy");
        assert_eq!(cases[1].expected, HealthStatus::default());
    }
}
