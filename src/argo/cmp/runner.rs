//! Running one plugin command as cmp-server's `runCommand` does: argv (no shell), cwd = app
//! path, env = sidecar env + request env, one deadline for the whole request, and Go's error text.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::exec;

use super::config::CommandSpec;
use super::env::EnvEntry;

/// Largest stdout we accept from a plugin command.
pub const MAX_STDOUT: usize = 64 * 1024 * 1024;

/// The environment and deadline shared by every command of one request.
#[derive(Debug, Clone)]
pub struct Context {
    /// The sidecar's own environment (`os.Environ()` of cmp-server).
    pub sidecar_env: Vec<EnvEntry>,
    pub deadline: Instant,
    pub kill_grace: Duration,
}

/// A failed command, worded as Argo CD words it.
#[derive(Debug)]
pub struct CommandFailure {
    pub message: String,
    pub timed_out: bool,
}

impl Context {
    /// Runs `spec` in `dir`; `Ok(stdout)` with one trailing newline removed.
    pub fn run(
        &self,
        spec: &CommandSpec,
        dir: &Path,
        request_env: &[EnvEntry],
    ) -> Result<String, CommandFailure> {
        let argv = spec.argv();
        let Some(program) = argv.first() else {
            return Err(CommandFailure {
                message: "Command is empty".into(),
                timed_out: false,
            });
        };
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(CommandFailure {
                message: "context deadline exceeded".into(),
                timed_out: true,
            });
        }
        let mut cmd = exec::Command::new(program)
            .args(&argv[1..])
            .cwd(dir)
            .timeout(remaining);
        cmd.env_clear = true;
        cmd.kill_grace = self.kill_grace;
        cmd.max_stdout = MAX_STDOUT;
        for (k, v) in self.sidecar_env.iter().chain(request_env) {
            // cmp-server drops entries without a name.
            if !k.is_empty() {
                cmd = cmd.env(k, v);
            }
        }
        let out = cmd.run().map_err(|e| CommandFailure {
            message: start_error(program, &e),
            timed_out: false,
        })?;
        let args = args_to_log(&argv);
        if out.timed_out && !out.killed_at_deadline {
            // The command itself had exited, but something it started held its output open past
            // the deadline: cmp-server's Wait is still copying then, and the request fails with
            // its context's error.
            return Err(CommandFailure {
                message: "context deadline exceeded".into(),
                timed_out: true,
            });
        }
        if out.timed_out {
            // CommandContext kills the leader when the deadline passes: Go reports `signal: killed`.
            return Err(CommandFailure {
                message: with_stderr(
                    format!("`{args}` failed signal: killed"),
                    &out.stderr_text(),
                ),
                timed_out: true,
            });
        }
        if out.stdout_truncated {
            return Err(CommandFailure {
                message: format!("`{args}` wrote more than {MAX_STDOUT} bytes to stdout"),
                timed_out: false,
            });
        }
        if !out.status.success() {
            return Err(CommandFailure {
                message: with_stderr(
                    format!("`{args}` failed {}", exit_text(&out.status)),
                    &out.stderr_text(),
                ),
                timed_out: false,
            });
        }
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        Ok(stdout.strip_suffix('\n').unwrap_or(&stdout).to_string())
    }
}

fn with_stderr(msg: String, stderr: &str) -> String {
    if stderr.is_empty() {
        msg
    } else {
        format!("{msg}: {stderr}")
    }
}

/// Go's `ProcessState.String()`.
fn exit_text(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let sig = status.signal().unwrap_or(0);
    let name = match sig {
        1 => "hangup".to_string(),
        2 => "interrupt".into(),
        3 => "quit".into(),
        4 => "illegal instruction".into(),
        5 => "trace/breakpoint trap".into(),
        6 => "aborted".into(),
        7 => "bus error".into(),
        8 => "floating point exception".into(),
        9 => "killed".into(),
        10 => "user defined signal 1".into(),
        11 => "segmentation fault".into(),
        12 => "user defined signal 2".into(),
        13 => "broken pipe".into(),
        14 => "alarm clock".into(),
        15 => "terminated".into(),
        n => format!("signal {n}"),
    };
    let core = if status.core_dumped() {
        " (core dumped)"
    } else {
        ""
    };
    format!("signal: {name}{core}")
}

/// Go's `exec.Cmd.Start` errors.
fn start_error(program: &str, e: &std::io::Error) -> String {
    if !program.contains('/') && e.kind() == std::io::ErrorKind::NotFound {
        return format!("exec: {program:?}: executable file not found in $PATH");
    }
    let reason = match e.raw_os_error() {
        Some(libc::ENOENT) => "no such file or directory".to_string(),
        Some(libc::EACCES) => "permission denied".into(),
        Some(libc::ENOEXEC) => "exec format error".into(),
        Some(libc::ENOTDIR) => "not a directory".into(),
        _ => e.to_string(),
    };
    format!("fork/exec {program}: {reason}")
}

/// `argoexec.GetCommandArgsToLog`: args with white space are Go-quoted, empty ones are `""`.
pub fn args_to_log(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() {
                "\"\"".to_string()
            } else if a.chars().any(char::is_whitespace) {
                go_quote(a)
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Go's `strconv.Quote` for the characters plugin argv realistically contains.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(timeout: Duration) -> Context {
        Context {
            sidecar_env: vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())],
            deadline: Instant::now() + timeout,
            kill_grace: Duration::from_secs(5),
        }
    }

    fn spec(argv: &[&str]) -> CommandSpec {
        CommandSpec {
            command: argv.iter().map(|s| s.to_string()).collect(),
            args: vec![],
        }
    }

    #[test]
    fn formats_failures_like_cmp_server() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(Duration::from_secs(10));
        let err = c
            .run(
                &spec(&["sh", "-c", "echo oops >&2; exit 3"]),
                dir.path(),
                &[],
            )
            .unwrap_err();
        assert_eq!(
            err.message,
            "`sh -c \"echo oops >&2; exit 3\"` failed exit status 3: oops"
        );
        let err = c
            .run(&spec(&["no-such-plugin-binary"]), dir.path(), &[])
            .unwrap_err();
        assert_eq!(
            err.message,
            "exec: \"no-such-plugin-binary\": executable file not found in $PATH"
        );
        let err = c
            .run(&spec(&["sh", "-c", "kill -SEGV $$"]), dir.path(), &[])
            .unwrap_err();
        assert!(
            err.message.ends_with("failed signal: segmentation fault"),
            "{}",
            err.message
        );
    }

    #[test]
    fn trims_one_newline_and_passes_env_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = ctx(Duration::from_secs(10))
            .run(
                &spec(&["sh", "-c", "printf '%s\\n\\n' \"$A\""]),
                dir.path(),
                &[("A".into(), "1".into()), ("A".into(), "2".into())],
            )
            .unwrap();
        assert_eq!(out, "2\n");
    }

    #[test]
    fn deadline_is_reported_as_killed() {
        let dir = tempfile::tempdir().unwrap();
        let err = ctx(Duration::from_millis(300))
            .run(&spec(&["sh", "-c", "sleep 20"]), dir.path(), &[])
            .unwrap_err();
        assert!(err.timed_out);
        assert_eq!(err.message, "`sh -c \"sleep 20\"` failed signal: killed");
    }

    #[test]
    fn deadline_covers_output_held_by_a_background_process() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let err = ctx(Duration::from_millis(500))
            .run(&spec(&["sh", "-c", "sleep 6 & echo hi"]), dir.path(), &[])
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(err.timed_out);
        assert_eq!(err.message, "context deadline exceeded");
    }
}
