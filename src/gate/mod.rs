//! The gate: `check` as one pipeline. [`run`] sets up (configuration,
//! baseline, the revision to pair with: all loaded and validated before
//! anything is measured), plans the suite once, builds the base revision
//! (`--against`), measures through the suite, runs the paired sides through
//! the revision module, and judges, returning a typed [`GateOutcome`];
//! progress goes out as [`GateEvent`]s to an [`Observer`]. The commands
//! render the outcome and choose the exit code.
//!
//! Along its seams: `setup` (IO: configuration, baseline, git), `measure`
//! (IO: the suite, the build, the paired runs), `judge` (pure: the
//! measurements, the baseline and the paired trials in; one row per figure
//! and the verdict out), `environment` (IO: what changed around the code,
//! for the header), `outcome` (the types it returns), `events`, `part` (a
//! part of a run split over a CI matrix: `check --shard i/N`).

mod environment;
mod events;
mod judge;
mod measure;
mod outcome;
pub mod part;
mod pull;
mod setup;
#[cfg(test)]
mod tests;

use tokio_util::sync::CancellationToken;

pub use events::{GateEvent, Observer};
pub use judge::{judge, Evidence, Judgement, PairedRun, PullEvidence};
pub use measure::{measure, plan};
pub use outcome::{
    required_unjudged, unjudged, Against, BaseOfRev, BaselineRef, GateOutcome, GateVerdict,
    GateWarning, RequiredUnjudged, UnjudgedFigure,
};
pub use setup::{baseline_file, ignored_for_dirty, shown_path, GateRequest};

use crate::baseline::compare::{compare, too_noisy, Noisy, Row, ThresholdLookup};
use crate::error::{Error, Result};
use crate::figure::{JudgedKind, SuiteResult};
use crate::revision::counts::PairedCounts;
use crate::revision::{paired::PairedTrials, BaseBuild};
use crate::suite::{self, Step};
use part::{PartOfRun, RunIdentity};
use setup::Setup;

/// Runs the gate as `req` asks: set up, measure, judge. An error is a run
/// that could not be judged (exit 2), or [`Error::Interrupted`] when
/// `cancel` was.
pub async fn run(
    req: &GateRequest,
    observer: &dyn Observer,
    cancel: &CancellationToken,
) -> Result<GateOutcome> {
    let mut s = setup::setup(req)?;
    announce(&s, req, observer);
    let steps = plan(&s.config, req.quick, &req.scenarios)?;
    let (steps, part) = split(&s, req, steps);
    let base = match &req.against {
        Some(rev) => Some(measure::build_base(&s.config, &steps, rev, observer, cancel).await?),
        None => None,
    };
    if let (Some(b), Some(h)) = (&base, &s.head) {
        if h.dirty {
            s.warnings.push(GateWarning::DirtyAgainst {
                rev: b.rev().to_string(),
            });
        }
    }
    if cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    let current = measure(&s.config, steps.clone(), req.quick, observer, cancel).await?;
    let against = match base {
        Some(b) => {
            let trials = measure::measure_paired(&s.config, &steps, &b, observer, cancel).await?;
            let counts = measure::measure_counts(&s.config, &steps, &b, observer, cancel).await?;
            Some(AgainstRun {
                base: b,
                trials,
                counts,
            })
        }
        None => None,
    };
    // A part's required kinds are judged over the merged parts (one part
    // may hold every figure of a kind), not in the part.
    let required = match part {
        Some(_) => vec![],
        None => required_kinds(&req.require_judged, &s.config.require_judged),
    };
    let mut outcome = conclude(s, &required, against, current);
    outcome.part = part;
    Ok(outcome)
}

/// With `--shard i/N`, the steps of part `i` and what the part records of
/// its run; else the whole plan.
fn split(s: &Setup, req: &GateRequest, steps: Vec<Step>) -> (Vec<Step>, Option<PartOfRun>) {
    let Some(p) = req.part else {
        return (steps, None);
    };
    let plan: Vec<String> = steps.iter().map(|st| st.name().to_string()).collect();
    let steps = suite::part::select(steps, s.config.trials, p);
    let baseline = s.baseline.as_ref().map(|_| {
        let name = req.baseline.clone().unwrap_or(s.config.baseline.clone());
        match &req.baseline_rev {
            Some(rev) => format!("{rev}:{name}"),
            None => name,
        }
    });
    let part = PartOfRun {
        index: p.index,
        count: p.count,
        scenarios: steps.iter().map(|st| st.name().to_string()).collect(),
        machine: s.machine.clone(),
        comparable_machine: s.comparable_machine,
        run: RunIdentity {
            commit: s.head.as_ref().and_then(|h| h.commit.clone()),
            plan,
            quick: req.quick,
            baseline,
            against: req.against.clone(),
            required: required_kinds(&req.require_judged, &s.config.require_judged),
            settings: s.config.settings_json(),
        },
    };
    (steps, Some(part))
}

