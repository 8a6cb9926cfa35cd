//! The gate's suite: which scenarios run (the built-in default or the
//! configured list, filtered), how each runs (load scenarios through the
//! engine against the embedded server, the null target or a URL; the CPU and
//! memory benches with repeated trials), and which figures each yields.
//! Planning and figure extraction are pure; `run_suite` does the running.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

mod benches;
pub mod callgrind;
pub mod child;
pub mod figures;
mod inlined;
pub mod instructions;
pub mod part;
pub mod services;

pub use benches::{cpu_flat_out_specs, limiter_cpu_percent, memory_spec, FlatOut};
pub use figures::{cpu_us_per_request, load_figures};

use crate::config::ScenarioSpec;
use crate::error::Error;
use crate::figure::id;
use crate::figure::{Figure, FigureKind, ScenarioKind, ScenarioResult, SuiteResult, TargetId};
use crate::service::ServiceSpec;
use ratecheck_engine::clock::{SharedClock, SystemClock};
use ratecheck_engine::load::setup;
use ratecheck_engine::load::{LoadSpec, TargetSpec};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::{run, ProgressFn};
use ratecheck_engine::selftest;
use services::Services;

/// One planned step of the suite.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Load(Box<ScenarioSpec>),
    /// Engine CPU per request flat out (null target and HTTP, `trials`
    /// times, judged) and % of a core at `rps` against the null target (once,
    /// shown).
    Cpu {
        rps: f64,
        duration: Duration,
    },
    /// Peak RSS, allocations per request and growth from a short to a long
    /// run, each trial a short and a long run.
    Memory {
        rps: f64,
        short: Duration,
        long: Duration,
    },
    /// Instructions per request under callgrind (see [`instructions`]).
    Instructions,
}

impl Step {
    pub fn name(&self) -> &str {
        match self {
            Step::Load(s) => &s.name,
            Step::Cpu { .. } => id::scenario::CPU,
            Step::Memory { .. } => id::scenario::MEMORY,
            Step::Instructions => id::scenario::INSTRUCTIONS,
        }
    }

    /// Expected run time, for budgets and for splitting the suite over a
    /// CI matrix ([`part`]). On the 2-core development VM the quick
    /// benches took cpu 5.6 s, memory 6.2 s and instructions 9.3 s.
    pub fn estimate(&self, trials: usize) -> Duration {
        match self {
            Step::Load(s) => s.load.ramp_up + s.load.duration + s.load.ramp_down,
            // Each run a fresh child process, which starts in ~0.2 s.
            Step::Cpu { duration, .. } => {
                (*duration + CHILD_START) * (2 * bench_trials(trials) as u32 + 1)
            }
            Step::Memory { short, long, .. } => (*short + *long) * bench_trials(trials) as u32,
            // Four callgrind runs at once on two cores, ~50× slower than native.
            Step::Instructions => Duration::from_secs(9),
        }
    }
}

/// What starting a bench's child process costs, in [`Step::estimate`].
const CHILD_START: Duration = Duration::from_millis(200);

/// Trials of the CPU and memory benches: at least [`MIN_BENCH_TRIALS`], so
/// their median stands against one slow trial on a shared machine.
pub fn bench_trials(configured: usize) -> usize {
    configured.max(MIN_BENCH_TRIALS)
}

/// See [`bench_trials`].
pub const MIN_BENCH_TRIALS: usize = 5;

/// A quick steady scenario against the embedded server.
fn load(name: &str, rps: f64, secs: f64, concurrency: usize) -> ScenarioSpec {
    ScenarioSpec {
        name: name.to_string(),
        load: LoadSpec::steady(rps, Duration::from_secs_f64(secs), concurrency),
        thresholds: None,
        quick: true,
    }
}

