//! Why a row has its verdict, as data ([`Note`]): the comparison and the
//! paired rules record the numbers, the report layer (`report/format.rs`)
//! words them. A row's JSON carries the note as text under `note`, written
//! by the report layer.

use serde::{Deserialize, Deserializer};

use super::accept::{Acceptance, Missing};
use crate::figure::{BuildDifference, FigureKind, ServiceCrash};

/// What a row's note says, by the rule that gave its verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The engine's start-up self-test failed.
    SelfTestFailed,
    /// A figure of the baseline that this run did not measure; `judged`:
    /// it was judged there (a regression), not only shown (a warning).
    NotMeasured { judged: bool },
    /// A judged figure's kind changed since the baseline.
    KindChanged { from: FigureKind, to: FigureKind },
    /// A judged figure's unit changed since the baseline.
    UnitChanged { from: String, to: String },
    /// An efficiency or error rate that is not a number; `cause`: the
    /// engine's explanation (the scenario's first warning), when any.
    NotANumber {
        kind: FigureKind,
        cause: Option<String>,
    },
    /// Judged in the baseline, not a number in this run.
    NotANumberNow,
    /// The baseline's value is not a number.
    BaselineNotANumber,
    /// An efficiency below `floor`; `cause`: the engine's explanation (the
    /// scenario's first warning), when any.
    BelowFloor { floor: f64, cause: Option<String> },
    /// An efficiency `drop` (a ratio, 0.03 = 3 points) below the baseline,
    /// more than `limit`.
    Dropped { drop: f64, limit: f64 },
    /// An error rate above `max`.
    AboveCeiling { max: f64 },
    /// Lower is better and the value (the median of `trials` when more
    /// than one) is more than `allowed` (in `unit`) above the baseline.
    AboveBaseline {
        allowed: f64,
        unit: String,
        trials: usize,
    },
    /// No baseline figure to judge against, and why; `only`: the one limit
    /// that still applied (efficiency's floor, the error rate's ceiling).
    NoBaseline {
        why: NoBaseline,
        only: Option<OnlyLimit>,
    },
    /// This machine could not measure the figure (`why`, e.g. no valgrind).
    Unavailable { why: String },
    /// Counts from another build: the part that differs.
    BuildDiffers(BuildDifference),
    /// Counted on this machine for the base revision `rev` and for this
    /// build (`check --against`); `detail`: what judging them found.
    CountedHere {
        rev: String,
        detail: Option<Box<Note>>,
    },
    /// One side records no build, so counts cannot be compared.
    NoBuild { side: Side },
    /// A wall-clock figure against a baseline from another machine.
    MachineDiffers,
    /// The scenario loaded another target (host or protocol) than the
    /// baseline's: `from` the baseline's, `to` this run's.
    TargetChanged { from: String, to: String },
    /// A service under test exited during the run; `crash`: how, when known.
    ServiceExited { crash: Option<ServiceCrash> },
    /// Judged from a paired run against `rev`: `pairs` pairs, the ratio
    /// current ÷ base and its 95% interval.
    Paired {
        rev: String,
        pairs: usize,
        ratio: f64,
        low: f64,
        high: f64,
    },
    /// A paired run against `rev` with fewer than two usable pairs.
    TooFewPairs { rev: String },
    /// A regression accepted by a `Ratecheck-Accept` trailer, within its
    /// bound; `detail`: the rule that found it.
    Accepted {
        acceptance: Acceptance,
        detail: Option<Box<Note>>,
    },
    /// A regression a pull request did not accept, and what is missing for
    /// it to be; `detail`: the rule that found it.
    NotAccepted {
        missing: Missing,
        detail: Option<Box<Note>>,
    },
    /// The baseline the pull request commits records `recorded` (in the
    /// row's unit); this run is `change` from it (relative, or points for
    /// a ratio), past the figure's limit either way. `detail`: the row's
    /// note against the judging baseline.
    NotReproduced {
        recorded: f64,
        change: f64,
        kind: FigureKind,
        unit: String,
        detail: Option<Box<Note>>,
    },
    /// A note read back from a check JSON file: its text.
    Read(String),
}

/// Why a figure has no baseline figure to be judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBaseline {
    /// The run has no baseline at all (`--no-baseline`).
    Run,
    /// The baseline lacks the figure's scenario.
    NewScenario,
    /// The baseline has the scenario but not the figure.
    NewFigure,
}

/// The one limit a figure without a baseline was still held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlyLimit {
    /// An efficiency's floor.
    Floor,
    /// An error rate's ceiling.
    Ceiling,
}

/// Which side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Baseline,
    Current,
}

/// A row's `note` as read from JSON: its text, `None` when empty.
pub(super) fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Note>, D::Error> {
    let text = Option::<String>::deserialize(d)?.unwrap_or_default();
    Ok((!text.is_empty()).then_some(Note::Read(text)))
}
