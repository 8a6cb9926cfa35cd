//! The pure comparison: (baseline, current, thresholds) → one verdict row per
//! figure. No IO, no clocks; everything the gate decides is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::baseline::model::{Figure, FigureKind, ScenarioResult, SuiteResult};

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
    /// Allowed change as a multiple of the baseline's spread (3.0).
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
    pub spread_factor: Option<f64>,
}

impl PartialThresholds {
    /// `base` with every key set here replaced.
    pub fn apply(&self, base: &Thresholds) -> Thresholds {
        Thresholds {
            efficiency_floor: self.efficiency_floor.unwrap_or(base.efficiency_floor),
            max_error_rate: self.max_error_rate.unwrap_or(base.max_error_rate),
            efficiency_drop: self.efficiency_drop.unwrap_or(base.efficiency_drop),
            cpu_tolerance: self.cpu_tolerance.unwrap_or(base.cpu_tolerance),
            memory_tolerance: self.memory_tolerance.unwrap_or(base.memory_tolerance),
            latency_tolerance: self.latency_tolerance.unwrap_or(base.latency_tolerance),
            spread_factor: self.spread_factor.unwrap_or(base.spread_factor),
        }
    }
}

impl Thresholds {
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
/// - **cpu / memory / latency** (lower is better; `change` relative,
///   `(current - baseline) / baseline`): allowed = max(tolerance × baseline,
///   spread_factor × baseline spread); the value and every current trial
///   above baseline + allowed → `regressed`, all below baseline − allowed →
///   `improved`, else `ok`: one slow trial on a noisy machine cannot fail
///   the gate, a real change moves every trial. When
///   `comparable_machine` is false → `not-comparable` ("baseline from another
///   machine"). A unit that changed → `not-comparable`.
/// - **info**: `ok`, shown only.
///
/// `missing` never fails the gate (see [`gate_passed`]); it is a warning
/// (see [`warnings`]). It is given for: a judged figure that has no baseline
/// ("new figure, no baseline", or "no baseline" under `--no-baseline`; floor
/// verdicts still apply to efficiency and error rate, which then get their
/// floor verdict instead); a figure or scenario the baseline has and the
/// current run lacks ("not measured in this run"); a current value that is
/// not a finite number (for efficiency and error rate that is `below-floor`
/// instead, since the floor cannot be shown to hold). Whole baseline
/// scenarios absent from a `--quick` run compared with a full baseline are
/// expected and get no row.
pub fn compare(
    baseline: Option<&SuiteResult>,
    current: &SuiteResult,
    thresholds: &Thresholds,
    overrides: &BTreeMap<String, Thresholds>,
    comparable_machine: bool,
) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.push(selftest_row(baseline, current));

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
            ));
        }
    }

    if let Some(base) = baseline {
        for base_scenario in &base.scenarios {
            match find_scenario(current, &base_scenario.name) {
                Some(cur) => {
                    for (name, figure) in &base_scenario.figures {
                        if !cur.figures.contains_key(name) {
                            rows.push(missing_row(&base_scenario.name, name, figure));
                        }
                    }
                }
                None if current.quick && !base.quick => {}
                None => {
                    for (name, figure) in &base_scenario.figures {
                        rows.push(missing_row(&base_scenario.name, name, figure));
                    }
                }
            }
        }
    }
    rows
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
    }
}

