//! `check --baseline-rev REV` judges with the configuration committed at
//! REV, not the working tree's: nobody moves their own goalposts. A pull
//! request that loosens a threshold, renames the baseline or swaps the
//! scenarios in its own Cargo.toml is still judged by the base branch's.
//!
//! Each case runs in a throwaway git repository holding a cargo workspace;
//! the suite runs are one tiny null-target scenario (plus the 1 s
//! self-test), and the resolved settings are read from `--format json`: the
//! scenario names, the limits applied and the baseline read.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::baseline::store;
use serde_json::Value;

/// Generous: one self-test and a 300 ms scenario on a busy machine.
const LIMIT: Duration = Duration::from_secs(60);

/// What REV (HEAD) says: baseline `gate`, default workspace thresholds
/// (`max-error-rate = 0`), one scenario with an efficiency floor of 0.6.
const COMMITTED: &str = r#"baseline = "gate"

[[workspace.metadata.ratecheck.scenario]]
name = "tiny-at-rev"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.6 }"#;

/// The working tree loosens all of it.
const LOOSENED: &str = r#"baseline = "loose"
thresholds = { max-error-rate = 0.5, cpu-tolerance = 10.0 }

[[workspace.metadata.ratecheck.scenario]]
name = "tiny-in-tree"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.3 }"#;

/// Runs `check ARGS --format json` in `dir`; the run must have been judged
/// (exit 0 or 1: on a busy machine the self-test may fail, which does not
/// matter here). Returns the JSON output.
fn check_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = common::run_bin(&all, dir, LIMIT);
    let shown = format!("args {all:?}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.timed_out, "hung: {shown}");
    assert!(matches!(r.code, Some(0 | 1)), "judged: {shown}");
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("JSON on stdout ({e}): {shown}"))
}

/// The `limit` of each row of `scenario`, by figure.
fn limit(out: &Value, scenario: &str, figure: &str) -> String {
    out["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["scenario"] == scenario && r["figure"] == figure)
        .and_then(|r| r["limit"].as_str())
        .unwrap_or_else(|| panic!("a {scenario}/{figure} row: {:#}", out["rows"]))
        .to_string()
}

/// The scenarios the suite measured (the self-test, which always runs,
/// left out).
fn scenarios(out: &Value) -> Vec<String> {
    out["current"]["scenarios"]
        .as_array()
        .expect("current.scenarios")
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .filter(|name| name != "self-test")
        .collect()
}

fn warnings(out: &Value) -> Vec<String> {
    out["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

#[test]
fn baseline_rev_judges_with_the_committed_configuration() {
    let ws = common::workspace(COMMITTED);
    let gate = ws.path().join("baselines/gate.json");
    store::save_atomic(&gate, &common::valid_baseline()).expect("save baseline");
    common::git(ws.path(), &["init", "-q"]);
    common::commit_all(ws.path(), "gate configuration and baseline");
    common::rewrite_section(ws.path(), LOOSENED);

    // Control: the working tree's own configuration is loose, and visible.
    let own = check_json(ws.path(), &["--no-baseline", "--scenario", "tiny"]);
    assert_eq!(scenarios(&own), ["tiny-in-tree"]);
    assert_eq!(limit(&own, "tiny-in-tree", "efficiency"), "≥ 30.00%");
    assert_eq!(limit(&own, "tiny-in-tree", "error_rate"), "≤ 50.00%");

    // With --baseline-rev HEAD: HEAD's scenarios, thresholds and baseline
    // name (the tree's `loose` baseline exists nowhere).
    let judged = check_json(ws.path(), &["--baseline-rev", "HEAD", "--scenario", "tiny"]);
    assert_eq!(judged["baseline_path"], "HEAD:baselines/gate.json");
    assert_eq!(scenarios(&judged), ["tiny-at-rev"]);
    assert_eq!(limit(&judged, "tiny-at-rev", "efficiency"), "≥ 60.00%");
    assert_eq!(limit(&judged, "tiny-at-rev", "error_rate"), "≤ 0.00%");
    let w = warnings(&judged);
    assert!(
        w.iter().any(|w| w.starts_with("the configuration at `HEAD` (HEAD:Cargo.toml, commit ")
            && w.ends_with("this tree's changes to baseline, thresholds, scenario do not apply until they land there")),
        "a warning says the configuration at HEAD was used: {w:?}"
    );
}

/// No section at REV: the built-in defaults apply (no scenario in a
/// workspace that is not this tool's, baseline `default`), not the working
/// tree's section. Shown without running the suite: a `--scenario` that
/// matches nothing lists the suite's names, here none.
#[test]
fn baseline_rev_without_a_section_uses_the_defaults() {
    let ws = common::workspace("");
    store::save_atomic(
        &ws.path().join("baselines/default.json"),
        &common::valid_baseline(),
    )
    .expect("save baseline");
    common::git(ws.path(), &["init", "-q"]);
    common::commit_all(ws.path(), "no configuration");
    common::rewrite_section(ws.path(), LOOSENED);

    let args = ["--baseline-rev", "HEAD", "--scenario", "no-such-scenario"];
    let r = common::run_bin(&args, ws.path(), LIMIT);
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, Some(2), "{shown}");
    assert!(
        r.stderr.contains(
            "error: --scenario no-such-scenario: no scenario matches; none is configured"
        ) && !r.stderr.contains("tiny-in-tree"),
        "{shown}"
    );
    assert!(
        r.stderr.contains(
            "comparing with HEAD:baselines/default.json, configuration from HEAD:Cargo.toml"
        ),
        "{shown}"
    );

    // Without --baseline-rev the tree's section applies (its `loose`
    // baseline does not exist, so that is refused first).
    let r = common::run_bin(&args[2..], ws.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.first_err_line().starts_with("error: no baseline at")
            && r.first_err_line().contains("loose.json"),
        "{r:?}"
    );
}
