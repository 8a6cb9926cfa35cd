//! A service under test: an HTTP server the workspace starts itself
//! (`[[workspace.metadata.ratecheck.service]]`), which scenarios load with
//! `target = "service:NAME"`.
//!
//! [`ServiceSpec`] is the configured service (validated in
//! `config/service.rs`). The lifecycle is in [`lifecycle`]: a free loopback
//! port, `{port}` substituted, a `cargo build` first when the command is
//! `cargo run …`, the process started in its own process group, readiness
//! polled over HTTP, and the whole group stopped (signal, grace, SIGKILL)
//! by a guard, on every path. [`output`] keeps the last lines of its
//! standard output and error; [`ready`] is the ready check (one request);
//! [`proc`] samples the process tree's CPU time and RSS from `/proc`;
//! [`figures`] turns those samples and a run's phases into the service's
//! figures (pure).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub mod figures;
pub mod lifecycle;
pub mod output;
pub mod proc;
pub mod ready;

pub use lifecycle::{RunningService, ServiceError};

/// The placeholder replaced by the service's port in `command` and `env`.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// Lines of standard output and of standard error kept for messages and
/// reports.
pub const TAIL_LINES: usize = 20;

/// One configured service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// `[A-Za-z0-9._-]+`; scenarios name it as `service:NAME`.
    pub name: String,
    /// Program and arguments; `{port}` is replaced in every element.
    pub command: Vec<String>,
    /// Extra environment variables; `{port}` is replaced in the values.
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the workspace root (default: the root).
    pub cwd: Option<PathBuf>,
    pub ready: Ready,
    pub stop: Stop,
}

/// When a started service counts as ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// Polled with `GET http://127.0.0.1:{port}{path}`.
    pub path: String,
    /// The status that means ready.
    pub status: u16,
    /// How long the service may take to become ready.
    pub timeout: Duration,
}

impl Default for Ready {
    fn default() -> Self {
        Ready {
            path: "/".to_string(),
            status: 200,
            timeout: Duration::from_secs(60),
        }
    }
}

/// How a service is stopped: `signal` to its process group, then SIGKILL
/// after `grace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub signal: StopSignal,
    pub grace: Duration,
}

impl Default for Stop {
    fn default() -> Self {
        Stop {
            signal: StopSignal::Term,
            grace: Duration::from_secs(5),
        }
    }
}

/// The signals a service may be asked to stop with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Term,
    Int,
    Hup,
    Quit,
    Usr1,
    Usr2,
    Kill,
}

impl StopSignal {
    /// Every signal, for parsing and for error messages.
    pub const ALL: [StopSignal; 7] = [
        StopSignal::Term,
        StopSignal::Int,
        StopSignal::Hup,
        StopSignal::Quit,
        StopSignal::Usr1,
        StopSignal::Usr2,
        StopSignal::Kill,
    ];

    /// The configuration's word: `TERM`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Term => "TERM",
            StopSignal::Int => "INT",
            StopSignal::Hup => "HUP",
            StopSignal::Quit => "QUIT",
            StopSignal::Usr1 => "USR1",
            StopSignal::Usr2 => "USR2",
            StopSignal::Kill => "KILL",
        }
    }

    /// `TERM`, `SIGTERM` (any case) → the signal.
    pub fn parse(s: &str) -> Option<StopSignal> {
        let upper = s.trim().to_ascii_uppercase();
        let word = upper.strip_prefix("SIG").unwrap_or(&upper);
        StopSignal::ALL.into_iter().find(|sig| sig.name() == word)
    }

    /// The signal number.
    pub fn number(self) -> libc::c_int {
        match self {
            StopSignal::Term => libc::SIGTERM,
            StopSignal::Int => libc::SIGINT,
            StopSignal::Hup => libc::SIGHUP,
            StopSignal::Quit => libc::SIGQUIT,
            StopSignal::Usr1 => libc::SIGUSR1,
            StopSignal::Usr2 => libc::SIGUSR2,
            StopSignal::Kill => libc::SIGKILL,
        }
    }
}

impl ServiceSpec {
    /// A service running `command` with the default readiness and stop.
    pub fn new(name: &str, command: &[&str]) -> ServiceSpec {
        ServiceSpec {
            name: name.to_string(),
            command: command.iter().map(|s| s.to_string()).collect(),
            env: BTreeMap::new(),
            cwd: None,
            ready: Ready::default(),
            stop: Stop::default(),
        }
    }

