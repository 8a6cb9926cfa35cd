//! Limiter benches: our lock-free GCRA bucket against governor and a `Mutex`
//! token bucket, 1 and 2 threads, on the fast path (a bucket that never runs
//! dry during the bench) and on the refused path (an empty bucket). The clock
//! reads they pay are benched too, and `limiter/sketch_*` prices the parts of
//! `try_take` (one CAS vs the CAS plus two diagnostic tallies, adjacent or on
//! their own cache lines) on a copy of its fast path.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput};
use governor::{DefaultDirectRateLimiter, Quota};
use ratecheck_engine::clock::{SharedClock, SystemClock};
use ratecheck_engine::limits::MAX_RPS;
use ratecheck_engine::rate::{Burst, RateLimiter};

use crate::common::{in_threads, ShiftClock};

/// Our highest accepted rate; with the clock shifted by `FILL_NS` the bucket
/// holds its whole burst of `BURST` tokens, more than any bench takes.
const RATE: f64 = MAX_RPS;
const BURST: f64 = 1e12;
/// `BURST` ÷ `RATE` seconds, in ns.
const FILL_NS: u64 = 100_000 * 1_000_000_000;

/// A limiter whose bucket is full (see [`ShiftClock`]).
fn ours_full() -> RateLimiter {
    let clock = ShiftClock::new();
    let l = RateLimiter::new(RATE, Burst::Tokens(BURST), clock.clone()).expect("valid rate");
    clock.shift(FILL_NS);
    l
}

/// A limiter on the real `SystemClock` at `RATE` (bucket starts empty and
/// refills at 1 token per 100 ns): what `try_take` costs exactly as shipped.
fn ours_system_clock() -> RateLimiter {
    RateLimiter::new(RATE, Burst::default(), SystemClock::shared()).expect("valid rate")
}

/// An empty bucket that stays empty: one token per 1000 s.
fn ours_empty() -> RateLimiter {
    RateLimiter::new(1e-3, Burst::default(), SystemClock::shared()).expect("valid rate")
}

fn governor_full() -> DefaultDirectRateLimiter {
    // 1e9 per second (1 ns per cell), burst 1e9; governor starts full.
    let n = NonZeroU32::new(1_000_000_000).expect("non-zero");
    governor::RateLimiter::direct(Quota::per_second(n))
}

fn governor_empty() -> DefaultDirectRateLimiter {
    let q = Quota::with_period(Duration::from_secs(3600)).expect("non-zero period");
    let l = governor::RateLimiter::direct(q);
    let _ = l.check(); // take the one cell it starts with
    l
}

/// The obvious alternative: a token count and a last-refill instant behind a
/// mutex, refilled from `Instant::now()` on each call.
struct MutexBucket {
    state: Mutex<BucketState>,
    per_ns: f64,
    capacity: f64,
}

struct BucketState {
    tokens: f64,
    last: Instant,
}

impl MutexBucket {
    fn new(rate: f64, capacity: f64, start_tokens: f64) -> Self {
        MutexBucket {
            state: Mutex::new(BucketState {
                tokens: start_tokens,
                last: Instant::now(),
            }),
            per_ns: rate / 1e9,
            capacity,
        }
    }

    fn try_take(&self, n: u64) -> bool {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let dt = now.saturating_duration_since(s.last).as_nanos() as f64;
        s.tokens = (s.tokens + dt * self.per_ns).min(self.capacity);
        s.last = s.last.max(now);
        if s.tokens >= n as f64 {
            s.tokens -= n as f64;
            true
        } else {
            false
        }
    }
}

fn mutex_full() -> MutexBucket {
    MutexBucket::new(1e9, BURST, BURST)
}

fn mutex_empty() -> MutexBucket {
    MutexBucket::new(1e-3, 1.0, 0.0)
}

/// Warns when a fast-path bench met refusals (then it measured the wrong path).
fn check_unblocked(name: &str, l: &RateLimiter) {
    let s = l.stats();
    if s.blocked > 0 || s.waits > 0 {
        eprintln!(
            "note: {name}: {} of {} attempts refused, {} waits",
            s.blocked,
            s.blocked + s.refills,
            s.waits
        );
    }
}

