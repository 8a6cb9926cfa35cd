//! Accepting an intended change through the binary, in throwaway git
//! repositories with hand-made baselines: `check --baseline-rev main` on a
//! branch `pr` judges against the baseline at the merge base, and a
//! regression gets through only when a `Ratecheck-Accept` trailer names
//! it within its bound and the branch commits a refreshed baseline saved
//! at one of its own commits; a baseline the branch commits is held to
//! what the run reproduces.
//!
//! The judged figure is the median response time of one short scenario
//! against the null target (0.006 to 2 ms here, in µs steps, with the
//! machine's load): main's configuration gives it no slack and a 99.99%
//! tolerance, so a baseline of [`TINY`] makes any run a regression, one of
//! [`WIDE`] (with a wide spread) is reproduced by any run under 300 ms, and
//! one of [`LOOSE`] is not reproduced by any run under 100 ms (the run is
//! "improved" past it). No valgrind needed.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::baseline::{model::Baseline, store};
use cargo_ratecheck::figure::{Figure, FigureKind, MachineInfo, ScenarioKind, ScenarioResult};
use cargo_ratecheck::git::GitInfo;
use serde_json::Value;

/// Generous: one self-test and a 300 ms scenario on a busy machine.
const LIMIT: Duration = Duration::from_secs(60);

const SCENARIO: &str = "tiny";
const FIGURE: &str = "response_p50_ms";

/// main's configuration: the one scenario, its latency judged without
/// slack within 90%.
const SECTION: &str = r#"[[workspace.metadata.ratecheck.scenario]]
name = "tiny"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.1, latency-slack-ms = 0.0, latency-tolerance = 0.9999 }"#;

/// A median any run regresses from.
const TINY: Recorded = Recorded {
    p50_ms: 0.00001,
    spread_ms: 0.0,
};
/// A median any run under 300 ms reproduces: 100 ms, its spread widening
/// the 99.99% band to twice the tolerance.
const WIDE: Recorded = Recorded {
    p50_ms: 100.0,
    spread_ms: 100.0,
};
/// A median no run under 100 ms reproduces (1000 s).
const LOOSE: Recorded = Recorded {
    p50_ms: 1e6,
    spread_ms: 0.0,
};

/// What a hand-made baseline records for the judged figure.
#[derive(Clone, Copy)]
struct Recorded {
    p50_ms: f64,
    spread_ms: f64,
}

/// A baseline recording `r` for the scenario, saved at `commit` on this
/// machine.
fn baseline(r: Recorded, commit: &str, dirty: bool) -> Baseline {
    let mut b: Baseline = common::valid_baseline();
    b.git = GitInfo {
        commit: Some(commit.to_string()),
        dirty,
        ..GitInfo::default()
    };
    b.machine = MachineInfo::detect();
    b.suite.quick = false;
    b.suite.scenarios = vec![ScenarioResult {
        name: SCENARIO.into(),
        kind: ScenarioKind::Load,
        figures: [(
            FIGURE.to_string(),
            Figure {
                spread: r.spread_ms,
                ..Figure::single(FigureKind::Latency, "ms", r.p50_ms)
            },
        )]
        .into_iter()
        .collect(),
        report: None,
        warnings: vec![],
        service_crash: None,
        target: None,
    }];
    b
}

fn write_baseline(dir: &Path, b: &Baseline) {
    store::save_atomic(&dir.join("baselines/default.json"), b).expect("write baseline");
}

fn head(dir: &Path) -> String {
    cargo_ratecheck::git::head_info(dir)
        .expect("git")
        .and_then(|h| h.commit)
        .expect("a HEAD commit")
}

/// A repository whose main commits `SECTION` and a baseline of `r`
/// saved at its first commit, checked out on a new branch `pr`.
fn repo(r: Recorded) -> tempfile::TempDir {
    let ws = common::git_workspace(SECTION);
    let first = head(ws.path());
    write_baseline(ws.path(), &baseline(r, &first, false));
    common::commit_all(ws.path(), "ratecheck baseline");
    common::git(ws.path(), &["checkout", "-q", "-b", "pr"]);
    ws
}

/// A code change on the branch, its message `message`.
fn change(dir: &Path, message: &str) {
    let notes = dir.join("notes.txt");
    let mut text = std::fs::read_to_string(&notes).expect("read notes");
    text.push_str("more\n");
    std::fs::write(&notes, text).expect("write notes");
    common::commit_all(dir, message);
}

/// A baseline of `r` "saved" at HEAD (`dirty` as given), committed.
fn refresh(dir: &Path, r: Recorded, dirty: bool) {
    write_baseline(dir, &baseline(r, &head(dir), dirty));
    common::commit_all(dir, "ratecheck baseline refreshed");
}

