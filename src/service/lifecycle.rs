//! Starting and stopping a service: the IO edge of [`super`].
//!
//! [`start`] picks a free loopback port, substitutes `{port}`, runs the
//! matching `cargo build` first when the command is `cargo run …` (outside
//! any measured time), spawns the command in a process group of its own
//! (stdin null, stdout and stderr kept as their last lines) and polls its
//! ready path until the expected status, the timeout, the process's exit or
//! Ctrl-C. The [`RunningService`] it returns is the guard: [`RunningService::stop`]
//! sends the stop signal to the whole group, waits the grace period, then
//! SIGKILLs the group and reaps the process, and `Drop` does the same, so
//! no path (an error, a panic, Ctrl-C) leaves a process running.
//!
//! Every wait here is a bounded poll: the build by [`BUILD_LIMIT`],
//! readiness by `ready.timeout`, the stop by `stop.grace` plus
//! [`KILL_WAIT`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::output::Captured;
use super::ready::get_status;
use super::{build_command, ServiceSpec, TAIL_LINES};
use crate::duration::format_duration;
use crate::process::{self, GroupLeader, ProcessGroup};

/// Longest a service's `cargo build` may take.
pub const BUILD_LIMIT: Duration = Duration::from_secs(3600);
/// How long, after SIGKILL, the process may take to be reaped.
pub const KILL_WAIT: Duration = Duration::from_secs(5);
/// First pause between ready checks; it grows to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(20);
/// Longest pause between ready checks.
const MAX_POLL: Duration = Duration::from_millis(200);
/// Longest one ready check may take.
const READY_CHECK_LIMIT: Duration = Duration::from_secs(2);
/// How long to wait, once a process exited, for the end of its output.
const OUTPUT_WAIT: Duration = Duration::from_secs(1);

/// Why a service could not be started or made ready: one line naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("service {service}: cannot start `{program}`: {error}")]
    CannotStart {
        service: String,
        program: String,
        error: String,
    },
    #[error("service {service}: {msg}")]
    Setup { service: String, msg: String },
    #[error("service {service}: `{command}` failed ({status}): {last}")]
    BuildFailed {
        service: String,
        command: String,
        status: String,
        last: String,
    },
    #[error("service {service} exited before it was ready ({status}): {last}")]
    ExitedBeforeReady {
        service: String,
        status: String,
        last: String,
    },
    #[error("service {service}: not ready after {timeout}: {last}")]
    NotReady {
        service: String,
        timeout: String,
        last: String,
    },
    /// Ctrl-C or SIGTERM while building or waiting for readiness.
    #[error("service {service}: interrupted")]
    Interrupted { service: String },
}

/// A started, ready service; stopped on [`RunningService::stop`] or drop.
#[derive(Debug)]
pub struct RunningService {
    name: String,
    stop: super::Stop,
    child: Child,
    /// The child's process group (its id is the child's pid).
    group: ProcessGroup,
    port: u16,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    /// The child's exit, once reaped.
    exited: Option<ExitStatus>,
    /// The whole group has been stopped: nothing more to signal.
    stopped: bool,
    /// The grace period passed and the group was killed.
    killed: bool,
}

/// A free loopback port: bound, read, released (a race with another
/// process binding it in between shows up as the service failing to bind).
pub fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// Starts `spec` in `root` (its `cwd` relative to there) and waits until
/// it is ready. `note` hears what is going on (the build, readiness).
pub fn start(
    spec: &ServiceSpec,
    root: &Path,
    cancel: &CancellationToken,
    note: &dyn Fn(String),
) -> Result<RunningService, ServiceError> {
    let setup = |msg: String| ServiceError::Setup {
        service: spec.name.clone(),
        msg,
    };
    let cwd = working_dir(spec, root);
    if !cwd.is_dir() {
        return Err(setup(format!(
            "cwd {} is not a directory (it is relative to the workspace root)",
            cwd.display()
        )));
    }
    let port = free_port().map_err(|e| setup(format!("cannot pick a free loopback port: {e}")))?;
    let command = spec.command_for(port);
    let env = spec.env_for(port);
    if let Some(build) = build_command(&command) {
        note(format!(
            "ratecheck: building service {}: {}",
            spec.name,
            build.join(" ")
        ));
        build_first(&spec.name, &build, &cwd, &env, cancel)?;
    }
    let started = Instant::now();
    let mut service = spawn(spec, &command, &cwd, &env, port)?;
    service.wait_ready(spec, cancel)?;
    note(format!(
        "ratecheck: service {} ready on 127.0.0.1:{port} in {:.1} s",
        spec.name,
        started.elapsed().as_secs_f64()
    ));
    Ok(service)
}

