//! The engine against targets that misbehave (issue 6, item 3), driven with
//! the embedded server's options: resets, a server that never answers,
//! `Connection: close` after each response, 5xx answers, latency past the
//! request timeout, and connection refused. Each run must end within its
//! duration plus the drain deadline (plus 1 s of slack), count every failure
//! by kind, account for every request, and report efficiency honestly:
//! `completed` holds responses and transport errors, never abandoned ones.

mod common;

use std::time::{Duration, Instant};

use ratecheck_engine::clock::SystemClock;
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::{run, RunConfig};
use ratecheck_engine::server::{self, Behaviour, ServerOptions};
use ratecheck_engine::target::{HttpTarget, Target};
use tokio_util::sync::CancellationToken;

const RPS: f64 = 200.0;
const DURATION: Duration = Duration::from_secs(1);
const DRAIN: Duration = Duration::from_secs(1);
const SLACK: Duration = Duration::from_secs(1);
const EXPECTED: u64 = 200;

/// One run against `url` with the given timeout and worker count, checked
/// against the invariants of [`assert_accounted`].
fn load(url: &str, timeout: Duration, concurrency: usize) -> RunReport {
    let target = Target::Http(HttpTarget::new(url, timeout).expect("loopback URL").into());
    let mut cfg = RunConfig::steady(RPS, DURATION, concurrency, target);
    cfg.drain = DRAIN;
    let t0 = Instant::now();
    let rt = common::runtime();
    let r = rt
        .block_on(run(
            &cfg,
            SystemClock::shared(),
            CancellationToken::new(),
            None,
        ))
        .expect("valid run config");
    assert_accounted(&r, t0.elapsed());
    r
}

/// Starts the embedded server with `opts`, runs against it ([`load`]),
/// stops it. Returns the report and the requests the server saw.
fn against(opts: ServerOptions, timeout: Duration, concurrency: usize) -> (RunReport, u64) {
    let _lock = common::serial();
    let rt = common::runtime();
    let s = rt
        .block_on(server::start(opts))
        .expect("embedded server starts");
    let url = s.url();
    // The engine gets its own runtime, as the server would be another
    // process in real use; the server's runtime keeps serving meanwhile.
    let r = std::thread::scope(|sc| {
        sc.spawn(|| load(&url, timeout, concurrency))
            .join()
            .expect("engine thread")
    });
    let seen = s.requests();
    rt.block_on(s.shutdown());
    (r, seen)
}

/// The invariants every run keeps, whatever the target does.
fn assert_accounted(r: &RunReport, took: Duration) {
    let q = &r.requests;
    let limit = DURATION + DRAIN + SLACK;
    assert!(took <= limit, "run took {took:?} (limit {limit:?})");
    assert!(q.is_consistent(), "{q:?}");
    assert_eq!(q.expected, EXPECTED, "{q:?}");
    assert_eq!(
        q.generated,
        q.dropped + q.completed + r.diagnostics.abandoned_in_flight,
        "every generated request is dropped, completed or abandoned: {q:?} {:?}",
        r.diagnostics
    );
    let by_kind: u64 = r.errors.values().sum::<u64>() + r.status_codes.values().sum::<u64>();
    assert_eq!(
        by_kind, q.completed,
        "every completion has a status or an error kind: {:?} {:?}",
        r.errors, r.status_codes
    );
    let honest = q.completed as f64 / q.expected as f64;
    assert!(
        (r.efficiency - honest).abs() < 1e-9,
        "efficiency {} is completed ÷ expected = {honest}",
        r.efficiency
    );
}

fn count(map: &std::collections::BTreeMap<String, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or(0)
}

#[test]
fn connection_resets_are_counted_as_resets() {
    let (r, seen) = against(
        ServerOptions {
            behaviour: Behaviour::Reset,
            ..Default::default()
        },
        Duration::from_secs(1),
        10,
    );
    let q = &r.requests;
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert!(q.completed >= 190, "a reset answers at once: {q:?}");
    assert_eq!(count(&r.errors, "reset"), q.failed, "{:?}", r.errors);
    assert!(seen > 0, "the server saw the requests");
    common::assert_warns(&r, &["target errors", "reset"]);
}

