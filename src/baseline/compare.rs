//! The pure comparison: (baseline, current, thresholds) → one verdict row per
//! figure. No IO, no clocks; everything the gate decides is decided here.

use crate::figure::{id, BuildInfo, Figure, FigureKind, ScenarioResult, SuiteResult};

mod accept;
mod judge;
mod note;
mod row;
mod thresholds;

pub use crate::figure::profile::{FunctionDelta, LineDelta, ProfileGap};
pub use accept::{
    acceptances, apply as apply_pull, unmatched, AcceptError, Acceptance, Missing, Pull, Refresh,
    TRAILER,
};
pub use judge::{allowed_change, ALLOCATION_SLACK};
pub use note::{NoBaseline, Note, OnlyLimit, Side};
pub use row::{Limit, Row, RowKind, Verdict};
pub use thresholds::{PartialThresholds, ThresholdLookup, Thresholds, DEFAULT_EFFICIENCY_FLOOR};

/// Slack for floating-point comparisons at a limit's edge, so that e.g. a
/// drop of exactly 2 points computed as 0.020000000000000018 is not judged
/// "more than 2 points".
const EPS: f64 = 1e-9;

/// Compares `current` with `baseline` (or with floors only when `baseline`
/// is `None`, i.e. `--no-baseline`).
///
/// Rows come out in this order: the self-test row, then every figure of every
/// current scenario (in the current order), then figures and scenarios that
/// the baseline has and the current run lacks.
///
/// Rules, per figure kind (thresholds are the scenario's, from `thresholds`):
/// - **self-test**: `current.selftest_passed == false` → `below-floor`.
/// - **efficiency** (higher is better; `change` in absolute points,
///   `current - baseline`): `current < efficiency_floor` → `below-floor`,
///   always (no baseline, other machine, new figure). Otherwise, with a
///   baseline figure, a drop of more than `efficiency_drop` → `regressed`, a
///   rise of more than that → `improved`, else `ok`. The floor and the drop
///   limit both apply across machines (efficiency is a ratio).
/// - **error rate** (`change` in absolute points): `current >
///   max_error_rate` → `below-floor`, always; else `ok`.
/// - **cpu / memory / latency / instructions / allocations** (lower is
///   better; `change` relative, `(current - baseline) / baseline`): allowed
///   = max(tolerance × baseline, min(spread_factor × baseline spread, 2 ×
///   tolerance × baseline)), so a noisy baseline widens the band to at most
///   twice the tolerance; the current value (the median of at least five
///   trials for the timed benches) above baseline + allowed → `regressed`,
///   below baseline − allowed → `improved`, else `ok`. Comparability:
///   cpu, memory and latency are wall-clock figures, comparable only when
///   `comparable_machine`; instruction and allocation counts do not depend
///   on the machine's speed and are comparable whenever both suites record
///   the same build ([`BuildInfo::differs`]). Not comparable →
///   `not-comparable` with the reason. A figure the machine could not
///   measure at all (`unavailable`, e.g. no valgrind) → `not-comparable`.
/// - **alive** (a service under test): anything but 1 → `below-floor`,
///   always.
/// - **info**: `info`, shown only, never fails.
///
/// Nothing judged goes missing quietly: a judged baseline figure that the
/// current run lacks, cannot compute (not a number) or computes as another
/// kind or unit → `regressed`, with a [`Note`] saying so; so are the figures of
/// a baseline scenario the run planned ([`SuiteResult::planned`]) but did
/// not produce. `missing` (a warning, never a failure) is left for figures
/// with no baseline to judge against ("new figure, no baseline", or "no
/// baseline" under `--no-baseline`; efficiency and error rate then get
/// their floor verdict instead) and for `info` figures the run lacks.
/// Baseline scenarios the run did not plan (`--quick`, `--scenario`) get no
/// row. An efficiency below its floor carries the engine's explanation (the
/// scenario's first warning), a service that exited how it ended.
pub fn compare(
    baseline: Option<&SuiteResult>,
    current: &SuiteResult,
    thresholds: &ThresholdLookup,
    comparable_machine: bool,
) -> Vec<Row> {
    compare_with(
        baseline,
        current,
        thresholds,
        comparable_machine,
        Vec::new(),
    )
}

