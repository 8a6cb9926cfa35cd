//! The services the suite's scenarios load (`target = "service:NAME"`):
//! each is started before the first step that names it and stopped after
//! the last ([`last_uses`], pure), restarted when it exited during a
//! scenario, and stopped by its guard on every other way out (an error,
//! Ctrl-C). A scenario against a service is an engine run against its URL
//! with the service's process tree sampled from `/proc` alongside, and
//! yields the service's figures and, when it exited, its last lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{engine_run, load_figures, scenario_floor, Event, Step, SuiteRun};
use crate::config::ScenarioSpec;
use crate::duration::format_duration;
use crate::error::Error;
use crate::figure::{Figure, ScenarioKind, ScenarioResult, ServiceCrash};
use crate::service::figures::service_figures;
use crate::service::proc::Sampler;
use crate::service::{lifecycle, RunningService, ServiceError, ServiceSpec};
use ratecheck_engine::clock::SharedClock;
use ratecheck_engine::load::{LoadSpec, TargetSpec};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::ProgressFn;

/// Shortest and longest interval between two samples of a service.
const MIN_SAMPLE_INTERVAL: Duration = Duration::from_millis(25);
/// See [`MIN_SAMPLE_INTERVAL`].
const MAX_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);
/// Samples a run aims for at most (well inside
/// [`crate::service::proc::MAX_SAMPLES`]).
const TARGET_SAMPLES: u32 = 10_000;

/// A service a step loads ([`service_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceUse<'a> {
    /// The service's name.
    pub name: &'a str,
    /// The path the step requests.
    pub path: &'a str,
}

/// The service a step loads, and the path it requests.
pub fn service_of(step: &Step) -> Option<ServiceUse<'_>> {
    match step {
        Step::Load(s) => match &s.load.target {
            TargetSpec::Service { name, path } => Some(ServiceUse { name, path }),
            _ => None,
        },
        _ => None,
    }
}

/// For each service the steps name, the index of the last step naming it:
/// the service stops after that step.
pub fn last_uses(steps: &[Step]) -> BTreeMap<String, usize> {
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| service_of(s).map(|u| (u.name.to_string(), i)))
        .collect()
}

/// How often to sample a service during a run of `load`: every 25 ms, less
/// often for long runs so the samples stay bounded.
pub fn sample_interval(load: &LoadSpec) -> Duration {
    let total = load.ramp_up + load.duration + load.ramp_down + load.drain;
    (total / TARGET_SAMPLES).clamp(MIN_SAMPLE_INTERVAL, MAX_SAMPLE_INTERVAL)
}

/// The running services of one suite run.
pub struct Services<'a> {
    specs: &'a [ServiceSpec],
    root: PathBuf,
    running: BTreeMap<String, RunningService>,
}

impl<'a> Services<'a> {
    pub fn new(specs: &'a [ServiceSpec], root: &Path) -> Services<'a> {
        Services {
            specs,
            root: root.to_path_buf(),
            running: BTreeMap::new(),
        }
    }

    /// The running service `name`, started (and awaited ready) if it is
    /// not running.
    pub async fn get(
        &mut self,
        name: &str,
        cancel: &CancellationToken,
        on_event: &(dyn Fn(&Event) + Sync),
    ) -> Result<&mut RunningService, Error> {
        if !self.running.contains_key(name) {
            let spec = self
                .specs
                .iter()
                .find(|s| s.name == name)
                .ok_or_else(|| Error::new(format!("service {name}: not configured")))?;
            let svc = start(spec.clone(), self.root.clone(), cancel.clone(), on_event).await?;
            self.running.insert(name.to_string(), svc);
        }
        self.running
            .get_mut(name)
            .ok_or_else(|| Error::new(format!("service {name}: not running")))
    }

    /// Stops `name` if it runs (signal, grace, kill), off the async
    /// threads; says so when it had to be killed.
    pub async fn stop(&mut self, name: &str, on_event: &(dyn Fn(&Event) + Sync)) {
        let Some(mut svc) = self.running.remove(name) else {
            return;
        };
        let stop = self
            .specs
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.stop)
            .unwrap_or_default();
        let killed = tokio::task::spawn_blocking(move || {
            svc.stop();
            svc.was_killed()
        })
        .await
        .unwrap_or(false);
        if killed {
            on_event(&Event::Note(format!(
                "ratecheck: service {name} did not stop within {} of SIG{}: killed",
                format_duration(stop.grace),
                stop.signal.name()
            )));
        }
    }

