//! The gate's judging, pure: the measurements, the baseline and the paired
//! trials in, one row per figure and the verdict out. Which evidence judges
//! a figure is chosen here, before judging: a figure measured in pairs is
//! judged by the paired rule ([`revision::paired_rows`]), every other one
//! against the baseline ([`compare_with`]); both with the one
//! [`ThresholdLookup`]. Then the pull request's part, when there is one
//! ([`apply_pull`]): regressions its trailers accept, and figures its own
//! refreshed baseline records that this run does not reproduce.

use super::outcome::{required_unjudged, unjudged, GateVerdict, GateWarning, RequiredUnjudged};
use crate::baseline::compare::{
    apply_pull, compare, compare_with, unmatched, Acceptance, Pull, Refresh, Row, ThresholdLookup,
};
use crate::figure::{JudgedKind, SuiteResult};
use crate::revision::counts::{count_rows, PairedCounts};
use crate::revision::{self, paired::PairedTrials};

/// What a paired run against `rev` measured (`check --against REV`): the
/// trials of the time-based figures and both builds' counts.
#[derive(Debug, Clone, Copy)]
pub struct PairedRun<'a> {
    pub rev: &'a str,
    pub trials: &'a [PairedTrials],
    /// `None` when the planned suite counts no instructions.
    pub counts: Option<&'a PairedCounts>,
}

/// Everything a verdict is judged from.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The baseline's suite; `None` judges the floors only.
    pub baseline: Option<&'a SuiteResult>,
    /// This run's measurements.
    pub current: &'a SuiteResult,
    pub paired: Option<PairedRun<'a>>,
    pub thresholds: &'a ThresholdLookup,
    /// Whether the baseline's wall-clock figures compare: the same
    /// machine, or `--strict-machine`.
    pub comparable_machine: bool,
    /// The kinds of figure that must be judged (`require-judged`).
    pub required: &'a [JudgedKind],
    /// What the pull request declares and commits (`--baseline-rev`,
    /// `--against`).
    pub pull: Option<PullEvidence<'a>>,
}

/// What a pull request brings to the judging: the trailers of the commits
/// it adds, what it did to the committed baseline, and that baseline.
#[derive(Debug, Clone, Copy)]
pub struct PullEvidence<'a> {
    pub acceptances: &'a [Acceptance],
    /// `None` when the rows were judged against no committed baseline.
    pub refresh: Option<&'a Refresh>,
    /// HEAD's committed baseline when it differs from the judging one, and
    /// whether its wall-clock figures compare here.
    pub refreshed: Option<(&'a SuiteResult, bool)>,
}

/// The rows, the verdict, and a warning per figure not judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub rows: Vec<Row>,
    pub verdict: GateVerdict,
    pub warnings: Vec<GateWarning>,
    /// The required kinds left unjudged.
    pub required_unjudged: Vec<RequiredUnjudged>,
}

/// Judges `e`: each figure once, by the evidence that judges it.
pub fn judge(e: &Evidence<'_>) -> Judgement {
    let paired = e
        .paired
        .map(|p| {
            let mut rows = revision::paired_rows(p.trials, p.rev, e.thresholds);
            rows.extend(
                p.counts
                    .map(|c| count_rows(c, e.thresholds))
                    .unwrap_or_default(),
            );
            rows
        })
        .unwrap_or_default();
    let rows = compare_with(
        e.baseline,
        e.current,
        e.thresholds,
        e.comparable_machine,
        paired,
    );
    let (rows, mut warnings) = match e.pull {
        Some(p) => pull_rows(rows, e, &p),
        None => (rows, Vec::new()),
    };
    let required_unjudged = required_unjudged(&rows, e.required);
    warnings.extend(unjudged(&rows));
    Judgement {
        verdict: GateVerdict::with_required(&rows, &required_unjudged),
        warnings,
        required_unjudged,
        rows,
    }
}

/// The rows with the pull request's acceptances and refreshed baseline
/// applied, and a warning per trailer that names no figure of the run.
fn pull_rows(
    rows: Vec<Row>,
    e: &Evidence<'_>,
    p: &PullEvidence<'_>,
) -> (Vec<Row>, Vec<GateWarning>) {
    let reproduce = p
        .refreshed
        .map(|(suite, comparable)| compare(Some(suite), e.current, e.thresholds, comparable))
        .unwrap_or_default();
    let warnings = unmatched(p.acceptances, &rows)
        .into_iter()
        .map(|a| GateWarning::AcceptsNothing {
            acceptance: a.clone(),
        })
        .collect();
    let pull = Pull {
        acceptances: p.acceptances,
        refresh: p.refresh,
        reproduce: &reproduce,
    };
    (apply_pull(rows, &pull), warnings)
}
