//! Tests of the comparison: every rule of [`compare`], the limits it
//! records, and the proptest that equal figures never regress.

use super::*;
use crate::figure::{id, ScenarioKind};
use proptest::prelude::*;

/// The default thresholds for every scenario.
fn defaults() -> ThresholdLookup {
    ThresholdLookup::default()
}

fn fig(kind: FigureKind, value: f64) -> Figure {
    Figure::single(kind, "u", value)
}

fn suite(scenarios: &[(&str, &[(&str, Figure)])]) -> SuiteResult {
    SuiteResult {
        quick: false,
        selftest_passed: true,
        scenarios: scenarios
            .iter()
            .map(|(name, figs)| ScenarioResult {
                name: name.to_string(),
                kind: ScenarioKind::Load,
                figures: figs
                    .iter()
                    .map(|(n, f)| (n.to_string(), f.clone()))
                    .collect(),
                report: None,
                warnings: vec![],
                service_crash: None,
                target: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn one(kind: FigureKind, base: Option<f64>, cur: f64, machine: bool) -> Row {
    let c = suite(&[("s", &[("f", fig(kind, cur))])]);
    let b = base.map(|v| suite(&[("s", &[("f", fig(kind, v))])]));
    let rows = compare(b.as_ref(), &c, &defaults(), machine);
    assert_eq!(rows[0].scenario, id::scenario::SELF_TEST);
    assert_eq!(rows.len(), 2, "{rows:?}");
    rows[1].clone()
}

#[test]
fn efficiency_floor_applies_without_baseline() {
    let r = one(FigureKind::Efficiency, None, 0.94, true);
    assert_eq!(r.verdict, Verdict::BelowFloor);
    assert_eq!(r.limit, Limit::Floor { min: 0.95 });
    assert_eq!(r.kind, RowKind::Figure(FigureKind::Efficiency));
    assert_eq!(
        r.note,
        Some(Note::BelowFloor {
            floor: 0.95,
            cause: None
        })
    );
    let r = one(FigureKind::Efficiency, None, 0.96, true);
    assert_eq!(r.verdict, Verdict::Ok);
    assert_eq!(
        r.note,
        Some(Note::NoBaseline {
            why: NoBaseline::Run,
            only: Some(OnlyLimit::Floor)
        })
    );
}

#[test]
fn efficiency_floor_applies_on_other_machine() {
    let r = one(FigureKind::Efficiency, Some(0.99), 0.90, false);
    assert_eq!(r.verdict, Verdict::BelowFloor);
}

#[test]
fn efficiency_floor_is_inclusive() {
    let r = one(FigureKind::Efficiency, None, 0.95, true);
    assert_eq!(r.verdict, Verdict::Ok);
}

#[test]
fn efficiency_drop_regresses_rise_improves() {
    let r = one(FigureKind::Efficiency, Some(1.0), 0.97, true);
    assert_eq!(r.verdict, Verdict::Regressed);
    assert!((r.change.unwrap() + 0.03).abs() < 1e-12);
    // exactly 2 points: not more than the limit
    let r = one(FigureKind::Efficiency, Some(0.99), 0.97, true);
    assert_eq!(r.verdict, Verdict::Ok);
    let r = one(FigureKind::Efficiency, Some(0.96), 0.99, true);
    assert_eq!(r.verdict, Verdict::Improved);
    let r = one(FigureKind::Efficiency, Some(0.99), 0.98, true);
    assert_eq!(r.verdict, Verdict::Ok);
}

#[test]
fn efficiency_nan_is_below_floor() {
    let r = one(FigureKind::Efficiency, Some(0.99), f64::NAN, true);
    assert_eq!(r.verdict, Verdict::BelowFloor);
    assert_eq!(r.current, None);
}

#[test]
fn error_rate_ceiling() {
    assert_eq!(
        one(FigureKind::ErrorRate, None, 0.0, true).verdict,
        Verdict::Ok
    );
    assert_eq!(
        one(FigureKind::ErrorRate, None, 0.001, true).verdict,
        Verdict::BelowFloor
    );
    assert_eq!(
        one(FigureKind::ErrorRate, Some(0.5), 0.001, false).verdict,
        Verdict::BelowFloor
    );
}

#[test]
fn cpu_tolerance_regressed_improved_ok() {
    let r = one(FigureKind::Cpu, Some(100.0), 116.0, true);
    assert_eq!(r.verdict, Verdict::Regressed);
    assert_eq!(r.limit, Limit::relative(0.15, 3.0));
    assert!((r.change.unwrap() - 0.16).abs() < 1e-12);
    assert_eq!(
        one(FigureKind::Cpu, Some(100.0), 115.0, true).verdict,
        Verdict::Ok
    );
    assert_eq!(
        one(FigureKind::Cpu, Some(100.0), 84.0, true).verdict,
        Verdict::Improved
    );
    assert_eq!(
        one(FigureKind::Memory, Some(100.0), 120.0, true).verdict,
        Verdict::Regressed
    );
    // latency has a wider default tolerance (50%)
    assert_eq!(
        one(FigureKind::Latency, Some(100.0), 140.0, true).verdict,
        Verdict::Ok
    );
    assert_eq!(
        one(FigureKind::Latency, Some(100.0), 160.0, true).verdict,
        Verdict::Regressed
    );
}

#[test]
fn the_median_of_the_trials_is_judged() {
    let b = suite(&[("s", &[("f", fig(FigureKind::Cpu, 100.0))])]);
    let verdict = |trials: Vec<f64>| {
        let c = suite(&[(
            "s",
            &[("f", Figure::from_trials(FigureKind::Cpu, "u", trials))],
        )]);
        compare(Some(&b), &c, &defaults(), true)[1].clone()
    };
    // Median 130 (+30%): one trial within +15% does not save it.
    let r = verdict(vec![93.0, 110.0, 130.0, 140.0, 150.0]);
    assert_eq!(r.verdict, Verdict::Regressed);
    assert!(
        matches!(r.note, Some(Note::AboveBaseline { trials: 5, .. })),
        "{:?}",
        r.note
    );
    // One slow trial does not fail it either.
    assert_eq!(
        verdict(vec![100.0, 101.0, 102.0, 103.0, 400.0]).verdict,
        Verdict::Ok
    );
    assert_eq!(
        verdict(vec![70.0, 80.0, 84.0, 84.0, 120.0]).verdict,
        Verdict::Improved
    );
    // Non-finite trials are left out of the median.
    assert_eq!(
        verdict(vec![120.0, 130.0, f64::NAN]).verdict,
        Verdict::Regressed
    );
}

#[test]
fn spread_widens_the_tolerance_up_to_twice() {
    let base = Figure::from_trials(FigureKind::Cpu, "us", vec![96.0, 100.0, 104.0]);
    assert_eq!(base.spread, 4.0);
    let b = suite(&[("s", &[("f", base)])]);
    let verdict = |v: f64| {
        let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", v))])]);
        compare(Some(&b), &c, &defaults(), true)[1].clone()
    };
    // allowed = max(15, min(3 × 4, 30)) = 15: the spread is smaller.
    assert_eq!(verdict(116.0).verdict, Verdict::Regressed);
    // A noisy baseline (spread 20): allowed = max(15, min(60, 30)) = 30.
    let noisy = Figure::from_trials(FigureKind::Cpu, "us", vec![80.0, 100.0, 120.0]);
    let b = suite(&[("s", &[("f", noisy)])]);
    let verdict = |v: f64| {
        let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", v))])]);
        compare(Some(&b), &c, &defaults(), true)[1].clone()
    };
    let r = verdict(129.0);
    assert_eq!(r.verdict, Verdict::Ok);
    match r.limit {
        Limit::Relative {
            allowed,
            tolerance,
            spread_factor,
        } => {
            assert!((allowed - 0.30).abs() < 1e-12, "{allowed}");
            assert_eq!((tolerance, spread_factor), (0.15, 3.0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verdict(131.0).verdict,
        Verdict::Regressed,
        "capped at 2× 15%"
    );
    assert_eq!(allowed_change(100.0, 20.0, 0.15, 3.0), 30.0);
    assert_eq!(allowed_change(100.0, 1.0, 0.15, 3.0), 15.0);
    assert_eq!(allowed_change(100.0, 7.0, 0.15, 3.0), 21.0);
}

#[test]
fn other_machine_is_not_comparable_for_cpu() {
    let r = one(FigureKind::Cpu, Some(100.0), 300.0, false);
    assert_eq!(r.verdict, Verdict::NotComparable);
    assert_eq!(r.note, Some(Note::MachineDiffers));
    assert!(r.change.is_some());
}

#[test]
fn a_scenario_whose_target_changed_is_not_compared_but_its_floors_hold() {
    use crate::figure::TargetId;
    let figs = |eff: f64, p50: f64| {
        [
            (id::EFFICIENCY, fig(FigureKind::Efficiency, eff)),
            ("p50", fig(FigureKind::Latency, p50)),
        ]
    };
    let at = |s: SuiteResult, host: &str, protocol: &str| {
        let mut s = s;
        s.scenarios[0].target = Some(TargetId {
            host: host.into(),
            protocol: protocol.into(),
        });
        s
    };
    let base = at(
        suite(&[("s", &figs(1.0, 1.0))]),
        "https://a.example:443",
        "HTTP/1.1",
    );
    // Ten times slower against another host: not compared, and said why.
    let cur = at(
        suite(&[("s", &figs(1.0, 10.0))]),
        "https://b.example:443",
        "HTTP/1.1",
    );
    let rows = compare(Some(&base), &cur, &defaults(), true);
    let p50 = rows.iter().find(|r| r.figure == "p50").unwrap();
    assert_eq!(p50.verdict, Verdict::NotComparable);
    assert_eq!(
        p50.note,
        Some(Note::TargetChanged {
            from: "https://a.example:443 over HTTP/1.1".into(),
            to: "https://b.example:443 over HTTP/1.1".into(),
        })
    );
    // Another protocol is another target too; the efficiency floor holds.
    let cur = at(
        suite(&[("s", &figs(0.5, 1.0))]),
        "https://a.example:443",
        "HTTP/2",
    );
    let rows = compare(Some(&base), &cur, &defaults(), true);
    let eff = rows.iter().find(|r| r.figure == id::EFFICIENCY).unwrap();
    assert_eq!(eff.verdict, Verdict::BelowFloor);
    let p50 = rows.iter().find(|r| r.figure == "p50").unwrap();
    assert_eq!(p50.verdict, Verdict::NotComparable);
    // The same target is compared; so is a baseline that records none.
    let same = at(
        suite(&[("s", &figs(1.0, 10.0))]),
        "https://a.example:443",
        "HTTP/1.1",
    );
    for b in [&base, &suite(&[("s", &figs(1.0, 1.0))])] {
        let rows = compare(Some(b), &same, &defaults(), true);
        let p50 = rows.iter().find(|r| r.figure == "p50").unwrap();
        assert_eq!(p50.verdict, Verdict::Regressed);
    }
}

#[test]
fn unit_or_kind_change_regresses() {
    let b = suite(&[(
        "s",
        &[("f", Figure::single(FigureKind::Memory, "B", 100.0))],
    )]);
    let c = suite(&[(
        "s",
        &[("f", Figure::single(FigureKind::Memory, "KiB", 1.0))],
    )]);
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert_eq!(rows[1].verdict, Verdict::Regressed);
    assert_eq!(
        rows[1].note,
        Some(Note::UnitChanged {
            from: "B".into(),
            to: "KiB".into()
        })
    );
    let c = suite(&[("s", &[("f", Figure::single(FigureKind::Info, "B", 100.0))])]);
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert_eq!(rows[1].verdict, Verdict::Regressed);
    assert_eq!(
        rows[1].note,
        Some(Note::KindChanged {
            from: FigureKind::Memory,
            to: FigureKind::Info
        })
    );
}

#[test]
fn info_is_shown_never_judged() {
    let r = one(FigureKind::Info, Some(1.0), 1000.0, true);
    assert_eq!(r.verdict, Verdict::Info);
    assert_eq!(r.limit, Limit::None);
    assert_eq!(r.change, Some(999.0));
    assert!(gate_passed(std::slice::from_ref(&r)));
}

#[test]
fn a_judged_figure_the_run_lacks_regresses() {
    let b = suite(&[
        (
            "s",
            &[
                ("old", fig(FigureKind::Cpu, 1.0)),
                ("shown", fig(FigureKind::Info, 1.0)),
                ("nan", fig(FigureKind::Instructions, 1.0)),
            ],
        ),
        ("gone", &[("x", fig(FigureKind::Cpu, 1.0))]),
    ]);
    let mut c = suite(&[(
        "s",
        &[
            ("new", fig(FigureKind::Cpu, 1.0)),
            ("nan", fig(FigureKind::Instructions, f64::NAN)),
        ],
    )]);
    c.build = Some(BuildInfo::default());
    let mut b = b;
    b.build = Some(BuildInfo::default());
    let rows = compare(Some(&b), &c, &defaults(), true);
    let find = |s: &str, f: &str| {
        rows.iter()
            .find(|r| r.scenario == s && r.figure == f)
            .unwrap()
            .clone()
    };
    let new = find("s", "new");
    assert_eq!(new.verdict, Verdict::Missing);
    assert_eq!(
        new.note,
        Some(Note::NoBaseline {
            why: NoBaseline::NewFigure,
            only: None
        })
    );
    let old = find("s", "old");
    assert_eq!(old.verdict, Verdict::Regressed);
    assert_eq!(old.current, None);
    assert_eq!(old.note, Some(Note::NotMeasured { judged: true }));
    assert_eq!(
        find("s", "shown").verdict,
        Verdict::Missing,
        "info only warns"
    );
    assert_eq!(find("s", "nan").verdict, Verdict::Regressed);
    assert_eq!(find("s", "nan").note, Some(Note::NotANumberNow));
    assert_eq!(find("gone", "x").verdict, Verdict::Regressed);
    assert!(!gate_passed(&rows));
}

#[test]
fn unplanned_scenarios_are_not_judged_planned_ones_are() {
    let b = suite(&[
        ("s", &[("f", fig(FigureKind::Cpu, 1.0))]),
        ("other", &[("x", fig(FigureKind::Cpu, 1.0))]),
    ]);
    let mut c = suite(&[("s", &[("f", fig(FigureKind::Cpu, 1.0))])]);
    c.planned = vec!["s".into()];
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert!(rows.iter().all(|r| r.scenario != "other"), "{rows:?}");
    c.planned.push("other".into());
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert!(rows
        .iter()
        .any(|r| r.scenario == "other" && r.verdict == Verdict::Regressed));
}

#[test]
fn instruction_counts_compare_across_machines_with_the_same_build() {
    let build = BuildInfo {
        rustc: "rustc 1.95.0".into(),
        target: "x86_64-unknown-linux-gnu".into(),
        profile: "release".into(),
        libc: "glibc 2.36".into(),
        valgrind: Some("valgrind-3.19.0".into()),
        ..BuildInfo::default()
    };
    let fc = |n: &str, v: f64| crate::figure::FunctionCost {
        function: n.into(),
        per_request: v,
    };
    let mut base_fig = Figure::single(FigureKind::Instructions, "instr", 1000.0);
    base_fig.profile = vec![fc("hot", 600.0), fc("cold", 400.0)];
    let mut b = suite(&[("i", &[("n", base_fig)])]);
    b.build = Some(build.clone());
    let run = |v: f64, cur_build: BuildInfo, machine: bool| {
        let mut f = Figure::single(FigureKind::Instructions, "instr", v);
        f.profile = vec![fc("hot", v - 400.0), fc("cold", 400.0)];
        let mut c = suite(&[("i", &[("n", f)])]);
        c.build = Some(cur_build);
        compare(Some(&b), &c, &defaults(), machine)[1].clone()
    };
    // +3% on another machine: judged, and the function named.
    let r = run(1030.0, build.clone(), false);
    assert_eq!(r.verdict, Verdict::Regressed);
    assert_eq!(r.functions.len(), 1);
    assert_eq!(r.functions[0].function, "hot");
    let hot = &r.functions[0];
    assert_eq!((hot.baseline, hot.current), (600.0, 630.0));
    assert_eq!(run(1015.0, build.clone(), false).verdict, Verdict::Ok);
    // Another compiler: not comparable, saying which field differs.
    let other = BuildInfo {
        rustc: "rustc 1.96.0".into(),
        ..build.clone()
    };
    let r = run(1030.0, other, true);
    assert_eq!(r.verdict, Verdict::NotComparable);
    assert!(
        matches!(&r.note, Some(Note::BuildDiffers(d)) if d.parts[0].part == "rustc"),
        "{:?}",
        r.note
    );
    // Not measurable here: not comparable, never passed silently.
    let mut c = suite(&[(
        "i",
        &[(
            "n",
            Figure::unavailable(FigureKind::Instructions, "instr", "no valgrind"),
        )],
    )]);
    c.build = Some(build);
    let r = compare(Some(&b), &c, &defaults(), true)[1].clone();
    assert_eq!(r.verdict, Verdict::NotComparable);
    assert_eq!(
        r.note,
        Some(Note::Unavailable {
            why: "no valgrind".into()
        })
    );
}

#[test]
fn noisy_figures_are_named() {
    let mut c = suite(&[(
        "cpu",
        &[
            (
                "steady",
                Figure::from_trials(FigureKind::Cpu, "us", vec![99.0, 100.0, 101.0]),
            ),
            (
                "noisy",
                Figure::from_trials(FigureKind::Cpu, "us", vec![60.0, 100.0, 140.0]),
            ),
        ],
    )]);
    let t = defaults();
    let noisy = too_noisy(&c, &t);
    assert_eq!(noisy.len(), 1, "{noisy:?}");
    assert_eq!(
        (noisy[0].scenario.as_str(), noisy[0].figure.as_str()),
        ("cpu", "noisy")
    );
    assert!((noisy[0].spread - 0.4).abs() < 1e-12, "{noisy:?}");
    assert_eq!(noisy[0].tolerance, 0.15);
    c.scenarios[0].figures.remove("noisy");
    assert!(too_noisy(&c, &t).is_empty());
}

#[test]
fn quick_run_skips_whole_missing_scenarios() {
    let b = suite(&[
        ("s", &[("f", fig(FigureKind::Cpu, 1.0))]),
        ("slow", &[("x", fig(FigureKind::Cpu, 1.0))]),
    ]);
    let mut c = suite(&[("s", &[("f", fig(FigureKind::Cpu, 1.0))])]);
    c.quick = true;
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert!(rows.iter().all(|r| r.scenario != "slow"), "{rows:?}");
}

#[test]
fn no_baseline_gives_missing_for_relative_figures() {
    let r = one(FigureKind::Memory, None, 5.0, true);
    assert_eq!(r.verdict, Verdict::Missing);
    assert_eq!(
        r.note,
        Some(Note::NoBaseline {
            why: NoBaseline::Run,
            only: None
        })
    );
}

#[test]
fn selftest_failure_is_below_floor() {
    let mut c = suite(&[]);
    c.selftest_passed = false;
    let rows = compare(None, &c, &defaults(), true);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].figure, "passed");
    assert_eq!(rows[0].kind, RowKind::SelfTest);
    assert_eq!(rows[0].limit, Limit::MustPass);
    assert_eq!(rows[0].verdict, Verdict::BelowFloor);
    assert_eq!(rows[0].note, Some(Note::SelfTestFailed));
    assert!(!gate_passed(&rows));
}

#[test]
fn overrides_apply_per_scenario() {
    let c = suite(&[
        (
            "strict",
            &[("efficiency", fig(FigureKind::Efficiency, 0.92))],
        ),
        (
            "lenient",
            &[("efficiency", fig(FigureKind::Efficiency, 0.92))],
        ),
    ]);
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert(
        "lenient".to_string(),
        PartialThresholds {
            efficiency_floor: Some(0.9),
            ..Default::default()
        }
        .apply(&Thresholds::default()),
    );
    let lookup = ThresholdLookup::new(Thresholds::default(), overrides);
    let rows = compare(None, &c, &lookup, true);
    let v = |s: &str| rows.iter().find(|r| r.scenario == s).unwrap().verdict;
    assert_eq!(v("strict"), Verdict::BelowFloor);
    assert_eq!(v("lenient"), Verdict::Ok);
}

#[test]
fn gate_fails_only_on_regressed_or_below_floor() {
    let mk = |v| Row {
        scenario: "s".into(),
        figure: "f".into(),
        unit: String::new(),
        kind: RowKind::default(),
        baseline: None,
        current: None,
        change: None,
        limit: Limit::None,
        verdict: v,
        note: None,
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    };
    for v in [
        Verdict::Ok,
        Verdict::Improved,
        Verdict::NotComparable,
        Verdict::Missing,
        Verdict::Info,
    ] {
        assert!(gate_passed(&[mk(v)]), "{v:?}");
    }
    assert!(!gate_passed(&[mk(Verdict::Ok), mk(Verdict::Regressed)]));
    assert!(!gate_passed(&[mk(Verdict::BelowFloor)]));
}

#[test]
fn verdict_json_is_kebab_case() {
    assert_eq!(
        serde_json::to_string(&Verdict::BelowFloor).unwrap(),
        "\"below-floor\""
    );
    assert_eq!(
        serde_json::to_string(&Verdict::NotComparable).unwrap(),
        "\"not-comparable\""
    );
}

#[test]
fn thresholds_serde_and_validation() {
    let t: Thresholds = serde_json::from_str(r#"{"efficiency-floor":0.9}"#).unwrap();
    assert_eq!(t.efficiency_floor, 0.9);
    assert_eq!(t.cpu_tolerance, 0.15);
    let err = serde_json::from_str::<Thresholds>(r#"{"cpu-tolerence":0.1}"#).unwrap_err();
    assert!(err.to_string().contains("cpu-tolerence"), "{err}");
    assert!(Thresholds::default().validate().is_ok());
    let bad = Thresholds {
        efficiency_floor: 1.5,
        ..Default::default()
    };
    let err = bad.validate().unwrap_err();
    assert_eq!(err.key, "efficiency-floor");
    assert_eq!(
        err.to_string(),
        "efficiency-floor = 1.5: must be between 0 and 1"
    );
    let bad = Thresholds {
        spread_factor: -1.0,
        ..Default::default()
    };
    assert_eq!(bad.validate().unwrap_err().key, "spread-factor");
}

#[test]
fn paired_tolerances_are_thresholds_with_todays_defaults() {
    let t = Thresholds::default();
    assert_eq!(t.paired_tolerance(FigureKind::Cpu), 0.02);
    assert_eq!(t.paired_tolerance(FigureKind::Memory), 0.05);
    assert_eq!(t.paired_tolerance(FigureKind::Latency), 0.10);
    let t: Thresholds = serde_json::from_str(r#"{"paired-latency-tolerance":0.2}"#).unwrap();
    assert_eq!(t.paired_tolerance(FigureKind::Latency), 0.2);
    let bad = Thresholds {
        paired_memory_tolerance: -0.1,
        ..Default::default()
    };
    assert_eq!(bad.validate().unwrap_err().key, "paired-memory-tolerance");
    let strict = PartialThresholds {
        paired_cpu_tolerance: Some(0.01),
        ..Default::default()
    };
    let lookup = ThresholdLookup::new(
        Thresholds::default(),
        [(
            id::scenario::CPU.to_string(),
            strict.apply(&Thresholds::default()),
        )]
        .into(),
    );
    assert_eq!(
        lookup
            .of(id::scenario::CPU)
            .paired_tolerance(FigureKind::Cpu),
        0.01
    );
    assert_eq!(
        lookup
            .of(id::scenario::MEMORY)
            .paired_tolerance(FigureKind::Cpu),
        0.02
    );
}

fn kind_strategy() -> impl Strategy<Value = FigureKind> {
    prop_oneof![
        Just(FigureKind::Efficiency),
        Just(FigureKind::ErrorRate),
        Just(FigureKind::Cpu),
        Just(FigureKind::Memory),
        Just(FigureKind::Latency),
        Just(FigureKind::Info),
    ]
}

proptest! {
    /// A figure equal to its baseline is never regressed, whatever the
    /// thresholds, trials or machine.
    #[test]
    fn equal_to_baseline_is_never_regressed(
        kind in kind_strategy(),
        value in prop_oneof![0.0f64..=1.0, 0.0f64..1e12, Just(0.0)],
        trials in proptest::collection::vec(0.0f64..1e9, 0..5),
        floor in 0.0f64..=1.0,
        drop in 0.0f64..=1.0,
        tol in 0.0f64..10.0,
        spread_factor in 0.0f64..10.0,
        machine in any::<bool>(),
    ) {
        let mut base = Figure::from_trials(kind, "u", trials);
        base.value = value;
        let cur = Figure { trials: vec![], spread: 0.0, ..base.clone() };
        let t = Thresholds {
            efficiency_floor: floor,
            efficiency_drop: drop,
            cpu_tolerance: tol,
            memory_tolerance: tol,
            latency_tolerance: tol,
            spread_factor,
            ..Thresholds::default()
        };
        let b = suite(&[("s", &[("f", base)])]);
        let c = suite(&[("s", &[("f", cur)])]);
        let t = ThresholdLookup::new(t, Default::default());
        let rows = compare(Some(&b), &c, &t, machine);
        prop_assert!(rows.iter().all(|r| r.verdict != Verdict::Regressed), "{:?}", rows);
        prop_assert!(rows.iter().all(|r| r.verdict != Verdict::Improved), "{:?}", rows);
    }
}

/// A latency regresses past both its relative tolerance (50%) and the
/// slack (0.2 ms): at 0.05 ms a doubling is noise, +1 ms is not.
#[test]
fn latency_needs_the_tolerance_and_the_slack() {
    use FigureKind::Latency;
    let r = one(Latency, Some(0.05), 0.24, true);
    assert_eq!(r.verdict, Verdict::Ok, "+0.19 ms: within the slack");
    assert_eq!(
        r.limit,
        Limit::Latency {
            tolerance: 0.5,
            slack_ms: 0.2
        }
    );
    assert_eq!(
        one(Latency, Some(0.05), 1.05, true).verdict,
        Verdict::Regressed
    );
    // Above the slack, the relative tolerance still holds: 2 → 2.9 ms is +45%.
    assert_eq!(one(Latency, Some(2.0), 2.9, true).verdict, Verdict::Ok);
    assert_eq!(
        one(Latency, Some(2.0), 3.1, true).verdict,
        Verdict::Regressed
    );
    assert_eq!(
        one(Latency, Some(2.0), 0.5, true).verdict,
        Verdict::Improved
    );
    // Wall-clock: another machine's baseline is not comparable.
    assert_eq!(
        one(Latency, Some(0.05), 5.0, false).verdict,
        Verdict::NotComparable
    );
}

/// Allocations far below one per request are per-run costs: they move by
/// a fraction of the slack without regressing; a whole allocation more per
/// request does.
#[test]
fn allocations_below_the_slack_do_not_regress() {
    let judge = |base: f64, cur: f64| {
        let mut c = suite(&[("s", &[("f", fig(FigureKind::Allocations, cur))])]);
        let mut b = suite(&[("s", &[("f", fig(FigureKind::Allocations, base))])]);
        c.build = Some(BuildInfo::default());
        b.build = Some(BuildInfo::default());
        let rows = compare(Some(&b), &c, &defaults(), true);
        rows[1].verdict
    };
    assert_eq!(judge(0.00125, 0.0015), Verdict::Ok);
    assert_eq!(judge(0.00125, 1.0), Verdict::Regressed);
    // Above the slack `allocations-tolerance` (2%) rules: counts are exact,
    // so one more allocation on a path that makes ten regresses.
    assert_eq!(judge(10.0, 11.0), Verdict::Regressed);
    assert_eq!(judge(1.0, 1.03), Verdict::Regressed);
    assert_eq!(judge(1.0, 1.01), Verdict::Ok);
}

#[test]
fn a_service_that_exited_fails_everywhere() {
    for (base, machine) in [(None, true), (Some(1.0), true), (Some(1.0), false)] {
        let r = one(FigureKind::Alive, base, 0.0, machine);
        assert_eq!(r.verdict, Verdict::BelowFloor, "{base:?} {machine}");
        assert_eq!(r.limit, Limit::MustStayUp);
        assert_eq!(r.note, Some(Note::ServiceExited { crash: None }));
        let r = one(FigureKind::Alive, base, 1.0, machine);
        assert_eq!(r.verdict, Verdict::Ok, "{base:?} {machine}");
    }
    // Not a number (never measured) is not alive either.
    assert_eq!(
        one(FigureKind::Alive, None, f64::NAN, true).verdict,
        Verdict::BelowFloor
    );
}

#[test]
fn service_cost_is_judged_on_the_same_machine_only() {
    let r = one(FigureKind::Cpu, Some(10.0), 20.0, false);
    assert_eq!(r.verdict, Verdict::NotComparable);
    let r = one(FigureKind::Cpu, Some(10.0), 20.0, true);
    assert_eq!(r.verdict, Verdict::Regressed);
}

/// Rows decided from other evidence (a paired run) take their figures'
/// places, judged nowhere else; one whose figure has no row comes last.
#[test]
fn decided_rows_take_their_figures_places() {
    let b = suite(&[(
        id::scenario::CPU,
        &[
            ("http", fig(FigureKind::Cpu, 5.0)),
            ("null", fig(FigureKind::Cpu, 1.0)),
        ],
    )]);
    let c = suite(&[(
        id::scenario::CPU,
        &[
            ("http", fig(FigureKind::Cpu, 10.5)),
            ("null", fig(FigureKind::Cpu, 1.0)),
        ],
    )]);
    let decided = |scenario: &str, figure: &str| Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: "u".into(),
        kind: RowKind::Figure(FigureKind::Cpu),
        baseline: Some(10.0),
        current: Some(10.5),
        change: Some(0.05),
        limit: Limit::relative(0.02, 0.0),
        verdict: Verdict::Ok,
        note: Some(Note::TooFewPairs { rev: "main".into() }),
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    };
    let rows = compare_with(
        Some(&b),
        &c,
        &defaults(),
        true,
        vec![
            decided(id::scenario::MEMORY, "rss"),
            decided(id::scenario::CPU, "http"),
        ],
    );
    let names: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.scenario.as_str(), r.figure.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (id::scenario::SELF_TEST, id::PASSED),
            (id::scenario::CPU, "http"),
            (id::scenario::CPU, "null"),
            (id::scenario::MEMORY, "rss")
        ]
    );
    // The baseline would have failed it (+110%); the paired evidence judged it.
    assert_eq!(rows[1], decided(id::scenario::CPU, "http"));
    assert_eq!(rows[2].verdict, Verdict::Ok);
    // Without decided rows the baseline judges every figure.
    let rows = compare(Some(&b), &c, &defaults(), true);
    assert_eq!(rows[1].verdict, Verdict::Regressed);
}

/// `latency-slack-ms` is milliseconds whatever the figure's unit: a
/// schedule lag in microseconds rising by 150 µs is within 0.2 ms.
#[test]
fn the_latency_slack_is_converted_to_the_figures_unit() {
    let judge = |unit: &str, base: f64, cur: f64| {
        let f = |v| Figure::single(FigureKind::Latency, unit, v);
        let c = suite(&[("s", &[("f", f(cur))])]);
        let b = suite(&[("s", &[("f", f(base))])]);
        compare(Some(&b), &c, &defaults(), true)[1].verdict
    };
    assert_eq!(judge("us", 10.0, 160.0), Verdict::Ok);
    assert_eq!(judge("us", 10.0, 260.0), Verdict::Regressed);
    assert_eq!(judge("ms", 0.010, 0.160), Verdict::Ok);
    assert_eq!(judge("ms", 0.010, 0.260), Verdict::Regressed);
}
