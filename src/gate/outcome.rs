//! What the gate returns ([`GateOutcome`]): the evidence it judged, one row
//! per figure, what a reader should know ([`GateWarning`]) and the verdict
//! ([`GateVerdict`]), all as data. The report layer words it
//! (`report/check.rs` builds the check document from it).

use serde::{Deserialize, Serialize};

use crate::baseline::compare::{gate_passed, Acceptance, Note, Row, RowKind, Verdict};
use crate::error::Exit;
use crate::figure::environment::Environment;
use crate::figure::{JudgedKind, MachineInfo, SuiteResult};
use crate::git::GitInfo;

/// The verdict of a judged run. A run that could not be judged has none:
/// the gate returns an error instead (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateVerdict {
    /// No row failed (some may not have been comparable: they are warned).
    Pass,
    /// A row regressed or fell below its floor.
    Fail,
    /// Nothing failed, but a kind of figure the run was required to judge
    /// (`require-judged`) was not: exit 2, never a green check.
    NotJudged,
}

impl GateVerdict {
    /// The verdict on `rows`: [`Fail`](GateVerdict::Fail) when one fails.
    pub fn of(rows: &[Row]) -> GateVerdict {
        if gate_passed(rows) {
            GateVerdict::Pass
        } else {
            GateVerdict::Fail
        }
    }

    /// The verdict on `rows` when the kinds `missing` were required and
    /// not judged: a failure stays a failure (it was judged), otherwise
    /// [`NotJudged`](GateVerdict::NotJudged) when any is missing.
    pub fn with_required(rows: &[Row], missing: &[RequiredUnjudged]) -> GateVerdict {
        match GateVerdict::of(rows) {
            GateVerdict::Pass if !missing.is_empty() => GateVerdict::NotJudged,
            v => v,
        }
    }

    pub fn passed(self) -> bool {
        self == GateVerdict::Pass
    }

    /// The exit code: 0 pass, 1 fail, 2 not judged.
    pub fn exit(self) -> Exit {
        match self {
            GateVerdict::Pass => Exit::Pass,
            GateVerdict::Fail => Exit::Fail,
            GateVerdict::NotJudged => Exit::NotJudged,
        }
    }
}

/// A kind of figure the run was required to judge and did not: the
/// figures of that kind left unjudged, each with its row's note (why), or
/// none at all when the run measured no figure of the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredUnjudged {
    pub kind: JudgedKind,
    pub figures: Vec<UnjudgedFigure>,
}

/// One figure left unjudged: where, and why (its row's note).
#[derive(Debug, Clone, PartialEq)]
pub struct UnjudgedFigure {
    pub scenario: String,
    pub figure: String,
    pub note: Option<Note>,
}

/// The kinds of `required` that `rows` leave unjudged: a kind none of whose
/// figures was judged — by the baseline or by a pair — because none was
/// measured, or every one is `missing` or `not comparable`. A kind with
/// some figures judged is judged; the others are still named as not
/// comparable or missing in the verdict line.
pub fn required_unjudged(rows: &[Row], required: &[JudgedKind]) -> Vec<RequiredUnjudged> {
    required
        .iter()
        .filter_map(|&kind| {
            let of_kind: Vec<&Row> = rows
                .iter()
                .filter(|r| r.kind == RowKind::Figure(kind.figure_kind()))
                .collect();
            let figures: Vec<UnjudgedFigure> = of_kind
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::Missing | Verdict::NotComparable))
                .map(|r| UnjudgedFigure {
                    scenario: r.scenario.clone(),
                    figure: r.figure.clone(),
                    note: r.note.clone(),
                })
                .collect();
            let judged = of_kind.len() > figures.len();
            (!judged).then_some(RequiredUnjudged { kind, figures })
        })
        .collect()
}

/// The baseline a run was judged against: where it came from (a path, or
/// `REV:path` with `--baseline-rev`) and its commit, when recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRef {
    pub origin: String,
    pub git: Option<GitInfo>,
}

