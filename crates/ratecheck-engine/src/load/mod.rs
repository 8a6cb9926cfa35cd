//! One load run as the command line (`run --rps --duration …`), a configured
//! scenario and the gate's benches describe it: [`LoadSpec`] and its one
//! [`LoadSpec::validate`], against the engine's limits (defined once, in
//! [`crate::limits`], and re-exported here). The CLI's value parsers and the
//! configuration's checks call the same per-value checks `validate` is made
//! of, so a limit cannot differ between them. [`setup`] starts the target a
//! spec names (the embedded server included).

use std::time::Duration;

use crate::limits::check_fraction;
use crate::run::{FullPolicy, RunConfig};
use crate::target::Target;

pub mod setup;
pub mod traffic;

pub use crate::limits::{
    check_concurrency, check_length, check_rps, Problem, MAX_CONCURRENCY, MAX_DURATION, MAX_RPS,
};
pub use traffic::Traffic;

/// Where a run sends its requests.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// The embedded HTTP server, started for the run on a loopback port.
    Embedded(ServerSpec),
    /// No network: requests complete immediately (measures the engine alone).
    Null,
    /// An HTTP server already running on a loopback address.
    Url(String),
    /// A configured service (`target = "service:NAME"`), which the suite
    /// starts on a free loopback port; `path` (default `/`) is requested.
    Service {
        /// The service's name in the configuration.
        name: String,
        /// The path (and query) requested.
        path: String,
    },
}

impl TargetSpec {
    /// The embedded server with its defaults (no delay, no errors).
    pub const EMBEDDED: TargetSpec = TargetSpec::Embedded(ServerSpec::NONE);
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Embedded(_) => f.write_str("embedded"),
            TargetSpec::Null => f.write_str("null"),
            TargetSpec::Url(u) => f.write_str(u),
            TargetSpec::Service { name, path } if path == "/" => write!(f, "service:{name}"),
            TargetSpec::Service { name, path } => write!(f, "service:{name}{path}"),
        }
    }
}

/// How the embedded server answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerSpec {
    /// Added latency per response.
    pub latency: Duration,
    /// Random extra latency, uniform in 0..jitter.
    pub jitter: Duration,
    /// Fraction of responses that are 500s (0..=1).
    pub error_rate: f64,
}

impl ServerSpec {
    /// No delay, no errors.
    pub const NONE: ServerSpec = ServerSpec {
        latency: Duration::ZERO,
        jitter: Duration::ZERO,
        error_rate: 0.0,
    };
}

/// One load run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    /// Steady-state target rate, requests per second.
    pub rps: f64,
    /// Length of the steady phase.
    pub duration: Duration,
    /// Workers, each with one keep-alive connection.
    pub concurrency: usize,
    /// Ramp from 0 to `rps` over this long before the steady phase (0: none).
    pub ramp_up: Duration,
    /// Ramp from `rps` to 0 over this long after it (0: none).
    pub ramp_down: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long in-flight requests may finish after the schedule ends.
    pub drain: Duration,
    /// What the generator does with a request when every worker is busy and the queue is full.
    pub on_full: FullPolicy,
    /// Where the requests go.
    pub target: TargetSpec,
    /// The requests sent and the check on each response.
    pub traffic: Traffic,
}

/// Per-request timeout when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Drain period when none is given.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(2);

impl LoadSpec {
    /// A steady run at `rps` against the embedded server, defaults for the rest.
    pub fn steady(rps: f64, duration: Duration, concurrency: usize) -> LoadSpec {
        LoadSpec {
            rps,
            duration,
            concurrency,
            ramp_up: Duration::ZERO,
            ramp_down: Duration::ZERO,
            timeout: DEFAULT_TIMEOUT,
            drain: DEFAULT_DRAIN,
            on_full: FullPolicy::Drop,
            target: TargetSpec::EMBEDDED,
            traffic: Traffic::default(),
        }
    }

    /// Checks every value against its limit; the error names the value.
    pub fn validate(&self) -> Result<(), Invalid> {
        use LoadField::*;
        let at = |field| move |problem| Invalid { field, problem };
        check_rps(self.rps).map_err(at(Rps))?;
        check_length(self.duration, false).map_err(at(Duration))?;
        check_concurrency(self.concurrency).map_err(at(Concurrency))?;
        check_length(self.ramp_up, true).map_err(at(RampUp))?;
        check_length(self.ramp_down, true).map_err(at(RampDown))?;
        check_length(self.timeout, false).map_err(at(Timeout))?;
        check_length(self.drain, true).map_err(at(Drain))?;
        if let TargetSpec::Embedded(s) = &self.target {
            check_length(s.latency, true).map_err(at(ServerLatency))?;
            check_length(s.jitter, true).map_err(at(ServerJitter))?;
            check_fraction(s.error_rate).map_err(at(ServerErrorRate))?;
        }
        Ok(())
    }

