//! One engine run: a generator task releasing requests on an absolute
//! schedule through the rate limiter into a bounded channel, a ramp task
//! moving the limiter's rate every 100 ms, N workers sending to the target,
//! and a flusher moving latency samples to histograms. Backpressure is
//! visible (channel-full events, drops, schedule lag); cancellation stops
//! generation, drains in-flight requests up to a deadline, and still returns
//! a report.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::analyze::{self, RunFacts};
use super::batch::{BatchGenerator, IdSource, RequestMeta};
use super::clock::SharedClock;
use super::rate::{Burst, RateLimiter, MAX_RATE};
use super::schedule::{Schedule, ScheduleError};
use super::target::{Connection, Target};
use crate::metrics::collector::{Collector, Recorder};
use crate::metrics::snapshot::RunReport;
use crate::process::{self, CpuTimes};

/// Most workers a run accepts.
pub const MAX_CONCURRENCY: usize = 20_000;
/// How often the ramp task moves the limiter's rate.
const RAMP_STEP: Duration = Duration::from_millis(100);
/// How long a stall of the whole engine (the process descheduled or
/// stopped, a page-fault storm, a paused VM) the default request queue rides
/// out at the peak rate without dropping: when the generator runs again it
/// releases the backlog at once (absolute schedule), and the backlog must fit
/// in the queue. Only an overload longer than this fills it.
const QUEUE_SECONDS: f64 = 1.0;
/// Memory one queue slot costs: async-channel's bounded queue
/// (concurrent-queue's `Bounded`) keeps a `usize` stamp beside each
/// `RequestMeta` and writes every stamp when the channel is created, so the
/// whole queue is resident from the start, whether or not it ever fills
/// (measured: 24 B of RSS per slot; 240 KiB for 1 s at 10000 requests/s).
const QUEUE_SLOT_BYTES: usize = std::mem::size_of::<usize>() + std::mem::size_of::<RequestMeta>();
/// Memory the default queue may take: 24 MiB, 2^20 slots, 1 s of requests up
/// to ~1 million requests/s. That is more than a dozen engine threads carry
/// over loopback HTTP (~75000 requests/s a thread here), so a run at any rate
/// its target can be served at rides out a 1 s stall; faster asks (the null
/// target, flat-out runs) ride out a shorter one (0.1 s at 10 million/s)
/// rather than every such run paying for ~240 MiB.
const MAX_QUEUE_BYTES: usize = 24 << 20;
/// Most slots the default queue takes for the rate.
const MAX_QUEUE_FOR_RATE: usize = MAX_QUEUE_BYTES / QUEUE_SLOT_BYTES;

/// What to do with a released request when every worker is busy and the
/// channel is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullPolicy {
    /// Count it as dropped and go on (k6's `dropped_iterations`): the
    /// schedule stays on time.
    #[default]
    Drop,
    /// Wait for room: nothing is dropped, the schedule lag grows.
    Wait,
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Steady-state target rate, requests per second.
    pub rps: f64,
    /// Length of the steady phase.
    pub duration: Duration,
    pub ramp_up: Duration,
    pub ramp_down: Duration,
    /// Workers, each with one connection.
    pub concurrency: usize,
    pub target: Target,
    pub burst: Burst,
    /// Channel capacity; default the larger of 10 × concurrency, 1 s of
    /// requests at the peak rate (`rps`; at most 2^20 slots, 24 MiB), and
    /// 1024.
    pub channel_capacity: Option<usize>,
    pub on_full: FullPolicy,
    /// How long in-flight requests may take to finish once generation stops.
    pub drain: Duration,
    /// The embedded server runs in this process (its CPU is included).
    pub includes_server: bool,
}

impl RunConfig {
    /// A steady run with defaults for everything else.
    pub fn steady(rps: f64, duration: Duration, concurrency: usize, target: Target) -> Self {
        RunConfig {
            rps,
            duration,
            ramp_up: Duration::ZERO,
            ramp_down: Duration::ZERO,
            concurrency,
            target,
            burst: Burst::default(),
            channel_capacity: None,
            on_full: FullPolicy::Drop,
            drain: Duration::from_secs(2),
            includes_server: false,
        }
    }

    pub fn schedule(&self) -> Result<Schedule, EngineError> {
        Ok(Schedule::new(
            self.rps,
            self.ramp_up,
            self.duration,
            self.ramp_down,
        )?)
    }