/// The built-in suite (README.md, "Configuration"): steady 200 / 1000 / 10000 rps, a
/// concurrency sweep at 1000 rps, a ramp 0 → 1000 → 0, the CPU and memory
/// benches. `quick` keeps the same names with shorter runs.
pub fn default_steps(quick: bool) -> Vec<Step> {
    let s = |full: f64, q: f64| if quick { q } else { full };
    let mut ramp = load("ramp-1k", 1000.0, s(2.0, 1.0), 50);
    ramp.load.ramp_up = Duration::from_secs_f64(s(2.0, 0.5));
    ramp.load.ramp_down = Duration::from_secs_f64(s(2.0, 0.5));
    let mut steps = vec![
        Step::Load(Box::new(load("steady-200", 200.0, s(5.0, 2.0), 10))),
        Step::Load(Box::new(load("steady-1k", 1000.0, s(5.0, 1.5), 50))),
        Step::Load(Box::new(load("steady-10k", 10_000.0, s(5.0, 1.5), 100))),
    ];
    if !quick {
        for c in [10, 100, 500] {
            steps.push(Step::Load(Box::new(load(
                &format!("sweep-1k-c{c}"),
                1000.0,
                3.0,
                c,
            ))));
        }
    }
    steps.push(Step::Load(Box::new(ramp)));
    steps.push(Step::Cpu {
        rps: 10_000.0,
        duration: Duration::from_secs_f64(s(1.0, 0.3)),
    });
    steps.push(Step::Memory {
        rps: 10_000.0,
        short: Duration::from_secs_f64(s(1.0, 0.3)),
        long: Duration::from_secs_f64(s(3.0, 0.9)),
    });
    steps.push(Step::Instructions);
    steps
}

/// The steps to run in this tool's own workspace: [`plan_with`] the
/// engine's scenarios and benches.
pub fn plan(configured: Option<&[ScenarioSpec]>, quick: bool, patterns: &[String]) -> Vec<Step> {
    plan_with(configured, true, quick, patterns)
}

/// The steps to run: the configured scenarios or, when `engine` and none
/// are configured, the default suite; the benches when `engine`; `--quick`
/// keeping only quick ones; filtered by name. Without `engine` (a
/// workspace that is not this tool's, unless `engine-benches = true`) the
/// steps that measure the engine itself do not run: without configured
/// scenarios, none (the self-test runs before any plan).
pub fn plan_with(
    configured: Option<&[ScenarioSpec]>,
    engine: bool,
    quick: bool,
    patterns: &[String],
) -> Vec<Step> {
    let steps = match configured {
        Some(list) => {
            let mut steps: Vec<Step> = list
                .iter()
                .filter(|s| !quick || s.quick)
                .cloned()
                .map(|s| Step::Load(Box::new(s)))
                .collect();
            if engine {
                // The benches go with every suite that measures the engine.
                steps.extend(
                    default_steps(quick)
                        .into_iter()
                        .filter(|s| !matches!(s, Step::Load(_))),
                );
            }
            steps
        }
        None if engine => default_steps(quick),
        None => Vec::new(),
    };
    steps
        .into_iter()
        .filter(|s| patterns.is_empty() || patterns.iter().any(|p| s.name().contains(p.as_str())))
        .collect()
}

/// Suite events, for progress displays.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        name: String,
        index: usize,
        total: usize,
    },
    Finished {
        name: String,
        seconds: f64,
    },
    /// Something worth a line on standard error (a service being built,
    /// a service ready).
    Note(String),
}

/// How to run the suite.
pub struct SuiteRun<'a> {
    pub steps: Vec<Step>,
    pub trials: usize,
    pub quick: bool,
    pub cancel: CancellationToken,
    pub on_event: &'a (dyn Fn(&Event) + Sync),
    /// A progress callback per engine run.
    pub progress: &'a (dyn Fn(&str) -> Option<ProgressFn> + Sync),
    /// The configured services, which scenarios may name.
    pub services: &'a [ServiceSpec],
    /// Where services run (their `cwd` is relative to it).
    pub workspace_root: &'a Path,
}

