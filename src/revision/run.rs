//! The paired run of `check --against REV`: each time-based figure's child
//! run (the CPU bench's flat-out runs, the memory bench's short run, a
//! short run of every steady scenario for its median response time; the
//! child protocol of [`crate::suite::child`], which older revisions speak
//! too) executed by the base binary and the current binary alternately —
//! A B, B A, A B … so neither side always goes first — for `pairs` pairs.
//! [`paired_specs`] (which runs, from the planned suite) is pure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::paired::PairedTrials;
use crate::error::{Error, Result};
use crate::figure::id;
use crate::figure::FigureKind;
use crate::suite::child::ChildRun;
use crate::suite::{self, Step};
use ratecheck_engine::load::LoadSpec;
use ratecheck_engine::metrics::snapshot::RunReport;

/// Fewest pairs of a paired run. The signed-rank interval of the ratio
/// narrows about as 1/√n: 20 pairs make it tight enough to catch a change
/// of a few percent on a shared machine (docs/paired-runs.md), where 10
/// missed some, while keeping the `--quick` paired step near a minute.
pub const MIN_PAIRS: usize = 20;

/// Longest child run of a steady scenario paired for its median response
/// time: 0.5 s holds 100 responses at 200 requests/s and 5 000 at 10 000,
/// enough for a median, and keeps 20 pairs of the `--quick` suite's three
/// steady scenarios near a minute.
pub const LATENCY_CHILD_RUN: Duration = Duration::from_millis(500);

/// One figure measured in pairs: which child run, and what to read off it.
#[derive(Debug, Clone)]
pub struct PairedSpec {
    pub scenario: String,
    pub figure: &'static str,
    pub kind: FigureKind,
    pub unit: &'static str,
    pub child: ChildRun,
    pub read: fn(&RunReport) -> f64,
}

fn peak_rss(r: &RunReport) -> f64 {
    r.memory.peak_rss_bytes as f64
}

fn response_p50_ms(r: &RunReport) -> f64 {
    r.latency_ms.response.p50
}

/// The paired figures of a planned suite, with the suite's own run lengths.
pub fn paired_specs(steps: &[Step]) -> Vec<PairedSpec> {
    let mut out = Vec::new();
    let mut push = |scenario: &str, figure, kind, unit, load: LoadSpec, read| {
        if let Some(child) = ChildRun::new(load) {
            out.push(PairedSpec {
                scenario: scenario.to_string(),
                figure,
                kind,
                unit,
                child,
                read,
            });
        }
    };
    for step in steps {
        match step {
            Step::Cpu { duration, .. } => {
                let suite::FlatOut { null, http } = suite::cpu_flat_out_specs(*duration);
                let cpu = suite::cpu_us_per_request as fn(&RunReport) -> f64;
                push(
                    id::scenario::CPU,
                    id::CPU_US_PER_REQUEST_NULL,
                    FigureKind::Cpu,
                    "us",
                    null,
                    cpu,
                );
                push(
                    id::scenario::CPU,
                    id::CPU_US_PER_REQUEST_HTTP,
                    FigureKind::Cpu,
                    "us",
                    http,
                    cpu,
                );
            }
            Step::Memory { rps, short, .. } => push(
                id::scenario::MEMORY,
                id::PEAK_RSS_BYTES,
                FigureKind::Memory,
                "B",
                suite::memory_spec(*rps, *short),
                peak_rss,
            ),
            // The figure `load_figures` judges: the median response time
            // of a scenario without ramps.
            Step::Load(s) if s.load.ramp_up.is_zero() && s.load.ramp_down.is_zero() => {
                let mut load = s.load.clone();
                load.duration = load.duration.min(LATENCY_CHILD_RUN);
                push(
                    &s.name,
                    id::RESPONSE_P50_MS,
                    FigureKind::Latency,
                    "ms",
                    load,
                    response_p50_ms,
                );
            }
            Step::Load(_) | Step::Instructions => {}
        }
    }
    out
}

/// Which side runs first in pair `i`: the base on even pairs.
pub fn base_first(i: usize) -> bool {
    i.is_multiple_of(2)
}

