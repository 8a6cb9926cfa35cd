//! The gate's measuring, through the suite and the revision module: the
//! planned suite (planned once, by [`plan`]), the base revision's build and
//! the paired runs of `--against`. Progress goes out as [`GateEvent`]s.

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::events::{GateEvent, Observer};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::figure::{BuildInfo, SuiteResult};
use crate::git;
use crate::revision::counts::{self, PairedCounts};
use crate::revision::{self, paired::PairedTrials, BaseBuild, BuiltRevision};
use crate::suite::{self, Event, Step, SuiteRun};

/// The suite's steps for `--quick` and the `--scenario` patterns; an error
/// naming the scenarios when the patterns match none.
pub fn plan(config: &Config, quick: bool, patterns: &[String]) -> Result<Vec<Step>> {
    let configured = config.scenarios.as_deref();
    let engine = config.engine_steps();
    let steps = suite::plan_with(configured, engine, quick, patterns);
    if steps.is_empty() && !patterns.is_empty() {
        let names: Vec<String> = suite::plan_with(configured, engine, quick, &[])
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        let shown = if names.is_empty() {
            "none is configured (engine-benches = true plans the engine's own)".to_string()
        } else {
            format!("names are: {}", names.join(", "))
        };
        return Err(Error::new(format!(
            "--scenario {}: no scenario matches; {shown}",
            patterns.join(", ")
        )));
    }
    Ok(steps)
}

/// Said when a workspace that is not this tool's configures no scenario.
const NO_SCENARIOS: &str = "ratecheck: no scenarios configured: only the self-test runs; add [[…ratecheck.scenario]] tables (cargo ratecheck init writes one for a service), or set engine-benches = true for the engine's own suite";

