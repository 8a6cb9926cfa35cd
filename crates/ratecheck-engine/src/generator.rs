//! The generator task (releases each request at its intended time, on the
//! absolute schedule, through the limiter into the bounded request queue;
//! it sleeps on the machine's precise timer, `engine::timer`) and the ramp
//! task (moves the limiter's rate every [`RAMP_STEP`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::batch::{BatchGenerator, IdSource, RequestMeta};
use super::clock::SharedClock;
use super::limits::MAX_RPS;
use super::queue::{FullPolicy, Refused, RequestQueue};
use super::rate::RateLimiter;
use super::schedule::Schedule;
use super::timer::PreciseTimer;
use crate::metrics::collector::Collector;

/// Shortest time between two generator wakes on the precise timer: every
/// wake costs a timer interrupt and a context switch (tens of microseconds of
/// CPU on a virtual machine), so up to 10000 requests per second each request
/// gets its own wake and above that wakes release small batches.
const MIN_WAKE_GAP_NS: u64 = 100_000;

/// How often the ramp task moves the limiter's rate.
pub(super) const RAMP_STEP: Duration = Duration::from_millis(100);

/// What the generator tallies, returned when it ends: its wakes, the
/// largest batch, and the channel occupancy sampled once per wake.
#[derive(Default)]
pub(super) struct GeneratorTally {
    pub wakes: u64,
    pub max_batch: u64,
    pub occupancy_max: u64,
    pub occupancy_sum: u64,
}

impl GeneratorTally {
    /// One wake's sample of the queue's length.
    #[inline]
    fn sample_occupancy(&mut self, len: u64) {
        self.occupancy_max = self.occupancy_max.max(len);
        self.occupancy_sum += len;
    }
}

/// What the generator works with.
pub(super) struct Generator {
    pub schedule: Arc<Schedule>,
    pub limiter: Arc<RateLimiter>,
    pub collector: Arc<Collector>,
    pub clock: SharedClock,
    /// The clock's time at the start of the run.
    pub start_ns: u64,
    pub policy: FullPolicy,
    pub drain: Duration,
}

impl Generator {
    /// When request `id` (0-based) is meant to go out, clock ns: its time in
    /// the schedule, at the latest the schedule's `end` (s).
    #[inline]
    fn intended_ns(&self, id: u64, end: f64) -> u64 {
        let t = self.schedule.time_of((id + 1) as f64).unwrap_or(end);
        self.start_ns + (t * 1e9) as u64
    }
}

/// The generator loop: at each wake, release `floor(expected(0, now)) −
/// released` requests (as far as the limiter grants them), in batches, then
/// sleep until the next request is due. Absolute schedule: a late wake
/// releases more, it never shifts the schedule.
pub(super) async fn generate(
    g: Generator,
    queue: Arc<RequestQueue>,
    cancel: CancellationToken,
) -> GeneratorTally {
    let tally = release_all(&g, &queue, &cancel).await;
    // Workers drain what is queued, then end.
    queue.close();
    tally
}

async fn release_all(
    g: &Generator,
    queue: &RequestQueue,
    cancel: &CancellationToken,
) -> GeneratorTally {
    let end = g.schedule.duration();
    let total = g.schedule.total().floor() as u64;
    // A time `d` into the run, as an instant to sleep until.
    let at = |d: Duration| g.clock.instant_at(g.start_ns + d.as_nanos() as u64);
    // A waiting hand-over may use the drain period, no more.
    let wait_deadline = at(Duration::from_secs_f64(end) + g.drain);
    let ids = IdSource::new();
    let mut batcher = BatchGenerator::new(g.schedule.rate(0.0).max(1.0));
    let mut released = 0u64;
    let mut tally = GeneratorTally::default();
    let mut taker = g.limiter.taker();
    let mut timer = precise_timer(&g.clock);
    let mut last_deadline = 0u64;
    let intended = |id: u64| g.intended_ns(id, end);
    loop {
        if cancel.is_cancelled() {
            break;
        }
        tally.wakes += 1;
        let now = g.clock.now_ns();
        let (t, due) = due_at(g, now, total);
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
                    match queue.try_push(*req) {
                        Ok(()) => {}
                        Err(Refused::Full(req)) => {
                            full = true;
                            match g.policy {
                                FullPolicy::Drop => g.collector.record_dropped(1),
                                FullPolicy::Wait => {
                                    if !wait_for_room(queue, req, cancel, wait_deadline).await {
                                        g.collector.record_dropped(1);
                                    }
                                }
                            }
                        }
                        Err(Refused::Closed(_)) => g.collector.record_dropped(1),
                    }
                }
            }
            if full {
                g.collector.record_channel_full();
            }
            released += granted;
        }
        tally.sample_occupancy(queue.len() as u64);
        if released >= total || (t >= end && granted == want) {
            break;
        }
        let next_t = next_wake(&g.schedule, t, released, granted < want, end);
        let woke = match &mut timer {
            Some(timer) => {
                let (deadline, gap) = timer_wake(g, t, next_t, &mut last_deadline);
                tokio::select! {
                    r = timer.sleep_until(&*g.clock, deadline, gap) => r.is_ok(),
                    _ = cancel.cancelled() => break,
                }
            }
            None => false,
        };
        if !woke {
            tokio::select! {
                _ = tokio::time::sleep_until(at(Duration::from_secs_f64(next_t))) => {}
                _ = cancel.cancelled() => break,
            }
        }
    }
    tally.max_batch = batcher.max_batch() as u64;
    tally
}

