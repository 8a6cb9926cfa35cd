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
use crate::revision::{self, paired::PairedTrials, BuiltRevision};
use crate::suite::{self, Event, Step, SuiteRun};

/// The suite's steps for `--quick` and the `--scenario` patterns; an error
/// naming the scenarios when the patterns match none.
pub fn plan(config: &Config, quick: bool, patterns: &[String]) -> Result<Vec<Step>> {
    let steps = suite::plan(config.scenarios.as_deref(), quick, patterns);
    if steps.is_empty() && !patterns.is_empty() {
        let names: Vec<String> = suite::plan(config.scenarios.as_deref(), quick, &[])
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        return Err(Error::new(format!(
            "--scenario {}: no scenario matches; names are: {}",
            patterns.join(", "),
            names.join(", ")
        )));
    }
    Ok(steps)
}

/// Runs the self-test and `steps`; Ctrl-C (`cancel`) → no verdict.
pub async fn measure(
    config: &Config,
    steps: Vec<Step>,
    quick: bool,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<SuiteResult> {
    let on_event = |e: &Event| observer.event(&GateEvent::Suite(e));
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

/// `--against REV`: builds REV's binary (before the suite runs, so a
/// revision that does not exist or build fails in seconds). Needs this
/// process to be the cargo-ratecheck binary, the other side of the pairs.
pub(super) async fn build_base(
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
/// and current binary alternating.
pub(super) async fn measure_paired(
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
    base: &BuiltRevision,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<Option<PairedCounts>> {
    if !steps.iter().any(|s| matches!(s, Step::Instructions)) {
        return Ok(None);
    }
    let exe = suite::child::fresh_process_exe()
        .ok_or_else(|| Error::new("--against: not the cargo-ratecheck binary"))?;
    let mut build = BuildInfo::of_this_binary();
    let Some(valgrind) = suite::instructions::valgrind_version() else {
        let why =
            "no CPU simulator on this machine: install valgrind (e.g. apt-get install valgrind)";
        let f = suite::instructions::unavailable_figures(why);
        return Ok(Some(PairedCounts {
            rev: base.rev.clone(),
            base: counts::suite_of(f.clone(), &build),
            current: counts::suite_of(f, &build),
        }));
    };
    build.valgrind = Some(valgrind);
    // Equal-length names, so both binaries' paths are alike.
    let staged_base = revision::build::stage(&config.target_dir, &base.binary, "cnt-base")?;
    let current = revision::build::stage(&config.target_dir, &exe, "cnt-curr")?;
    observer.event(&GateEvent::Counting { rev: &base.rev });
    let rev = base.rev.clone();
    let scratch =
        std::env::temp_dir().join(format!("cargo-ratecheck-counts-{}", std::process::id()));
    let counted = tokio::task::spawn_blocking(move || {
        let c = counts::measure_both(&rev, &staged_base.path, &current.path, &scratch, &build);
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
