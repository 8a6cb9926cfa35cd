//! Ctrl-C (SIGINT) during a command: `run` writes the partial report and
//! exits 130; `check` claims no verdict; `baseline save` leaves the previous
//! baseline intact; `check --against` stops the base's build and leaves no
//! checked-out tree or build process behind. Each must exit exactly 130.
//!
//! The signal is sent once the process shows it is running, never after a
//! fixed sleep: `check` and `baseline save` under `--verbose` print a line per
//! finished scenario (the first, `  self-test: 1.0 s`, comes after the Ctrl-C
//! handler is installed), and `run` is pointed at an embedded server in this
//! process, which counts the requests it receives.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cargo_ratecheck::baseline::store;
use common::Ran;
use ratecheck_engine::server::{self, ServerHandle, ServerOptions};

/// How long a command may take to show it is running.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long it may take to exit after the signal.
const EXIT_WITHIN: Duration = Duration::from_secs(5);

/// What shows that the process under test is running.
enum Ready<'a> {
    /// A line of its standard error that satisfies this test.
    Line(fn(&str) -> bool),
    /// The server it loads has received at least this many requests.
    Requests(&'a ServerHandle, u64),
    /// This file exists.
    File(&'a Path),
}

/// `--verbose` progress of `check` and `baseline save`: a finished scenario,
/// `  NAME: SECONDS s`.
fn finished_scenario(line: &str) -> bool {
    line.strip_prefix("  ")
        .and_then(|l| l.strip_suffix(" s"))
        .and_then(|l| l.rsplit_once(": "))
        .is_some_and(|(name, secs)| !name.is_empty() && secs.parse::<f64>().is_ok())
}

/// Starts `ratecheck ARGS` in `cwd`, sends SIGINT once `ready` holds, and
/// collects the output; the process must exit within [`EXIT_WITHIN`] of the
/// signal, without a panic.
fn interrupt(args: &[&str], cwd: &Path, ready: Ready<'_>) -> Ran {
    interrupt_command(common::command(args, cwd), ready)
}

/// [`interrupt`] for a command built by the caller.
fn interrupt_command(mut command: std::process::Command, ready: Ready<'_>) -> Ran {
    let mut child = command.spawn().expect("the binary under test starts");
    // Standard error is read here, line by line, so the lines can be watched;
    // the whole text is put back into the result at the end.
    let (lines, seen) = mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = lines.send(line);
        }
        all
    });
    let t0 = Instant::now();
    let is_ready = || match ready {
        Ready::Line(want) => match seen.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => want(&line),
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("stderr closed before ready"),
        },
        Ready::Requests(s, n) => {
            std::thread::sleep(Duration::from_millis(10));
            s.requests() >= n
        }
        Ready::File(p) => {
            std::thread::sleep(Duration::from_millis(10));
            p.is_file()
        }
    };
    while !is_ready() {
        let exited = child.try_wait().expect("try_wait");
        assert!(
            exited.is_none() && t0.elapsed() < READY_WITHIN,
            "not ready after {:?} (exit {exited:?})",
            t0.elapsed()
        );
    }
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own
    // child, not yet reaped (we hold its `Child`), so the pid is not reused.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT) failed");
    let sent = Instant::now();
    let mut r = common::wait_with_deadline(child, EXIT_WITHIN + Duration::from_secs(5));
    r.stderr = reader.join().expect("stderr reader");
    let shown = format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
    assert!(!r.timed_out, "still running after SIGINT: {shown}");
    assert!(
        sent.elapsed() <= EXIT_WITHIN,
        "exited {:?} after SIGINT (limit {EXIT_WITHIN:?}): {shown}",
        sent.elapsed()
    );
    for text in ["panicked", "RUST_BACKTRACE"] {
        assert!(!r.stderr.contains(text), "panic text {text:?}: {shown}");
    }
    assert_eq!(r.code, Some(130), "{shown}");
    r
}

/// Runs `f` with the URL of an embedded server that this test process runs.
fn with_server(f: impl FnOnce(&ServerHandle, &str)) {
    let rt = common::runtime();
    let s = rt
        .block_on(server::start(ServerOptions::default()))
        .expect("embedded server starts");
    f(&s, &s.url());
    rt.block_on(s.shutdown());
}

/// The section that plans the engine's own suite in a scratch workspace.
const ENGINE_SUITE: &str = "engine-benches = true";

#[test]
fn sigint_during_run_prints_the_partial_report_and_exits_130() {
    let ws = common::workspace("");
    with_server(|s, url| {
        let args = ["run", "--rps", "200", "--duration", "30s", "--url", url];
        let args = [&args[..], &["--no-self-test", "--format", "json"]].concat();
        let r = interrupt(&args, ws.path(), Ready::Requests(s, 100));
        let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
        let v: serde_json::Value =
            serde_json::from_str(&r.stdout).expect("a JSON report on stdout");
        assert_eq!(v["diagnostics"]["cancelled"], true, "{shown}");
        assert_eq!(v["schema_version"], 1);
        // Judged on the part that ran: at least the 100 requests the server
        // saw before the signal, far fewer than the 6000 of 30 s at 200 rps.
        let expected = v["requests"]["expected"].as_u64().expect("expected count");
        assert!((100..=1000).contains(&expected), "{shown}");
        let completed = v["requests"]["completed"]
            .as_u64()
            .expect("completed count");
        assert!(completed > 0 && completed <= expected + 1, "{shown}");
        assert!(
            v["warnings"]
                .as_array()
                .expect("warnings")
                .iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains("cancelled"))),
            "{shown}"
        );
        assert!(r.stderr.contains("interrupted"), "{shown}");
    });
}

