//! Tests of the analyze module.

use super::*;
use crate::metrics::snapshot::Percentiles;
use std::time::Duration;

fn steady_snapshot(per_bucket: u64, buckets: usize) -> CollectorSnapshot {
    CollectorSnapshot {
        generated: per_bucket * buckets as u64,
        completed: per_bucket * buckets as u64,
        succeeded: per_bucket * buckets as u64,
        generated_series: vec![per_bucket; buckets],
        completed_series: vec![per_bucket; buckets],
        completed_by_intended_series: vec![per_bucket; buckets],
        status_codes: BTreeMap::from([(200, per_bucket * buckets as u64)]),
        ..Default::default()
    }
}

fn facts(rate: f64, secs: f64, conc: usize) -> RunFacts {
    RunFacts {
        target_rps: rate,
        concurrency: conc,
        judged_until_s: secs,
        cores: 2,
        drained: true,
        ..Default::default()
    }
}

#[test]
fn perfect_run() {
    let s = Schedule::steady(1000.0, Duration::from_secs(3)).unwrap();
    let r = report(
        &s,
        &steady_snapshot(100, 30),
        &facts(1000.0, 3.0, 10),
        EFFICIENCY_FLOOR,
    );
    assert_eq!(r.requests.expected, 3000);
    assert_eq!(r.efficiency, 1.0);
    assert_eq!(r.windows.len(), 3);
    assert!(r
        .windows
        .iter()
        .all(|w| w.phase == "steady" && w.efficiency == 1.0));
    assert_eq!(r.min_window_efficiency, 1.0);
    assert_eq!(r.phases.len(), 1);
    assert_eq!(r.phases[0].completed, 3000);
    assert_eq!(r.series.target_rps.len(), 30);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.status_codes["200"], 3000);
}

#[test]
fn a_bad_window_sets_the_minimum() {
    let s = Schedule::steady(1000.0, Duration::from_secs(3)).unwrap();
    let mut snap = steady_snapshot(100, 30);
    for b in &mut snap.completed_series[10..20] {
        *b = 90;
    }
    snap.completed -= 100;
    snap.succeeded -= 100;
    let r = report(&s, &snap, &facts(1000.0, 3.0, 10), EFFICIENCY_FLOOR);
    assert!((r.min_window_efficiency - 0.9).abs() < 1e-12);
    assert!((r.efficiency - 2900.0 / 3000.0).abs() < 1e-12);
}

#[test]
fn phases_split_the_series() {
    let s = Schedule::new(
        1000.0,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(1),
    )
    .unwrap();
    // Ramp-up asks for 500, steady 1000, ramp-down 500. A stall in the
    // last 100 ms of the ramp-up delays its 50 requests into the steady
    // phase's first bucket; 3 of the ramp-down's finish in the drain.
    let mut completed_series = [vec![50; 10], vec![100; 10], vec![50; 10], vec![3]].concat();
    completed_series[9] = 0;
    completed_series[10] += 50;
    completed_series[29] -= 3;
    let snap = CollectorSnapshot {
        generated_series: [vec![50; 10], vec![100; 10], vec![50; 10]].concat(),
        completed_series,
        completed_by_intended_series: [vec![50; 10], vec![100; 10], vec![50; 10]].concat(),
        generated: 2000,
        completed: 2000,
        succeeded: 2000,
        ..Default::default()
    };
    let r = report(&s, &snap, &facts(1000.0, 3.0, 10), EFFICIENCY_FLOOR);
    let effs: Vec<_> = r
        .phases
        .iter()
        .map(|p| (p.name.as_str(), p.completed, p.efficiency))
        .collect();
    assert_eq!(
        effs,
        [
            ("ramp-up", 500, 1.0),
            ("steady", 1000, 1.0),
            ("ramp-down", 500, 1.0)
        ],
        "phases count requests by the phase that scheduled them"
    );
    // The completion-rate series (and the 1 s windows) show the stall.
    assert_eq!(r.series.completed[9], 0);
    assert_eq!(r.windows[1].completed, 1050);
    assert_eq!(r.windows.iter().filter(|w| w.phase == "steady").count(), 1);
    assert_eq!(r.series.completed.len(), 31, "drain bucket kept");
}

