//! The metrics collector: what the generator and the workers record on the
//! hot path, without locks, and the cold-path flush into HdrHistograms.
//!
//! - Counters are atomics. Each worker has its own cache-line-padded slot that
//!   only it writes (so no contention and no read-modify-write needed); the
//!   generator's counters are written by the generator alone.
//! - Latency samples go into a per-worker single-producer ring buffer (rtrb);
//!   a flusher drains all rings into three HdrHistograms on the cold path. A
//!   full ring drops the sample and counts it (`samples_lost`); the request is
//!   still counted.
//! - Generation and completion are tallied per 100 ms bucket in fixed arrays
//!   sized for the run (capped), so memory does not grow with run length.
//!   Workers tally the current bucket locally and add it to the shared array
//!   when the bucket changes.
//! - Response time over time: the flush also files each sample under the
//!   100 ms bucket it completed in, in a small histogram per bucket; a
//!   bucket's p50 and p99 are taken when it is a second behind the newest one
//!   (or at the snapshot) and its histogram is reused, so a few histograms
//!   live at a time, whatever the run's length.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_utils::CachePadded;

use super::part::PartHistograms;
use super::snapshot::Percentiles;

pub(crate) mod latency;

use latency::{distribution, new_histogram, percentiles, Histograms, LatencyWindows, WINDOW_GRACE};

/// Time-series resolution.
pub(crate) const BUCKET_NS: u64 = 100_000_000;
/// Time-series cap: one hour at 100 ms. Later events are counted as overflow.
pub(crate) const MAX_BUCKETS: usize = 36_000;
/// Highest status code tallied individually; others count as 0.
const MAX_STATUS: usize = 600;

/// Why a request failed, other than by an HTTP error status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Could not connect (refused, unreachable).
    Connect,
    /// The TLS handshake failed (the certificate, the protocol).
    Tls,
    /// No response within the request timeout.
    Timeout,
    /// Connection reset or closed mid-request.
    Reset,
    /// The peer spoke broken HTTP.
    Protocol,
    /// The request was still in flight when the drain deadline passed.
    Abandoned,
    /// A response below 400 that failed the scenario's `check` (another
    /// status than the one required, or a body without the text).
    Check,
    /// Any other failure.
    Other,
}

impl ErrorKind {
    /// Every kind, in declaration order (`kind as usize` indexes it).
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Protocol,
        ErrorKind::Abandoned,
        ErrorKind::Check,
        ErrorKind::Other,
    ];

    /// The kind's name in reports (`connect`, `check-failed`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Abandoned => "abandoned",
            ErrorKind::Check => "check-failed",
            ErrorKind::Other => "other",
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A response with this status; 1xx–3xx count as succeeded.
    Status(u16),
    /// No usable response, and why.
    Error(ErrorKind),
}

impl Outcome {
    pub(crate) fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if s < 400)
    }
}

/// One latency sample, ns.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sample {
    pub response_ns: u64,
    pub service_ns: u64,
    /// Actual − intended send time: below 0 when sent early (within the
    /// pacing's early budget).
    pub lag_ns: i64,
    /// The time-series bucket the request completed in.
    pub done_bucket: u32,
}

/// A worker's counters. Only the owning worker writes them, with a plain
/// load + store (no RMW needed for a single writer) and Release, so a reader
/// that loads them with Acquire also sees the generator's count of every
/// request they include (the request came through the channel).
struct WorkerSlot {
    /// Requests that succeeded (Release; see above).
    succeeded: AtomicU64,
    /// Requests that failed (Release; see above).
    failed: AtomicU64,
    /// Samples its full ring dropped. Read Relaxed: a tally.
    samples_lost: AtomicU64,
    /// Failures by [`ErrorKind`] (`kind as usize`). Read Relaxed: tallies
    /// the live invariants do not involve.
    errors: [AtomicU64; ErrorKind::ALL.len()],
    /// Responses by status code, 0 for codes past the table. Read Relaxed,
    /// as `errors`.
    status: Box<[AtomicU64]>,
}

