//! Number and verdict formatting shared by every renderer, so the same
//! figure reads the same in the terminal, in Markdown and in HTML.

/// The gate's default efficiency floor (defined once, with the
/// thresholds): what a run report marks, and a check where a scenario
/// states none.
pub use crate::baseline::compare::DEFAULT_EFFICIENCY_FLOOR;

/// How an efficiency reads in every report: `Good` at ≥ 99%, `Short` down to
/// the floor in force (`floor`: the scenario's, or [`DEFAULT_EFFICIENCY_FLOOR`]),
/// `Bad` below it (or not a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    Good,
    Short,
    Bad,
}

pub fn efficiency_grade(e: f64, floor: f64) -> Grade {
    if e >= 0.99_f64.max(floor) {
        Grade::Good
    } else if e >= floor {
        Grade::Short
    } else {
        Grade::Bad
    }
}

/// A ratio as a percentage with two decimals: `0.9995` → `99.95%`.
pub fn pct(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "n/a".to_string();
    }
    format!("{:.2}%", ratio * 100.0)
}

/// A number with three significant digits (integers ≥ 1000 keep all
/// their digits): `0.2` → `0.200`, `12.345` → `12.3`, `1234.5` → `1235`.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x.abs() >= 1000.0 {
        return format!("{:.0}", x.round());
    }
    // Round to 3 significant digits first, then pick the decimals from the
    // rounded value so 9.996 becomes "10.0", not "10.00".
    let digits = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(2 - digits);
    let rounded = (x * scale).round() / scale;
    let digits = rounded.abs().log10().floor() as i32;
    let decimals = (2 - digits).max(0) as usize;
    format!("{rounded:.decimals$}")
}

/// Milliseconds with three significant digits: `0.2` → `0.200 ms`.
pub fn ms(x: f64) -> String {
    format!("{} ms", sig3(x))
}

/// Bytes as decimal megabytes (10⁶ bytes) with one decimal: `20 MB`.
pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A rate in requests per second: whole numbers stay whole (`1000`),
/// fractional rates keep three significant digits (`0.500`).
pub fn rps(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

/// Seconds: `10 s`, `0.500 s`.
pub fn secs(x: f64) -> String {
    format!("{} s", rps(x))
}

use crate::baseline::compare::{
    Acceptance, Limit, Missing, NoBaseline, Noisy, Note, OnlyLimit, Row, RowKind, Side, Verdict,
    TRAILER,
};
use crate::figure::profile::{crate_of, FunctionDelta, LineDelta, ProfileGap};
use crate::figure::{id, toolchain_channel, BuildDifference, FigureKind};
use crate::gate::{BaselineProblem, GateWarning, RequiredUnjudged};
use crate::git::GitInfo;

mod environment;
mod notes;
pub use environment::environment_line;
pub use notes::{
    baseline_problem_text, build_fix, not_judged_line, note_text, required_text, short_commit,
    warning_text,
};

/// The kebab-case word of a verdict, as in the JSON (`below-floor`).
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => "accepted",
        Verdict::Ok => "ok",
        Verdict::Improved => "improved",
        Verdict::Regressed => "regressed",
        Verdict::BelowFloor => "below-floor",
        Verdict::NotComparable => "not-comparable",
        Verdict::Missing => "missing",
        Verdict::Info => "info",
    }
}

/// Whether a verdict fails the gate.
pub fn is_failure(v: Verdict) -> bool {
    v.fails()
}

/// How a row's numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The self-test row: 1 = passed, 0 = failed.
    SelfTest,
    /// A 0..=1 ratio shown as a percentage; `change` is in absolute points.
    Ratio,
    /// Whether a service stayed up: 1 = alive, 0 = exited.
    Alive,
    /// Bytes, shown as MB; `change` is relative.
    Bytes,
    /// Anything else: three significant digits and the unit; `change` relative.
    Plain,
}

/// The shape of `row`, from its kind (and, for bytes, its unit).
pub fn shape(row: &Row) -> Shape {
    match row.kind {
        RowKind::SelfTest => Shape::SelfTest,
        RowKind::Figure(kind) => figure_shape(kind, &row.unit),
    }
}

