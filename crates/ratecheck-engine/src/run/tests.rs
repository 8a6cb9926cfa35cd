//! Engine runs on tokio's paused clock: rates, ramps, drops, stalls, drains.

use super::*;
use crate::clock::TokioClock;

fn null(delay_ms: u64) -> Target {
    Target::Null {
        delay: Duration::from_millis(delay_ms),
    }
}

async fn run_paused(cfg: RunConfig) -> RunReport {
    run(
        &cfg,
        Arc::new(TokioClock::new()),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn holds_the_rate_exactly_with_paused_time() {
    for rps in [200.0, 1000.0, 10_000.0] {
        let r = run_paused(RunConfig::steady(rps, Duration::from_secs(3), 10, null(0))).await;
        assert_eq!(r.requests.expected, (rps * 3.0) as u64);
        assert_eq!(r.requests.generated, r.requests.expected, "{rps}");
        assert_eq!(r.requests.completed, r.requests.expected, "{rps}");
        assert_eq!(r.requests.dropped, 0);
        assert!((r.efficiency - 1.0).abs() < 1e-9, "{rps}: {}", r.efficiency);
        assert!(r.min_window_generation_efficiency > 0.999, "{rps}: {r:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn ramps_are_judged_per_phase() {
    let mut cfg = RunConfig::steady(1000.0, Duration::from_secs(2), 20, null(1));
    cfg.ramp_up = Duration::from_secs(2);
    cfg.ramp_down = Duration::from_secs(2);
    let r = run_paused(cfg).await;
    assert_eq!(r.requests.expected, 4000);
    let names: Vec<_> = r.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ramp-up", "steady", "ramp-down"]);
    for p in &r.phases {
        assert!(p.generation_efficiency > 0.98, "{p:?}");
        assert!(p.efficiency > 0.98, "{p:?}");
    }
    assert_eq!(r.requests.completed, 4000);
}

#[tokio::test(start_paused = true)]
async fn too_few_workers_drop_and_say_so() {
    // 10 workers × 10 ms = 1000 rps at most, asked for 5000: 2000 in
    // the run, plus 2000 of the 5000 queued (1 s at the rate) in the 2 s
    // drain; the rest of the queue is abandoned.
    let r = run_paused(RunConfig::steady(
        5000.0,
        Duration::from_secs(2),
        10,
        null(10),
    ))
    .await;
    assert!(r.efficiency < 0.41, "{}", r.efficiency);
    assert!(r.requests.dropped > 0);
    assert_eq!(
        r.requests.generated,
        r.requests.dropped + r.requests.completed + r.diagnostics.abandoned_in_flight
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("concurrency 10")),
        "{:?}",
        r.warnings
    );
}

#[tokio::test(start_paused = true)]
async fn wait_policy_lags_instead_of_dropping() {
    // 10 workers × 10 ms carry 1000 rps; 1200 asked for 1 s through a
    // 16-slot queue: dropping loses ~180, waiting loses none.
    let mut cfg = RunConfig::steady(1200.0, Duration::from_secs(1), 10, null(10));
    cfg.channel_capacity = Some(16);
    let dropping = run_paused(cfg.clone()).await;
    assert!(dropping.requests.dropped > 100, "{:?}", dropping.requests);
    cfg.on_full = FullPolicy::Wait;
    let waiting = run_paused(cfg).await;
    assert_eq!(waiting.requests.dropped, 0);
    assert_eq!(waiting.requests.completed, 1200);
    assert!(
        waiting.latency_ms.schedule_lag.max > 100.0,
        "lag grows instead"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_policy_gives_up_at_the_drain_deadline() {
    // 1 worker × 10 s carries nothing within the run: waiting must not
    // hold the run past the schedule plus the drain.
    let mut cfg = RunConfig::steady(100.0, Duration::from_secs(1), 1, null(10_000));
    cfg.channel_capacity = Some(4);
    cfg.drain = Duration::from_secs(1);
    cfg.on_full = FullPolicy::Wait;
    let t0 = tokio::time::Instant::now();
    let r = run_paused(cfg).await;
    assert!(
        t0.elapsed() <= Duration::from_millis(2010),
        "{:?}",
        t0.elapsed()
    );
    assert!(r.requests.dropped > 90, "{:?}", r.requests);
    assert_eq!(
        r.requests.generated,
        r.requests.dropped + r.requests.completed + r.diagnostics.abandoned_in_flight
    );
}

#[tokio::test(start_paused = true)]
async fn the_configured_floor_words_the_warnings() {
    // Each request takes 60 ms and nothing may finish after the schedule:
    // the last ~60 ms of requests are abandoned, efficiency ~94%.
    let mut cfg = RunConfig::steady(1000.0, Duration::from_secs(1), 100, null(60));
    cfg.drain = Duration::ZERO;
    let below = |r: &RunReport| r.warnings.iter().any(|w| w.contains("% is below "));
    let r = run_paused(cfg.clone()).await;
    assert!(
        r.efficiency > 0.9 && r.efficiency < 0.95,
        "{}",
        r.efficiency
    );
    assert!(r.warnings[0].contains(" is below 95%:"), "{:?}", r.warnings);
    cfg.efficiency_floor = 0.9;
    let r = run_paused(cfg).await;
    assert!(
        r.efficiency > 0.9 && r.efficiency < 0.95,
        "{}",
        r.efficiency
    );
    assert!(!below(&r), "{:?}", r.warnings);
}

#[tokio::test(start_paused = true)]
async fn cancellation_still_reports_within_the_drain_deadline() {
    let cancel = CancellationToken::new();
    let mut cfg = RunConfig::steady(1000.0, Duration::from_secs(60), 10, null(5_000));
    cfg.drain = Duration::from_secs(1);
    let t0 = tokio::time::Instant::now();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        c2.cancel();
    });
    let r = run(&cfg, Arc::new(TokioClock::new()), cancel, None)
        .await
        .unwrap();
    assert!(t0.elapsed() <= Duration::from_secs(3) + Duration::from_millis(10));
    assert!(r.diagnostics.cancelled);
    assert!(r.requests.generated >= 1990, "{:?}", r.requests);
    assert!(r.diagnostics.abandoned_in_flight > 0);
    assert!(r.warnings.iter().any(|w| w.contains("cancelled")));
}

#[test]
fn queue_holds_a_second_of_requests_within_bounds() {
    let cfg = |rps, workers| RunConfig::steady(rps, Duration::from_secs(1), workers, null(0));
    let cap = |rps, workers| cfg(rps, workers).capacity();
    assert_eq!(cap(100.0, 10), 1024, "floor");
    assert_eq!(cap(1000.0, 500), 5000, "10 per worker");
    assert_eq!(cap(10_000.0, 100), 10_000, "1 s at the rate");
    assert_eq!(cap(10_000.5, 100), 10_001, "rounded up");
    assert_eq!(cap(1_000_000.0, 100), 1_000_000, "1 s at the rate");
    assert_eq!(cap(10_000_000.0, 100), MAX_QUEUE_FOR_RATE, "capped");
    #[cfg(target_pointer_width = "64")]
    assert_eq!((QUEUE_SLOT_BYTES, MAX_QUEUE_FOR_RATE), (24, 1 << 20));
    // Ramps peak at `rps`: the queue holds 1 s at the schedule's peak.
    let mut ramped = cfg(50_000.0, 100);
    ramped.ramp_up = Duration::from_secs(2);
    ramped.ramp_down = Duration::from_secs(2);
    let peak = ramped.schedule().unwrap().peak_rps();
    assert_eq!(ramped.capacity(), (peak * QUEUE_SECONDS).ceil() as usize);
    // A capacity asked for is taken as it is.
    let mut small = cfg(10_000.0, 100);
    small.channel_capacity = Some(16);
    assert_eq!(small.capacity(), 16);
}

/// Stalls the whole engine once, `at` from now for `len`: one task holds
/// the runtime (the test's, single-threaded) while the clock moves on, as
/// when the process is stopped or descheduled. No other task runs in
/// between; every timer due meanwhile fires late.
fn stall(at: Duration, len: Duration) -> tokio::task::JoinHandle<()> {
    let when = tokio::time::Instant::now() + at;
    tokio::spawn(async move {
        tokio::time::sleep_until(when).await;
        tokio::time::advance(len).await;
    })
}

#[tokio::test(start_paused = true)]
async fn a_stall_of_500ms_drops_nothing_and_shows_as_schedule_lag() {
    // 10000 rps; 100 workers × 1 ms carry 100000 rps, so the 5000
    // requests due during the stall go out in ~50 ms once it ends, all
    // within the 1–2 s window.
    let stalled = stall(Duration::from_millis(1200), Duration::from_millis(500));
    let r = run_paused(RunConfig::steady(
        10_000.0,
        Duration::from_secs(3),
        100,
        null(1),
    ))
    .await;
    stalled.await.unwrap();
    let q = &r.requests;
    assert_eq!(q.expected, 30_000);
    assert_eq!(q.dropped, 0, "{q:?} {:?}", r.diagnostics);
    assert_eq!(q.completed, q.expected, "{q:?}");
    assert_eq!(r.efficiency, 1.0);
    assert!(r.min_window_efficiency >= 0.999, "{:?}", r.windows);
    assert_eq!(r.diagnostics.channel_full_events, 0);
    assert_eq!(r.diagnostics.latency_samples_lost, 0);
    // The backlog went through the queue at once...
    assert!(
        r.diagnostics.channel_max_occupancy >= 4900,
        "{:?}",
        r.diagnostics
    );
    // ...and the lag says how late: the stall, not a shifted schedule.
    let lag = r.latency_ms.schedule_lag.max;
    assert!((499.0..=502.0).contains(&lag), "schedule lag max {lag} ms");
    // Efficiency 100%, yet the run fell behind, and says so.
    assert!(r.behind_schedule);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("fell behind its schedule"),
        "{:?}",
        r.warnings
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_during_a_ramp_is_caught_up_within_a_step() {
    // Up to 10000 rps over 2 s, 2 s steady, 2 s down; the engine stalls
    // from 1.05 to 1.55 s. Meanwhile the limiter keeps the rate of the
    // step the stall began in (5250 rps) while the schedule rises to
    // 7750: the ~500 requests short must be granted once the engine
    // runs again, not trail the schedule to its end.
    let stalled = stall(Duration::from_millis(1050), Duration::from_millis(500));
    let mut cfg = RunConfig::steady(10_000.0, Duration::from_secs(2), 100, null(1));
    cfg.ramp_up = Duration::from_secs(2);
    cfg.ramp_down = Duration::from_secs(2);
    let t0 = tokio::time::Instant::now();
    let r = run_paused(cfg).await;
    let took = t0.elapsed();
    stalled.await.unwrap();
    let q = &r.requests;
    assert_eq!(q.expected, 40_000);
    assert_eq!(q.dropped, 0, "{q:?}");
    assert_eq!(q.completed, q.expected, "{q:?}");
    // Caught up by the end of the step the stall ended in, in the ramp-up.
    let up = &r.phases[0];
    assert!(up.generated + 2 >= up.expected, "{:?}", r.phases);
    let lag = r.latency_ms.schedule_lag.max;
    assert!((499.0..=601.0).contains(&lag), "schedule lag max {lag} ms");
    // Nothing left to grant at the ramp-down's last, slowest rate.
    assert!(took <= Duration::from_millis(6010), "{took:?}");
    assert!(r.behind_schedule);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[tokio::test(start_paused = true)]
async fn bad_settings_are_errors() {
    let cfg = RunConfig::steady(10.0, Duration::from_secs(1), 0, null(0));
    assert!(matches!(
        run(
            &cfg,
            Arc::new(TokioClock::new()),
            CancellationToken::new(),
            None
        )
        .await,
        Err(EngineError::Concurrency(0))
    ));
    let cfg = RunConfig::steady(f64::NAN, Duration::from_secs(1), 1, null(0));
    assert!(run(
        &cfg,
        Arc::new(TokioClock::new()),
        CancellationToken::new(),
        None
    )
    .await
    .is_err());
}

/// A run paced by `budget` on paused time.
async fn run_budget(rps: f64, secs: u64, delay_ms: u64, budget: PacingBudget) -> RunReport {
    let mut cfg = RunConfig::steady(rps, Duration::from_secs(secs), 10, null(delay_ms));
    cfg.pacing = Pacing::Budget(budget);
    run_paused(cfg).await
}

#[tokio::test(start_paused = true)]
async fn a_wake_budget_batches_to_the_nearest_pass_never_earlier_than_the_budget() {
    // Passes at least 4 ms apart at 1000 rps: 4 requests a pass, each sent
    // at most 2 ms before its intended time and at most 2 ms after.
    let budget = PacingBudget {
        wake_cost_ns: 0,
        min_gap_ns: 4_000_000,
        early_ns: 2_000_000,
        timer_lateness_ns: 0,
    };
    let r = run_budget(1000.0, 3, 0, budget).await;
    let q = &r.requests;
    assert_eq!((q.generated, q.completed, q.dropped), (3000, 3000, 0));
    // Per 1 s window exact, but for the requests within the budget of a
    // window's edge (2 ms at 1000 rps: 2 requests).
    assert!(
        r.windows.iter().all(|w| w.generated.abs_diff(1000) <= 2),
        "{:?}",
        r.windows
    );
    let p = &r.pacing;
    // 3 s / 4 ms passes, give or take the first and the last.
    assert!((749..=752).contains(&p.timer_wakes), "{p:?}");
    assert_eq!(p.early_budget_us, 2000.0);
    // Never early by more than the budget, never late by more than it
    // (histograms keep three significant digits).
    assert!(r.latency_ms.early.max <= 2.01, "{:?}", r.latency_ms.early);
    assert!(r.latency_ms.schedule_lag.max <= 2.01, "{:?}", r.latency_ms);
    // Nearest pass: about as many early as late (1 and 2 ms early of 4).
    assert!((0.45..=0.55).contains(&p.early_share), "{p:?}");
    assert!(!r.behind_schedule);
}

#[tokio::test(start_paused = true)]
async fn exact_pacing_sends_nothing_early() {
    let r = run_budget(1000.0, 2, 0, PacingBudget::EXACT).await;
    assert_eq!(r.requests.completed, 2000);
    assert_eq!(r.latency_ms.early.count, 0);
    assert_eq!(r.pacing.early_share, 0.0);
    assert_eq!(r.pacing.timer_wakes, 2000);
}

#[tokio::test(start_paused = true)]
async fn a_worker_that_wakes_in_time_takes_the_timers_place() {
    // 200 rps (5 ms apart), each request answered in 4 ms; the timer wakes
    // 2 ms after it is armed. A worker done 4 ms after a send is awake 1 ms
    // before the next request's timer would be: the generator releases it
    // then (1 ms early, within the 2 ms budget) instead of waking for it.
    let budget = PacingBudget {
        wake_cost_ns: 0,
        min_gap_ns: 0,
        early_ns: 2_000_000,
        timer_lateness_ns: 2_000_000,
    };
    let r = run_budget(200.0, 2, 4, budget).await;
    let q = &r.requests;
    assert_eq!((q.generated, q.completed, q.dropped), (400, 400, 0));
    let p = &r.pacing;
    assert!(p.nudged_wakes >= 100, "{p:?}");
    assert!(p.timer_wakes + p.nudged_wakes <= 401, "{p:?}");
    assert!(r.latency_ms.early.max <= 2.01, "{:?}", r.latency_ms.early);
    assert!(p.early_share > 0.3, "{p:?}");
    // An early request is timed from when it went out: its response time
    // is the 4 ms service time, not less.
    let fastest = r.latency_ms.response_distribution[0][1];
    assert!(fastest >= 3.99, "{:?}", r.latency_ms.response_distribution);
}

/// Shard `i/n` of 900 rps ramped up over 1 s, steady 1 s, ramped down over
/// 1 s, starting at `t0`, on its own paused clock that reaches `history` back.
async fn shard_run(i: u64, n: u64, t0: std::time::SystemTime, history: Duration) -> RunReport {
    let mut cfg = RunConfig::steady(900.0, Duration::from_secs(1), 10, null(1));
    cfg.ramp_up = Duration::from_secs(1);
    cfg.ramp_down = Duration::from_secs(1);
    cfg.shard = Some(Shard {
        stripe: Stripe::new(i, n).unwrap(),
        start_at: Some(t0),
    });
    let clock = Arc::new(TokioClock::new());
    tokio::time::advance(history).await;
    run(&cfg, clock, CancellationToken::new(), None)
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn shards_send_their_stripes_and_add_up_to_the_whole() {
    let t0 = std::time::SystemTime::now() + Duration::from_secs(1);
    let mut sum = 0;
    for i in 0..3 {
        let r = shard_run(i, 3, t0, Duration::ZERO).await;
        let own = Stripe::new(i, 3).unwrap().own_below(1800);
        assert_eq!(r.requests.expected, own, "{i}");
        assert_eq!(r.requests.generated, own, "{i}");
        assert_eq!(r.requests.completed, own, "{i}");
        assert_eq!(r.target_rps, 300.0);
        // On time, as far as tokio's 1 ms timer and the limiter's
        // 100 ms ramp steps go (as unsharded).
        assert!(!r.behind_schedule, "{i}: {:?}", r.latency_ms);
        let part = r.shard.unwrap();
        assert_eq!((part.index, part.count), (i, 3));
        assert_eq!(part.start_offset_ms, 0.0);
        assert_eq!(part.schedule.rps, 900.0);
        sum += r.windows.iter().map(|w| w.expected).sum::<f64>() as u64;
    }
    assert_eq!(sum, 1800);
}

#[tokio::test(start_paused = true)]
async fn a_late_shard_lags_and_loses_nothing() {
    let t0 = std::time::SystemTime::now() - Duration::from_millis(500);
    let r = shard_run(1, 2, t0, Duration::from_secs(10)).await;
    assert_eq!(r.requests.expected, 900);
    assert_eq!(r.requests.completed, 900);
    assert_eq!(r.requests.dropped, 0);
    assert_eq!(r.efficiency, 1.0);
    let lag = r.latency_ms.schedule_lag;
    assert!(lag.max > 400.0 && lag.max < 600.0, "{lag:?}");
    let offset = r.shard.unwrap().start_offset_ms;
    assert!((offset - 500.0).abs() < 50.0, "{offset}");
}
