//! The statistics: one run's record (achieved rate and efficiency from what
//! the tool reported and what the parent measured) and medians over repeats.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::parse::Figures;
use super::{Set, Tool};
use crate::proc;

/// One run of one tool, as kept by `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub tool: Tool,
    /// The row set: which server, which protocol.
    pub set: Set,
    /// `None` for wrk (no rate control).
    pub target_rps: Option<f64>,
    pub repeat: u32,
    pub command: String,
    /// `None` when the run succeeded.
    pub error: Option<String>,
    pub completed: Option<u64>,
    pub achieved_rps: Option<f64>,
    pub efficiency: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Schedule lag p50 / p90 / p99, ms (ours and the timer floor).
    pub lag_ms: Option<[f64; 3]>,
    /// Share of requests sent early, and how early at the median, ms (ours).
    pub early: Option<(f64, f64)>,
    pub wall_s: f64,
    pub cpu_percent_of_core: f64,
    pub peak_rss_bytes: u64,
}

impl RunRecord {
    /// Combines what the parent measured with what the tool reported.
    pub fn from_figures(
        tool: Tool,
        target_rps: Option<f64>,
        duration: Duration,
        repeat: u32,
        command: String,
        measured: &proc::Measured,
        figures: Result<Figures>,
    ) -> RunRecord {
        let mut rec = RunRecord {
            tool,
            set: Set::Plain,
            target_rps,
            repeat,
            command,
            error: None,
            completed: None,
            achieved_rps: None,
            efficiency: None,
            p50_ms: None,
            p99_ms: None,
            lag_ms: None,
            early: None,
            wall_s: measured.wall.as_secs_f64(),
            cpu_percent_of_core: measured.cpu_percent_of_core(),
            peak_rss_bytes: measured.peak_rss_bytes,
        };
        let figures = if measured.success() {
            figures
        } else {
            Err(anyhow::anyhow!("{}", measured.failure_summary()))
        };
        match figures {
            Err(e) => rec.error = Some(format!("{e:#}")),
            Ok(f) => {
                let elapsed = if f.elapsed_s > 0.0 {
                    f.elapsed_s
                } else {
                    duration.as_secs_f64()
                };
                rec.completed = Some(f.completed);
                rec.achieved_rps = Some(f.completed as f64 / elapsed);
                rec.efficiency = match (f.efficiency, target_rps) {
                    (Some(e), _) => Some(e),
                    (None, Some(r)) => Some(f.completed as f64 / (r * duration.as_secs_f64())),
                    (None, None) => None,
                };
                rec.p50_ms = f.p50_ms;
                rec.p99_ms = f.p99_ms;
                rec.lag_ms = f.lag_ms;
                rec.early = f.early;
            }
        }
        rec
    }
}

impl RunRecord {
    /// One line for the progress output: what the run achieved, or why it
    /// failed.
    pub fn summary_line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("failed: {e}");
        }
        let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("—".to_string(), f);
        format!(
            "achieved {:.0} rps, efficiency {}, p50 {} ms, p99 {} ms, lag p50 {} µs, early {}, CPU {:.1}% of a core, peak RSS {:.1} MB",
            self.achieved_rps.unwrap_or_default(),
            opt(self.efficiency, &|e| format!("{:.2}%", e * 100.0)),
            opt(self.p50_ms, &|p| format!("{p:.3}")),
            opt(self.p99_ms, &|p| format!("{p:.3}")),
            opt(self.lag_ms.map(|l| l[0]), &|l| format!("{:.0}", l * 1e3)),
            opt(self.early.map(|e| e.0), &|e| format!("{:.0}%", e * 100.0)),
            self.cpu_percent_of_core,
            self.peak_rss_bytes as f64 / 1e6,
        )
    }
}

/// Median of the values (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::parse::{parse_wrk, test_support::WRK};
    use crate::peers::{close, measured_ok, record};

    #[test]
    fn peer_efficiency_is_completed_over_rate_times_duration() {
        let f = Figures {
            completed: 9_500,
            elapsed_s: 10.5,
            ..Default::default()
        };
        let rec = record(
            Tool::Hey,
            Some(1000.0),
            10,
            &measured_ok(10.5, 2.1, 8_000_000),
            Ok(f),
        );
        assert!(close(rec.efficiency, 0.95));
        assert!(close(rec.achieved_rps, 9_500.0 / 10.5));
        assert!((rec.cpu_percent_of_core - 20.0).abs() < 1e-9);
        assert_eq!(rec.error, None);
    }

    #[test]
    fn failed_child_becomes_an_error_record() {
        let m = proc::Measured {
            exit_code: Some(2),
            stderr: "error: bad flag\n".into(),
            ..Default::default()
        };
        let rec = record(Tool::Oha, Some(10.0), 1, &m, Ok(Figures::default()));
        assert_eq!(rec.error.as_deref(), Some("exit code 2: error: bad flag"));
        assert_eq!(rec.efficiency, None);
    }

    #[test]
    fn wrk_has_no_efficiency() {
        let rec = record(
            Tool::Wrk,
            None,
            2,
            &measured_ok(2.1, 1.0, 1),
            parse_wrk(WRK),
        );
        assert_eq!(rec.efficiency, None);
        assert!(close(rec.achieved_rps, 5060.0 / 2.11));
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn our_own_efficiency_wins_and_zero_elapsed_uses_the_asked_duration() {
        let f = Figures {
            completed: 1_000,
            elapsed_s: 0.0,
            efficiency: Some(0.5),
            ..Default::default()
        };
        let rec = record(
            Tool::CargoRatecheck,
            Some(100.0),
            4,
            &measured_ok(4.0, 1.0, 1),
            Ok(f),
        );
        assert_eq!(rec.efficiency, Some(0.5));
        assert!(close(rec.achieved_rps, 250.0));
    }

    #[test]
    fn unparsable_output_becomes_an_error_record() {
        let rec = record(
            Tool::Hey,
            Some(10.0),
            1,
            &measured_ok(1.0, 0.1, 1),
            Err(anyhow::anyhow!("hey printed no summary")),
        );
        assert_eq!(rec.error.as_deref(), Some("hey printed no summary"));
        assert_eq!(rec.completed, None);
        assert_eq!(rec.achieved_rps, None);
    }
}