/// What `check --baseline-rev main` said: its exit code, the JSON and
/// the Markdown report.
struct Checked {
    code: Option<i32>,
    json: Value,
    markdown: String,
}

impl Checked {
    /// The judged figure's row.
    fn row(&self) -> &Value {
        self.json["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["scenario"] == SCENARIO && r["figure"] == FIGURE)
            .unwrap_or_else(|| panic!("a {SCENARIO}/{FIGURE} row: {:#}", self.json["rows"]))
    }

    fn verdict(&self) -> &str {
        self.row()["verdict"].as_str().expect("verdict")
    }

    fn note(&self) -> &str {
        self.row()["note"].as_str().expect("note")
    }

    /// The exit code follows the rows (a busy machine may fail the
    /// self-test: then it is 1 whatever this figure did).
    fn assert_exit(&self, code: i32) {
        let selftest_failed = self.json["rows"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["verdict"] == "below-floor"));
        if !selftest_failed {
            assert_eq!(self.code, Some(code), "{}", self.markdown);
        }
    }
}

fn check(dir: &Path) -> Checked {
    let json_path = dir.join("target-ratecheck.json");
    let args = [
        "check",
        "--baseline-rev",
        "main",
        "--scenario",
        SCENARIO,
        "--format",
        "markdown",
        "--json",
        json_path.to_str().expect("utf-8 path"),
    ];
    let r = common::run_bin(&args, dir, LIMIT);
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.timed_out, "hung: {shown}");
    assert!(matches!(r.code, Some(0 | 1)), "judged: {shown}");
    let json = std::fs::read(&json_path).expect("the JSON report");
    std::fs::remove_file(&json_path).expect("remove the JSON report");
    Checked {
        code: r.code,
        json: serde_json::from_slice(&json).expect("check JSON"),
        markdown: r.stdout,
    }
}

const TRAILER: &str =
    "Ratecheck-Accept: tiny/response_p50_ms +100000000% — slower answers on purpose";

#[test]
fn a_declared_regression_with_a_refreshed_baseline_is_accepted_and_shown_first() {
    let _serial = common::serial();
    let ws = repo(TINY);
    change(ws.path(), &format!("Slower answers\n\n{TRAILER}\n"));
    let trailer_commit = head(ws.path());
    refresh(ws.path(), WIDE, false);
    let out = check(ws.path());
    assert_eq!(out.verdict(), "accepted", "{}", out.markdown);
    assert_eq!(
        out.json["rows"][0]["figure"], FIGURE,
        "accepted rows come first"
    );
    let accepted = &out.row()["accepted"];
    assert_eq!(accepted["reason"], "slower answers on purpose");
    assert_eq!(accepted["commit"], trailer_commit.as_str());
    assert_eq!(accepted["bound"], 1_000_000.0);
    let first = out.markdown.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("### ✅ ratecheck: PASS — 1 accepted: slower answers on purpose"),
        "{first}"
    );
    out.assert_exit(0);
}

#[test]
fn a_trailer_without_a_refreshed_baseline_fails_saying_so_and_main_s_thresholds_judge() {
    let _serial = common::serial();
    let ws = repo(TINY);
    // The branch also loosens the latency tolerance in its own Cargo.toml.
    common::rewrite_section(
        ws.path(),
        &SECTION.replace(
            "latency-tolerance = 0.9999",
            "latency-tolerance = 1000000.0",
        ),
    );
    change(ws.path(), &format!("Slower answers\n\n{TRAILER}\n"));
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(
        out.note().contains("commits no refreshed baseline"),
        "{}",
        out.note()
    );
    assert_eq!(
        out.row()["limit"],
        "max(+99.99%, +0 ms)",
        "main's tolerance"
    );
    out.assert_exit(1);
}

#[test]
fn a_refreshed_baseline_without_a_trailer_fails_saying_so() {
    let _serial = common::serial();
    let ws = repo(TINY);
    change(ws.path(), "Slower answers, undeclared");
    refresh(ws.path(), WIDE, false);
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(
        out.note()
            .contains("no Ratecheck-Accept trailer names this figure"),
        "{}",
        out.note()
    );
    out.assert_exit(1);
}

#[test]
fn a_refreshed_baseline_saved_outside_the_branch_or_dirty_does_not_count() {
    let _serial = common::serial();
    let ws = repo(TINY);
    let main_commit = head(ws.path());
    change(ws.path(), &format!("Slower answers\n\n{TRAILER}\n"));
    write_baseline(ws.path(), &baseline(WIDE, &main_commit, false));
    common::commit_all(ws.path(), "a baseline saved on main");
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(
        out.note().contains("not at one of its commits"),
        "{}",
        out.note()
    );

    refresh(ws.path(), WIDE, true);
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(out.note().contains("uncommitted changes"), "{}", out.note());
    out.assert_exit(1);
}