/// [`compare`], except for the figures `decided` judges: rows judged from
/// other evidence (the paired run of `check --against`), each decided once
/// by its own rule. A decided row takes the place of its figure's row,
/// which is then not judged here; decided rows of figures that have no
/// row come last, in their order.
pub fn compare_with(
    baseline: Option<&SuiteResult>,
    current: &SuiteResult,
    thresholds: &ThresholdLookup,
    comparable_machine: bool,
    mut decided: Vec<Row>,
) -> Vec<Row> {
    let builds = Builds {
        baseline: baseline.and_then(|b| b.build.as_ref()),
        current: current.build.as_ref(),
    };
    let mut rows = vec![selftest_row(baseline, current)];
    for scenario in &current.scenarios {
        let base_scenario = baseline.and_then(|b| find_scenario(b, &scenario.name));
        let judge = judge::Judge {
            scenario,
            t: thresholds.of(&scenario.name),
            comparable_machine,
            builds: &builds,
            no_base: match (baseline, base_scenario) {
                (None, _) => NoBaseline::Run,
                (Some(_), None) => NoBaseline::NewScenario,
                (Some(_), Some(_)) => NoBaseline::NewFigure,
            },
        };
        let moved = base_scenario.and_then(|b| target_changed(b, scenario));
        for (name, figure) in &scenario.figures {
            if scenario.name == id::scenario::SELF_TEST && name == id::PASSED {
                continue; // already the self-test row
            }
            let row = take(&mut decided, &scenario.name, name).unwrap_or_else(|| {
                let base_figure = base_scenario.and_then(|s| s.figures.get(name));
                match &moved {
                    Some(note) => other_target(judge.row(name, figure, None), base_figure, note),
                    None => judge.row(name, figure, base_figure),
                }
            });
            rows.push(row);
        }
    }
    if let Some(base) = baseline {
        rows.extend(lacking_rows(base, current, &mut decided));
    }
    rows.extend(decided);
    rows
}

/// Why `current`'s figures cannot be compared with `base`'s: it loaded
/// another target or spoke another protocol. A baseline scenario that
/// records no target (written before targets were recorded) is taken to
/// have loaded the same one.
fn target_changed(base: &ScenarioResult, current: &ScenarioResult) -> Option<Note> {
    let from = base.target.as_ref()?;
    let to = current.target.as_ref();
    (Some(from) != to).then(|| Note::TargetChanged {
        from: from.to_string(),
        to: to.map_or_else(|| "another target".to_string(), ToString::to_string),
    })
}

/// `row`, judged without a baseline (so the floors still apply), for a
/// figure whose baseline figure `base` was measured against another
/// target: not comparable, saying so, unless a floor failed it.
fn other_target(mut row: Row, base: Option<&Figure>, note: &Note) -> Row {
    let judged_alone = matches!(
        row.verdict,
        Verdict::BelowFloor | Verdict::Regressed | Verdict::Info
    );
    if base.is_none() || judged_alone {
        return row;
    }
    row.baseline = base.map(|b| b.value).filter(|v| v.is_finite());
    row.verdict = Verdict::NotComparable;
    row.note = Some(note.clone());
    row
}

/// The decided row of `scenario` / `figure`, taken out of `decided`.
fn take(decided: &mut Vec<Row>, scenario: &str, figure: &str) -> Option<Row> {
    let at = decided
        .iter()
        .position(|r| r.scenario == scenario && r.figure == figure)?;
    Some(decided.remove(at))
}

/// The rows of the baseline's figures that the current run lacks: in a
/// scenario it measured, or in one it planned and did not produce (unless
/// `decided` judges the figure).
fn lacking_rows(base: &SuiteResult, current: &SuiteResult, decided: &mut Vec<Row>) -> Vec<Row> {
    let mut rows = Vec::new();
    for base_scenario in &base.scenarios {
        let lacking: Vec<(&String, &Figure)> = match find_scenario(current, &base_scenario.name) {
            Some(cur) => base_scenario
                .figures
                .iter()
                .filter(|(name, _)| !cur.figures.contains_key(*name))
                .collect(),
            None if !planned(current, base, &base_scenario.name) => Vec::new(),
            None => base_scenario.figures.iter().collect(),
        };
        for (name, figure) in lacking {
            let scenario = &base_scenario.name;
            let row = take(decided, scenario, name);
            rows.push(row.unwrap_or_else(|| missing_row(scenario, name, figure)));
        }
    }
    rows
}

