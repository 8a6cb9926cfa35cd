//! The pure comparison: (baseline, current, thresholds) → one verdict row per
//! figure. No IO, no clocks; everything the gate decides is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::baseline::model::{BuildInfo, Figure, FigureKind, ScenarioResult, SuiteResult};
use crate::suite::instructions::top_deltas;

/// The verdict on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    Improved,
    Regressed,
    BelowFloor,
    NotComparable,
    Missing,
}

/// One line of the diff table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// For efficiency and error-rate figures: absolute change in points
    /// (`current - baseline`, 0.01 = 1 point); for all others: relative
    /// change `(current - baseline) / baseline`.
    pub change: Option<f64>,
    /// Human text of the limit applied, e.g. `>= 0.950` or `+15%`.
    pub limit: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub note: String,
    /// For an instruction figure that moved past its limit: the functions
    /// that account for most of the change, per request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionDelta>,
}

/// One function's change in instructions per request (self cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    pub function: String,
    pub baseline: f64,
    pub current: f64,
}

/// Floors and tolerances. Keys are kebab-case in config and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Thresholds {
    /// Efficiency below this fails, always (0.95).
    pub efficiency_floor: f64,
    /// Error rate above this fails, always (0.0).
    pub max_error_rate: f64,
    /// Efficiency drop vs the baseline, absolute points (0.02 = 2 points).
    pub efficiency_drop: f64,
    /// Relative CPU tolerance (0.15 = +15%).
    pub cpu_tolerance: f64,
    /// Relative memory tolerance (0.15 = +15%).
    pub memory_tolerance: f64,
    /// Relative latency tolerance (0.50 = +50%).
    pub latency_tolerance: f64,
    /// Relative tolerance of instruction counts (0.02 = +2%).
    pub instructions_tolerance: f64,
    /// Allowed change as a multiple of the baseline's spread (3.0), capped
    /// at twice the figure's tolerance.
    pub spread_factor: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            efficiency_floor: 0.95,
            max_error_rate: 0.0,
            efficiency_drop: 0.02,
            cpu_tolerance: 0.15,
            memory_tolerance: 0.15,
            latency_tolerance: 0.50,
            instructions_tolerance: 0.02,
            spread_factor: 3.0,
        }
    }
}

/// A partial [`Thresholds`] (per-scenario override in the config): every key
/// is optional and falls back to the workspace-level value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PartialThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_floor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_drop: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_factor: Option<f64>,
}

impl PartialThresholds {
    /// `base` with every key set here replaced (both partial).
    pub fn over(&self, base: &PartialThresholds) -> PartialThresholds {
        PartialThresholds {
            efficiency_floor: self.efficiency_floor.or(base.efficiency_floor),
            max_error_rate: self.max_error_rate.or(base.max_error_rate),
            efficiency_drop: self.efficiency_drop.or(base.efficiency_drop),
            cpu_tolerance: self.cpu_tolerance.or(base.cpu_tolerance),
            memory_tolerance: self.memory_tolerance.or(base.memory_tolerance),
            latency_tolerance: self.latency_tolerance.or(base.latency_tolerance),
            instructions_tolerance: self.instructions_tolerance.or(base.instructions_tolerance),
            spread_factor: self.spread_factor.or(base.spread_factor),
        }
    }

    /// `base` with every key set here replaced.
    pub fn apply(&self, base: &Thresholds) -> Thresholds {
        Thresholds {
            efficiency_floor: self.efficiency_floor.unwrap_or(base.efficiency_floor),
            max_error_rate: self.max_error_rate.unwrap_or(base.max_error_rate),
            efficiency_drop: self.efficiency_drop.unwrap_or(base.efficiency_drop),
            cpu_tolerance: self.cpu_tolerance.unwrap_or(base.cpu_tolerance),
            memory_tolerance: self.memory_tolerance.unwrap_or(base.memory_tolerance),
            latency_tolerance: self.latency_tolerance.unwrap_or(base.latency_tolerance),
            instructions_tolerance: self
                .instructions_tolerance
                .unwrap_or(base.instructions_tolerance),
            spread_factor: self.spread_factor.unwrap_or(base.spread_factor),
        }
    }
}

