use super::*;
use crate::baseline::compare::{Limit, Row, RowKind, Verdict};
use crate::figure::{FigureKind, JudgedKind, MachineInfo, ScenarioKind, ScenarioResult};
use crate::gate::part::{PartOfRun, RunIdentity};
use crate::gate::{GateOutcome, GateVerdict};
use crate::report::json::check_json;
use std::collections::BTreeMap;

const PLAN: [&str; 3] = ["steady-200", "cpu", "memory"];

fn row(scenario: &str, figure: &str, kind: RowKind, verdict: Verdict) -> Row {
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: String::new(),
        kind,
        baseline: Some(1.0),
        current: Some(1.0),
        change: Some(0.0),
        limit: Limit::MustPass,
        verdict,
        note: None,
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

fn scenario(name: &str) -> ScenarioResult {
    ScenarioResult {
        name: name.into(),
        kind: ScenarioKind::Load,
        figures: BTreeMap::new(),
        report: None,
        warnings: vec![],
        service_crash: None,
        target: None,
    }
}

/// Part `index` of 2, running `names`, each with one `kind` row judged
/// `verdict`, and a passing (or failing) self-test.
fn part(index: usize, names: &[&str], verdict: Verdict, selftest: bool) -> CheckOutput {
    let self_test = if selftest {
        Verdict::Ok
    } else {
        Verdict::BelowFloor
    };
    let mut rows = vec![row(
        id::scenario::SELF_TEST,
        id::PASSED,
        RowKind::SelfTest,
        self_test,
    )];
    let mut scenarios = vec![scenario(id::scenario::SELF_TEST)];
    for n in names {
        let kind = RowKind::Figure(if *n == "cpu" {
            FigureKind::Cpu
        } else {
            FigureKind::Efficiency
        });
        rows.push(row(n, "fig", kind, verdict));
        scenarios.push(scenario(n));
    }
    CheckOutput::new(GateOutcome {
        baseline: None,
        against: None,
        head: None,
        commits_between: None,
        current: SuiteResult {
            quick: true,
            selftest_passed: selftest,
            scenarios,
            planned: names.iter().map(|n| n.to_string()).collect(),
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
            scenarios: names.iter().map(|n| n.to_string()).collect(),
            machine: MachineInfo {
                cpu_model: format!("cpu of runner {index}"),
                cores: 2,
                os: "linux".into(),
                rustc: "rustc".into(),
            },
            comparable_machine: index == 0,
            run: RunIdentity {
                commit: Some("abc".into()),
                plan: PLAN.iter().map(|p| p.to_string()).collect(),
                quick: true,
                baseline: None,
                against: None,
                required: vec![JudgedKind::Cpu],
                settings: serde_json::json!({}),
            },
        }),
    })
}

/// Through the JSON a part writes and `--merge` reads.
fn file(name: &str, c: CheckOutput) -> (String, CheckOutput) {
    let back: CheckOutput = serde_json::from_str(&check_json(&c)).unwrap();
    assert_eq!(back.part, c.part);
    (name.to_string(), back)
}

fn keys(c: &CheckOutput) -> Vec<(String, String)> {
    c.rows
        .iter()
        .map(|r| (r.scenario.clone(), r.figure.clone()))
        .collect()
}

#[test]
fn the_parts_merge_into_the_rows_of_one_run_in_plan_order() {
    let a = part(0, &["steady-200", "memory"], Verdict::Ok, true);
    let b = part(1, &["cpu"], Verdict::Ok, true);
    let m = merge(vec![file("b.json", b), file("a.json", a)]).unwrap().0;
    assert!(m.passed);
    assert_eq!(
        keys(&m),
        [
            (id::scenario::SELF_TEST, id::PASSED),
            ("steady-200", "fig"),
            ("cpu", "fig"),
            ("memory", "fig")
        ]
        .map(|(s, f)| (s.to_string(), f.to_string()))
    );
    let names: Vec<&str> = m
        .current
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [id::scenario::SELF_TEST, "steady-200", "cpu", "memory"]
    );
    assert_eq!(m.current.planned, PLAN);
    assert!(m.part.is_none());
    let files: Vec<(&str, usize, bool)> = m
        .parts
        .iter()
        .map(|p| (p.file.as_str(), p.part.index, p.part.comparable_machine))
        .collect();
    assert_eq!(files, [("a.json", 0, true), ("b.json", 1, false)]);
    assert_eq!(m.parts[1].part.machine.cpu_model, "cpu of runner 1");
    assert!(m.not_judged.is_empty(), "cpu is judged in part 1");
    assert_eq!(m.summary, summary_text(&m.rows));
}

#[test]
fn one_failing_part_fails_the_merged_run() {
    let a = part(0, &["steady-200", "memory"], Verdict::Ok, true);
    let b = part(1, &["cpu"], Verdict::Regressed, true);
    assert!(!b.passed);
    let (m, verdict) = merge(vec![file("a.json", a), file("b.json", b)]).unwrap();
    assert!(!m.passed);
    assert_eq!(verdict, GateVerdict::Fail);
    assert!(m.rows.iter().any(|r| r.verdict == Verdict::Regressed));
}

#[test]
fn a_failed_self_test_in_any_part_is_the_one_shown_and_fails() {
    let a = part(0, &["steady-200", "memory"], Verdict::Ok, true);
    let b = part(1, &["cpu"], Verdict::Ok, false);
    let (m, verdict) = merge(vec![file("a.json", a), file("b.json", b)]).unwrap();
    assert!(!m.passed);
    assert_eq!(verdict, GateVerdict::Fail);
    assert!(!m.current.selftest_passed);
    let st: Vec<&Row> = m
        .rows
        .iter()
        .filter(|r| r.scenario == id::scenario::SELF_TEST)
        .collect();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].verdict, Verdict::BelowFloor);
}

#[test]
fn a_required_kind_is_judged_over_all_parts() {
    // cpu is required and its only figure is not comparable in its part:
    // the merged run is not judged (exit 2), as one run would be.
    let a = part(0, &["steady-200", "memory"], Verdict::Ok, true);
    let b = part(1, &["cpu"], Verdict::NotComparable, true);
    assert!(b.passed, "a part judges no required kind by itself");
    let (m, verdict) = merge(vec![file("a.json", a), file("b.json", b)]).unwrap();
    assert!(!m.passed);
    assert_eq!(verdict, GateVerdict::NotJudged);
    assert_eq!(m.not_judged.len(), 1, "{:?}", m.not_judged);
    // A failure elsewhere is still a failure (exit 1), as in one run.
    let a = part(0, &["steady-200", "memory"], Verdict::Regressed, true);
    let b = part(1, &["cpu"], Verdict::NotComparable, true);
    let (_, verdict) = merge(vec![file("a.json", a), file("b.json", b)]).unwrap();
    assert_eq!(verdict, GateVerdict::Fail);
}

#[test]
fn refusals_come_through_naming_the_file() {
    let a = part(0, &["steady-200", "memory"], Verdict::Ok, true);
    let e = merge(vec![
        file("a.json", a.clone()),
        file("again.json", a.clone()),
    ])
    .unwrap_err();
    assert!(
        e.to_string().starts_with("again.json: part 0/2 again"),
        "{e}"
    );
    let e = merge(vec![file("a.json", a)]).unwrap_err();
    assert!(e.to_string().starts_with("part 1/2 is missing"), "{e}");
    let mut whole = part(0, &[], Verdict::Ok, true);
    whole.part = None;
    let e = merge(vec![("whole.json".into(), whole)]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("whole.json: a check result that is not a part"),
        "{e}"
    );
}
