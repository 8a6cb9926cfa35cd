//! Ctrl-C (SIGINT) during a command (issue 6, item 4): `run` writes the
//! partial report and exits 130; `check` claims no verdict; `baseline save`
//! leaves the previous baseline intact.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use cargo_ratecheck::baseline::store;
use common::Ran;

/// Starts `ratecheck ARGS` in `cwd`, sends SIGINT after `after`, and collects
/// the output; the process must exit within `within` of the signal.
fn interrupt(args: &[&str], cwd: &Path, after: Duration, within: Duration) -> Ran {
    let child = common::command(args, cwd)
        .spawn()
        .expect("the binary under test starts");
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    std::thread::sleep(after);
    // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own
    // child, not yet reaped (we hold its `Child`), so the pid is not reused.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT) failed");
    let sent = Instant::now();
    let r = common::wait_with_deadline(child, within + Duration::from_secs(5));
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.timed_out, "still running after SIGINT: {shown}");
    assert!(
        sent.elapsed() <= within,
        "exited {:?} after SIGINT (limit {within:?}): {shown}",
        sent.elapsed()
    );
    for text in ["panicked", "RUST_BACKTRACE"] {
        assert!(!r.stderr.contains(text), "panic text {text:?}: {shown}");
    }
    r
}

#[test]
fn sigint_during_run_prints_the_partial_report_and_exits_130() {
    let ws = common::workspace("");
    let r = interrupt(
        &[
            "run",
            "--rps",
            "200",
            "--duration",
            "30s",
            "--null",
            "--no-self-test",
            "--format",
            "json",
        ],
        ws.path(),
        Duration::from_millis(1500),
        Duration::from_secs(5),
    );
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, Some(130), "{shown}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("a JSON report on stdout");
    assert_eq!(v["diagnostics"]["cancelled"], true, "{shown}");
    assert_eq!(v["schema_version"], 1);
    // Judged on the ~1.5 s that ran (≈ 300 requests), not the 30 s asked for.
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
}

#[test]
fn sigint_during_run_still_writes_the_json_file() {
    let ws = common::workspace("");
    let json = ws.path().join("report.json");
    let r = interrupt(
        &[
            "run",
            "--rps",
            "100",
            "--duration",
            "30s",
            "--null",
            "--no-self-test",
            "--json",
            json.to_str().expect("UTF-8 path"),
        ],
        ws.path(),
        Duration::from_millis(1000),
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(130), "{r:?}");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("--json file written"))
            .expect("valid JSON");
    assert_eq!(v["diagnostics"]["cancelled"], true);
}

#[test]
fn sigint_during_check_claims_no_verdict() {
    let ws = common::workspace("");
    let r = interrupt(
        &["check", "--no-baseline", "--quick", "--format", "json"],
        ws.path(),
        Duration::from_millis(1500),
        Duration::from_secs(5),
    );
    let shown = format!("{:?}\nstdout:\n{}\nstderr:\n{}", r.code, r.stdout, r.stderr);
    assert_eq!(
        r.code,
        Some(130),
        "interrupted, neither pass nor fail: {shown}"
    );
    assert!(r.stdout.trim().is_empty(), "no verdict printed: {shown}");
    assert!(r.stderr.contains("no verdict"), "{shown}");
}

#[test]
fn sigint_during_baseline_save_keeps_the_previous_baseline() {
    let ws = common::workspace("");
    let dir = ws.path().join("baselines");
    let path = dir.join("default.json");
    let previous = common::valid_baseline();
    store::save_atomic(&path, &previous).expect("save the previous baseline");
    let before = std::fs::read(&path).expect("read");
    // Not a git repository: save warns that no commit is named and goes on.
    let r = interrupt(
        &["baseline", "save", "--quick"],
        ws.path(),
        Duration::from_millis(1500),
        Duration::from_secs(5),
    );
    assert_eq!(r.code, Some(130), "{r:?}");
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