    /// The engine's configuration for this spec, against a started `target`.
    pub fn run_config(&self, target: Target, includes_server: bool) -> RunConfig {
        let mut cfg = RunConfig::steady(self.rps, self.duration, self.concurrency, target);
        cfg.ramp_up = self.ramp_up;
        cfg.ramp_down = self.ramp_down;
        cfg.drain = self.drain;
        cfg.on_full = self.on_full;
        cfg.includes_server = includes_server;
        cfg
    }
}

/// A value of a [`LoadSpec`], as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadField {
    /// [`LoadSpec::rps`].
    Rps,
    /// [`LoadSpec::duration`].
    Duration,
    /// [`LoadSpec::concurrency`].
    Concurrency,
    /// [`LoadSpec::ramp_up`].
    RampUp,
    /// [`LoadSpec::ramp_down`].
    RampDown,
    /// [`LoadSpec::timeout`].
    Timeout,
    /// [`LoadSpec::drain`].
    Drain,
    /// [`ServerSpec::latency`] of an embedded target.
    ServerLatency,
    /// [`ServerSpec::jitter`] of an embedded target.
    ServerJitter,
    /// [`ServerSpec::error_rate`] of an embedded target.
    ServerErrorRate,
}

/// [`LoadSpec::validate`]'s error: which value, what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field:?}: {problem}")]
pub struct Invalid {
    /// The value outside its limit.
    pub field: LoadField,
    /// What is wrong with it.
    pub problem: Problem,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_once_for_every_value() {
        let ok = LoadSpec::steady(1000.0, Duration::from_secs(5), 50);
        assert_eq!(ok.validate(), Ok(()));
        use LoadField as F;
        type Change = fn(&mut LoadSpec);
        let cases: [(Change, LoadField, Problem); 9] = [
            (|s| s.rps = 0.0, F::Rps, Problem::RateNotPositive),
            (|s| s.rps = f64::NAN, F::Rps, Problem::RateNotPositive),
            (|s| s.rps = MAX_RPS * 2.0, F::Rps, Problem::RateTooHigh),
            (|s| s.concurrency = 0, F::Concurrency, Problem::Concurrency),
            (
                |s| s.concurrency = MAX_CONCURRENCY + 1,
                F::Concurrency,
                Problem::Concurrency,
            ),
            (|s| s.duration = Duration::ZERO, F::Duration, Problem::Zero),
            (
                |s| s.ramp_down = MAX_DURATION * 2,
                F::RampDown,
                Problem::TooLong,
            ),
            (|s| s.timeout = Duration::ZERO, F::Timeout, Problem::Zero),
            (
                |s| {
                    s.target = TargetSpec::Embedded(ServerSpec {
                        error_rate: 1.5,
                        ..ServerSpec::NONE
                    })
                },
                F::ServerErrorRate,
                Problem::NotAFraction,
            ),
        ];
        for (change, field, problem) in cases {
            let mut s = ok.clone();
            change(&mut s);
            assert_eq!(s.validate(), Err(Invalid { field, problem }));
        }
        // Zero is a valid ramp and drain; the limits themselves are allowed.
        let mut edge = ok.clone();
        edge.rps = MAX_RPS;
        edge.concurrency = MAX_CONCURRENCY;
        edge.duration = MAX_DURATION;
        edge.drain = Duration::ZERO;
        assert_eq!(edge.validate(), Ok(()));
        assert_eq!(Problem::TooLong.to_string(), "must be at most 1h");
    }

    #[test]
    fn the_engine_gets_the_spec() {
        let mut s = LoadSpec::steady(10.0, Duration::from_secs(2), 3);
        s.ramp_up = Duration::from_secs(1);
        s.drain = Duration::ZERO;
        s.on_full = FullPolicy::Wait;
        let null = Target::Null {
            delay: Duration::ZERO,
        };
        let c = s.run_config(null, true);
        assert_eq!((c.rps, c.duration, c.concurrency), (10.0, s.duration, 3));
        assert_eq!((c.ramp_up, c.drain), (s.ramp_up, Duration::ZERO));
        assert_eq!(c.on_full, FullPolicy::Wait);
        assert!(c.includes_server);
    }
}
