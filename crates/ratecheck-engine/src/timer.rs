//! Sleeping to an absolute deadline as precisely as the machine's timer
//! allows, inside the tokio runtime.
//!
//! tokio's timer wheel has 1 ms slots, so a generator that sleeps with
//! `tokio::time::sleep_until` wakes up to a millisecond late and sends each
//! request late by that much. This timer arms a Linux `timerfd` (an
//! hrtimer, no timer slack) at the deadline and waits for it to become
//! readable through tokio's reactor. The wake is the runtime's own wake: no
//! second thread, no hand-over between threads, so the worker that sends the
//! request runs on the thread the timer woke.
//! ARCHITECTURE.md ("Pacing") gives the measurements behind the choice.
//!
//! The timer itself wakes tens of microseconds late on a virtual machine.
//! It keeps a running mean of how late it woke, which the generator arms it
//! early by (within its early budget, `engine::pacing`); nothing is spun.
//!
//! Deadlines are in the engine's [`Clock`] nanoseconds. The clock (quanta's
//! TSC) and `CLOCK_MONOTONIC` tick at the same rate but from other origins,
//! so each sleep reads both once and arms the timer at the deadline moved by
//! their current offset; calibration drift between the two cannot build up.

use std::io;

use super::clock::Clock;

/// Nanoseconds of `CLOCK_MONOTONIC`.
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC exists on
    // every platform this builds for, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The monotonic-clock instant at which `clock` reads `deadline_ns`, given
/// one reading of each taken together.
pub(crate) fn to_monotonic(deadline_ns: u64, clock_now: u64, mono_now: u64) -> u64 {
    (mono_now + deadline_ns).saturating_sub(clock_now)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    use tokio::io::unix::AsyncFd;

    /// A non-blocking `timerfd` on `CLOCK_MONOTONIC`, registered with tokio.
    pub struct TimerFd {
        fd: AsyncFd<OwnedFd>,
    }

    impl TimerFd {
        pub fn new() -> io::Result<Self> {
            // SAFETY: plain syscall; a negative result is an error, checked.
            let raw: RawFd = unsafe {
                libc::timerfd_create(
                    libc::CLOCK_MONOTONIC,
                    libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
                )
            };
            if raw < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `raw` is a fresh descriptor that nothing else owns.
            let owned = unsafe { OwnedFd::from_raw_fd(raw) };
            // SAFETY: the descriptor stays open as long as the `AsyncFd`
            // (it owns the `OwnedFd`), as registration requires.
            let fd =
                unsafe { AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE) }?;
            Ok(TimerFd { fd })
        }

        /// Waits until `CLOCK_MONOTONIC` reaches `mono_deadline`.
        pub async fn sleep_until(&self, mono_deadline: u64) -> io::Result<()> {
            let spec = libc::itimerspec {
                it_interval: libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: libc::timespec {
                    tv_sec: (mono_deadline / 1_000_000_000) as libc::time_t,
                    tv_nsec: (mono_deadline % 1_000_000_000) as libc::c_long,
                },
            };
            let raw = self.fd.get_ref().as_raw_fd();
            // SAFETY: `raw` is our timerfd and `spec` a valid itimerspec. An
            // absolute time already past fires at once.
            if unsafe {
                libc::timerfd_settime(raw, libc::TFD_TIMER_ABSTIME, &spec, std::ptr::null_mut())
            } != 0
            {
                return Err(io::Error::last_os_error());
            }
            loop {
                let mut ready = self.fd.readable().await?;
                let mut expirations = 0u64;
                // SAFETY: reads 8 bytes into a u64, as timerfd requires.
                let n = unsafe { libc::read(raw, (&mut expirations as *mut u64).cast(), 8) };
                if n == 8 {
                    return Ok(());
                }
                // EAGAIN: readiness left over from an earlier expiry that a
                // read already consumed; wait for the timer just armed.
                ready.clear_ready();
            }
        }
    }
}

/// A wake later than this (a stall) counts as this much in the running mean
/// of the timer's lateness, so one stall does not move the arming far.
const MAX_LATENESS_SAMPLE_NS: u64 = 1_000_000;

/// A precise sleeper for one task (the generator). Must be created inside a
/// tokio runtime with IO enabled.
pub(crate) struct PreciseTimer {
    #[cfg(target_os = "linux")]
    fd: imp::TimerFd,
    /// Running mean (1/16 weight) of how late the timer woke, ns.
    lateness_ns: f64,
}

impl PreciseTimer {
    /// A timer, or why the machine cannot give one (the caller falls back to
    /// tokio's timer).
    pub(crate) fn new() -> io::Result<Self> {
        #[cfg(target_os = "linux")]
        {
            Ok(PreciseTimer {
                fd: imp::TimerFd::new()?,
                lateness_ns: 0.0,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(io::Error::new(io::ErrorKind::Unsupported, "no timerfd"))
        }
    }

    /// How late the timer has been waking, running mean, ns.
    pub(crate) fn lateness_ns(&self) -> u64 {
        self.lateness_ns as u64
    }

    /// Starts the running mean of the lateness at `ns` (a calibration's).
    pub(crate) fn seed_lateness(&mut self, ns: u64) {
        self.lateness_ns = ns as f64;
    }

    /// Waits until `clock` reads `deadline_ns` (or a little after: the
    /// timer's lateness). A deadline already past only yields to the other
    /// tasks, so a generator whose next request is always due (a flat-out
    /// run) still lets the workers run. Cancel-safe: dropping the wait
    /// leaves the timer armed, and the next wait re-arms it.
    pub(crate) async fn sleep_until(
        &mut self,
        clock: &dyn Clock,
        deadline_ns: u64,
    ) -> io::Result<()> {
        let now = clock.now_ns();
        if now >= deadline_ns {
            tokio::task::yield_now().await;
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        self.fd
            .sleep_until(to_monotonic(deadline_ns, now, monotonic_ns()))
            .await?;
        let late = clock
            .now_ns()
            .saturating_sub(deadline_ns)
            .min(MAX_LATENESS_SAMPLE_NS);
        self.lateness_ns += (late as f64 - self.lateness_ns) / 16.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    #[test]
    fn deadlines_move_by_the_offset_of_the_two_clocks() {
        // Clock reads 1 000 when the monotonic clock reads 50 000: a
        // deadline 300 ns ahead on the clock is 300 ns ahead there too.
        assert_eq!(to_monotonic(1_300, 1_000, 50_000), 50_300);
        // A deadline already past maps to the past, never wraps.
        assert_eq!(to_monotonic(0, 1_000, 500), 0);
    }

    /// The one real-time property: the timer never wakes before its
    /// deadline (the margin above it is the machine's business).
    #[tokio::test(flavor = "current_thread")]
    async fn never_wakes_before_the_deadline() {
        let clock = SystemClock::new();
        let mut timer = PreciseTimer::new().expect("timerfd");
        for ahead_us in [0u64, 50, 300, 2_000, 50, 50] {
            let deadline = clock.now_ns() + ahead_us * 1_000;
            timer.sleep_until(&clock, deadline).await.unwrap();
            let now = clock.now_ns();
            assert!(now >= deadline, "woke {} ns early", deadline - now);
        }
    }
}
