//! Token-bucket rate limiter: lock-free, refilled from the clock on each call
//! (no ticker task), with live rate changes for ramps.
//!
//! The bucket is kept the GCRA way (as governor does): instead of a token
//! count and a last-refill time, one "theoretical arrival time" (TAT) says
//! when the bucket will next be full-of-debt-free. With emission interval `T`
//! (time per token) and tolerance `τ = burst × T`, a take of `n` tokens at
//! time `now` is allowed when `max(TAT, now) + n·T − now ≤ τ`, and moves the
//! TAT there. Tokens available at `now` are `(τ − max(TAT − now, 0)) / T`.
//!
//! The whole mutable state is one `AtomicU64`: the TAT in ticks of 1/16 ns in
//! the high 56 bits (52 days of range) and, in the low 8 bits, the generation
//! of the rate setting it was computed with. The setting itself (`T`, `τ`)
//! lives in a 256-entry table indexed by generation. A take reads the word,
//! reads its generation's setting and CASes the word; `set_rate` writes the
//! next generation's setting and then CASes the word to a TAT converted to the
//! new setting. A take priced with an old setting therefore cannot commit
//! after a rate change: its CAS fails because the word changed, and it retries.
//!
//! `set_rate` callers are serialised by a mutex (rare: every 100 ms during a
//! ramp), which also guards the rate history (the tokens the rates allowed).
//! Takes never lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_utils::CachePadded;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::clock::SharedClock;
use super::limits::MAX_RPS;

mod taker;

pub use taker::Taker;
use taker::{Count, Tally};

/// Ticks per nanosecond: TAT and intervals are kept in 1/16 ns so that high
/// rates keep their precision (1e7/s → 1600 ticks per token, exact).
const TICKS_PER_NS: u64 = 16;
const GEN_BITS: u32 = 8;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
const SLOTS: usize = 1 << GEN_BITS;
/// Largest TAT that fits beside the generation.
const MAX_TICKS: u64 = u64::MAX >> GEN_BITS;
/// Interval value meaning "rate 0: paused".
const PAUSED: u64 = u64::MAX;

/// Why the limiter refused a setting or a request.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum RateError {
    /// The rate is negative or not a finite number (tokens per second).
    #[error("rate must be a finite number of requests per second >= 0 (got {0})")]
    InvalidRate(f64),
    /// The rate is above [`MAX_RPS`].
    #[error("rate {0} is above the maximum of {MAX_RPS:.0} requests per second")]
    RateTooHigh(f64),
    /// The burst is not a finite number above 0 (or is below 1 token).
    #[error("burst must be a finite number >= 1 token (got {0})")]
    InvalidBurst(f64),
    /// One take asked for more tokens than the bucket holds at this rate:
    /// it could never be granted.
    #[error("asked for {asked} tokens at once but the burst capacity is {burst} at this rate")]
    ExceedsBurst {
        /// Tokens asked for.
        asked: u64,
        /// Most tokens the bucket holds at this rate.
        burst: u64,
    },
    /// The wait's cancellation token fired first.
    #[error("wait cancelled")]
    Cancelled,
}

/// Bucket capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Burst {
    /// This many seconds' worth of tokens at the current rate (default 2).
    Seconds(f64),
    /// A fixed number of tokens.
    Tokens(f64),
}

impl Default for Burst {
    fn default() -> Self {
        Burst::Seconds(2.0)
    }
}

impl Burst {
    fn tokens(self, rate: f64) -> f64 {
        match self {
            Burst::Seconds(s) => (s * rate).max(1.0),
            Burst::Tokens(t) => t.max(1.0),
        }
    }
}

/// One rate setting. Written only by `set_rate` (under its mutex) before the
/// state word naming this generation is published with a Release CAS; readers
/// load the word with Acquire first, so Relaxed loads here see the values.
#[derive(Default)]
struct Setting {
    /// Ticks per token, or `PAUSED`. Relaxed: see the type's docs.
    interval: AtomicU64,
    /// Tolerance τ = burst × interval, ticks. Relaxed: see the type's docs.
    tau: AtomicU64,
}

/// Rate history, for `efficiency()`; cold, behind the `set_rate` mutex.
struct History {
    rate: f64,
    burst: Burst,
    since_ns: u64,
    /// Tokens the rate history allowed before `since_ns`.
    allowed_before: f64,
    /// Tokens in the bucket when it was paused (rate 0).
    carried: f64,
}

/// Counters explaining the limiter's behaviour.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LimiterStats {
    /// Tokens granted.
    pub granted: u64,
    /// State updates, each a lazy refill from the clock (grants + rate changes).
    pub refills: u64,
    /// Attempts refused because the bucket held too few tokens.
    pub blocked: u64,
    /// `wait` calls that had to sleep at least once.
    pub waits: u64,
    /// Time spent sleeping in waits, summed.
    pub wait_total: Duration,
    /// Longest single wait.
    pub wait_max: Duration,
}

