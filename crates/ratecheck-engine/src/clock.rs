//! The engine's single source of time. Every clock read in the engine goes
//! through a [`Clock`], so the limiter, the schedule and the generator can be
//! tested with a [`ManualClock`] (or tokio's paused clock via [`TokioClock`])
//! instead of sleeping.
//!
//! Times are `u64` nanoseconds since the clock's own origin (its creation), so
//! they are cheap to store in atomics and to subtract.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A monotonic clock: nanoseconds since its origin, never decreasing.
pub trait Clock: Send + Sync + 'static {
    /// Nanoseconds since the clock's origin; never less than an earlier reading.
    fn now_ns(&self) -> u64;

    /// The tokio instant at which this clock will read `ns`, so that tasks
    /// can sleep until a time of this clock (`tokio::time::sleep_until`).
    /// By default the distance from now, added to tokio's now; a clock that
    /// follows tokio's time maps it exactly.
    fn instant_at(&self, ns: u64) -> tokio::time::Instant {
        let now_ns = self.now_ns();
        let now = tokio::time::Instant::now();
        if ns >= now_ns {
            now + Duration::from_nanos(ns - now_ns)
        } else {
            now.checked_sub(Duration::from_nanos(now_ns - ns))
                .unwrap_or(now)
        }
    }

    /// Whether this clock follows the machine's real time, so that the
    /// machine's timer can sleep to its deadlines (see `engine::timer`).
    /// Test clocks (manual, tokio's paused time) do not.
    fn is_machine_time(&self) -> bool {
        false
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// Real time from the CPU's time-stamp counter via `quanta`: the request
/// path reads the clock several times a request, and a TSC read costs a
/// fraction of `Instant::now()`'s where the OS clock is slow to read (virtual
/// machines). quanta falls back to the OS monotonic clock where the TSC is
/// unreliable.
pub struct SystemClock {
    clock: quanta::Clock,
    origin: quanta::Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        let clock = quanta::Clock::new();
        let origin = clock.now();
        SystemClock { clock, origin }
    }

    /// A clock whose origin is `back` before now (or now, where the
    /// machine's clock does not reach that far back), so that it can place
    /// a shard's start that is already past.
    pub fn reaching_back(back: Duration) -> Self {
        let clock = quanta::Clock::new();
        let now = clock.now();
        let origin = now.checked_sub(back).unwrap_or(now);
        SystemClock { clock, origin }
    }

    /// A shareable system clock.
    pub fn shared() -> SharedClock {
        Arc::new(Self::new())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    #[inline]
    fn now_ns(&self) -> u64 {
        self.clock
            .now()
            .saturating_duration_since(self.origin)
            .as_nanos() as u64
    }

    fn is_machine_time(&self) -> bool {
        true
    }
}

/// tokio's clock: follows `tokio::time::pause()` / `advance()`, so async timing
/// logic is tested with `#[tokio::test(start_paused = true)]`.
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is tokio's now (paused or not).
    pub fn new() -> Self {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now_ns(&self) -> u64 {
        tokio::time::Instant::now()
            .saturating_duration_since(self.origin)
            .as_nanos() as u64
    }

    fn instant_at(&self, ns: u64) -> tokio::time::Instant {
        self.origin + Duration::from_nanos(ns)
    }
}

/// A clock that moves only when told to. For deterministic tests.
#[derive(Default)]
pub struct ManualClock {
    /// Current time in ns. Relaxed is enough: tests that share it across
    /// threads synchronise through thread joins, which order everything.
    now: AtomicU64,
}

impl ManualClock {
    /// A shared clock reading 0 until moved.
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock::default())
    }

    /// Moves the clock `ns` nanoseconds forward.
    pub fn advance(&self, ns: u64) {
        self.now.fetch_add(ns, Ordering::Relaxed);
    }

    /// Sets the reading to `ns` nanoseconds (never back, to keep [`Clock`]'s promise).
    pub fn set(&self, ns: u64) {
        self.now.store(ns, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_monotonic() {
        let c = SystemClock::new();
        let mut last = c.now_ns();
        for _ in 0..10_000 {
            let t = c.now_ns();
            assert!(t >= last);
            last = t;
        }
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new();
        assert_eq!(c.now_ns(), 0);
        c.advance(5);
        assert_eq!(c.now_ns(), 5);
        c.set(100);
        assert_eq!(c.now_ns(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let c = TokioClock::new();
        tokio::time::advance(std::time::Duration::from_millis(250)).await;
        assert_eq!(c.now_ns(), 250_000_000);
    }

    #[tokio::test(start_paused = true)]
    async fn instants_map_clock_times_for_sleeping() {
        let c = TokioClock::new();
        let at = c.instant_at(c.now_ns() + 40_000_000);
        tokio::time::sleep_until(at).await;
        assert_eq!(c.now_ns(), 40_000_000);
        // The default mapping, through the distance from now.
        let m = ManualClock::new();
        m.set(1_000);
        let now = tokio::time::Instant::now();
        assert_eq!(m.instant_at(3_000), now + Duration::from_nanos(2_000));
        assert_eq!(m.instant_at(400), now - Duration::from_nanos(600));
    }
}
