//! The batch generator: turns "release k requests now" into batches of request
//! metadata (id, intended send time). While its wakes are further apart than
//! the requests (the pacing budget, `crate::pacing`) the generator releases
//! one request a wake; above that, or after a stall, or on tokio's 1 ms
//! timer in tests, one wake releases several, and the batch size follows the
//! rate (≈ rate × 1 ms, clamped to 1..=100) so the limiter and the queue see
//! few, right-sized operations.
//!
//! Ids come from a shared [`IdSource`]: strictly increasing, no gaps or
//! duplicates across batches and threads. The batch buffer is allocated once
//! and reused.

use std::sync::atomic::{AtomicU64, Ordering};

use super::schedule::Stripe;

/// What a worker needs to send one request and to time it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestMeta {
    /// 0-based sequence number in the whole schedule (a shard's requests
    /// keep theirs, so a request mix picks the same request for each).
    pub id: u64,
    /// When the schedule meant it to go out, ns on the engine clock.
    pub intended_ns: u64,
}

/// Largest batch.
pub(crate) const MAX_BATCH: usize = 100;

/// Batch size for a rate: about one timer tick's worth (1 ms), 1..=100.
pub fn batch_size_for(rate: f64) -> usize {
    if !rate.is_finite() || rate <= 0.0 {
        return 1;
    }
    ((rate / 1000.0).round() as usize).clamp(1, MAX_BATCH)
}

/// Hands out request ids.
#[derive(Debug, Default)]
pub struct IdSource {
    /// The next unissued id. `fetch_add` makes every range disjoint and
    /// contiguous; Relaxed suffices because ids carry no other memory.
    next: AtomicU64,
}

impl IdSource {
    /// A source whose first id is 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves `n` consecutive ids; returns the first.
    pub(crate) fn reserve(&self, n: u64) -> u64 {
        self.next.fetch_add(n, Ordering::Relaxed)
    }

    /// Ids issued so far.
    pub fn issued(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }
}

/// Builds batches into one reused buffer.
#[derive(Debug)]
pub struct BatchGenerator {
    batch_size: usize,
    buf: Vec<RequestMeta>,
    max_seen: usize,
    /// The share of the schedule the ids stand for.
    stripe: Stripe,
}

impl BatchGenerator {
    /// Batches sized for `rate`, requests per second (see [`batch_size_for`]).
    pub fn new(rate: f64) -> Self {
        Self::striped(rate, Stripe::WHOLE)
    }

    /// Batches of `stripe`'s requests: the `j`-th id issued stands for
    /// request `stripe.global(j)` of the whole schedule.
    pub fn striped(rate: f64, stripe: Stripe) -> Self {
        BatchGenerator {
            batch_size: batch_size_for(rate),
            buf: Vec::with_capacity(MAX_BATCH),
            max_seen: 0,
            stripe,
        }
    }

    /// Re-sizes batches for a new rate.
    pub(crate) fn set_rate(&mut self, rate: f64) {
        self.batch_size = batch_size_for(rate);
    }

    /// Most requests a batch holds at the current rate.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Largest batch built so far.
    pub(crate) fn max_batch(&self) -> usize {
        self.max_seen
    }

    /// Builds the next batch of at most `min(want, batch_size)` requests,
    /// taking ids from `ids` (numbered in the whole schedule by the
    /// stripe) and intended times from `intended(id)`.
    pub fn next_batch(
        &mut self,
        want: u64,
        ids: &IdSource,
        mut intended: impl FnMut(u64) -> u64,
    ) -> &[RequestMeta] {
        self.buf.clear();
        let n = want.min(self.batch_size as u64);
        if n == 0 {
            return &self.buf;
        }
        let first = ids.reserve(n);
        let stripe = self.stripe;
        self.buf.extend((first..first + n).map(|j| {
            let id = stripe.global(j);
            RequestMeta {
                id,
                intended_ns: intended(id),
            }
        }));
        self.max_seen = self.max_seen.max(self.buf.len());
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn sizes_follow_the_rate() {
        assert_eq!(batch_size_for(200.0), 1);
        assert_eq!(batch_size_for(1000.0), 1);
        assert_eq!(batch_size_for(10_000.0), 10);
        assert_eq!(batch_size_for(50_000.0), 50);
        assert_eq!(batch_size_for(100_000.0), 100);
        assert_eq!(batch_size_for(1e7), 100);
        assert_eq!(batch_size_for(0.5), 1);
        assert_eq!(batch_size_for(f64::NAN), 1);
        let mut g = BatchGenerator::new(1000.0);
        g.set_rate(20_000.0);
        assert_eq!(g.batch_size(), 20);
    }

    #[test]
    fn batches_are_capped_and_sequenced() {
        let ids = IdSource::new();
        let mut g = BatchGenerator::new(10_000.0);
        let b = g.next_batch(25, &ids, |id| id * 100).to_vec();
        assert_eq!(b.len(), 10);
        assert_eq!(
            b[0],
            RequestMeta {
                id: 0,
                intended_ns: 0
            }
        );
        assert_eq!(
            b[9],
            RequestMeta {
                id: 9,
                intended_ns: 900
            }
        );
        let b = g.next_batch(3, &ids, |id| id).to_vec();
        assert_eq!(b.iter().map(|r| r.id).collect::<Vec<_>>(), [10, 11, 12]);
        assert!(g.next_batch(0, &ids, |id| id).is_empty());
        assert_eq!(ids.issued(), 13);
        assert_eq!(g.max_batch(), 10);
    }

    #[test]
    fn ids_have_no_gaps_or_duplicates_across_threads() {
        let ids = Arc::new(IdSource::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    let mut g = BatchGenerator::new(37_000.0);
                    let mut seen = Vec::new();
                    for _ in 0..2000 {
                        seen.extend(g.next_batch(50, &ids, |_| 0).iter().map(|r| r.id));
                    }
                    seen
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            let seen = h.join().unwrap();
            assert!(
                seen.windows(2).all(|w| w[0] < w[1]),
                "strictly increasing per thread"
            );
            all.extend(seen);
        }
        all.sort_unstable();
        let n = all.len() as u64;
        assert_eq!(n, 4 * 2000 * 37);
        assert!(all.iter().copied().eq(0..n), "no gaps, no duplicates");
    }

    #[test]
    fn a_stripes_batches_carry_the_whole_schedules_ids() {
        let ids = IdSource::new();
        let mut g = BatchGenerator::striped(1000.0, Stripe::new(2, 3).unwrap());
        let got: Vec<_> = (0..3)
            .map(|_| *g.next_batch(1, &ids, |id| id * 7).first().unwrap())
            .collect();
        let want = [2u64, 5, 8].map(|id| RequestMeta {
            id,
            intended_ns: id * 7,
        });
        assert_eq!(got, want);
        assert_eq!(ids.issued(), 3);
    }

    #[test]
    fn buffer_is_reused() {
        let ids = IdSource::new();
        let mut g = BatchGenerator::new(100_000.0);
        let p1 = g.next_batch(100, &ids, |i| i).as_ptr();
        let p2 = g.next_batch(100, &ids, |i| i).as_ptr();
        assert_eq!(p1, p2);
    }
}