#[test]
fn explains_too_few_workers() {
    let s = Schedule::steady(10_000.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(200, 10);
    snap.generated = 10_000;
    snap.dropped = 8_000;
    snap.channel_full = 900;
    snap.service = Percentiles {
        mean: 5.0,
        p50: 5.0,
        ..Default::default()
    };
    let r = report(&s, &snap, &facts(10_000.0, 1.0, 10), EFFICIENCY_FLOOR);
    assert!((r.efficiency - 0.2).abs() < 1e-12);
    let w = &r.warnings[0];
    assert!(
        w.contains("concurrency 10 cannot carry 10000 rps at 5.00 ms"),
        "{w}"
    );
    assert!(w.contains("--concurrency 63"), "{w}");
}

#[test]
fn explains_drops_during_stalls_when_workers_suffice() {
    let s = Schedule::steady(1000.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(99, 10);
    snap.generated = 1000;
    snap.dropped = 10;
    snap.service.mean = 1.0; // 100 workers × 1 ms carry 100k rps
    snap.response.p99 = 30.0;
    let r = report(&s, &snap, &facts(1000.0, 1.0, 100), EFFICIENCY_FLOOR);
    assert!(
        r.warnings[0].contains("filled while responses stalled"),
        "{:?}",
        r.warnings
    );
    assert!(!r.warnings[0].contains("cannot carry"));
}

#[test]
fn explains_target_errors_and_unreachable_targets() {
    let s = Schedule::steady(100.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(10, 10);
    snap.succeeded = 0;
    snap.failed = 100;
    snap.status_codes.clear();
    snap.errors = BTreeMap::from([("connect", 100)]);
    let mut f = facts(100.0, 1.0, 10);
    f.target = "http://127.0.0.1:1/".into();
    let r = report(&s, &snap, &f, EFFICIENCY_FLOOR);
    assert!(
        r.warnings[0].starts_with("target unreachable (http://127.0.0.1:1/)"),
        "{:?}",
        r.warnings
    );
    snap.errors.clear();
    snap.status_codes = BTreeMap::from([(500, 100)]);
    let r = report(&s, &snap, &f, EFFICIENCY_FLOOR);
    assert!(r.warnings[0].contains("HTTP 500: 100"), "{:?}", r.warnings);
}

#[test]
fn explains_cpu_saturation_and_generator_lag() {
    let s = Schedule::steady(1000.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(50, 10);
    snap.schedule_lag.p99 = 40.0;
    let mut f = facts(1000.0, 1.0, 10);
    f.cpu_percent = 190.0;
    let r = report(&s, &snap, &f, EFFICIENCY_FLOOR);
    assert!(
        r.warnings.iter().any(|w| w.starts_with("CPU saturated")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("generator fell behind")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn cancelled_runs_are_judged_on_what_ran() {
    let s = Schedule::steady(1000.0, Duration::from_secs(10)).unwrap();
    let mut f = facts(1000.0, 2.5, 10);
    f.cancelled = true;
    let r = report(&s, &steady_snapshot(100, 25), &f, EFFICIENCY_FLOOR);
    assert_eq!(r.requests.expected, 2500);
    assert_eq!(r.efficiency, 1.0);
    assert_eq!(r.windows.len(), 2);
    assert!(r.warnings[0].starts_with("run cancelled"));
}

#[test]
fn warnings_follow_the_floor_they_are_given() {
    // 920 of 1000 completed, nothing dropped or failed, the generator on
    // time: only the floor decides whether the run explains itself.
    let s = Schedule::steady(1000.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(100, 10);
    snap.completed = 920;
    snap.succeeded = 920;
    snap.completed_series = vec![92; 10];
    let f = facts(1000.0, 1.0, 10);
    let at_90 = report(&s, &snap, &f, 0.90);
    assert!((at_90.efficiency - 0.92).abs() < 1e-12);
    assert!(at_90.warnings.is_empty(), "{:?}", at_90.warnings);
    let at_95 = report(&s, &snap, &f, 0.95);
    assert_eq!(at_95.warnings.len(), 1, "{:?}", at_95.warnings);
    assert!(
        at_95.warnings[0].starts_with("efficiency 92.0% is below 95%:"),
        "{:?}",
        at_95.warnings
    );
    let at_925 = report(&s, &snap, &f, 0.925);
    assert!(
        at_925.warnings[0].starts_with("efficiency 92.0% is below 92.5%:"),
        "{:?}",
        at_925.warnings
    );
}

#[test]
fn the_generators_lag_is_judged_by_the_floor_too() {
    let s = Schedule::steady(1000.0, Duration::from_secs(1)).unwrap();
    let mut snap = steady_snapshot(92, 10);
    snap.generated = 920;
    let f = facts(1000.0, 1.0, 10);
    let behind = |floor| {
        report(&s, &snap, &f, floor)
            .warnings
            .iter()
            .any(|w| w.contains("generator fell behind"))
    };
    assert!(!behind(0.90));
    assert!(behind(0.95));
}
