//! `check --merge`: the parts of a split run (`check --shard i/N --json`),
//! hand-made so that no valgrind and no load run is needed, joined by the
//! binary into one verdict and report; each refusal (exit 2, one line
//! naming the file); and one real split of three short null-target
//! scenarios, merged into the rows of one run.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::baseline::compare::{Limit, Row, RowKind, Verdict};
use cargo_ratecheck::figure::{id, FigureKind, MachineInfo, SuiteResult};
use cargo_ratecheck::gate::part::{PartOfRun, RunIdentity};
use cargo_ratecheck::gate::{GateOutcome, GateVerdict};
use cargo_ratecheck::report::check::CheckOutput;
use cargo_ratecheck::report::json::check_json;
use common::{run_bin, Ran};

const LIMIT: Duration = Duration::from_secs(60);

fn row(scenario: &str, figure: &str, kind: RowKind, verdict: Verdict) -> Row {
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: String::new(),
        kind,
        baseline: Some(100.0),
        current: Some(100.0),
        change: Some(0.0),
        limit: Limit::relative(0.02, 3.0),
        verdict,
        note: None,
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

/// Part `index` of 2 of one run of the plan [steady-1k, instructions]:
/// part 0 ran steady-1k, part 1 instructions, judged `verdict`.
fn part(index: usize, verdict: Verdict) -> CheckOutput {
    let (scenario, kind) = match index {
        0 => ("steady-1k", FigureKind::Efficiency),
        _ => (id::scenario::INSTRUCTIONS, FigureKind::Instructions),
    };
    let rows = vec![
        row(
            id::scenario::SELF_TEST,
            id::PASSED,
            RowKind::SelfTest,
            Verdict::Ok,
        ),
        row(scenario, "figure", RowKind::Figure(kind), verdict),
    ];
    CheckOutput::new(GateOutcome {
        baseline: None,
        against: None,
        head: None,
        commits_between: None,
        current: SuiteResult {
            quick: true,
            selftest_passed: true,
            scenarios: vec![],
            planned: vec![scenario.into()],
            build: None,
        },
        verdict: GateVerdict::of(&rows),
        rows,
        warnings: vec![],
        configuration: None,
        required_unjudged: vec![],
        environment: Default::default(),
        base_of_rev: None,
        part: Some(PartOfRun {
            index,
            count: 2,
            scenarios: vec![scenario.into()],
            machine: MachineInfo {
                cpu_model: format!("runner {index}"),
                cores: 2,
                os: "linux".into(),
                rustc: "rustc 1.88.0".into(),
            },
            comparable_machine: false,
            run: RunIdentity {
                commit: Some("0123abcd".into()),
                plan: vec!["steady-1k".into(), id::scenario::INSTRUCTIONS.into()],
                quick: true,
                baseline: Some("default".into()),
                against: None,
                required: vec![],
                settings: serde_json::json!({ "trials": 3 }),
            },
        }),
    })
}

fn write(dir: &Path, name: &str, c: &CheckOutput) -> String {
    std::fs::write(dir.join(name), check_json(c)).unwrap();
    name.to_string()
}

fn merge(dir: &Path, files: &[&str], extra: &[&str]) -> Ran {
    let mut args = vec!["check", "--merge"];
    args.extend(files);
    args.extend(extra);
    run_bin(&args, dir, LIMIT)
}

#[test]
fn two_parts_merge_into_one_passing_verdict_and_every_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "part-0.json", &part(0, Verdict::Ok));
    write(dir.path(), "part-1.json", &part(1, Verdict::Ok));
    let r = merge(
        dir.path(),
        &["part-1.json", "part-0.json"],
        &[
            "--format",
            "json",
            "--html",
            "merged.html",
            "--json",
            "merged.json",
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["passed"], true);
    let rows: Vec<(&str, &str)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scenario"].as_str().unwrap(),
                r["figure"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (id::scenario::SELF_TEST, id::PASSED),
            ("steady-1k", "figure"),
            (id::scenario::INSTRUCTIONS, "figure")
        ]
    );
    assert_eq!(v["parts"][0]["file"], "part-0.json");
    assert_eq!(v["parts"][1]["machine"]["cpu_model"], "runner 1");
    let written = std::fs::read_to_string(dir.path().join("merged.json")).unwrap();
    assert_eq!(written, r.stdout);
    let html = std::fs::read_to_string(dir.path().join("merged.html")).unwrap();
    assert!(html.contains("merged from 2 parts"), "the parts are named");
    let text = merge(dir.path(), &["part-0.json", "part-1.json"], &[]);
    assert_eq!(text.code, Some(0));
    assert!(
        text.stdout
            .contains("merged from 2 parts: 0/2 (self-test, steady-1k) on runner 0"),
        "{}",
        text.stdout
    );
    let md = merge(
        dir.path(),
        &["part-0.json", "part-1.json"],
        &["--format", "markdown"],
    );
    assert_eq!(md.code, Some(0));
    assert!(md.stdout.contains("| instructions |") || md.stdout.contains("instructions"));
}

#[test]
fn a_regression_in_one_part_fails_the_merged_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "part-0.json", &part(0, Verdict::Ok));
    write(dir.path(), "part-1.json", &part(1, Verdict::Regressed));
    let r = merge(
        dir.path(),
        &["part-0.json", "part-1.json"],
        &["--format", "json"],
    );
    assert_eq!(r.code, Some(1), "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["passed"], false);
}

