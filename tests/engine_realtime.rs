//! The engine in real time against the embedded server (issue 3,
//! "Integration tests"): rates, concurrency, ramps, cancellation and an
//! unreachable target. The margins (≥ 95%, ≥ 90% at 10k rps) are meant to hold
//! on a noisy 2-core machine in a debug build; the tests take a lock so they
//! never measure each other, and each run lasts 1–2 s.

mod common;

use std::time::{Duration, Instant};

use ratecheck_engine::clock::SystemClock;
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::{run, RunConfig};
use ratecheck_engine::server::{self, ServerOptions};
use ratecheck_engine::target::{HttpTarget, Target};
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(2);

/// A run config aimed at `url`, with a 1 s drain.
fn config(url: &str, rps: f64, secs: f64, concurrency: usize) -> RunConfig {
    let target = Target::Http(HttpTarget::new(url, TIMEOUT).expect("loopback URL").into());
    let mut cfg = RunConfig::steady(rps, Duration::from_secs_f64(secs), concurrency, target);
    cfg.drain = Duration::from_secs(1);
    cfg.includes_server = true;
    cfg
}

/// Starts the embedded server, lets `make` build the config from its URL,
/// runs it to the end, shuts the server down.
fn run_embedded(opts: ServerOptions, make: impl FnOnce(&str) -> RunConfig) -> RunReport {
    run_embedded_cancelled(opts, None, make).0
}

/// [`run_embedded`], cancelling the run after `cancel_after` if given.
/// Returns the report and the time from the cancel (or the start) to the
/// report.
fn run_embedded_cancelled(
    opts: ServerOptions,
    cancel_after: Option<Duration>,
    make: impl FnOnce(&str) -> RunConfig,
) -> (RunReport, Duration) {
    let _lock = common::serial();
    common::runtime().block_on(async {
        let s = server::start(opts).await.expect("embedded server starts");
        let cfg = make(&s.url());
        let cancel = CancellationToken::new();
        let start = Instant::now();
        let cancelled_at = cancel_after.map(|after| {
            let trigger = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                trigger.cancel();
                Instant::now()
            })
        });
        let r = run(&cfg, SystemClock::shared(), cancel, None)
            .await
            .expect("valid run config");
        let returned = Instant::now();
        let from = match cancelled_at {
            Some(at) => at.await.expect("cancel task"),
            None => start,
        };
        let took = returned.duration_since(from);
        s.shutdown().await;
        (r, took)
    })
}

/// The counters add up, nothing failed, and the run reached 95% efficiency.
fn assert_clean(r: &RunReport) {
    let q = &r.requests;
    assert!(q.is_consistent(), "{q:?}");
    assert_eq!(
        q.failed, 0,
        "errors {:?} codes {:?}",
        r.errors, r.status_codes
    );
    assert_eq!(q.dropped, 0, "{q:?}; warnings {:?}", r.warnings);
    assert!(
        q.completed <= q.expected + 1,
        "more completed than asked for: {q:?}"
    );
    assert!(
        r.efficiency >= 0.95,
        "efficiency {} at concurrency {}: {q:?}; warnings {:?}",
        r.efficiency,
        r.concurrency,
        r.warnings
    );
}

fn steady(rps: f64, secs: f64, concurrency: usize) -> RunReport {
    let r = run_embedded(ServerOptions::default(), |url| {
        config(url, rps, secs, concurrency)
    });
    // Shown with --nocapture: how much margin the thresholds have.
    eprintln!(
        "{rps} rps, concurrency {concurrency}: efficiency {:.4}, generation {:.4}, cpu {:.0}%",
        r.efficiency, r.generation_efficiency, r.cpu.percent_of_core
    );
    r
}

#[test]
fn rate_200_reaches_95_percent() {
    let r = steady(200.0, 1.5, 10);
    assert_eq!(r.requests.expected, 300);
    assert_clean(&r);
    assert_eq!(
        r.status_codes.get("200").copied(),
        Some(r.requests.completed)
    );
}

#[test]
fn rate_1000_reaches_95_percent() {
    let r = steady(1000.0, 1.5, 50);
    assert_eq!(r.requests.expected, 1500);
    assert_clean(&r);
}

/// 10k rps in a debug build, engine and server in one process on 2 cores:
/// it holds 100% on a quiet machine, but another process saturating the
/// cores (a parallel build, a peer benchmark) can push service times past
/// what 100 workers carry. One retry keeps that noise from failing the
/// test; an engine that cannot hold 90% fails both attempts.
#[test]
fn rate_10000_reaches_90_percent() {
    let check = |r: &RunReport| -> Result<(), String> {
        let q = &r.requests;
        assert_eq!(q.expected, 15_000);
        assert!(q.is_consistent(), "{q:?}");
        assert_eq!(q.failed, 0, "errors {:?}", r.errors);
        if r.efficiency >= 0.90 {
            Ok(())
        } else {
            Err(format!(
                "{} (generation {}): {:?}",
                r.efficiency, r.generation_efficiency, r.warnings
            ))
        }
    };
    let first = steady(10_000.0, 1.5, 100);
    if let Err(why) = check(&first) {
        eprintln!("10k rps, first attempt below 90%, retrying once: {why}");
        let second = steady(10_000.0, 1.5, 100);
        if let Err(why) = check(&second) {
            panic!("10k rps below 90% twice: {why}");
        }
    }
}

