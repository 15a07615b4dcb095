//! `generate` / `parameters` through the binary: golden renders (`tests/render/<case>/`) and the
//! bad-input corpus (`tests/bad-input/<case>/`). See `tests/bad-input/README.md` for the case format.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files in a case directory that configure the run and are not part of the app.
const CASE_FILES: [&str; 8] = [
    "env",
    "args",
    "source",
    "expected-error.txt",
    "expected-hint.txt",
    "symlinks",
    "expected.snap",
    "helm-argv.snap",
];

/// A case, set up in a private temp repository (`<tmp>/repo/.git` + `<tmp>/repo/<case>/`).
struct Case {
    name: String,
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    app: PathBuf,
    tools: PathBuf,
    env: BTreeMap<String, String>,
    args: Vec<String>,
    helm_log: PathBuf,
}

impl Case {
    fn new(case_dir: &Path) -> Case {
        let name = case_dir.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        let app = repo.join(&name);
        // `source` names a directory of this repository to use as the app (e.g. an example).
        let source = case_dir.join("source");
        let from = if source.exists() {
            common::repo_root().join(common::read(&source).trim())
        } else {
            case_dir.to_path_buf()
        };
        common::copy_dir(&from, &app);
        for f in CASE_FILES {
            if !source.exists() {
                let _ = std::fs::remove_file(app.join(f));
            }
        }
        let mut env = BTreeMap::new();
        let env_file = case_dir.join("env");
        if env_file.exists() {
            for line in common::read(&env_file).lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{name}/env: expected KEY=VALUE, found {line:?}"));
                env.insert(k.to_string(), v.to_string());
            }
        }
        let args_file = case_dir.join("args");
        let args = if args_file.exists() {
            common::read(&args_file)
                .split_whitespace()
                .map(str::to_string)
                .collect()
        } else {
            vec!["generate".to_string()]
        };
        // Only the tools a case asks for are on PATH (default: kubectl for kustomize).
        let tools = tmp.path().join("bin");
        std::fs::create_dir_all(&tools).unwrap();
        let wanted = env
            .remove("TEST_TOOLS")
            .unwrap_or_else(|| "kubectl".to_string());
        let helm_log = tmp.path().join("helm-argv.log");
        for tool in wanted.split_whitespace() {
            match tool {
                "kubectl" | "kustomize" => {
                    if let Some(path) = common::which(tool) {
                        std::os::unix::fs::symlink(path, tools.join(tool)).unwrap();
                    } else {
                        panic!("{name}: needs `{tool}` on PATH");
                    }
                }
                "helm" => write_helm_wrapper(&tools, &helm_log, &common::helm()),
                other => panic!("{name}/env: unknown TEST_TOOLS entry {other:?}"),
            }
        }
        make_symlinks(case_dir, &app);
        extra_setup(&name, &app);
        Case {
            name,
            _tmp: tmp,
            repo,
            app,
            tools,
            env,
            args,
            helm_log,
        }
    }

    fn run(&self) -> std::process::Output {
        let tmp_home = self.repo.parent().unwrap().join("home");
        std::fs::create_dir_all(&tmp_home).unwrap();
        Command::new(common::bin())
            .args(&self.args)
            .current_dir(&self.app)
            .env_clear()
            .env("PATH", &self.tools)
            .env("HOME", &tmp_home)
            .env("TMPDIR", self.repo.parent().unwrap())
            .envs(&self.env)
            .output()
            .unwrap()
    }

    /// helm's argv as the wrapper recorded it, with the temp paths made stable.
    fn helm_argv(&self) -> Option<String> {
        let log = std::fs::read_to_string(&self.helm_log).ok()?;
        let tmp = self.repo.parent().unwrap().to_string_lossy().into_owned();
        let mut out = String::new();
        for line in log.lines() {
            let line = line.replace(&self.repo.to_string_lossy().into_owned(), "<repo>");
            let line = if line.contains(&tmp) && line.contains("/values-") {
                "arg: <inline values temp file>".to_string()
            } else {
                line
            };
            out.push_str(&line);
            out.push('\n');
        }
        Some(out)
    }
}

