//! The Markdown report a pull-request comment carries: `check --markdown
//! PATH` writes the same Markdown the step summary gets, and every path it
//! prints is relative to the workspace, never where a CI runner's checkout
//! happens to be. A `--markdown` file that cannot be written is refused
//! before the suite runs.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::baseline::store;
use serde_json::Value;

/// Generous: one self-test and a 300 ms scenario on a busy machine.
const LIMIT: Duration = Duration::from_secs(60);

/// Baseline `gate`, one tiny null-target scenario.
const SECTION: &str = r#"baseline = "gate"

[[workspace.metadata.ratecheck.scenario]]
name = "tiny"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.6 }"#;

#[test]
fn the_markdown_file_names_the_baseline_relative_to_the_workspace() {
    let ws = common::workspace(SECTION);
    store::save_atomic(
        &ws.path().join("baselines/gate.json"),
        &common::valid_baseline(),
    )
    .expect("save baseline");
    std::fs::create_dir(ws.path().join("comment")).expect("mkdir");
    let md_path = ws.path().join("comment/baseline.md");
    let args = [
        "check",
        "--scenario",
        "tiny",
        "--format",
        "json",
        "--markdown",
        md_path.to_str().expect("UTF-8 temp path"),
    ];
    let r = common::run_bin(&args, ws.path(), LIMIT);
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.timed_out, "hung: {shown}");
    // Judged (on a busy machine the self-test may fail: exit 1).
    assert!(matches!(r.code, Some(0 | 1)), "judged: {shown}");
    let json: Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(json["baseline_path"], "baselines/gate.json", "{shown}");

    let md = std::fs::read_to_string(&md_path).expect("--markdown wrote the report");
    let verdict = md.lines().next().unwrap_or_default();
    assert!(verdict.starts_with("### "), "a verdict heading: {md}");
    assert!(md.contains(" from baselines/gate.json"), "{md}");
    let root = ws.path().to_str().expect("UTF-8 temp path");
    let real = ws.path().canonicalize().expect("canonical temp path");
    for absolute in [root, real.to_str().expect("UTF-8")] {
        assert!(
            !md.contains(absolute),
            "no absolute path ({absolute}): {md}"
        );
    }
}

#[test]
fn a_markdown_file_in_a_missing_directory_is_refused_before_the_run() {
    let ws = common::workspace(SECTION);
    let out = ws.path().join("no-such-dir/report.md");
    let out = out.to_str().expect("UTF-8 temp path");
    let r = common::run_bin(
        &["check", "--no-baseline", "--markdown", out],
        ws.path(),
        LIMIT,
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    let line = r.first_err_line();
    assert!(
        line.contains("--markdown") && line.contains(out) && line.contains("does not exist"),
        "{line}"
    );
    assert!(
        r.elapsed < Duration::from_secs(5),
        "before the suite: {r:?}"
    );
    assert!(!Path::new(out).exists());
}
