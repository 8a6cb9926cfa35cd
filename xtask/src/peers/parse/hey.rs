//! Figures from hey's text summary.

use anyhow::{bail, Context, Result};

use super::{first_number, Figures};

/// hey's text summary: `Total:`, the latency distribution (seconds), and the
/// status code and error distributions (completed = their sum).
pub fn parse_hey(stdout: &str) -> Result<Figures> {
    #[derive(PartialEq)]
    enum Section {
        Other,
        Latency,
        Status,
        Errors,
    }
    let mut section = Section::Other;
    let mut f = Figures::default();
    let mut saw_total = false;
    for line in stdout.lines() {
        let t = line.trim();
        match t {
            "Latency distribution:" => section = Section::Latency,
            "Status code distribution:" => section = Section::Status,
            "Error distribution:" => section = Section::Errors,
            _ if !line.starts_with(' ') && !t.is_empty() => section = Section::Other,
            _ => {}
        }
        if let Some(rest) = t.strip_prefix("Total:") {
            f.elapsed_s = first_number(rest).context("hey: unreadable `Total:` line")?;
            saw_total = true;
            continue;
        }
        match section {
            Section::Latency => {
                if let Some((pct, rest)) = t.split_once("% in ") {
                    let ms = first_number(rest).map(|s| s * 1000.0);
                    match pct.trim() {
                        "50" => f.p50_ms = ms,
                        "99" => f.p99_ms = ms,
                        _ => {}
                    }
                }
            }
            Section::Status | Section::Errors => {
                // `[200]\t100 responses` / `[10]\tGet "...": dial tcp ...`
                if let Some(rest) = t.strip_prefix('[') {
                    let (a, b) = rest
                        .split_once(']')
                        .context("hey: unreadable distribution line")?;
                    let count = if section == Section::Status { b } else { a };
                    f.completed += first_number(count)
                        .with_context(|| format!("hey: unreadable count in `{t}`"))?
                        as u64;
                }
            }
            Section::Other => {}
        }
    }
    if !saw_total {
        bail!("hey printed no summary (no `Total:` line)");
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::parse::test_support::{assert_read, HEY, HEY_ERR};

    #[test]
    fn parses_hey_summary() {
        let f = parse_hey(HEY).unwrap();
        assert_read(&f, 100, 2.0091, Some((3.6, 11.1)));
        assert_eq!(f.efficiency, None);
    }

    #[test]
    fn hey_errors_count_as_completed_and_leave_no_latency() {
        let f = parse_hey(HEY_ERR).unwrap();
        assert_read(&f, 10, 1.0032, None);
    }

    #[test]
    fn hey_without_summary_is_an_error() {
        let err = parse_hey("flag provided but not defined: -x\n").unwrap_err();
        assert!(err.to_string().contains("no summary"), "{err}");
    }

    #[test]
    fn hey_sums_every_status_and_error_line() {
        // Hand-written: two status codes, one transport error, latencies in seconds.
        let out = "\nSummary:\n  Total:\t10.0005 secs\n\n\
            Latency distribution:\n  10% in 0.0010 secs\n  50% in 0.0020 secs\n  99% in 0.0250 secs\n\n\
            Status code distribution:\n  [200]\t970 responses\n  [503]\t20 responses\n\n\
            Error distribution:\n  [7]\tGet \"http://127.0.0.1:1/\": context deadline exceeded\n";
        let f = parse_hey(out).unwrap();
        assert_read(&f, 997, 10.0005, Some((2.0, 25.0)));
    }

    #[test]
    fn hey_unreadable_lines_are_errors() {
        let err = parse_hey("Summary:\n  Total:\tsoon\n").unwrap_err();
        assert!(err.to_string().contains("Total:"), "{err}");
        let err = parse_hey("Summary:\n  Total:\t1.0 secs\nStatus code distribution:\n  [200\n")
            .unwrap_err();
        assert!(err.to_string().contains("distribution line"), "{err}");
    }
}
