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
        DiscoveryRule::FileName(p) => glob(root, app_path, p, Dialect::Go).map_err(|e| {
            DiscoverError::Pattern(format!(
                "error finding filename match for pattern {:?}: {e}",
                lexical_join(app_path, p).display().to_string()
            ))
        }),
        DiscoveryRule::Glob(p) => glob(root, app_path, p, Dialect::Zglob).map_err(|e| {
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

/// Which glob library decides.
#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    /// Go's `filepath.Glob` (`fileName`): `*`, `?`, `[...]` (`^` negates), `\\` escapes.
    Go,
    /// `mattn/go-zglob` v0.0.6 (`find.glob`): `*`, `**/`, `[...]`, `{a,b}`; `?` is literal.
    Zglob,
}

impl Dialect {
    /// Whether a path segment holds a wildcard (otherwise it names a file literally).
    fn is_pattern(self, segment: &str) -> bool {
        match self {
            Dialect::Go => segment.contains(['*', '?', '[', '\\']),
            Dialect::Zglob => segment.contains(['*', '{']),
        }
    }

    /// The same pattern in globset syntax (with `literal_separator` and `backslash_escape`).
    fn to_globset(self, pattern: &str) -> String {
        let chars: Vec<char> = pattern.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\\' if i + 1 < chars.len() => {
                    out.push('\\');
                    out.push(chars[i + 1]);
                    i += 1;
                }
                '*' => {
                    let mut n = 1;
                    while i + n < chars.len() && chars[i + n] == '*' {
                        n += 1;
                    }
                    let dir = self == Dialect::Zglob && n >= 2 && chars.get(i + 2) == Some(&'/');
                    if dir {
                        // zglob: `**/` is "any directories, or none".
                        out.push_str("**/");
                        i += 2;
                    } else {
                        // Several stars in a row are one star in both libraries.
                        out.push('*');
                        i += n - 1;
                    }
                }
                '?' if self == Dialect::Zglob => out.push_str("\\?"),
                '{' | '}' | ',' if self == Dialect::Go => {
                    out.push('\\');
                    out.push(c);
                }
                '[' => {
                    // Neither library negates with `!`; globset does, so move it off the front.
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&x| x == ']')
                        .map(|p| i + 1 + p);
                    match end {
                        Some(end) if end > i + 1 => {
                            let mut class: String = chars[i + 1..end].iter().collect();
                            if class.len() > 1 && class.starts_with('!') {
                                class = format!("{}!", &class[1..]);
                            }
                            out.push('[');
                            out.push_str(&class);
                            out.push(']');
                            i = end;
                        }
                        _ => out.push('['),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        out
    }
}

/// Matches `app_path/pattern` (joined and cleaned like `filepath.Join`) against what is under
/// the workspace `root`.
fn glob(root: &Path, app_path: &Path, pattern: &str, dialect: Dialect) -> Result<Match, String> {
    let full = lexical_join(app_path, pattern);
    let full_str = full.to_string_lossy().into_owned();
    // Walk from the deepest directory named literally.
    let mut base = PathBuf::from("/");
    let mut rest = 0;
    for c in full.components() {
        if let Component::Normal(part) = c {
            if rest == 0 && !dialect.is_pattern(&part.to_string_lossy()) {
                base.push(part);
            } else {
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
        // No wildcard: Go's Glob uses Lstat, zglob uses Stat (a dangling link does not count).
        let exists = match dialect {
            Dialect::Go => fs::symlink_metadata(&base).is_ok(),
            Dialect::Zglob => fs::metadata(&base).is_ok(),
        };
        if exists {
            found.push(base);
        }
    } else {
        let matcher = GlobBuilder::new(&dialect.to_globset(&full_str))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| match dialect {
                Dialect::Go => "syntax error in pattern".to_string(),
                Dialect::Zglob => format!("error parsing pattern: {}", e.kind()),
            })?
            .compile_matcher();
        let depth = if dialect == Dialect::Zglob && full_str.contains("**/") {
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
    fn translates_each_dialect_to_globset() {
        assert_eq!(
            Dialect::Zglob.to_globset("/a/**/b?.{x,y}"),
            "/a/**/b\\?.{x,y}"
        );
        assert_eq!(Dialect::Zglob.to_globset("/a/**"), "/a/*");
        assert_eq!(Dialect::Go.to_globset("/a/{b}[!c]*"), "/a/\\{b\\}[c!]*");
        assert_eq!(Dialect::Go.to_globset("/a/\\*"), "/a/\\*");
    }

    #[test]
    fn find_glob_supports_double_star() {
        let m = check(Discover {
            glob: "**/*.jsonnet".into(),
            ..Default::default()
        });
        assert_eq!(m.evidence, ["deep/er/x.jsonnet"]);
        // zglob: `?` is literal, `{a,b}` alternates, a trailing `**` is one `*`.
        assert!(
            !check(Discover {
                glob: "karmada.yam?".into(),
                ..Default::default()
            })
            .supported
        );
        assert!(
            check(Discover {
                glob: "*.{yaml,yml}".into(),
                ..Default::default()
            })
            .supported
        );
        assert_eq!(
            check(Discover {
                glob: "deep/**".into(),
                ..Default::default()
            })
            .evidence,
            ["deep/er"]
        );
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
