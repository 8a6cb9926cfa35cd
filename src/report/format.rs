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
    Limit, NoBaseline, Noisy, Note, OnlyLimit, Row, RowKind, Side, Verdict,
};
use crate::figure::profile::FunctionDelta;
use crate::figure::{id, BuildDifference, FigureKind};
use crate::gate::{BaselineProblem, GateWarning, RequiredUnjudged};
use crate::git::GitInfo;

/// The kebab-case word of a verdict, as in the JSON (`below-floor`).
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
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

/// A row's note as text, with the functions that changed most when the
/// row names them: `above baseline + 30.0 instr; most changed: hot +30 (600
/// → 630)`. Empty when there is nothing to say.
pub fn note_text(row: &Row) -> String {
    let note = row.note.as_ref().map(note_words).unwrap_or_default();
    if row.functions.is_empty() {
        return note;
    }
    let top: Vec<String> = row.functions.iter().map(function_delta).collect();
    format!("{note}; most changed: {}", top.join("; "))
        .trim_start_matches("; ")
        .to_string()
}

/// `hot +30 (600 → 630)`.
fn function_delta(f: &FunctionDelta) -> String {
    format!(
        "{} {:+.0} ({:.0} → {:.0})",
        f.function,
        f.current - f.baseline,
        f.baseline,
        f.current
    )
}

/// A note in words: `below the floor of 95%`, `baseline from another
/// machine`, `paired with main (20 pairs), ratio 1.050 [1.031, 1.069]`.
pub fn note_words(note: &Note) -> String {
    let caused = |text: String, cause: &Option<String>| match cause {
        Some(cause) => format!("{text}: {cause}"),
        None => text,
    };
    match note {
        Note::SelfTestFailed => "the engine's start-up self-test failed".to_string(),
        Note::NotMeasured { judged: true } => {
            "judged in the baseline, not measured in this run".to_string()
        }
        Note::NotMeasured { judged: false } => {
            "in the baseline, not measured in this run".to_string()
        }
        Note::KindChanged { from, to } => {
            format!("kind changed from {from:?} to {to:?}: re-measure the baseline")
        }
        Note::UnitChanged { from, to } => {
            format!("unit changed from {from:?} to {to:?}: re-measure the baseline")
        }
        Note::NotANumber { kind, cause } => caused(
            format!("{} was not measured (not a number)", kind_words(*kind)),
            cause,
        ),
        Note::NotANumberNow => "judged in the baseline, not a number in this run".to_string(),
        Note::BaselineNotANumber => "the baseline value is not a number".to_string(),
        Note::BelowFloor { floor, cause } => {
            caused(format!("below the floor of {}%", pct_whole(*floor)), cause)
        }
        Note::Dropped { drop, limit } => format!(
            "dropped {:.1} points (limit {:.1})",
            drop * 100.0,
            limit * 100.0
        ),
        Note::AboveCeiling { max } => format!("error rate above {}%", pct_whole(*max)),
        Note::AboveBaseline {
            allowed,
            unit,
            trials,
        } => above_baseline(*allowed, unit, *trials),
        Note::NoBaseline { why, only } => no_baseline(*why, *only),
        Note::Unavailable { why } => format!("not measured: {why}"),
        Note::BuildDiffers(d) => build_difference(d),
        Note::CountedHere { rev, detail } => match detail {
            Some(d) => format!("counted here for {rev} and this build; {}", note_words(d)),
            None => format!("counted here for {rev} and this build"),
        },
        Note::NoBuild {
            side: Side::Baseline,
        } => "the baseline records no build (re-save it)".to_string(),
        Note::NoBuild {
            side: Side::Current,
        } => "this run records no build".to_string(),
        Note::MachineDiffers => "baseline from another machine".to_string(),
        Note::ServiceExited { crash: Some(crash) } => crash.line(),
        Note::ServiceExited { crash: None } => "the service exited during the run".to_string(),
        Note::Paired {
            rev,
            pairs,
            ratio,
            low,
            high,
        } => format!("paired with {rev} ({pairs} pairs), ratio {ratio:.3} [{low:.3}, {high:.3}]"),
        Note::TooFewPairs { rev } => format!("paired with {rev}: fewer than 2 usable pairs"),
        Note::Read(text) => text.clone(),
    }
}

