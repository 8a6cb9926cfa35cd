//! The pure parts of pairing services: which scenarios, how each side's
//! run looks, the base side's spec and root, the order of the sides, and
//! the rows the pairs make.

use std::collections::BTreeMap;

use super::*;
use crate::baseline::compare::{Note, ThresholdLookup, Thresholds, Verdict};
use crate::config::ScenarioSpec;
use crate::figure::Figure;
use crate::revision::paired_rows;
use ratecheck_engine::load::TargetSpec;
use ratecheck_engine::metrics::snapshot::RunReport;

fn scenario(name: &str, target: TargetSpec, secs: f64) -> Step {
    let mut load = LoadSpec::steady(200.0, Duration::from_secs_f64(secs), 10);
    load.target = target;
    Step::Load(Box::new(ScenarioSpec {
        name: name.into(),
        load,
        thresholds: None,
        quick: true,
    }))
}

fn service(name: &str, path: &str) -> TargetSpec {
    TargetSpec::Service {
        name: name.into(),
        path: path.into(),
    }
}

#[test]
fn only_the_scenarios_that_load_a_service_are_paired_each_a_short_steady_run() {
    let mut ramp = scenario("api-ramp", service("api", "/"), 0.0);
    if let Step::Load(s) = &mut ramp {
        s.load.ramp_up = Duration::from_millis(300);
        s.load.ramp_down = Duration::from_millis(300);
    }
    let mut steps = vec![
        scenario("api-200", service("api", "/items"), 5.0),
        scenario("web-200", service("web", "/"), 0.4),
        scenario("url", TargetSpec::Url("http://127.0.0.1:9/".into()), 5.0),
        ramp,
    ];
    steps.extend(crate::suite::default_steps(true));
    let pairs = service_pairs(&steps);
    let names: Vec<&str> = pairs.iter().map(|p| p.scenario.as_str()).collect();
    assert_eq!(names, ["api-200", "web-200", "api-ramp"]);
    assert_eq!(paired_services(&pairs), ["api", "web"]);
    let api = &pairs[0];
    assert_eq!((api.service.as_str(), api.path.as_str()), ("api", "/items"));
    // The scenario's rate and concurrency, cut to PAIR_RUN.
    assert_eq!(api.load.duration, PAIR_RUN);
    assert_eq!(PAIR_RUN, Duration::from_millis(500));
    assert_eq!((api.load.rps, api.load.concurrency), (200.0, 10));
    assert!(api.latency);
    // A shorter scenario keeps its own length.
    assert_eq!(pairs[1].load.duration, Duration::from_millis(400));
    // Ramps become a steady run at the rate; the median of a ramp is not
    // judged, so not paired.
    let r = &pairs[2];
    assert!(r.load.ramp_up.is_zero() && r.load.ramp_down.is_zero());
    assert_eq!(r.load.duration, PAIR_RUN);
    assert!(!r.latency);
    let figures = |p: &ServicePair| p.figures().iter().map(|f| f.0).collect::<Vec<_>>();
    assert_eq!(
        figures(api),
        [
            id::SERVICE_CPU_US_PER_REQUEST,
            id::SERVICE_PEAK_RSS_BYTES,
            id::RESPONSE_P50_MS,
            id::SCHEDULE_LAG_P50_US
        ]
    );
    assert_eq!(figures(r).len(), 2);
    // Nothing to pair in the engine's own suite.
    assert!(service_pairs(&crate::suite::default_steps(false)).is_empty());
}

#[test]
fn a_slow_scenarios_runs_last_until_about_a_hundred_requests() {
    let secs = |s: f64| Duration::from_secs_f64(s);
    assert_eq!(pair_run(1000.0, secs(5.0)), PAIR_RUN);
    assert_eq!(pair_run(100.0, secs(5.0)), secs(1.0));
    assert_eq!(pair_run(20.0, secs(60.0)), MAX_PAIR_RUN);
    assert_eq!(
        pair_run(20.0, secs(1.5)),
        secs(1.5),
        "never past the scenario"
    );
    assert_eq!(pair_run(0.001, secs(5.0)), MAX_PAIR_RUN);
}

