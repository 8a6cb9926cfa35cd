//! The 1-second start-up self-test: the limiter and the collector against the
//! null target at 1000 requests/s. It proves the engine can hold a rate on
//! this machine right now before any figure is trusted. Passes when
//! efficiency reaches [`EFFICIENCY_FLOOR`] (95%) and the counters agree with each other.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::analyze::EFFICIENCY_FLOOR;
use super::clock::SharedClock;
use super::run::{run, EngineError, RunConfig};
use super::target::Target;
use crate::metrics::snapshot::RunReport;

/// Self-test rate, requests per second.
pub const RATE: f64 = 1000.0;
/// Self-test length.
pub const DURATION: Duration = Duration::from_secs(1);

/// The self-test's verdict and the run behind it.
#[derive(Debug, Clone)]
pub struct SelfTest {
    /// Efficiency reached [`EFFICIENCY_FLOOR`] and the counters agree.
    pub passed: bool,
    /// What failed, empty when passed.
    pub problems: Vec<String>,
    /// The run behind the verdict.
    pub report: RunReport,
}

/// Judges a self-test run. Pure.
pub(crate) fn judge(report: RunReport) -> SelfTest {
    let mut problems = Vec::new();
    let q = report.requests;
    if report.efficiency < EFFICIENCY_FLOOR {
        problems.push(format!(
            "efficiency {:.1}% is below {:.0}% (expected {}, completed {})",
            report.efficiency * 100.0,
            EFFICIENCY_FLOOR * 100.0,
            q.expected,
            q.completed
        ));
    }
    if !q.is_consistent() {
        problems.push(format!(
            "inconsistent counters: succeeded {} + failed {} != completed {} or completed > generated {}",
            q.succeeded, q.failed, q.completed, q.generated
        ));
    }
    if report.diagnostics.limiter_granted != q.generated {
        problems.push(format!(
            "the limiter granted {} tokens but {} requests were generated",
            report.diagnostics.limiter_granted, q.generated
        ));
    }
    if q.generated != q.completed + q.dropped + report.diagnostics.abandoned_in_flight {
        problems.push(format!(
            "requests unaccounted for: generated {} != completed {} + dropped {} + abandoned {}",
            q.generated, q.completed, q.dropped, report.diagnostics.abandoned_in_flight
        ));
    }
    if q.failed > 0 {
        problems.push(format!("{} requests to the null target failed", q.failed));
    }
    SelfTest {
        passed: problems.is_empty(),
        problems,
        report,
    }
}

/// Runs the self-test on the current tokio runtime.
pub async fn self_test(clock: SharedClock) -> Result<SelfTest, EngineError> {
    let mut cfg = RunConfig::steady(
        RATE,
        DURATION,
        10,
        Target::Null {
            delay: Duration::ZERO,
        },
    );
    cfg.drain = Duration::from_secs(1);
    let report = run(&cfg, clock, CancellationToken::new(), None).await?;
    Ok(judge(report))
}

/// [`self_test`] on the system clock.
pub async fn self_test_now() -> Result<SelfTest, EngineError> {
    self_test(Arc::new(super::clock::SystemClock::new())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;

    #[tokio::test(start_paused = true)]
    async fn passes_on_a_healthy_engine() {
        let st = self_test(Arc::new(TokioClock::new())).await.unwrap();
        assert!(st.passed, "{:?}", st.problems);
        assert_eq!(st.report.requests.expected, 1000);
    }

    #[test]
    fn fails_on_low_efficiency_and_inconsistent_counters() {
        let mut r = RunReport::example();
        r.efficiency = 0.5;
        r.requests.succeeded += 1;
        let st = judge(r);
        assert!(!st.passed);
        assert_eq!(st.problems.len(), 4, "{:?}", st.problems);
        assert!(st.problems[0].contains("50.0%"));
        assert!(st.problems[1].contains("inconsistent"));
    }
}