/// Spawns `program args…` in `cwd` with `env` added, in a process group
/// of its own, stdin null, stdout and stderr piped.
fn spawn_in_group(
    args: &[String],
    cwd: &Path,
    env: &BTreeMap<String, String>,
) -> std::io::Result<GroupLeader> {
    process::spawn_in_group(
        Command::new(&args[0])
            .args(&args[1..])
            .current_dir(cwd)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

fn spawn(
    spec: &ServiceSpec,
    command: &[String],
    cwd: &Path,
    env: &BTreeMap<String, String>,
    port: u16,
) -> Result<RunningService, ServiceError> {
    let GroupLeader { mut child, group } =
        spawn_in_group(command, cwd, env).map_err(|e| ServiceError::CannotStart {
            service: spec.name.clone(),
            program: command[0].clone(),
            error: e.to_string(),
        })?;
    let capture = |pipe: Option<Box<dyn std::io::Read + Send>>| match pipe {
        Some(p) => Captured::spawn(p, TAIL_LINES),
        None => Captured::spawn(std::io::empty(), TAIL_LINES),
    };
    let stdout = capture(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = capture(child.stderr.take().map(|p| Box::new(p) as _));
    Ok(RunningService {
        name: spec.name.clone(),
        stop: spec.stop,
        group,
        child,
        port,
        stdout,
        stderr,
        exited: None,
        stopped: false,
        killed: false,
    })
}

/// Runs the `cargo build` of a `cargo run` command to its end; its last
/// line of output names a failure.
fn build_first(
    service: &str,
    build: &[String],
    cwd: &Path,
    env: &BTreeMap<String, String>,
    cancel: &CancellationToken,
) -> Result<(), ServiceError> {
    let shown = build.join(" ");
    let GroupLeader { mut child, group } =
        spawn_in_group(build, cwd, env).map_err(|e| ServiceError::CannotStart {
            service: service.to_string(),
            program: build[0].clone(),
            error: e.to_string(),
        })?;
    let stderr = Captured::spawn(
        child.stderr.take().map_or_else(
            || Box::new(std::io::empty()) as Box<dyn std::io::Read + Send>,
            |p| Box::new(p),
        ),
        TAIL_LINES,
    );
    let _stdout = Captured::spawn(
        child.stdout.take().map_or_else(
            || Box::new(std::io::empty()) as Box<dyn std::io::Read + Send>,
            |p| Box::new(p),
        ),
        TAIL_LINES,
    );
    let deadline = Instant::now() + BUILD_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => {}
            Err(e) => {
                group.kill();
                let _ = child.wait();
                return Err(ServiceError::Setup {
                    service: service.to_string(),
                    msg: format!("`{shown}`: {e}"),
                });
            }
        }
        let interrupted = cancel.is_cancelled();
        if interrupted || Instant::now() >= deadline {
            group.kill();
            let _ = child.wait();
            return Err(if interrupted {
                ServiceError::Interrupted {
                    service: service.to_string(),
                }
            } else {
                ServiceError::Setup {
                    service: service.to_string(),
                    msg: format!(
                        "`{shown}` did not finish within {}",
                        format_duration(BUILD_LIMIT)
                    ),
                }
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The group may hold build scripts or rustc still: none may outlive it.
    group.kill();
    if status.success() {
        return Ok(());
    }
    stderr.wait_end(OUTPUT_WAIT);
    // The first error among the last lines is the cause; cargo's own
    // "could not compile" comes after it.
    let last = stderr
        .lines()
        .into_iter()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.last_line())
        .unwrap_or_else(|| "it printed nothing".to_string());
    Err(ServiceError::BuildFailed {
        service: service.to_string(),
        command: shown,
        status: status.to_string(),
        last,
    })
}

impl RunningService {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pid of the started process, which is also its process group's.
    pub fn pid(&self) -> u32 {
        self.group.id()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How the started process ended, if it has (reaped here).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.exited = Some(st);
            }
        }
        self.exited
    }

    /// The last lines of its standard error, oldest first; waits briefly
    /// for the end of the stream when the process has exited.
    pub fn stderr_tail(&mut self) -> Vec<String> {
        if self.exit_status().is_some() {
            self.stderr.wait_end(OUTPUT_WAIT);
        }
        self.stderr.lines()
    }

    /// The last lines of its standard output, oldest first.
    pub fn stdout_tail(&mut self) -> Vec<String> {
        if self.exit_status().is_some() {
            self.stdout.wait_end(OUTPUT_WAIT);
        }
        self.stdout.lines()
    }

    /// The last line it wrote, standard error first; for one-line errors.
    pub fn last_words(&mut self) -> String {
        let err = self.stderr_tail();
        if let Some(l) = err.last() {
            return l.clone();
        }
        match self.stdout_tail().last() {
            Some(l) => format!("(stdout) {l}"),
            None => "it printed nothing".to_string(),
        }
    }

    /// Polls the ready path until the expected status, the timeout, the
    /// process's exit or `cancel`.
    fn wait_ready(
        &mut self,
        spec: &ServiceSpec,
        cancel: &CancellationToken,
    ) -> Result<(), ServiceError> {
        let ready = &spec.ready;
        let url = self.url(&ready.path);
        let deadline = Instant::now() + ready.timeout;
        let mut pause = FIRST_POLL;
        let mut last = "nothing answered".to_string();
        loop {
            if cancel.is_cancelled() {
                return Err(ServiceError::Interrupted {
                    service: self.name.clone(),
                });
            }
            if let Some(st) = self.exit_status() {
                return Err(ServiceError::ExitedBeforeReady {
                    service: self.name.clone(),
                    status: st.to_string(),
                    last: self.last_words(),
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ServiceError::NotReady {
                    service: self.name.clone(),
                    timeout: format_duration(ready.timeout),
                    last: format!("GET {url}: {last}"),
                });
            }
            match get_status(self.port, &ready.path, left.min(READY_CHECK_LIMIT)) {
                Ok(status) if status == ready.status => return Ok(()),
                Ok(status) => last = format!("answered {status} (ready is {})", ready.status),
                Err(e) => last = e,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(pause.min(left));
            pause = (pause * 3 / 2).min(MAX_POLL);
        }
    }

    /// Stops the whole process group: the stop signal, up to `grace` for
    /// every process of the group to end, then SIGKILL and the reaping of
    /// the started process. Returns how it ended (`None` if it could not be
    /// reaped within [`KILL_WAIT`]). Idempotent.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        if self.stopped {
            return self.exited;
        }
        let group = self.group;
        let killed = group.stop_blocking(
            self.stop.signal.number(),
            self.stop.grace,
            KILL_WAIT,
            &mut || self.exit_status().is_some() && !group.is_alive(),
        );
        self.killed = killed || self.killed;
        self.stopped = true;
        self.exited
    }

    /// Whether the grace period passed and the group had to be killed.
    pub fn was_killed(&self) -> bool {
        self.killed
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where a service's command runs: its `cwd` under `root`, or `root`.
pub fn working_dir(spec: &ServiceSpec, root: &Path) -> PathBuf {
    match &spec.cwd {
        Some(c) => root.join(c),
        None => root.to_path_buf(),
    }
}

#[cfg(test)]
mod tests;