/// Runs the self-test and `steps`; Ctrl-C (`cancel`) → no verdict.
pub async fn measure(
    config: &Config,
    steps: Vec<Step>,
    quick: bool,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<SuiteResult> {
    let on_event = |e: &Event| observer.event(&GateEvent::Suite(e));
    if config.scenarios.is_none() && !config.engine_steps() {
        on_event(&Event::Note(NO_SCENARIOS.to_string()));
    }
    let progress = |label: &str| observer.progress(label);
    suite::run_suite(SuiteRun {
        steps,
        trials: config.trials,
        quick,
        cancel: cancel.clone(),
        on_event: &on_event,
        progress: &progress,
        services: &config.services,
        workspace_root: &config.workspace_root,
    })
    .await
}

/// `--against REV`: builds the code under test at REV (before the suite
/// runs, so a revision that does not exist or build fails in seconds): in
/// this tool's own workspace its binary, in any other the services the
/// planned `steps` load ([`revision::services::prepare`]).
pub(super) async fn build_base(
    config: &Config,
    steps: &[Step],
    rev: &str,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<BaseBuild> {
    if !config.this_tool {
        let started = Instant::now();
        observer.event(&GateEvent::Building { rev });
        let on_event = |e: &Event| observer.event(&GateEvent::Suite(e));
        let tree = revision::services::prepare(config, steps, rev, cancel, &on_event).await?;
        observer.event(&GateEvent::Built {
            rev,
            commit: &tree.commit,
            seconds: started.elapsed().as_secs_f64(),
        });
        return Ok(BaseBuild::Services(tree));
    }
    build_tool(config, rev, observer, cancel)
        .await
        .map(BaseBuild::Tool)
}

/// REV's cargo-ratecheck binary. Needs this process to be the
/// cargo-ratecheck binary, the other side of the pairs.
async fn build_tool(
    config: &Config,
    rev: &str,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<BuiltRevision> {
    if suite::child::fresh_process_exe().is_none() {
        return Err(Error::new(format!(
            "--against {rev}: run from the cargo-ratecheck binary (cargo ratecheck, or cargo run --release -- ratecheck)"
        )));
    }
    let root = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
        Error::new(format!(
            "--against {rev}: {} is not in a git repository",
            config.workspace_root.display()
        ))
    })?;
    let started = Instant::now();
    observer.event(&GateEvent::Building { rev });
    let built = revision::build_at(&root, rev, &config.target_dir, cancel).await?;
    observer.event(&GateEvent::Built {
        rev,
        commit: &built.commit,
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(built)
}

/// `--against`: the paired run of the time-based figures of `steps`, base
/// and current build alternating: binaries, or services.
pub(super) async fn measure_paired(
    config: &Config,
    steps: &[Step],
    base: &BaseBuild,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<PairedTrials>> {
    match base {
        BaseBuild::Tool(b) => measure_paired_tool(config, steps, b, observer, cancel).await,
        BaseBuild::Services(t) => measure_paired_services(config, steps, t, observer, cancel).await,
    }
}

/// The paired run of REV's services and the current ones.
async fn measure_paired_services(
    config: &Config,
    steps: &[Step],
    base: &revision::services::BaseTree,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<PairedTrials>> {
    let pairs = suite::bench_trials(config.trials).max(revision::run::MIN_PAIRS);
    observer.event(&GateEvent::PairsStarted {
        rev: &base.rev,
        pairs,
    });
    let on_event = |e: &Event| observer.event(&GateEvent::Suite(e));
    let on_pair = |done: usize| observer.event(&GateEvent::Pair { done, pairs });
    let how = revision::services::PairedServices {
        pairs,
        cancel,
        on_event: &on_event,
        on_pair: &on_pair,
    };
    let trials = revision::services::run_paired(config, base, steps, &how).await;
    observer.event(&GateEvent::PairsFinished);
    trials
}

/// The paired run of REV's binary and this one.
async fn measure_paired_tool(
    config: &Config,
    steps: &[Step],
    base: &BuiltRevision,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Vec<PairedTrials>> {
    let exe = suite::child::fresh_process_exe()
        .ok_or_else(|| Error::new("--against: not the cargo-ratecheck binary"))?;
    let staged_base = revision::build::stage(&config.target_dir, &base.binary, "base")?;
    let current = revision::build::stage(&config.target_dir, &exe, "current")?;
    let specs = revision::run::paired_specs(steps);
    let pairs = suite::bench_trials(config.trials).max(revision::run::MIN_PAIRS);
    observer.event(&GateEvent::PairsStarted {
        rev: &base.rev,
        pairs,
    });
    let on_pair = |done: usize| observer.event(&GateEvent::Pair { done, pairs });
    let trials = revision::run::run_paired(
        staged_base.path.clone(),
        current.path.clone(),
        &base.rev,
        specs,
        pairs,
        cancel,
        &on_pair,
    )
    .await;
    observer.event(&GateEvent::PairsFinished);
    trials
}

/// `--against`: the counts (instructions and allocations per request) of
/// the base build and this build, both counted here under callgrind; `None`
/// when `steps` do not count instructions (`--scenario` left them out).
pub(super) async fn measure_counts(
    config: &Config,
    steps: &[Step],
    base: &BaseBuild,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Option<PairedCounts>> {
    // The counts are the engine's: paired only where it is the code under
    // test (a workspace's services are paired by their wall-clock figures).
    let BaseBuild::Tool(base) = base else {
        return Ok(None);
    };
    if !steps.iter().any(|s| matches!(s, Step::Instructions)) {
        return Ok(None);
    }
    let exe = suite::child::fresh_process_exe()
        .ok_or_else(|| Error::new("--against: not the cargo-ratecheck binary"))?;
    let mut build = BuildInfo::of_this_binary();
    let Some(valgrind) = suite::instructions::valgrind_version() else {
        let why = suite::instructions::NO_VALGRIND;
        return Ok(Some(PairedCounts::unavailable(&base.rev, why, &build)));
    };
    build.valgrind = Some(valgrind);
    // Equal-length names, so both binaries' paths are alike.
    let staged_base = revision::build::stage(&config.target_dir, &base.binary, "cnt-base")?;
    let current = revision::build::stage(&config.target_dir, &exe, "cnt-curr")?;
    observer.event(&GateEvent::Counting { rev: &base.rev });
    let rev = base.rev.clone();
    let base_root = revision::build::worktree_dir(&config.target_dir, &base.commit);
    let scratch =
        std::env::temp_dir().join(format!("cargo-ratecheck-counts-{}", std::process::id()));
    let counted = tokio::task::spawn_blocking(move || {
        let base_side = (staged_base.path.as_path(), base_root.as_path());
        let c = counts::measure_both(&rev, base_side, &current.path, &scratch, &build);
        let _ = std::fs::remove_dir_all(&scratch);
        c
    })
    .await
    .map_err(|e| Error::new(format!("--against: counting failed: {e}")))?;
    // Ctrl-C reaches the valgrind children too: their failure is the
    // interruption, not a broken count.
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    Ok(Some(counted))
}