fn refused(r: &Ran, needle: &str) {
    r.assert_refused(&[needle], "check --merge");
    assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {}", r.stderr);
    assert!(r.stdout.is_empty(), "no verdict: {}", r.stdout);
}

#[test]
fn refusals_are_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "part-0.json", &part(0, Verdict::Ok));
    write(d, "part-1.json", &part(1, Verdict::Ok));
    // the same part twice
    write(d, "copy.json", &part(0, Verdict::Ok));
    refused(
        &merge(d, &["part-0.json", "copy.json", "part-1.json"], &[]),
        "copy.json: part 0/2 again (also in part-0.json)",
    );
    // a part missing
    refused(
        &merge(d, &["part-0.json"], &[]),
        "part 1/2 is missing: none of part-0.json holds it",
    );
    // a part of another run
    let mut other = part(1, Verdict::Ok);
    other.part.as_mut().unwrap().run.commit = Some("ffff".into());
    write(d, "other.json", &other);
    refused(
        &merge(d, &["part-0.json", "other.json"], &[]),
        "other.json: part 1/2 of another run than part-0.json (part 0/2): commit differs",
    );
    // a truncated part
    let full = check_json(&part(1, Verdict::Ok));
    std::fs::write(d.join("cut.json"), &full[..full.len() / 2]).unwrap();
    refused(
        &merge(d, &["part-0.json", "cut.json"], &[]),
        "cut.json: truncated JSON",
    );
    // not JSON at all, not a check result, no such file
    std::fs::write(d.join("junk.json"), "<html>").unwrap();
    refused(
        &merge(d, &["part-0.json", "junk.json"], &[]),
        "junk.json: not valid JSON",
    );
    std::fs::write(d.join("shape.json"), "{\"rows\": 3}").unwrap();
    refused(
        &merge(d, &["part-0.json", "shape.json"], &[]),
        "shape.json: not a check result",
    );
    refused(
        &merge(d, &["part-0.json", "gone.json"], &[]),
        "gone.json: cannot read this part",
    );
    // a whole run's result is not a part
    let mut whole = part(1, Verdict::Ok);
    whole.part = None;
    write(d, "whole.json", &whole);
    refused(
        &merge(d, &["part-0.json", "whole.json"], &[]),
        "whole.json: a check result that is not a part",
    );
}

#[test]
fn merge_measures_nothing_so_measuring_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_bin(
        &["check", "--merge", "a.json", "--quick"],
        dir.path(),
        LIMIT,
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("--quick"), "{}", r.stderr);
    let r = run_bin(&["check", "--shard", "2/2"], dir.path(), LIMIT);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.stderr.contains("2/2") && r.stderr.contains("i/N"),
        "{}",
        r.stderr
    );
}

/// Three short scenarios against the null target, in a workspace that is
/// not this tool's (no engine benches, no valgrind); floors low enough for
/// a busy machine.
const THREE: &str = r#"[[workspace.metadata.ratecheck.scenario]]
name = "split-a"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.3 }

[[workspace.metadata.ratecheck.scenario]]
name = "split-b"
rps = 100
duration = "600ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.3 }

[[workspace.metadata.ratecheck.scenario]]
name = "split-c"
rps = 100
duration = "300ms"
concurrency = 2
target = "null"
thresholds = { efficiency-floor = 0.3 }"#;

fn row_keys(v: &serde_json::Value) -> Vec<(String, String)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scenario"].to_string(), r["figure"].to_string()))
        .collect()
}

/// `check --shard 0/2` and `1/2` run whole scenarios (the longest alone),
/// each with the self-test; merged, they are the rows of one run.
#[test]
fn a_split_run_merges_into_the_rows_of_one_run() {
    let _serial = common::serial();
    let ws = common::workspace(THREE);
    let d = ws.path();
    // Judged either way: on a busy machine the self-test may fail (exit 1).
    let judged = |r: &Ran| assert!(matches!(r.code, Some(0 | 1)), "{r:?}");
    let whole = run_bin(&["check", "--no-baseline", "--format", "json"], d, LIMIT);
    judged(&whole);
    let whole: serde_json::Value = serde_json::from_str(&whole.stdout).unwrap();
    for i in 0..2 {
        let (shard, file) = (format!("{i}/2"), format!("p{i}.json"));
        let args = ["check", "--no-baseline", "--shard", &shard, "--json", &file];
        judged(&run_bin(&args, d, LIMIT));
    }
    let merged = merge(d, &["p1.json", "p0.json"], &["--format", "json"]);
    judged(&merged);
    let m: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
    assert_eq!(row_keys(&m), row_keys(&whole));
    let scenarios = |i: usize| m["parts"][i]["scenarios"].clone();
    assert_eq!(scenarios(0), serde_json::json!(["split-b"]));
    assert_eq!(scenarios(1), serde_json::json!(["split-a", "split-c"]));
    let parts_passed = m["parts"][0]["passed"] == true && m["parts"][1]["passed"] == true;
    assert_eq!(m["passed"], parts_passed);
    assert_eq!(merged.code, Some(if parts_passed { 0 } else { 1 }));
}
