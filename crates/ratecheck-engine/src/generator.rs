//! The generator task (releases requests on the absolute schedule, through
//! the limiter into the bounded request queue, at wakes chosen by the
//! pacing rule of `engine::pacing`: its own timer wakes inside a measured
//! CPU budget, and the wakes of workers that finished a response) and the
//! ramp task (moves the limiter's rate every [`RAMP_STEP`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::batch::{BatchGenerator, IdSource, RequestMeta};
use super::clock::SharedClock;
use super::limits::MAX_RPS;
use super::pacing::{Nudge, PacingBudget};
use super::queue::{FullPolicy, Refused, RequestQueue};
use super::rate::{RateLimiter, Taker};
use super::schedule::Schedule;
use super::timer::PreciseTimer;
use crate::metrics::collector::Collector;

/// How often the ramp task moves the limiter's rate.
pub(super) const RAMP_STEP: Duration = Duration::from_millis(100);
/// When the limiter held requests back (a ramp step), the next look, ns.
const HELD_BACK_RETRY_NS: u64 = 1_000_000;

/// What the generator tallies, returned when it ends: its wakes (by what
/// woke it), the largest batch, and the channel occupancy sampled once per
/// wake.
#[derive(Default)]
pub(super) struct GeneratorTally {
    /// Release passes, whatever started them.
    pub wakes: u64,
    /// Passes its own timer woke it for.
    pub timer_wakes: u64,
    /// Passes a worker's wake started (see `Nudge`).
    pub nudged_wakes: u64,
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
    /// When to wake and how early a request may go.
    pub budget: PacingBudget,
    /// Workers' wakes offered to the generator.
    pub nudge: Arc<Nudge>,
    /// The machine's precise timer (tokio's timer when `None`: test clocks).
    pub timer: Option<PreciseTimer>,
}

impl Generator {
    /// When request `id` (0-based, of the whole schedule) is meant to go
    /// out, clock ns: its time in the schedule, at the latest the
    /// schedule's `end` (s).
    #[inline]
    fn intended_ns(&self, id: u64, end: f64) -> u64 {
        let t = self.schedule.time_of((id + 1) as f64).unwrap_or(end);
        self.start_ns + (t * 1e9) as u64
    }

    /// Seconds into the run at clock `ns`.
    #[inline]
    fn secs_at(&self, ns: u64) -> f64 {
        ns.saturating_sub(self.start_ns) as f64 / 1e9
    }
}

/// The generator loop: at each wake, release the requests whose intended
/// time is at most `now + early` and not yet released (as far as the limiter
/// grants them), in batches, then sleep until the next wake. Absolute
/// schedule: a late wake releases more, it never shifts the schedule.
pub(super) async fn generate(
    mut g: Generator,
    queue: Arc<RequestQueue>,
    cancel: CancellationToken,
) -> GeneratorTally {
    let tally = release_all(&mut g, &queue, &cancel).await;
    // Workers drain what is queued, then end.
    queue.close();
    tally
}

/// What ended a wait of the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Woke {
    /// Its own timer, or a yield when the wake was due already.
    Timer,
    /// A worker's wake.
    Nudged,
    Cancelled,
}

/// The generator's running state. The limiter grants the whole schedule's
/// requests (tokens), a shard releases its stripe's share of them.
struct Pass {
    ids: IdSource,
    batcher: BatchGenerator,
    /// The whole schedule's requests the limiter granted.
    granted: u64,
    /// The stripe's requests released.
    released: u64,
    /// The whole schedule's requests.
    total: u64,
    /// The stripe's requests.
    own_total: u64,
    end: f64,
    /// A waiting hand-over may use the drain period, no more.
    wait_deadline: tokio::time::Instant,
}

async fn release_all(
    g: &mut Generator,
    queue: &RequestQueue,
    cancel: &CancellationToken,
) -> GeneratorTally {
    let end = g.schedule.duration();
    let limiter = g.limiter.clone();
    let mut taker = limiter.taker();
    let mut p = Pass {
        ids: IdSource::new(),
        batcher: BatchGenerator::striped(g.schedule.own_rate(0.0).max(1.0), g.schedule.stripe()),
        granted: 0,
        released: 0,
        total: g.schedule.requests(),
        own_total: g.schedule.stripe().own_below(g.schedule.requests()),
        end,
        wait_deadline: g
            .clock
            .instant_at(g.start_ns + (Duration::from_secs_f64(end) + g.drain).as_nanos() as u64),
    };
    let mut tally = GeneratorTally::default();
    // The planned time of the last pass: passes keep `min_gap` apart.
    let mut last_pass = g.start_ns;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        tally.wakes += 1;
        let now = g.clock.now_ns();
        let (want, granted) = release_due(g, &mut p, &mut taker, queue, cancel, now).await;
        tally.sample_occupancy(queue.len() as u64);
        if p.released >= p.own_total || (g.secs_at(now) >= end && granted == want) {
            break;
        }
        let held_back = granted < want;
        let next_ns = if held_back {
            now + HELD_BACK_RETRY_NS
        } else {
            g.intended_ns(g.schedule.stripe().global(p.released), end)
        };
        let wake_ns = g.budget.next_wake(next_ns, last_pass);
        match wait(g, wake_ns, !held_back, cancel).await {
            Woke::Timer => tally.timer_wakes += 1,
            Woke::Nudged => tally.nudged_wakes += 1,
            Woke::Cancelled => break,
        }
        last_pass = wake_ns;
    }
    tally.max_batch = p.batcher.max_batch() as u64;
    tally
}

