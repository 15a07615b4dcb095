//! Running external programs (kustomize, helm, plugin commands): argv only, never a shell, with one
//! deadline for the whole run and bounded output.
//!
//! The deadline covers spawning, reading both pipes and waiting, as cmp-server bounds a plugin
//! command by its request context (argo-cd `cmpserver/plugin/plugin.go`, runCommand): the child
//! leads its own process group; at the deadline the group gets SIGTERM and, after a grace period,
//! SIGKILL. A grandchild that keeps a pipe open (`sleep 60 &`) cannot hold a run past that.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Default cap on captured stdout (manifests can be large, but not unbounded).
pub const DEFAULT_MAX_STDOUT: usize = 256 * 1024 * 1024;
/// Default cap on captured stderr.
pub const DEFAULT_MAX_STDERR: usize = 1024 * 1024;
/// Default time between SIGTERM and SIGKILL. helm and kustomize have nothing to clean up, and
/// generate's 45 s tool limit plus this stays inside Argo CD's default 60 s request deadline.
/// `cmp run` sets cmp-server's 5 s instead.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(2);

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
            kill_grace: DEFAULT_KILL_GRACE,
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

    /// Runs to completion or to the deadline. `Err` only when the program could not be started.
    pub fn run(&self) -> io::Result<Output> {
        let started = Instant::now();
        let deadline = started + self.timeout;
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
        let mut child = cmd.spawn()?;
        let mut run = Running {
            stdout: Pipe::new(child.stdout.take().map(OwnedFd::from), self.max_stdout),
            stderr: Pipe::new(child.stderr.take().map(OwnedFd::from), self.max_stderr),
            child,
        };
        if let Err(e) = run.stdout.nonblocking().and(run.stderr.nonblocking()) {
            run.kill();
            return Err(e);
        }
        let mut timed_out = false;
        let mut killed_at_deadline = false;
        // A program is done when its output is: read until both pipes close (cmp-server's
        // `cmd.Wait` waits for its pipe copiers the same way), then wait for the leader.
        let status = match run.read_until(deadline, true) {
            Progress::Closed => match run.wait_until(deadline) {
                Some(status) => status?,
                None => {
                    (timed_out, killed_at_deadline) = (true, true);
                    run.terminate(self.kill_grace)?
                }
            },
            Progress::Overflow => run.terminate(self.kill_grace)?,
            Progress::Pending => {
                timed_out = true;
                killed_at_deadline = !run.leader_exited();
                run.terminate(self.kill_grace)?
            }
        };
        Ok(Output {
            status,
            stdout_truncated: run.stdout.truncated,
            stderr_truncated: run.stderr.truncated,
            stdout: run.stdout.kept,
            stderr: run.stderr.kept,
            timed_out,
            killed_at_deadline,
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
    /// The deadline passed before the program and everything holding its pipes finished.
    pub timed_out: bool,
    /// The leader itself was still running at the deadline (not only a grandchild holding a pipe).
    pub killed_at_deadline: bool,
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

/// How far reading got.
enum Progress {
    /// Both pipes reached end of file.
    Closed,
    /// stdout went past its cap: the result is useless, stop the program.
    Overflow,
    /// Time ran out with a pipe still open.
    Pending,
}

/// A spawned child whose process group we own. The leader is reaped only at the very end, so its
/// pid (= the group id) cannot be reused while we may still signal the group.
struct Running {
    child: Child,
    stdout: Pipe,
    stderr: Pipe,
}

impl Running {
    /// Reads both pipes until they close, `until` passes, or (with `stop_on_overflow`) stdout
    /// goes past its cap.
    fn read_until(&mut self, until: Instant, stop_on_overflow: bool) -> Progress {
        loop {
            if stop_on_overflow && self.stdout.truncated {
                return Progress::Overflow;
            }
            let mut fds: Vec<libc::pollfd> = [&self.stdout, &self.stderr]
                .iter()
                .filter_map(|p| p.file.as_ref())
                .map(|f| libc::pollfd {
                    fd: f.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            if fds.is_empty() {
                return Progress::Closed;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Progress::Pending;
            }
            let ms = libc::c_int::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
            // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` pollfds.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if ready > 0 {
                self.stdout.read_available();
                self.stderr.read_available();
            } else if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Waits for the leader to exit; `None` (still unreaped) when `until` passes first.
    fn wait_until(&mut self, until: Instant) -> Option<io::Result<ExitStatus>> {
        let mut nap = Duration::from_millis(1);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(Ok(status)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            std::thread::sleep(nap.min(left));
            nap = (nap * 2).min(Duration::from_millis(20));
        }
    }

    /// Whether the leader has exited; it stays a zombie (unreaped) either way.
    fn leader_exited(&self) -> bool {
        let pid: libc::id_t = self.child.id();
        // SAFETY: an all-zero siginfo_t is valid; waitid only writes to it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: waitid on our own child with a valid out pointer; WNOWAIT leaves it unreaped.
        let rc = unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) };
        // SAFETY: si_pid is the field waitid sets for child-state changes (0 when none).
        rc != 0 || unsafe { info.si_pid() } != 0
    }

    /// SIGTERM to the group; SIGKILL once `grace` passes with the leader or a pipe still alive.
    /// Returns the leader's status.
    fn terminate(&mut self, grace: Duration) -> io::Result<ExitStatus> {
        signal_group(self.child.id(), libc::SIGTERM);
        let grace_end = Instant::now() + grace;
        loop {
            let slice = (Instant::now() + Duration::from_millis(10)).min(grace_end);
            let closed = matches!(self.read_until(slice, false), Progress::Closed);
            if closed && self.leader_exited() {
                break;
            }
            if Instant::now() >= grace_end {
                break;
            }
        }
        self.kill();
        let status = self.child.wait()?;
        // What the killed processes flushed; never wait long for a pipe something else holds.
        self.read_until(Instant::now() + Duration::from_millis(100), false);
        self.stdout.file = None;
        self.stderr.file = None;
        Ok(status)
    }

    /// SIGKILL to the group and to the leader itself (in case it left the group).
    fn kill(&mut self) {
        signal_group(self.child.id(), libc::SIGKILL);
        let _ = self.child.kill();
    }
}

/// One output pipe, read without blocking, keeping at most `limit` bytes (the rest is drained so
/// the child never blocks on a full pipe).
struct Pipe {
    file: Option<File>,
    kept: Vec<u8>,
    limit: usize,
    truncated: bool,
}

impl Pipe {
    fn new(fd: Option<OwnedFd>, limit: usize) -> Pipe {
        Pipe {
            file: fd.map(File::from),
            kept: Vec::new(),
            limit,
            truncated: false,
        }
    }

    fn nonblocking(&self) -> io::Result<()> {
        let Some(f) = &self.file else { return Ok(()) };
        let fd = f.as_raw_fd();
        // SAFETY: fcntl on a descriptor we own.
        let ok = unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) >= 0
        };
        if ok {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Reads what is there now (a bounded number of chunks, so a fast writer cannot starve the
    /// deadline check); closes the pipe at end of file.
    fn read_available(&mut self) {
        let mut buf = [0u8; 64 * 1024];
        for _ in 0..16 {
            let Some(f) = &mut self.file else { return };
            match f.read(&mut buf) {
                Ok(0) => self.file = None,
                Ok(n) => {
                    let room = self.limit.saturating_sub(self.kept.len());
                    if n > room {
                        self.truncated = true;
                    }
                    self.kept.extend_from_slice(&buf[..n.min(room)]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => self.file = None,
            }
        }
    }
}

fn signal_group(pid: u32, sig: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals the process group we created for the child; its
    // leader is not reaped yet, so the group id still names our group.
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
        assert!(out.killed_at_deadline);
        assert!(out.elapsed < Duration::from_secs(3), "{:?}", out.elapsed);
        assert!(out.stdout.is_empty());
    }

    /// The case: the leader is gone at once, a grandchild holds stdout open.
    #[test]
    fn deadline_covers_a_grandchild_holding_the_pipe() {
        let out = Command::new("sh")
            .args(["-c", "sleep 6 & echo hi"])
            .timeout(Duration::from_millis(500))
            .run()
            .unwrap();
        assert!(out.timed_out);
        assert!(!out.killed_at_deadline, "the leader had exited by itself");
        assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);
        assert_eq!(out.stdout, b"hi\n");
        assert!(!out.success());
    }

    #[test]
    fn deadline_covers_a_leader_that_closed_its_pipes() {
        let out = Command::new("sh")
            .args(["-c", "exec >&- 2>&-; sleep 6"])
            .timeout(Duration::from_millis(300))
            .run()
            .unwrap();
        assert!(out.timed_out);
        assert!(out.killed_at_deadline);
        assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);
    }

    #[test]
    fn sigterm_first_then_sigkill_after_the_grace() {
        // Ignores SIGTERM: only SIGKILL, after the grace, ends it.
        let mut cmd = Command::new("sh")
            .args(["-c", "trap '' TERM; sleep 6"])
            .timeout(Duration::from_millis(200));
        cmd.kill_grace = Duration::from_millis(700);
        let out = cmd.run().unwrap();
        assert!(out.timed_out);
        assert!(
            out.elapsed >= Duration::from_millis(900),
            "{:?}",
            out.elapsed
        );
        assert!(out.elapsed < Duration::from_secs(3), "{:?}", out.elapsed);
        assert_eq!(out.code(), 128 + libc::SIGKILL);

        // Handles SIGTERM: it gets to clean up and report.
        let mut cmd = Command::new("sh")
            .args(["-c", "trap 'echo cleaned >&2; exit 7' TERM; sleep 6 & wait"])
            .timeout(Duration::from_millis(200));
        cmd.kill_grace = Duration::from_secs(5);
        let out = cmd.run().unwrap();
        assert!(out.timed_out);
        assert!(out.elapsed < Duration::from_secs(3), "{:?}", out.elapsed);
        assert_eq!(out.code(), 7);
        assert_eq!(out.stderr_text(), "cleaned");
    }

    #[test]
    fn a_process_outside_the_group_cannot_hold_the_run() {
        // setsid leaves our process group, so no signal of ours reaches it; we stop reading.
        let mut cmd = Command::new("sh")
            .args(["-c", "setsid sleep 4 & echo hi"])
            .timeout(Duration::from_millis(200));
        cmd.kill_grace = Duration::from_millis(200);
        let out = cmd.run().unwrap();
        assert!(out.timed_out);
        assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);
    }

    #[test]
    fn quick_programs_do_not_wait_for_the_deadline() {
        let out = Command::new("sh")
            .args(["-c", "echo done"])
            .timeout(Duration::from_secs(30))
            .run()
            .unwrap();
        assert!(out.success());
        assert_eq!(out.stdout, b"done\n");
        assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);
    }

    #[test]
    fn stdout_is_bounded() {
        let mut cmd = Command::new("sh").args(["-c", "yes | head -c 100000"]);
        cmd.max_stdout = 1000;
        let out = cmd.run().unwrap();
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.stdout_truncated);
        assert!(!out.success());

        // An endless writer is stopped once it is past the cap, long before the deadline.
        let mut cmd = Command::new("yes").timeout(Duration::from_secs(30));
        cmd.max_stdout = 1 << 20;
        let out = cmd.run().unwrap();
        assert!(out.stdout_truncated);
        assert!(!out.timed_out);
        assert_eq!(out.stdout.len(), 1 << 20);
        assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    }

    #[test]
    fn missing_program_is_an_error() {
        assert!(Command::new("/nonexistent/prog").run().is_err());
    }
}
