//! Turns what a run recorded (collector snapshot, limiter and process
//! readings) and its schedule into the [`RunReport`]: efficiency overall, per
//! phase and per 1 s window, the time series, and warnings that name the
//! likely cause of a low efficiency. Pure: no clock, no IO.

use std::collections::BTreeMap;

use super::pacing::PacingBudget;
use super::rate::LimiterStats;
use super::schedule::{Schedule, STEADY};
use crate::metrics::collector::{CollectorSnapshot, BUCKET_NS};
use crate::metrics::snapshot::{
    ConnectionReport, CpuReport, Diagnostics, LatencyReport, MemoryReport, PacingReport,
    PhaseReport, RequestCounts, RunReport, TimeSeries, WindowReport, BEHIND_SCHEDULE_LAG_P99_MS,
    SCHEMA_VERSION,
};

/// The default efficiency floor: the one definition. A run is judged by
/// [`RunConfig::efficiency_floor`](crate::run::RunConfig::efficiency_floor),
/// which defaults to it (below its floor a run explains itself); the
/// self-test fails below it, and the gate's default `efficiency-floor`
/// (`Thresholds::default`) is it.
pub const EFFICIENCY_FLOOR: f64 = 0.95;
const BUCKET_S: f64 = BUCKET_NS as f64 / 1e9;
const BUCKETS_PER_WINDOW: usize = 10;

/// Readings about a run besides the collector's.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunFacts {
    pub target_rps: f64,
    pub concurrency: usize,
    pub target: String,
    pub includes_server: bool,
    pub cancelled: bool,
    /// The run is judged on the schedule up to here (all of it unless cancelled).
    pub judged_until_s: f64,
    pub wall_s: f64,
    pub cpu_user_s: f64,
    pub cpu_system_s: f64,
    pub cpu_percent: f64,
    pub cores: usize,
    pub peak_rss_bytes: u64,
    pub allocations: u64,
    pub limiter: LimiterStats,
    pub limiter_efficiency: f64,
    pub generator_wakes: u64,
    /// Generator passes its timer started.
    pub timer_wakes: u64,
    /// Generator passes a worker's wake started.
    pub nudged_wakes: u64,
    /// The pacing the run used.
    pub pacing: PacingBudget,
    pub batch_size_max: u64,
    pub channel_capacity: u64,
    pub channel_max_occupancy: u64,
    pub channel_mean_occupancy: f64,
    /// Every worker finished before the drain deadline.
    pub drained: bool,
    /// The run's connections.
    pub connections: ConnectionReport,
}

pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        1.0
    }
}

/// `series` cut or padded (with `None`) to `len` entries.
fn padded(series: &[Option<f64>], len: usize) -> Vec<Option<f64>> {
    let mut v: Vec<Option<f64>> = series.iter().copied().take(len).collect();
    v.resize(len, None);
    v
}

fn sum(series: &[u64], from: usize, to: usize) -> u64 {
    let to = to.min(series.len());
    if from >= to {
        return 0;
    }
    series[from..to].iter().sum()
}

/// Builds the report; `floor` is the efficiency the run is judged by (its
/// warnings explain an efficiency below it, and name it).
pub(crate) fn report(
    schedule: &Schedule,
    snap: &CollectorSnapshot,
    f: &RunFacts,
    floor: f64,
) -> RunReport {
    let judged = f.judged_until_s.clamp(0.0, schedule.duration());
    let expected = schedule.own_by(judged);
    let requests = RequestCounts {
        expected,
        generated: snap.generated,
        completed: snap.completed,
        succeeded: snap.succeeded,
        failed: snap.failed,
        dropped: snap.dropped,
    };
    let efficiency = ratio(snap.completed as f64, expected as f64);
    let generation_efficiency = ratio(snap.generated as f64, expected as f64);
    let windows = window_reports(schedule, snap, judged);
    let (min_window_efficiency, min_window_generation_efficiency) =
        min_windows(&windows, efficiency, generation_efficiency);
    let mut report = RunReport {
        schema_version: SCHEMA_VERSION,
        target_rps: f.target_rps,
        duration_s: schedule.duration(),
        concurrency: f.concurrency,
        target: f.target.clone(),
        efficiency,
        generation_efficiency,
        min_window_efficiency,
        min_window_generation_efficiency,
        behind_schedule: snap.schedule_lag.p99 > BEHIND_SCHEDULE_LAG_P99_MS,
        requests,
        phases: phase_reports(schedule, snap, judged),
        windows,
        latency_ms: latency_report(snap),
        status_codes: snap
            .status_codes
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
        errors: snap
            .errors
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        connections: f.connections.clone(),
        cpu: CpuReport {
            user_s: f.cpu_user_s,
            system_s: f.cpu_system_s,
            percent_of_core: f.cpu_percent,
            includes_server: f.includes_server,
        },
        memory: MemoryReport {
            peak_rss_bytes: f.peak_rss_bytes,
            allocations: f.allocations,
        },
        diagnostics: diagnostics(snap, f),
        pacing: pacing_report(snap, f),
        series: time_series(schedule, snap, judged),
        warnings: Vec::new(),
        shard: None,
    };
    report.warnings = warnings(&report, f, floor);
    report
}

