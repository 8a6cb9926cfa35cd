//! The pacing rule: when the generator wakes, and how far from its intended
//! time a request may go out, inside a CPU budget measured on this machine.
//!
//! A timer wake is not free: on a virtual machine it costs tens of
//! microseconds of CPU (the idle core's exit, the interrupt, the schedule
//! back in), so one timer wake per request at 10 000 requests/s takes a
//! fifth of a core before any request is sent. The rule:
//!
//! - **Measure the wake.** Before the schedule starts, [`calibrate`] sleeps
//!   [`CALIBRATION_WAKES`] times on the precise timer and reads the
//!   thread's CPU time around each wake: `wake_cost` is their median.
//! - **Budget the wakes.** The generator's wakes may take [`WAKE_SHARE`] of
//!   a core: its release passes are at least `min_gap = wake_cost /
//!   WAKE_SHARE` apart (at most [`MAX_GAP_NS`]). Below `1 / min_gap`
//!   requests per second every request has its own pass; above it one pass
//!   releases several. With HTTP each pass also brings the wakes of its
//!   responses, so fewer passes save more than their own wakes.
//! - **Release at the nearest wake.** A wake at `now` releases every request
//!   whose intended time is at most `now + early`, `early = min_gap / 2`: on
//!   the grid of timer wakes each request goes out at the wake nearest its
//!   intended time, never before `intended − early`. The run reports the
//!   budget and the share of requests that went out early, and measures
//!   their response time from when they were sent.
//! - **Ride on wakes that happen anyway.** The timer is armed for a pass
//!   early by its own lateness (at most `early`); from then on a worker that
//!   finds the queue empty after a response — the thread is awake already —
//!   nudges the generator ([`Nudge`]), which makes the pass there and then
//!   and re-arms the timer for the next one. The timer fires only when
//!   nothing else woke the thread in time.
//!
//! On a quiet bare-metal host a wake costs a few microseconds: the same
//! binary then wakes for every request up to tens of thousands per second
//! with an early budget of a few microseconds.
//!
//! Test clocks (tokio's paused time, a manual clock) pace exactly
//! ([`PacingBudget::EXACT`]) unless a run is given a budget of its own.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;

use super::clock::Clock;
use super::timer::PreciseTimer;

/// Share of one core the generator's own wakes may take (4%: at 6% the
/// client against `serve` at 10 000 requests/s used 19% of a core, as much
/// as oha; at 4% 13–17%, with requests up to ~200 µs early or late).
pub const WAKE_SHARE: f64 = 0.04;
/// Longest gap the budget sets between two timer wakes, ns: however dear a
/// wake, no request goes out more than half of it early or late.
pub const MAX_GAP_NS: u64 = 500_000;
/// Timer wakes measured by [`calibrate`].
pub const CALIBRATION_WAKES: usize = 24;
/// Time between two calibration wakes, ns: long enough for the core to go
/// idle between them, as it does between requests.
const CALIBRATION_GAP_NS: u64 = 250_000;

/// How the generator paces, as measured (or given) for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacingBudget {
    /// CPU time one timer wake took on this machine, ns (0: not measured).
    pub wake_cost_ns: u64,
    /// Shortest time between two timer wakes, ns.
    pub min_gap_ns: u64,
    /// How early a request may go out, ns before its intended time.
    pub early_ns: u64,
    /// How late the precise timer woke during calibration, median, ns: the
    /// timer is armed that much before its deadline (at most `early_ns`).
    pub timer_lateness_ns: u64,
}

impl PacingBudget {
    /// Exact pacing: every request at its own wake, never early (test clocks).
    pub const EXACT: PacingBudget = PacingBudget {
        wake_cost_ns: 0,
        min_gap_ns: 0,
        early_ns: 0,
        timer_lateness_ns: 0,
    };

    /// The budget for a timer wake costing `wake_cost_ns` of CPU and waking
    /// `lateness_ns` late (see the module docs).
    pub fn from_wake_cost(wake_cost_ns: u64, lateness_ns: u64) -> PacingBudget {
        let min_gap_ns = ((wake_cost_ns as f64 / WAKE_SHARE).round() as u64).min(MAX_GAP_NS);
        PacingBudget {
            wake_cost_ns,
            min_gap_ns,
            early_ns: min_gap_ns / 2,
            timer_lateness_ns: lateness_ns,
        }
    }

    /// The latest intended time (clock ns) a wake at `now_ns` releases.
    #[inline]
    pub fn release_horizon(&self, now_ns: u64) -> u64 {
        now_ns.saturating_add(self.early_ns)
    }