/// Real helm behind a wrapper that records its argv (and the content of every `--values` file),
/// so the goldens show both what we pass and what helm renders from it.
fn write_helm_wrapper(tools: &Path, log: &Path, helm: &Path) {
    let script = format!(
        "#!/bin/sh\n\
         : > '{log}'\n\
         prev=\n\
         for a in \"$@\"; do\n\
         \x20 printf 'arg: %s\\n' \"$a\" >> '{log}'\n\
         \x20 if [ \"$prev\" = --values ]; then printf 'values: %s\\n' \"$(cat \"$a\")\" >> '{log}'; fi\n\
         \x20 prev=\"$a\"\n\
         done\n\
         exec '{helm}' \"$@\"\n",
        log = log.display(),
        helm = helm.display(),
    );
    let path = tools.join("helm");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The wrapper itself needs sh and cat.
    for t in ["sh", "cat"] {
        if let Some(p) = common::which(t) {
            let _ = std::os::unix::fs::symlink(p, tools.join(t));
        }
    }
}

/// `symlinks` (`path -> target` lines): links made in the temp copy only. A committed link that
/// leaves the repository would make Argo CD refuse every app of this repository.
fn make_symlinks(case_dir: &Path, app: &Path) {
    let file = case_dir.join("symlinks");
    if !file.exists() {
        return;
    }
    for line in common::read(&file).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (link, target) = line.split_once(" -> ").unwrap_or_else(|| {
            panic!(
                "{}: expected `path -> target`, found {line:?}",
                file.display()
            )
        });
        let link = app.join(link);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
    }
}

/// Inputs too large to commit are generated here.
fn extra_setup(case: &str, app: &Path) {
    if case == "file-over-size-limit" {
        let mut text = String::from(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n",
        );
        while text.len() <= 9 * 1024 * 1024 {
            text.push_str("    0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
        }
        std::fs::write(app.join("big.yaml"), text).unwrap();
    }
}

/// Whether a case runs real helm (`helm` in `TEST_TOOLS`).
fn uses_helm(case_dir: &Path) -> bool {
    let env = case_dir.join("env");
    env.exists()
        && common::read(&env).lines().any(|l| {
            l.trim()
                .strip_prefix("TEST_TOOLS=")
                .is_some_and(|tools| tools.split_whitespace().any(|t| t == "helm"))
        })
}

/// The cases under `tests/<dir>` that do (or do not) run real helm; never too few.
fn cases(dir: &str, helm: bool) -> Vec<PathBuf> {
    let cases: Vec<PathBuf> = case_dirs(dir)
        .into_iter()
        .filter(|d| uses_helm(d) == helm)
        .collect();
    let least = match (dir, helm) {
        ("bad-input", false) => 25,
        (_, true) => 2,
        _ => 10,
    };
    assert!(
        cases.len() >= least,
        "only {} cases in tests/{dir}",
        cases.len()
    );
    cases
}

fn case_dirs(dir: &str) -> Vec<PathBuf> {
    let root = common::repo_root().join("tests").join(dir);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn golden_renders() {
    golden(cases("render", false));
}

/// The helm cases (the helm example among them), through real helm.
#[test]
#[cfg_attr(
    not(has_helm),
    ignore = "needs helm: run scripts/install-helm.sh, put it on PATH or set HELM_BIN"
)]
fn golden_renders_with_helm() {
    golden(cases("render", true));
}

