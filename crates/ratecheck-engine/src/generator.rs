//! The generator task (releases each request at its intended time, on the
//! absolute schedule, through the limiter into the bounded request queue;
//! it sleeps on the machine's precise timer, `engine::timer`) and the ramp
//! task (moves the limiter's rate every [`RAMP_STEP`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::batch::{BatchGenerator, IdSource};
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
    // A waiting hand-over may use the drain period, no more.
    // A time `d` into the run, as an instant to sleep until.
    let at = |d: Duration| g.clock.instant_at(g.start_ns + d.as_nanos() as u64);
    let wait_deadline = at(Duration::from_secs_f64(end) + g.drain);
    let ids = IdSource::new();
    let mut batcher = BatchGenerator::new(g.schedule.rate(0.0).max(1.0));
    let mut released = 0u64;
    let mut tally = GeneratorTally::default();
    let mut taker = g.limiter.taker();
    // The machine's high-resolution timer when the clock is the machine's
    // (tokio's 1 ms timer wheel otherwise: paused-time tests, or no timerfd).
    let mut timer = g
        .clock
        .is_machine_time()
        .then(PreciseTimer::new)
        .and_then(Result::ok);
    let mut last_deadline = 0u64;
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
                    match queue.try_push(*req) {
                        Ok(()) => {}
                        Err(Refused::Full(req)) => {
                            full = true;
                            match g.policy {
                                FullPolicy::Drop => g.collector.record_dropped(1),
                                FullPolicy::Wait => {
                                    // Wait for room, but never past the
                                    // drain deadline or a cancel: what
                                    // cannot be handed over by then is
                                    // dropped (counted).
                                    let sent = tokio::select! {
                                        r = queue.push(req) => r.is_ok(),
                                        _ = cancel.cancelled() => false,
                                        _ = tokio::time::sleep_until(wait_deadline) => false,
                                    };
                                    if !sent {
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
        let len = queue.len() as u64;
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
        let next_t = next_t.max(t + 1e-6);
        let woke = match &mut timer {
            Some(timer) => {
                // At most one wake per MIN_WAKE_GAP: above 1/gap requests
                // per second each wake releases several, on a fixed grid.
                let deadline =
                    (g.start_ns + (next_t * 1e9) as u64).max(last_deadline + MIN_WAKE_GAP_NS);
                last_deadline = deadline;
                // The time between two wakes, which the spin is a share of.
                let gap = (1e9 / g.schedule.rate(t).max(1e-9)).max(MIN_WAKE_GAP_NS as f64);
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