/// Runs the self-test and every step. Must run inside a tokio runtime.
pub async fn run_suite(s: SuiteRun<'_>) -> Result<SuiteResult, Error> {
    let clock: SharedClock = Arc::new(SystemClock::new());
    let total = s.steps.len() + 1;
    (s.on_event)(&Event::Started {
        name: id::scenario::SELF_TEST.into(),
        index: 0,
        total,
    });
    let t0 = Instant::now();
    let st = selftest::self_test(clock.clone()).await?;
    let mut build = crate::figure::BuildInfo::of_this_binary();
    let planned = s.steps.iter().map(|s| s.name().to_string()).collect();
    (s.on_event)(&Event::Finished {
        name: id::scenario::SELF_TEST.into(),
        seconds: t0.elapsed().as_secs_f64(),
    });
    let mut scenarios = vec![ScenarioResult {
        name: id::scenario::SELF_TEST.into(),
        kind: ScenarioKind::SelfTest,
        figures: BTreeMap::from([
            (
                id::PASSED.to_string(),
                Figure::single(FigureKind::Info, "", if st.passed { 1.0 } else { 0.0 }),
            ),
            (
                id::EFFICIENCY.to_string(),
                Figure::single(FigureKind::Efficiency, "", st.report.efficiency),
            ),
        ]),
        report: Some(st.report.clone()),
        warnings: st.problems.clone(),
        service_crash: None,
        target: None,
    }];
    let mut running = Services::new(s.services, s.workspace_root);
    let ran = run_steps(&s, &clock, &mut build, &mut running, &mut scenarios).await;
    // Every way out stops the services (the guards would too, blocking).
    running.stop_all(s.on_event).await;
    ran?;
    Ok(SuiteResult {
        quick: s.quick,
        selftest_passed: st.passed,
        scenarios,
        planned,
        build: Some(build),
    })
}

/// Runs the steps in order into `scenarios`, starting each service before
/// the first step naming it and stopping it after the last.
async fn run_steps(
    s: &SuiteRun<'_>,
    clock: &SharedClock,
    build: &mut crate::figure::BuildInfo,
    running: &mut Services<'_>,
    scenarios: &mut Vec<ScenarioResult>,
) -> Result<(), Error> {
    let total = s.steps.len() + 1;
    let last_uses = services::last_uses(&s.steps);
    for (i, step) in s.steps.iter().enumerate() {
        if s.cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        (s.on_event)(&Event::Started {
            name: step.name().to_string(),
            index: i + 1,
            total,
        });
        let t0 = Instant::now();
        let result = match step {
            Step::Load(spec) => match services::service_of(step) {
                Some(u) => running.run_scenario(spec, u.name, u.path, clock, s).await?,
                None => run_load(spec, clock, s).await?,
            },
            Step::Cpu { rps, duration } => benches::run_cpu(*rps, *duration, clock, s).await?,
            Step::Memory { rps, short, long } => {
                benches::run_memory(*rps, *short, *long, clock, s).await?
            }
            Step::Instructions => benches::run_instructions(build, &s.cancel).await?,
        };
        if let Some(u) = services::service_of(step) {
            if last_uses.get(u.name) == Some(&i) {
                running.stop(u.name, s.on_event).await;
            }
        }
        if s.cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        (s.on_event)(&Event::Finished {
            name: step.name().to_string(),
            seconds: t0.elapsed().as_secs_f64(),
        });
        scenarios.push(result);
    }
    Ok(())
}

/// Runs `load` through the engine against its target (started and stopped
/// here, the embedded server included); `name` names it in errors, and
/// `floor`, the scenario's own efficiency floor if it has one, words its
/// warnings.
async fn engine_run(
    load: &LoadSpec,
    name: &str,
    floor: Option<f64>,
    clock: SharedClock,
    cancel: CancellationToken,
    progress: Option<ProgressFn>,
) -> Result<RunReport, Error> {
    let started = setup::start(&load.target, load.timeout, &load.traffic)
        .await
        .map_err(|e| Error::Scenario {
            scenario: name.to_string(),
            msg: e.to_string(),
        })?;
    let mut cfg = load.run_config(started.target.clone(), started.server.is_some());
    if let Some(floor) = floor {
        cfg.efficiency_floor = floor;
    }
    let report = run(&cfg, clock, cancel, progress).await;
    started.shutdown().await;
    Ok(report?)
}

/// What `load` loads, as its scenario records it: a URL by its scheme,
/// host and port, the others by name; and the protocol.
pub fn target_id(load: &LoadSpec) -> TargetId {
    let protocol = if load.traffic.client.http2 {
        "HTTP/2"
    } else {
        "HTTP/1.1"
    };
    let host = match &load.target {
        TargetSpec::Null => {
            return TargetId {
                host: "null".into(),
                protocol: String::new(),
            }
        }
        TargetSpec::Embedded(_) => "embedded".to_string(),
        TargetSpec::Service { name, .. } => format!("service:{name}"),
        // A configured URL was validated: it has an origin.
        TargetSpec::Url(u) => ratecheck_engine::target::origin(u).unwrap_or_else(|_| u.clone()),
    };
    TargetId {
        host,
        protocol: protocol.into(),
    }
}