fn missing_row(scenario: &str, name: &str, base: &Figure) -> Row {
    Row {
        scenario: scenario.to_string(),
        figure: name.to_string(),
        unit: base.unit.clone(),
        baseline: Some(base.value).filter(|v| v.is_finite()),
        current: None,
        change: None,
        limit: String::new(),
        verdict: Verdict::Missing,
        note: "in the baseline, not measured in this run".to_string(),
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

fn judge(
    scenario: &str,
    name: &str,
    cur: &Figure,
    base: Option<&Figure>,
    no_base_note: &str,
    t: &Thresholds,
    comparable_machine: bool,
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
    };
    let unit_changed = base.is_some_and(|b| b.unit != cur.unit);
    let unit_note = || {
        format!(
            "unit changed from {:?} to {:?}",
            base.map(|b| b.unit.as_str()).unwrap_or(""),
            cur.unit
        )
    };

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
            } else if unit_changed {
                row.verdict = Verdict::NotComparable;
                row.note = unit_note();
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
        FigureKind::Cpu | FigureKind::Memory | FigureKind::Latency => {
            let tolerance = match cur.kind {
                FigureKind::Cpu => t.cpu_tolerance,
                FigureKind::Memory => t.memory_tolerance,
                _ => t.latency_tolerance,
            };
            let Some(c) = current else {
                row.verdict = Verdict::Missing;
                row.note = "not measured in this run (not a number)".to_string();
                return row;
            };
            let (Some(b), Some(base)) = (base_value, base) else {
                row.verdict = Verdict::Missing;
                row.note = no_base_note.to_string();
                row.limit = format!("+{:.0}%", tolerance * 100.0);
                return row;
            };
            let by_tolerance = tolerance * b.abs();
            let spread = if base.spread.is_finite() {
                base.spread.abs()
            } else {
                0.0
            };
            let by_spread = t.spread_factor * spread;
            let allowed = by_tolerance.max(by_spread);
            row.limit = if by_spread > by_tolerance {
                format!(
                    "±{} {} ({}× spread)",
                    fmt_num(allowed),
                    cur.unit,
                    t.spread_factor
                )
                .replace("  ", " ")
            } else {
                format!("+{:.0}%", tolerance * 100.0)
            };
            row.change = (b != 0.0).then(|| (c - b) / b.abs());
            if unit_changed {
                row.verdict = Verdict::NotComparable;
                row.note = unit_note();
            } else if !comparable_machine {
                row.verdict = Verdict::NotComparable;
                row.note = "baseline from another machine".to_string();
            } else {
                // Regressed needs even the best of the value and the finite
                // trials past the limit; improved, even the worst.
                let trials = cur.trials.iter().copied().filter(|v| v.is_finite());
                let best = trials.clone().fold(c, f64::min);
                let worst = trials.fold(c, f64::max);
                let margin = EPS * b.abs().max(1.0);
                if best > b + allowed + margin {
                    row.verdict = Verdict::Regressed;
                    let every = if cur.trials.len() > 1 {
                        "every trial "
                    } else {
                        ""
                    };
                    row.note = format!("{every}above baseline + {} {}", fmt_num(allowed), cur.unit)
                        .trim_end()
                        .to_string();
                } else if worst < b - allowed - margin {
                    row.verdict = Verdict::Improved;
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
    fn every_trial_must_move_for_a_verdict() {
        let b = suite(&[("s", &[("f", fig(FigureKind::Cpu, 100.0))])]);
        let verdict = |trials: Vec<f64>| {
            let c = suite(&[(
                "s",
                &[("f", Figure::from_trials(FigureKind::Cpu, "u", trials))],
            )]);
            compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true)[1].clone()
        };
        // Median 130 (+30%), but one trial within +15%: noise, not a verdict.
        assert_eq!(verdict(vec![110.0, 130.0, 140.0]).verdict, Verdict::Ok);
        let r = verdict(vec![120.0, 130.0, 140.0]);
        assert_eq!(r.verdict, Verdict::Regressed);
        assert!(r.note.starts_with("every trial above"), "{}", r.note);
        // Improved likewise needs every trial below the limit.
        assert_eq!(verdict(vec![70.0, 80.0, 90.0]).verdict, Verdict::Ok);
        assert_eq!(verdict(vec![70.0, 80.0, 84.0]).verdict, Verdict::Improved);
        // Non-finite trials are ignored.
        assert_eq!(
            verdict(vec![120.0, 130.0, f64::NAN]).verdict,
            Verdict::Regressed
        );
    }

    #[test]
    fn spread_widens_the_tolerance() {
        let base = Figure::from_trials(FigureKind::Cpu, "us", vec![80.0, 100.0, 120.0]);
        assert_eq!(base.spread, 20.0);
        let b = suite(&[("s", &[("f", base)])]);
        let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", 150.0))])]);
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        // allowed = max(15, 3 × 20) = 60
        assert_eq!(rows[1].verdict, Verdict::Ok);
        assert!(rows[1].limit.contains("spread"), "{}", rows[1].limit);
        let c = suite(&[("s", &[("f", Figure::single(FigureKind::Cpu, "us", 161.0))])]);
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert_eq!(rows[1].verdict, Verdict::Regressed);
    }

    #[test]
    fn other_machine_is_not_comparable_for_cpu() {
        let r = one(FigureKind::Cpu, Some(100.0), 300.0, false);
        assert_eq!(r.verdict, Verdict::NotComparable);
        assert_eq!(r.note, "baseline from another machine");
        assert!(r.change.is_some());
    }

    #[test]
    fn unit_change_is_not_comparable() {
        let b = suite(&[(
            "s",
            &[("f", Figure::single(FigureKind::Memory, "B", 100.0))],
        )]);
        let c = suite(&[(
            "s",
            &[("f", Figure::single(FigureKind::Memory, "KiB", 1.0))],
        )]);
        let rows = compare(Some(&b), &c, &Thresholds::default(), &BTreeMap::new(), true);
        assert_eq!(rows[1].verdict, Verdict::NotComparable);
        assert!(rows[1].note.contains("unit changed"));
    }

    #[test]
    fn info_is_always_ok() {
        let r = one(FigureKind::Info, Some(1.0), 1000.0, true);
        assert_eq!(r.verdict, Verdict::Ok);
        assert_eq!(r.change, Some(999.0));
    }

    #[test]
    fn missing_both_ways_does_not_fail() {
        let b = suite(&[
            ("s", &[("old", fig(FigureKind::Cpu, 1.0))]),
            ("gone", &[("x", fig(FigureKind::Cpu, 1.0))]),
        ]);
        let c = suite(&[("s", &[("new", fig(FigureKind::Cpu, 1.0))])]);
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
        assert_eq!(old.verdict, Verdict::Missing);
        assert_eq!(old.current, None);
        assert_eq!(find("gone", "x").verdict, Verdict::Missing);
        assert!(gate_passed(&rows));
        assert_eq!(warnings(&rows).len(), 3);
        assert!(summary(&rows).starts_with("gate passed"));
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