/// Efficiency per phase of the schedule up to `judged` (s). A bucket
/// belongs to the phase holding its start; everything after the schedule
/// (drain) belongs to the last phase. A phase's completions are those of
/// the requests it scheduled (by intended send time), whenever they
/// finished: a stall at a phase boundary must not move requests from one
/// phase to the next.
fn phase_reports(schedule: &Schedule, snap: &CollectorSnapshot, judged: f64) -> Vec<PhaseReport> {
    let phases_all = schedule.phases();
    let mut phases = Vec::new();
    for (i, p) in phases_all.iter().enumerate() {
        if p.start >= judged {
            break;
        }
        let end = p.end.min(judged);
        let from = (p.start / BUCKET_S).round() as usize;
        let last = i + 1 == phases_all.len() || p.end >= judged;
        let to = if last {
            usize::MAX
        } else {
            (end / BUCKET_S).round() as usize
        };
        let exp = schedule.own_expected(p.start, end);
        let generated = sum(&snap.generated_series, from, to);
        let completed = sum(&snap.completed_by_intended_series, from, to);
        phases.push(PhaseReport {
            name: p.name.to_string(),
            start_s: p.start,
            end_s: end,
            expected: exp.round() as u64,
            generated,
            completed,
            efficiency: ratio(completed as f64, exp),
            generation_efficiency: ratio(generated as f64, exp),
        });
    }
    phases
}

/// The full 1 s windows of the schedule up to `judged` (s).
fn window_reports(schedule: &Schedule, snap: &CollectorSnapshot, judged: f64) -> Vec<WindowReport> {
    let mut windows = Vec::new();
    let mut w = 0usize;
    while (w + 1) as f64 <= judged + 1e-9 {
        let (t0, t1) = (w as f64, (w + 1) as f64);
        let exp = schedule.own_expected(t0, t1);
        let from = w * BUCKETS_PER_WINDOW;
        let generated = sum(&snap.generated_series, from, from + BUCKETS_PER_WINDOW);
        let completed = sum(&snap.completed_series, from, from + BUCKETS_PER_WINDOW);
        let phase = match (schedule.phase_at(t0), schedule.phase_at(t1 - 1e-9)) {
            (Some(a), Some(b)) if a.name == b.name => a.name.to_string(),
            _ => "mixed".to_string(),
        };
        windows.push(WindowReport {
            start_s: t0,
            phase,
            expected: exp,
            generated,
            completed,
            efficiency: ratio(completed as f64, exp),
            generation_efficiency: ratio(generated as f64, exp),
        });
        w += 1;
    }
    windows
}

/// The lowest completion and generation efficiency over the steady phase's
/// windows (over every window that asked for requests when there is no
/// steady phase); the run's own when there is no such window.
pub(crate) fn min_windows(
    windows: &[WindowReport],
    efficiency: f64,
    generation_efficiency: f64,
) -> (f64, f64) {
    let steady: Vec<&WindowReport> = windows.iter().filter(|w| w.phase == STEADY).collect();
    let judged_windows: Vec<&WindowReport> = if steady.is_empty() {
        windows.iter().filter(|w| w.expected > 0.0).collect()
    } else {
        steady
    };
    let min_of = |g: fn(&WindowReport) -> f64, fallback: f64| {
        judged_windows
            .iter()
            .map(|w| g(w))
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))))
            .unwrap_or(fallback)
    };
    (
        min_of(|w| w.efficiency, efficiency),
        min_of(|w| w.generation_efficiency, generation_efficiency),
    )
}

/// The time series up to the last bucket with activity (at least the
/// schedule up to `judged`, s).
fn time_series(schedule: &Schedule, snap: &CollectorSnapshot, judged: f64) -> TimeSeries {
    let judged_buckets = (judged / BUCKET_S).round() as usize;
    let last_active = snap
        .completed_series
        .iter()
        .rposition(|&n| n > 0)
        .map_or(0, |i| i + 1);
    let len = judged_buckets
        .max(last_active)
        .min(snap.completed_series.len().max(snap.generated_series.len()));
    TimeSeries {
        interval_ms: BUCKET_NS / 1_000_000,
        target_rps: (0..len)
            .map(|i| schedule.own_rate((i as f64 + 0.5) * BUCKET_S))
            .collect(),
        generated: snap.generated_series.iter().copied().take(len).collect(),
        completed: snap.completed_series.iter().copied().take(len).collect(),
        response_p50_ms: padded(&snap.response_p50_series, len),
        response_p99_ms: padded(&snap.response_p99_series, len),
    }
}

