//! The rules of [`compare`](super::compare) for one figure against its
//! baseline figure, one function per figure kind (pure).

use super::{Builds, Limit, NoBaseline, Note, OnlyLimit, Row, RowKind, Thresholds, Verdict, EPS};
use crate::figure::profile::{top_deltas, top_line_deltas, ProfileGap};
use crate::figure::{Figure, FigureKind, ScenarioResult};

/// Allocations per request may also rise by this much (one allocation per
/// hundred requests) before they regress: below it, what is counted is a
/// per-run or per-100 ms cost (a histogram for a time window) spread over
/// the requests, which moves with the rate and the run's length, not a cost
/// of the request path.
pub const ALLOCATION_SLACK: f64 = 0.01;

/// Functions named beside an instruction figure that moved (grouped by
/// crate when shown).
const BLAME_FUNCTIONS: usize = 5;

/// Source lines named beside it.
const BLAME_LINES: usize = 3;

/// How far above (or below) the baseline value `b` a lower-is-better
/// figure may move: the tolerance, widened to `spread_factor` × the
/// baseline's spread when that is larger, but never past twice the
/// tolerance, so a noisy baseline cannot switch the gate off.
pub fn allowed_change(b: f64, spread: f64, tolerance: f64, spread_factor: f64) -> f64 {
    let by_tolerance = tolerance * b.abs();
    let spread = if spread.is_finite() {
        spread.abs()
    } else {
        0.0
    };
    by_tolerance.max((spread_factor * spread).min(2.0 * by_tolerance))
}

/// What judging the figures of one scenario needs: the scenario (for the
/// engine's explanations), its thresholds, whether wall-clock figures are
/// comparable, both builds, and why a figure may have no baseline figure.
pub(super) struct Judge<'a> {
    pub scenario: &'a ScenarioResult,
    pub t: &'a Thresholds,
    pub comparable_machine: bool,
    pub builds: &'a Builds<'a>,
    pub no_base: NoBaseline,
}

/// One figure and its baseline figure, with their values when numbers.
struct Pair<'a> {
    cur: &'a Figure,
    base: Option<&'a Figure>,
    current: Option<f64>,
    baseline: Option<f64>,
}

