//! Tests of the rate limiter: the GCRA arithmetic, live rate changes, waits
//! and the tallies.

use super::*;
use crate::clock::{Clock, ManualClock, TokioClock};
use std::sync::Arc;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn limiter(rate: f64, burst: Burst) -> (Arc<ManualClock>, RateLimiter) {
    let clock = ManualClock::new();
    let l = RateLimiter::new(rate, burst, clock.clone()).unwrap();
    (clock, l)
}

/// Drains the bucket one token at a time every millisecond for `secs`.
fn granted_over(rate: f64, secs: u64) -> u64 {
    let (clock, l) = limiter(rate, Burst::default());
    let mut total = 0;
    for _ in 0..secs * 1000 {
        clock.advance(MS);
        while l.try_take(1) {
            total += 1;
        }
    }
    total
}

#[test]
fn grants_exactly_the_rate() {
    for rate in [200.0, 1000.0, 10_000.0, 100_000.0] {
        let got = granted_over(rate, 3) as f64;
        let want = rate * 3.0;
        assert!(
            (got - want).abs() <= 3.0,
            "rate {rate}: granted {got}, want {want}"
        );
    }
}

#[test]
fn starts_empty() {
    let (clock, l) = limiter(1000.0, Burst::default());
    assert!(!l.try_take(1), "a new bucket must not open with a burst");
    clock.advance(MS);
    assert!(l.try_take(1));
    assert!(!l.try_take(1));
}

#[test]
fn burst_caps_accumulation_and_refills() {
    let (clock, l) = limiter(1000.0, Burst::Tokens(50.0));
    clock.advance(10 * SEC);
    assert_eq!(
        l.take_up_to_at(10_000, clock.now_ns()),
        50,
        "capped at burst"
    );
    assert_eq!(l.take_up_to_at(10_000, clock.now_ns()), 0);
    clock.advance(20 * MS);
    assert_eq!(
        l.take_up_to_at(10_000, clock.now_ns()),
        20,
        "refilled at the rate"
    );
}

#[test]
fn default_burst_is_two_seconds() {
    let (clock, l) = limiter(1000.0, Burst::default());
    clock.advance(60 * SEC);
    assert_eq!(l.take_up_to_at(u64::MAX, clock.now_ns()), 2000);
}

#[test]
fn set_rate_up_down_zero_and_back() {
    let (clock, l) = limiter(1000.0, Burst::default());
    let take = |ms: u64| {
        let mut n = 0;
        for _ in 0..ms {
            clock.advance(MS);
            n += l.take_up_to_at(u64::MAX, clock.now_ns());
        }
        n
    };
    assert_eq!(take(1000), 1000);
    l.set_rate(5000.0).unwrap();
    assert_eq!(take(1000), 5000);
    l.set_rate(100.0).unwrap();
    assert_eq!(take(1000), 100);
    l.set_rate(0.0).unwrap();
    assert_eq!(take(1000), 0, "rate 0 pauses");
    l.set_rate(1000.0).unwrap();
    assert_eq!(
        take(500),
        500,
        "no retroactive tokens for the paused second"
    );
    let allowed = 1000.0 + 5000.0 + 100.0 + 0.0 + 500.0;
    assert!((l.allowed() - allowed).abs() < 1e-6);
    assert!((l.efficiency() - 1.0).abs() < 1e-9);
}

#[test]
fn tokens_in_the_bucket_survive_a_rate_change() {
    let (clock, l) = limiter(1000.0, Burst::default());
    clock.advance(100 * MS);
    assert!((l.available() - 100.0).abs() < 1e-6);
    l.set_rate(10.0).unwrap(); // new capacity 20 tokens
    assert!(
        (l.available() - 20.0).abs() < 1e-6,
        "clamped to the new burst"
    );
    l.set_rate(0.0).unwrap();
    l.set_rate(1000.0).unwrap();
    assert!((l.available() - 20.0).abs() < 1e-6, "kept across a pause");
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let c = ManualClock::new();
    for r in [-1.0, f64::NAN, f64::INFINITY, 1e12] {
        assert!(
            RateLimiter::new(r, Burst::default(), c.clone()).is_err(),
            "{r}"
        );
    }
    assert!(RateLimiter::new(1.0, Burst::Tokens(0.5), c.clone()).is_err());
    assert!(RateLimiter::new(1.0, Burst::Seconds(f64::NAN), c.clone()).is_err());
    let l = RateLimiter::new(1.0, Burst::default(), c).unwrap();
    assert!(matches!(
        l.set_rate(f64::NAN),
        Err(RateError::InvalidRate(_))
    ));
    assert!(matches!(l.set_rate(1e9), Err(RateError::RateTooHigh(_))));
    assert!(l.set_rate(-3.0).is_err());
}