fn golden(cases: Vec<PathBuf>) {
    let mut failures = Vec::new();
    for dir in cases {
        let case = Case::new(&dir);
        let out = case.run();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {stderr}",
                case.name,
                out.status.code()
            ));
            continue;
        }
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 stdout");
        let again = case.run();
        assert_eq!(
            stdout.as_bytes(),
            again.stdout.as_slice(),
            "{}: same input must give the same bytes",
            case.name
        );
        // The expected output lives with the case: `<case>/expected.snap` (and `helm-argv.snap`).
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!("expected", stdout);
            if let Some(argv) = case.helm_argv() {
                insta::assert_snapshot!("helm-argv", argv);
            }
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_input_corpus() {
    bad_input(cases("bad-input", false));
}

/// The helm failure cases, through real helm.
#[test]
#[cfg_attr(
    not(has_helm),
    ignore = "needs helm: run scripts/install-helm.sh, put it on PATH or set HELM_BIN"
)]
fn bad_input_corpus_with_helm() {
    bad_input(cases("bad-input", true));
}

fn bad_input(cases: Vec<PathBuf>) {
    let mut failures = Vec::new();
    for dir in cases {
        let case = Case::new(&dir);
        let expected = common::read(&dir.join("expected-error.txt"));
        let expected = expected.trim_end_matches('\n');
        let out = case.run();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("");
        let matches = match expected.strip_suffix("...") {
            Some(prefix) => first.starts_with(prefix),
            None => first == expected,
        };
        let mut problems = Vec::new();
        if out.status.success() {
            problems.push("exit status 0".to_string());
        }
        if !out.stdout.is_empty() {
            problems.push(format!("{} bytes on stdout", out.stdout.len()));
        }
        if !matches {
            problems.push(format!(
                "first stderr line\n    {first}\n  expected\n    {expected}"
            ));
        }
        let hint_file = dir.join("expected-hint.txt");
        if hint_file.exists() {
            let want = format!("hint: {}", common::read(&hint_file).trim_end_matches('\n'));
            let second = stderr.lines().nth(1).unwrap_or("");
            if second != want {
                problems.push(format!(
                    "second stderr line\n    {second}\n  expected\n    {want}"
                ));
            }
        }
        if stderr.contains("panicked") {
            problems.push(format!("panic: {stderr}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The README quick-start command works from a fresh clone (no external tools for guestbook).
#[test]
fn quick_start_renders_guestbook_without_tools() {
    let out = Command::new(common::bin())
        .args(["generate", "examples/guestbook"])
        .current_dir(common::repo_root())
        .env_clear()
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs =
        argocd_karmada_plugin::yaml::parse_stream(&String::from_utf8_lossy(&out.stdout), "out")
            .unwrap();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert!(
        kinds.starts_with(&["ConfigMap", "Deployment", "Service"]),
        "{kinds:?}"
    );
}

/// The README's "cluster under maintenance" command works as written: member2 loses its weight
/// and its image override, and nothing else changes.
#[test]
fn readme_cluster_under_maintenance_example() {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.ends_with("# cluster under maintenance"))
        .expect("README has the cluster-under-maintenance command");
    let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
    let (var, value) = words[0].split_once('=').unwrap();
    assert_eq!(words[1..4], ["cargo", "run", "--"], "{line}");
    let out = Command::new(common::bin())
        .args(&words[4..])
        .current_dir(common::repo_root())
        .env_clear()
        .env("PATH", "/nonexistent")
        .env(var, value)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let docs =
        argocd_karmada_plugin::yaml::parse_stream(&String::from_utf8_lossy(&out.stdout), "out")
            .unwrap();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["ConfigMap", "Deployment", "Service", "PropagationPolicy"],
        "the override for member2 is dropped"
    );
    let placement = &docs[3]["spec"]["placement"];
    assert_eq!(
        placement["clusterAffinity"]["exclude"],
        serde_json::json!(["member2"])
    );
    assert_eq!(
        placement["replicaScheduling"]["weightPreference"]["staticWeightList"],
        serde_json::json!([{"targetCluster": {"clusterNames": ["member1"]}, "weight": 2}])
    );
}

/// Regression: `gen` read an unreadable file as empty, called it stale and overwrote it.
#[test]
fn gen_never_overwrites_a_file_it_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("plugin")).unwrap();
    let bytes = b"# hand edits \xff\xfe not UTF-8\n";
    std::fs::write(tmp.path().join("plugin/plugin.yaml"), bytes).unwrap();
    for args in [&["gen"][..], &["gen", "--check"][..]] {
        let out = Command::new(common::bin())
            .args(args)
            .arg("--root")
            .arg(tmp.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("plugin/plugin.yaml: cannot read: "),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            std::fs::read(tmp.path().join("plugin/plugin.yaml")).unwrap(),
            bytes
        );
    }
}

/// Committed generated files (plugin.yaml, README settings) match the settings table.
#[test]
fn generated_files_are_fresh() {
    let out = Command::new(common::bin())
        .args(["gen", "--check", "--root"])
        .arg(common::repo_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plugin = common::read(&common::repo_root().join("plugin/plugin.yaml"));
    let plugin = argocd_karmada_plugin::yaml::parse_one(&plugin, "plugin.yaml").unwrap();
    // What Argo CD's cmp-server checks and uses.
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "argocd-karmada-plugin");
    assert_eq!(
        plugin["spec"]["version"],
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        plugin["spec"]["generate"]["command"],
        serde_json::json!(["argocd-karmada-plugin", "generate"])
    );
    assert_eq!(
        plugin["spec"]["parameters"]["dynamic"]["command"],
        serde_json::json!(["argocd-karmada-plugin", "parameters"])
    );
    // Discovery by our file name only: never capture an ordinary app.
    assert_eq!(
        plugin["spec"]["discover"],
        serde_json::json!({"fileName": "karmada.yaml"})
    );
}

/// Mutated copies of an example (bytes dropped, lines repeated, junk spliced in) never panic
/// the binary, and a failed run never leaves anything on stdout.
#[test]
fn mutated_inputs_never_panic() {
    let example = common::repo_root().join("examples/guestbook");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&example)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    let junk: [&[u8]; 8] = [
        b": [", b"\n- ", b"&a ", b"*a", b"{", b"\n---\n", b"\"", b"\t",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    let app = tmp.path().join("app");
    let mut failures = Vec::new();
    let mut rejected = 0;
    for round in 0..150 {
        let _ = std::fs::remove_dir_all(&app);
        std::fs::create_dir_all(&app).unwrap();
        let target = next(files.len());
        for (i, (name, bytes)) in files.iter().enumerate() {
            let mut bytes = bytes.clone();
            if i == target && !bytes.is_empty() {
                let at = next(bytes.len());
                match next(3) {
                    0 => {
                        let end = (at + 1 + next(20)).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    1 => {
                        let j = junk[next(junk.len())];
                        bytes.splice(at..at, j.iter().copied());
                    }
                    _ => {
                        let line_start = bytes[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |p| p + 1);
                        let line_end = bytes[at..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(bytes.len(), |p| at + p + 1);
                        let line = bytes[line_start..line_end].to_vec();
                        bytes.splice(line_end..line_end, line);
                    }
                }
            }
            std::fs::write(app.join(name), bytes).unwrap();
        }
        let out = Command::new(common::bin())
            .arg("generate")
            .current_dir(&app)
            .env_clear()
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        rejected += usize::from(!out.status.success());
        if stderr.contains("panicked") || out.status.code().is_none() {
            failures.push(format!("round {round}: {stderr}"));
        } else if !out.status.success()
            && (!out.stdout.is_empty() || !stderr.starts_with("error: "))
        {
            failures.push(format!(
                "round {round}: failed run wrote stdout or an unprefixed error: {stderr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The mutations must actually break inputs, or this test proves nothing.
    assert!(
        rejected > 20,
        "only {rejected} of 150 mutated inputs were rejected"
    );
}