/// The machine's high-resolution timer when the clock is the machine's
/// (tokio's 1 ms timer wheel otherwise: paused-time tests, or no timerfd).
fn precise_timer(clock: &SharedClock) -> Option<PreciseTimer> {
    clock
        .is_machine_time()
        .then(PreciseTimer::new)
        .and_then(Result::ok)
}

/// The time `now_ns` is into the run (s), and the requests due by then: the
/// schedule's count, at most `total`.
#[inline]
fn due_at(g: &Generator, now_ns: u64, total: u64) -> (f64, u64) {
    let t = (now_ns.saturating_sub(g.start_ns)) as f64 / 1e9;
    // The epsilon keeps float rounding from holding back the request
    // whose intended time is exactly now.
    let due = ((g.schedule.cumulative(t) + 1e-6).floor() as u64).min(total);
    (t, due)
}

/// When to wake next (s into the run), the wake at `t` having `released`
/// requests in all: when the next request is due (at the latest the
/// schedule's `end`); if the limiter `held_back` some (a ramp step), in a
/// millisecond. Always strictly later than `t`, so the loop cannot spin.
#[inline]
fn next_wake(schedule: &Schedule, t: f64, released: u64, held_back: bool, end: f64) -> f64 {
    let next_t = if held_back {
        t + 0.001
    } else {
        schedule.time_of((released + 1) as f64).unwrap_or(end)
    };
    next_t.max(t + 1e-6)
}

/// The precise timer's deadline (clock ns) for a wake due at `next_t` (s
/// into the run), and the time between two wakes (ns) at the rate of `t`,
/// which the spin is a share of. At most one wake per `MIN_WAKE_GAP_NS`
/// after `last_deadline` (updated): above 1/gap requests per second each
/// wake releases several, on a fixed grid.
#[inline]
fn timer_wake(g: &Generator, t: f64, next_t: f64, last_deadline: &mut u64) -> (u64, f64) {
    let deadline = (g.start_ns + (next_t * 1e9) as u64).max(*last_deadline + MIN_WAKE_GAP_NS);
    *last_deadline = deadline;
    let gap = (1e9 / g.schedule.rate(t).max(1e-9)).max(MIN_WAKE_GAP_NS as f64);
    (deadline, gap)
}

/// Hands `req` over when the queue has room (the wait policy), but never
/// past `deadline` (the drain deadline) or a cancel: false when it could not
/// be handed over by then (the caller counts it dropped).
async fn wait_for_room(
    queue: &RequestQueue,
    req: RequestMeta,
    cancel: &CancellationToken,
    deadline: tokio::time::Instant,
) -> bool {
    tokio::select! {
        r = queue.push(req) => r.is_ok(),
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep_until(deadline) => false,
    }
}

/// Moves the limiter to the schedule's mean rate over each next 100 ms, so
/// the tokens granted per step equal `expected` over it exactly. A late wake
/// (a stall, during which the previous rate stayed in place, short of a
/// rising ramp) skips the steps it missed and raises the rate to make up
/// what the limiter has allowed short of the schedule by the end of the
/// current step, so the backlog is granted within one step instead of
/// trailing the schedule to the end of the run. A surplus (a stall in a
/// falling ramp) is not taken back: the generator releases only what is due.
pub(super) async fn ramp_rates(
    schedule: Arc<Schedule>,
    limiter: Arc<RateLimiter>,
    start_ns: u64,
    stop: CancellationToken,
) {
    let step = RAMP_STEP.as_secs_f64();
    let mut k = 1u64;
    loop {
        let at = limiter
            .clock()
            .instant_at(start_ns + (RAMP_STEP * k as u32).as_nanos() as u64);
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
        let _ = limiter.set_rate(mean.max(catch_up.min(MAX_RPS)));
        k += 1;
    }
}