/// The shape of a figure of `kind` measured in `unit`.
pub fn figure_shape(kind: FigureKind, unit: &str) -> Shape {
    match kind {
        FigureKind::Efficiency | FigureKind::ErrorRate => Shape::Ratio,
        FigureKind::Alive => Shape::Alive,
        _ if matches!(unit, "B" | "bytes" | "byte") => Shape::Bytes,
        _ => Shape::Plain,
    }
}

/// A relative limit as a percentage without needless decimals: `0.15` →
/// `15`, `0.005` → `0.5`.
pub(crate) fn pct_short(ratio: f64) -> String {
    let s = format!("{:.2}", ratio * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A limit in the units its row's values are shown in: `≥ 95.00%`,
/// `≥ 95.00%, drop ≤ 2.00 pts`, `≤ 0.00%`, `+15%`, `+30% (3× spread)`,
/// `max(+50%, +0.200 ms)`,
/// `passed`; empty when nothing is held.
pub fn limit_text(limit: &Limit) -> String {
    match *limit {
        Limit::None => String::new(),
        Limit::MustPass => "passed".to_string(),
        Limit::MustStayUp => "alive".to_string(),
        Limit::Floor { min } => format!("≥ {}", pct(min)),
        Limit::FloorAndDrop { min, max_drop } => {
            format!("≥ {}, drop ≤ {:.2} pts", pct(min), max_drop * 100.0)
        }
        Limit::MaxErrorRate { max } => format!("≤ {}", pct(max)),
        Limit::Relative {
            allowed,
            tolerance,
            spread_factor,
        } if allowed > tolerance + 1e-9 => {
            format!("+{}% ({spread_factor}× spread)", pct_short(allowed))
        }
        Limit::Relative { allowed, .. } => format!("+{}%", pct_short(allowed)),
        Limit::Latency {
            tolerance,
            slack_ms,
        } => format!("max(+{}%, +{})", pct_short(tolerance), ms(slack_ms)),
    }
}

/// A limit's percentage, whole when it is: `0.02` → `2`, `0.005` → `0.5`,
/// `0.25` → `25`.
fn pct_whole(ratio: f64) -> String {
    let pct = ratio * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}")
    } else {
        format!("{pct:.1}")
    }
}

/// An allowance in a figure's unit: `0.95` → `0.950`; small numbers keep
/// significant digits (`2.50e-3`), large ones none.
fn allowance(v: f64) -> String {
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

/// One line: `gate passed: 30 ok, 2 improved, 1 missing` or
/// `gate FAILED: 1 regressed, 1 below-floor, 28 ok`.
pub fn summary_text(rows: &[Row]) -> String {
    let order = [
        Verdict::Accepted,
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
            (n > 0).then(|| format!("{n} {}", verdict_word(*v)))
        })
        .collect();
    let head = if rows.iter().any(|r| r.verdict.fails()) {
        "gate FAILED"
    } else {
        "gate passed"
    };
    if counts.is_empty() {
        format!("{head}: no figures")
    } else {
        format!("{head}: {}", counts.join(", "))
    }
}

/// A row's value (`baseline` or `current`) as text; `—` when absent.
pub fn value(shape: Shape, unit: &str, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".to_string();
    };
    match shape {
        Shape::SelfTest => if v >= 0.5 { "passed" } else { "failed" }.to_string(),
        Shape::Alive => if v >= 0.5 { "alive" } else { "exited" }.to_string(),
        Shape::Ratio => pct(v),
        Shape::Bytes if v.is_finite() && v >= 0.0 => mb(v.round() as u64),
        _ if unit.is_empty() => sig3(v),
        _ => format!("{} {unit}", sig3(v)),
    }
}

/// A row's change as text: `+0.10 pts` for ratios, `+12.3%` otherwise,
/// empty when there is none.
pub fn change(shape: Shape, c: Option<f64>) -> String {
    let Some(c) = c.filter(|c| c.is_finite()) else {
        return String::new();
    };
    let sign = if c > 0.0 { "+" } else { "" };
    match shape {
        Shape::SelfTest | Shape::Alive => String::new(),
        Shape::Ratio => format!("{sign}{:.2} pts", c * 100.0),
        _ => format!("{sign}{}%", sig3(c * 100.0)),
    }
}

