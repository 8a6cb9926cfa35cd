//! Child-process helpers shared by the xtask commands: locating tools on
//! `PATH`, running a build step with inherited output, and running a measured
//! child (captured output, wall time, CPU time and peak RSS from `wait4`'s
//! rusage, killed when it overruns its time limit).
//!
//! Measurement goes through `libc::wait4` on the child's own pid rather than
//! `getrusage(RUSAGE_CHILDREN)` deltas: the rusage belongs to exactly that
//! child (and its reaped descendants), so a server child running at the same
//! time never leaks into a client's figures.

use std::env;
use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The workspace root (the parent of the `xtask` package).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The `cargo` that runs us (cargo sets `CARGO`), else `cargo` from `PATH`.
pub fn cargo() -> Command {
    Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// First executable file called `name` in the directories of `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// True when `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Shell-like rendering of a command line, for printing what is about to run.
pub fn display(cmd: &Command) -> String {
    let quote = |s: &OsStr| {
        let s = s.to_string_lossy();
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c))
        {
            s.into_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` with inherited standard streams; an error if it cannot start or
/// exits unsuccessfully.
pub fn run_inherited(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` exited with {status}", display(cmd));
    }
    Ok(())
}

/// What a measured child did and cost.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub stdout: String,
    pub stderr: String,
    /// Exit code, `None` when it died from a signal.
    pub exit_code: Option<i32>,
    /// True when it overran its time limit and was killed.
    pub timed_out: bool,
    pub wall: Duration,
    /// User + system CPU time of the child (and its reaped descendants).
    pub cpu: Duration,
    /// Peak resident set size, bytes (`ru_maxrss` is KiB on Linux).
    pub peak_rss_bytes: u64,
}

impl Measured {
    /// CPU time as a percentage of one core over the child's wall time.
    pub fn cpu_percent_of_core(&self) -> f64 {
        cpu_percent(self.cpu, self.wall)
    }

    pub fn success(&self) -> bool {
        !self.timed_out && self.exit_code == Some(0)
    }

    /// One line saying how the child ended, with the tail of its stderr.
    pub fn failure_summary(&self) -> String {
        let how = if self.timed_out {
            format!("killed after {:.0} s time limit", self.wall.as_secs_f64())
        } else {
            match self.exit_code {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".to_string(),
            }
        };
        let tail = self.stderr.lines().rev().find(|l| !l.trim().is_empty());
        match tail {
            Some(line) => format!("{how}: {}", line.trim()),
            None => how,
        }
    }
}

/// `cpu ÷ wall × 100`, 0 for a zero wall time.
pub fn cpu_percent(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
    }
}

/// Runs `cmd` with stdin closed and stdout/stderr captured; kills it with
/// SIGKILL if it runs longer than `limit`. Reaps it with `wait4` to read its
/// rusage.
pub fn run_measured(cmd: &mut Command, limit: Duration) -> Result<Measured> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    let pid = child.id() as libc::pid_t;
    let stdout = read_all_in_thread(child.stdout.take());
    let stderr = read_all_in_thread(child.stderr.take());

    // The waiter thread owns the only reap of `pid`. Until it has reaped the
    // child the pid cannot be recycled, so signalling it below is safe.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(wait4_blocking(pid));
    });
    let mut timed_out = false;
    let reaped = match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(_) => {
            timed_out = true;
            // SAFETY: plain syscall on a pid we spawned and have not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            rx.recv().context("waiter thread vanished")?
        }
    };
    let wall = start.elapsed();
    let (status, usage) = reaped.with_context(|| format!("wait4 on `{}`", display(cmd)))?;
    // The child is reaped; `child` must not be waited on or killed again.
    drop(child);

    let exit_code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Measured {
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        exit_code,
        timed_out,
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
    })
}

fn wait4_blocking(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec.max(0) as u64) + Duration::from_micros(tv.tv_usec.max(0) as u64)
}

fn read_all_in_thread<R: Read + Send + 'static>(stream: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stream {
            let _ = s.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// A long-running child (a server) that is killed and reaped when dropped,
/// so an early return or an error never leaves it behind.
pub struct Background {
    child: Child,
    name: String,
}

impl Background {
    /// Spawns `cmd` with stdout piped and waits up to `limit` for its first
    /// line of stdout, which is returned. The rest of stdout is drained in a
    /// thread so the child never blocks on a full pipe; stderr is inherited.
    pub fn spawn_and_read_first_line(
        cmd: &mut Command,
        limit: Duration,
    ) -> Result<(Background, String)> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start `{}`", display(cmd)))?;
        let mut bg = Background {
            child,
            name: display(cmd),
        };
        let stdout = bg.child.stdout.take().expect("stdout is piped");
        let rx = first_line_then_drain(stdout);
        let line = match rx.recv_timeout(limit) {
            Ok(Some(line)) => line,
            Ok(None) => bail!(
                "`{}` closed its standard output without printing a line (see its stderr above)",
                bg.name
            ),
            Err(_) => bail!("`{}` printed nothing within {} s", bg.name, limit.as_secs()),
        };
        Ok((bg, line))
    }

    /// True while the child has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn first_line_then_drain(stdout: ChildStdout) -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let first = match reader.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_string()),
        };
        let _ = tx.send(first);
        let _ = io::copy(&mut reader, &mut io::sink());
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_needs_it() {
        let mut cmd = Command::new("cargo");
        cmd.args(["run", "--", "it's", "a b", "--rps=10"]);
        assert_eq!(display(&cmd), r"cargo run -- 'it'\''s' 'a b' --rps=10");
    }

    #[test]
    fn cpu_percent_is_share_of_one_core() {
        assert_eq!(
            cpu_percent(Duration::from_millis(500), Duration::from_secs(2)),
            25.0
        );
        assert_eq!(cpu_percent(Duration::from_secs(1), Duration::ZERO), 0.0);
    }

    #[test]
    fn measured_child_reports_output_and_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let m = run_measured(&mut cmd, Duration::from_secs(20)).unwrap();
        assert_eq!(m.stdout, "out\n");
        assert_eq!(m.stderr, "err\n");
        assert_eq!(m.exit_code, Some(3));
        assert!(!m.timed_out);
        assert!(m.peak_rss_bytes > 0, "rusage should report some RSS");
        assert_eq!(m.failure_summary(), "exit code 3: err");
    }

    #[test]
    fn measured_child_is_killed_at_its_limit() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let m = run_measured(&mut cmd, Duration::from_millis(100)).unwrap();
        assert!(m.timed_out);
        assert_eq!(m.exit_code, None);
        assert!(m.wall < Duration::from_secs(10));
    }

    #[test]
    fn background_returns_first_line() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo 'listening on http://x'; echo more; sleep 30"]);
        let (mut bg, line) =
            Background::spawn_and_read_first_line(&mut cmd, Duration::from_secs(20)).unwrap();
        assert_eq!(line, "listening on http://x");
        assert!(bg.is_running());
    }

    #[test]
    fn background_without_output_is_an_error() {
        let mut cmd = Command::new("true");
        let err = Background::spawn_and_read_first_line(&mut cmd, Duration::from_secs(20))
            .err()
            .unwrap();
        assert!(err.to_string().contains("without printing a line"), "{err}");
    }
}