/// 10 workers against a server that never answers, 200 ms timeout: each
/// worker finishes 5 requests a second (as timeouts), so about 100 of the
/// 200 complete in 2 s and the rest are abandoned at the drain deadline.
#[test]
fn a_server_that_never_answers_times_out_and_the_rest_is_abandoned() {
    let timeout = Duration::from_millis(200);
    let (r, _) = against(
        ServerOptions {
            behaviour: Behaviour::Hang,
            ..Default::default()
        },
        timeout,
        10,
    );
    let q = &r.requests;
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert!(r.status_codes.is_empty(), "{:?}", r.status_codes);
    assert_eq!(count(&r.errors, "timeout"), q.completed, "{:?}", r.errors);
    // At most 10 workers × (duration + drain) ÷ timeout, plus one each.
    let most = 10 * ((DURATION + DRAIN).as_millis() / timeout.as_millis()) as u64 + 10;
    assert!(
        (50..=most).contains(&q.completed),
        "completed counts only timeouts: {q:?}"
    );
    assert!(r.diagnostics.abandoned_in_flight > 0, "{:?}", r.diagnostics);
    assert!(r.efficiency < 0.95, "{}", r.efficiency);
    for needle in ["timeout", "abandoned"] {
        common::assert_warns(&r, &[needle]);
    }
}

/// `Connection: close` after every response: the client reconnects per
/// request and every request still succeeds.
#[test]
fn connection_close_after_each_response_reconnects_without_errors() {
    let (r, seen) = against(
        ServerOptions {
            behaviour: Behaviour::CloseAfterResponse,
            ..Default::default()
        },
        Duration::from_secs(1),
        10,
    );
    let q = &r.requests;
    assert_eq!(q.failed, 0, "errors {:?}; {q:?}", r.errors);
    assert_eq!(count(&r.status_codes, "200"), q.completed);
    assert_eq!(seen, q.completed, "one server request per completion");
    assert!(r.efficiency >= 0.95, "{}: {:?}", r.efficiency, r.warnings);
}

#[test]
fn server_errors_are_counted_by_status_code() {
    let (r, seen) = against(
        ServerOptions {
            error_rate: 1.0,
            ..Default::default()
        },
        Duration::from_secs(1),
        10,
    );
    let q = &r.requests;
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert_eq!(
        count(&r.status_codes, "500"),
        q.completed,
        "{:?}",
        r.status_codes
    );
    assert_eq!(q.failed, q.completed);
    assert!(r.errors.values().all(|&n| n == 0), "{:?}", r.errors);
    assert_eq!(seen, q.completed);
    // Every request got an answer, so the engine kept the rate; the
    // failures are the target's, and the report says so.
    assert!(r.efficiency >= 0.95, "{}", r.efficiency);
    assert!((r.error_rate() - 1.0).abs() < 1e-9);
    common::assert_warns(&r, &["HTTP 500"]);
}

/// Every response takes 400 ms, the timeout is 200 ms: all requests time
/// out, none succeeds, and 50 workers carry the rate (5 timeouts/s each).
#[test]
fn latency_past_the_timeout_is_counted_as_timeouts() {
    let (r, _) = against(
        ServerOptions {
            latency: Duration::from_millis(400),
            ..Default::default()
        },
        Duration::from_millis(200),
        50,
    );
    let q = &r.requests;
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert_eq!(count(&r.errors, "timeout"), q.completed, "{:?}", r.errors);
    assert!(q.completed >= 190, "{q:?}");
    assert!(
        r.latency_ms.service.p50 >= 190.0,
        "service time is the timeout: {:?}",
        r.latency_ms.service
    );
    common::assert_warns(&r, &["timeout"]);
}

/// Latency spikes: uniform 0..400 ms against a 200 ms timeout, so about half
/// the requests time out and the rest succeed; both are counted.
#[test]
fn latency_spikes_split_into_successes_and_timeouts() {
    let (r, _) = against(
        ServerOptions {
            jitter: Duration::from_millis(400),
            ..Default::default()
        },
        Duration::from_millis(200),
        50,
    );
    let q = &r.requests;
    let timeouts = count(&r.errors, "timeout");
    assert_eq!(timeouts, q.failed, "{:?}", r.errors);
    assert_eq!(count(&r.status_codes, "200"), q.succeeded);
    assert!(q.completed >= 190, "{q:?}");
    // Half of 200 is expected; these bounds are > 6 standard deviations wide.
    assert!((50..=150).contains(&timeouts), "{timeouts} timeouts: {q:?}");
}

#[test]
fn connection_refused_is_counted_as_connect_errors() {
    let _lock = common::serial();
    let url = format!("http://127.0.0.1:{}/", common::closed_port());
    let r = load(&url, Duration::from_secs(1), 10);
    let q = &r.requests;
    assert_eq!(q.succeeded, 0, "{q:?}");
    assert!(q.completed >= 190, "a refusal answers at once: {q:?}");
    assert_eq!(count(&r.errors, "connect"), q.failed, "{:?}", r.errors);
    common::assert_warns(&r, &["target unreachable", &url]);
}