#[test]
fn concurrency_sweep_at_1000_rps() {
    for concurrency in [10, 50, 100, 500] {
        let r = steady(1000.0, 1.0, concurrency);
        assert_eq!(r.concurrency, concurrency);
        assert_eq!(r.requests.expected, 1000);
        assert_clean(&r);
    }
}

#[test]
fn ramp_up_and_ramp_down_phases_reach_95_percent() {
    let r = run_embedded(ServerOptions::default(), |url| {
        let mut cfg = config(url, 1000.0, 0.5, 50);
        cfg.ramp_up = Duration::from_secs(1);
        cfg.ramp_down = Duration::from_secs(1);
        cfg
    });
    // 500 up + 500 steady + 500 down.
    assert_eq!(r.requests.expected, 1500);
    assert_clean(&r);
    let names: Vec<&str> = r.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ramp-up", "steady", "ramp-down"]);
    for p in &r.phases {
        assert_eq!(p.expected, 500, "{p:?}");
        assert!(p.efficiency >= 0.95, "{p:?}");
        assert!(p.generation_efficiency >= 0.95, "{p:?}");
    }
}

#[test]
fn cancellation_mid_run_reports_within_a_second_of_the_drain_deadline() {
    // Every request takes 5 s: at cancellation, requests are in flight
    // and can only be abandoned at the drain deadline.
    let drain = Duration::from_millis(500);
    let (r, after_cancel) = run_embedded_cancelled(
        ServerOptions {
            latency: Duration::from_secs(5),
            ..Default::default()
        },
        Some(Duration::from_millis(1000)),
        |url| {
            let mut cfg = config(url, 200.0, 30.0, 10);
            cfg.drain = drain;
            cfg
        },
    );
    assert!(
        after_cancel <= drain + Duration::from_secs(1),
        "report {after_cancel:?} after cancel (drain {drain:?})"
    );
    assert!(r.diagnostics.cancelled);
    common::assert_warns(&r, &["cancelled"]);
    let q = &r.requests;
    // Judged on the ~1 s the schedule ran, not the 30 s it asked for.
    assert!((100..=400).contains(&q.expected), "{q:?}");
    assert!(q.generated > 0, "{q:?}");
    assert_eq!(q.completed, 0, "nothing answers within 5 s: {q:?}");
    assert_eq!(
        q.generated,
        q.dropped + q.completed + r.diagnostics.abandoned_in_flight,
        "every request accounted for"
    );
    assert!(r.diagnostics.abandoned_in_flight > 0, "{:?}", r.diagnostics);
    common::assert_warns(&r, &["abandoned"]);
}

#[test]
fn cancellation_with_a_fast_target_drains_at_once() {
    let (r, after_cancel) = run_embedded_cancelled(
        ServerOptions::default(),
        Some(Duration::from_millis(800)),
        |url| {
            let mut cfg = config(url, 500.0, 30.0, 10);
            cfg.drain = Duration::from_secs(5);
            cfg
        },
    );
    // Nothing is slow, so the drain ends long before its 5 s deadline.
    assert!(after_cancel < Duration::from_secs(1), "{after_cancel:?}");
    assert!(r.diagnostics.cancelled);
    assert_eq!(r.diagnostics.abandoned_in_flight, 0, "{:?}", r.requests);
    assert_clean(&r);
}

#[test]
fn unreachable_url_counts_connect_errors_names_the_target_and_does_not_hang() {
    let _lock = common::serial();
    let url = format!("http://127.0.0.1:{}/", common::closed_port());
    let t0 = Instant::now();
    let r = common::runtime().block_on(async {
        let mut cfg = config(&url, 200.0, 1.0, 10);
        cfg.includes_server = false;
        run(&cfg, SystemClock::shared(), CancellationToken::new(), None)
            .await
            .expect("valid run config")
    });
    // Duration 1 s + drain 1 s + 1 s margin.
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    let q = &r.requests;
    assert!(q.is_consistent(), "{q:?}");
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert!(q.failed >= 190, "{q:?}");
    assert_eq!(
        r.errors.get("connect").copied(),
        Some(q.failed),
        "every failure is a connect error: {:?}",
        r.errors
    );
    common::assert_warns(&r, &["unreachable", &url]);
}
