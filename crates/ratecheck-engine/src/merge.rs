//! Merges the reports of the shards of one schedule into the report of the
//! whole, exactly: counts, windows, phases and the time series add (all on
//! the time axis of the shared start `t0`), the latency histograms add, and
//! every efficiency is recomputed over the sums. A missing shard, when
//! allowed, counts its whole share as asked for and not sent. Pure: the
//! caller reads the files and names them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::analyze::{self, min_windows, ratio, RunFacts, EFFICIENCY_FLOOR};
use super::metrics::collector::latency::{distribution, new_histogram, percentiles};
use super::metrics::collector::CollectorSnapshot;
use super::metrics::part::{Decoded, ScheduleId};
use super::metrics::snapshot::{
    ConnectionReport, Diagnostics, LatencyReport, PhaseReport, RunReport, TimeSeries, WindowReport,
    BEHIND_SCHEDULE_LAG_P99_MS,
};
use super::schedule::{Schedule, Stripe};

/// The whole schedule's report, and each shard's part in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    /// The merged figures, in the shape of one run's report.
    #[serde(flatten)]
    pub report: RunReport,
    /// The schedule the parts share.
    pub schedule: ScheduleId,
    /// Each part given, in shard order.
    pub parts: Vec<PartSummary>,
    /// Shards with no part (merged with `allow_missing`): their requests
    /// count as not sent.
    pub missing: Vec<u64>,
}

/// One shard's figures beside the merged ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartSummary {
    /// Where the part came from (its file).
    pub name: String,
    /// The shard's index.
    pub index: u64,
    /// The shard's own efficiency.
    pub efficiency: f64,
    /// Requests its stripe asked for.
    pub expected: u64,
    /// Requests it completed.
    pub completed: u64,
    /// How late after `t0` it was ready, ms.
    pub start_offset_ms: f64,
    /// Its schedule lag p99, ms.
    pub schedule_lag_p99_ms: f64,
}

/// Why parts were not merged; each names the part (or the shard) at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    /// No parts at all.
    #[error("no parts to merge: name the JSON files of the shards' runs")]
    Empty,
    /// A report without its shard section (not written by a sharded `run`).
    #[error("{name}: not a shard's report (no `shard` section): write parts with `run --shard i/N --json PATH`")]
    NotAPart {
        /// The part.
        name: String,
    },
    /// A part whose contents do not hold together.
    #[error("{name}: corrupt or truncated part: {reason}")]
    Corrupt {
        /// The part.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Parts of different schedules.
    #[error("{name}: a different schedule from {first}'s ({difference}); merge only the parts of one run")]
    DifferentSchedule {
        /// The part.
        name: String,
        /// The first part, whose schedule the others must share.
        first: String,
        /// The first difference.
        difference: String,
    },
    /// Two parts of the same shard.
    #[error("{name}: shard {index}/{count} again (also {other})")]
    Duplicate {
        /// The second part of the shard.
        name: String,
        /// The first.
        other: String,
        /// The shard's index.
        index: u64,
        /// The number of shards.
        count: u64,
    },
    /// Shards with no part.
    #[error("shard {} of {count} missing (parts given: {given}); pass --allow-missing to merge the rest and count the missing share as not sent", fmt_list(.missing))]
    Missing {
        /// The missing indexes.
        missing: Vec<u64>,
        /// The number of shards.
        count: u64,
        /// The parts given.
        given: String,
    },
}

fn fmt_list(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

/// One part, checked and read.
struct Part<'a> {
    name: &'a str,
    report: &'a RunReport,
    index: u64,
    offset_ms: f64,
    histograms: Decoded,
}