#[test]
fn beyond_its_bound_a_declared_regression_fails() {
    let _serial = common::serial();
    let ws = repo(TINY);
    change(
        ws.path(),
        "Slower answers\n\nRatecheck-Accept: */response_p50_ms +100% — a little slower\n",
    );
    refresh(ws.path(), WIDE, false);
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(
        out.note().contains("beyond Ratecheck-Accept +100%"),
        "{}",
        out.note()
    );
    out.assert_exit(1);
}

#[test]
fn a_baseline_loosened_by_hand_fails_with_or_without_a_trailer() {
    let _serial = common::serial();
    let ws = repo(WIDE);
    change(ws.path(), &format!("Nothing slower\n\n{TRAILER}\n"));
    refresh(ws.path(), LOOSE, false);
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    assert!(
        out.note()
            .contains("the baseline this pull request commits records 1000000 ms, not reproduced"),
        "{}",
        out.note()
    );
    out.assert_exit(1);
}

#[test]
fn a_branch_forked_before_main_refreshed_its_baseline_is_judged_from_the_merge_base() {
    let _serial = common::serial();
    let ws = repo(WIDE);
    let fork = head(ws.path());
    // main refreshes its baseline (claiming far less) after the fork.
    common::git(ws.path(), &["checkout", "-q", "main"]);
    change(ws.path(), "main moves on");
    refresh(ws.path(), TINY, false);
    let main_tip = head(ws.path());
    common::git(ws.path(), &["checkout", "-q", "pr"]);
    change(ws.path(), "work on the branch");
    let out = check(ws.path());
    assert_eq!(out.verdict(), "ok", "{}", out.markdown);
    let b = &out.json["baseline_rev"];
    assert_eq!(b["rev"], "main");
    assert_eq!(b["merge_base"], fork.as_str());
    assert_eq!(b["rev_commit"], main_tip.as_str());
    assert_eq!(b["baseline_moved"], true);
    assert_eq!(
        out.json["baseline_path"],
        format!("{}:baselines/default.json", &fork[..12])
    );
    let short = &fork[..12];
    assert!(
        out.markdown.contains(&format!(
            "the merge base {short} of HEAD and main (main is at {} now; its baseline has moved since)",
            &main_tip[..12]
        )),
        "{}",
        out.markdown
    );
    out.assert_exit(0);
}

#[test]
fn no_baseline_at_the_merge_base_is_exit_2_naming_the_commit() {
    let ws = common::git_workspace(SECTION);
    let fork = head(ws.path());
    common::git(ws.path(), &["checkout", "-q", "-b", "pr"]);
    common::git(ws.path(), &["checkout", "-q", "main"]);
    write_baseline(ws.path(), &baseline(WIDE, &fork, false));
    common::commit_all(ws.path(), "ratecheck baseline");
    common::git(ws.path(), &["checkout", "-q", "pr"]);
    let r = common::run_bin(&["check", "--baseline-rev", "main"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    let line = r.first_err_line();
    assert!(
        line.contains("baselines/default.json does not exist at the merge base of HEAD and main")
            && line.contains(&fork[..12]),
        "{line}"
    );
}

#[test]
fn a_trailer_that_does_not_read_is_exit_2_naming_the_commit() {
    let ws = repo(WIDE);
    change(ws.path(), "Oops\n\nRatecheck-Accept: slower please\n");
    let commit = head(ws.path());
    let r = common::run_bin(&["check", "--baseline-rev", "main"], ws.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    let line = r.first_err_line();
    assert!(
        line.contains(&format!("commit {}", &commit[..12])) && line.contains("figure pattern"),
        "{line}"
    );
}

#[test]
fn a_further_slowdown_after_the_refresh_fails_though_the_trailer_covers_it() {
    let _serial = common::serial();
    let ws = repo(TINY);
    change(ws.path(), &format!("Slower answers\n\n{TRAILER}\n"));
    // The refresh records far less than the branch's head needs: as if
    // saved before a further slowdown committed on top.
    refresh(
        ws.path(),
        Recorded {
            p50_ms: 0.00002,
            spread_ms: 0.0,
        },
        false,
    );
    change(ws.path(), "Slower still, unrecorded");
    let out = check(ws.path());
    assert_eq!(out.verdict(), "regressed", "{}", out.markdown);
    let note = out.note();
    assert!(
        note.contains("not reproduced here")
            && note.contains("then Ratecheck-Accept +100000000% by")
            && !note.contains("accepted:"),
        "{note}"
    );
    out.assert_exit(1);
}
