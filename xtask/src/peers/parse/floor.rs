//! Figures from `cargo xtask timer-floor --format json`: the machine's timer
//! lateness at one rate, shown as the floor of every tool's schedule lag.

use anyhow::{Context, Result};
use serde::Deserialize;

use super::Figures;

#[derive(Deserialize)]
struct Floor {
    wakes: u64,
    duration_s: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
}

/// One JSON line of `timer-floor --format json`.
pub fn parse_floor(stdout: &str) -> Result<Figures> {
    let f: Floor = serde_json::from_str(stdout.trim())
        .context("timer-floor printed no JSON line (wakes, duration_s, p50_us, p90_us, p99_us)")?;
    Ok(Figures {
        completed: f.wakes,
        elapsed_s: f.duration_s,
        lag_ms: Some([f.p50_us / 1e3, f.p90_us / 1e3, f.p99_us / 1e3]),
        ..Figures::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_floor_in_ms() {
        let f = parse_floor(
            r#"{"rate":1000.0,"wakes":5000,"duration_s":5.0,"p50_us":48.5,"p90_us":60.0,"p99_us":150.0,"max_us":900.0}"#,
        )
        .unwrap();
        assert_eq!(f.completed, 5000);
        assert_eq!(f.lag_ms, Some([0.0485, 0.06, 0.15]));
        assert_eq!((f.p50_ms, f.efficiency), (None, None));
        assert!(parse_floor("rate wakes").is_err());
    }
}
