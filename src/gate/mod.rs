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
//! and the verdict out), `outcome` (the types it returns), `events`.

mod events;
mod judge;
mod measure;
mod outcome;
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
pub use setup::{baseline_file, ignored_for_dirty, GateRequest};

use crate::baseline::compare::{compare, too_noisy, Noisy, Row, ThresholdLookup};
use crate::error::{Error, Result};
use crate::figure::{JudgedKind, SuiteResult};
use crate::revision::counts::PairedCounts;
use crate::revision::{paired::PairedTrials, BaseBuild};
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
    Ok(conclude(s, &req.require_judged, against, current))
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

/// Judges the measurements and gathers the outcome.
fn conclude(
    s: Setup,
    required: &[JudgedKind],
    against: Option<AgainstRun>,
    current: SuiteResult,
) -> GateOutcome {
    let mut required = required.to_vec();
    required.extend(&s.config.require_judged);
    required.sort();
    required.dedup();
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
        required: &required,
        pull: Some(PullEvidence {
            acceptances: &s.pull.acceptances,
            refresh: s.pull.refresh.as_ref(),
            refreshed: s.pull.refreshed.as_ref().map(|(suite, c)| (suite, *c)),
        }),
    });
    let mut warnings = s.warnings;
    warnings.extend(judgement.warnings);
    GateOutcome {
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
        rows: judgement.rows,
        warnings,
        configuration: s.config_origin,
        required_unjudged: judgement.required_unjudged,
        verdict: judgement.verdict,
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
