//! Shards of one schedule run as separate processes, with no coordinator:
//! each sends its [`Stripe`] of the one schedule, and all start it at the
//! same wall-clock instant `t0`. This module maps `t0` onto the run's clock,
//! waits for it, and says how late the process came.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::schedule::Stripe;

/// A run's place among the shards of its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// The requests of the whole schedule this process sends.
    pub stripe: Stripe,
    /// When the whole schedule starts, the same for every shard (`None`:
    /// when this run starts).
    pub start_at: Option<SystemTime>,
}

/// How early before `t0` the run stops sleeping on tokio's timer (1 ms
/// wheel), so that the generator's own timer sends the first request on time.
const WAKE_MARGIN: Duration = Duration::from_millis(5);

/// `t0` is further back than the run's clock reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the start is {late:?} ago, before the run's clock began; start the shard sooner or pick a later start")]
pub struct StartTooLate {
    /// How long ago the start was.
    pub late: Duration,
}

/// Where the run's schedule starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Start {
    /// `t0` on the run's clock, ns.
    pub clock_ns: u64,
    /// `t0`, ns since the Unix epoch.
    pub t0_unix_ns: u64,
    /// How long after `t0` the run was ready to send, ns (0 when it was
    /// ready before).
    pub late_ns: u64,
}

/// `at` on a clock that reads `now_ns` at wall time `now`.
pub(crate) fn clock_ns_of(
    at: SystemTime,
    now: SystemTime,
    now_ns: u64,
) -> Result<u64, StartTooLate> {
    match at.duration_since(now) {
        Ok(ahead) => Ok(now_ns.saturating_add(ahead.as_nanos() as u64)),
        Err(e) => {
            let late = e.duration();
            now_ns
                .checked_sub(late.as_nanos() as u64)
                .ok_or(StartTooLate { late })
        }
    }
}

/// Waits for `start_at` (now when `None`) unless `cancel` fires first, and
/// says where the schedule starts.
pub(crate) async fn start(
    start_at: Option<SystemTime>,
    clock: &dyn Clock,
    cancel: &CancellationToken,
) -> Result<Start, StartTooLate> {
    let (now, now_ns) = (SystemTime::now(), clock.now_ns());
    let at = start_at.unwrap_or(now);
    let clock_ns = clock_ns_of(at, now, now_ns)?;
    let wake = clock.instant_at(clock_ns.saturating_sub(WAKE_MARGIN.as_nanos() as u64));
    tokio::select! {
        _ = tokio::time::sleep_until(wake) => {}
        _ = cancel.cancelled() => {}
    }
    Ok(Start {
        clock_ns,
        t0_unix_ns: at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        late_ns: clock.now_ns().saturating_sub(clock_ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;

    #[test]
    fn wall_instants_map_onto_the_clock() {
        let now = SystemTime::now();
        let s = Duration::from_secs(1);
        assert_eq!(clock_ns_of(now + s, now, 5_000_000_000), Ok(6_000_000_000));
        assert_eq!(clock_ns_of(now - s, now, 5_000_000_000), Ok(4_000_000_000));
        assert_eq!(
            clock_ns_of(now - 10 * s, now, 5_000_000_000),
            Err(StartTooLate { late: 10 * s })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_shard_waits_for_the_start() {
        let clock = TokioClock::new();
        let t0 = SystemTime::now() + Duration::from_secs(30);
        let s = start(Some(t0), &clock, &CancellationToken::new())
            .await
            .unwrap();
        // The wall clock moved on by a few µs meanwhile, tokio's not at all.
        assert!(s.clock_ns.abs_diff(30_000_000_000) < 100_000_000, "{s:?}");
        let woke = clock.now_ns();
        assert!(
            woke <= s.clock_ns && s.clock_ns - woke <= 6_000_000,
            "{woke} {s:?}"
        );
        assert_eq!(s.late_ns, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_shard_starts_at_once_and_says_how_late() {
        let clock = TokioClock::new();
        tokio::time::advance(Duration::from_secs(60)).await;
        let t0 = SystemTime::now() - Duration::from_secs(2);
        let s = start(Some(t0), &clock, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(clock.now_ns(), 60_000_000_000, "no wait");
        assert!(s.late_ns.abs_diff(2_000_000_000) < 100_000_000, "{s:?}");
        assert_eq!(s.clock_ns + s.late_ns, clock.now_ns());
    }
}
