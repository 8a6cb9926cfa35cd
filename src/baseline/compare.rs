//! The pure comparison: (baseline, current, thresholds) → one verdict row per
//! figure. No IO, no clocks; everything the gate decides is decided here.

use std::collections::BTreeMap;

use crate::figure::profile::top_deltas;
use crate::figure::{id, BuildInfo, Figure, FigureKind, ScenarioResult, SuiteResult};

mod row;
mod thresholds;

pub use crate::figure::profile::FunctionDelta;
pub use row::{verdict_text, Limit, Row, RowKind, Verdict};
pub use thresholds::{PartialThresholds, Thresholds};

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
/// Rules, per figure kind (thresholds are `overrides[scenario]` when present,
/// else `thresholds`):
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
/// kind or unit → `regressed`, with a note saying so; so are the figures of
/// a baseline scenario the run planned ([`SuiteResult::planned`]) but did
/// not produce. `missing` (a warning, never a failure) is left for figures
/// with no baseline to judge against ("new figure, no baseline", or "no
/// baseline" under `--no-baseline`; efficiency and error rate then get
/// their floor verdict instead) and for `info` figures the run lacks.
/// Baseline scenarios the run did not plan (`--quick`, `--scenario`) get no
/// row.
pub fn compare(
    baseline: Option<&SuiteResult>,
    current: &SuiteResult,
    thresholds: &Thresholds,
    overrides: &BTreeMap<String, Thresholds>,
    comparable_machine: bool,
) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.push(selftest_row(baseline, current));
    let builds = Builds {
        baseline: baseline.and_then(|b| b.build.as_ref()),
        current: current.build.as_ref(),
    };

    for scenario in &current.scenarios {
        let t = overrides.get(&scenario.name).unwrap_or(thresholds);
        let base_scenario = baseline.and_then(|b| find_scenario(b, &scenario.name));
        for (name, figure) in &scenario.figures {
            if scenario.name == id::scenario::SELF_TEST && name == id::PASSED {
                continue; // already the self-test row
            }
            let base_figure = base_scenario.and_then(|s| s.figures.get(name));
            let no_base_note = match (baseline, base_scenario) {
                (None, _) => "no baseline",
                (Some(_), None) => "new scenario, no baseline",
                (Some(_), Some(_)) => "new figure, no baseline",
            };
            rows.push(judge(
                &scenario.name,
                name,
                figure,
                base_figure,
                no_base_note,
                t,
                comparable_machine,
                &builds,
            ));
        }
    }

    if let Some(base) = baseline {
        for base_scenario in &base.scenarios {
            let lacking: Vec<(&String, &Figure)> = match find_scenario(current, &base_scenario.name)
            {
                Some(cur) => base_scenario
                    .figures
                    .iter()
                    .filter(|(name, _)| !cur.figures.contains_key(*name))
                    .collect(),
                None if !planned(current, base, &base_scenario.name) => Vec::new(),
                None => base_scenario.figures.iter().collect(),
            };
            for (name, figure) in lacking {
                rows.push(missing_row(&base_scenario.name, name, figure));
            }
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
    fn differ(&self, kind: FigureKind) -> Option<String> {
        match (self.baseline, self.current) {
            (Some(b), Some(c)) => c.differs(b, kind),
            (None, _) => Some("the baseline records no build (re-save it)".to_string()),
            (_, None) => Some("this run records no build".to_string()),
        }
    }
}

/// The judged relative figures of `suite` whose own trials spread wider
/// than their tolerance (`spread / value > tolerance`), one line each: a
/// baseline that noisy cannot tell a regression from its own scatter.
pub fn too_noisy(
    suite: &SuiteResult,
    thresholds: &Thresholds,
    overrides: &BTreeMap<String, Thresholds>,
) -> Vec<String> {
    let mut out = Vec::new();
    for scenario in &suite.scenarios {
        let t = overrides.get(&scenario.name).unwrap_or(thresholds);
        for (name, f) in &scenario.figures {
            let Some(tolerance) = t.tolerance(f.kind) else {
                continue;
            };
            let relative = f.spread / f.value.abs();
            if f.trials.len() > 1 && f.value.is_finite() && relative > tolerance + EPS {
                out.push(format!(
                    "{} / {name}: trials spread ±{}% around the median, wider than its ±{}% tolerance",
                    scenario.name,
                    fmt_pct(relative),
                    fmt_pct(tolerance)
                ));
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

/// One warning line per `missing` or `not-comparable` row, e.g.
/// `steady-1k / cpu_us_per_request: not-comparable (baseline from another machine)`.
pub fn warnings(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| matches!(r.verdict, Verdict::Missing | Verdict::NotComparable))
        .map(|r| {
            let verdict = verdict_text(r.verdict);
            if r.note.is_empty() {
                format!("{} / {}: {verdict}", r.scenario, r.figure)
            } else {
                format!("{} / {}: {verdict} ({})", r.scenario, r.figure, r.note)
            }
        })
        .collect()
}

/// One line: `gate passed: 30 ok, 2 improved, 1 missing` or
/// `gate FAILED: 1 regressed, 1 below-floor, 28 ok`.
pub fn summary(rows: &[Row]) -> String {
    let order = [
        Verdict::Regressed,
        Verdict::BelowFloor,
        Verdict::Ok,
        Verdict::Improved,
        Verdict::NotComparable,
        Verdict::Missing,
        Verdict::Info,
    ];
    let counts: Vec<String> = order
        .iter()
        .filter_map(|v| {
            let n = rows.iter().filter(|r| r.verdict == *v).count();
            (n > 0).then(|| format!("{n} {}", verdict_text(*v)))
        })
        .collect();
    let head = if gate_passed(rows) {
        "gate passed"
    } else {
        "gate FAILED"
    };
    if counts.is_empty() {
        format!("{head}: no figures")
    } else {
        format!("{head}: {}", counts.join(", "))
    }
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
        note: if passed {
            String::new()
        } else {
            "the engine's start-up self-test failed".to_string()
        },
        functions: Vec::new(),
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
        note: if judged {
            "judged in the baseline, not measured in this run".to_string()
        } else {
            "in the baseline, not measured in this run".to_string()
        },
        functions: Vec::new(),
    }
}

/// `0.95` → `0.950`; small numbers keep significant digits.
fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    scenario: &str,
    name: &str,
    cur: &Figure,
    base: Option<&Figure>,
    no_base_note: &str,
    t: &Thresholds,
    comparable_machine: bool,
    builds: &Builds<'_>,
) -> Row {
    let current = Some(cur.value).filter(|v| v.is_finite());
    let base_value = base.map(|b| b.value).filter(|v| v.is_finite());
    let mut row = Row {
        scenario: scenario.to_string(),
        figure: name.to_string(),
        unit: cur.unit.clone(),
        kind: RowKind::Figure(cur.kind),
        baseline: base_value,
        current,
        change: None,
        limit: Limit::None,
        verdict: Verdict::Ok,
        note: String::new(),
        functions: Vec::new(),
    };
    // A judged baseline figure that now has another kind or unit cannot be
    // judged as it was: a regression until the baseline is re-measured.
    if let Some(b) = base.filter(|b| b.is_judged()) {
        let changed = if b.kind != cur.kind {
            Some(format!("kind changed from {:?} to {:?}", b.kind, cur.kind))
        } else if b.unit != cur.unit {
            Some(format!("unit changed from {:?} to {:?}", b.unit, cur.unit))
        } else {
            None
        };
        if let Some(what) = changed {
            return row.judged(
                Verdict::Regressed,
                format!("{what}: re-measure the baseline"),
            );
        }
    }

    match cur.kind {
        FigureKind::Efficiency => {
            row.limit = Limit::Floor {
                min: t.efficiency_floor,
            };
            let Some(c) = current else {
                return row.judged(
                    Verdict::BelowFloor,
                    "efficiency was not measured (not a number)",
                );
            };
            if let Some(b) = base_value {
                row.change = Some(c - b);
                row.limit = Limit::FloorAndDrop {
                    min: t.efficiency_floor,
                    max_drop: t.efficiency_drop,
                };
            }
            if c < t.efficiency_floor - EPS {
                row.verdict = Verdict::BelowFloor;
                row.note = format!("below the floor of {}%", fmt_pct(t.efficiency_floor));
            } else if let Some(b) = base_value {
                let d = c - b;
                if d < -t.efficiency_drop - EPS {
                    row.verdict = Verdict::Regressed;
                    row.note = format!(
                        "dropped {:.1} points (limit {:.1})",
                        -d * 100.0,
                        t.efficiency_drop * 100.0
                    );
                } else if d > t.efficiency_drop + EPS {
                    row.verdict = Verdict::Improved;
                }
            } else {
                row.note = format!("{no_base_note}; floor only");
            }
        }
        FigureKind::ErrorRate => {
            row.limit = Limit::MaxErrorRate {
                max: t.max_error_rate,
            };
            let Some(c) = current else {
                return row.judged(
                    Verdict::BelowFloor,
                    "error rate was not measured (not a number)",
                );
            };
            row.change = base_value.map(|b| c - b);
            if c > t.max_error_rate + EPS {
                row.verdict = Verdict::BelowFloor;
                row.note = format!("error rate above {}%", fmt_pct(t.max_error_rate));
            } else if base_value.is_none() {
                row.note = format!("{no_base_note}; ceiling only");
            }
        }
        FigureKind::Cpu
        | FigureKind::Memory
        | FigureKind::Latency
        | FigureKind::Instructions
        | FigureKind::Allocations => {
            let tolerance = t.tolerance(cur.kind).unwrap_or(0.0);
            row.limit = Limit::relative(tolerance, t.spread_factor);
            if let Some(why) = &cur.unavailable {
                return row.judged(Verdict::NotComparable, format!("not measured: {why}"));
            }
            let Some(base) = base else {
                return row.judged(Verdict::Missing, no_base_note);
            };
            let Some(b) = base_value else {
                return row.judged(Verdict::Missing, "the baseline value is not a number");
            };
            let Some(c) = current else {
                return row.judged(
                    Verdict::Regressed,
                    "judged in the baseline, not a number in this run",
                );
            };
            row.change = (b != 0.0).then(|| (c - b) / b.abs());
            let not_comparable = match cur.kind {
                FigureKind::Instructions | FigureKind::Allocations => builds.differ(cur.kind),
                _ => (!comparable_machine).then(|| "baseline from another machine".to_string()),
            };
            if let Some(why) = not_comparable {
                return row.judged(Verdict::NotComparable, why);
            }
            let mut allowed = allowed_change(b, base.spread, tolerance, t.spread_factor);
            if cur.kind == FigureKind::Allocations {
                allowed = allowed.max(ALLOCATION_SLACK);
            }
            if cur.kind == FigureKind::Latency {
                allowed = allowed.max(t.latency_slack_ms);
                row.limit = Limit::Latency {
                    tolerance,
                    slack_ms: t.latency_slack_ms,
                };
            } else if allowed > tolerance * b.abs() + EPS {
                row.limit = Limit::Relative {
                    allowed: allowed / b.abs(),
                    tolerance,
                    spread_factor: t.spread_factor,
                };
            }
            let margin = EPS * b.abs().max(1.0);
            if c > b + allowed + margin {
                row.verdict = Verdict::Regressed;
                let median = if cur.trials.len() > 1 {
                    format!("median of {} trials ", cur.trials.len())
                } else {
                    String::new()
                };
                row.note = format!("{median}above baseline + {} {}", fmt_num(allowed), cur.unit)
                    .trim_end()
                    .to_string();
            } else if c < b - allowed - margin {
                row.verdict = Verdict::Improved;
            }
            if cur.kind == FigureKind::Instructions && row.verdict != Verdict::Ok {
                row.functions = top_deltas(&base.profile, &cur.profile, 3);
                if !row.functions.is_empty() {
                    let top: Vec<String> = row
                        .functions
                        .iter()
                        .map(|f| {
                            format!(
                                "{} {:+.0} ({:.0} → {:.0})",
                                f.function,
                                f.current - f.baseline,
                                f.baseline,
                                f.current
                            )
                        })
                        .collect();
                    row.note = format!("{}; most changed: {}", row.note, top.join("; "))
                        .trim_start_matches("; ")
                        .to_string();
                }
            }
        }
        FigureKind::Alive => {
            row.limit = Limit::MustStayUp;
            if current != Some(1.0) {
                row.verdict = Verdict::BelowFloor;
                row.note = "the service exited during the run".to_string();
            }
        }
        FigureKind::Info => {
            row.verdict = Verdict::Info;
            if let (Some(c), Some(b)) = (current, base_value) {
                row.change = (b != 0.0).then(|| (c - b) / b.abs());
            }
        }
    }
    row
}

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

/// Allocations per request may also rise by this much (one allocation per
/// hundred requests) before they regress: below it, what is counted is a
/// per-run or per-100 ms cost (a histogram for a time window) spread over
/// the requests, which moves with the rate and the run's length, not a cost
/// of the request path.
pub const ALLOCATION_SLACK: f64 = 0.01;

/// `0.02` → `2`, `0.005` → `0.5`, `0.25` → `25`.
fn fmt_pct(ratio: f64) -> String {
    let pct = ratio * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}")
    } else {
        format!("{pct:.1}")
    }
}

#[cfg(test)]
mod tests;