fn one_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter/1t");
    g.throughput(Throughput::Elements(1));

    let l = ours_full();
    g.bench_function("ours_try_take_1", |b| b.iter(|| l.try_take(black_box(1))));
    check_unblocked("ours_try_take_1", &l);

    // The engine's generator takes through its own handle: one CAS.
    let l = ours_full();
    let mut t = l.taker();
    g.bench_function("ours_taker_try_take_1", |b| {
        b.iter(|| t.try_take(black_box(1)))
    });
    drop(t);
    check_unblocked("ours_taker_try_take_1", &l);

    let l = ours_system_clock();
    g.bench_function("ours_try_take_1_system_clock", |b| {
        b.iter(|| l.try_take(black_box(1)))
    });
    check_unblocked("ours_try_take_1_system_clock", &l);

    let l = ours_full();
    let now = l.clock().now_ns();
    g.bench_function("ours_try_take_at_1", |b| {
        b.iter(|| l.try_take_at(black_box(1), black_box(now)))
    });
    check_unblocked("ours_try_take_at_1", &l);

    let l = ours_full();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    g.bench_function("ours_wait_1", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(l.wait(black_box(1)).await.is_ok());
                }
                t.elapsed()
            })
        })
    });
    check_unblocked("ours_wait_1", &l);

    let gov = governor_full();
    g.bench_function("governor_check", |b| b.iter(|| gov.check().is_ok()));

    let m = mutex_full();
    g.bench_function("mutex_try_take_1", |b| b.iter(|| m.try_take(black_box(1))));

    g.throughput(Throughput::Elements(10));
    let l = ours_full();
    g.bench_function("ours_try_take_10", |b| b.iter(|| l.try_take(black_box(10))));
    check_unblocked("ours_try_take_10", &l);

    let ten = NonZeroU32::new(10).expect("non-zero");
    let gov = governor_full();
    g.bench_function("governor_check_n_10", |b| {
        b.iter(|| matches!(gov.check_n(black_box(ten)), Ok(Ok(()))))
    });

    let m = mutex_full();
    g.bench_function("mutex_try_take_10", |b| {
        b.iter(|| m.try_take(black_box(10)))
    });

    // The generator's call: one clock read per wake, then up to a batch.
    g.throughput(Throughput::Elements(100));
    let l = ours_full();
    g.bench_function("ours_take_up_to_at_100", |b| {
        b.iter(|| l.take_up_to_at(black_box(100), l.clock().now_ns()))
    });
    check_unblocked("ours_take_up_to_at_100", &l);
    g.finish();
}

fn refused(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter/refused");
    g.throughput(Throughput::Elements(1));
    let l = ours_empty();
    g.bench_function("ours_try_take_1", |b| b.iter(|| l.try_take(black_box(1))));
    let gov = governor_empty();
    g.bench_function("governor_check", |b| b.iter(|| gov.check().is_ok()));
    let m = mutex_empty();
    g.bench_function("mutex_try_take_1", |b| b.iter(|| m.try_take(black_box(1))));
    g.finish();
}

/// Two threads each making `iters` calls on one shared limiter.
fn two<L: Sync>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    limiter: &L,
    call: impl Fn(&L) -> bool + Sync,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            in_threads(vec![(); 2], |()| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(call(limiter));
                }
                t.elapsed()
            })
        })
    });
}

fn two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter/2t");
    let ten = NonZeroU32::new(10).expect("non-zero");

    g.throughput(Throughput::Elements(2));
    let l = ours_full();
    two(&mut g, "ours_try_take_1", &l, |l| l.try_take(black_box(1)));
    check_unblocked("2t ours_try_take_1", &l);
    let l = ours_full();
    g.bench_function("ours_taker_try_take_1", |b| {
        b.iter_custom(|iters| {
            in_threads(vec![(); 2], |()| {
                let mut t = l.taker();
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(t.try_take(black_box(1)));
                }
                start.elapsed()
            })
        })
    });
    let gov = governor_full();
    two(&mut g, "governor_check", &gov, |l| l.check().is_ok());
    let m = mutex_full();
    two(&mut g, "mutex_try_take_1", &m, |l| l.try_take(black_box(1)));

    g.throughput(Throughput::Elements(20));
    let l = ours_full();
    two(&mut g, "ours_try_take_10", &l, |l| {
        l.try_take(black_box(10))
    });
    check_unblocked("2t ours_try_take_10", &l);
    let gov = governor_full();
    two(&mut g, "governor_check_n_10", &gov, |l| {
        matches!(l.check_n(black_box(ten)), Ok(Ok(())))
    });
    let m = mutex_full();
    two(&mut g, "mutex_try_take_10", &m, |l| {
        l.try_take(black_box(10))
    });
    g.finish();
}

/// What one clock read costs: the floor under `try_take`.
fn clocks(c: &mut Criterion) {
    let mut g = c.benchmark_group("clock");
    let sys: SharedClock = SystemClock::shared();
    g.bench_function("system_clock_now_ns", |b| b.iter(|| sys.now_ns()));
    let shifted: SharedClock = ShiftClock::new();
    g.bench_function("shift_clock_now_ns", |b| b.iter(|| shifted.now_ns()));
    g.bench_function("std_instant_now", |b| b.iter(Instant::now));
    let q = quanta::Clock::new();
    g.bench_function("quanta_now", |b| b.iter(|| q.now()));
    g.finish();
}

pub fn benches(c: &mut Criterion) {
    clocks(c);
    one_thread(c);
    refused(c);
    two_threads(c);
}

/// For the ticker comparison: a limiter at `rate` on the real clock.
pub fn ours_at(rate: f64) -> Arc<RateLimiter> {
    Arc::new(RateLimiter::new(rate, Burst::default(), SystemClock::shared()).expect("valid rate"))
}
