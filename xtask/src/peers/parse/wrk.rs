//! Figures from wrk's `--latency` text.

use anyhow::{bail, Context, Result};

use super::Figures;

/// wrk `--latency` text: `N requests in 10.00s`, and the latency
/// distribution with units (us, ms, s, m, h).
pub fn parse_wrk(stdout: &str) -> Result<Figures> {
    let mut f = Figures::default();
    let mut saw_requests = false;
    let mut in_dist = false;
    for line in stdout.lines() {
        let t = line.trim();
        if t == "Latency Distribution" {
            in_dist = true;
            continue;
        }
        if in_dist {
            if let Some((pct, value)) = t.split_once('%') {
                let ms = parse_wrk_time(value.trim());
                match pct.trim() {
                    "50" => f.p50_ms = ms,
                    "99" => f.p99_ms = ms,
                    _ => {}
                }
                continue;
            }
            in_dist = false;
        }
        if let Some((count, rest)) = t.split_once(" requests in ") {
            f.completed = count
                .trim()
                .parse()
                .with_context(|| format!("wrk: unreadable request count in `{t}`"))?;
            let elapsed = rest.split(',').next().unwrap_or("").trim();
            f.elapsed_s = parse_wrk_time(elapsed)
                .with_context(|| format!("wrk: unreadable duration in `{t}`"))?
                / 1000.0;
            saw_requests = true;
        }
    }
    if !saw_requests {
        bail!("wrk printed no `N requests in T` line");
    }
    Ok(f)
}

/// wrk's time with its unit (`812.00us`, `1.08ms`, `2.11s`, `1.00m`) in ms.
fn parse_wrk_time(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::close;
    use crate::peers::parse::test_support::{assert_read, WRK, WRK_404};

    #[test]
    fn parses_wrk_latency_and_counts() {
        let f = parse_wrk(WRK).unwrap();
        assert_read(&f, 5060, 2.11, Some((1.08, 24.17)));
        let f = parse_wrk(WRK_404).unwrap();
        assert_read(&f, 1109, 1.0, Some((1.39, 15.99)));
    }

    #[test]
    fn wrk_time_units() {
        assert!(close(parse_wrk_time("812.00us"), 0.812));
        assert!(close(parse_wrk_time("2.11s"), 2110.0));
        assert!(close(parse_wrk_time("1.00m"), 60_000.0));
        assert_eq!(parse_wrk_time("12parsecs"), None);
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n").is_err());
    }

    #[test]
    fn wrk_reads_seconds_and_minutes() {
        // Hand-written: a slow run whose latencies and duration need other units.
        let out = "Running 1m test @ http://127.0.0.1:1/\n  Latency Distribution\n\
            \x20    50%  812.00us\n     99%    1.50s\n  42 requests in 1.00m, 1.00KB read\n\
            Requests/sec:      0.70\n";
        let f = parse_wrk(out).unwrap();
        assert_read(&f, 42, 60.0, Some((0.812, 1500.0)));
    }

    #[test]
    fn wrk_unreadable_count_is_an_error() {
        let err = parse_wrk("  many requests in 2.00s, 1MB read\n").unwrap_err();
        assert!(err.to_string().contains("request count"), "{err}");
    }
}
