//! Helpers shared by the integration tests: running the binary with a hard
//! deadline (a hung command fails the test instead of hanging it), throwaway
//! cargo workspaces (optionally in a git repository) for the config and
//! baseline paths, a small valid baseline, and a lock that keeps the
//! real-time engine tests from competing for the two cores.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cargo_ratecheck::baseline::model::{Baseline, BASELINE_SCHEMA_VERSION};
use cargo_ratecheck::figure::{
    Figure, FigureKind, MachineInfo, ScenarioKind, ScenarioResult, SuiteResult,
};
use cargo_ratecheck::git::GitInfo;
use ratecheck_engine::metrics::snapshot::RunReport;

/// The binary under test (the debug build in `cargo test`).
pub const BIN: &str = env!("CARGO_BIN_EXE_cargo-ratecheck");

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Ran {
    /// Exit code; `None` when killed by a signal (or by the deadline).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The deadline passed and the process was killed.
    pub timed_out: bool,
}

impl Ran {
    /// The first non-empty line of standard error.
    pub fn first_err_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }

    /// The contract of a refusal: exit 2, no panic, nothing on standard
    /// output, and a first standard-error line that starts `error: ` and
    /// holds every one of `needles`. `shown`: what to print on failure.
    pub fn assert_refused(&self, needles: &[&str], shown: &str) {
        let shown = format!(
            "{shown}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert_eq!(self.code, Some(2), "exit code: {shown}");
        for text in ["panicked", "RUST_BACKTRACE"] {
            assert!(
                !self.stderr.contains(text) && !self.stdout.contains(text),
                "panic text {text:?}: {shown}"
            );
        }
        assert!(
            self.stdout.trim().is_empty(),
            "no results on stdout: {shown}"
        );
        let line = self.first_err_line();
        assert!(line.starts_with("error: "), "one `error:` line: {shown}");
        for n in needles {
            assert!(line.contains(n), "the error line names {n:?}: {shown}");
        }
    }
}

/// A `cargo-ratecheck ratecheck ARGS` command in `cwd`, with no terminal,
/// no colour and no GitHub Actions environment.
pub fn command(args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("ratecheck")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cargo-ratecheck ratecheck ARGS` in `cwd`, killing it after `limit`.
pub fn run_bin(args: &[&str], cwd: &Path, limit: Duration) -> Ran {
    let child = command(args, cwd)
        .spawn()
        .expect("the binary under test starts");
    wait_with_deadline(child, limit)
}

/// Collects a spawned child's output, killing it once `limit` has passed
/// since this call. Output is read on threads so a full pipe cannot block it.
pub fn wait_with_deadline(mut child: Child, limit: Duration) -> Ran {
    let t0 = Instant::now();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st;
        }
        if t0.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = t0.elapsed();
    Ran {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed,
        timed_out,
    }
}

/// A virtual cargo workspace (no members) in a temp dir, with `section`
/// appended under `[workspace.metadata.ratecheck]` when not empty.
pub fn workspace(section: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut toml = String::from("[workspace]\nmembers = []\nresolver = \"2\"\n");
    if !section.is_empty() {
        toml.push_str("\n[workspace.metadata.ratecheck]\n");
        toml.push_str(section);
        toml.push('\n');
    }
    std::fs::write(dir.path().join("Cargo.toml"), toml).expect("write Cargo.toml");
    dir
}

/// Runs `git ARGS` in `dir` with a throwaway identity and no system or user
/// configuration; panics when git fails.
pub fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args([
            "-c",
            "user.name=ratecheck-test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git runs");
    assert!(st.success(), "git {args:?} in {}", dir.display());
}

/// Stages every file in `dir` (a repository's root) and commits.
pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// [`workspace`] in a fresh git repository, with a tracked `notes.txt`,
/// all committed.
pub fn git_workspace(section: &str) -> tempfile::TempDir {
    let ws = workspace(section);
    std::fs::write(ws.path().join("notes.txt"), "one\n").expect("write notes.txt");
    git(ws.path(), &["init", "-q"]);
    commit_all(ws.path(), "init");
    ws
}

/// Replaces the `[workspace.metadata.ratecheck]` section of the workspace
/// in `dir` (as [`workspace`] wrote it) with `section`, uncommitted.
pub fn rewrite_section(dir: &Path, section: &str) {
    let manifest = dir.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).expect("read Cargo.toml");
    let head = toml
        .split("\n[workspace.metadata.ratecheck]")
        .next()
        .unwrap_or(&toml)
        .to_string();
    std::fs::write(
        &manifest,
        format!("{head}\n[workspace.metadata.ratecheck]\n{section}\n"),
    )
    .expect("write Cargo.toml");
}

/// Serialises the tests that measure real-time rates: on a 2-core machine
/// two of them at once would measure each other.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A multi-threaded tokio runtime like the binary's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// A small, valid baseline built from the library types.
pub fn valid_baseline() -> Baseline {
    let figures = [
        (
            "efficiency",
            Figure::from_trials(FigureKind::Efficiency, "", vec![0.998, 0.999, 1.0]),
        ),
        ("error_rate", Figure::single(FigureKind::ErrorRate, "", 0.0)),
    ]
    .into_iter()
    .map(|(k, f)| (k.to_string(), f))
    .collect();
    Baseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        git: GitInfo {
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            branch: Some("main".into()),
            dirty: false,
            commit_time: Some("2024-05-01T12:34:56Z".into()),
        },
        machine: MachineInfo {
            cpu_model: "Test CPU".into(),
            cores: 2,
            os: "linux".into(),
            rustc: "rustc 1.80.0".into(),
        },
        settings: serde_json::json!({"trials": 3}),
        suite: SuiteResult {
            quick: true,
            selftest_passed: true,
            scenarios: vec![ScenarioResult {
                name: "steady-1k".into(),
                kind: ScenarioKind::Load,
                figures,
                report: Some(RunReport::example()),
                warnings: vec![],
                service_crash: None,
                target: None,
            }],
            ..Default::default()
        },
    }
}

/// Asserts that one of the run's warnings mentions every one of `needles`.
#[track_caller]
pub fn assert_warns(r: &RunReport, needles: &[&str]) {
    assert!(
        r.warnings
            .iter()
            .any(|w| needles.iter().all(|n| w.contains(n))),
        "a warning says {needles:?}: {:?}",
        r.warnings
    );
}

/// The revision trees of the workspace at `ws` (target directory
/// `ws/target`) checked out now: `--against` and `bisect` check them out
/// outside the workspace, under the system's temporary directory.
pub fn revision_trees(ws: &Path) -> Vec<String> {
    use cargo_ratecheck::revision::build::{worktree_prefix, worktree_root};
    let prefix = worktree_prefix(&ws.join("target"));
    match std::fs::read_dir(worktree_root()) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&prefix))
            .collect(),
        Err(_) => Vec::new(),
    }
}