/// Which part of the build differs, and how to make the two match.
fn build_difference(d: &BuildDifference) -> String {
    let fix = match d.part {
        "rustc" => "pin the toolchain (rust-toolchain.toml) to the baseline's, or refresh the baseline",
        "libc" | "valgrind" | "target" => {
            "the runner image differs: refresh the baseline on this image, or judge the counts paired (--against)"
        }
        "tool version" => "refresh the baseline with this version",
        _ => "build as the baseline was (same profile, RUSTFLAGS and features), or refresh the baseline",
    };
    format!(
        "built with another {} ({} here, {} in the baseline): {fix}",
        d.part, d.current, d.baseline
    )
}

/// What a figure of `kind` is called in a note.
fn kind_words(kind: FigureKind) -> &'static str {
    match kind {
        FigureKind::Efficiency => id::EFFICIENCY,
        FigureKind::ErrorRate => "error rate",
        FigureKind::Cpu => "CPU",
        FigureKind::Memory => "memory",
        FigureKind::Latency => "latency",
        FigureKind::Instructions => "instruction count",
        FigureKind::Allocations => "allocation count",
        FigureKind::Alive => "service",
        FigureKind::Info => "figure",
    }
}

/// `median of 5 trials above baseline + 15.0 us`.
fn above_baseline(allowed: f64, unit: &str, trials: usize) -> String {
    let median = if trials > 1 {
        format!("median of {trials} trials ")
    } else {
        String::new()
    };
    format!("{median}above baseline + {} {unit}", allowance(allowed))
        .trim_end()
        .to_string()
}

/// `new figure, no baseline; floor only`.
fn no_baseline(why: NoBaseline, only: Option<OnlyLimit>) -> String {
    let why = match why {
        NoBaseline::Run => "no baseline",
        NoBaseline::NewScenario => "new scenario, no baseline",
        NoBaseline::NewFigure => "new figure, no baseline",
    };
    match only {
        None => why.to_string(),
        Some(OnlyLimit::Floor) => format!("{why}; floor only"),
        Some(OnlyLimit::Ceiling) => format!("{why}; ceiling only"),
    }
}

/// Why a measurement cannot be a baseline, as a line: `steady-1k /
/// efficiency: below the floor of 95%`.
pub fn baseline_problem_text(p: &BaselineProblem) -> String {
    match p {
        BaselineProblem::Fails(row) => problem_text(row),
        BaselineProblem::Noisy(n) => noisy_text(n),
    }
}

/// A figure too noisy for a baseline: `cpu / http: trials spread ±40%
/// around the median, wider than its ±15% tolerance`.
fn noisy_text(n: &Noisy) -> String {
    format!(
        "{} / {}: trials spread ±{}% around the median, wider than its ±{}% tolerance",
        n.scenario,
        n.figure,
        pct_whole(n.spread),
        pct_whole(n.tolerance)
    )
}

/// A row as a problem line: `steady-1k / efficiency: below the floor of 95%`.
fn problem_text(row: &Row) -> String {
    format!("{} / {}: {}", row.scenario, row.figure, note_text(row))
}