impl WorkerSlot {
    fn new() -> Self {
        WorkerSlot {
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            samples_lost: AtomicU64::new(0),
            errors: Default::default(),
            status: (0..MAX_STATUS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

#[inline]
fn bump(a: &AtomicU64) {
    // Single writer: no other thread stores to `a`, so load + store is an
    // exact increment.
    a.store(a.load(Ordering::Relaxed) + 1, Ordering::Release);
}

/// Per-100-ms tallies.
struct Series {
    /// Events per bucket. Relaxed (see `add`): tallies read after the run
    /// or by a progress display that tolerates staleness.
    buckets: Box<[AtomicU32]>,
    /// Events that fell past the last bucket. Relaxed, as `buckets`.
    overflow: AtomicU64,
}

impl Series {
    fn new(len: usize) -> Self {
        Series {
            buckets: (0..len.clamp(1, MAX_BUCKETS))
                .map(|_| AtomicU32::new(0))
                .collect(),
            overflow: AtomicU64::new(0),
        }
    }

    fn add(&self, bucket: usize, n: u32) {
        if n == 0 {
            return;
        }
        // Relaxed: tallies; they are read after the run (joins order them) or
        // live for a progress display that tolerates staleness.
        match self.buckets.get(bucket) {
            Some(b) => {
                b.fetch_add(n, Ordering::Relaxed);
            }
            None => {
                self.overflow.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }

    fn values(&self) -> Vec<u64> {
        self.buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed) as u64)
            .collect()
    }
}

/// Shared collector for one run.
pub struct Collector {
    /// Clock reading (ns) the time series counts from.
    origin_ns: u64,
    /// Requests released by the generator. Written by the generator only,
    /// with Release; read with Acquire after the workers' counters (see
    /// `snapshot`), so `completed <= generated` holds in every snapshot.
    generated: CachePadded<AtomicU64>,
    /// Released requests the generator could not hand to a worker. Relaxed:
    /// a tally no invariant of a live snapshot depends on.
    dropped: AtomicU64,
    /// Times the generator found the channel full. Relaxed: a tally.
    channel_full: AtomicU64,
    gen_series: Series,
    /// Completions by the bucket they happened in (the completion rate).
    done_series: Series,
    /// Completions by the bucket of their intended send time: per-phase
    /// efficiency credits a late completion to the phase that scheduled it,
    /// so a stall near a phase boundary does not move requests across it.
    due_series: Series,
    workers: Box<[CachePadded<WorkerSlot>]>,
    /// Ring consumers, drained by `flush` (cold path).
    consumers: Mutex<Vec<rtrb::Consumer<Sample>>>,
    histograms: Mutex<Histograms>,
}

/// Owned by one worker: records its requests.
pub struct Recorder {
    collector: Arc<Collector>,
    index: usize,
    ring: rtrb::Producer<Sample>,
    /// Local tallies, added to `done_series` / `due_series` when the bucket
    /// changes (once per 100 ms, not per request).
    done: BucketTally,
    due: BucketTally,
}

/// Requests counted locally for one time-series bucket.
#[derive(Default)]
struct BucketTally {
    bucket: usize,
    count: u32,
}

impl BucketTally {
    #[inline]
    fn count(&mut self, bucket: usize, series: &Series) {
        if bucket != self.bucket {
            self.flush(series);
            self.bucket = bucket;
        }
        self.count += 1;
    }

    fn flush(&mut self, series: &Series) {
        series.add(self.bucket, std::mem::take(&mut self.count));
    }
}

/// A consistent copy of the collector's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectorSnapshot {
    /// Requests the generator released.
    pub generated: u64,
    /// Released requests no worker could take (the queue full or closed).
    pub dropped: u64,
    /// Requests that ended in a response or an error (`succeeded + failed`).
    pub completed: u64,
    /// Responses below 400 that passed the target's check.
    pub succeeded: u64,
    /// Completed requests that did not succeed.
    pub failed: u64,
    /// Wakes at which the generator found the queue full.
    pub channel_full: u64,
    /// Latency samples dropped because a worker's ring was full (the requests still count).
    pub samples_lost: u64,
    /// Events past the end of the time series (still counted).
    pub series_overflow: u64,
    /// Responses by HTTP status (codes above 599 as 0).
    pub status_codes: BTreeMap<u16, u64>,
    /// Failures other than by status, by [`ErrorKind::name`].
    pub errors: BTreeMap<&'static str, u64>,
    /// Per 100 ms bucket.
    pub generated_series: Vec<u64>,
    /// Completions per 100 ms bucket they completed in.
    pub completed_series: Vec<u64>,
    /// Completions per bucket of their intended send time.
    pub completed_by_intended_series: Vec<u64>,
    /// Response time (completion − intended send time), ms.
    pub response: Percentiles,
    /// Service time (completion − actual send time), ms.
    pub service: Percentiles,
    /// Schedule lag (actual − intended send time), ms; a request sent
    /// early counts as 0.
    pub schedule_lag: Percentiles,
    /// How early the requests sent before their intended time went
    /// (intended − actual send time), ms; `count` is how many did.
    pub early: Percentiles,
    /// `(percentile, ms)` points of the response-time distribution.
    pub response_distribution: Vec<(f64, f64)>,
    /// Response-time p50 and p99 (ms) of the requests completed in each
    /// 100 ms bucket; `None` where none completed.
    pub response_p50_series: Vec<Option<f64>>,
    /// The same, p99 (ms).
    pub response_p99_series: Vec<Option<f64>>,
}

impl Collector {
    /// A collector for `workers` workers, a run of about `run_ns` (sizes the
    /// time series) and rings of `ring_capacity` samples per worker.
    /// Returns the collector and one recorder per worker.
    pub fn new(
        origin_ns: u64,
        run_ns: u64,
        workers: usize,
        ring_capacity: usize,
    ) -> (Arc<Collector>, Vec<Recorder>) {
        let buckets = (run_ns / BUCKET_NS + 1) as usize;
        let mut producers = Vec::with_capacity(workers);
        let mut consumers = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (p, c) = rtrb::RingBuffer::new(ring_capacity.max(1));
            producers.push(p);
            consumers.push(c);
        }
        let collector = Arc::new(Collector {
            origin_ns,
            generated: CachePadded::new(AtomicU64::new(0)),
            dropped: AtomicU64::new(0),
            channel_full: AtomicU64::new(0),
            gen_series: Series::new(buckets),
            done_series: Series::new(buckets),
            due_series: Series::new(buckets),
            workers: (0..workers)
                .map(|_| CachePadded::new(WorkerSlot::new()))
                .collect(),
            consumers: Mutex::new(consumers),
            histograms: Mutex::new(Histograms {
                response: new_histogram(),
                service: new_histogram(),
                lag: new_histogram(),
                early: new_histogram(),
                windows: LatencyWindows::new(buckets.clamp(1, MAX_BUCKETS)),
            }),
        });
        let recorders = producers
            .into_iter()
            .enumerate()
            .map(|(index, ring)| Recorder {
                collector: collector.clone(),
                index,
                ring,
                done: BucketTally::default(),
                due: BucketTally::default(),
            })
            .collect();
        (collector, recorders)
    }

    /// Buckets are closed on the right, `(k·100 ms, (k+1)·100 ms]`, the
    /// convention of `expected(t0, t1)`: the request due at exactly 1.000 s
    /// belongs to the first second.
    fn bucket_of(&self, t_ns: u64) -> usize {
        (t_ns.saturating_sub(self.origin_ns).saturating_sub(1) / BUCKET_NS) as usize
    }

    /// The generator released `n` requests at `now_ns`.
    pub(crate) fn record_generated(&self, n: u64, now_ns: u64) {
        // Single writer (the generator). Release: a reader that sees a
        // worker's completion (Acquire) and then loads this sees the count.
        let g = &self.generated;
        g.store(g.load(Ordering::Relaxed) + n, Ordering::Release);
        self.gen_series.add(self.bucket_of(now_ns), n as u32);
    }

    /// Released requests that could not be handed to a worker.
    pub(crate) fn record_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// The generator found the channel full.
    pub(crate) fn record_channel_full(&self) {
        self.channel_full.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests generated so far (live).
    pub(crate) fn generated(&self) -> u64 {
        self.generated.load(Ordering::Acquire)
    }

    /// Requests completed so far (live; up to one bucket behind per worker
    /// only in the time series, exact here).
    pub(crate) fn completed(&self) -> u64 {
        self.workers
            .iter()
            .map(|w| w.succeeded.load(Ordering::Acquire) + w.failed.load(Ordering::Acquire))
            .sum()
    }

    /// Drains every worker's ring into the histograms. Cold path.
    pub fn flush(&self) {
        let mut consumers = self.consumers.lock().unwrap_or_else(|e| e.into_inner());
        let mut h = self.histograms.lock().unwrap_or_else(|e| e.into_inner());
        let mut newest = 0;
        for c in consumers.iter_mut() {
            while let Ok(s) = c.pop() {
                // A request sent early is timed from when it was sent.
                let response = if s.lag_ns < 0 {
                    h.early.saturating_record(s.lag_ns.unsigned_abs());
                    s.service_ns
                } else {
                    s.response_ns
                };
                h.response.saturating_record(response.max(1));
                h.service.saturating_record(s.service_ns.max(1));
                h.lag.saturating_record(s.lag_ns.max(1) as u64);
                h.windows.record(s.done_bucket as usize, response);
                newest = newest.max(s.done_bucket as usize);
            }
        }
        h.windows.close_before(newest.saturating_sub(WINDOW_GRACE));
    }

    /// Flushes, then copies everything out. Counters are read workers-first
    /// (Acquire) and generator-last, so `completed <= generated` holds even
    /// while a run is live.
    pub fn snapshot(&self) -> CollectorSnapshot {
        self.flush();
        let mut s = CollectorSnapshot::default();
        for w in self.workers.iter() {
            s.succeeded += w.succeeded.load(Ordering::Acquire);
            s.failed += w.failed.load(Ordering::Acquire);
            s.samples_lost += w.samples_lost.load(Ordering::Relaxed);
            for (kind, n) in ErrorKind::ALL.iter().zip(&w.errors) {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    *s.errors.entry(kind.name()).or_default() += n;
                }
            }
            for (code, n) in w.status.iter().enumerate() {
                let n = n.load(Ordering::Relaxed);
                if n > 0 {
                    *s.status_codes.entry(code as u16).or_default() += n;
                }
            }
        }
        s.completed = s.succeeded + s.failed;
        s.generated = self.generated.load(Ordering::Acquire);
        s.dropped = self.dropped.load(Ordering::Relaxed);
        s.channel_full = self.channel_full.load(Ordering::Relaxed);
        s.generated_series = self.gen_series.values();
        s.completed_series = self.done_series.values();
        s.completed_by_intended_series = self.due_series.values();
        s.series_overflow = self.gen_series.overflow.load(Ordering::Relaxed)
            + self.done_series.overflow.load(Ordering::Relaxed);
        let h = self.histograms.lock().unwrap_or_else(|e| e.into_inner());
        s.response = percentiles(&h.response);
        s.service = percentiles(&h.service);
        s.schedule_lag = percentiles(&h.lag);
        s.early = percentiles(&h.early);
        s.response_distribution = distribution(&h.response);
        (s.response_p50_series, s.response_p99_series) = h.windows.series();
        s
    }

    /// The whole run's latency histograms, serialized for merging shards.
    pub fn part_histograms(&self) -> PartHistograms {
        self.flush();
        let h = self.histograms.lock().unwrap_or_else(|e| e.into_inner());
        PartHistograms::encode(&h.response, &h.service, &h.lag, &h.early)
    }
}

impl Recorder {
    /// Records one finished request. `intended`, `sent` and `done` are clock
    /// readings (ns): response time = done − intended (coordinated-omission
    /// corrected; from `sent` when the request went early), service time =
    /// done − sent, schedule lag = sent − intended (below 0 when early).
    #[inline]
    pub fn record(&mut self, intended_ns: u64, sent_ns: u64, done_ns: u64, outcome: Outcome) {
        let slot = &self.collector.workers[self.index];
        match outcome {
            Outcome::Status(code) => {
                // Codes past the table are tallied as 0.
                bump(slot.status.get(code as usize).unwrap_or(&slot.status[0]));
            }
            Outcome::Error(kind) => bump(&slot.errors[kind as usize]),
        }
        if outcome.is_success() {
            bump(&slot.succeeded);
        } else {
            bump(&slot.failed);
        }
        let sample = Sample {
            response_ns: done_ns.saturating_sub(intended_ns),
            service_ns: done_ns.saturating_sub(sent_ns),
            lag_ns: sent_ns.wrapping_sub(intended_ns) as i64,
            done_bucket: self.collector.bucket_of(done_ns).min(u32::MAX as usize) as u32,
        };
        if self.ring.push(sample).is_err() {
            bump(&slot.samples_lost);
        }
        let c = &*self.collector;
        self.done.count(sample.done_bucket as usize, &c.done_series);
        self.due.count(c.bucket_of(intended_ns), &c.due_series);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.done.flush(&self.collector.done_series);
        self.due.flush(&self.collector.due_series);
    }
}

#[cfg(test)]
mod tests;