/// One child run of `exe`, its report.
fn child_report(exe: &Path, spec: &PairedSpec, who: &str) -> Result<RunReport> {
    let fail = |msg: String| Error::Scenario {
        scenario: format!("{} (paired, {who})", spec.scenario),
        msg,
    };
    let out = std::process::Command::new(exe)
        .args(spec.child.args())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("cannot start {}: {e}", exe.display())))?;
    if !out.status.success() {
        return Err(fail(format!("the child run failed ({})", out.status)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        fail(format!(
            "the child run printed no report this build reads: {e}"
        ))
    })
}

/// Runs every spec `pairs` times on both binaries, interleaved; `rev`
/// names the base in errors; `on_pair` is told each finished pair.
pub async fn run_paired(
    base: PathBuf,
    current: PathBuf,
    rev: &str,
    specs: Vec<PairedSpec>,
    pairs: usize,
    cancel: &CancellationToken,
    on_pair: &(dyn Fn(usize) + Sync),
) -> Result<Vec<PairedTrials>> {
    let mut trials: Vec<PairedTrials> = specs
        .iter()
        .map(|s| PairedTrials {
            scenario: s.scenario.clone(),
            figure: s.figure.into(),
            kind: s.kind,
            unit: s.unit.into(),
            base: Vec::with_capacity(pairs),
            current: Vec::with_capacity(pairs),
        })
        .collect();
    let base_who = format!("base {rev}");
    for i in 0..pairs {
        for (spec, t) in specs.iter().zip(trials.iter_mut()) {
            let (spec2, base2, current2, who) = (
                spec.clone(),
                base.clone(),
                current.clone(),
                base_who.clone(),
            );
            let first = base_first(i);
            let done = tokio::task::spawn_blocking(move || -> Result<(RunReport, RunReport)> {
                let run_base = || child_report(&base2, &spec2, &who);
                let run_current = || child_report(&current2, &spec2, "current");
                if first {
                    let b = run_base()?;
                    Ok((b, run_current()?))
                } else {
                    let c = run_current()?;
                    Ok((run_base()?, c))
                }
            })
            .await
            .map_err(|e| Error::new(format!("paired run: {e}")));
            // Ctrl-C reaches the children too: their failure is the
            // interruption.
            if cancel.is_cancelled() {
                return Err(Error::Interrupted);
            }
            let (b, c) = done??;
            t.base.push((spec.read)(&b));
            t.current.push((spec.read)(&c));
        }
        on_pair(i + 1);
    }
    Ok(trials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paired_figures_follow_the_planned_suite() {
        let quick = suite::plan(None, true, &[]);
        let names: Vec<_> = paired_specs(&quick)
            .iter()
            .map(|s| format!("{}/{}", s.scenario, s.figure))
            .collect();
        assert_eq!(
            names,
            [
                "steady-200/response_p50_ms",
                "steady-1k/response_p50_ms",
                "steady-10k/response_p50_ms",
                "cpu/cpu_us_per_request_null",
                "cpu/cpu_us_per_request_http",
                "memory/peak_rss_bytes"
            ],
            "a ramp's median mixes rates and is not judged, so not paired"
        );
        // A steady scenario's child run is cut to LATENCY_CHILD_RUN, at its
        // own rate and concurrency.
        let only_steady = suite::plan(None, false, &["steady-1k".to_string()]);
        let specs = paired_specs(&only_steady);
        assert_eq!(specs.len(), 1);
        let args = specs[0].child.args();
        let value = |flag: &str| {
            let i = args.iter().position(|a| a == flag).unwrap();
            args[i + 1].clone()
        };
        assert_eq!(value("--duration"), "500ms");
        assert_eq!(value("--rps"), "1000");
        assert_eq!(value("--concurrency"), "50");
        // Nothing to pair in a suite of ramps only.
        let only_ramp = suite::plan(None, true, &["ramp".to_string()]);
        assert!(paired_specs(&only_ramp).is_empty());
    }

    #[test]
    fn the_first_side_alternates() {
        let order: Vec<bool> = (0..4).map(base_first).collect();
        assert_eq!(order, [true, false, true, false]);
    }
}