    /// When the next release pass is planned (clock ns) for the next
    /// unreleased request, intended at `next_ns`, the last pass having been
    /// planned at `last_pass_ns`: at its intended time, but not sooner than
    /// `min_gap_ns` after the last pass.
    #[inline]
    pub fn next_wake(&self, next_ns: u64, last_pass_ns: u64) -> u64 {
        next_ns.max(last_pass_ns.saturating_add(self.min_gap_ns))
    }

    /// From when (clock ns) a pass planned at `wake_ns` may start: the
    /// timer is armed then, early by its own lateness `lateness_ns` (at most
    /// by the early budget) so that it wakes near `wake_ns`, and a worker's
    /// wake from then on may take its place.
    #[inline]
    pub fn arm_at(&self, wake_ns: u64, lateness_ns: u64) -> u64 {
        wake_ns.saturating_sub(lateness_ns.min(self.early_ns))
    }
}

/// How a run paces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// Measure this machine's timer wake at the start of the run (the
    /// machine's clock), or pace exactly (test clocks).
    #[default]
    Auto,
    /// This budget, whatever the clock.
    Budget(PacingBudget),
}

impl Pacing {
    /// The budget of a run on `clock`: measured with `timer` when `Auto`
    /// and there is one.
    pub(crate) async fn resolve(
        self,
        clock: &dyn Clock,
        timer: Option<&mut PreciseTimer>,
    ) -> PacingBudget {
        match (self, timer) {
            (Pacing::Budget(b), _) => b,
            (Pacing::Auto, Some(timer)) => calibrate(clock, timer).await,
            (Pacing::Auto, None) => PacingBudget::EXACT,
        }
    }
}

/// CPU time of the calling thread, ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock exists on every
    // platform this builds for.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Measures what a timer wake costs here: [`CALIBRATION_WAKES`] sleeps on
/// `timer`, [`CALIBRATION_GAP_NS`] apart, each timed in the thread's CPU
/// time from before the sleep to after the wake (a sample whose task moved
/// to another thread is left out). About 6 ms.
pub(crate) async fn calibrate(clock: &dyn Clock, timer: &mut PreciseTimer) -> PacingBudget {
    let mut costs = Vec::with_capacity(CALIBRATION_WAKES);
    let mut late = Vec::with_capacity(CALIBRATION_WAKES);
    for _ in 0..CALIBRATION_WAKES {
        let thread = std::thread::current().id();
        let cpu0 = thread_cpu_ns();
        let deadline = clock.now_ns() + CALIBRATION_GAP_NS;
        if timer.sleep_until(clock, deadline).await.is_err() {
            return PacingBudget::EXACT;
        }
        let woke = clock.now_ns();
        if std::thread::current().id() == thread {
            costs.push(thread_cpu_ns().saturating_sub(cpu0));
        }
        late.push(woke.saturating_sub(deadline));
    }
    PacingBudget::from_wake_cost(median(&mut costs), median(&mut late))
}

/// The median of `v` (the lower middle one), 0 when empty.
fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

/// A worker's wake offered to the generator (see the module docs).
///
/// The generator, about to sleep, publishes when the next request may go;
/// a worker that wakes at or after that time takes the offer (only one
/// does) and notifies the generator, which then runs on the same thread
/// right after the worker yields.
pub(crate) struct Nudge {
    /// Clock ns from which a worker's wake may release the next request;
    /// `u64::MAX` while the generator is not waiting for one (it is running,
    /// catching up, or was nudged already). Written by the generator, taken
    /// (set to `u64::MAX`) by the one worker whose compare-exchange wins.
    /// Relaxed is enough: it is a hint, the generator recomputes everything
    /// from its own state when it runs, and `Notify` orders the hand-over.
    /// A stale read costs one needless generator pass or one timer wake,
    /// never a request.
    from_ns: AtomicU64,
    /// Wakes the generator.
    notify: Notify,
}

impl Nudge {
    /// A nudge the generator has not offered yet.
    pub(crate) fn new() -> Self {
        Nudge {
            from_ns: AtomicU64::new(u64::MAX),
            notify: Notify::new(),
        }
    }

    /// The generator waits from now on; a wake at or after `from_ns` may
    /// release the next request.
    #[inline]
    pub(crate) fn offer(&self, from_ns: u64) {
        self.from_ns.store(from_ns, Ordering::Relaxed);
    }

    /// The generator runs: no worker need nudge it.
    #[inline]
    pub(crate) fn withdraw(&self) {
        self.from_ns.store(u64::MAX, Ordering::Relaxed);
    }

    /// A worker awake at `now_ns`: nudges the generator when the next
    /// request may go now. One load and a compare when it may not.
    #[inline(always)]
    pub(crate) fn on_wake(&self, now_ns: u64) {
        let from = self.from_ns.load(Ordering::Relaxed);
        if now_ns >= from {
            self.take(from);
        }
    }