/// Outcome of one attempt, before any sleeping.
enum Attempt {
    Granted,
    /// Try again after this many ns.
    RetryIn(u64),
    Paused,
    TooBig(u64),
}

/// A lock-free token bucket. See the module docs for the algorithm.
pub struct RateLimiter {
    clock: SharedClock,
    /// `TAT ticks << 8 | generation`. Updated only by CAS (AcqRel on success
    /// so a setting written before the CAS is visible to whoever reads the
    /// word with Acquire).
    state: AtomicU64,
    settings: Box<[Setting]>,
    history: Mutex<History>,
    /// Woken on every rate change so sleeping `wait`s re-plan.
    changed: Notify,
    /// Tallies of calls made on the limiter itself (any thread: RMW).
    shared: CachePadded<Tally>,
    /// Tallies of each [`Taker`] (one writer each: no RMW on the hot path).
    takers: Mutex<Vec<Arc<CachePadded<Tally>>>>,
    /// `wait` calls that slept at least once. Relaxed, like the next two: a
    /// diagnostic tally no other memory depends on.
    waits: AtomicU64,
    /// Time those calls slept, ns, summed.
    wait_ns_total: AtomicU64,
    /// Longest of them, ns.
    wait_ns_max: AtomicU64,
}

fn validate_rate(rate: f64) -> Result<(), RateError> {
    if !rate.is_finite() || rate < 0.0 {
        return Err(RateError::InvalidRate(rate));
    }
    if rate > MAX_RPS {
        return Err(RateError::RateTooHigh(rate));
    }
    Ok(())
}

fn validate_burst(burst: Burst) -> Result<(), RateError> {
    let v = match burst {
        Burst::Seconds(s) => s,
        Burst::Tokens(t) => t,
    };
    if !v.is_finite() || v <= 0.0 || matches!(burst, Burst::Tokens(t) if t < 1.0) {
        return Err(RateError::InvalidBurst(v));
    }
    Ok(())
}

#[inline]
fn pack(tat: u64, gen: u64) -> u64 {
    (tat.min(MAX_TICKS) << GEN_BITS) | gen
}

#[inline]
fn unpack(word: u64) -> (u64, u64) {
    (word >> GEN_BITS, word & GEN_MASK)
}

/// Ticks of credit in the bucket at `now`: the tolerance less the debt the
/// TAT runs ahead of now (tokens available = credit ÷ interval).
#[inline]
fn credit(tat: u64, tau: u64, now: u64) -> u64 {
    tau.saturating_sub(tat.max(now) - now)
}

/// (interval, tau) in ticks for a non-zero rate.
fn setting_for(rate: f64, burst: Burst) -> (u64, u64) {
    let interval = ((TICKS_PER_NS as f64 * 1e9) / rate).round().max(1.0) as u64;
    let tau = (burst.tokens(rate) * interval as f64).round() as u64;
    (interval, tau.max(interval))
}

impl RateLimiter {
    /// A limiter at `rate` tokens per second with the given burst capacity.
    /// The bucket starts empty: the first token is available after one
    /// interval, so a run never opens with a burst.
    pub fn new(rate: f64, burst: Burst, clock: SharedClock) -> Result<Self, RateError> {
        let now = clock.now_ns();
        Self::starting_at(rate, burst, clock, now)
    }

    /// [`new`](Self::new), as if made at clock time `now` (ns), which may be
    /// past: a run that starts late is granted what the rate allowed since
    /// then, up to the burst.
    pub fn starting_at(
        rate: f64,
        burst: Burst,
        clock: SharedClock,
        now: u64,
    ) -> Result<Self, RateError> {
        validate_rate(rate)?;
        validate_burst(burst)?;
        let settings: Box<[Setting]> = (0..SLOTS).map(|_| Setting::default()).collect();
        let tat = if rate == 0.0 {
            settings[0].interval.store(PAUSED, Ordering::Relaxed);
            0
        } else {
            let (interval, tau) = setting_for(rate, burst);
            settings[0].interval.store(interval, Ordering::Relaxed);
            settings[0].tau.store(tau, Ordering::Relaxed);
            now * TICKS_PER_NS + tau
        };
        Ok(RateLimiter {
            clock,
            state: AtomicU64::new(pack(tat, 0)),
            settings,
            history: Mutex::new(History {
                rate,
                burst,
                since_ns: now,
                allowed_before: 0.0,
                carried: 0.0,
            }),
            changed: Notify::new(),
            shared: CachePadded::new(Tally::default()),
            takers: Mutex::new(Vec::new()),
            waits: AtomicU64::new(0),
            wait_ns_total: AtomicU64::new(0),
            wait_ns_max: AtomicU64::new(0),
        })
    }