/// A commit's SHA shortened to 12 characters.
pub fn short_commit(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// A gate's warning as a line, e.g. `steady-1k / cpu_us_per_request:
/// not-comparable (baseline from another machine)` for a figure not judged.
pub fn warning_text(w: &GateWarning) -> String {
    match w {
        GateWarning::ConfigAtRev {
            rev,
            manifest,
            commit,
            differences,
        } => format!(
            "the configuration at `{rev}` ({manifest}, commit {}) was used: this tree's changes to {} do not apply until they land there",
            short_commit(commit),
            differences.join(", ")
        ),
        GateWarning::Git(line) => line.clone(),
        GateWarning::NoRepository => {
            "not in a git repository: the current commit is unknown".to_string()
        }
        GateWarning::OtherMachine {
            baseline,
            this,
            compared_anyway,
        } => format!(
            "the baseline was measured on another machine ({}, {} cores; this is {}, {} cores): wall-clock CPU, peak memory and latency are not compared (instruction and allocation counts are){}",
            baseline.cpu_model,
            baseline.cores,
            this.cpu_model,
            this.cores,
            if *compared_anyway { " — compared anyway (--strict-machine)" } else { "" }
        ),
        GateWarning::DirtyAgainst { rev } => format!(
            "the working tree has uncommitted changes: they are measured as they are against {rev}"
        ),
        GateWarning::Unjudged {
            scenario,
            figure,
            verdict,
            note,
        } => {
            let verdict = verdict_word(*verdict);
            match note.as_ref().map(note_words) {
                Some(note) if !note.is_empty() => {
                    format!("{scenario} / {figure}: {verdict} ({note})")
                }
                _ => format!("{scenario} / {figure}: {verdict}"),
            }
        }
    }
}

/// One line: `gate passed: 30 ok, 2 improved, 1 missing` or
/// `gate FAILED: 1 regressed, 1 below-floor, 28 ok`.
pub fn summary_text(rows: &[Row]) -> String {
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
/// `ratecheck: FAIL — 2 regressed, 1 below floor`, each followed by the
/// [`not_comparable_clause`] when figures could not be compared. (A run
/// that could not be judged has no verdict line: it ends with an error,
/// exit 2.)
pub fn verdict_line(rows: &[Row], passed: bool) -> String {
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let part = |n: usize, what: &str| (n > 0).then(|| format!("{n} {what}"));
    let unjudged = not_comparable_clause(rows);
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
        return format!("ratecheck: PASS — {}{unjudged}", parts.join(", "));
    }
    let failures: Vec<String> = [
        part(count(Verdict::Regressed), "regressed"),
        part(count(Verdict::BelowFloor), "below floor"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let what = if failures.is_empty() {
        "the gate failed".to_string()
    } else {
        failures.join(", ")
    };
    format!("ratecheck: FAIL — {what}{unjudged}")
}

/// A required kind left unjudged, in one line: `instructions:
/// instructions/instructions_per_request_http (built with another valgrind
/// …)`, or `cpu: no figure of this kind was measured`.
pub fn required_text(r: &RequiredUnjudged) -> String {
    if r.figures.is_empty() {
        return format!("{}: no figure of this kind was measured", r.kind.word());
    }
    let figures: Vec<String> = r
        .figures
        .iter()
        .map(|f| match &f.note {
            Some(note) => format!("{}/{} ({})", f.scenario, f.figure, note_words(note)),
            None => format!("{}/{}", f.scenario, f.figure),
        })
        .collect();
    format!("{}: {}", r.kind.word(), figures.join(", "))
}

/// The verdict line of a run whose required kinds `not_judged` (worded by
/// [`required_text`]) were left unjudged: exit 2.
pub fn not_judged_line(not_judged: &[String]) -> String {
    format!(
        "ratecheck: NOT JUDGED — required but not judged: {}",
        not_judged.join("; ")
    )
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
mod tests {
    use super::*;

    /// A row of `scenario` / `figure` with `verdict` and `note`.
    fn row(scenario: &str, figure: &str, verdict: Verdict, note: Option<Note>) -> Row {
        Row {
            scenario: scenario.into(),
            figure: figure.into(),
            unit: "ms".into(),
            kind: RowKind::Figure(FigureKind::Latency),
            baseline: Some(1.0),
            current: Some(1.1),
            change: Some(0.1),
            limit: Limit::relative(0.15, 3.0),
            verdict,
            note,
            functions: Vec::new(),
        }
    }

    /// One row of every verdict, `steady-10k / p99_ms` not comparable.
    fn rows() -> Vec<Row> {
        let machine = Some(Note::MachineDiffers);
        vec![
            row(id::scenario::SELF_TEST, id::PASSED, Verdict::Ok, None),
            row("steady-1k", id::EFFICIENCY, Verdict::Ok, None),
            row("steady-1k", "cpu", Verdict::Improved, None),
            row("steady-1k", "rss", Verdict::Regressed, None),
            row("steady-1k", "p99", Verdict::Info, None),
            row("nasty", id::EFFICIENCY, Verdict::BelowFloor, None),
            row("steady-10k", "p99_ms", Verdict::NotComparable, machine),
            row("ramp", id::EFFICIENCY, Verdict::Missing, None),
        ]
    }

    #[test]
    fn efficiency_grades() {
        let g = |e| efficiency_grade(e, DEFAULT_EFFICIENCY_FLOOR);
        assert_eq!(g(1.0), Grade::Good);
        assert_eq!(g(0.99), Grade::Good);
        assert_eq!(g(0.989), Grade::Short);
        assert_eq!(g(DEFAULT_EFFICIENCY_FLOOR), Grade::Short);
        assert_eq!(g(0.949), Grade::Bad);
        assert_eq!(g(f64::NAN), Grade::Bad);
        // a stricter floor of the scenario's own
        assert_eq!(efficiency_grade(0.985, 0.99), Grade::Bad);
        assert_eq!(efficiency_grade(0.995, 0.995), Grade::Good);
    }

    #[test]
    fn percentages_have_two_decimals() {
        assert_eq!(pct(0.9995), "99.95%");
        assert_eq!(pct(1.0), "100.00%");
        assert_eq!(pct(f64::NAN), "n/a");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.2), "0.200");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(123.45), "123");
        assert_eq!(sig3(1234.5), "1235");
        assert_eq!(sig3(9.996), "10.0");
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(sig3(-1.5), "-1.50");
        assert_eq!(sig3(0.0), "0");
    }

    #[test]
    fn units() {
        assert_eq!(ms(0.15), "0.150 ms");
        assert_eq!(mb(20_000_000), "20.0 MB");
        assert_eq!(rps(1000.0), "1000");
        assert_eq!(rps(0.5), "0.500");
        assert_eq!(secs(10.0), "10 s");
    }

    #[test]
    fn notes_read_in_words() {
        let words = |n: Note| note_words(&n);
        let floor = |cause: Option<&str>| Note::BelowFloor {
            floor: 0.955,
            cause: cause.map(str::to_string),
        };
        assert_eq!(words(floor(None)), "below the floor of 95.5%");
        assert_eq!(words(floor(Some("x"))), "below the floor of 95.5%: x");
        let dropped = Note::Dropped {
            drop: 0.03,
            limit: 0.02,
        };
        assert_eq!(words(dropped), "dropped 3.0 points (limit 2.0)");
        assert_eq!(
            words(Note::AboveCeiling { max: 0.0 }),
            "error rate above 0%"
        );
        let above = |allowed: f64, unit: &str, trials: usize| Note::AboveBaseline {
            allowed,
            unit: unit.into(),
            trials,
        };
        assert_eq!(
            words(above(15.0, "us", 5)),
            "median of 5 trials above baseline + 15.000 us"
        );
        assert_eq!(words(above(0.0025, "", 1)), "above baseline + 2.50e-3");
        assert_eq!(words(above(1500.0, "B", 1)), "above baseline + 1500 B");
        let new = Note::NoBaseline {
            why: NoBaseline::NewFigure,
            only: Some(OnlyLimit::Ceiling),
        };
        assert_eq!(words(new), "new figure, no baseline; ceiling only");
        let nan = Note::NotANumber {
            kind: FigureKind::Efficiency,
            cause: None,
        };
        assert_eq!(words(nan), "efficiency was not measured (not a number)");
        let kind = Note::KindChanged {
            from: FigureKind::Memory,
            to: FigureKind::Info,
        };
        assert_eq!(
            words(kind),
            "kind changed from Memory to Info: re-measure the baseline"
        );
        let paired = Note::Paired {
            rev: "main".into(),
            pairs: 20,
            ratio: 1.05,
            low: 1.031,
            high: 1.069,
        };
        assert_eq!(
            words(paired),
            "paired with main (20 pairs), ratio 1.050 [1.031, 1.069]"
        );
        let crash = crate::figure::ServiceCrash {
            service: "api".into(),
            status: "exit status: 3".into(),
            stderr: vec!["boom".into()],
            stdout: vec![],
        };
        assert_eq!(
            words(Note::ServiceExited { crash: Some(crash) }),
            "service api exited during the run (exit status: 3): boom"
        );
        assert_eq!(
            words(Note::NoBuild {
                side: Side::Baseline
            }),
            "the baseline records no build (re-save it)"
        );
    }

    #[test]
    fn a_note_names_the_functions_that_moved_most() {
        let mut row = row("cpu", "instructions", Verdict::Improved, None);
        row.functions = vec![FunctionDelta {
            function: "hot".into(),
            baseline: 600.0,
            current: 630.0,
        }];
        assert_eq!(note_text(&row), "most changed: hot +30 (600 → 630)");
        row.note = Some(Note::AboveBaseline {
            allowed: 20.0,
            unit: "instr".into(),
            trials: 1,
        });
        assert_eq!(
            note_text(&row),
            "above baseline + 20.000 instr; most changed: hot +30 (600 → 630)"
        );
    }

    #[test]
    fn the_summary_counts_verdicts_and_warnings_name_unjudged_rows() {
        assert_eq!(
            summary_text(&rows()),
            "gate FAILED: 1 regressed, 1 below-floor, 2 ok, 1 improved, 1 not-comparable, 1 missing, 1 info"
        );
        let warnings: Vec<String> = crate::gate::unjudged(&rows())
            .iter()
            .map(warning_text)
            .collect();
        assert_eq!(
            warnings,
            [
                "steady-10k / p99_ms: not-comparable (baseline from another machine)",
                "ramp / efficiency: missing"
            ]
        );
        assert_eq!(summary_text(&[]), "gate passed: no figures");
        let noisy = Noisy {
            scenario: "cpu".into(),
            figure: "http".into(),
            spread: 0.4,
            tolerance: 0.15,
        };
        assert_eq!(
            baseline_problem_text(&BaselineProblem::Noisy(noisy)),
            "cpu / http: trials spread ±40% around the median, wider than its ±15% tolerance"
        );
        assert_eq!(verdict_word(Verdict::NotComparable), "not-comparable");
    }

    #[test]
    fn limits_read_in_the_units_of_their_values() {
        assert_eq!(limit_text(&Limit::Floor { min: 0.95 }), "≥ 95.00%");
        assert_eq!(limit_text(&Limit::MaxErrorRate { max: 0.0 }), "≤ 0.00%");
        assert_eq!(limit_text(&Limit::relative(0.005, 3.0)), "+0.5%");
        let widened = Limit::Relative {
            allowed: 0.30000000000000004,
            tolerance: 0.15,
            spread_factor: 3.0,
        };
        assert_eq!(limit_text(&widened), "+30% (3× spread)");
        let latency = Limit::Latency {
            tolerance: 0.5,
            slack_ms: 0.2,
        };
        assert_eq!(limit_text(&latency), "max(+50%, +0.200 ms)");
        assert_eq!(limit_text(&Limit::MustPass), "passed");
        assert_eq!(limit_text(&Limit::MustStayUp), "alive");
        assert_eq!(limit_text(&Limit::None), "");
    }

    #[test]
    fn verdict_line_counts_failures_or_passes() {
        let mut rows = rows();
        assert_eq!(
            verdict_line(&rows, false),
            "ratecheck: FAIL — 1 regressed, 1 below floor; not comparable: steady-10k/p99_ms (baseline from another machine)"
        );
        rows.retain(|r| !is_failure(r.verdict));
        assert_eq!(
            verdict_line(&rows, true),
            "ratecheck: PASS — 2 figures ok, 1 improved, 1 not comparable, 1 missing, 1 info; not comparable: steady-10k/p99_ms (baseline from another machine)"
        );
        rows.retain(|r| r.verdict != Verdict::NotComparable);
        assert_eq!(
            verdict_line(&rows, true),
            "ratecheck: PASS — 2 figures ok, 1 improved, 1 missing, 1 info"
        );
        assert!(!verdict_line(&rows, true).contains("NOT JUDGED"));
    }

    /// The same figure of two scenarios, not comparable for the same
    /// reason, is named twice with its scenario, never twice bare.
    #[test]
    fn the_verdict_line_names_each_figure_not_judged_with_its_scenario() {
        let machine = || Some(Note::MachineDiffers);
        let unavailable = Some(Note::Unavailable {
            why: "no valgrind".into(),
        });
        let rows = [
            row(
                "steady-1k",
                id::RESPONSE_P50_MS,
                Verdict::NotComparable,
                machine(),
            ),
            row("steady-1k", id::EFFICIENCY, Verdict::Ok, None),
            row(
                "steady-10k",
                id::RESPONSE_P50_MS,
                Verdict::NotComparable,
                machine(),
            ),
            row("instructions", "http", Verdict::NotComparable, unavailable),
        ];
        assert_eq!(
            verdict_line(&rows, true),
            "ratecheck: PASS — 1 figure ok, 3 not comparable; not comparable: \
             steady-1k/response_p50_ms, steady-10k/response_p50_ms (baseline from another machine); \
             instructions/http (not measured: no valgrind)"
        );
    }
}