/// The target goes away half-way: the first half succeeds, the rest are
/// counted as connect errors (reconnects are refused), and the run ends on
/// time.
#[test]
fn a_target_that_dies_mid_run_turns_into_connect_errors() {
    let _lock = common::serial();
    let rt = common::runtime();
    let (r, took) = rt.block_on(async {
        let s = server::start(ServerOptions::default())
            .await
            .expect("embedded server starts");
        let target = Target::Http(
            HttpTarget::new(&s.url(), Duration::from_secs(1))
                .expect("loopback URL")
                .into(),
        );
        let mut cfg = RunConfig::steady(RPS, Duration::from_secs(2), 10, target);
        cfg.drain = DRAIN;
        let killer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            s.shutdown().await;
        });
        let t0 = Instant::now();
        let r = run(&cfg, SystemClock::shared(), CancellationToken::new(), None)
            .await
            .expect("valid run config");
        killer.await.expect("shutdown task");
        (r, t0.elapsed())
    });
    assert!(took <= Duration::from_secs(2) + DRAIN + SLACK, "{took:?}");
    let q = &r.requests;
    assert!(q.is_consistent(), "{q:?}");
    assert_eq!(q.expected, 400);
    assert!(q.completed >= 380, "{q:?}");
    assert_eq!(count(&r.status_codes, "200"), q.succeeded);
    assert_eq!(
        count(&r.errors, "connect") + count(&r.errors, "reset"),
        q.failed,
        "{:?}",
        r.errors
    );
    // About half before the shutdown, half after; wide bounds for timing noise.
    assert!((100..=300).contains(&q.succeeded), "{q:?}");
    assert!((100..=300).contains(&q.failed), "{q:?}");
    common::assert_warns(&r, &["failed"]);
}

/// Runs `cfg` against a hanging server, cancelling after `cancel_after` if
/// given; gives up after `give_up` (so a hung engine fails, not hangs, the
/// test). Returns the report and the time from the cancel (or the start).
fn hang_run(
    mut cfg: RunConfig,
    cancel_after: Option<Duration>,
    give_up: Duration,
) -> Result<(RunReport, Duration), String> {
    let _lock = common::serial();
    let rt = common::runtime();
    let s = rt
        .block_on(server::start(ServerOptions {
            behaviour: Behaviour::Hang,
            ..Default::default()
        }))
        .expect("embedded server starts");
    cfg.target = Target::Http(
        HttpTarget::new(&s.url(), Duration::from_secs(10))
            .expect("loopback URL")
            .into(),
    );
    let out = rt.block_on(async {
        let cancel = CancellationToken::new();
        let t0 = Instant::now();
        let from = if let Some(after) = cancel_after {
            let c = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                c.cancel();
            });
            t0 + after
        } else {
            t0
        };
        let fut = run(&cfg, SystemClock::shared(), cancel, None);
        match tokio::time::timeout(give_up, fut).await {
            Ok(r) => Ok((r.expect("valid run config"), from.elapsed())),
            Err(_) => Err(format!("run did not return within {give_up:?}")),
        }
    });
    rt.block_on(s.shutdown());
    out
}

/// A config for the wait-policy cases: 2 workers held by a server that never
/// answers (10 s timeout), a 16-slot channel that fills in 0.1 s at 200 rps.
fn wait_policy(duration: Duration) -> RunConfig {
    let mut cfg = RunConfig::steady(
        RPS,
        duration,
        2,
        Target::Null {
            delay: Duration::ZERO,
        },
    );
    cfg.on_full = ratecheck_engine::run::FullPolicy::Wait;
    cfg.channel_capacity = Some(16);
    cfg.drain = DRAIN;
    cfg
}

/// Cancellation must stop generation even when the generator is blocked
/// handing a request to a full channel (`--on-full wait`). Today it is
/// stopped only when a worker frees a slot, i.e. after the request timeout.
#[test]
fn cancel_with_wait_policy_and_a_full_channel_returns_within_the_drain() {
    let (r, after_cancel) = hang_run(
        wait_policy(Duration::from_secs(30)),
        Some(Duration::from_secs(1)),
        Duration::from_secs(15),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        after_cancel <= DRAIN + SLACK,
        "report {after_cancel:?} after cancel (drain {DRAIN:?})"
    );
    assert!(r.diagnostics.cancelled);
}

/// With `--on-full wait`, the end of the schedule must still end the run
/// within duration + drain, whatever the target does. Today the generator
/// keeps waiting to push every request of the schedule (minutes here).
#[test]
fn wait_policy_run_against_a_hung_target_ends_within_duration_plus_drain() {
    let (r, took) = hang_run(wait_policy(DURATION), None, Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        took <= DURATION + DRAIN + SLACK,
        "run took {took:?} (limit {:?})",
        DURATION + DRAIN + SLACK
    );
    let q = &r.requests;
    assert_eq!(
        q.generated,
        q.dropped + q.completed + r.diagnostics.abandoned_in_flight,
        "{q:?}"
    );
}
