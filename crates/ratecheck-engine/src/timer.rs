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
//! So that requests still go out on time, the timer is armed early by its
//! own recent lateness (a running mean of how late it woke) and the rest is
//! spun, at most [`SPIN_SHARE`] of the interval between two requests and at
//! most [`MAX_SPIN_NS`]: at 1000 requests per second that is up to 40 µs a
//! request (4% of a core), at 10 000 up to 4 µs, never a busy core.
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

/// Most of each interval between two requests the generator may spin.
pub(crate) const SPIN_SHARE: f64 = 0.04;
/// Longest spin, whatever the interval.
pub(crate) const MAX_SPIN_NS: u64 = 100_000;
/// A wake later than this (a stall) counts as this much in the running mean
/// of the timer's lateness, so one stall does not make the timer spin long.
const MAX_LATENESS_SAMPLE_NS: u64 = 1_000_000;

/// How early to arm the timer for a deadline (ns): the timer's typical
/// lateness, at most [`SPIN_SHARE`] of the interval and [`MAX_SPIN_NS`].
pub(crate) fn spin_window(lateness_ns: f64, interval_ns: f64) -> u64 {
    lateness_ns
        .min(SPIN_SHARE * interval_ns)
        .min(MAX_SPIN_NS as f64)
        .max(0.0) as u64
}

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

    /// Waits until `clock` reads `deadline_ns`, requests being
    /// `interval_ns` apart (see the module docs: armed early, the rest
    /// spun). A deadline already past only yields to the other tasks, so a
    /// generator whose next request is always due (a flat-out run) still
    /// lets the workers run.
    pub(crate) async fn sleep_until(
        &mut self,
        clock: &dyn Clock,
        deadline_ns: u64,
        interval_ns: f64,
    ) -> io::Result<()> {
        let now = clock.now_ns();
        if now >= deadline_ns {
            tokio::task::yield_now().await;
            return Ok(());
        }
        let armed = deadline_ns.saturating_sub(spin_window(self.lateness_ns, interval_ns));
        if now < armed {
            #[cfg(target_os = "linux")]
            self.fd
                .sleep_until(to_monotonic(armed, now, monotonic_ns()))
                .await?;
            let late = clock
                .now_ns()
                .saturating_sub(armed)
                .min(MAX_LATENESS_SAMPLE_NS);
            self.lateness_ns += (late as f64 - self.lateness_ns) / 16.0;
        }
        while clock.now_ns() < deadline_ns {
            std::hint::spin_loop();
        }
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

    #[test]
    fn the_spin_is_the_timer_lateness_within_its_caps() {
        // 1000 rps (1 ms apart): 4% is 40 µs; a 30 µs lateness is all spun.
        assert_eq!(spin_window(30_000.0, 1e6), 30_000);
        assert_eq!(spin_window(60_000.0, 1e6), 40_000);
        // 10 000 rps: at most 4 µs.
        assert_eq!(spin_window(60_000.0, 1e5), 4_000);
        // 1 rps: the absolute cap.
        assert_eq!(spin_window(5e6, 1e9), MAX_SPIN_NS);
        assert_eq!(spin_window(0.0, 1e6), 0);
    }

    /// The one real-time property: the timer never wakes before its
    /// deadline (the margin above it is the machine's business).
    #[tokio::test(flavor = "current_thread")]
    async fn never_wakes_before_the_deadline() {
        let clock = SystemClock::new();
        let mut timer = PreciseTimer::new().expect("timerfd");
        for ahead_us in [0u64, 50, 300, 2_000, 50, 50] {
            let deadline = clock.now_ns() + ahead_us * 1_000;
            timer.sleep_until(&clock, deadline, 1e6).await.unwrap();
            let now = clock.now_ns();
            assert!(now >= deadline, "woke {} ns early", deadline - now);
        }
    }
}
