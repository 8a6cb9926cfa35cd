//! Helpers shared by the bench modules: a pre-filled clock for fast-path
//! limiter benches, a barrier-started multi-thread runner for `iter_custom`,
//! and the little command-line reading the non-criterion measurements need.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ratecheck_engine::clock::{Clock, SystemClock};

/// `SystemClock` (quanta, ns since creation) plus a shift that the bench sets
/// once after building a limiter. The limiter's bucket starts empty; shifting
/// the clock by hours right after construction fills it to its burst, so the
/// fast-path benches never meet an empty bucket even at 10 tokens per call.
/// The extra cost over `SystemClock` is one uncontended Relaxed load and an add.
pub struct ShiftClock {
    clock: SystemClock,
    /// ns added to every reading. Relaxed: written once before the measured
    /// threads are spawned (spawn orders it), read-only afterwards.
    shift: AtomicU64,
}

impl ShiftClock {
    pub fn new() -> Arc<Self> {
        Arc::new(ShiftClock {
            clock: SystemClock::new(),
            shift: AtomicU64::new(0),
        })
    }

    pub fn shift(&self, ns: u64) {
        self.shift.fetch_add(ns, Ordering::Relaxed);
    }
}

impl Clock for ShiftClock {
    #[inline]
    fn now_ns(&self) -> u64 {
        self.clock.now_ns() + self.shift.load(Ordering::Relaxed)
    }
}

/// Runs `work(item)` on one thread per item, all released together by a
/// barrier. Each `work` times itself (so it can leave cold-path chores out)
/// and the slowest thread's time is returned: per call, that is the latency
/// each thread saw under contention.
pub fn in_threads<T: Send>(items: Vec<T>, work: impl Fn(T) -> Duration + Sync) -> Duration {
    let barrier = Barrier::new(items.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    barrier.wait();
                    work(item)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

/// True when run by `cargo bench` (criterion's `--bench` flag); false under
/// `cargo test --benches`, where every measurement runs briefly, once.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether a bench id passes the command line's filter (criterion's
/// positional argument, a regex). Approximated without a regex engine: the
/// filter's `|` alternatives, stripped of `()^$`, matched as substrings; so
/// `'(collector/2t|limiter/1t)'` works, fancier patterns may select more.
pub fn selected(id: &str) -> bool {
    // Criterion options that take a value: skip the value.
    const WITH_VALUE: &[&str] = &[
        "--save-baseline",
        "-s",
        "--baseline",
        "-b",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--color",
        "-c",
        "--format",
        "--logfile",
    ];
    let mut args = std::env::args().skip(1);
    let mut filters = Vec::new();
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            filters.push(a);
        }
    }
    filters.is_empty()
        || filters.iter().any(|f| {
            let plain: String = f.chars().filter(|c| !"()^$".contains(*c)).collect();
            plain.split('|').any(|alt| id.contains(alt))
        })
}