/// The efficiency floor `spec` sets for itself, if any.
pub fn scenario_floor(spec: &ScenarioSpec) -> Option<f64> {
    spec.thresholds.and_then(|t| t.efficiency_floor)
}

async fn run_load(
    spec: &ScenarioSpec,
    clock: &SharedClock,
    s: &SuiteRun<'_>,
) -> Result<ScenarioResult, Error> {
    let report = engine_run(
        &spec.load,
        &spec.name,
        scenario_floor(spec),
        clock.clone(),
        s.cancel.clone(),
        (s.progress)(&spec.name),
    )
    .await?;
    Ok(ScenarioResult {
        name: spec.name.clone(),
        kind: ScenarioKind::Load,
        figures: load_figures(&report),
        warnings: report.warnings.clone(),
        report: Some(report),
        service_crash: None,
        target: Some(target_id(&spec.load)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratecheck_engine::load::TargetSpec;

    #[test]
    fn default_suite_names_and_budget() {
        let full = default_steps(false);
        let names: Vec<_> = full.iter().map(|s| s.name().to_string()).collect();
        assert_eq!(
            names,
            [
                "steady-200",
                "steady-1k",
                "steady-10k",
                "sweep-1k-c10",
                "sweep-1k-c100",
                "sweep-1k-c500",
                "ramp-1k",
                "cpu",
                "memory",
                "instructions"
            ]
        );
        let secs = |steps: &[Step]| steps.iter().map(|s| s.estimate(3)).sum::<Duration>();
        assert!(secs(&full) <= Duration::from_secs(75), "{:?}", secs(&full));
        let quick = default_steps(true);
        assert!(
            secs(&quick) <= Duration::from_secs(28),
            "{:?}",
            secs(&quick)
        );
        // Quick runs keep the names, so a full baseline covers them.
        assert!(quick.iter().all(|q| names.iter().any(|n| n == q.name())));
    }

    #[test]
    fn plan_filters_by_pattern_and_quick() {
        let p = plan(None, false, &["steady".to_string()]);
        assert_eq!(p.len(), 3);
        let mut a = load("a", 10.0, 1.0, 1);
        a.quick = false;
        let b = load("b", 10.0, 1.0, 1);
        let p = plan(Some(&[a.clone(), b.clone()]), true, &[]);
        let names: Vec<_> = p.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["b", "cpu", "memory", "instructions"]);
        let p = plan(Some(&[a, b]), false, &["a".into()]);
        assert_eq!(p.iter().map(|s| s.name()).collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn another_workspace_plans_its_own_scenarios_and_no_engine_step() {
        let names = |p: Vec<Step>| p.iter().map(|s| s.name().to_string()).collect::<Vec<_>>();
        let mut api = load("api-200", 200.0, 1.0, 10);
        api.load.target = TargetSpec::Service {
            name: "api".into(),
            path: "/".into(),
        };
        let mut slow = load("api-slow", 10.0, 1.0, 1);
        slow.quick = false;
        let list = [api, slow];
        assert_eq!(
            names(plan_with(Some(&list), false, false, &[])),
            ["api-200", "api-slow"]
        );
        assert_eq!(names(plan_with(Some(&list), false, true, &[])), ["api-200"]);
        // No scenario configured: nothing but the self-test runs.
        assert!(plan_with(None, false, false, &[]).is_empty());
        assert!(plan_with(None, false, true, &["steady".into()]).is_empty());
        // engine-benches = true: the benches after its own scenarios, or
        // the whole default suite; the same as this tool's workspace.
        assert_eq!(
            names(plan_with(Some(&list), true, true, &[])),
            ["api-200", "cpu", "memory", "instructions"]
        );
        assert_eq!(
            plan_with(None, true, false, &[]),
            plan(None, false, &[]),
            "this tool's own plan"
        );
        assert_eq!(names(plan_with(None, true, true, &[])).len(), 7);
    }
}