/// The three latency distributions and the response-time curve.
fn latency_report(snap: &CollectorSnapshot) -> LatencyReport {
    LatencyReport {
        response: snap.response,
        service: snap.service,
        schedule_lag: snap.schedule_lag,
        early: snap.early,
        response_distribution: snap
            .response_distribution
            .iter()
            .map(|&(p, ms)| [p, ms])
            .collect(),
    }
}

/// The pacing budget and what the generator did with it.
fn pacing_report(snap: &CollectorSnapshot, f: &RunFacts) -> PacingReport {
    let us = |ns: u64| ns as f64 / 1e3;
    PacingReport {
        wake_cost_us: us(f.pacing.wake_cost_ns),
        min_wake_gap_us: us(f.pacing.min_gap_ns),
        early_budget_us: us(f.pacing.early_ns),
        early_share: if snap.schedule_lag.count == 0 {
            0.0
        } else {
            snap.early.count as f64 / snap.schedule_lag.count as f64
        },
        timer_wakes: f.timer_wakes,
        nudged_wakes: f.nudged_wakes,
    }
}

/// The engine internals behind the figures.
fn diagnostics(snap: &CollectorSnapshot, f: &RunFacts) -> Diagnostics {
    let abandoned = snap
        .generated
        .saturating_sub(snap.dropped)
        .saturating_sub(snap.completed);
    Diagnostics {
        limiter_granted: f.limiter.granted,
        limiter_waits: f.limiter.waits,
        limiter_wait_ms_total: f.limiter.wait_total.as_secs_f64() * 1e3,
        limiter_wait_ms_max: f.limiter.wait_max.as_secs_f64() * 1e3,
        limiter_blocked: f.limiter.blocked,
        limiter_refills: f.limiter.refills,
        limiter_efficiency: f.limiter_efficiency,
        generator_wakes: f.generator_wakes,
        batch_size_max: f.batch_size_max,
        channel_capacity: f.channel_capacity,
        channel_full_events: snap.channel_full,
        channel_max_occupancy: f.channel_max_occupancy,
        channel_mean_occupancy: f.channel_mean_occupancy,
        latency_samples_lost: snap.samples_lost,
        series_overflow: snap.series_overflow,
        abandoned_in_flight: abandoned,
        cancelled: f.cancelled,
        wall_s: f.wall_s,
    }
}

/// Warnings, most likely cause of an efficiency below `floor` first.
pub(crate) fn warnings(r: &RunReport, f: &RunFacts, floor: f64) -> Vec<String> {
    let mut out = Vec::new();
    let q = &r.requests;
    if f.cancelled {
        out.push(format!(
            "run cancelled after {:.1} s: judged on the {} requests the schedule asked for until then",
            f.judged_until_s, q.expected
        ));
    }
    let low = r.efficiency < floor;
    // 1. Not enough workers for rate × latency.
    if q.dropped > 0 || r.diagnostics.channel_full_events > 0 {
        out.push(drops_warning(r, f));
    }
    // 2. Target errors.
    if q.failed > 0 {
        out.push(errors_warning(r));
    }
    // 3. CPU saturation.
    if low && f.cores > 0 && f.cpu_percent >= 85.0 * f.cores as f64 {
        out.push(format!(
            "CPU saturated: the process used {:.0}% of a core on a {}-core machine{}",
            f.cpu_percent,
            f.cores,
            if f.includes_server {
                " (the embedded server runs in this process and competes with the generator)"
            } else {
                ""
            }
        ));
    }
    // 4. The generator itself fell behind.
    if r.generation_efficiency < floor && q.dropped == 0 && !f.cancelled {
        out.push(format!(
            "the generator fell behind the schedule: generated {:.1}% of the requests asked for (schedule lag p99 {:.2} ms); the machine may be too busy",
            r.generation_efficiency * 100.0,
            r.latency_ms.schedule_lag.p99
        ));
    }
    // 5. On time: whatever the efficiency, a run whose requests went out
    // late by tens of milliseconds did not hold its schedule.
    if r.behind_schedule {
        out.push(behind_warning(r));
    }
    if low && out.is_empty() {
        out.push(format!(
            "efficiency {:.1}% is below {}: requests were still in flight at the end (response p99 {:.1} ms)",
            r.efficiency * 100.0,
            fmt_percent(floor),
            r.latency_ms.response.p99
        ));
    }
    out.extend(accounting_warnings(r, f));
    out
}