/// Whether the current run set out to measure the baseline scenario `name`.
/// Older result files do not list what they planned: then a `--quick` run
/// compared with a full baseline is taken to have skipped it.
fn planned(current: &SuiteResult, base: &SuiteResult, name: &str) -> bool {
    if current.planned.is_empty() {
        !current.quick || base.quick
    } else {
        current.planned.iter().any(|p| p == name)
    }
}

/// The builds of both sides, for the counts that compare across machines.
struct Builds<'a> {
    baseline: Option<&'a BuildInfo>,
    current: Option<&'a BuildInfo>,
}

impl Builds<'_> {
    /// Why counts of `kind` cannot be compared, or `None` when they can.
    fn differ(&self, kind: FigureKind) -> Option<Note> {
        match (self.baseline, self.current) {
            (Some(b), Some(c)) => c.differs(b, kind).map(Note::BuildDiffers),
            (None, _) => Some(Note::NoBuild {
                side: Side::Baseline,
            }),
            (_, None) => Some(Note::NoBuild {
                side: Side::Current,
            }),
        }
    }
}

/// A judged figure whose own trials spread wider than its tolerance: a
/// baseline that noisy cannot tell a regression from its own scatter.
#[derive(Debug, Clone, PartialEq)]
pub struct Noisy {
    pub scenario: String,
    pub figure: String,
    /// The trials' spread relative to their median (0.4 = ±40%).
    pub spread: f64,
    /// The figure's relative tolerance.
    pub tolerance: f64,
}

/// The judged relative figures of `suite` whose own trials spread wider
/// than their tolerance (`spread / value > tolerance`).
pub fn too_noisy(suite: &SuiteResult, thresholds: &ThresholdLookup) -> Vec<Noisy> {
    let mut out = Vec::new();
    for scenario in &suite.scenarios {
        let t = thresholds.of(&scenario.name);
        for (name, f) in &scenario.figures {
            let Some(tolerance) = t.tolerance(f.kind) else {
                continue;
            };
            let relative = f.spread / f.value.abs();
            if f.trials.len() > 1 && f.value.is_finite() && relative > tolerance + EPS {
                out.push(Noisy {
                    scenario: scenario.name.clone(),
                    figure: name.clone(),
                    spread: relative,
                    tolerance,
                });
            }
        }
    }
    out
}

/// The gate passes unless a row is `regressed` or `below-floor`.
/// `missing` and `not-comparable` rows are warnings, `info` rows are shown
/// only; none of them fails.
pub fn gate_passed(rows: &[Row]) -> bool {
    !rows.iter().any(|r| r.verdict.fails())
}

fn find_scenario<'a>(suite: &'a SuiteResult, name: &str) -> Option<&'a ScenarioResult> {
    suite.scenarios.iter().find(|s| s.name == name)
}

fn selftest_row(baseline: Option<&SuiteResult>, current: &SuiteResult) -> Row {
    let as_num = |b: bool| if b { 1.0 } else { 0.0 };
    let passed = current.selftest_passed;
    Row {
        scenario: id::scenario::SELF_TEST.to_string(),
        figure: id::PASSED.to_string(),
        unit: String::new(),
        kind: RowKind::SelfTest,
        baseline: baseline.map(|b| as_num(b.selftest_passed)),
        current: Some(as_num(passed)),
        change: None,
        limit: Limit::MustPass,
        verdict: if passed {
            Verdict::Ok
        } else {
            Verdict::BelowFloor
        },
        note: (!passed).then_some(Note::SelfTestFailed),
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

fn missing_row(scenario: &str, name: &str, base: &Figure) -> Row {
    let judged = base.is_judged();
    Row {
        scenario: scenario.to_string(),
        figure: name.to_string(),
        unit: base.unit.clone(),
        kind: RowKind::Figure(base.kind),
        baseline: Some(base.value).filter(|v| v.is_finite()),
        current: None,
        change: None,
        limit: Limit::None,
        verdict: if judged {
            Verdict::Regressed
        } else {
            Verdict::Missing
        },
        note: Some(Note::NotMeasured { judged }),
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

#[cfg(test)]
mod tests;
