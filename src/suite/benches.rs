//! The benches: CPU per request flat out and at a rate, memory (peak RSS,
//! growth with run length) over short and long runs, each run in a child
//! process ([`super::child`]); and instructions and allocations per request
//! of the cost workload under callgrind ([`super::instructions`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::child::{bench_run, fresh_process_exe};
use super::figures::{cpu_ms_per_schedule_s, cpu_us_per_request, rate_label};
use super::{bench_trials, instructions, SuiteRun};
use crate::error::Error;
use crate::figure::id;
use crate::figure::{BuildInfo, Figure, FigureKind, ScenarioKind, ScenarioResult};
use ratecheck_engine::clock::{SharedClock, SystemClock};
use ratecheck_engine::load::{LoadSpec, TargetSpec, MAX_RPS};
use ratecheck_engine::rate::{Burst, RateLimiter};

/// Rate asked of the HTTP flat-out run: far above what one thread carries
/// over loopback HTTP (~75000 requests/s here), not so far that dropping the
/// surplus costs more than the requests.
const HTTP_FLAT_OUT_RPS: f64 = 1_000_000.0;

/// The CPU bench. CPU per request is judged when the engine runs flat out on
/// one thread (null target asked for [`MAX_RPS`], HTTP for
/// [`HTTP_FLAT_OUT_RPS`], no drain): then every cycle goes to requests and
/// the figure moves only with the work per request and the machine's speed.
/// At a moderate rate most of the CPU is the cost of waking an idle core a
/// thousand times a second, which on a shared VM drifted by half from one
/// hour to the next (2.1 → 3.1–4.5 µs per request at 10000 rps, same
/// machine and build) and would make the gate flaky. The engine's CPU per
/// second of schedule at `rps` (null target: pacing and the request path,
/// no HTTP) is judged from as many trials, interleaved; the % of a core of
/// the first is shown.
pub(super) async fn run_cpu(
    rps: f64,
    duration: Duration,
    clock: &SharedClock,
    s: &SuiteRun<'_>,
) -> Result<ScenarioResult, Error> {
    let mut null_trials = Vec::new();
    let mut http_trials = Vec::new();
    let mut at_rate_trials = Vec::new();
    let mut at_rate_percent = None;
    let mut median_report = None;
    let trials = bench_trials(s.trials);
    let FlatOut { null, http } = cpu_flat_out_specs(duration);
    let mut at_rate = LoadSpec::steady(rps, duration, 100);
    at_rate.target = TargetSpec::Null;
    for i in 0..trials {
        // Interleaved, so slow drifts in machine load hit both alike.
        let r = bench_run("cpu-null", &null, clock, s).await?;
        null_trials.push(cpu_us_per_request(&r));
        let mut r = bench_run("cpu-http", &http, clock, s).await?;
        http_trials.push(cpu_us_per_request(&r));
        if i == trials / 2 {
            // Falling short of the asked-for rate is the point of a flat-out
            // run; the engine's advice on reaching it would only mislead.
            r.warnings.clear();
            median_report = Some(r);
        }
        let r = bench_run("cpu-null-at-rate", &at_rate, clock, s).await?;
        at_rate_trials.push(cpu_ms_per_schedule_s(&r));
        at_rate_percent.get_or_insert(r.cpu.percent_of_core);
    }
    Ok(ScenarioResult {
        name: id::scenario::CPU.into(),
        kind: ScenarioKind::Cpu,
        figures: BTreeMap::from([
            (
                id::CPU_US_PER_REQUEST_NULL.into(),
                Figure::from_trials(FigureKind::Cpu, "us", null_trials),
            ),
            (
                id::CPU_US_PER_REQUEST_HTTP.into(),
                Figure::from_trials(FigureKind::Cpu, "us", http_trials),
            ),
            (
                id::cpu_percent_null_at(&rate_label(rps)),
                Figure::single(FigureKind::Info, "%", at_rate_percent.unwrap_or(f64::NAN)),
            ),
            (
                id::cpu_ms_per_schedule_s_null_at(&rate_label(rps)),
                Figure::from_trials(FigureKind::Cpu, "ms", at_rate_trials),
            ),
            (
                id::LIMITER_CPU_PERCENT.into(),
                Figure::from_trials(
                    FigureKind::Info,
                    "%",
                    (0..3).map(|_| limiter_cpu_percent(rps)).collect(),
                ),
            ),
        ]),
        warnings: vec![
            "cpu_us_per_request_* are measured flat out on one thread (asking for more than it can carry); cpu_us_per_request_http includes the embedded server, which runs in the same process"
                .to_string(),
        ],
        report: median_report,
        service_crash: None,
        target: None,
    })
}

/// The CPU bench's flat-out runs of `duration` (null target, HTTP),
/// whose CPU per request is judged: no drain, so a run lasts its duration
/// rather than working off a full queue. `check --against` runs them too.
pub fn cpu_flat_out_specs(duration: Duration) -> FlatOut {
    let mut null = LoadSpec::steady(MAX_RPS, duration, 100);
    null.target = TargetSpec::Null;
    null.drain = Duration::ZERO;
    let mut http = LoadSpec::steady(HTTP_FLAT_OUT_RPS, duration, 100);
    http.target = TargetSpec::EMBEDDED;
    http.drain = Duration::ZERO;
    FlatOut { null, http }
}