/// One release pass at `now`: the requests due by the release horizon that
/// the limiter grants, the stripe's among them, go to the queue. Returns how
/// many of the whole schedule's were due and how many granted.
async fn release_due(
    g: &Generator,
    p: &mut Pass,
    taker: &mut Taker<'_>,
    queue: &RequestQueue,
    cancel: &CancellationToken,
    now: u64,
) -> (u64, u64) {
    let horizon = g.budget.release_horizon(now);
    let due = due_by(g, horizon, p.total);
    let want = due.saturating_sub(p.granted);
    if want == 0 {
        return (0, 0);
    }
    let end = p.end;
    let intended = |id: u64| g.intended_ns(id, end);
    p.batcher
        .set_rate(g.schedule.own_rate(g.secs_at(now)).max(1.0));
    // The limiter is asked at the horizon too: it grants what the schedule
    // asks for by then, never more.
    let granted = taker.take_up_to_at(want, horizon);
    p.granted += granted;
    let own = g.schedule.stripe().own_below(p.granted) - p.released;
    g.collector.record_generated(own, now);
    let mut left = own;
    let mut full = false;
    while left > 0 {
        let batch = p.batcher.next_batch(left, &p.ids, intended);
        left -= batch.len() as u64;
        for req in batch {
            match queue.try_push(*req) {
                Ok(()) => {}
                Err(Refused::Full(req)) => {
                    full = true;
                    match g.policy {
                        FullPolicy::Drop => g.collector.record_dropped(1),
                        FullPolicy::Wait => {
                            if !wait_for_room(queue, req, cancel, p.wait_deadline).await {
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
    p.released += own;
    (want, granted)
}

/// Waits for the pass planned at `wake_ns` (clock ns): from the time the
/// timer is armed for it (early by its lateness, within the early budget),
/// the timer or, when `nudge`, a worker's wake starts it, whichever comes
/// first; or the cancel. A wake already due only yields to the other tasks,
/// so a flat-out run's generator never starves the workers.
async fn wait(g: &mut Generator, wake_ns: u64, nudge: bool, cancel: &CancellationToken) -> Woke {
    if wake_ns <= g.clock.now_ns() {
        tokio::task::yield_now().await;
        return Woke::Timer;
    }
    // Without the precise timer (test clocks), tokio's timer wakes at
    // `wake_ns` itself: a timer that is late by the budget's lateness.
    let lateness = g
        .timer
        .as_ref()
        .map_or(g.budget.timer_lateness_ns, PreciseTimer::lateness_ns);
    let armed = g.budget.arm_at(wake_ns, lateness);
    if nudge {
        g.nudge.offer(armed);
    }
    let n = g.nudge.clone();
    let woke = tokio::select! {
        biased;
        _ = cancel.cancelled() => Woke::Cancelled,
        _ = n.nudged(), if nudge => Woke::Nudged,
        _ = sleep_until(g, armed, wake_ns) => Woke::Timer,
    };
    n.withdraw();
    woke
}

/// Sleeps on the precise timer armed at `armed` (clock ns); on tokio's
/// timer until `wake_ns` where there is no precise one (or it failed).
async fn sleep_until(g: &mut Generator, armed: u64, wake_ns: u64) {
    if let Some(timer) = &mut g.timer {
        if timer.sleep_until(&*g.clock, armed).await.is_ok() {
            return;
        }
    }
    tokio::time::sleep_until(g.clock.instant_at(wake_ns)).await;
}

/// The machine's high-resolution timer when the clock is the machine's
/// (tokio's 1 ms timer wheel otherwise: paused-time tests, or no timerfd).
pub(super) fn precise_timer(clock: &SharedClock) -> Option<PreciseTimer> {
    clock
        .is_machine_time()
        .then(PreciseTimer::new)
        .and_then(Result::ok)
}

/// The requests whose intended time is at most `horizon_ns`: the
/// schedule's count, at most `total`.
#[inline]
fn due_by(g: &Generator, horizon_ns: u64, total: u64) -> u64 {
    let t = g.secs_at(horizon_ns);
    // The epsilon keeps float rounding from holding back the request
    // whose intended time is exactly the horizon.
    ((g.schedule.cumulative(t) + 1e-6).floor() as u64).min(total)
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
