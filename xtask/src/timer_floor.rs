//! `cargo xtask timer-floor`: how late this machine's timer wakes a thread
//! that sleeps to absolute deadlines, with no engine around it.
//!
//! The engine's schedule lag (actual send − intended send) cannot be lower
//! than the lateness of the timer that wakes its generator. On a virtual
//! machine that lateness is tens of microseconds at the median and moves
//! with the host's noise, so the engine's lag goals are stated against this
//! floor measured in the same run: one thread, timer slack 1 ns, sleeping
//! with `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` to the intended
//! time of each request at a fixed rate, recording how late each wake is.

use std::time::Duration;

use anyhow::{bail, Result};

use crate::peers::args::{format_duration, parse_duration, parse_rates};

/// Options of `cargo xtask timer-floor`.
#[derive(Debug, Clone, PartialEq)]
pub struct FloorOptions {
    pub rates: Vec<f64>,
    pub duration: Duration,
    /// One JSON line per rate (for `cargo xtask peers`) instead of a table.
    pub json: bool,
}

impl FloorOptions {
    pub fn parse(args: &[String]) -> Result<FloorOptions> {
        let mut o = FloorOptions {
            rates: vec![1000.0, 10_000.0],
            duration: Duration::from_secs(5),
            json: false,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let Some(value) = it.next() else {
                bail!("{flag} needs a value");
            };
            match flag.as_str() {
                "--rates" => o.rates = parse_rates(value)?,
                "--duration" => o.duration = parse_duration(value)?,
                "--format" => {
                    o.json = match value.as_str() {
                        "json" => true,
                        "human" => false,
                        other => bail!("--format {other}: expected human or json"),
                    }
                }
                other => bail!(
                    "unknown option `{other}` (timer-floor takes --rates, --duration, --format)"
                ),
            }
        }
        Ok(o)
    }
}

/// Lateness percentiles of one floor run, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Floor {
    pub rate: f64,
    pub wakes: usize,
    pub duration_s: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// The `q` quantile (0..=1) of sorted values, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises the lateness of each wake (nanoseconds).
pub fn summarise(rate: f64, duration_s: f64, mut late_ns: Vec<u64>) -> Floor {
    late_ns.sort_unstable();
    let us: Vec<f64> = late_ns.iter().map(|&n| n as f64 / 1e3).collect();
    Floor {
        rate,
        wakes: us.len(),
        duration_s,
        p50_us: quantile(&us, 0.50),
        p90_us: quantile(&us, 0.90),
        p99_us: quantile(&us, 0.99),
        max_us: us.last().copied().unwrap_or(f64::NAN),
    }
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn sleep_until_ns(deadline: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline % 1_000_000_000) as libc::c_long,
    };
    // SAFETY: `ts` is a valid timespec; a null remainder is allowed with
    // TIMER_ABSTIME. An EINTR wake is measured as it is (early wakes read 0).
    unsafe {
        libc::clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            libc::TIMER_ABSTIME,
            &ts,
            std::ptr::null_mut(),
        )
    };
}

/// Sleeps to each intended time of a `rate` schedule for `duration` and
/// records how late every wake is (deadlines already past when their turn
/// comes are skipped), on the calling thread (timer slack set to
/// 1 ns for it).
pub fn measure(rate: f64, duration: Duration) -> Floor {
    // SAFETY: PR_SET_TIMERSLACK takes the slack in ns for this thread.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
    let interval = 1e9 / rate;
    let n = (rate * duration.as_secs_f64()).floor() as usize;
    let start = now_ns();
    let mut late = Vec::with_capacity(n);
    for k in 1..=n {
        let deadline = start + (k as f64 * interval) as u64;
        // Above ~1/(wake cost) per second the loop cannot keep up: a
        // deadline already past is no timer wake and is not counted, so the
        // figure stays the timer's own lateness.
        if now_ns() >= deadline {
            continue;
        }
        sleep_until_ns(deadline);
        late.push(now_ns().saturating_sub(deadline));
    }
    summarise(rate, duration.as_secs_f64(), late)
}

pub fn run(opts: &FloorOptions) -> Result<()> {
    if opts.json {
        for &rate in &opts.rates {
            println!("{}", serde_json::to_string(&measure(rate, opts.duration))?);
        }
        return Ok(());
    }
    println!(
        "timer floor: one thread sleeping to absolute deadlines (clock_nanosleep, slack 1 ns), {} per rate",
        format_duration(opts.duration)
    );
    println!(
        "{:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "rate", "wakes", "p50 µs", "p90 µs", "p99 µs", "max µs"
    );
    for &rate in &opts.rates {
        let f = measure(rate, opts.duration);
        println!(
            "{:>10} {:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            rate, f.wakes, f.p50_us, f.p90_us, f.p99_us, f.max_us
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.99), 10.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn summary_is_in_microseconds() {
        let f = summarise(1000.0, 1.0, vec![3000, 1000, 2000, 50_000]);
        assert_eq!(f.wakes, 4);
        assert_eq!(f.p50_us, 2.0);
        assert_eq!(f.max_us, 50.0);
    }

    #[test]
    fn options_parse_and_reject() {
        let o = FloorOptions::parse(&["--rates".into(), "200,5000".into()]).unwrap();
        assert_eq!(o.rates, vec![200.0, 5000.0]);
        assert!(FloorOptions::parse(&["--rate".into(), "1".into()]).is_err());
        assert!(FloorOptions::parse(&["--duration".into()]).is_err());
        assert!(
            FloorOptions::parse(&["--format".into(), "json".into()])
                .unwrap()
                .json
        );
        assert!(FloorOptions::parse(&["--format".into(), "xml".into()]).is_err());
    }
}
