//! One engine run: a generator task releasing requests on an absolute
//! schedule through the rate limiter into a bounded channel, a ramp task
//! moving the limiter's rate every 100 ms, N workers sending to the target,
//! and a flusher moving latency samples to histograms. Backpressure is
//! visible (channel-full events, drops, schedule lag); cancellation stops
//! generation, drains in-flight requests up to a deadline, and still returns
//! a report.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::analyze::{self, RunFacts, EFFICIENCY_FLOOR};
use super::batch::RequestMeta;
use super::clock::SharedClock;
use super::generator::{generate, precise_timer, ramp_rates, Generator, GeneratorTally, RAMP_STEP};
use super::limits::{check_concurrency, Problem};
use super::pacing::{Nudge, Pacing, PacingBudget};
use super::queue::RequestQueue;
use super::rate::{Burst, RateLimiter};
use super::schedule::{Schedule, ScheduleError, Stripe};
use super::shard::{self, Shard, Start, StartTooLate};
use super::target::{ConnPool, Connection, Target};
use super::workers::{flush_and_report, worker};
use crate::metrics::collector::{Collector, Recorder};
use crate::metrics::part::{ScheduleId, ShardPart};
use crate::metrics::snapshot::{ConnectionReport, RunReport};
use crate::usage::{self, CpuTimes};

// Part of `RunConfig` and `run`, defined where they are used (the queue,
// the progress task), so those modules need nothing from this one.
pub use crate::queue::FullPolicy;
pub use crate::workers::{Progress, ProgressFn};

