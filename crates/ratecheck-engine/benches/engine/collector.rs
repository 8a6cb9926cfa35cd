//! Collector benches: `Recorder::record` (per-worker counters + ring buffer)
//! against a collector keeping counters and an HdrHistogram behind one
//! `Mutex`, 1 and 2 threads.
//!
//! Two cases for ours: the ring has room (each thread records in chunks
//! smaller than its ring and drains the rings with `flush()` between chunks,
//! off the clock, as the engine's 100 ms flusher does), and the ring is full
//! (never flushed: every sample is dropped and counted in `samples_lost`, the
//! request still counted).

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput};
use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;
use ratecheck_engine::metrics::collector::{Collector, Outcome, Recorder};

use crate::common::{in_threads, selected};

const SEC: u64 = 1_000_000_000;
/// Sized for the time series: clock readings below advance 1 µs per record.
const RUN_NS: u64 = 3600 * SEC;
/// Ring capacity when it must not fill, and the chunk recorded between flushes.
const ROOMY_RING: usize = 1 << 16;
const CHUNK: u64 = 1 << 14;
const FULL_RING: usize = 64;

/// Plausible timestamps for the `i`-th record of a thread: response times
/// spread over 0.1–4 ms so the histogram sees many buckets.
#[inline]
fn times(i: u64) -> (u64, u64, u64) {
    let intended = i * 1_000;
    let sent = intended + 2_000;
    let done = sent + 100_000 + (i.wrapping_mul(7919) & 0xfff) * 1_000;
    (intended, sent, done)
}

/// Records `iters` requests; with `flush_every`, drains the rings between
/// chunks of that many records, off the clock. Returns the recording time.
fn record_run(
    rec: &mut Recorder,
    collector: &Collector,
    start: u64,
    iters: u64,
    flush_every: Option<u64>,
) -> Duration {
    let chunk = flush_every.unwrap_or(iters).max(1);
    let mut total = Duration::ZERO;
    let mut i = start;
    let end = start + iters;
    while i < end {
        let stop = (i + chunk).min(end);
        let t = Instant::now();
        while i < stop {
            let (a, b, d) = times(i);
            rec.record(black_box(a), b, d, Outcome::Status(200));
            i += 1;
        }
        total += t.elapsed();
        if flush_every.is_some() {
            collector.flush();
        }
    }
    total
}

/// The obvious alternative: one lock around everything.
struct MutexCollector {
    inner: Mutex<(Counters, Histogram<u64>)>,
}

struct Counters {
    completed: u64,
    succeeded: u64,
    failed: u64,
    status: [u64; 600],
}

impl MutexCollector {
    fn new() -> Self {
        let h = Histogram::new_with_bounds(1_000, 3_600 * SEC, 3).expect("valid bounds");
        MutexCollector {
            inner: Mutex::new((
                Counters {
                    completed: 0,
                    succeeded: 0,
                    failed: 0,
                    status: [0; 600],
                },
                h,
            )),
        }
    }

    fn record(&self, intended_ns: u64, _sent_ns: u64, done_ns: u64, outcome: Outcome) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (c, h) = &mut *g;
        c.completed += 1;
        match outcome {
            Outcome::Status(s) => {
                c.status[(s as usize).min(599)] += 1;
                if s < 400 {
                    c.succeeded += 1;
                } else {
                    c.failed += 1;
                }
            }
            Outcome::Error(_) => c.failed += 1,
        }
        h.saturating_record(done_ns.saturating_sub(intended_ns).max(1));
    }

    fn run(&self, start: u64, iters: u64) -> Duration {
        let t = Instant::now();
        for i in start..start + iters {
            let (a, b, d) = times(i);
            self.record(black_box(a), b, d, Outcome::Status(200));
        }
        t.elapsed()
    }
}

/// Benches ours with `threads` recorders; `roomy` picks the ring case.
fn ours(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    threads: usize,
    roomy: bool,
) {
    if !selected(&format!("collector/{threads}t/{name}")) {
        return;
    }
    let ring = if roomy { ROOMY_RING } else { FULL_RING };
    let (collector, recorders) = Collector::new(0, RUN_NS, threads, ring);
    // Padded: in the engine each recorder lives in its own task; side by side
    // in one Vec their write-hot fields would share a cache line.
    let mut recorders: Vec<CachePadded<(Recorder, u64)>> = recorders
        .into_iter()
        .map(|r| CachePadded::new((r, 0)))
        .collect();
    if !roomy {
        for slot in recorders.iter_mut() {
            let (r, next) = &mut **slot;
            record_run(r, &collector, 0, FULL_RING as u64, None);
            *next = FULL_RING as u64;
        }
    }
    let flush = roomy.then_some(CHUNK);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            if threads == 1 {
                let (r, next) = &mut *recorders[0];
                let d = record_run(r, &collector, *next, iters, flush);
                *next += iters;
                d
            } else {
                let c: &Collector = &collector;
                let d = in_threads(recorders.iter_mut().collect(), |slot| {
                    let (r, next) = &mut **slot;
                    record_run(r, c, *next, iters, flush)
                });
                for slot in recorders.iter_mut() {
                    slot.1 += iters;
                }
                d
            }
        })
    });
    drop(recorders);
    let s = collector.snapshot();
    eprintln!(
        "note: collector/{threads}t/{name}: {} recorded, {} samples kept, {} lost (ring {})",
        s.completed, s.response.count, s.samples_lost, ring
    );
}

fn mutex(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, name: &str, threads: usize) {
    let m = Arc::new(MutexCollector::new());
    let mut next = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let starts: Vec<u64> = (0..threads as u64).map(|k| next + k * iters).collect();
            next += threads as u64 * iters;
            if threads == 1 {
                m.run(starts[0], iters)
            } else {
                in_threads(starts, |s| m.run(s, iters))
            }
        })
    });
}

pub fn benches(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut g = c.benchmark_group(format!("collector/{threads}t"));
        g.throughput(Throughput::Elements(threads as u64));
        ours(&mut g, "ours_record", threads, true);
        ours(&mut g, "ours_record_ring_full", threads, false);
        mutex(&mut g, "mutex_record", threads);
        g.finish();
    }
}