    /// The clock this limiter reads.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Takes `n` tokens now if the bucket holds them; never blocks.
    #[inline]
    pub fn try_take(&self, n: u64) -> bool {
        self.try_take_at(n, self.clock.now_ns())
    }

    /// [`try_take`](Self::try_take) with a caller-supplied clock reading, so a
    /// caller that already read the clock does not pay for a second read.
    #[inline]
    pub fn try_take_at(&self, n: u64, now_ns: u64) -> bool {
        matches!(
            self.attempt(n, now_ns, self.shared_count()),
            Attempt::Granted
        )
    }

    /// Takes as many tokens as are available, at most `max`; returns how many.
    pub fn take_up_to_at(&self, max: u64, now_ns: u64) -> u64 {
        self.take_up_to(max, now_ns, self.shared_count())
    }

    /// A handle for one caller (thread or task) with its own counters.
    pub fn taker(&self) -> Taker<'_> {
        let tally = Arc::new(CachePadded::new(Tally::default()));
        self.takers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tally.clone());
        Taker {
            limiter: self,
            tally,
        }
    }

    fn shared_count(&self) -> Count<'_> {
        Count {
            tally: &self.shared,
            single_writer: false,
        }
    }

    /// Decodes a state word: its TAT, its generation, and that generation's
    /// setting `(interval, tau)`, `None` while paused. The caller loaded
    /// `word` with Acquire, which pairs with the Release of the CAS that
    /// published the generation, so these Relaxed loads see its setting.
    #[inline]
    fn decode(&self, word: u64) -> (u64, u64, Option<(u64, u64)>) {
        let (tat, gen) = unpack(word);
        let setting = &self.settings[gen as usize];
        let interval = setting.interval.load(Ordering::Relaxed);
        let rate = (interval != PAUSED).then(|| (interval, setting.tau.load(Ordering::Relaxed)));
        (tat, gen, rate)
    }

    fn take_up_to(&self, max: u64, now_ns: u64, count: Count<'_>) -> u64 {
        if max == 0 {
            return 0;
        }
        let now = now_ns.saturating_mul(TICKS_PER_NS);
        let mut word = self.state.load(Ordering::Acquire);
        loop {
            let (tat, gen, Some((interval, tau))) = self.decode(word) else {
                count.blocked();
                return 0;
            };
            let base = tat.max(now);
            let available = credit(tat, tau, now) / interval;
            let k = available.min(max);
            if k == 0 {
                count.blocked();
                return 0;
            }
            let new_word = pack(base + k * interval, gen);
            match self.state.compare_exchange_weak(
                word,
                new_word,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    count.granted(k);
                    return k;
                }
                Err(actual) => word = actual,
            }
        }
    }

    #[inline]
    fn attempt(&self, n: u64, now_ns: u64, count: Count<'_>) -> Attempt {
        let now = now_ns.saturating_mul(TICKS_PER_NS);
        // Acquire: see `decode`.
        let mut word = self.state.load(Ordering::Acquire);
        loop {
            let (tat, gen, Some((interval, tau))) = self.decode(word) else {
                count.blocked();
                return Attempt::Paused;
            };
            let cost = n.saturating_mul(interval);
            if cost > tau {
                return Attempt::TooBig(tau / interval);
            }
            let new_tat = tat.max(now) + cost;
            if new_tat - now > tau {
                count.blocked();
                let retry_ticks = new_tat - now - tau;
                return Attempt::RetryIn(retry_ticks.div_ceil(TICKS_PER_NS));
            }
            match self.state.compare_exchange_weak(
                word,
                pack(new_tat, gen),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    count.granted(n);
                    return Attempt::Granted;
                }
                Err(actual) => word = actual,
            }
        }
    }

    /// Waits until `n` tokens are granted. Cancel by dropping the future:
    /// nothing is reserved while waiting, so a cancelled wait leaves every
    /// token to the others and never double-grants.
    pub async fn wait(&self, n: u64) -> Result<(), RateError> {
        self.wait_inner(n, None).await
    }

    /// [`wait`](Self::wait), also ended by `token` (→ `Err(Cancelled)`).
    pub async fn wait_with(&self, n: u64, token: &CancellationToken) -> Result<(), RateError> {
        self.wait_inner(n, Some(token)).await
    }

    async fn wait_inner(&self, n: u64, token: Option<&CancellationToken>) -> Result<(), RateError> {
        let mut started: Option<u64> = None;
        loop {
            // Register for rate-change wake-ups before looking at the state,
            // so a change between the look and the sleep is not missed.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = self.clock.now_ns();
            let sleep_ns = match self.attempt(n, now, self.shared_count()) {
                Attempt::Granted => {
                    if let Some(t0) = started {
                        let waited = now.saturating_sub(t0);
                        self.wait_ns_total.fetch_add(waited, Ordering::Relaxed);
                        self.wait_ns_max.fetch_max(waited, Ordering::Relaxed);
                    }
                    return Ok(());
                }
                Attempt::TooBig(burst) => return Err(RateError::ExceedsBurst { asked: n, burst }),
                Attempt::RetryIn(ns) => Some(ns),
                Attempt::Paused => None,
            };
            if started.is_none() {
                started = Some(now);
                self.waits.fetch_add(1, Ordering::Relaxed);
            }
            let sleep = async {
                match sleep_ns {
                    Some(ns) => tokio::time::sleep(Duration::from_nanos(ns)).await,
                    None => std::future::pending().await,
                }
            };
            let cancelled = async {
                match token {
                    Some(t) => t.cancelled().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => {}
                _ = &mut notified => {}
                _ = cancelled => return Err(RateError::Cancelled),
            }
        }
    }

    /// Changes the rate from this instant on. Tokens already in the bucket are
    /// kept (up to the new capacity); no tokens are granted retroactively. A
    /// rate of 0 pauses the limiter until the next change.
    pub(crate) fn set_rate(&self, rate: f64) -> Result<(), RateError> {
        validate_rate(rate)?;
        let mut h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let now_ns = self.clock.now_ns();
        let now = now_ns.saturating_mul(TICKS_PER_NS);
        h.allowed_before += h.rate * (now_ns.saturating_sub(h.since_ns)) as f64 / 1e9;
        h.since_ns = now_ns;
        let mut word = self.state.load(Ordering::Acquire);
        loop {
            let (tat, gen, old) = self.decode(word);
            let credit_tokens = match old {
                None => h.carried,
                Some((interval, tau)) => credit(tat, tau, now) as f64 / interval as f64,
            };
            let next = (gen + 1) & GEN_MASK;
            let slot = &self.settings[next as usize];
            let new_tat = if rate == 0.0 {
                slot.interval.store(PAUSED, Ordering::Relaxed);
                slot.tau.store(0, Ordering::Relaxed);
                now
            } else {
                let (interval, tau) = setting_for(rate, h.burst);
                slot.interval.store(interval, Ordering::Relaxed);
                slot.tau.store(tau, Ordering::Relaxed);
                let credit = ((credit_tokens * interval as f64) as u64).min(tau);
                now + (tau - credit)
            };
            // Release (in AcqRel): publishes the slot written above to every
            // reader that loads this word with Acquire.
            match self.state.compare_exchange(
                word,
                pack(new_tat, next),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    h.carried = if rate == 0.0 { credit_tokens } else { 0.0 };
                    break;
                }
                Err(actual) => word = actual,
            }
        }
        h.rate = rate;
        self.shared.refills.fetch_add(1, Ordering::Relaxed);
        drop(h);
        self.changed.notify_waiters();
        Ok(())
    }

    /// The current rate, tokens per second.
    pub fn rate(&self) -> f64 {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).rate
    }

    /// Tokens the rate history has allowed since creation: `∫ rate dt`.
    pub(crate) fn allowed(&self) -> f64 {
        let h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now_ns();
        h.allowed_before + h.rate * now.saturating_sub(h.since_ns) as f64 / 1e9
    }

    /// Granted ÷ allowed (1.0 before anything was allowed).
    pub(crate) fn efficiency(&self) -> f64 {
        let allowed = self.allowed();
        if allowed <= 0.0 {
            1.0
        } else {
            self.stats().granted as f64 / allowed
        }
    }

    /// Tokens in the bucket now (fractional).
    pub fn available(&self) -> f64 {
        let now = self.clock.now_ns().saturating_mul(TICKS_PER_NS);
        match self.decode(self.state.load(Ordering::Acquire)) {
            (tat, _, Some((interval, tau))) => credit(tat, tau, now) as f64 / interval as f64,
            (_, _, None) => {
                self.history
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .carried
            }
        }
    }

    /// The limiter's counters so far, its own and every [`Taker`]'s summed.
    pub fn stats(&self) -> LimiterStats {
        let takers = self.takers.lock().unwrap_or_else(|e| e.into_inner());
        let sum = |f: fn(&Tally) -> &AtomicU64| {
            f(&self.shared).load(Ordering::Relaxed)
                + takers
                    .iter()
                    .map(|t| f(t).load(Ordering::Relaxed))
                    .sum::<u64>()
        };
        LimiterStats {
            granted: sum(|t| &t.granted),
            refills: sum(|t| &t.refills),
            blocked: sum(|t| &t.blocked),
            waits: self.waits.load(Ordering::Relaxed),
            wait_total: Duration::from_nanos(self.wait_ns_total.load(Ordering::Relaxed)),
            wait_max: Duration::from_nanos(self.wait_ns_max.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests;
