//! The limits the engine enforces, each defined once: the highest rate, the
//! most workers, the longest phase. The engine's own checks (the rate
//! limiter's rate, a run's concurrency), the load spec's `validate` and the
//! gate's command-line and configuration checks all use these, so a limit
//! cannot differ between them. This module uses no other module of the
//! engine: the ones that enforce a limit depend on it, never the reverse.

use std::ops::RangeBounds;
use std::time::Duration;

/// Largest accepted target rate, requests (tokens) per second: the ceiling
/// of a load spec, of a run and of the rate limiter, ramp catch-up included.
pub const MAX_RPS: f64 = 10_000_000.0;
/// Largest accepted worker count (each worker holds one connection).
pub const MAX_CONCURRENCY: usize = 10_000;
/// Longest accepted steady phase, ramp, timeout, drain or server delay: the
/// collector's time series covers one hour
/// (36 000 buckets of 100 ms).
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// A value outside its limit. The text says what is allowed; the caller
/// names the value (`--rps "0": …`, `scenario "s".rps: …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not a finite number above 0.
    #[error("the rate must be a finite number > 0")]
    RateNotPositive,
    /// Above [`MAX_RPS`].
    #[error("the rate must be at most {MAX_RPS:.0} requests per second")]
    RateTooHigh,
    /// Outside 1..=[`MAX_CONCURRENCY`].
    #[error("concurrency must be between 1 and {MAX_CONCURRENCY}")]
    Concurrency,
    /// A length that must be longer than 0 is 0.
    #[error("must be longer than 0 (e.g. 500ms, 5s)")]
    Zero,
    /// Longer than [`MAX_DURATION`].
    #[error("must be at most {}h", MAX_DURATION.as_secs() / 3600)]
    TooLong,
    /// Outside 0..=1.
    #[error("must be between 0 and 1")]
    NotAFraction,
}

/// `v` if `range` holds it, else `problem`.
fn within<T: PartialOrd>(v: T, range: impl RangeBounds<T>, problem: Problem) -> Result<T, Problem> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(problem)
    }
}

/// A rate: finite, > 0, at most [`MAX_RPS`].
pub fn check_rps(v: f64) -> Result<f64, Problem> {
    if !v.is_finite() || v <= 0.0 {
        return Err(Problem::RateNotPositive);
    }
    within(v, ..=MAX_RPS, Problem::RateTooHigh)
}

/// A worker count: 1..=[`MAX_CONCURRENCY`].
pub fn check_concurrency(n: usize) -> Result<usize, Problem> {
    within(n, 1..=MAX_CONCURRENCY, Problem::Concurrency)
}

/// A length of time: at most [`MAX_DURATION`], and > 0 unless `zero_ok`.
pub fn check_length(d: Duration, zero_ok: bool) -> Result<Duration, Problem> {
    if d.is_zero() && !zero_ok {
        return Err(Problem::Zero);
    }
    within(d, ..=MAX_DURATION, Problem::TooLong)
}

/// A fraction in 0..=1.
pub(crate) fn check_fraction(v: f64) -> Result<f64, Problem> {
    within(v, 0.0..=1.0, Problem::NotAFraction)
}