    /// Stops every running service.
    pub async fn stop_all(&mut self, on_event: &(dyn Fn(&Event) + Sync)) {
        let names: Vec<String> = self.running.keys().cloned().collect();
        for n in names {
            self.stop(&n, on_event).await;
        }
    }

    /// Runs the load scenario `spec` against its service `name` (`path`
    /// requested), sampling the service's process tree.
    pub async fn run_scenario(
        &mut self,
        spec: &ScenarioSpec,
        name: &str,
        path: &str,
        clock: &SharedClock,
        s: &SuiteRun<'_>,
    ) -> Result<ScenarioResult, Error> {
        let svc = self.get(name, &s.cancel, s.on_event).await?;
        let run = SampledRun {
            scenario: &spec.name,
            load: &spec.load,
            path,
            floor: scenario_floor(spec),
        };
        let Measured {
            report,
            service,
            crash,
        } = run
            .measure(svc, clock, &s.cancel, (s.progress)(&spec.name))
            .await?;
        let mut figures = load_figures(&report);
        figures.extend(service);
        let mut warnings = Vec::new();
        if let Some(c) = &crash {
            warnings.push(c.line());
            // What is left of its group goes; the next scenario naming it
            // starts it afresh.
            self.stop(name, s.on_event).await;
        }
        warnings.extend(report.warnings.iter().cloned());
        Ok(ScenarioResult {
            name: spec.name.clone(),
            kind: ScenarioKind::Load,
            figures,
            warnings,
            report: Some(report),
            service_crash: crash,
            target: Some(super::target_id(&spec.load)),
        })
    }
}

/// One engine run against a running service, its process tree sampled
/// alongside ([`SampledRun::measure`]).
#[derive(Debug, Clone, Copy)]
pub struct SampledRun<'a> {
    /// The scenario, for errors.
    pub scenario: &'a str,
    /// The run; its target is replaced by the service's URL.
    pub load: &'a LoadSpec,
    /// The path requested.
    pub path: &'a str,
    /// The scenario's own efficiency floor, if it has one.
    pub floor: Option<f64>,
}

/// What one [`SampledRun`] measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub report: RunReport,
    /// The service's figures over the judged window
    /// ([`service_figures`]).
    pub service: BTreeMap<String, Figure>,
    /// How and with what last lines it exited, when it did.
    pub crash: Option<ServiceCrash>,
}

impl SampledRun<'_> {
    /// Runs the load against `svc` through the engine, sampling its tree
    /// only over this run. The run stops early when the service exits;
    /// `cancel` (Ctrl-C) stops both.
    pub async fn measure(
        &self,
        svc: &mut RunningService,
        clock: &SharedClock,
        cancel: &CancellationToken,
        progress: Option<ProgressFn>,
    ) -> Result<Measured, Error> {
        let mut load = self.load.clone();
        load.target = TargetSpec::Url(svc.url(self.path));
        let run_cancel = cancel.child_token();
        let sampler = Sampler::start(svc.pid(), sample_interval(&load), run_cancel.clone());
        // The run's times are from (just after) here; the samples' from
        // the sampler's first sample.
        let offset = sampler.origin().elapsed().as_secs_f64();
        let report = engine_run(
            &load,
            self.scenario,
            self.floor,
            clock.clone(),
            run_cancel,
            progress,
        )
        .await;
        let samples = sampler.finish();
        let report = report.map_err(|e| match e {
            Error::Scenario { scenario, msg } => Error::Scenario {
                scenario: format!("{scenario} (service {})", svc.name()),
                msg,
            },
            other => other,
        })?;
        let crash = svc.exit_status().map(|st| ServiceCrash {
            service: svc.name().to_string(),
            status: st.to_string(),
            stderr: svc.stderr_tail(),
            stdout: svc.stdout_tail(),
        });
        let service = service_figures(&samples, &report, offset, crash.is_none());
        Ok(Measured {
            report,
            service,
            crash,
        })
    }
}