/// The CPU bench's two flat-out runs ([`cpu_flat_out_specs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FlatOut {
    /// Against the null target: the engine alone.
    pub null: LoadSpec,
    /// HTTP to the in-process embedded server.
    pub http: LoadSpec,
}

/// The memory bench's short run at `rps` (its peak RSS is judged).
pub fn memory_spec(rps: f64, short: Duration) -> LoadSpec {
    let mut spec = LoadSpec::steady(rps, short, 100);
    spec.target = TargetSpec::Null;
    spec
}

/// CPU the limiter alone would use at `rps`, as % of one core: the cost of
/// the generator's `take_up_to_at` calls (one per ~1 ms wake, a batch each)
/// measured over a burst of calls on this machine.
pub fn limiter_cpu_percent(rps: f64) -> f64 {
    let clock = Arc::new(SystemClock::new());
    let limiter = match RateLimiter::new(MAX_RPS, Burst::Tokens(1e12), clock.clone()) {
        Ok(l) => l,
        Err(_) => return f64::NAN,
    };
    let batch = ratecheck_engine::batch::batch_size_for(rps) as u64;
    let calls = 200_000u64;
    let t0 = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(limiter.try_take(batch));
    }
    let per_call = t0.elapsed().as_secs_f64() / calls as f64;
    let calls_per_sec = rps / batch as f64;
    per_call * calls_per_sec * 100.0
}

pub(super) async fn run_memory(
    rps: f64,
    short: Duration,
    long: Duration,
    clock: &SharedClock,
    s: &SuiteRun<'_>,
) -> Result<ScenarioResult, Error> {
    let spec = memory_spec(rps, short);
    let mut rss_short = Vec::new();
    let mut warnings = Vec::new();
    let fresh = fresh_process_exe().is_some();
    if !fresh {
        warnings.push(
            "measured in this process (not the cargo-ratecheck binary): peak RSS includes earlier scenarios' memory"
                .to_string(),
        );
    }
    // Each trial is its own short and long pair: a one-off disturbance in
    // one run then moves one trial, not the median.
    let mut long_spec = spec.clone();
    long_spec.duration = long;
    let mut rss_long = Vec::new();
    let mut longs = Vec::new();
    for _ in 0..bench_trials(s.trials) {
        let r_short = bench_run(id::scenario::MEMORY, &spec, clock, s).await?;
        let r_long = bench_run(id::scenario::MEMORY, &long_spec, clock, s).await?;
        rss_short.push(r_short.memory.peak_rss_bytes as f64);
        rss_long.push(r_long.memory.peak_rss_bytes as f64);
        longs.push(r_long);
    }
    let short_fig = Figure::from_trials(FigureKind::Memory, "B", rss_short);
    let long_fig = Figure::from_trials(FigureKind::Memory, "B", rss_long);
    let growth = long_fig.value / short_fig.value;
    let r_long = longs.swap_remove(longs.len() / 2);
    if growth > 1.1 {
        warnings.push(format!(
            "peak RSS grew {:.0}% from a {:.0} s to a {:.0} s run: memory is not flat with run length",
            (growth - 1.0) * 100.0,
            short.as_secs_f64(),
            long.as_secs_f64()
        ));
    }
    Ok(ScenarioResult {
        name: id::scenario::MEMORY.into(),
        kind: ScenarioKind::Memory,
        figures: BTreeMap::from([
            (id::PEAK_RSS_BYTES.into(), short_fig),
            (
                id::PEAK_RSS_GROWTH.into(),
                Figure::single(FigureKind::Info, "x", growth),
            ),
        ]),
        warnings,
        report: Some(r_long),
        service_crash: None,
        target: None,
    })
}

/// The instruction bench: callgrind counts in child processes of this
/// binary; where valgrind or the binary is not at hand, each figure is
/// `unavailable` (not comparable, never passed silently). Records the
/// valgrind version in `build`.
pub(super) async fn run_instructions(
    build: &mut BuildInfo,
    cancel: &CancellationToken,
) -> Result<ScenarioResult, Error> {
    let unavailable = instructions::unavailable_figures;
    // Each unavailable figure becomes a not-comparable row with its own
    // warning; the scenario adds none.
    let figures = match (fresh_process_exe(), instructions::valgrind_version()) {
        (None, _) => unavailable("not run from the cargo-ratecheck binary"),
        (Some(_), None) => unavailable(instructions::NO_VALGRIND),
        (Some(exe), Some(version)) => {
            build.valgrind = Some(version);
            let scratch =
                std::env::temp_dir().join(format!("cargo-ratecheck-{}", std::process::id()));
            let result = tokio::task::spawn_blocking(move || {
                let root = instructions::this_build_root();
                let r = instructions::measure(&exe, root, &scratch);
                let _ = std::fs::remove_dir_all(&scratch);
                r
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            // Ctrl-C reaches the valgrind children too: their failure is
            // the interruption, not a broken bench.
            if cancel.is_cancelled() {
                return Err(Error::Interrupted);
            }
            result.map_err(|msg| Error::Scenario {
                scenario: id::scenario::INSTRUCTIONS.into(),
                msg,
            })?
        }
    };
    Ok(ScenarioResult::new(
        id::scenario::INSTRUCTIONS,
        ScenarioKind::Instructions,
        figures,
    ))
}