/// The kinds a run must judge: asked for and configured, sorted, once each.
fn required_kinds(asked: &[JudgedKind], configured: &[JudgedKind]) -> Vec<JudgedKind> {
    let mut required = asked.to_vec();
    required.extend(configured);
    required.sort();
    required.dedup();
    required
}

/// What `--against` measured: the base build, its paired trials and both
/// builds' counts.
struct AgainstRun {
    base: BaseBuild,
    trials: Vec<PairedTrials>,
    counts: Option<PairedCounts>,
}

/// Says what the run is compared with.
fn announce(s: &Setup, req: &GateRequest, observer: &dyn Observer) {
    observer.event(&match &s.baseline {
        Some(l) => GateEvent::Comparing {
            origin: &l.origin,
            configuration: s.config_origin.as_deref(),
        },
        None => GateEvent::NoBaseline {
            against: req.against.as_deref(),
        },
    });
}

/// Judges the measurements and gathers the outcome; `required`: the kinds
/// that must be judged for a pass.
fn conclude(
    s: Setup,
    required: &[JudgedKind],
    against: Option<AgainstRun>,
    current: SuiteResult,
) -> GateOutcome {
    let judgement = judge(&Evidence {
        baseline: s.baseline.as_ref().map(|l| &l.baseline.suite),
        current: &current,
        paired: against.as_ref().map(|a| PairedRun {
            rev: a.base.rev(),
            trials: &a.trials,
            counts: a.counts.as_ref(),
        }),
        thresholds: &s.thresholds,
        comparable_machine: s.comparable_machine,
        required,
        pull: Some(PullEvidence {
            acceptances: &s.pull.acceptances,
            refresh: s.pull.refresh.as_ref(),
            refreshed: s.pull.refreshed.as_ref().map(|(suite, c)| (suite, *c)),
        }),
    });
    let mut warnings = s.warnings;
    warnings.extend(judgement.warnings);
    let mut rows = judgement.rows;
    let mut env = s.environment;
    let baseline_build = s
        .baseline
        .as_ref()
        .and_then(|l| l.baseline.suite.build.as_ref());
    environment::after_measuring(&mut env, baseline_build, current.build.as_ref(), &mut rows);
    GateOutcome {
        environment: env,
        baseline: s.baseline.map(|l| BaselineRef {
            origin: l.origin,
            git: Some(l.baseline.git),
        }),
        base_of_rev: s.pull.base_of_rev,
        against: against.map(|a| Against {
            rev: a.base.rev().to_string(),
            commit: a.base.commit().to_string(),
        }),
        head: s.head,
        commits_between: s.commits_between,
        current,
        rows,
        warnings,
        configuration: s.config_origin,
        required_unjudged: judgement.required_unjudged,
        verdict: judgement.verdict,
        part: None,
    }
}

/// What keeps a measurement from becoming a baseline (`baseline save`): one
/// measured while a floor failed, or too noisy to tell a regression from
/// its own spread, would make every later verdict meaningless.
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineProblem {
    /// A row that fails against the floors (a failed self-test or floor).
    Fails(Box<Row>),
    /// A figure whose trials spread wider than its tolerance.
    Noisy(Noisy),
}

/// The problems of `suite` as a baseline under `thresholds`.
pub fn baseline_problems(
    suite: &SuiteResult,
    thresholds: &ThresholdLookup,
) -> Vec<BaselineProblem> {
    let rows = compare(None, suite, thresholds, true);
    let fails = rows.into_iter().filter(|r| r.verdict.fails());
    let mut problems: Vec<BaselineProblem> =
        fails.map(|r| BaselineProblem::Fails(Box::new(r))).collect();
    problems.extend(
        too_noisy(suite, thresholds)
            .into_iter()
            .map(BaselineProblem::Noisy),
    );
    problems
}
