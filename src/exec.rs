//! Running external programs (kustomize, helm, plugin commands): argv only, never a shell, with a
//! deadline and bounded output. On expiry the whole process group gets SIGTERM, then SIGKILL after
//! a grace period, as Argo CD's cmp-server does.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Default cap on captured stdout (manifests can be large, but not unbounded).
pub const DEFAULT_MAX_STDOUT: usize = 256 * 1024 * 1024;
/// Default cap on captured stderr.
pub const DEFAULT_MAX_STDERR: usize = 1024 * 1024;

/// A program to run.
#[derive(Debug, Clone)]
pub struct Command {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    /// Start from an empty environment instead of inheriting ours.
    pub env_clear: bool,
    /// Added after inheriting (or clearing); later entries win.
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
    /// Time between SIGTERM and SIGKILL once the deadline passed.
    pub kill_grace: Duration,
    pub max_stdout: usize,
    pub max_stderr: usize,
    /// A file to read as standard input (default: none).
    pub stdin: Option<PathBuf>,
}

impl Command {
    pub fn new(program: impl Into<OsString>) -> Self {
        Command {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env_clear: false,
            env: Vec::new(),
            timeout: Duration::from_secs(60),
            kill_grace: Duration::from_secs(5),
            max_stdout: DEFAULT_MAX_STDOUT,
            max_stderr: DEFAULT_MAX_STDERR,
            stdin: None,
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The argv as one display string, e.g. for error messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs to completion (or deadline). `Err` only when the program could not be started.
    pub fn run(&self) -> io::Result<Output> {
        let mut cmd = std::process::Command::new(&self.program);
        let stdin = match &self.stdin {
            Some(path) => Stdio::from(std::fs::File::open(path)?),
            None => Stdio::null(),
        };
        cmd.args(&self.args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group, so a timeout can reach grandchildren too.
            .process_group(0);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        if self.env_clear {
            cmd.env_clear();
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let mut child = cmd.spawn()?;
        let stdout = capture(child.stdout.take().expect("piped"), self.max_stdout);
        let stderr = capture(child.stderr.take().expect("piped"), self.max_stderr);
        let (status, timed_out) = wait_with_deadline(child, self.timeout, self.kill_grace)?;
        let (stdout, stdout_truncated) = stdout.join().unwrap_or_default();
        let (stderr, stderr_truncated) = stderr.join().unwrap_or_default();
        Ok(Output {
            status,
            stdout,
            stderr,
            stdout_truncated,
            stderr_truncated,
            timed_out,
            elapsed: started.elapsed(),
        })
    }
}

/// What a finished program left behind.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out && !self.stdout_truncated
    }

    /// stderr as text with surrounding whitespace trimmed.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim().to_string()
    }

    /// Exit code, or `128 + signal` when killed by a signal.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        self.status
            .code()
            .or_else(|| self.status.signal().map(|s| 128 + s))
            .unwrap_or(-1)
    }
}

type Captured = thread::JoinHandle<(Vec<u8>, bool)>;

/// Reads a pipe to its end on a thread, keeping at most `limit` bytes (the rest is drained so the
/// child never blocks on a full pipe).
fn capture<R: Read + Send + 'static>(mut pipe: R, limit: usize) -> Captured {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut truncated = false;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = limit.saturating_sub(kept.len());
                    if n > room {
                        truncated = true;
                    }
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        (kept, truncated)
    })
}

fn wait_with_deadline(
    mut child: Child,
    timeout: Duration,
    grace: Duration,
) -> io::Result<(ExitStatus, bool)> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    // `Child::wait` has no timeout; wait on a thread and time out on the channel instead.
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(timeout) {
        Ok(status) => Ok((status?, false)),
        Err(_) => {
            signal_group(pid, libc::SIGTERM);
            match rx.recv_timeout(grace) {
                Ok(status) => Ok((status?, true)),
                Err(_) => {
                    signal_group(pid, libc::SIGKILL);
                    let status = rx
                        .recv()
                        .map_err(|_| io::Error::other("lost the child process"))??;
                    Ok((status, true))
                }
            }
        }
    }
}

fn signal_group(pid: u32, sig: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals the process group we created for the child.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_stdout_stderr_and_exit_code() {
        let out = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .run()
            .unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr_text(), "err");
        assert_eq!(out.code(), 3);
        assert!(!out.success());
        assert!(!out.timed_out);
    }

    #[test]
    fn deadline_kills_the_whole_process_group() {
        let out = Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30; echo never"])
            .timeout(Duration::from_millis(200))
            .run()
            .unwrap();
        assert!(out.timed_out);
        assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
        assert!(out.stdout.is_empty());
    }

    #[test]
    fn stdout_is_bounded() {
        let mut cmd = Command::new("sh").args(["-c", "yes | head -c 100000"]);
        cmd.max_stdout = 1000;
        let out = cmd.run().unwrap();
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.stdout_truncated);
        assert!(!out.success());
    }

    #[test]
    fn missing_program_is_an_error() {
        assert!(Command::new("/nonexistent/prog").run().is_err());
    }
}