    /// Whether the service is told its port: `{port}` in the command or an
    /// environment value.
    pub fn mentions_port(&self) -> bool {
        self.command
            .iter()
            .chain(self.env.values())
            .any(|s| s.contains(PORT_PLACEHOLDER))
    }

    /// The command with `{port}` replaced by `port`.
    pub fn command_for(&self, port: u16) -> Vec<String> {
        self.command.iter().map(|a| substitute(a, port)).collect()
    }

    /// The environment with `{port}` replaced by `port` in the values.
    pub fn env_for(&self, port: u16) -> BTreeMap<String, String> {
        self.env
            .iter()
            .map(|(k, v)| (k.clone(), substitute(v, port)))
            .collect()
    }
}

/// `s` with every `{port}` replaced by `port`.
pub fn substitute(s: &str, port: u16) -> String {
    s.replace(PORT_PLACEHOLDER, &port.to_string())
}

/// The `cargo build …` to run before a `cargo run …` command: the same
/// program and arguments up to `--` (the service's own arguments), with the
/// first `run` replaced by `build`. `None` when the command is not a cargo
/// `run`.
pub fn build_command(command: &[String]) -> Option<Vec<String>> {
    let program = command.first()?;
    let is_cargo = std::path::Path::new(program)
        .file_name()
        .is_some_and(|f| f == "cargo");
    if !is_cargo {
        return None;
    }
    let cargo_args: Vec<&String> = command[1..].iter().take_while(|a| *a != "--").collect();
    let run = cargo_args.iter().position(|a| *a == "run")?;
    let mut out = vec![program.clone()];
    for (i, a) in cargo_args.into_iter().enumerate() {
        out.push(if i == run {
            "build".to_string()
        } else {
            a.clone()
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn port_is_substituted_everywhere() {
        let mut s = ServiceSpec::new("api", &["srv", "--addr=127.0.0.1:{port}", "{port}{port}"]);
        s.env.insert("PORT".into(), "{port}".into());
        s.env.insert("RUST_LOG".into(), "warn".into());
        assert_eq!(
            s.command_for(8080),
            v(&["srv", "--addr=127.0.0.1:8080", "80808080"])
        );
        assert_eq!(s.env_for(8080)["PORT"], "8080");
        assert_eq!(s.env_for(8080)["RUST_LOG"], "warn");
        assert!(s.mentions_port());
        let mut quiet = ServiceSpec::new("api", &["srv"]);
        assert!(!quiet.mentions_port());
        quiet.env.insert("PORT".into(), "{port}".into());
        assert!(quiet.mentions_port());
    }

    #[test]
    fn cargo_run_is_built_first() {
        let cmd = v(&[
            "cargo",
            "run",
            "--release",
            "-p",
            "api",
            "--",
            "--port",
            "{port}",
            "run",
        ]);
        assert_eq!(
            build_command(&cmd),
            Some(v(&["cargo", "build", "--release", "-p", "api"]))
        );
        let toolchain = v(&["cargo", "+stable", "run", "-q"]);
        assert_eq!(
            build_command(&toolchain),
            Some(v(&["cargo", "+stable", "build", "-q"]))
        );
        let path = v(&["/usr/bin/cargo", "run"]);
        assert_eq!(build_command(&path), Some(v(&["/usr/bin/cargo", "build"])));
        // Not a cargo run: nothing to build.
        assert_eq!(build_command(&v(&["target/release/api", "run"])), None);
        assert_eq!(build_command(&v(&["cargo", "test", "--", "run"])), None);
        assert_eq!(build_command(&v(&["cargo-api", "run"])), None);
        assert_eq!(build_command(&[]), None);
    }

    #[test]
    fn signals_parse_by_name() {
        assert_eq!(StopSignal::parse("TERM"), Some(StopSignal::Term));
        assert_eq!(StopSignal::parse("sigint"), Some(StopSignal::Int));
        assert_eq!(StopSignal::parse("SIGKILL"), Some(StopSignal::Kill));
        assert_eq!(StopSignal::parse("STOP"), None);
        assert_eq!(StopSignal::parse(""), None);
        for s in StopSignal::ALL {
            assert_eq!(StopSignal::parse(s.name()), Some(s));
        }
        assert_eq!(StopSignal::Term.number(), libc::SIGTERM);
    }
}
