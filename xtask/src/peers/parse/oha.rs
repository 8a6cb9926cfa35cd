//! Figures from oha's `--output-format json` summary.

use anyhow::{Context, Result};

use super::Figures;

/// oha `--output-format json`: latencies are in seconds; completed counts
/// every response (any status) and every error except the in-flight requests
/// oha aborts when its `-z` deadline ends (they never completed).
pub fn parse_oha(stdout: &str) -> Result<Figures> {
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).context("oha printed no JSON summary")?;
    let total = v["summary"]["total"]
        .as_f64()
        .context("oha JSON has no summary.total")?;
    let responses: u64 = v["statusCodeDistribution"]
        .as_object()
        .context("oha JSON has no statusCodeDistribution")?
        .values()
        .filter_map(|n| n.as_u64())
        .sum();
    let errors: u64 = v["errorDistribution"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(kind, _)| !kind.contains("aborted due to deadline"))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    let pct = |key: &str| v["latencyPercentiles"][key].as_f64().map(|s| s * 1000.0);
    Ok(Figures {
        completed: responses + errors,
        elapsed_s: total,
        efficiency: None,
        p50_ms: pct("p50"),
        p99_ms: pct("p99"),
        lag_ms: None,
        early: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::parse::test_support::{assert_read, OHA, OHA_ERR};

    #[test]
    fn parses_oha_json() {
        let f = parse_oha(OHA).unwrap();
        // 100 responses; the one request aborted at the deadline never completed.
        assert_read(&f, 100, 2.000860335, Some((0.588047, 3.190528)));
    }

    #[test]
    fn oha_transport_errors_count_but_deadline_aborts_do_not() {
        let f = parse_oha(OHA_ERR).unwrap();
        assert_read(&f, 10, 1.001523495, None);
    }

    #[test]
    fn oha_garbage_is_an_error() {
        assert!(parse_oha("error: invalid value 'x' for '-q'").is_err());
        assert!(parse_oha("{}").is_err());
    }

    #[test]
    fn oha_counts_every_status_and_converts_seconds() {
        // Hand-written: two status codes, a timeout error and one deadline abort.
        let out = r#"{
            "summary": { "total": 10.002 },
            "latencyPercentiles": { "p50": 0.0015, "p99": 0.04 },
            "statusCodeDistribution": { "200": 9000, "500": 900 },
            "errorDistribution": { "timeout": 50, "aborted due to deadline": 30 }
        }"#;
        let f = parse_oha(out).unwrap();
        assert_read(&f, 9950, 10.002, Some((1.5, 40.0)));
        assert_eq!(f.efficiency, None);
    }

    #[test]
    fn oha_without_a_status_distribution_is_an_error() {
        let err = parse_oha(r#"{ "summary": { "total": 1.0 } }"#).unwrap_err();
        assert!(err.to_string().contains("statusCodeDistribution"), "{err}");
    }
}