impl Thresholds {
    /// The relative tolerance of a lower-is-better kind; `None` for the
    /// kinds judged otherwise (efficiency, error rate, info).
    pub fn tolerance(&self, kind: FigureKind) -> Option<f64> {
        match kind {
            FigureKind::Cpu => Some(self.cpu_tolerance),
            FigureKind::Memory | FigureKind::Allocations => Some(self.memory_tolerance),
            FigureKind::Latency => Some(self.latency_tolerance),
            FigureKind::Instructions => Some(self.instructions_tolerance),
            FigureKind::Efficiency | FigureKind::ErrorRate | FigureKind::Info => None,
        }
    }

    /// Checks every value is finite and in range. The error names the
    /// kebab-case key and what is allowed, e.g.
    /// `efficiency-floor = 1.5: must be between 0 and 1`.
    pub fn validate(&self) -> Result<(), String> {
        let ratios = [
            ("efficiency-floor", self.efficiency_floor),
            ("max-error-rate", self.max_error_rate),
            ("efficiency-drop", self.efficiency_drop),
        ];
        for (key, v) in ratios {
            if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                return Err(format!("{key} = {v}: must be between 0 and 1"));
            }
        }
        let tolerances = [
            ("cpu-tolerance", self.cpu_tolerance),
            ("memory-tolerance", self.memory_tolerance),
            ("latency-tolerance", self.latency_tolerance),
            ("instructions-tolerance", self.instructions_tolerance),
            ("spread-factor", self.spread_factor),
        ];
        for (key, v) in tolerances {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{key} = {v}: must be a finite number >= 0"));
            }
        }
        Ok(())
    }
}

/// Scenario and figure names of the self-test row.
pub const SELFTEST_SCENARIO: &str = "self-test";
/// See [`SELFTEST_SCENARIO`].
pub const SELFTEST_FIGURE: &str = "passed";

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
/// - **info**: `ok`, shown only.
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
            if scenario.name == SELFTEST_SCENARIO && name == SELFTEST_FIGURE {
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
/// `missing` and `not-comparable` rows are warnings, not failures.
pub fn gate_passed(rows: &[Row]) -> bool {
    !rows.iter().any(|r| r.verdict.fails())
}

impl Verdict {
    /// `regressed` and `below-floor` fail the gate; the rest do not.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::BelowFloor)
    }
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

/// The kebab-case word of a verdict (`below-floor`), as in the JSON.
pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Improved => "improved",
        Verdict::Regressed => "regressed",
        Verdict::BelowFloor => "below-floor",
        Verdict::NotComparable => "not-comparable",
        Verdict::Missing => "missing",
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(verdict_text(*self))
    }
}

fn find_scenario<'a>(suite: &'a SuiteResult, name: &str) -> Option<&'a ScenarioResult> {
    suite.scenarios.iter().find(|s| s.name == name)
}

