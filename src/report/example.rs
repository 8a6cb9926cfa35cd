//! The hand-built check result every renderer is tested against (test
//! only).

use std::collections::BTreeMap;

use crate::baseline::compare::{Limit, Row, RowKind, Verdict};
use crate::baseline::model::{GitInfo, BASELINE_SCHEMA_VERSION};
use crate::figure::id;
use crate::figure::{Figure, FigureKind, ScenarioKind, ScenarioResult, SuiteResult};
use crate::report::check::CheckOutput;
use ratecheck_engine::metrics::snapshot::RunReport;

/// A row of `figure` judged relative to the baseline, verdict ok (the
/// rows below change what they show).
fn row(
    scenario: &str,
    figure: &str,
    kind: FigureKind,
    unit: &str,
    b: f64,
    c: f64,
    change: f64,
) -> Row {
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: unit.into(),
        kind: RowKind::Figure(kind),
        baseline: Some(b),
        current: Some(c),
        change: Some(change),
        limit: Limit::relative(0.15, 3.0),
        verdict: Verdict::Ok,
        note: String::new(),
        functions: Vec::new(),
    }
}

/// A scenario name that needs escaping in every format.
const NASTY: &str = "<script>alert(1)</script> | a,b:c%";

/// One row of every verdict (an info row among the judged ones).
fn example_rows() -> Vec<Row> {
    let mut rows = vec![Row {
        scenario: id::scenario::SELF_TEST.into(),
        figure: id::PASSED.into(),
        unit: String::new(),
        kind: RowKind::SelfTest,
        baseline: Some(1.0),
        current: Some(1.0),
        change: None,
        limit: Limit::MustPass,
        verdict: Verdict::Ok,
        note: String::new(),
        functions: Vec::new(),
    }];
    rows.extend(judged_rows());
    rows.extend(unjudged_rows());
    rows
}

/// steady-1k's rows: ok, improved, regressed, info.
fn judged_rows() -> Vec<Row> {
    vec![
        Row {
            limit: Limit::FloorAndDrop {
                min: 0.95,
                max_drop: 0.02,
            },
            ..row(
                "steady-1k",
                id::EFFICIENCY,
                FigureKind::Efficiency,
                "",
                0.999,
                0.9995,
                0.0005,
            )
        },
        Row {
            verdict: Verdict::Improved,
            ..row(
                "steady-1k",
                "cpu_us_per_request",
                FigureKind::Cpu,
                "us",
                12.0,
                9.0,
                -0.25,
            )
        },
        Row {
            verdict: Verdict::Regressed,
            note: "above baseline + 3.00 MB".into(),
            ..row(
                "steady-1k",
                "peak_rss",
                FigureKind::Memory,
                "B",
                20_000_000.0,
                26_000_000.0,
                0.3,
            )
        },
        Row {
            verdict: Verdict::Info,
            limit: Limit::None,
            ..row(
                "steady-1k",
                id::RESPONSE_P99_MS,
                FigureKind::Info,
                "ms",
                1.0,
                5.1,
                4.1,
            )
        },
    ]
}

/// Below the floor (in the scenario named [`NASTY`]), not comparable,
/// missing.
fn unjudged_rows() -> Vec<Row> {
    vec![
        Row {
            verdict: Verdict::BelowFloor,
            limit: Limit::Floor { min: 0.95 },
            note: "below the floor of 95%\nsecond line".into(),
            ..row(
                NASTY,
                id::EFFICIENCY,
                FigureKind::Efficiency,
                "",
                0.99,
                0.90,
                -0.09,
            )
        },
        Row {
            verdict: Verdict::NotComparable,
            note: "baseline from another machine".into(),
            ..row(
                "steady-10k",
                "p99_ms",
                FigureKind::Latency,
                "ms",
                1.5,
                1.6,
                0.0667,
            )
        },
        Row {
            current: None,
            change: None,
            verdict: Verdict::Missing,
            limit: Limit::None,
            note: "in the baseline, not measured in this run".into(),
            ..row(
                "ramp",
                id::EFFICIENCY,
                FigureKind::Efficiency,
                "",
                0.998,
                0.0,
                0.0,
            )
        },
    ]
}

/// A hand-built check result for the renderers' tests: one row of every
/// verdict (an info row among the judged ones), a load scenario with a full report, a scenario whose name needs
/// escaping everywhere, and warnings.
pub(crate) fn example_check() -> CheckOutput {
    let rows = example_rows();
    let mut report = RunReport::example();
    report.warnings = vec!["generator was the bottleneck <b>".into()];
    let figures = BTreeMap::from([
        (
            id::EFFICIENCY.to_string(),
            Figure::single(FigureKind::Efficiency, "", 0.9995),
        ),
        (
            "cpu_us_per_request".to_string(),
            Figure::single(FigureKind::Cpu, "us", 9.0),
        ),
        (
            "peak_rss".to_string(),
            Figure::single(FigureKind::Memory, "B", 26_000_000.0),
        ),
    ]);
    CheckOutput {
        schema_version: BASELINE_SCHEMA_VERSION,
        passed: false,
        judged: true,
        baseline_path: Some("baselines/main.json".into()),
        baseline_git: Some(GitInfo {
            commit: Some("1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d".into()),
            branch: Some("main".into()),
            dirty: false,
            commit_time: Some("2024-05-01T12:34:56Z".into()),
        }),
        head_git: Some(GitInfo {
            commit: Some("9f8e7d6c5b4a9f8e7d6c5b4a9f8e7d6c5b4a9f8e".into()),
            branch: Some("feature".into()),
            dirty: true,
            commit_time: None,
        }),
        commits_between: Some(3),
        current: SuiteResult {
            quick: false,
            selftest_passed: true,
            scenarios: vec![
                ScenarioResult {
                    name: "steady-1k".into(),
                    kind: ScenarioKind::Load,
                    figures,
                    report: Some(report),
                    warnings: vec![],
                    service_crash: None,
                },
                ScenarioResult {
                    name: NASTY.into(),
                    kind: ScenarioKind::Load,
                    figures: BTreeMap::from([(
                        id::EFFICIENCY.to_string(),
                        Figure::single(FigureKind::Efficiency, "", 0.90),
                    )]),
                    report: Some(RunReport {
                        efficiency: 0.90,
                        ..RunReport::example()
                    }),
                    warnings: vec!["slow & <odd>".into()],
                    service_crash: None,
                },
            ],
            ..Default::default()
        },
        rows,
        warnings: vec![
            "ramp / efficiency: missing (in the baseline, not measured in this run)".into(),
        ],
        summary: "gate FAILED: 1 regressed, 1 below-floor".into(),
    }
}

/// [`example_check`] whose first scenario's service exited mid-run.
pub(crate) fn example_crash() -> CheckOutput {
    let mut check = example_check();
    check.current.scenarios[0].service_crash = Some(crate::figure::ServiceCrash {
        service: "api".into(),
        status: "exit status: 101".into(),
        stderr: vec![
            "listening".into(),
            "thread 'main' panicked at src/main.rs:9: boom ``` <b>".into(),
        ],
        stdout: vec!["served 10".into()],
    });
    check
}
