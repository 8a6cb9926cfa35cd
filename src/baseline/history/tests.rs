//! Tests of the history model, on hand-built baselines.

use std::collections::BTreeMap;

use super::*;
use crate::figure::{Figure, MachineInfo, ScenarioKind, ScenarioResult, SuiteResult};
use crate::git::GitInfo;

fn commit(n: usize) -> CommitInfo {
    CommitInfo {
        commit: format!("{n:040x}"),
        subject: format!("commit {n}"),
        date: format!("2026-11-{:02}T00:00:00Z", n + 1),
    }
}

/// A baseline with scenario `s` holding a judged `cpu` figure, an
/// `efficiency` and an info figure `rps`.
fn baseline(cpu: f64, eff: f64, dirty: bool, cpu_model: &str) -> Baseline {
    let mut figures = BTreeMap::new();
    figures.insert(
        "cpu".to_string(),
        Figure::single(FigureKind::Cpu, "us", cpu),
    );
    figures.insert(
        "efficiency".to_string(),
        Figure::single(FigureKind::Efficiency, "", eff),
    );
    figures.insert("rps".to_string(), Figure::single(FigureKind::Info, "", 1e3));
    Baseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        git: GitInfo {
            commit: Some("ab".repeat(20)),
            dirty,
            ..GitInfo::default()
        },
        machine: MachineInfo {
            cpu_model: cpu_model.into(),
            cores: 2,
            os: "linux".into(),
            rustc: "rustc 1".into(),
        },
        settings: serde_json::Value::Null,
        suite: SuiteResult {
            scenarios: vec![ScenarioResult {
                name: "s".into(),
                kind: ScenarioKind::Cpu,
                figures,
                report: None,
                warnings: vec![],
                service_crash: None,
                target: None,
            }],
            ..SuiteResult::default()
        },
    }
}

fn bytes(b: &Baseline) -> Vec<u8> {
    serde_json::to_vec(b).unwrap()
}

fn three() -> Vec<(CommitInfo, Vec<u8>)> {
    vec![
        (commit(0), bytes(&baseline(10.0, 0.99, false, "A"))),
        (commit(1), bytes(&baseline(11.0, 0.98, true, "A"))),
        (commit(2), bytes(&baseline(12.0, 0.995, false, "B"))),
    ]
}

#[test]
fn judged_figures_over_the_versions_with_marks() {
    let h = build("baselines/default.json", three(), &[]).unwrap();
    assert_eq!(h.versions.len(), 3);
    let names: Vec<String> = h.series.iter().map(Series::name).collect();
    assert_eq!(names, ["s/cpu", "s/efficiency"], "info figures left out");
    let cpu = &h.series[0];
    assert_eq!(
        cpu.points.iter().map(|p| p.value).collect::<Vec<_>>(),
        [10.0, 11.0, 12.0]
    );
    assert_eq!(cpu.points[1].version, 1);
    assert_eq!(cpu.points[1].commit, commit(1).commit);
    assert_eq!(
        h.versions.iter().map(|v| v.dirty).collect::<Vec<_>>(),
        [false, true, false]
    );
    // The newest was measured on B: the two older ones on another machine.
    assert_eq!(
        h.versions
            .iter()
            .map(|v| v.other_machine)
            .collect::<Vec<_>>(),
        [true, true, false]
    );
    assert_eq!(h.versions[2].machine, "B (2 cores)");
    // Relative for CPU, absolute points for efficiency.
    assert!((cpu.change().unwrap() - 0.2).abs() < 1e-12);
    assert!((h.series[1].change().unwrap() - 0.005).abs() < 1e-12);
}

#[test]
fn a_version_that_does_not_parse_is_skipped_with_its_reason() {
    let mut v = three();
    v.insert(1, (commit(7), b"{ not json".to_vec()));
    let h = build("b.json", v, &[]).unwrap();
    assert_eq!(h.versions.len(), 3);
    assert_eq!(h.skipped.len(), 1);
    assert_eq!(h.skipped[0].commit, commit(7));
    assert!(
        h.skipped[0]
            .reason
            .starts_with("000000000000:b.json: not valid JSON"),
        "{}",
        h.skipped[0].reason
    );
    // Point indices refer to the parsed versions.
    assert_eq!(
        h.series[0]
            .points
            .iter()
            .map(|p| p.version)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

#[test]
fn filters_by_figure_or_scenario_and_figure_including_info() {
    let h = build("b.json", three(), &["rps".into()]).unwrap();
    assert_eq!(h.series.len(), 1);
    assert_eq!(h.series[0].name(), "s/rps");
    assert_eq!(h.series[0].kind, FigureKind::Info);
    let h = build("b.json", three(), &["s/cpu".into(), "efficiency".into()]).unwrap();
    let names: Vec<String> = h.series.iter().map(Series::name).collect();
    assert_eq!(names, ["s/cpu", "s/efficiency"]);
    assert!(build("b.json", three(), &["t/cpu".into()]).is_err());
}

#[test]
fn bad_input_is_one_line_naming_the_culprit() {
    let e = build("b.json", vec![], &[]).unwrap_err().to_string();
    assert!(e.starts_with("b.json was never committed"), "{e}");
    let e = build("b.json", three(), &["nope".into()])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--figure nope: no figure of b.json"), "{e}");
    assert!(e.contains("e.g. cpu"), "{e}");
    let e = build("b.json", vec![(commit(0), b"".to_vec())], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("none of the 1 committed versions"), "{e}");
    assert!(e.contains("empty"), "{e}");
    assert!(!e.contains('\n'));
}

#[test]
fn figures_missing_or_not_measured_leave_gaps() {
    let mut old = baseline(10.0, 0.99, false, "A");
    old.suite.scenarios[0].figures.remove("cpu");
    let mut mid = baseline(11.0, 0.99, false, "A");
    mid.suite.scenarios[0].figures.insert(
        "cpu".into(),
        Figure::unavailable(FigureKind::Cpu, "us", "no simulator"),
    );
    let new = baseline(12.0, 0.99, false, "A");
    let v = vec![
        (commit(0), bytes(&old)),
        (commit(1), bytes(&mid)),
        (commit(2), bytes(&new)),
    ];
    let h = build("b.json", v, &["cpu".into()]).unwrap();
    let cpu = &h.series[0];
    assert_eq!(
        cpu.points.iter().map(|p| p.version).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(cpu.change(), None, "one point has no change");
}

#[test]
fn series_follow_the_newest_version_order() {
    let mut old = baseline(10.0, 0.99, false, "A");
    old.suite.scenarios[0].name = "gone".into();
    let new = baseline(12.0, 0.99, false, "A");
    let h = build(
        "b.json",
        vec![(commit(0), bytes(&old)), (commit(1), bytes(&new))],
        &[],
    )
    .unwrap();
    let names: Vec<String> = h.series.iter().map(Series::name).collect();
    assert_eq!(
        names,
        ["s/cpu", "s/efficiency", "gone/cpu", "gone/efficiency"]
    );
    assert_eq!(h.series[2].points.len(), 1);
    assert_eq!(h.series[2].points[0].version, 0);
}