#[test]
fn sigint_during_run_still_writes_the_json_file() {
    let ws = common::workspace("");
    let json = ws.path().join("report.json");
    with_server(|s, url| {
        let args = ["run", "--rps", "100", "--duration", "30s", "--url", url];
        let json_arg = json.to_str().expect("UTF-8 path");
        let args = [&args[..], &["--no-self-test", "--json", json_arg]].concat();
        interrupt(&args, ws.path(), Ready::Requests(s, 50));
    });
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("--json file written"))
            .expect("valid JSON");
    assert_eq!(v["diagnostics"]["cancelled"], true);
}

#[test]
fn sigint_during_check_claims_no_verdict() {
    // The engine's own suite, so there is something to interrupt after the
    // self-test (a workspace that is not this tool's plans none by default).
    let ws = common::workspace(ENGINE_SUITE);
    let r = interrupt(
        &[
            "check",
            "--no-baseline",
            "--quick",
            "--verbose",
            "--format",
            "json",
        ],
        ws.path(),
        Ready::Line(finished_scenario),
    );
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stdout.trim().is_empty(), "no verdict printed: {shown}");
    assert!(r.stderr.contains("no verdict"), "{shown}");
}

#[test]
fn sigint_during_baseline_save_keeps_the_previous_baseline() {
    let ws = common::workspace(ENGINE_SUITE);
    let dir = ws.path().join("baselines");
    let path = dir.join("default.json");
    let previous = common::valid_baseline();
    store::save_atomic(&path, &previous).expect("save the previous baseline");
    let before = std::fs::read(&path).expect("read");
    // Not a git repository: save warns that no commit is named and goes on.
    let r = interrupt(
        &["baseline", "save", "--quick", "--verbose"],
        ws.path(),
        Ready::Line(finished_scenario),
    );
    assert!(
        r.stderr.contains("the baseline names no commit"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&path).expect("the baseline is still there"),
        before,
        "the previous baseline is byte for byte intact"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("read baselines/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n != "default.json")
        .collect();
    assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
}

#[test]
fn verbose_progress_lines_are_recognised() {
    assert!(finished_scenario("  self-test: 1.0 s"));
    assert!(finished_scenario("  steady-1k: 12.5 s"));
    assert!(!finished_scenario(
        "warning: not in a git repository: the baseline names no commit"
    ));
    assert!(!finished_scenario(
        "ratecheck: no baseline (--no-baseline): floors only"
    ));
    assert!(!finished_scenario("  : 1.0 s"));
}

/// A package `cargo-ratecheck` (so `--against` builds its binary, as in
/// this tool's own workspace) whose binary takes long to build: its build
/// script writes its pid to `$RATECHECK_TEST_BUILD_MARKER`, then sleeps for
/// at most two minutes.
fn slow_building_workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().expect("temp dir");
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"cargo-ratecheck\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"cargo-ratecheck\"\npath = \"src/main.rs\"\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        (
            "build.rs",
            "fn main() {\n    if let Some(m) = std::env::var_os(\"RATECHECK_TEST_BUILD_MARKER\") {\n        std::fs::write(m, std::process::id().to_string()).unwrap();\n    }\n    std::thread::sleep(std::time::Duration::from_secs(120));\n}\n",
        ),
    ];
    for (name, text) in files {
        let path = ws.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).expect("mkdir");
        std::fs::write(path, text).expect("write fixture");
    }
    common::git(ws.path(), &["init", "-q"]);
    common::commit_all(ws.path(), "a slow build");
    ws
}

/// Whether process `pid` still runs (a zombie has ended).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn sigint_during_the_base_build_leaves_no_tree_or_build_behind() {
    let ws = slow_building_workspace();
    let marker = ws.path().join("build-script.pid");
    let mut check = common::command(
        &["check", "--no-baseline", "--quick", "--against", "HEAD"],
        ws.path(),
    );
    check.env("RATECHECK_TEST_BUILD_MARKER", &marker);
    let r = interrupt_command(check, Ready::File(&marker));
    assert!(r.stderr.contains("building HEAD"), "{}", r.stderr);
    let left = common::revision_trees(ws.path());
    assert!(left.is_empty(), "trees left behind: {left:?}");
    // The build script was stopped with cargo, not left to sleep on.
    let pid = std::fs::read_to_string(&marker).expect("the build script wrote its pid");
    let t0 = Instant::now();
    while alive(&pid) && t0.elapsed() < EXIT_WITHIN {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(&pid), "build script {pid} still runs");
}