/// The one-line verdict of a judged run:
/// `ratecheck: PASS — 23 figures ok, 1 improved, 12 info`,
/// `ratecheck: PASS — 1 accepted: slower answers on purpose (23 figures
/// ok, 12 info)`, `ratecheck: FAIL — 2 regressed, 1 below floor`, each
/// followed by the [`not_comparable_clause`] when figures could not be
/// compared. (A run that could not be judged has no verdict line: it ends
/// with an error, exit 2.)
pub fn verdict_line(rows: &[Row], passed: bool) -> String {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let part = |n: usize, what: &str| (n > 0).then(|| format!("{n} {what}"));
    let unjudged = not_comparable_clause(rows);
    let accepted = accepted_clause(rows);
    if passed {
        let ok = count(Verdict::Ok);
        let others = [
            part(count(Verdict::Improved), "improved"),
            part(count(Verdict::NotComparable), "not comparable"),
            part(count(Verdict::Missing), "missing"),
            part(count(Verdict::Info), "info"),
        ];
        let mut parts = vec![format!("{ok} figure{} ok", if ok == 1 { "" } else { "s" })];
        parts.extend(others.into_iter().flatten());
        let counts = parts.join(", ");
        return match accepted {
            Some(a) => format!("ratecheck: PASS — {a} ({counts}){unjudged}"),
            None => format!("ratecheck: PASS — {counts}{unjudged}"),
        };
    }
    let failures: Vec<String> = [
        part(count(Verdict::Regressed), "regressed"),
        part(count(Verdict::BelowFloor), "below floor"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut what = if failures.is_empty() {
        "the gate failed".to_string()
    } else {
        failures.join(", ")
    };
    if let Some(a) = accepted {
        what.push_str(&format!("; {a}"));
    }
    format!("ratecheck: FAIL — {what}{unjudged}")
}

/// `2 accepted: parse every header; slower answers on purpose`: the
/// accepted rows and their reasons (each once, in row order); `None` when
/// no row was accepted.
fn accepted_clause(rows: &[Row]) -> Option<String> {
    let mut reasons: Vec<&str> = Vec::new();
    let mut n = 0;
    for r in rows.iter().filter(|r| r.verdict == Verdict::Accepted) {
        n += 1;
        if let Some(Note::Accepted { acceptance, .. }) = &r.note {
            if !reasons.contains(&acceptance.reason.as_str()) {
                reasons.push(&acceptance.reason);
            }
        }
    }
    (n > 0).then(|| format!("{n} accepted: {}", reasons.join("; ")))
}

/// `; not comparable: steady-1k/cpu, steady-10k/cpu (baseline from another
/// machine)` for the rows that could not be compared, each named with its
/// scenario and grouped by reason, so a green check cannot hide that half
/// its figures went unjudged. Empty when every row was compared.
pub fn not_comparable_clause(rows: &[Row]) -> String {
    let mut by_reason: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows.iter().filter(|r| r.verdict == Verdict::NotComparable) {
        let name = format!("{}/{}", r.scenario, r.figure);
        let note = note_text(r);
        match by_reason.iter_mut().find(|(why, _)| *why == note) {
            Some((_, names)) if names.contains(&name) => {}
            Some((_, names)) => names.push(name),
            None => by_reason.push((note, vec![name])),
        }
    }
    if by_reason.is_empty() {
        return String::new();
    }
    let groups: Vec<String> = by_reason
        .into_iter()
        .map(|(why, names)| format!("{} ({why})", names.join(", ")))
        .collect();
    format!("; not comparable: {}", groups.join("; "))
}

/// A commit as the reports name it: `1a2b3c4d5e6f (main,
/// 2024-05-01T12:34:56Z, dirty)`.
pub fn describe_git(g: &GitInfo) -> String {
    let mut s = match &g.commit {
        Some(c) => c.chars().take(12).collect::<String>(),
        None => "unknown commit".to_string(),
    };
    let mut extra = Vec::new();
    if let Some(b) = &g.branch {
        extra.push(b.clone());
    }
    if let Some(t) = &g.commit_time {
        extra.push(t.clone());
    }
    if g.dirty {
        extra.push("dirty".to_string());
    }
    if !extra.is_empty() {
        s.push_str(&format!(" ({})", extra.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests;
