//! The per-caller side of the limiter: grant tallies, and the [`Taker`]
//! handle whose own single-writer tallies keep the fast path one CAS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_utils::CachePadded;

use super::{Attempt, RateLimiter};

/// Counters of grants. Relaxed everywhere: tallies that order nothing else.
#[derive(Default)]
pub(super) struct Tally {
    /// Tokens granted.
    pub(super) granted: AtomicU64,
    /// State updates (grants and rate changes).
    pub(super) refills: AtomicU64,
    /// Attempts refused for want of tokens.
    pub(super) blocked: AtomicU64,
}

/// Where an attempt counts itself: the shared tally (any thread, atomic
/// add) or a [`Taker`]'s own (one writer: plain load and store, ~1 ns
/// instead of a locked instruction).
#[derive(Clone, Copy)]
pub(super) struct Count<'a> {
    pub(super) tally: &'a Tally,
    pub(super) single_writer: bool,
}

impl Count<'_> {
    #[inline]
    fn add(self, field: fn(&Tally) -> &AtomicU64, v: u64) {
        let a = field(self.tally);
        if self.single_writer {
            a.store(a.load(Ordering::Relaxed) + v, Ordering::Relaxed);
        } else {
            a.fetch_add(v, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn granted(self, n: u64) {
        self.add(|t| &t.granted, n);
        self.add(|t| &t.refills, 1);
    }

    #[inline]
    pub(super) fn blocked(self) {
        self.add(|t| &t.blocked, 1);
    }
}

/// One caller's handle on a shared limiter, with its own counters so the
/// fast path is a single CAS. `&mut self` keeps each handle single-writer.
pub struct Taker<'a> {
    pub(super) limiter: &'a RateLimiter,
    pub(super) tally: Arc<CachePadded<Tally>>,
}

impl Taker<'_> {
    fn count(&self) -> Count<'_> {
        Count {
            tally: &self.tally,
            single_writer: true,
        }
    }

    /// [`RateLimiter::try_take`].
    #[inline]
    pub fn try_take(&mut self, n: u64) -> bool {
        let now = self.limiter.clock.now_ns();
        self.try_take_at(n, now)
    }

    /// [`RateLimiter::try_take_at`].
    #[inline]
    pub fn try_take_at(&mut self, n: u64, now_ns: u64) -> bool {
        matches!(
            self.limiter.attempt(n, now_ns, self.count()),
            Attempt::Granted
        )
    }

    /// [`RateLimiter::take_up_to_at`].
    #[inline]
    pub fn take_up_to_at(&mut self, max: u64, now_ns: u64) -> u64 {
        self.limiter.take_up_to(max, now_ns, self.count())
    }
}