/// The revision a paired run measured this build against (`check --against
/// REV`): as given, and the commit it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Against {
    pub rev: String,
    pub commit: String,
}

/// The base a `--baseline-rev REV` run was judged from, as the report
/// names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseOfRev {
    /// REV as given.
    pub rev: String,
    /// The commit REV resolved to.
    pub rev_commit: String,
    /// The merge base of HEAD and REV: the baseline judged against is the
    /// one committed there.
    pub merge_base: String,
    /// REV's committed baseline differs from the merge base's (REV
    /// refreshed it after the branch forked).
    pub baseline_moved: bool,
}

/// Something a reader of the verdict should know, as data.
#[derive(Debug, Clone, PartialEq)]
pub enum GateWarning {
    /// `--baseline-rev REV`: the configuration committed at REV was used,
    /// and this tree's differs in the `differences` keys.
    ConfigAtRev {
        rev: String,
        manifest: String,
        commit: String,
        differences: Vec<&'static str>,
    },
    /// How the baseline is tied to HEAD, as `git::tie_warnings` words it.
    Git(String),
    /// Not in a git repository: the current commit is unknown.
    NoRepository,
    /// The baseline was measured on another machine (`baseline`), not this
    /// one (`this`); `compared_anyway`: `--strict-machine`.
    OtherMachine {
        baseline: MachineInfo,
        this: MachineInfo,
        compared_anyway: bool,
    },
    /// The working tree has uncommitted changes, measured as they are
    /// against the paired revision `rev`.
    DirtyAgainst { rev: String },
    /// A `Ratecheck-Accept` trailer that names no figure of this run.
    AcceptsNothing { acceptance: Acceptance },
    /// A figure that was not judged: missing or not comparable.
    Unjudged {
        scenario: String,
        figure: String,
        verdict: Verdict,
        note: Option<Note>,
    },
}

/// One [`GateWarning::Unjudged`] per `missing` or `not-comparable` row.
pub fn unjudged(rows: &[Row]) -> Vec<GateWarning> {
    rows.iter()
        .filter(|r| matches!(r.verdict, Verdict::Missing | Verdict::NotComparable))
        .map(|r| GateWarning::Unjudged {
            scenario: r.scenario.clone(),
            figure: r.figure.clone(),
            verdict: r.verdict,
            note: r.note.clone(),
        })
        .collect()
}

/// What the gate found: the evidence, one row per figure (each decided
/// once), the warnings and the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutcome {
    /// The baseline judged against, when any.
    pub baseline: Option<BaselineRef>,
    /// The revision paired with, when any.
    pub against: Option<Against>,
    /// With `--baseline-rev REV`: REV, the merge base the baseline was read
    /// at, and whether REV's baseline has moved since.
    pub base_of_rev: Option<BaseOfRev>,
    /// HEAD, when in a git repository.
    pub head: Option<GitInfo>,
    /// Commits from the baseline's commit to HEAD, when known.
    pub commits_between: Option<u64>,
    /// What changed around the code since the baseline (or the paired
    /// revision): machine, build, dependencies.
    pub environment: Environment,
    /// What this run measured: the self-test and every scenario.
    pub current: SuiteResult,
    pub rows: Vec<Row>,
    /// The setup's warnings, then one per figure not judged.
    pub warnings: Vec<GateWarning>,
    /// Where the configuration came from when not this tree
    /// (`REV:Cargo.toml` with `--baseline-rev` or `--against`).
    pub configuration: Option<String>,
    /// The required kinds left unjudged (the reason for
    /// [`GateVerdict::NotJudged`]).
    pub required_unjudged: Vec<RequiredUnjudged>,
    pub verdict: GateVerdict,
    /// With `check --shard i/N`: which part this is, of which run.
    pub part: Option<super::part::PartOfRun>,
}