/// How long a stall of the whole engine (the process descheduled or
/// stopped, a page-fault storm, a paused VM) the default request queue rides
/// out at the peak rate without dropping: when the generator runs again it
/// releases the backlog at once (absolute schedule), and the backlog must fit
/// in the queue. Only an overload longer than this fills it.
const QUEUE_SECONDS: f64 = 1.0;
/// Memory one queue slot costs: the request queue (concurrent-queue's
/// `Bounded`) keeps a `usize` stamp beside each `RequestMeta` and writes
/// every stamp when the channel is created, so the whole queue is resident
/// from the start, whether or not it ever fills.
const QUEUE_SLOT_BYTES: usize = std::mem::size_of::<usize>() + std::mem::size_of::<RequestMeta>();
/// Memory the default queue may take: 24 MiB, 2^20 slots, 1 s of requests up
/// to ~1 million requests/s. That is more than a dozen engine threads carry
/// over loopback HTTP, so a run at any rate its target can be served at
/// rides out a 1 s stall; faster asks (the null target, flat-out runs) ride
/// out a shorter one (0.1 s at 10 million/s) rather than every such run
/// paying for ~240 MiB.
const MAX_QUEUE_BYTES: usize = 24 << 20;
/// Most slots the default queue takes for the rate.
const MAX_QUEUE_FOR_RATE: usize = MAX_QUEUE_BYTES / QUEUE_SLOT_BYTES;

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Steady-state target rate, requests per second.
    pub rps: f64,
    /// Length of the steady phase.
    pub duration: Duration,
    /// Ramp from 0 to `rps` over this long first (0: none).
    pub ramp_up: Duration,
    /// Ramp from `rps` to 0 over this long at the end (0: none).
    pub ramp_down: Duration,
    /// Workers, each with one connection.
    pub concurrency: usize,
    /// Where requests go ([`crate::load::setup`] starts one from a spec).
    pub target: Target,
    /// The rate limiter's bucket size (default 2 s of tokens at the current rate).
    pub burst: Burst,
    /// Channel capacity; default the larger of 10 × concurrency, 1 s of
    /// requests at the peak rate (`rps`; at most 2^20 slots, 24 MiB), and
    /// 1024.
    pub channel_capacity: Option<usize>,
    /// What the generator does with a request when the queue is full.
    pub on_full: FullPolicy,
    /// How long in-flight requests may take to finish once generation stops.
    pub drain: Duration,
    /// The embedded server runs in this process (its CPU is included).
    pub includes_server: bool,
    /// The efficiency (completed ÷ expected, 0..=1) the run is judged by:
    /// the report's warnings explain an efficiency below it, and name it.
    /// Default [`EFFICIENCY_FLOOR`]; a scenario with a floor of its own sets it.
    pub efficiency_floor: f64,
    /// How the generator paces (default: measured on this machine at the
    /// start of the run, see [`crate::pacing`]).
    pub pacing: Pacing,
    /// This run is one shard of the schedule: it sends its stripe from the
    /// shared start, and its report carries what merging needs. Concurrency
    /// and the queue are this process's own.
    pub shard: Option<Shard>,
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
            efficiency_floor: EFFICIENCY_FLOOR,
            pacing: Pacing::Auto,
            shard: None,
        }
    }

    pub(crate) fn schedule(&self) -> Result<Schedule, EngineError> {
        let stripe = self.shard.map_or(Stripe::WHOLE, |s| s.stripe);
        Ok(
            Schedule::new(self.rps, self.ramp_up, self.duration, self.ramp_down)?
                .with_stripe(stripe),
        )
    }

    /// This process's share of the peak rate.
    fn own_rps(&self) -> f64 {
        self.rps / self.shard.map_or(1, |s| s.stripe.count()) as f64
    }

    fn capacity(&self) -> usize {
        self.channel_capacity.unwrap_or_else(|| {
            (10 * self.concurrency)
                .max(((self.own_rps() * QUEUE_SECONDS).ceil() as usize).min(MAX_QUEUE_FOR_RATE))
                .max(1024)
        })
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The rate or the phases make no schedule.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// The rate limiter refused the first rate or the burst.
    #[error(transparent)]
    Rate(#[from] super::rate::RateError),
    /// Outside [`crate::limits::check_concurrency`], the limit of every load run.
    #[error("{problem} (got {0})", problem = Problem::Concurrency)]
    Concurrency(usize),
    /// A shard's start lies before its clock began.
    #[error(transparent)]
    Start(#[from] StartTooLate),
}

/// Runs the schedule to its end (or until `cancel`), then drains, and
/// reports. Must be called inside a tokio runtime.
pub async fn run(
    cfg: &RunConfig,
    clock: SharedClock,
    cancel: CancellationToken,
    progress: Option<ProgressFn>,
) -> Result<RunReport, EngineError> {
    check_concurrency(cfg.concurrency).map_err(|_| EngineError::Concurrency(cfg.concurrency))?;
    let schedule = Arc::new(cfg.schedule()?);
    // The pacing budget is measured before the run's clock, limiter and CPU
    // readings start.
    let mut timer = precise_timer(&clock);
    let budget = cfg.pacing.resolve(&*clock, timer.as_mut()).await;
    if let Some(t) = &mut timer {
        t.seed_lateness(budget.timer_lateness_ns);
    }
    let first_rate = schedule.expected(0.0, RAMP_STEP.as_secs_f64()) / RAMP_STEP.as_secs_f64();
    // A shard waits for the shared start; its limiter starts there (so a
    // late shard catches up, within the burst).
    let start = match &cfg.shard {
        Some(s) => Some(shard::start(s.start_at, &*clock, &cancel).await?),
        None => None,
    };
    let limiter = Arc::new(match start {
        Some(s) => RateLimiter::starting_at(first_rate, cfg.burst, clock.clone(), s.clock_ns)?,
        None => RateLimiter::new(first_rate, cfg.burst, clock.clone())?,
    });

    let workers = cfg.concurrency;
    let run_ns = ((schedule.duration() + cfg.drain.as_secs_f64() + 1.0) * 1e9) as u64;
    let ring = sample_ring(&schedule, workers);
    // Where the kernel does not allow the reset, the peak is the process's.
    usage::reset_peak_rss();
    let allocs0 = usage::allocations();
    let cpu0 = CpuTimes::now();
    let start_ns = start.map_or_else(|| clock.now_ns(), |s| s.clock_ns);
    let (collector, recorders) = Collector::new(start_ns, run_ns, workers, ring);

    let queue = Arc::new(RequestQueue::bounded(
        cfg.capacity(),
        cfg.on_full == FullPolicy::Wait,
    ));
    let g = Generator {
        schedule: schedule.clone(),
        limiter: limiter.clone(),
        collector: collector.clone(),
        clock: clock.clone(),
        start_ns,
        policy: cfg.on_full,
        drain: cfg.drain,
        budget,
        nudge: Arc::new(Nudge::new()),
        timer,
    };
    let pool = ConnPool::new(cfg.target.http(), clock.clone());
    let tasks = Tasks::start(
        g,
        &queue,
        recorders,
        (&cfg.target, &pool),
        &cancel,
        progress.clone(),
    );
    let ended = tasks.finish(&clock, start_ns, &schedule, cfg.drain).await;
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
    let readings = Readings {
        ended,
        start_ns,
        end_ns,
        cpu,
        allocs0,
        budget,
        connections: pool.report(),
    };
    let facts = run_facts(cfg, &schedule, &limiter, &cancel, readings);
    let mut report = analyze::report(&schedule, &snap, &facts, cfg.efficiency_floor);
    if let (Some(shard), Some(start)) = (cfg.shard, start) {
        report.shard = Some(shard_part(cfg, shard.stripe, start, &collector));
    }
    Ok(report)
}

/// Each worker's latency sample ring: room for ~1 s of its samples, since
/// flushes come every 100 ms but a busy single-threaded runtime can delay
/// one.
fn sample_ring(schedule: &Schedule, workers: usize) -> usize {
    ((schedule.peak_rps() / workers as f64).ceil() as usize)
        .clamp(64, 8192)
        .next_power_of_two()
}

/// What merging a shard's report needs besides its figures.
fn shard_part(cfg: &RunConfig, stripe: Stripe, start: Start, collector: &Collector) -> ShardPart {
    ShardPart {
        index: stripe.index(),
        count: stripe.count(),
        schedule: ScheduleId {
            rps: cfg.rps,
            ramp_up_s: cfg.ramp_up.as_secs_f64(),
            steady_s: cfg.duration.as_secs_f64(),
            ramp_down_s: cfg.ramp_down.as_secs_f64(),
            t0_unix_ns: start.t0_unix_ns,
            shards: stripe.count(),
            target: cfg.target.describe(),
        },
        start_offset_ms: start.late_ns as f64 / 1e6,
        histograms: collector.part_histograms(),
    }
}

/// The tasks of a run under way.
struct Tasks {
    generator: JoinHandle<GeneratorTally>,
    workers: JoinSet<()>,
    /// Moves the limiter's rate; only when the schedule's rate moves.
    ramp: Option<JoinHandle<()>>,
    /// Flushes latency samples and reports progress.
    side: JoinHandle<()>,
    /// Ends `ramp` and `side` once the workers are done.
    stop_side_tasks: CancellationToken,
}

/// How generation and the drain ended.
struct Ended {
    tally: GeneratorTally,
    /// When generation ended, from the start of the run.
    generation_end: Duration,
    /// Every worker finished before the drain deadline.
    drained: bool,
}

impl Tasks {
    /// Spawns the workers (one per recorder, sending to `target`), the
    /// generator, the ramp task when the schedule's rate moves, and the
    /// flusher, in that order.
    fn start(
        g: Generator,
        queue: &Arc<RequestQueue>,
        recorders: Vec<Recorder>,
        (target, pool): (&Target, &Arc<ConnPool>),
        cancel: &CancellationToken,
        progress: Option<ProgressFn>,
    ) -> Tasks {
        // Workers end when the queue closes and drains; those still busy at
        // the drain deadline are aborted (no per-request cancellation cost).
        let target = Arc::new(target.clone());
        let mut workers = JoinSet::new();
        for (i, rec) in recorders.into_iter().enumerate() {
            let (q, t, c) = (queue.clone(), target.clone(), g.clock.clone());
            let conn = Connection::new(pool.clone(), i);
            workers.spawn(worker(q, rec, t, c, g.nudge.clone(), conn));
        }
        let stop_side_tasks = CancellationToken::new();
        let (schedule, limiter, collector, clock, start_ns) = (
            g.schedule.clone(),
            g.limiter.clone(),
            g.collector.clone(),
            g.clock.clone(),
            g.start_ns,
        );
        let generator = tokio::spawn(generate(g, queue.clone(), cancel.clone()));
        let ramp = (schedule.phases().len() > 1
            || schedule.phases()[0].from_rps != schedule.phases()[0].to_rps)
            .then(|| {
                tokio::spawn(ramp_rates(
                    schedule.clone(),
                    limiter,
                    start_ns,
                    stop_side_tasks.clone(),
                ))
            });
        let side = tokio::spawn(flush_and_report(
            collector,
            schedule,
            clock,
            start_ns,
            progress,
            stop_side_tasks.clone(),
        ));
        Tasks {
            generator,
            workers,
            ramp,
            side,
            stop_side_tasks,
        }
    }

    /// Waits for generation to end (with the schedule or with the cancel),
    /// then for the workers until the drain deadline, aborts those still
    /// busy and stops the side tasks.
    async fn finish(
        mut self,
        clock: &SharedClock,
        start_ns: u64,
        schedule: &Schedule,
        drain: Duration,
    ) -> Ended {
        let tally = self.generator.await.unwrap_or_default();
        let generation_end = Duration::from_nanos(clock.now_ns().saturating_sub(start_ns));
        // In-flight requests may finish until `drain` after the schedule's end
        // (or after the cancel), whichever comes first.
        let schedule_end = Duration::from_secs_f64(schedule.duration());
        let drain_deadline = (generation_end.min(schedule_end) + drain).max(generation_end);
        let drained = tokio::select! {
            _ = async { while self.workers.join_next().await.is_some() {} } => true,
            _ = tokio::time::sleep_until(
                clock.instant_at(start_ns + drain_deadline.as_nanos() as u64)
            ) => false,
        };
        // Aborting drops each worker's recorder, which flushes its tallies.
        self.workers.shutdown().await;
        self.stop_side_tasks.cancel();
        if let Some(r) = self.ramp {
            let _ = r.await;
        }
        let _ = self.side.await;
        Ended {
            tally,
            generation_end,
            drained,
        }
    }
}

/// The process's readings around a run.
struct Readings {
    ended: Ended,
    /// The clock at the start and at the end of the run, ns.
    start_ns: u64,
    end_ns: u64,
    /// CPU time the run used.
    cpu: CpuTimes,
    /// Allocations counted before the run.
    allocs0: u64,
    /// The pacing the run used.
    budget: PacingBudget,
    /// What the connections took.
    connections: ConnectionReport,
}

/// What the analysis needs besides the collector's snapshot.
fn run_facts(
    cfg: &RunConfig,
    schedule: &Schedule,
    limiter: &RateLimiter,
    cancel: &CancellationToken,
    r: Readings,
) -> RunFacts {
    let Readings {
        ended,
        start_ns,
        end_ns,
        cpu,
        allocs0,
        budget,
        mut connections,
    } = r;
    if let Some(h) = cfg.target.http() {
        connections.protocol = h.protocol().to_string();
        connections.tls_verified = h.tls();
    }
    let wall = Duration::from_nanos(end_ns.saturating_sub(start_ns));
    let tally = ended.tally;
    let ls = limiter.stats();
    let cancelled = cancel.is_cancelled();
    let elapsed_s = (end_ns - start_ns) as f64 / 1e9;
    RunFacts {
        target_rps: cfg.own_rps(),
        concurrency: cfg.concurrency,
        target: cfg.target.describe(),
        includes_server: cfg.includes_server,
        cancelled,
        // A cancelled run is judged on the part of the schedule it ran.
        judged_until_s: if cancelled {
            ended.generation_end.as_secs_f64().min(schedule.duration())
        } else {
            schedule.duration()
        },
        wall_s: elapsed_s,
        cpu_user_s: cpu.user.as_secs_f64(),
        cpu_system_s: cpu.system.as_secs_f64(),
        cpu_percent: cpu.percent_of_core(wall),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        peak_rss_bytes: usage::peak_rss_bytes(),
        allocations: usage::allocations() - allocs0,
        limiter: ls,
        limiter_efficiency: limiter.efficiency(),
        generator_wakes: tally.wakes,
        timer_wakes: tally.timer_wakes,
        nudged_wakes: tally.nudged_wakes,
        pacing: budget,
        batch_size_max: tally.max_batch,
        channel_capacity: cfg.capacity() as u64,
        channel_max_occupancy: tally.occupancy_max,
        channel_mean_occupancy: if tally.wakes == 0 {
            0.0
        } else {
            tally.occupancy_sum as f64 / tally.wakes as f64
        },
        drained: ended.drained,
        connections,
    }
}

#[cfg(test)]
mod tests;