impl Judge<'_> {
    /// The row of figure `name`, `cur` in this run, `base` in the baseline.
    pub fn row(&self, name: &str, cur: &Figure, base: Option<&Figure>) -> Row {
        let f = Pair {
            cur,
            base,
            current: Some(cur.value).filter(|v| v.is_finite()),
            baseline: base.map(|b| b.value).filter(|v| v.is_finite()),
        };
        let row = Row {
            scenario: self.scenario.name.clone(),
            figure: name.to_string(),
            unit: cur.unit.clone(),
            kind: RowKind::Figure(cur.kind),
            baseline: f.baseline,
            current: f.current,
            change: None,
            limit: Limit::None,
            verdict: Verdict::Ok,
            note: None,
            functions: Vec::new(),
            lines: Vec::new(),
            profile_gap: None,
        };
        // A judged baseline figure that now has another kind or unit cannot
        // be judged as it was: a regression until the baseline is re-measured.
        if let Some(note) = changed(base, cur) {
            return row.judged(Verdict::Regressed, note);
        }
        match cur.kind {
            FigureKind::Efficiency => self.efficiency(row, &f),
            FigureKind::ErrorRate => self.error_rate(row, &f),
            FigureKind::Cpu
            | FigureKind::Memory
            | FigureKind::Latency
            | FigureKind::Instructions
            | FigureKind::Allocations => self.lower_is_better(row, &f),
            FigureKind::Alive => self.alive(row, &f),
            FigureKind::Info => info(row, &f),
        }
    }

    /// The engine's explanation of a low efficiency: the scenario's first
    /// warning.
    fn cause(&self) -> Option<String> {
        self.scenario.warnings.first().cloned()
    }

    /// At or above the floor, always; with a baseline, no more than
    /// `efficiency-drop` below it.
    fn efficiency(&self, mut row: Row, f: &Pair<'_>) -> Row {
        let (floor, max_drop) = (self.t.efficiency_floor, self.t.efficiency_drop);
        row.limit = Limit::Floor { min: floor };
        let Some(c) = f.current else {
            let cause = self.cause();
            let kind = FigureKind::Efficiency;
            return row.judged(Verdict::BelowFloor, Note::NotANumber { kind, cause });
        };
        if let Some(b) = f.baseline {
            row.change = Some(c - b);
            row.limit = Limit::FloorAndDrop {
                min: floor,
                max_drop,
            };
        }
        if c < floor - EPS {
            let cause = self.cause();
            return row.judged(Verdict::BelowFloor, Note::BelowFloor { floor, cause });
        }
        let Some(b) = f.baseline else {
            row.note = Some(self.no_baseline(Some(OnlyLimit::Floor)));
            return row;
        };
        let d = c - b;
        if d < -max_drop - EPS {
            let note = Note::Dropped {
                drop: -d,
                limit: max_drop,
            };
            return row.judged(Verdict::Regressed, note);
        }
        if d > max_drop + EPS {
            row.verdict = Verdict::Improved;
        }
        row
    }

    /// At or below `max-error-rate`, always.
    fn error_rate(&self, mut row: Row, f: &Pair<'_>) -> Row {
        let max = self.t.max_error_rate;
        row.limit = Limit::MaxErrorRate { max };
        let Some(c) = f.current else {
            let kind = FigureKind::ErrorRate;
            let note = Note::NotANumber { kind, cause: None };
            return row.judged(Verdict::BelowFloor, note);
        };
        row.change = f.baseline.map(|b| c - b);
        if c > max + EPS {
            return row.judged(Verdict::BelowFloor, Note::AboveCeiling { max });
        }
        if f.baseline.is_none() {
            row.note = Some(self.no_baseline(Some(OnlyLimit::Ceiling)));
        }
        row
    }

    /// Lower is better: within the allowed change of a comparable baseline.
    fn lower_is_better(&self, mut row: Row, f: &Pair<'_>) -> Row {
        let kind = f.cur.kind;
        let tolerance = self.t.tolerance(kind).unwrap_or(0.0);
        row.limit = Limit::relative(tolerance, self.t.spread_factor);
        if let Some(why) = &f.cur.unavailable {
            let note = Note::Unavailable { why: why.clone() };
            return row.judged(Verdict::NotComparable, note);
        }
        let Some(base) = f.base else {
            return row.judged(Verdict::Missing, self.no_baseline(None));
        };
        let Some(b) = f.baseline else {
            return row.judged(Verdict::Missing, Note::BaselineNotANumber);
        };
        let Some(c) = f.current else {
            return row.judged(Verdict::Regressed, Note::NotANumberNow);
        };
        row.change = (b != 0.0).then(|| (c - b) / b.abs());
        if let Some(why) = self.not_comparable(kind) {
            return row.judged(Verdict::NotComparable, why);
        }
        let allowed = self.allowed(&mut row, base, kind, tolerance);
        let mut row = moved(row, b, c, allowed, f.cur);
        if kind == FigureKind::Instructions && row.verdict != Verdict::Ok {
            row.functions = top_deltas(&base.profile, &f.cur.profile, BLAME_FUNCTIONS);
            row.lines = top_line_deltas(&base.lines, &f.cur.lines, BLAME_LINES);
            row.profile_gap = ProfileGap::of(base);
        }
        row
    }

    /// Why a lower-is-better figure of `kind` cannot be compared: counts
    /// need the same build, wall-clock figures the same machine.
    fn not_comparable(&self, kind: FigureKind) -> Option<Note> {
        match kind {
            FigureKind::Instructions | FigureKind::Allocations => self.builds.differ(kind),
            _ => (!self.comparable_machine).then_some(Note::MachineDiffers),
        }
    }

    /// How far above the baseline figure `base` a figure of `kind` may be,
    /// in its unit; records the limit that gives it on `row`.
    fn allowed(&self, row: &mut Row, base: &Figure, kind: FigureKind, tolerance: f64) -> f64 {
        let (t, b) = (self.t, base.value);
        let mut allowed = allowed_change(b, base.spread, tolerance, t.spread_factor);
        match kind {
            FigureKind::Allocations => allowed = allowed.max(ALLOCATION_SLACK),
            FigureKind::Latency => {
                allowed = allowed.max(t.latency_slack(&base.unit));
                row.limit = Limit::Latency {
                    tolerance,
                    slack_ms: t.latency_slack_ms,
                };
                return allowed;
            }
            _ => {}
        }
        if allowed > tolerance * b.abs() + EPS {
            row.limit = Limit::Relative {
                allowed: allowed / b.abs(),
                tolerance,
                spread_factor: t.spread_factor,
            };
        }
        allowed
    }

    /// A service under test must stay up (1).
    fn alive(&self, mut row: Row, f: &Pair<'_>) -> Row {
        row.limit = Limit::MustStayUp;
        if f.current != Some(1.0) {
            let crash = self.scenario.service_crash.clone();
            return row.judged(Verdict::BelowFloor, Note::ServiceExited { crash });
        }
        row
    }

    /// The note of a figure without a baseline figure; `only`: the limit
    /// that still applied.
    fn no_baseline(&self, only: Option<OnlyLimit>) -> Note {
        Note::NoBaseline {
            why: self.no_base,
            only,
        }
    }
}

/// Why a judged baseline figure cannot be judged as it was: its kind or
/// its unit changed.
fn changed(base: Option<&Figure>, cur: &Figure) -> Option<Note> {
    let b = base.filter(|b| b.is_judged())?;
    if b.kind != cur.kind {
        Some(Note::KindChanged {
            from: b.kind,
            to: cur.kind,
        })
    } else if b.unit != cur.unit {
        Some(Note::UnitChanged {
            from: b.unit.clone(),
            to: cur.unit.clone(),
        })
    } else {
        None
    }
}

/// The verdict of a lower-is-better value `c` against the baseline `b`,
/// `allowed` either way.
fn moved(mut row: Row, b: f64, c: f64, allowed: f64, cur: &Figure) -> Row {
    let margin = EPS * b.abs().max(1.0);
    if c > b + allowed + margin {
        let note = Note::AboveBaseline {
            allowed,
            unit: cur.unit.clone(),
            trials: cur.trials.len(),
        };
        return row.judged(Verdict::Regressed, note);
    }
    if c < b - allowed - margin {
        row.verdict = Verdict::Improved;
    }
    row
}

/// Shown, never judged: the change only.
fn info(mut row: Row, f: &Pair<'_>) -> Row {
    row.verdict = Verdict::Info;
    if let (Some(c), Some(b)) = (f.current, f.baseline) {
        row.change = (b != 0.0).then(|| (c - b) / b.abs());
    }
    row
}