#[test]
fn the_base_side_runs_from_revs_tree_with_a_target_directory_of_its_own() {
    let mut spec = ServiceSpec::new("api", &["cargo", "run", "--", "--port", "{port}"]);
    spec.env.insert("RUST_LOG".into(), "warn".into());
    let base = base_spec(&spec, "HEAD~1", Path::new("/ws/target/ratecheck/target"));
    assert_eq!(base.name, "api at HEAD~1");
    assert_eq!(base.command, spec.command);
    assert_eq!(base.env["RUST_LOG"], "warn");
    assert_eq!(base.env["CARGO_TARGET_DIR"], "/ws/target/ratecheck/target");
    assert!(!spec.env.contains_key("CARGO_TARGET_DIR"));
    let tree = Path::new("/tmp/cargo-ratecheck-worktrees/0123");
    // The workspace at the repository's root, or in a folder of it.
    assert_eq!(base_root(tree, Path::new("/ws"), Path::new("/ws")), tree);
    assert_eq!(
        base_root(
            tree,
            Path::new("/repo"),
            Path::new("/repo/examples/service")
        ),
        tree.join("examples/service")
    );
    assert_eq!(base_root(tree, Path::new("/a"), Path::new("/b")), tree);
}

#[test]
fn the_sides_alternate_so_neither_always_goes_first() {
    let runs: Vec<[bool; 2]> = (0..4).map(order).collect();
    assert_eq!(
        runs,
        [[true, false], [false, true], [true, false], [false, true]]
    );
}

/// One side's run: a report with median `p50` ms, the service at `cpu` µs
/// per request and `rss` bytes.
fn measured(p50: f64, cpu: f64, rss: f64) -> Measured {
    let mut report = RunReport::example();
    report.latency_ms.response.p50 = p50;
    report.latency_ms.schedule_lag.p50 = 0.000511;
    Measured {
        report,
        service: BTreeMap::from([
            (
                id::SERVICE_CPU_US_PER_REQUEST.to_string(),
                Figure::single(FigureKind::Cpu, "us", cpu),
            ),
            (
                id::SERVICE_PEAK_RSS_BYTES.to_string(),
                Figure::single(FigureKind::Memory, "B", rss),
            ),
        ]),
        crash: None,
    }
}

#[test]
fn pairs_become_rows_of_the_service_figures_under_the_paired_tolerances() {
    let steps = [scenario("api-200", service("api", "/"), 5.0)];
    let specs = service_pairs(&steps);
    let mut trials = empty_trials(&specs, 20);
    for i in 0..20 {
        let wobble = 1.0 + 0.01 * ((i % 5) as f64 - 2.0);
        let base = measured(0.50 * wobble, 100.0 * wobble, 8e6);
        // 10% more CPU per request; RSS and latency as before.
        let current = measured(0.50 * wobble, 110.0 * wobble, 8e6);
        for f in trials[0].iter_mut() {
            f.base.push(read(&f.figure, &base));
            f.current.push(read(&f.figure, &current));
        }
    }
    let trials: Vec<PairedTrials> = trials.into_iter().flatten().collect();
    assert_eq!(trials.len(), 4);
    assert_eq!(trials[0].base.len(), 20);
    let rows = paired_rows(&trials, "HEAD~1", &ThresholdLookup::default());
    let row = |figure: &str| rows.iter().find(|r| r.figure == figure).unwrap();
    let cpu = row(id::SERVICE_CPU_US_PER_REQUEST);
    assert_eq!(cpu.scenario, "api-200");
    assert_eq!(cpu.verdict, Verdict::Regressed, "{:?}", cpu.note);
    assert!(matches!(
        &cpu.note,
        Some(Note::Paired { rev, pairs: 20, ratio, .. }) if rev == "HEAD~1" && (ratio - 1.1).abs() < 0.01
    ));
    assert_eq!(row(id::SERVICE_PEAK_RSS_BYTES).verdict, Verdict::Ok);
    assert_eq!(row(id::RESPONSE_P50_MS).verdict, Verdict::Ok);
    let lag = row(id::SCHEDULE_LAG_P50_US);
    assert_eq!((lag.verdict, lag.unit.as_str()), (Verdict::Ok, "us"));
    // The scenario's paired-cpu-tolerance decides: 15% lets 10% pass.
    let loose = Thresholds {
        paired_cpu_tolerance: 0.15,
        ..Thresholds::default()
    };
    let lookup = ThresholdLookup::new(
        Thresholds::default(),
        [("api-200".to_string(), loose)].into(),
    );
    let rows = paired_rows(&trials[..1], "HEAD~1", &lookup);
    assert_eq!(rows[0].verdict, Verdict::Ok, "{:?}", rows[0].note);
    // A run whose service figures could not be computed reads as not a
    // number, which the paired rule leaves out.
    let mut empty = measured(0.5, 1.0, 1.0);
    empty.service.clear();
    assert!(read(id::SERVICE_CPU_US_PER_REQUEST, &empty).is_nan());
    assert_eq!(read(id::RESPONSE_P50_MS, &empty), 0.5);
    assert!((read(id::SCHEDULE_LAG_P50_US, &empty) - 0.511).abs() < 1e-9);
}