    fn capacity(&self) -> usize {
        self.channel_capacity.unwrap_or_else(|| {
            (10 * self.concurrency)
                .max(((self.rps * QUEUE_SECONDS).ceil() as usize).min(MAX_QUEUE_FOR_RATE))
                .max(1024)
        })
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Rate(#[from] super::rate::RateError),
    #[error("concurrency must be between 1 and {MAX_CONCURRENCY} (got {0})")]
    Concurrency(usize),
}

/// Live progress, sent about every 100 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub elapsed_s: f64,
    pub duration_s: f64,
    pub target_rps: f64,
    pub generated: u64,
    pub completed: u64,
}

/// Receives progress events.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What the generator tallies, returned when it ends: its wakes, the
/// largest batch, and the channel occupancy sampled once per wake.
#[derive(Default)]
struct GeneratorTally {
    wakes: u64,
    max_batch: u64,
    occupancy_max: u64,
    occupancy_sum: u64,
}

/// Runs the schedule to its end (or until `cancel`), then drains, and
/// reports. Must be called inside a tokio runtime.
pub async fn run(
    cfg: &RunConfig,
    clock: SharedClock,
    cancel: CancellationToken,
    progress: Option<ProgressFn>,
) -> Result<RunReport, EngineError> {
    if cfg.concurrency == 0 || cfg.concurrency > MAX_CONCURRENCY {
        return Err(EngineError::Concurrency(cfg.concurrency));
    }
    let schedule = Arc::new(cfg.schedule()?);
    let first_rate = schedule.expected(0.0, RAMP_STEP.as_secs_f64()) / RAMP_STEP.as_secs_f64();
    let limiter = Arc::new(RateLimiter::new(first_rate, cfg.burst, clock.clone())?);

    let workers = cfg.concurrency;
    let run_ns = ((schedule.duration() + cfg.drain.as_secs_f64() + 1.0) * 1e9) as u64;
    // Room for ~1 s of samples per worker: flushes come every 100 ms, but a
    // busy single-threaded runtime can delay one.
    let ring = ((schedule.peak_rps() / workers as f64).ceil() as usize)
        .clamp(64, 8192)
        .next_power_of_two();
    // Where the kernel does not allow the reset, the peak is the process's.
    process::reset_peak_rss();
    let allocs0 = process::allocations();
    let cpu0 = CpuTimes::now();
    let wall0 = std::time::Instant::now();
    let start_ns = clock.now_ns();
    let start_instant = tokio::time::Instant::now();
    let (collector, recorders) = Collector::new(start_ns, run_ns, workers, ring);

    let (tx, rx) = async_channel::bounded::<RequestMeta>(cfg.capacity());
    // Workers end when the channel closes and drains; those still busy at
    // the drain deadline are aborted (no per-request cancellation cost).
    let target = Arc::new(cfg.target.clone());
    let mut worker_tasks = tokio::task::JoinSet::new();
    for rec in recorders {
        worker_tasks.spawn(worker(rx.clone(), rec, target.clone(), clock.clone()));
    }
    drop(rx);

    let stop_side_tasks = CancellationToken::new();
    let generator = tokio::spawn(generate(
        Generator {
            schedule: schedule.clone(),
            limiter: limiter.clone(),
            collector: collector.clone(),
            clock: clock.clone(),
            start_ns,
            start_instant,
            policy: cfg.on_full,
            drain: cfg.drain,
        },
        tx,
        cancel.clone(),
    ));
    let ramp = (schedule.phases().len() > 1
        || schedule.phases()[0].from_rps != schedule.phases()[0].to_rps)
        .then(|| {
            tokio::spawn(ramp_rates(
                schedule.clone(),
                limiter.clone(),
                start_ns,
                start_instant,
                stop_side_tasks.clone(),
            ))
        });
    let side = tokio::spawn(flush_and_report(
        collector.clone(),
        schedule.clone(),
        start_instant,
        progress.clone(),
        stop_side_tasks.clone(),
    ));

    // Generation ends with the schedule or with `cancel`.
    let tally = generator.await.unwrap_or_default();
    let generation_end = tokio::time::Instant::now();
    // In-flight requests may finish until `drain` after the schedule's end
    // (or after the cancel), whichever comes first.
    let schedule_end = start_instant + Duration::from_secs_f64(schedule.duration());
    let drain_deadline = (generation_end.min(schedule_end) + cfg.drain).max(generation_end);
    let drained = tokio::select! {
        _ = async { while worker_tasks.join_next().await.is_some() {} } => true,
        _ = tokio::time::sleep_until(drain_deadline) => false,
    };
    // Aborting drops each worker's recorder, which flushes its tallies.
    worker_tasks.shutdown().await;
    stop_side_tasks.cancel();
    if let Some(r) = ramp {
        let _ = r.await;
    }
    let _ = side.await;
    let wall = wall0.elapsed();
    let cpu = CpuTimes::now().since(cpu0);
    let end_ns = clock.now_ns();

    let snap = collector.snapshot();
    if let Some(p) = &progress {
        p(Progress {
            elapsed_s: schedule.duration(),
            duration_s: schedule.duration(),
            target_rps: cfg.rps,
            generated: snap.generated,
            completed: snap.completed,
        });
    }
    let ls = limiter.stats();
    let cancelled = cancel.is_cancelled();
    let elapsed_s = (end_ns - start_ns) as f64 / 1e9;
    let facts = RunFacts {
        target_rps: cfg.rps,
        concurrency: workers,
        target: cfg.target.describe(),
        includes_server: cfg.includes_server,
        cancelled,
        // A cancelled run is judged on the part of the schedule it ran.
        judged_until_s: if cancelled {
            ((generation_end - start_instant).as_secs_f64()).min(schedule.duration())
        } else {
            schedule.duration()
        },
        wall_s: elapsed_s,
        cpu_user_s: cpu.user.as_secs_f64(),
        cpu_system_s: cpu.system.as_secs_f64(),
        cpu_percent: cpu.percent_of_core(wall),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        peak_rss_bytes: process::peak_rss_bytes(),
        allocations: process::allocations() - allocs0,
        limiter: ls,
        limiter_efficiency: limiter.efficiency(),
        generator_wakes: tally.wakes,
        batch_size_max: tally.max_batch,
        channel_capacity: cfg.capacity() as u64,
        channel_max_occupancy: tally.occupancy_max,
        channel_mean_occupancy: if tally.wakes == 0 {
            0.0
        } else {
            tally.occupancy_sum as f64 / tally.wakes as f64
        },
        drained,
    };
    Ok(analyze::report(&schedule, &snap, &facts))
}

struct Generator {
    schedule: Arc<Schedule>,
    limiter: Arc<RateLimiter>,
    collector: Arc<Collector>,
    clock: SharedClock,
    start_ns: u64,
    start_instant: tokio::time::Instant,
    policy: FullPolicy,
    drain: Duration,
}

/// The generator loop: at each wake, release `floor(expected(0, now)) −
/// released` requests (as far as the limiter grants them), in batches, then
/// sleep until the next request is due. Absolute schedule: a late wake
/// releases more, it never shifts the schedule.
async fn generate(
    g: Generator,
    tx: async_channel::Sender<RequestMeta>,
    cancel: CancellationToken,
) -> GeneratorTally {
    let end = g.schedule.duration();
    let total = g.schedule.total().floor() as u64;
    // A waiting hand-over may use the drain period, no more.
    let wait_deadline = g.start_instant + Duration::from_secs_f64(end) + g.drain;
    let ids = IdSource::new();
    let mut batcher = BatchGenerator::new(g.schedule.rate(0.0).max(1.0));
    let mut released = 0u64;
    let mut tally = GeneratorTally::default();
    let mut taker = g.limiter.taker();
    let intended = |id: u64| -> u64 {
        let t = g.schedule.time_of((id + 1) as f64).unwrap_or(end);
        g.start_ns + (t * 1e9) as u64
    };
    loop {
        if cancel.is_cancelled() {
            break;
        }
        tally.wakes += 1;
        let now = g.clock.now_ns();
        let t = (now.saturating_sub(g.start_ns)) as f64 / 1e9;
        // The epsilon keeps float rounding from holding back the request
        // whose intended time is exactly now.
        let due = ((g.schedule.cumulative(t) + 1e-6).floor() as u64).min(total);
        let want = due.saturating_sub(released);
        let mut granted = 0;
        if want > 0 {
            batcher.set_rate(g.schedule.rate(t).max(1.0));
            granted = taker.take_up_to_at(want, now);
            g.collector.record_generated(granted, now);
            let mut left = granted;
            let mut full = false;
            while left > 0 {
                let batch = batcher.next_batch(left, &ids, intended);
                left -= batch.len() as u64;
                for req in batch {
                    match tx.try_send(*req) {
                        Ok(()) => {}
                        Err(async_channel::TrySendError::Full(req)) => {
                            full = true;
                            match g.policy {
                                FullPolicy::Drop => g.collector.record_dropped(1),
                                FullPolicy::Wait => {
                                    // Wait for room, but never past the
                                    // drain deadline or a cancel: what
                                    // cannot be handed over by then is
                                    // dropped (counted).
                                    let sent = tokio::select! {
                                        r = tx.send(req) => r.is_ok(),
                                        _ = cancel.cancelled() => false,
                                        _ = tokio::time::sleep_until(wait_deadline) => false,
                                    };
                                    if !sent {
                                        g.collector.record_dropped(1);
                                    }
                                }
                            }
                        }
                        Err(async_channel::TrySendError::Closed(_)) => {
                            g.collector.record_dropped(1)
                        }
                    }
                }
            }
            if full {
                g.collector.record_channel_full();
            }
            released += granted;
        }
        let len = tx.len() as u64;
        tally.occupancy_max = tally.occupancy_max.max(len);
        tally.occupancy_sum += len;
        if released >= total || (t >= end && granted == want) {
            break;
        }
        // Next wake: when the next request is due; if the limiter held some
        // back (a ramp step), in a millisecond.
        let next_t = if granted < want {
            t + 0.001
        } else {
            g.schedule.time_of((released + 1) as f64).unwrap_or(end)
        };
        // Always strictly later than now, so the loop cannot spin.
        let wake = g.start_instant + Duration::from_secs_f64(next_t.max(t + 1e-6));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = cancel.cancelled() => break,
        }
    }
    tally.max_batch = batcher.max_batch() as u64;
    tally
}