/// How far behind its schedule the run fell, and what that does to the
/// efficiency.
fn behind_warning(r: &RunReport) -> String {
    let lag = &r.latency_ms.schedule_lag;
    format!(
        "the run fell behind its schedule: requests went out late by {:.1} ms at the median and {:.1} ms at the 99th percentile (max {:.1} ms){}; the efficiency counts late completions, so the target rate was not held on time",
        lag.p50,
        lag.p99,
        lag.max,
        if r.efficiency >= 0.999 {
            format!(" although the efficiency reads {:.1}%", r.efficiency * 100.0)
        } else {
            String::new()
        }
    )
}

/// Why requests were dropped (or the queue filled): too few workers for
/// rate × latency, or stalls that workers enough on average could not ride
/// out.
fn drops_warning(r: &RunReport, f: &RunFacts) -> String {
    let q = &r.requests;
    let service_s = if r.latency_ms.service.mean > 0.0 {
        r.latency_ms.service.mean / 1e3
    } else {
        r.latency_ms.service.p50 / 1e3
    };
    let rate = r.target_rps;
    let carry = if service_s > 0.0 {
        f.concurrency as f64 / service_s
    } else {
        f64::INFINITY
    };
    if carry >= rate * 1.1 {
        // Enough workers on average: the queue filled during stalls.
        format!(
            "{} requests dropped: the request queue ({} slots) filled while responses stalled (response p99 {:.1} ms, max {:.1} ms) although {} workers can carry ~{:.0} rps on average; raise --concurrency to ride out stalls, or pass --on-full wait",
            q.dropped,
            r.diagnostics.channel_capacity,
            r.latency_ms.response.p99,
            r.latency_ms.response.max,
            f.concurrency,
            carry
        )
    } else if service_s > 0.0 {
        let need = (rate * service_s * 1.25)
            .ceil()
            .max(f.concurrency as f64 + 1.0);
        format!(
            "concurrency {} cannot carry {} rps at {:.2} ms latency (at most ~{:.0} rps): {} requests dropped because every worker was busy; use --concurrency {} or more",
            f.concurrency,
            fmt_rate(rate),
            service_s * 1e3,
            carry,
            q.dropped,
            need as u64
        )
    } else {
        format!(
            "{} requests dropped because every worker was busy; raise --concurrency",
            q.dropped
        )
    }
}

/// The failed requests by error kind and HTTP status, leading with an
/// unreachable target when connection errors are most of them.
fn errors_warning(r: &RunReport) -> String {
    let q = &r.requests;
    let mut kinds: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    kinds.extend(
        r.status_codes
            .iter()
            .filter(|(code, _)| code.parse::<u16>().map_or(true, |c| c >= 400))
            .map(|(code, v)| format!("HTTP {code}: {v}")),
    );
    let connect = r.errors.get("connect").copied().unwrap_or(0);
    let lead = if connect > 0 && connect * 2 >= q.failed {
        format!("target unreachable ({}): ", r.target)
    } else {
        "target errors: ".to_string()
    };
    format!(
        "{lead}{} of {} requests failed ({})",
        q.failed,
        q.completed,
        kinds.join(", ")
    )
}

/// What the run could not count or keep: abandoned requests, lost latency
/// samples, events past the time series.
fn accounting_warnings(r: &RunReport, f: &RunFacts) -> Vec<String> {
    let mut out = Vec::new();
    if r.diagnostics.abandoned_in_flight > 0 && !f.drained {
        out.push(format!(
            "{} requests were still queued or in flight at the drain deadline and were abandoned",
            r.diagnostics.abandoned_in_flight
        ));
    }
    if r.diagnostics.latency_samples_lost > 0 {
        out.push(format!(
            "{} latency samples were lost (worker ring full); percentiles come from {} samples",
            r.diagnostics.latency_samples_lost, r.latency_ms.response.count
        ));
    }
    if r.diagnostics.series_overflow > 0 {
        out.push(format!(
            "{} events fell past the time series' end and are missing from the chart (still counted)",
            r.diagnostics.series_overflow
        ));
    }
    out
}

/// A fraction as a percentage with at most two decimals, none written when
/// zero (`0.95` → `95%`, `0.925` → `92.5%`).
fn fmt_percent(v: f64) -> String {
    let p = format!("{:.2}", v * 100.0);
    format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
}

fn fmt_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r}")
    }
}

#[cfg(test)]
mod tests;