#[test]
fn takers_share_the_bucket_and_keep_their_own_counts() {
    let (clock, l) = limiter(1000.0, Burst::default());
    let (mut a, mut b) = (l.taker(), l.taker());
    clock.advance(10 * MS);
    assert_eq!(a.take_up_to_at(6, clock.now_ns()), 6);
    assert_eq!(b.take_up_to_at(100, clock.now_ns()), 4, "the same bucket");
    assert!(!a.try_take(1));
    assert!(l.try_take_at(0, clock.now_ns()));
    let st = l.stats();
    assert_eq!(st.granted, 10);
    assert_eq!(st.blocked, 1);
    assert!((l.efficiency() - 1.0).abs() < 1e-9);
}

#[test]
fn fractional_rates() {
    let got = granted_over(0.5, 10);
    assert_eq!(got, 5);
}

#[test]
fn threads_never_exceed_the_allowance() {
    let clock = ManualClock::new();
    let l = Arc::new(RateLimiter::new(10_000.0, Burst::default(), clock.clone()).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (l, stop) = (l.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if l.try_take(1) {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    for _ in 0..500 {
        clock.advance(MS);
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    // 0.5 s at 10k/s allows 5000 tokens; the bucket started empty.
    assert!(total <= 5000, "granted {total} > 5000");
    assert_eq!(total, l.stats().granted);
    // Whatever was not taken is still in the bucket: nothing lost.
    assert!((total as f64 + l.available() - 5000.0).abs() < 1.0);
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    SetRate(f64),
    TryTake(u64),
    TakeUpTo(u64),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0u64..50_000_000).prop_map(Op::Advance),
        prop_oneof![Just(0.0), 0.5f64..200_000.0].prop_map(Op::SetRate),
        (1u64..500).prop_map(Op::TryTake),
        (1u64..5_000).prop_map(Op::TakeUpTo),
    ]
}

proptest::proptest! {
    /// Whatever the sequence of rate changes and takes, the limiter never
    /// grants more than the rate history allowed (the bucket starts
    /// empty, so the burst never adds to it), and tokens granted plus
    /// tokens left never exceed it either.
    #[test]
    fn never_grants_more_than_allowed(
        rate in 1.0f64..100_000.0,
        ops in proptest::collection::vec(op(), 1..200),
    ) {
        let (clock, l) = limiter(rate, Burst::default());
        let mut granted = 0u64;
        for op in ops {
            match op {
                Op::Advance(ns) => clock.advance(ns),
                Op::SetRate(r) => l.set_rate(r).unwrap(),
                Op::TryTake(n) => if l.try_take(n) { granted += n },
                Op::TakeUpTo(n) => granted += l.take_up_to_at(n, clock.now_ns()),
            }
            let allowed = l.allowed();
            proptest::prop_assert!(granted as f64 <= allowed + 1.0, "granted {} > allowed {}", granted, allowed);
            proptest::prop_assert!(granted as f64 + l.available() <= allowed + 1.0);
            proptest::prop_assert_eq!(granted, l.stats().granted);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn wait_sleeps_until_the_tokens_exist() {
    let l = RateLimiter::new(1000.0, Burst::default(), Arc::new(TokioClock::new())).unwrap();
    let t0 = tokio::time::Instant::now();
    l.wait(10).await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_millis(10));
    assert_eq!(l.stats().waits, 1);
    assert_eq!(l.stats().wait_max, Duration::from_millis(10));
}

#[tokio::test(start_paused = true)]
async fn wait_wakes_on_rate_change_from_zero() {
    let l = Arc::new(RateLimiter::new(0.0, Burst::default(), Arc::new(TokioClock::new())).unwrap());
    let t0 = tokio::time::Instant::now();
    let waiter = tokio::spawn({
        let l = l.clone();
        async move { l.wait(1).await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!waiter.is_finished(), "paused limiter must not grant");
    l.set_rate(100.0).unwrap();
    waiter.await.unwrap().unwrap();
    assert_eq!(t0.elapsed(), Duration::from_millis(5010));
}

#[tokio::test(start_paused = true)]
async fn cancelled_wait_leaves_tokens_to_others() {
    let l =
        Arc::new(RateLimiter::new(100.0, Burst::default(), Arc::new(TokioClock::new())).unwrap());
    let token = CancellationToken::new();
    let waiter = tokio::spawn({
        let (l, token) = (l.clone(), token.clone());
        async move { l.wait_with(50, &token).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    token.cancel();
    assert_eq!(waiter.await.unwrap(), Err(RateError::Cancelled));
    // The 30 tokens that accrued while it waited are all still there.
    assert_eq!(l.take_up_to_at(u64::MAX, l.clock().now_ns()), 30);
    // Dropping a wait future is just as clean.
    let fut = l.wait(5);
    drop(fut);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(l.take_up_to_at(u64::MAX, l.clock().now_ns()), 5);
    assert_eq!(l.stats().granted, 35);
}

#[tokio::test(start_paused = true)]
async fn wait_larger_than_burst_is_an_error() {
    let l = RateLimiter::new(10.0, Burst::Tokens(5.0), Arc::new(TokioClock::new())).unwrap();
    assert_eq!(
        l.wait(6).await,
        Err(RateError::ExceedsBurst { asked: 6, burst: 5 })
    );
}