/// `work` on a blocking thread, the notes it gives passed on as
/// [`Event::Note`] while it runs.
async fn with_notes<T: Send + 'static>(
    work: impl FnOnce(&dyn Fn(String)) -> T + Send + 'static,
    on_event: &(dyn Fn(&Event) + Sync),
) -> Result<T, tokio::task::JoinError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut task = tokio::task::spawn_blocking(move || {
        work(&|note| {
            let _ = tx.send(note);
        })
    });
    let result = loop {
        tokio::select! {
            Some(note) = rx.recv() => on_event(&Event::Note(note)),
            r = &mut task => break r,
        }
    };
    while let Ok(note) = rx.try_recv() {
        on_event(&Event::Note(note));
    }
    result
}

/// A service's result as the suite's error: Ctrl-C is the interruption.
fn service_result<T>(
    name: &str,
    result: Result<Result<T, ServiceError>, tokio::task::JoinError>,
) -> Result<T, Error> {
    match result {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(ServiceError::Interrupted { .. })) => Err(Error::Interrupted),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(Error::new(format!("service {name}: {e}"))),
    }
}

/// [`lifecycle::start`] on a blocking thread, its notes passed on as
/// [`Event::Note`] while it runs.
async fn start(
    spec: ServiceSpec,
    root: PathBuf,
    cancel: CancellationToken,
    on_event: &(dyn Fn(&Event) + Sync),
) -> Result<RunningService, Error> {
    let name = spec.name.clone();
    let started = with_notes(
        move |note| lifecycle::start(&spec, &root, &cancel, note),
        on_event,
    )
    .await;
    service_result(&name, started)
}

/// [`lifecycle::build`] on a blocking thread (the `cargo build` of a
/// `cargo run` service, nothing for another command), its notes passed on
/// as [`Event::Note`].
pub async fn build(
    spec: ServiceSpec,
    root: PathBuf,
    cancel: CancellationToken,
    on_event: &(dyn Fn(&Event) + Sync),
) -> Result<(), Error> {
    let name = spec.name.clone();
    let built = with_notes(
        move |note| lifecycle::build(&spec, &root, &cancel, note),
        on_event,
    )
    .await;
    service_result(&name, built)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{default_steps, load};

    fn on(service: &str, name: &str) -> Step {
        let mut s = load(name, 10.0, 1.0, 1);
        s.load.target = TargetSpec::Service {
            name: service.into(),
            path: "/x".into(),
        };
        Step::Load(Box::new(s))
    }

    #[test]
    fn each_service_stops_after_its_last_step() {
        let mut steps = vec![on("api", "a1"), on("web", "w1"), on("api", "a2")];
        steps.extend(default_steps(true));
        let last = last_uses(&steps);
        assert_eq!(last, BTreeMap::from([("api".into(), 2), ("web".into(), 1)]));
        assert_eq!(
            service_of(&steps[1]),
            Some(ServiceUse {
                name: "web",
                path: "/x"
            })
        );
        assert_eq!(service_of(&steps[3]), None);
        assert!(last_uses(&default_steps(false)).is_empty());
    }

    #[test]
    fn samples_stay_bounded_for_long_runs() {
        let short = LoadSpec::steady(10.0, Duration::from_secs(1), 1);
        assert_eq!(sample_interval(&short), MIN_SAMPLE_INTERVAL);
        let long = LoadSpec::steady(10.0, Duration::from_secs(3600), 1);
        let i = sample_interval(&long);
        assert!(i > MIN_SAMPLE_INTERVAL && i <= MAX_SAMPLE_INTERVAL, "{i:?}");
        let samples = (long.duration + long.drain).as_secs_f64() / i.as_secs_f64();
        assert!(
            samples <= crate::service::proc::MAX_SAMPLES as f64,
            "{samples}"
        );
    }
}
