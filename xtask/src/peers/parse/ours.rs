//! Figures from cargo-ratecheck's own `run --format json` report.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::Figures;

/// The fields of cargo-ratecheck's RunReport JSON the table needs.
#[derive(Deserialize)]
struct OurReport {
    duration_s: f64,
    efficiency: f64,
    requests: OurRequests,
    latency_ms: OurLatency,
    /// Written since the pacing budget (2026-12-06).
    #[serde(default)]
    pacing: Option<OurPacing>,
}
#[derive(Deserialize)]
struct OurPacing {
    early_share: f64,
}
#[derive(Deserialize)]
struct OurRequests {
    completed: u64,
}
#[derive(Deserialize)]
struct OurLatency {
    response: OurPercentiles,
    schedule_lag: OurPercentiles,
    #[serde(default)]
    early: Option<OurPercentiles>,
}
#[derive(Deserialize, Default)]
struct OurPercentiles {
    p50: f64,
    #[serde(default)]
    p90: f64,
    p99: f64,
}

/// cargo-ratecheck `run --format json`.
pub fn parse_ours(stdout: &str) -> Result<Figures> {
    let r: OurReport = serde_json::from_str(stdout.trim())
        .context("cargo-ratecheck printed no RunReport JSON (missing duration_s, efficiency, requests.completed, latency_ms.response or latency_ms.schedule_lag)")?;
    Ok(Figures {
        completed: r.requests.completed,
        elapsed_s: r.duration_s,
        efficiency: Some(r.efficiency),
        p50_ms: Some(r.latency_ms.response.p50),
        p99_ms: Some(r.latency_ms.response.p99),
        lag_ms: Some([
            r.latency_ms.schedule_lag.p50,
            r.latency_ms.schedule_lag.p90,
            r.latency_ms.schedule_lag.p99,
        ]),
        early: r.pacing.map(|p| {
            let p50 = r.latency_ms.early.map_or(0.0, |e| e.p50);
            (p.early_share, p50)
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::parse::test_support::assert_read;

    #[test]
    fn parses_our_run_report() {
        let json = r#"{ "schema_version": 1, "target_rps": 1000.0, "duration_s": 10.0,
            "concurrency": 100, "efficiency": 0.9991, "generation_efficiency": 1.0,
            "min_window_efficiency": 0.998,
            "requests": { "expected": 10000, "generated": 10000, "completed": 9991,
                          "succeeded": 9991, "failed": 0, "dropped": 0 },
            "phases": [],
            "latency_ms": { "response": {"p50": 0.4, "p90": 0.6, "p99": 1.5, "p999": 3.0, "max": 9.0},
                            "service": {},
                            "schedule_lag": {"p50": 0.05, "p90": 0.07, "p99": 0.2, "p999": 1.0, "max": 2.0} },
            "cpu": { "user_s": 0.1, "system_s": 0.1, "percent_of_core": 2.0 },
            "memory": { "peak_rss_bytes": 1000 }, "warnings": [] }"#;
        let f = parse_ours(json).unwrap();
        assert_read(&f, 9991, 10.0, Some((0.4, 1.5)));
        assert_eq!(f.efficiency, Some(0.9991));
        assert_eq!(f.lag_ms, Some([0.05, 0.07, 0.2]));
        assert_eq!(f.early, None, "written before the pacing budget");
        let paced = json.replace(
            r#""warnings": []"#,
            r#""warnings": [], "pacing": {"early_share": 0.4}"#,
        );
        let paced = paced.replace(
            r#""service": {},"#,
            r#""service": {}, "early": {"p50": 0.06, "p99": 0.1},"#,
        );
        assert_eq!(parse_ours(&paced).unwrap().early, Some((0.4, 0.06)));
        assert!(parse_ours("error: unknown flag --no-self-test").is_err());
    }

    #[test]
    fn our_report_without_latency_is_an_error() {
        let err = parse_ours(
            r#"{ "duration_s": 1.0, "efficiency": 1.0, "requests": { "completed": 1 } }"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("latency_ms.response"), "{err}");
    }
}
