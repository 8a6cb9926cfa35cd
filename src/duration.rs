//! Durations as the configuration, the command line and every message
//! write them: `500ms`, `5s`, `2m`. The bottom layer: it uses nothing of
//! the crate, and the command line, the configuration, services, the suite
//! and revisions use it.

use std::time::Duration;

/// Parses a duration: a non-negative decimal number and a unit, `us` (or
/// `µs`), `ms`, `s`, `m` or `h`: `250us`, `500ms`, `1.5s`, `2m`. Zero is
/// accepted (`0s`); callers that need a positive duration check
/// `is_zero()`. Errors say what was wrong and what is allowed.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    const HINT: &str = "write a number and a unit: us, ms, s, m or h (e.g. 500ms, 5s, 2m)";
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("empty duration; {HINT}"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit_ns: u128 = match unit.trim() {
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "" if !num.is_empty() => return Err(format!("{s:?} has no unit; {HINT}")),
        _ if t.starts_with('-') => return Err(format!("{s:?} is negative; {HINT}")),
        _ => return Err(format!("{s:?} is not a duration; {HINT}")),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.contains('.')
        || int.len() > 20
        || frac.len() > 20
    {
        return Err(format!("{s:?} is not a duration; {HINT}"));
    }
    let int_v: u128 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("{s:?} is not a duration; {HINT}"))?
    };
    let frac_ns = if frac.is_empty() {
        0
    } else {
        let f: u128 = frac
            .parse()
            .map_err(|_| format!("{s:?} is not a duration; {HINT}"))?;
        f * unit_ns / 10u128.pow(frac.len() as u32)
    };
    let total = int_v
        .checked_mul(unit_ns)
        .and_then(|n| n.checked_add(frac_ns))
        .ok_or_else(|| format!("{s:?} is too long"))?;
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| format!("{s:?} is too long"))?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// The shortest exact text [`parse_duration`] reads back: `5s`, `1.5s`,
/// `500ms`, `250us`, `2m`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    let trim = |whole: u128, frac: u128, digits: usize, unit: &str| {
        if frac == 0 {
            format!("{whole}{unit}")
        } else {
            let f = format!("{frac:0digits$}");
            format!("{whole}.{}{unit}", f.trim_end_matches('0'))
        }
    };
    if ns.is_multiple_of(60_000_000_000) && ns >= 60_000_000_000 {
        format!("{}m", ns / 60_000_000_000)
    } else if ns >= 1_000_000_000 {
        trim(ns / 1_000_000_000, ns % 1_000_000_000, 9, "s")
    } else if ns >= 1_000_000 {
        trim(ns / 1_000_000, ns % 1_000_000, 6, "ms")
    } else {
        trim(ns / 1_000, ns % 1_000, 3, "us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let ok = |s: &str| parse_duration(s).unwrap();
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("5s"), Duration::from_secs(5));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("250us"), Duration::from_micros(250));
        assert_eq!(ok("0.1s"), Duration::from_millis(100));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok(" 3 s "), Duration::from_secs(3));
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("0.0000001s"), Duration::from_nanos(100));
    }

    #[test]
    fn durations_reject_garbage() {
        for bad in [
            "",
            " ",
            "5",
            "-5s",
            "s",
            "5x",
            "1.2.3s",
            "abc",
            "5 s s",
            "1e3ms",
            "NaNs",
            "infs",
            ".s",
            "+5s",
            "99999999999999999999h",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(!e.is_empty() && !e.contains('\n'), "{bad:?}: {e}");
        }
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
    }

    #[test]
    fn durations_format_round_trip() {
        for d in [
            Duration::ZERO,
            Duration::from_secs(5),
            Duration::from_millis(1500),
            Duration::from_millis(500),
            Duration::from_micros(250),
            Duration::from_secs(120),
            Duration::from_secs(90),
            Duration::from_nanos(1_234_567),
        ] {
            let s = format_duration(d);
            assert_eq!(parse_duration(&s).unwrap(), d, "{s}");
        }
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    }
}