fn selftest_row(baseline: Option<&SuiteResult>, current: &SuiteResult) -> Row {
    let as_num = |b: bool| if b { 1.0 } else { 0.0 };
    let passed = current.selftest_passed;
    Row {
        scenario: SELFTEST_SCENARIO.to_string(),
        figure: SELFTEST_FIGURE.to_string(),
        unit: String::new(),
        baseline: baseline.map(|b| as_num(b.selftest_passed)),
        current: Some(as_num(passed)),
        change: None,
        limit: "passed".to_string(),
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
        baseline: Some(base.value).filter(|v| v.is_finite()),
        current: None,
        change: None,
        limit: String::new(),
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
        baseline: base_value,
        current,
        change: None,
        limit: String::new(),
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
            row.verdict = Verdict::Regressed;
            row.note = format!("{what}: re-measure the baseline");
            return row;
        }
    }

    match cur.kind {
        FigureKind::Efficiency => {
            row.limit = format!(">= {}", fmt_num(t.efficiency_floor));
            let Some(c) = current else {
                row.verdict = Verdict::BelowFloor;
                row.note = "efficiency was not measured (not a number)".to_string();
                return row;
            };
            if let Some(b) = base_value {
                row.change = Some(c - b);
                row.limit = format!(
                    ">= {}, drop <= {:.1} pts",
                    fmt_num(t.efficiency_floor),
                    t.efficiency_drop * 100.0
                );
            }
            if c < t.efficiency_floor - EPS {
                row.verdict = Verdict::BelowFloor;
                row.note = format!("below the floor of {}", fmt_num(t.efficiency_floor));
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
            row.limit = format!("<= {}", fmt_num(t.max_error_rate));
            let Some(c) = current else {
                row.verdict = Verdict::BelowFloor;
                row.note = "error rate was not measured (not a number)".to_string();
                return row;
            };
            row.change = base_value.map(|b| c - b);
            if c > t.max_error_rate + EPS {
                row.verdict = Verdict::BelowFloor;
                row.note = format!("error rate above {}", fmt_num(t.max_error_rate));
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
            row.limit = format!("+{}%", fmt_pct(tolerance));
            if let Some(why) = &cur.unavailable {
                row.verdict = Verdict::NotComparable;
                row.note = format!("not measured: {why}");
                return row;
            }
            let Some(base) = base else {
                row.verdict = Verdict::Missing;
                row.note = no_base_note.to_string();
                return row;
            };
            let Some(b) = base_value else {
                row.verdict = Verdict::Missing;
                row.note = "the baseline value is not a number".to_string();
                return row;
            };
            let Some(c) = current else {
                row.verdict = Verdict::Regressed;
                row.note = "judged in the baseline, not a number in this run".to_string();
                return row;
            };
            row.change = (b != 0.0).then(|| (c - b) / b.abs());
            let not_comparable = match cur.kind {
                FigureKind::Instructions | FigureKind::Allocations => builds.differ(cur.kind),
                _ => (!comparable_machine).then(|| "baseline from another machine".to_string()),
            };
            if let Some(why) = not_comparable {
                row.verdict = Verdict::NotComparable;
                row.note = why;
                return row;
            }
            let allowed = allowed_change(b, base.spread, tolerance, t.spread_factor);
            if allowed > tolerance * b.abs() + EPS {
                row.limit = format!(
                    "+{}% ({}× spread)",
                    fmt_pct(allowed / b.abs()),
                    t.spread_factor
                );
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
                row.functions = top_deltas(&base.profile, &cur.profile, 3)
                    .into_iter()
                    .map(|(function, baseline, current)| FunctionDelta {
                        function,
                        baseline,
                        current,
                    })
                    .collect();
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
        FigureKind::Info => {
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
mod tests {
    use super::*;
    use crate::baseline::model::ScenarioKind;
    use proptest::prelude::*;

    fn fig(kind: FigureKind, value: f64) -> Figure {
        Figure::single(kind, "u", value)
    }

    fn suite(scenarios: &[(&str, &[(&str, Figure)])]) -> SuiteResult {
        SuiteResult {
            quick: false,
            selftest_passed: true,
            scenarios: scenarios
                .iter()
                .map(|(name, figs)| ScenarioResult {
                    name: name.to_string(),
                    kind: ScenarioKind::Load,
                    figures: figs
                        .iter()
                        .map(|(n, f)| (n.to_string(), f.clone()))
                        .collect(),
                    report: None,
                    warnings: vec![],
                })
                .collect(),
            ..Default::default()
        }
    }

    fn one(kind: FigureKind, base: Option<f64>, cur: f64, machine: bool) -> Row {
        let c = suite(&[("s", &[("f", fig(kind, cur))])]);
        let b = base.map(|v| suite(&[("s", &[("f", fig(kind, v))])]));
        let rows = compare(
            b.as_ref(),
            &c,
            &Thresholds::default(),
            &BTreeMap::new(),
            machine,
        );
        assert_eq!(rows[0].scenario, SELFTEST_SCENARIO);
        assert_eq!(rows.len(), 2, "{rows:?}");
        rows[1].clone()
    }

    #[test]
    fn efficiency_floor_applies_without_baseline() {
        let r = one(FigureKind::Efficiency, None, 0.94, true);
        assert_eq!(r.verdict, Verdict::BelowFloor);
        assert_eq!(r.limit, ">= 0.950");
        let r = one(FigureKind::Efficiency, None, 0.96, true);
        assert_eq!(r.verdict, Verdict::Ok);
        assert!(r.note.contains("no baseline"), "{}", r.note);
    }

    #[test]
    fn efficiency_floor_applies_on_other_machine() {
        let r = one(FigureKind::Efficiency, Some(0.99), 0.90, false);
        assert_eq!(r.verdict, Verdict::BelowFloor);
    }

    #[test]
    fn efficiency_floor_is_inclusive() {
        let r = one(FigureKind::Efficiency, None, 0.95, true);
        assert_eq!(r.verdict, Verdict::Ok);
    }

    #[test]
    fn efficiency_drop_regresses_rise_improves() {
        let r = one(FigureKind::Efficiency, Some(1.0), 0.97, true);
        assert_eq!(r.verdict, Verdict::Regressed);
        assert!((r.change.unwrap() + 0.03).abs() < 1e-12);
        // exactly 2 points: not more than the limit
        let r = one(FigureKind::Efficiency, Some(0.99), 0.97, true);
        assert_eq!(r.verdict, Verdict::Ok);
        let r = one(FigureKind::Efficiency, Some(0.96), 0.99, true);
        assert_eq!(r.verdict, Verdict::Improved);
        let r = one(FigureKind::Efficiency, Some(0.99), 0.98, true);
        assert_eq!(r.verdict, Verdict::Ok);
    }

    #[test]
    fn efficiency_nan_is_below_floor() {
        let r = one(FigureKind::Efficiency, Some(0.99), f64::NAN, true);
        assert_eq!(r.verdict, Verdict::BelowFloor);
        assert_eq!(r.current, None);
    }

    #[test]
    fn error_rate_ceiling() {
        assert_eq!(
            one(FigureKind::ErrorRate, None, 0.0, true).verdict,
            Verdict::Ok
        );
        assert_eq!(
            one(FigureKind::ErrorRate, None, 0.001, true).verdict,
            Verdict::BelowFloor
        );
        assert_eq!(
            one(FigureKind::ErrorRate, Some(0.5), 0.001, false).verdict,
            Verdict::BelowFloor
        );
    }

    #[test]
    fn cpu_tolerance_regressed_improved_ok() {
        let r = one(FigureKind::Cpu, Some(100.0), 116.0, true);
        assert_eq!(r.verdict, Verdict::Regressed);
        assert_eq!(r.limit, "+15%");
        assert!((r.change.unwrap() - 0.16).abs() < 1e-12);
        assert_eq!(
            one(FigureKind::Cpu, Some(100.0), 115.0, true).verdict,
            Verdict::Ok
        );
        assert_eq!(
            one(FigureKind::Cpu, Some(100.0), 84.0, true).verdict,
            Verdict::Improved
        );
        assert_eq!(
            one(FigureKind::Memory, Some(100.0), 120.0, true).verdict,
            Verdict::Regressed
        );
        // latency has a wider default tolerance (50%)
        assert_eq!(
            one(FigureKind::Latency, Some(100.0), 140.0, true).verdict,
            Verdict::Ok
        );
        assert_eq!(
            one(FigureKind::Latency, Some(100.0), 160.0, true).verdict,
            Verdict::Regressed
        );
    }

    #[test]
    fn the_median_of_the_trials_is_judged() {
        let b = suite(&[("s", &[("f", fig(FigureKind::Cpu, 100.0))])]);
        let verdict = |trials: Vec<f64>| {
            let c = suite(&[(
                "s",
                &[("f", Figure::from_trials(FigureKind::Cpu, "u", trials))],
            )]);
            compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true)[1].clone()
        };
        // Median 130 (+30%): one trial within +15% does not save it.
        let r = verdict(vec![93.0, 110.0, 130.0, 140.0, 150.0]);
        assert_eq!(r.verdict, Verdict::Regressed);
        assert!(r.note.starts_with("median of 5 trials above"), "{}", r.note);
        // One slow trial does not fail it either.
        assert_eq!(
            verdict(vec![100.0, 101.0, 102.0, 103.0, 400.0]).verdict,
            Verdict::Ok
        );
        assert_eq!(
            verdict(vec![70.0, 80.0, 84.0, 84.0, 120.0]).verdict,
            Verdict::Improved
        );
        // Non-finite trials are left out of the median.
        assert_eq!(
            verdict(vec![120.0, 130.0, f64::NAN]).verdict,
            Verdict::Regressed
        );
    }

    #[test]
    fn spread_widens_the_tolerance_up_to_twice() {
        let base = Figure::from_trials(FigureKind::Cpu, "us", vec![96.0, 100.0, 104.0]);
        assert_eq!(base.spread, 4.0);
        let b = suite(&[("s", &[("f", base)])]);
        let verdict = |v: f64| {
            let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", v))])]);
            compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true)[1].clone()
        };
        // allowed = max(15, min(3 × 4, 30)) = 15: the spread is smaller.
        assert_eq!(verdict(116.0).verdict, Verdict::Regressed);
        // A noisy baseline (spread 20): allowed = max(15, min(60, 30)) = 30.
        let noisy = Figure::from_trials(FigureKind::Cpu, "us", vec![80.0, 100.0, 120.0]);
        let b = suite(&[("s", &[("f", noisy)])]);
        let verdict = |v: f64| {
            let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", v))])]);
            compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true)[1].clone()
        };
        let r = verdict(129.0);
        assert_eq!(r.verdict, Verdict::Ok);
        assert_eq!(r.limit, "+30% (3× spread)");
        assert_eq!(
            verdict(131.0).verdict,
            Verdict::Regressed,
            "capped at 2× 15%"
        );
        assert_eq!(allowed_change(100.0, 20.0, 0.15, 3.0), 30.0);
        assert_eq!(allowed_change(100.0, 1.0, 0.15, 3.0), 15.0);
        assert_eq!(allowed_change(100.0, 7.0, 0.15, 3.0), 21.0);
    }

    #[test]
    fn other_machine_is_not_comparable_for_cpu() {
        let r = one(FigureKind::Cpu, Some(100.0), 300.0, false);
        assert_eq!(r.verdict, Verdict::NotComparable);
        assert_eq!(r.note, "baseline from another machine");
        assert!(r.change.is_some());
    }

    #[test]
    fn unit_or_kind_change_regresses() {
        let b = suite(&[(
            "s",
            &[("f", Figure::single(FigureKind::Memory, "B", 100.0))],
        )]);
        let c = suite(&[(
            "s",
            &[("f", Figure::single(FigureKind::Memory, "KiB", 1.0))],
        )]);
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert_eq!(rows[1].verdict, Verdict::Regressed);
        assert!(rows[1].note.contains("unit changed"), "{}", rows[1].note);
        let c = suite(&[("s", &[("f", Figure::single(FigureKind::Info, "B", 100.0))])]);
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert_eq!(rows[1].verdict, Verdict::Regressed);
        assert!(rows[1].note.contains("kind changed"), "{}", rows[1].note);
    }

    #[test]
    fn info_is_always_ok() {
        let r = one(FigureKind::Info, Some(1.0), 1000.0, true);
        assert_eq!(r.verdict, Verdict::Ok);
        assert_eq!(r.change, Some(999.0));
    }

    #[test]
    fn a_judged_figure_the_run_lacks_regresses() {
        let b = suite(&[
            (
                "s",
                &[
                    ("old", fig(FigureKind::Cpu, 1.0)),
                    ("shown", fig(FigureKind::Info, 1.0)),
                    ("nan", fig(FigureKind::Instructions, 1.0)),
                ],
            ),
            ("gone", &[("x", fig(FigureKind::Cpu, 1.0))]),
        ]);
        let mut c = suite(&[(
            "s",
            &[
                ("new", fig(FigureKind::Cpu, 1.0)),
                ("nan", fig(FigureKind::Instructions, f64::NAN)),
            ],
        )]);
        c.build = Some(BuildInfo::default());
        let mut b = b;
        b.build = Some(BuildInfo::default());
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        let find = |s: &str, f: &str| {
            rows.iter()
                .find(|r| r.scenario == s && r.figure == f)
                .unwrap()
                .clone()
        };
        let new = find("s", "new");
        assert_eq!(new.verdict, Verdict::Missing);
        assert_eq!(new.note, "new figure, no baseline");
        let old = find("s", "old");
        assert_eq!(old.verdict, Verdict::Regressed);
        assert_eq!(old.current, None);
        assert!(
            old.note.contains("not measured in this run"),
            "{}",
            old.note
        );
        assert_eq!(
            find("s", "shown").verdict,
            Verdict::Missing,
            "info only warns"
        );
        assert_eq!(find("s", "nan").verdict, Verdict::Regressed);
        assert!(find("s", "nan").note.contains("not a number"));
        assert_eq!(find("gone", "x").verdict, Verdict::Regressed);
        assert!(!gate_passed(&rows));
    }

    #[test]
    fn unplanned_scenarios_are_not_judged_planned_ones_are() {
        let b = suite(&[
            ("s", &[("f", fig(FigureKind::Cpu, 1.0))]),
            ("other", &[("x", fig(FigureKind::Cpu, 1.0))]),
        ]);
        let mut c = suite(&[("s", &[("f", fig(FigureKind::Cpu, 1.0))])]);
        c.planned = vec!["s".into()];
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert!(rows.iter().all(|r| r.scenario != "other"), "{rows:?}");
        c.planned.push("other".into());
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert!(rows
            .iter()
            .any(|r| r.scenario == "other" && r.verdict == Verdict::Regressed));
    }

    #[test]
    fn instruction_counts_compare_across_machines_with_the_same_build() {
        let build = BuildInfo {
            rustc: "rustc 1.95.0".into(),
            target: "x86_64-unknown-linux-gnu".into(),
            profile: "release".into(),
            libc: "glibc 2.36".into(),
            valgrind: Some("valgrind-3.19.0".into()),
        };
        let fc = |n: &str, v: f64| crate::baseline::model::FunctionCost {
            function: n.into(),
            per_request: v,
        };
        let mut base_fig = Figure::single(FigureKind::Instructions, "instr", 1000.0);
        base_fig.profile = vec![fc("hot", 600.0), fc("cold", 400.0)];
        let mut b = suite(&[("i", &[("n", base_fig)])]);
        b.build = Some(build.clone());
        let run = |v: f64, cur_build: BuildInfo, machine: bool| {
            let mut f = Figure::single(FigureKind::Instructions, "instr", v);
            f.profile = vec![fc("hot", v - 400.0), fc("cold", 400.0)];
            let mut c = suite(&[("i", &[("n", f)])]);
            c.build = Some(cur_build);
            compare(
                Some(&b),
                &c,
                &Thresholds::default(),
                &BTreeMap::new(),
                machine,
            )[1]
            .clone()
        };
        // +3% on another machine: judged, and the function named.
        let r = run(1030.0, build.clone(), false);
        assert_eq!(r.verdict, Verdict::Regressed);
        assert_eq!(r.functions.len(), 1);
        assert_eq!(r.functions[0].function, "hot");
        assert!(r.note.contains("hot +30 (600 → 630)"), "{}", r.note);
        assert_eq!(run(1015.0, build.clone(), false).verdict, Verdict::Ok);
        // Another compiler: not comparable, saying which field differs.
        let other = BuildInfo {
            rustc: "rustc 1.96.0".into(),
            ..build.clone()
        };
        let r = run(1030.0, other, true);
        assert_eq!(r.verdict, Verdict::NotComparable);
        assert!(r.note.contains("rustc"), "{}", r.note);
        // Not measurable here: not comparable, never passed silently.
        let mut c = suite(&[(
            "i",
            &[(
                "n",
                Figure::unavailable(FigureKind::Instructions, "instr", "no valgrind"),
            )],
        )]);
        c.build = Some(build);
        let r = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true)[1].clone();
        assert_eq!(r.verdict, Verdict::NotComparable);
        assert!(r.note.contains("no valgrind"));
    }

    #[test]
    fn noisy_figures_are_named() {
        let mut c = suite(&[(
            "cpu",
            &[
                (
                    "steady",
                    Figure::from_trials(FigureKind::Cpu, "us", vec![99.0, 100.0, 101.0]),
                ),
                (
                    "noisy",
                    Figure::from_trials(FigureKind::Cpu, "us", vec![60.0, 100.0, 140.0]),
                ),
            ],
        )]);
        let t = Thresholds::default();
        let noisy = too_noisy(&c, &t, &BTreeMap::new());
        assert_eq!(noisy.len(), 1, "{noisy:?}");
        assert!(
            noisy[0].starts_with("cpu / noisy: trials spread ±40%"),
            "{}",
            noisy[0]
        );
        c.scenarios[0].figures.remove("noisy");
        assert!(too_noisy(&c, &t, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn quick_run_skips_whole_missing_scenarios() {
        let b = suite(&[
            ("s", &[("f", fig(FigureKind::Cpu, 1.0))]),
            ("slow", &[("x", fig(FigureKind::Cpu, 1.0))]),
        ]);
        let mut c = suite(&[("s", &[("f", fig(FigureKind::Cpu, 1.0))])]);
        c.quick = true;
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert!(rows.iter().all(|r| r.scenario != "slow"), "{rows:?}");
    }

    #[test]
    fn no_baseline_gives_missing_for_relative_figures() {
        let r = one(FigureKind::Memory, None, 5.0, true);
        assert_eq!(r.verdict, Verdict::Missing);
        assert_eq!(r.note, "no baseline");
    }

    #[test]
    fn selftest_failure_is_below_floor() {
        let mut c = suite(&[]);
        c.selftest_passed = false;
        let rows = compare(None, &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].figure, "passed");
        assert_eq!(rows[0].verdict, Verdict::BelowFloor);
        assert!(!gate_passed(&rows));
        assert!(summary(&rows).starts_with("gate FAILED: 1 below-floor"));
    }

    #[test]
    fn overrides_apply_per_scenario() {
        let c = suite(&[
            (
                "strict",
                &[("efficiency", fig(FigureKind::Efficiency, 0.92))],
            ),
            (
                "lenient",
                &[("efficiency", fig(FigureKind::Efficiency, 0.92))],
            ),
        ]);
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "lenient".to_string(),
            PartialThresholds {
                efficiency_floor: Some(0.9),
                ..Default::default()
            }
            .apply(&Thresholds::default()),
        );
        let rows = compare(None, &c, &Thresholds::default(), &overrides, true);
        let v = |s: &str| rows.iter().find(|r| r.scenario == s).unwrap().verdict;
        assert_eq!(v("strict"), Verdict::BelowFloor);
        assert_eq!(v("lenient"), Verdict::Ok);
    }

    #[test]
    fn gate_fails_only_on_regressed_or_below_floor() {
        let mk = |v| Row {
            scenario: "s".into(),
            figure: "f".into(),
            unit: String::new(),
            baseline: None,
            current: None,
            change: None,
            limit: String::new(),
            verdict: v,
            note: String::new(),
            functions: Vec::new(),
        };
        for v in [
            Verdict::Ok,
            Verdict::Improved,
            Verdict::NotComparable,
            Verdict::Missing,
        ] {
            assert!(gate_passed(&[mk(v)]), "{v}");
        }
        assert!(!gate_passed(&[mk(Verdict::Ok), mk(Verdict::Regressed)]));
        assert!(!gate_passed(&[mk(Verdict::BelowFloor)]));
    }

    #[test]
    fn verdict_json_is_kebab_case() {
        assert_eq!(
            serde_json::to_string(&Verdict::BelowFloor).unwrap(),
            "\"below-floor\""
        );
        assert_eq!(
            serde_json::to_string(&Verdict::NotComparable).unwrap(),
            "\"not-comparable\""
        );
        assert_eq!(Verdict::NotComparable.to_string(), "not-comparable");
    }

    #[test]
    fn thresholds_serde_and_validation() {
        let t: Thresholds = serde_json::from_str(r#"{"efficiency-floor":0.9}"#).unwrap();
        assert_eq!(t.efficiency_floor, 0.9);
        assert_eq!(t.cpu_tolerance, 0.15);
        let err = serde_json::from_str::<Thresholds>(r#"{"cpu-tolerence":0.1}"#).unwrap_err();
        assert!(err.to_string().contains("cpu-tolerence"), "{err}");
        assert!(Thresholds::default().validate().is_ok());
        let bad = Thresholds {
            efficiency_floor: 1.5,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().starts_with("efficiency-floor"));
        let bad = Thresholds {
            spread_factor: -1.0,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().starts_with("spread-factor"));
    }

    fn kind_strategy() -> impl Strategy<Value = FigureKind> {
        prop_oneof![
            Just(FigureKind::Efficiency),
            Just(FigureKind::ErrorRate),
            Just(FigureKind::Cpu),
            Just(FigureKind::Memory),
            Just(FigureKind::Latency),
            Just(FigureKind::Info),
        ]
    }

    proptest! {
        /// A figure equal to its baseline is never regressed, whatever the
        /// thresholds, trials or machine.
        #[test]
        fn equal_to_baseline_is_never_regressed(
            kind in kind_strategy(),
            value in prop_oneof![0.0f64..=1.0, 0.0f64..1e12, Just(0.0)],
            trials in proptest::collection::vec(0.0f64..1e9, 0..5),
            floor in 0.0f64..=1.0,
            drop in 0.0f64..=1.0,
            tol in 0.0f64..10.0,
            spread_factor in 0.0f64..10.0,
            machine in any::<bool>(),
        ) {
            let mut base = Figure::from_trials(kind, "u", trials);
            base.value = value;
            let cur = Figure { trials: vec![], spread: 0.0, ..base.clone() };
            let t = Thresholds {
                efficiency_floor: floor,
                efficiency_drop: drop,
                cpu_tolerance: tol,
                memory_tolerance: tol,
                latency_tolerance: tol,
                spread_factor,
                ..Thresholds::default()
            };
            let b = suite(&[("s", &[("f", base)])]);
            let c = suite(&[("s", &[("f", cur)])]);
            let rows = compare(Some(&b), &c, &t, &BTreeMap::new(), machine);
            prop_assert!(rows.iter().all(|r| r.verdict != Verdict::Regressed), "{:?}", rows);
            prop_assert!(rows.iter().all(|r| r.verdict != Verdict::Improved), "{:?}", rows);
        }
    }
}
