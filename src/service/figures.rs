//! The service's figures from its samples and a run's report (pure): CPU
//! over the steady phase ÷ the requests the steady phase completed, and
//! the highest resident memory sampled in it.
//!
//! Sample times are seconds since the sampler's first sample; the report's
//! phase boundaries are seconds since the run's start, `offset` seconds
//! later (measured by the suite just before it starts the engine, whose
//! clock starts well under a millisecond after that: small against the
//! sampling interval). Cumulative CPU at a boundary is interpolated
//! linearly between the samples around it.

use crate::figure::id;
use std::collections::BTreeMap;

use crate::figure::{Figure, FigureKind};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::schedule::STEADY;

/// One sample of the service's process tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the origin.
    pub t_s: f64,
    /// Cumulative CPU time of the tree (user + system), µs.
    pub cpu_us: f64,
    /// Resident memory of the tree's live processes, bytes.
    pub rss_bytes: u64,
    /// The started process was still running.
    pub alive: bool,
}

/// The cumulative CPU at time `t`, interpolated between the two samples
/// around it; `None` outside the samples.
pub fn cpu_at(samples: &[Sample], t: f64) -> Option<f64> {
    let after = samples.iter().position(|s| s.t_s >= t)?;
    let b = samples[after];
    if b.t_s == t {
        return Some(b.cpu_us);
    }
    let a = samples[after.checked_sub(1)?];
    let span = b.t_s - a.t_s;
    if span <= 0.0 {
        return Some(b.cpu_us);
    }
    Some(a.cpu_us + (b.cpu_us - a.cpu_us) * (t - a.t_s) / span)
}

/// CPU used between `t0` and `t1`, µs.
pub fn cpu_between(samples: &[Sample], t0: f64, t1: f64) -> Option<f64> {
    Some(cpu_at(samples, t1)? - cpu_at(samples, t0)?)
}

/// The highest resident memory sampled between `t0` and `t1`; with no
/// sample inside, the higher of the two around the window.
pub fn peak_rss_between(samples: &[Sample], t0: f64, t1: f64) -> Option<u64> {
    let inside = samples
        .iter()
        .filter(|s| s.t_s >= t0 && s.t_s <= t1)
        .map(|s| s.rss_bytes)
        .max();
    inside.or_else(|| {
        let before = samples.iter().rev().find(|s| s.t_s < t0)?;
        let after = samples.iter().find(|s| s.t_s > t1)?;
        Some(before.rss_bytes.max(after.rss_bytes))
    })
}

/// The window the service is judged over, in the samples' time (the
/// run's shifted by `offset`): the steady phase, else (a run of ramps
/// only) the whole schedule; and the requests it completed.
pub fn judged_window(r: &RunReport, offset: f64) -> Window {
    match r.phases.iter().find(|p| p.name == STEADY) {
        Some(p) => Window {
            start_s: offset + p.start_s,
            end_s: offset + p.end_s,
            completed: p.completed,
        },
        None => Window {
            start_s: offset,
            end_s: offset + r.duration_s,
            completed: r.requests.completed,
        },
    }
}

/// The window a service is judged over ([`judged_window`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Its start and end, seconds in the samples' time.
    pub start_s: f64,
    pub end_s: f64,
    /// The requests the run completed in it.
    pub completed: u64,
}