/// Moves the limiter to the schedule's mean rate over each next 100 ms, so
/// the tokens granted per step equal `expected` over it exactly. A late wake
/// (a stall, during which the previous rate stayed in place, short of a
/// rising ramp) skips the steps it missed and raises the rate to make up
/// what the limiter has allowed short of the schedule by the end of the
/// current step, so the backlog is granted within one step instead of
/// trailing the schedule to the end of the run. A surplus (a stall in a
/// falling ramp) is not taken back: the generator releases only what is due.
async fn ramp_rates(
    schedule: Arc<Schedule>,
    limiter: Arc<RateLimiter>,
    start_ns: u64,
    start: tokio::time::Instant,
    stop: CancellationToken,
) {
    let step = RAMP_STEP.as_secs_f64();
    let mut k = 1u64;
    loop {
        let at = start + RAMP_STEP * k as u32;
        tokio::select! {
            _ = tokio::time::sleep_until(at) => {}
            _ = stop.cancelled() => return,
        }
        let now = limiter.clock().now_ns().saturating_sub(start_ns) as f64 / 1e9;
        k = k.max((now / step).floor() as u64);
        let t = k as f64 * step;
        if t >= schedule.duration() {
            return;
        }
        let end = t + step;
        let mean = schedule.expected(t, end) / step;
        let short = schedule.cumulative(end) - limiter.allowed();
        let catch_up = short / (end - now).max(1e-6);
        // The schedule validated its rates and `catch_up` is clamped to
        // the limiter's maximum: a failure here cannot happen, and would
        // only leave the previous rate in place.
        let _ = limiter.set_rate(mean.max(catch_up.min(MAX_RATE)));
        k += 1;
    }
}

/// Flushes latency rings and reports progress every 100 ms.
async fn flush_and_report(
    collector: Arc<Collector>,
    schedule: Arc<Schedule>,
    start: tokio::time::Instant,
    progress: Option<ProgressFn>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        collector.flush();
        if let Some(p) = &progress {
            let elapsed = start.elapsed().as_secs_f64();
            p(Progress {
                elapsed_s: elapsed.min(schedule.duration()),
                duration_s: schedule.duration(),
                target_rps: schedule.rate(elapsed),
                generated: collector.generated(),
                completed: collector.completed(),
            });
        }
    }
}

/// One worker: takes requests off the channel until it closes and drains,
/// sends each, records the outcome. Aborted at the drain deadline.
pub(super) async fn worker(
    rx: async_channel::Receiver<RequestMeta>,
    mut rec: Recorder,
    target: Arc<Target>,
    clock: SharedClock,
) {
    let mut conn = Connection::default();
    while let Ok(req) = rx.recv().await {
        let sent = clock.now_ns();
        let outcome = conn.send(&target).await;
        rec.record(req.intended_ns, sent, clock.now_ns(), outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::clock::TokioClock;

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
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
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
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
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
}