/// Merges `parts` (each named, e.g. by its file) of one schedule.
pub fn merge(parts: &[(String, RunReport)], allow_missing: bool) -> Result<Merged, MergeError> {
    let (schedule, checked) = check(parts)?;
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for p in &checked {
        if let Some(other) = seen.insert(p.index, p.name) {
            return Err(MergeError::Duplicate {
                name: p.name.to_string(),
                other: other.to_string(),
                index: p.index,
                count: schedule.shards,
            });
        }
    }
    let missing: Vec<u64> = (0..schedule.shards)
        .filter(|i| !seen.contains_key(i))
        .collect();
    if !missing.is_empty() && !allow_missing {
        return Err(MergeError::Missing {
            missing,
            count: schedule.shards,
            given: parts
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let absent = missing
        .iter()
        .map(|&i| unsent_share(&schedule, i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| MergeError::Corrupt {
            name: parts[0].0.clone(),
            reason,
        })?;
    Ok(combine(schedule, checked, &absent, missing))
}

/// Reads every part's shard section and histograms, and checks that all
/// share the first one's schedule.
fn check(parts: &[(String, RunReport)]) -> Result<(ScheduleId, Vec<Part<'_>>), MergeError> {
    let mut schedule: Option<(&str, &ScheduleId)> = None;
    let mut out = Vec::with_capacity(parts.len());
    for (name, report) in parts {
        let not_a_part = || MergeError::NotAPart { name: name.clone() };
        let shard = report.shard.as_ref().ok_or_else(not_a_part)?;
        let corrupt = |reason: String| MergeError::Corrupt {
            name: name.clone(),
            reason,
        };
        if shard.count != shard.schedule.shards || shard.index >= shard.count {
            return Err(corrupt(format!(
                "shard {}/{} of a schedule in {} shards",
                shard.index, shard.count, shard.schedule.shards
            )));
        }
        if !report.requests.is_consistent() {
            return Err(corrupt("its request counts do not add up".into()));
        }
        match schedule {
            None => schedule = Some((name, &shard.schedule)),
            Some((first, s)) => {
                if let Some(difference) = s.difference(&shard.schedule) {
                    return Err(MergeError::DifferentSchedule {
                        name: name.clone(),
                        first: first.to_string(),
                        difference,
                    });
                }
            }
        }
        let histograms = shard
            .histograms
            .decode(new_histogram)
            .map_err(|e| corrupt(e.to_string()))?;
        out.push(Part {
            name,
            report,
            index: shard.index,
            offset_ms: shard.start_offset_ms,
            histograms,
        });
    }
    let (_, schedule) = schedule.ok_or(MergeError::Empty)?;
    out.sort_by_key(|p| p.index);
    Ok((schedule.clone(), out))
}

/// The report of shard `index` had it sent nothing: what its stripe asked
/// for, window by window.
fn unsent_share(id: &ScheduleId, index: u64) -> Result<RunReport, String> {
    let secs = std::time::Duration::from_secs_f64;
    let stripe = Stripe::new(index, id.shards).map_err(|e| e.to_string())?;
    let schedule = Schedule::new(
        id.rps,
        secs(id.ramp_up_s),
        secs(id.steady_s),
        secs(id.ramp_down_s),
    )
    .map_err(|e| e.to_string())?
    .with_stripe(stripe);
    let facts = RunFacts {
        target_rps: id.rps / id.shards as f64,
        judged_until_s: schedule.duration(),
        ..RunFacts::default()
    };
    let snap = CollectorSnapshot::default();
    Ok(analyze::report(&schedule, &snap, &facts, EFFICIENCY_FLOOR))
}

/// Adds the parts (and the unsent shares of the missing shards) up.
fn combine(
    schedule: ScheduleId,
    parts: Vec<Part<'_>>,
    absent: &[RunReport],
    missing: Vec<u64>,
) -> Merged {
    let reports: Vec<&RunReport> = parts.iter().map(|p| p.report).chain(absent).collect();
    let mut h = Decoded {
        response: new_histogram(),
        service: new_histogram(),
        schedule_lag: new_histogram(),
        early: new_histogram(),
    };
    for p in &parts {
        // Every histogram was read into one of these settings: they add.
        let _ = h.response.add(&p.histograms.response);
        let _ = h.service.add(&p.histograms.service);
        let _ = h.schedule_lag.add(&p.histograms.schedule_lag);
        let _ = h.early.add(&p.histograms.early);
    }
    let mut r = sum_reports(&reports);
    r.target_rps = schedule.rps;
    r.target = schedule.target.clone();
    r.latency_ms = latency(&h);
    r.behind_schedule = r.latency_ms.schedule_lag.p99 > BEHIND_SCHEDULE_LAG_P99_MS;
    r.efficiency = ratio(r.requests.completed as f64, r.requests.expected as f64);
    r.generation_efficiency = ratio(r.requests.generated as f64, r.requests.expected as f64);
    (r.min_window_efficiency, r.min_window_generation_efficiency) =
        min_windows(&r.windows, r.efficiency, r.generation_efficiency);
    r.warnings = warnings(&parts, absent, &missing, schedule.shards);
    Merged {
        report: r,
        parts: parts
            .iter()
            .map(|p| PartSummary {
                name: p.name.to_string(),
                index: p.index,
                efficiency: p.report.efficiency,
                expected: p.report.requests.expected,
                completed: p.report.requests.completed,
                start_offset_ms: p.offset_ms,
                schedule_lag_p99_ms: p.report.latency_ms.schedule_lag.p99,
            })
            .collect(),
        schedule,
        missing,
    }
}

/// Every shard's warnings, named, and what the missing shards cost.
fn warnings(parts: &[Part<'_>], absent: &[RunReport], missing: &[u64], count: u64) -> Vec<String> {
    let mut out: Vec<String> = parts
        .iter()
        .flat_map(|p| {
            p.report
                .warnings
                .iter()
                .map(move |w| format!("shard {}/{count} ({}): {w}", p.index, p.name))
        })
        .collect();
    if !missing.is_empty() {
        let unsent: u64 = absent.iter().map(|r| r.requests.expected).sum();
        out.insert(
            0,
            format!(
                "shard {} of {count} missing: its {unsent} requests count as not sent",
                fmt_list(missing)
            ),
        );
    }
    out
}

/// The three distributions and the response-time curve of the merged
/// histograms.
fn latency(h: &Decoded) -> LatencyReport {
    LatencyReport {
        response: percentiles(&h.response),
        service: percentiles(&h.service),
        schedule_lag: percentiles(&h.schedule_lag),
        early: percentiles(&h.early),
        response_distribution: distribution(&h.response)
            .into_iter()
            .map(|(p, ms)| [p, ms])
            .collect(),
    }
}

/// Element-wise sum of `a` and `b`, as long as the longer.
fn add_series<T: Copy + Default + std::ops::Add<Output = T>>(a: &mut Vec<T>, b: &[T]) {
    if a.len() < b.len() {
        a.resize(b.len(), T::default());
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = *x + *y;
    }
}

/// The sum of the reports' counts, windows, phases, series, CPU and
/// diagnostics (efficiencies of the windows and phases recomputed; the
/// rest is for the caller).
fn sum_reports(reports: &[&RunReport]) -> RunReport {
    let mut r = reports[0].clone();
    r.shard = None;
    r.concurrency = 0;
    r.requests = Default::default();
    r.status_codes.clear();
    r.errors.clear();
    r.windows.clear();
    r.phases.clear();
    r.cpu = Default::default();
    r.memory = Default::default();
    r.diagnostics = Diagnostics::default();
    r.pacing = Default::default();
    r.connections = ConnectionReport {
        protocol: r.connections.protocol.clone(),
        tls_verified: r.connections.tls_verified,
        ..ConnectionReport::default()
    };
    r.series = TimeSeries {
        interval_ms: r.series.interval_ms,
        ..TimeSeries::default()
    };
    for p in reports {
        add_one(&mut r, p);
    }
    for w in &mut r.windows {
        w.efficiency = ratio(w.completed as f64, w.expected);
        w.generation_efficiency = ratio(w.generated as f64, w.expected);
    }
    for ph in &mut r.phases {
        ph.efficiency = ratio(ph.completed as f64, ph.expected as f64);
        ph.generation_efficiency = ratio(ph.generated as f64, ph.expected as f64);
    }
    r
}

fn add_one(r: &mut RunReport, p: &RunReport) {
    r.concurrency += p.concurrency;
    let (q, pq) = (&mut r.requests, &p.requests);
    q.expected += pq.expected;
    q.generated += pq.generated;
    q.completed += pq.completed;
    q.succeeded += pq.succeeded;
    q.failed += pq.failed;
    q.dropped += pq.dropped;
    for (k, v) in &p.status_codes {
        *r.status_codes.entry(k.clone()).or_default() += v;
    }
    for (k, v) in &p.errors {
        *r.errors.entry(k.clone()).or_default() += v;
    }
    add_windows(&mut r.windows, &p.windows);
    add_phases(&mut r.phases, &p.phases);
    add_series(&mut r.series.target_rps, &p.series.target_rps);
    add_series(&mut r.series.generated, &p.series.generated);
    add_series(&mut r.series.completed, &p.series.completed);
    r.cpu.user_s += p.cpu.user_s;
    r.cpu.system_s += p.cpu.system_s;
    r.cpu.percent_of_core += p.cpu.percent_of_core;
    r.cpu.includes_server |= p.cpu.includes_server;
    r.memory.peak_rss_bytes = r.memory.peak_rss_bytes.max(p.memory.peak_rss_bytes);
    r.memory.allocations += p.memory.allocations;
    add_connections(&mut r.connections, &p.connections);
    let (d, pd) = (&mut r.diagnostics, &p.diagnostics);
    // Each shard's limiter grants the whole schedule's tokens: any one
    // counts them all (a missing shard's share counts none).
    d.limiter_granted = d.limiter_granted.max(pd.limiter_granted);
    d.limiter_waits += pd.limiter_waits;
    d.limiter_blocked += pd.limiter_blocked;
    d.limiter_refills += pd.limiter_refills;
    d.limiter_wait_ms_total += pd.limiter_wait_ms_total;
    d.limiter_wait_ms_max = d.limiter_wait_ms_max.max(pd.limiter_wait_ms_max);
    d.limiter_efficiency = d.limiter_efficiency.max(pd.limiter_efficiency);
    d.batch_size_max = d.batch_size_max.max(pd.batch_size_max);
    d.channel_mean_occupancy = d.channel_mean_occupancy.max(pd.channel_mean_occupancy);
    d.generator_wakes += pd.generator_wakes;
    d.channel_capacity += pd.channel_capacity;
    d.channel_full_events += pd.channel_full_events;
    d.channel_max_occupancy = d.channel_max_occupancy.max(pd.channel_max_occupancy);
    d.latency_samples_lost += pd.latency_samples_lost;
    d.series_overflow += pd.series_overflow;
    d.abandoned_in_flight += pd.abandoned_in_flight;
    d.cancelled |= pd.cancelled;
    d.wall_s = d.wall_s.max(pd.wall_s);
}

/// Connections add; their mean times are weighted by what each mean is
/// over (connections opened; handshakes; the first bytes, one a connection,
/// weighted by connections opened).
fn add_connections(c: &mut ConnectionReport, p: &ConnectionReport) {
    let mean = |a: f64, n: u64, b: f64, m: u64| match n + m {
        0 => 0.0,
        t => (a * n as f64 + b * m as f64) / t as f64,
    };
    c.connect_ms_mean = mean(c.connect_ms_mean, c.opened, p.connect_ms_mean, p.opened);
    c.first_byte_ms_mean = mean(
        c.first_byte_ms_mean,
        c.opened,
        p.first_byte_ms_mean,
        p.opened,
    );
    c.tls_handshake_ms_mean = mean(
        c.tls_handshake_ms_mean,
        c.tls_handshakes,
        p.tls_handshake_ms_mean,
        p.tls_handshakes,
    );
    c.opened += p.opened;
    c.tls_handshakes += p.tls_handshakes;
    c.tls_resumed += p.tls_resumed;
}

fn add_windows(into: &mut Vec<WindowReport>, from: &[WindowReport]) {
    for (i, w) in from.iter().enumerate() {
        match into.get_mut(i) {
            Some(m) => {
                m.expected += w.expected;
                m.generated += w.generated;
                m.completed += w.completed;
            }
            None => into.push(w.clone()),
        }
    }
}

fn add_phases(into: &mut Vec<PhaseReport>, from: &[PhaseReport]) {
    for (i, ph) in from.iter().enumerate() {
        match into.get_mut(i) {
            Some(m) => {
                m.end_s = m.end_s.max(ph.end_s);
                m.expected += ph.expected;
                m.generated += ph.generated;
                m.completed += ph.completed;
            }
            None => into.push(ph.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
