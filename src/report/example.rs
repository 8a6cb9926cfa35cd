//! The hand-built check result every renderer is tested against (test
//! only).

use crate::figure::environment::{Change, Environment};
use std::collections::BTreeMap;

use crate::baseline::compare::{Limit, Note, Row, RowKind, Verdict};
use crate::figure::id;
use crate::figure::{Figure, FigureKind, ScenarioKind, ScenarioResult, SuiteResult};
use crate::gate::{unjudged, BaselineRef, GateOutcome, GateVerdict};
use crate::git::GitInfo;
use crate::report::check::CheckOutput;
use ratecheck_engine::metrics::snapshot::RunReport;

/// The scenario whose name needs escaping everywhere.
const NASTY: &str = "<script>alert(1)</script> | a,b:c%";

/// A hand-built check result for the renderers' tests: one row of every
/// verdict (an info row among the judged ones), a load scenario with a
/// full report, a scenario whose name needs escaping everywhere, and
/// warnings (one per figure not judged).
pub(crate) fn example_check() -> CheckOutput {
    let rows = example_rows();
    CheckOutput::new(GateOutcome {
        baseline: Some(BaselineRef {
            origin: "baselines/main.json".into(),
            git: Some(GitInfo {
                commit: Some("1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d".into()),
                branch: Some("main".into()),
                dirty: false,
                commit_time: Some("2024-05-01T12:34:56Z".into()),
            }),
        }),
        against: None,
        base_of_rev: None,
        head: Some(GitInfo {
            commit: Some("9f8e7d6c5b4a9f8e7d6c5b4a9f8e7d6c5b4a9f8e".into()),
            branch: Some("feature".into()),
            dirty: true,
            commit_time: None,
        }),
        commits_between: Some(3),
        environment: Environment {
            dependencies: vec![Change {
                what: "hyper".into(),
                baseline: "1.4.1".into(),
                current: "1.5.0".into(),
            }],
            ..Environment::default()
        },
        current: example_suite(),
        verdict: GateVerdict::of(&rows),
        warnings: unjudged(&rows),
        configuration: None,
        required_unjudged: Vec::new(),
        part: None,
        rows,
    })
}

/// A row of `scenario` / `figure` held to +15%, `ok`.
fn row(scenario: &str, figure: &str, kind: FigureKind, unit: &str, values: [f64; 3]) -> Row {
    let [b, c, change] = values;
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
        note: None,
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

/// One row of every verdict.
fn example_rows() -> Vec<Row> {
    let mut rows = judged_rows();
    rows.extend(unjudged_rows());
    rows
}

/// The self-test, steady-1k's rows and the nasty scenario's below-floor
/// efficiency.
fn judged_rows() -> Vec<Row> {
    vec![
        Row {
            unit: String::new(),
            kind: RowKind::SelfTest,
            change: None,
            limit: Limit::MustPass,
            ..row(
                id::scenario::SELF_TEST,
                id::PASSED,
                FigureKind::Info,
                "",
                [1.0, 1.0, 0.0],
            )
        },
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
                [0.999, 0.9995, 0.0005],
            )
        },
        Row {
            verdict: Verdict::Improved,
            ..row(
                "steady-1k",
                "cpu_us_per_request",
                FigureKind::Cpu,
                "us",
                [12.0, 9.0, -0.25],
            )
        },
        Row {
            verdict: Verdict::Regressed,
            note: Some(Note::AboveBaseline {
                allowed: 3_000_000.0,
                unit: "B".into(),
                trials: 1,
            }),
            ..row(
                "steady-1k",
                "peak_rss",
                FigureKind::Memory,
                "B",
                [20_000_000.0, 26_000_000.0, 0.3],
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
                [1.0, 5.1, 4.1],
            )
        },
        Row {
            verdict: Verdict::BelowFloor,
            limit: Limit::Floor { min: 0.95 },
            note: Some(Note::BelowFloor {
                floor: 0.95,
                cause: Some("the generator fell behind\nsecond line".into()),
            }),
            ..row(
                NASTY,
                id::EFFICIENCY,
                FigureKind::Efficiency,
                "",
                [0.99, 0.90, -0.09],
            )
        },
    ]
}

/// A figure not comparable and one missing.
fn unjudged_rows() -> Vec<Row> {
    vec![
        Row {
            verdict: Verdict::NotComparable,
            note: Some(Note::MachineDiffers),
            ..row(
                "steady-10k",
                "p99_ms",
                FigureKind::Latency,
                "ms",
                [1.5, 1.6, 0.0667],
            )
        },
        Row {
            current: None,
            change: None,
            verdict: Verdict::Missing,
            limit: Limit::None,
            note: Some(Note::NotMeasured { judged: false }),
            ..row(
                "ramp",
                id::EFFICIENCY,
                FigureKind::Efficiency,
                "",
                [0.998, 0.0, 0.0],
            )
        },
    ]
}

/// The suite measured: steady-1k with a full report and the nasty
/// scenario.
fn example_suite() -> SuiteResult {
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
    SuiteResult {
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
                target: None,
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
                target: None,
            },
        ],
        ..Default::default()
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