    /// Takes the offer made `from` and nudges, unless another worker took it.
    #[cold]
    #[inline(never)]
    fn take(&self, from: u64) {
        if self
            .from_ns
            .compare_exchange(from, u64::MAX, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.notify.notify_one();
        }
    }

    /// Resolves when a worker nudged (at once if one did since the last wait).
    pub(crate) async fn nudged(&self) {
        self.notify.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_follows_the_cost_of_a_wake() {
        // A VM's 15 µs wake: passes at least 375 µs apart, 187.5 µs early
        // at most.
        let vm = PacingBudget::from_wake_cost(15_000, 30_000);
        assert_eq!(vm.min_gap_ns, 375_000);
        assert_eq!(vm.early_ns, 187_500);
        // Bare metal's 1.2 µs: 30 µs apart, 15 µs early.
        let metal = PacingBudget::from_wake_cost(1_200, 3_000);
        assert_eq!((metal.min_gap_ns, metal.early_ns), (30_000, 15_000));
        // However dear the wake, the gap is capped.
        let slow = PacingBudget::from_wake_cost(200_000, 0);
        assert_eq!(
            (slow.min_gap_ns, slow.early_ns),
            (MAX_GAP_NS, MAX_GAP_NS / 2)
        );
    }

    #[test]
    fn sparse_requests_get_their_own_wake_dense_ones_share_the_grid() {
        // A 10 µs wake: passes 250 µs apart.
        let b = PacingBudget::from_wake_cost(10_000, 30_000);
        // 1000 rps: the next request is 1 ms after the last wake: woken at it.
        assert_eq!(b.next_wake(1_000_000, 0), 1_000_000);
        // 10 000 rps: due 100 µs after the last wake, woken 250 µs after it.
        assert_eq!(b.next_wake(100_000, 0), 250_000);
        // That wake releases up to 125 µs ahead.
        assert_eq!(b.release_horizon(250_000), 375_000);
        // Exact pacing: own wake, nothing early.
        let e = PacingBudget::EXACT;
        assert_eq!(e.next_wake(100_000, 0), 100_000);
        assert_eq!(e.release_horizon(100_000), 100_000);
    }

    #[test]
    fn the_timer_is_armed_early_by_its_lateness_within_the_budget() {
        let b = PacingBudget::from_wake_cost(10_000, 30_000); // early 125 µs
        assert_eq!(b.arm_at(1_000_000, 30_000), 970_000);
        // Never more than the early budget: a wake before `wake − early`
        // could release nothing.
        assert_eq!(b.arm_at(1_000_000, 400_000), 875_000);
        assert_eq!(PacingBudget::EXACT.arm_at(1_000_000, 30_000), 1_000_000);
        assert_eq!(b.arm_at(10, 30_000), 0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [5, 1, 3]), 3);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
        assert_eq!(median(&mut []), 0);
    }

    #[test]
    fn one_wake_takes_the_nudge() {
        let n = Nudge::new();
        n.on_wake(u64::MAX - 1); // nothing offered: no nudge
        n.offer(1_000);
        n.on_wake(999); // too soon
        assert_eq!(n.from_ns.load(Ordering::Relaxed), 1_000);
        n.on_wake(1_000);
        assert_eq!(n.from_ns.load(Ordering::Relaxed), u64::MAX, "taken");
        n.on_wake(2_000); // already taken: no second notification
        n.offer(5_000);
        n.withdraw();
        n.on_wake(6_000);
        assert_eq!(n.from_ns.load(Ordering::Relaxed), u64::MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_nudge_wakes_the_waiting_generator_once() {
        let n = std::sync::Arc::new(Nudge::new());
        n.offer(10);
        let waiter = {
            let n = n.clone();
            tokio::spawn(async move { n.nudged().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        n.on_wake(10);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("nudged")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn test_clocks_pace_exactly_and_a_given_budget_wins() {
        let clock = crate::clock::ManualClock::new();
        assert_eq!(
            Pacing::Auto.resolve(&*clock, None).await,
            PacingBudget::EXACT
        );
        let b = PacingBudget::from_wake_cost(10_000, 0);
        assert_eq!(Pacing::Budget(b).resolve(&*clock, None).await, b);
    }

    /// The one real-time test here: the calibration measures a cost and
    /// turns it into a budget by the rule.
    #[tokio::test(flavor = "current_thread")]
    async fn calibration_measures_a_wake_and_applies_the_rule() {
        let clock = crate::clock::SystemClock::new();
        let mut timer = PreciseTimer::new().expect("timerfd");
        let b = Pacing::Auto.resolve(&clock, Some(&mut timer)).await;
        assert!(b.wake_cost_ns > 0, "{b:?}");
        let rule = PacingBudget::from_wake_cost(b.wake_cost_ns, b.timer_lateness_ns);
        assert_eq!(b, rule);
        assert!(b.early_ns <= MAX_GAP_NS / 2);
    }
}
