//! Notes, warnings and problems in words: why a row is what it is, what a
//! reader of the verdict should know, and which required kinds went
//! unjudged. Part of [`super`], the one place judging's data becomes text.

use super::*;

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
        Note::TargetChanged { from, to } => {
            format!("target changed: baseline measured {from}, this run {to}")
        }
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
    let parts: Vec<String> = d
        .parts
        .iter()
        .map(|p| {
            format!(
                "{} ({} here, {} in the baseline)",
                p.part, p.current, p.baseline
            )
        })
        .collect();
    let fix = match d.parts.first().map(|p| p.part) {
        Some("rustc") => {
            "pin the toolchain (rust-toolchain.toml) to the baseline's, or refresh the baseline"
        }
        Some("libc" | "valgrind" | "target") => {
            "the runner image differs: refresh the baseline on this image, or judge the counts paired (--against)"
        }
        Some("tool version") => "refresh the baseline with this version",
        _ => "build as the baseline was (same profile, RUSTFLAGS and features), or refresh the baseline",
    };
    format!("built with another {}: {fix}", parts.join(", "))
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
