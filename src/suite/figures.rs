//! Figures from run reports (pure): a load scenario's, CPU per request,
//! rate labels.

use std::collections::BTreeMap;

use crate::figure::id;
use crate::figure::{Figure, FigureKind};
use ratecheck_engine::metrics::snapshot::RunReport;

/// The figures of a load scenario.
pub fn load_figures(r: &RunReport) -> BTreeMap<String, Figure> {
    use FigureKind::*;
    let one = |kind, unit: &str, v: f64| Figure::single(kind, unit, v);
    let mut f = BTreeMap::new();
    f.insert(id::EFFICIENCY.into(), one(Efficiency, "", r.efficiency));
    f.insert(id::ERROR_RATE.into(), one(ErrorRate, "", r.error_rate()));
    f.insert(
        id::GENERATION_EFFICIENCY.into(),
        one(Info, "", r.generation_efficiency),
    );
    f.insert(
        id::MIN_WINDOW_EFFICIENCY.into(),
        one(Info, "", r.min_window_efficiency),
    );
    for p in &r.phases {
        if r.phases.len() > 1 {
            f.insert(
                id::efficiency_of_phase(&p.name),
                one(Efficiency, "", p.efficiency),
            );
        }
    }
    // The median response time of a steady run is judged (same machine
    // only, with the latency tolerance and slack); a ramp's mixes rates, and
    // a single run's p99 moves several-fold with the host, so those are shown.
    let p50_kind = if r.phases.len() <= 1 { Latency } else { Info };
    f.insert(
        id::RESPONSE_P50_MS.into(),
        one(p50_kind, "ms", r.latency_ms.response.p50),
    );
    // The pacing's own lag, judged like the response time (same machine).
    f.insert(
        id::SCHEDULE_LAG_P50_US.into(),
        one(p50_kind, "us", r.latency_ms.schedule_lag.p50 * 1e3),
    );
    f.insert(
        id::RESPONSE_P99_MS.into(),
        one(Info, "ms", r.latency_ms.response.p99),
    );
    f.insert(id::DROPPED.into(), one(Info, "", r.requests.dropped as f64));
    f
}

/// CPU µs per completed request of one run.
pub fn cpu_us_per_request(r: &RunReport) -> f64 {
    if r.requests.completed == 0 {
        return f64::NAN;
    }
    (r.cpu.user_s + r.cpu.system_s) * 1e6 / r.requests.completed as f64
}

/// CPU ms per second of a run's schedule (its ramps included).
pub fn cpu_ms_per_schedule_s(r: &RunReport) -> f64 {
    if r.duration_s <= 0.0 {
        return f64::NAN;
    }
    (r.cpu.user_s + r.cpu.system_s) * 1e3 / r.duration_s
}

/// `10000` → `10k`, `1500` → `1500`.
pub fn rate_label(rps: f64) -> String {
    if rps >= 1000.0 && rps % 1000.0 == 0.0 {
        format!("{}k", rps / 1000.0)
    } else {
        format!("{rps}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::FigureKind;

    #[test]
    fn figures_of_a_load_run() {
        let mut r = RunReport::example();
        r.requests.failed = 10;
        r.requests.completed = 1000;
        let f = load_figures(&r);
        assert_eq!(f["efficiency"].kind, FigureKind::Efficiency);
        assert_eq!(f["efficiency"].value, r.efficiency);
        assert_eq!(f["error_rate"].value, 0.01);
        assert_eq!(f["error_rate"].kind, FigureKind::ErrorRate);
        assert!(
            !f.contains_key("efficiency_steady"),
            "single phase: no per-phase figure"
        );
        assert_eq!(f["response_p50_ms"].kind, FigureKind::Latency);
        assert_eq!(f["response_p99_ms"].kind, FigureKind::Info);
        assert_eq!(f["schedule_lag_p50_us"].kind, FigureKind::Latency);
        assert_eq!(f["schedule_lag_p50_us"].unit, "us");
        assert!((f["schedule_lag_p50_us"].value - 50.0).abs() < 1e-9);
        r.phases.push(r.phases[0].clone());
        r.phases[1].name = "ramp-down".into();
        let f = load_figures(&r);
        assert!(f.contains_key("efficiency_ramp_down"));
        assert_eq!(
            f["response_p50_ms"].kind,
            FigureKind::Info,
            "a ramp's is shown"
        );
    }

    #[test]
    fn cpu_per_request() {
        let mut r = RunReport::example();
        r.cpu.user_s = 0.3;
        r.cpu.system_s = 0.2;
        r.requests.completed = 50_000;
        assert!((cpu_us_per_request(&r) - 10.0).abs() < 1e-9);
        r.requests.completed = 0;
        assert!(cpu_us_per_request(&r).is_nan());
        // 0.5 s of CPU over a 10 s schedule: 50 ms a second.
        assert!((cpu_ms_per_schedule_s(&r) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn rate_labels() {
        assert_eq!(rate_label(10_000.0), "10k");
        assert_eq!(rate_label(1500.0), "1500");
        assert_eq!(rate_label(250.5), "250.5");
    }
}