/// The service's figures for one run: CPU µs per request and % of a core
/// over the judged window, peak RSS in it, and whether it stayed up.
/// Figures that cannot be computed (no samples around the window, no
/// request completed) are not a number.
pub fn service_figures(
    samples: &[Sample],
    r: &RunReport,
    offset: f64,
    alive: bool,
) -> BTreeMap<String, Figure> {
    let Window {
        start_s: t0,
        end_s: t1,
        completed: requests,
    } = judged_window(r, offset);
    let cpu = cpu_between(samples, t0, t1);
    let per_request = match cpu {
        Some(us) if requests > 0 => us / requests as f64,
        _ => f64::NAN,
    };
    let percent = match cpu {
        Some(us) if t1 > t0 => us / ((t1 - t0) * 1e6) * 100.0,
        _ => f64::NAN,
    };
    let rss = peak_rss_between(samples, t0, t1).map_or(f64::NAN, |b| b as f64);
    BTreeMap::from([
        (
            id::SERVICE_CPU_US_PER_REQUEST.to_string(),
            Figure::single(FigureKind::Cpu, "us", per_request),
        ),
        (
            id::SERVICE_PEAK_RSS_BYTES.to_string(),
            Figure::single(FigureKind::Memory, "B", rss),
        ),
        (
            id::SERVICE_CPU_PERCENT.to_string(),
            Figure::single(FigureKind::Info, "%", percent),
        ),
        (
            id::SERVICE_ALIVE.to_string(),
            Figure::single(FigureKind::Alive, "", if alive { 1.0 } else { 0.0 }),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratecheck_engine::metrics::snapshot::PhaseReport;

    fn s(t_s: f64, cpu_us: f64, rss_bytes: u64) -> Sample {
        Sample {
            t_s,
            cpu_us,
            rss_bytes,
            alive: true,
        }
    }

    /// Every 0.1 s from 0 to 3 s; CPU at 1000 µs/s before 1 s, 5000 µs/s
    /// after; RSS 10 MB, 30 MB at 1.5 s, 50 MB at 2.9 s.
    fn samples() -> Vec<Sample> {
        (0..=30)
            .map(|i| {
                let t = i as f64 / 10.0;
                let cpu = if t <= 1.0 {
                    t * 1000.0
                } else {
                    1000.0 + (t - 1.0) * 5000.0
                };
                let rss = match i {
                    15 => 30_000_000,
                    29 => 50_000_000,
                    _ => 10_000_000,
                };
                s(t, cpu, rss)
            })
            .collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn cpu_is_interpolated_at_the_boundaries() {
        let v = samples();
        assert!(close(cpu_at(&v, 0.0), 0.0));
        assert!(close(cpu_at(&v, 0.55), 550.0));
        assert!(close(cpu_at(&v, 1.0), 1000.0));
        assert!(close(cpu_at(&v, 2.25), 1000.0 + 1.25 * 5000.0));
        assert_eq!(cpu_at(&v, -0.1), None, "before the first sample");
        assert_eq!(cpu_at(&v, 3.05), None, "after the last sample");
        assert!(close(cpu_between(&v, 1.0, 2.0), 5000.0));
        assert!(close(cpu_between(&v, 0.95, 1.05), 50.0 + 250.0));
        assert_eq!(cpu_at(&[], 0.0), None);
    }

    #[test]
    fn the_peak_is_the_windows_own() {
        let v = samples();
        assert_eq!(peak_rss_between(&v, 1.0, 2.0), Some(30_000_000));
        assert_eq!(
            peak_rss_between(&v, 1.6, 2.8),
            Some(10_000_000),
            "peaks outside"
        );
        assert_eq!(peak_rss_between(&v, 0.0, 3.0), Some(50_000_000));
        // No sample inside: the samples around it.
        assert_eq!(peak_rss_between(&v, 1.42, 1.48), Some(30_000_000));
        assert_eq!(peak_rss_between(&v, 3.5, 4.0), None);
    }

    fn report(phases: &[(&str, f64, f64, u64)]) -> RunReport {
        let mut r = RunReport::example();
        r.phases = phases
            .iter()
            .map(|&(name, start_s, end_s, completed)| PhaseReport {
                name: name.to_string(),
                start_s,
                end_s,
                expected: completed,
                generated: completed,
                completed,
                efficiency: 1.0,
                generation_efficiency: 1.0,
            })
            .collect();
        r.duration_s = phases.last().map_or(0.0, |p| p.2);
        r.requests.completed = phases.iter().map(|p| p.3).sum();
        r
    }

    #[test]
    fn figures_over_the_steady_phase() {
        let r = report(&[
            ("ramp-up", 0.0, 1.0, 500),
            ("steady", 1.0, 2.0, 1000),
            ("ramp-down", 2.0, 3.0, 500),
        ]);
        let f = service_figures(&samples(), &r, 0.0, true);
        // 5000 µs over the steady second, 1000 requests.
        assert!(
            (f[id::SERVICE_CPU_US_PER_REQUEST].value - 5.0).abs() < 1e-9,
            "{:?}",
            f[id::SERVICE_CPU_US_PER_REQUEST]
        );
        assert_eq!(f[id::SERVICE_CPU_US_PER_REQUEST].kind, FigureKind::Cpu);
        assert_eq!(f[id::SERVICE_PEAK_RSS_BYTES].value, 30_000_000.0);
        assert_eq!(
            (
                f[id::SERVICE_PEAK_RSS_BYTES].kind,
                f[id::SERVICE_PEAK_RSS_BYTES].unit.as_str()
            ),
            (FigureKind::Memory, "B")
        );
        assert!((f[id::SERVICE_CPU_PERCENT].value - 0.5).abs() < 1e-9);
        assert_eq!(f[id::SERVICE_CPU_PERCENT].kind, FigureKind::Info);
        assert_eq!(f[id::SERVICE_ALIVE].value, 1.0);
        assert_eq!(f[id::SERVICE_ALIVE].kind, FigureKind::Alive);
        assert_eq!(
            service_figures(&samples(), &r, 0.0, false)[id::SERVICE_ALIVE].value,
            0.0
        );
    }

    #[test]
    fn ramps_only_use_the_whole_run_and_gaps_are_not_numbers() {
        let r = report(&[("ramp-up", 0.0, 1.5, 750), ("ramp-down", 1.5, 3.0, 750)]);
        let f = service_figures(&samples(), &r, 0.0, true);
        // 11000 µs over 3 s, 1500 requests.
        assert!((f[id::SERVICE_CPU_US_PER_REQUEST].value - 11000.0 / 1500.0).abs() < 1e-9);
        assert_eq!(f[id::SERVICE_PEAK_RSS_BYTES].value, 50_000_000.0);
        // No samples (the sampler could not run), no requests.
        let f = service_figures(&[], &r, 0.0, true);
        assert!(
            f[id::SERVICE_CPU_US_PER_REQUEST].value.is_nan()
                && f[id::SERVICE_PEAK_RSS_BYTES].value.is_nan()
        );
        let idle = report(&[("steady", 1.0, 2.0, 0)]);
        assert!(
            service_figures(&samples(), &idle, 0.0, true)[id::SERVICE_CPU_US_PER_REQUEST]
                .value
                .is_nan()
        );
    }

    #[test]
    fn the_run_is_placed_at_its_offset_in_the_samples() {
        let r = report(&[("steady", 0.5, 1.5, 1000)]);
        // 500 µs before 1 s + 2500 after.
        let f = service_figures(&samples(), &r, 0.0, true);
        assert!((f[id::SERVICE_CPU_US_PER_REQUEST].value - 3.0).abs() < 1e-9);
        // The run began 0.5 s after the first sample: [1, 2] s in its time.
        let f = service_figures(&samples(), &r, 0.5, true);
        assert!((f[id::SERVICE_CPU_US_PER_REQUEST].value - 5.0).abs() < 1e-9);
        assert_eq!(f[id::SERVICE_PEAK_RSS_BYTES].value, 30_000_000.0);
    }
}
