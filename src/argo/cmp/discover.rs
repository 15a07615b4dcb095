//! Plugin discovery (`matchRepository`): only the first defined of fileName (Go `filepath.Glob`,
//! no `**`), find.glob (`zglob`, with `**`) and find.command (exit 0 and non-empty stdout).

use std::fs;
use std::path::{Component, Path, PathBuf};

use globset::GlobBuilder;

use super::config::{Discover, DiscoveryRule};
use super::env::EnvEntry;
use super::runner::{CommandFailure, Context};
use super::workdir::lexical_join;

/// What discovery found.
#[derive(Debug)]
pub struct Match {
    pub supported: bool,
    /// Matching paths relative to the app directory (glob rules), or the command's stdout.
    pub evidence: Vec<String>,
}

#[derive(Debug)]
pub enum DiscoverError {
    Pattern(String),
    Command(CommandFailure),
}

impl DiscoverError {
    /// cmp-server's words (`match repository error: ...` is added by the caller).
    pub fn message(&self) -> String {
        match self {
            DiscoverError::Pattern(m) => m.clone(),
            DiscoverError::Command(f) => format!("error running find command: {}", f.message),
        }
    }
}

/// `None` when the plugin has no discovery configured.
pub fn matches(
    discover: &Discover,
    root: &Path,
    app_path: &Path,
    ctx: &Context,
    env: &[EnvEntry],
) -> Option<Result<Match, DiscoverError>> {
    let rule = discover.rule()?;
    Some(match rule {
        DiscoveryRule::FileName(p) => glob(root, app_path, p, false).map_err(|e| {
            DiscoverError::Pattern(format!(
                "error finding filename match for pattern {:?}: {e}",
                lexical_join(app_path, p).display().to_string()
            ))
        }),
        DiscoveryRule::Glob(p) => glob(root, app_path, p, true).map_err(|e| {
            DiscoverError::Pattern(format!(
                "error finding glob match for pattern {:?}: {e}",
                lexical_join(app_path, p).display().to_string()
            ))
        }),
        DiscoveryRule::Command(cmd) => match ctx.run(cmd, app_path, env) {
            Ok(out) => Ok(Match {
                supported: !out.is_empty(),
                evidence: if out.is_empty() { vec![] } else { vec![out] },
            }),
            Err(f) => Err(DiscoverError::Command(f)),
        },
    })
}

fn has_meta(s: &str, recursive: bool) -> bool {
    s.contains(['*', '?', '[', '\\']) || (recursive && s.contains('{'))
}

/// Matches `app_path/pattern` (cleaned like `filepath.Join`) against the files under the
/// workspace `root`. `recursive` selects zglob semantics (`**`, `{a,b}`); otherwise Go's
/// `filepath.Glob` (where `{` is literal).
fn glob(root: &Path, app_path: &Path, pattern: &str, recursive: bool) -> Result<Match, String> {
    let full = lexical_join(app_path, pattern);
    let full_str = full.to_string_lossy().into_owned();
    let escaped = if recursive {
        full_str.clone()
    } else {
        full_str.replace('{', "\\{").replace('}', "\\}")
    };
    let matcher = GlobBuilder::new(&escaped)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|_| "syntax error in pattern".to_string())?
        .compile_matcher();
    // Start walking at the deepest directory without wildcards.
    let mut base = PathBuf::from("/");
    let mut rest = 0;
    let mut literal = true;
    for c in full.components() {
        if let Component::Normal(part) = c {
            if literal && !has_meta(&part.to_string_lossy(), recursive) {
                base.push(part);
            } else {
                literal = false;
                rest += 1;
            }
        }
    }
    let mut found: Vec<PathBuf> = Vec::new();
    if !base.starts_with(root) {
        // Never look outside the repository copy.
        return Ok(Match {
            supported: false,
            evidence: vec![],
        });
    }
    if rest == 0 {
        if fs::symlink_metadata(&base).is_ok() {
            found.push(base);
        }
    } else {
        let depth = if full_str.contains("**") && recursive {
            usize::MAX
        } else {
            rest
        };
        walk(&base, depth, &mut |p| {
            if matcher.is_match(p) {
                found.push(p.to_path_buf());
            }
        });
    }
    found.sort();
    Ok(Match {
        supported: !found.is_empty(),
        evidence: found
            .iter()
            .map(|p| {
                p.strip_prefix(app_path)
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|_| p.display().to_string())
            })
            .collect(),
    })
}

fn walk(dir: &Path, depth: usize, f: &mut dyn FnMut(&Path)) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        f(&p);
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&p, depth - 1, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn ctx() -> Context {
        Context {
            sidecar_env: vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())],
            deadline: Instant::now() + Duration::from_secs(10),
            kill_grace: Duration::from_secs(1),
        }
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("app/deep/er")).unwrap();
        fs::write(d.path().join("app/karmada.yaml"), "").unwrap();
        fs::write(d.path().join("app/deep/er/x.jsonnet"), "").unwrap();
        fs::write(d.path().join("app/{b}"), "").unwrap();
        d
    }

    fn check(disc: Discover) -> Match {
        let d = tree();
        let app = d.path().join("app");
        matches(&disc, d.path(), &app, &ctx(), &[])
            .unwrap()
            .unwrap()
    }

    #[test]
    fn file_name_is_a_flat_glob() {
        let m = check(Discover {
            file_name: "*.yaml".into(),
            ..Default::default()
        });
        assert_eq!(m.evidence, ["karmada.yaml"]);
        assert!(
            !check(Discover {
                file_name: "*.jsonnet".into(),
                ..Default::default()
            })
            .supported
        );
        assert!(
            !check(Discover {
                file_name: "**/*.jsonnet".into(),
                ..Default::default()
            })
            .supported
        );
        assert!(
            check(Discover {
                file_name: "{b}".into(),
                ..Default::default()
            })
            .supported
        );
        assert!(
            check(Discover {
                file_name: "./karmada.yaml".into(),
                ..Default::default()
            })
            .supported
        );
    }

    #[test]
    fn find_glob_supports_double_star() {
        let m = check(Discover {
            glob: "**/*.jsonnet".into(),
            ..Default::default()
        });
        assert_eq!(m.evidence, ["deep/er/x.jsonnet"]);
        // fileName wins when both are set.
        let m = check(Discover {
            file_name: "nothing".into(),
            glob: "**/*".into(),
            ..Default::default()
        });
        assert!(!m.supported);
    }

    #[test]
    fn find_command_needs_output() {
        let cmd = |s: &str| Discover {
            find: super::super::config::CommandSpec {
                command: vec!["sh".into(), "-c".into(), s.into()],
                args: vec![],
            },
            ..Default::default()
        };
        assert!(check(cmd("ls karmada.yaml")).supported);
        assert!(!check(cmd("echo")).supported);
        let d = tree();
        let err = matches(&cmd("exit 2"), d.path(), d.path(), &ctx(), &[])
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.message(),
            "error running find command: `sh -c \"exit 2\"` failed exit status 2"
        );
    }
}
