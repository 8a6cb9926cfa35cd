//! Notes, warnings and problems in words: why a row is what it is, what a
//! reader of the verdict should know, and which required kinds went
//! unjudged. Part of [`super`], the one place judging's data becomes text.

use super::*;

/// A row's note as text, with what changed most when the row names it:
/// the functions grouped by crate (a crate whose version changed says so),
/// then the source lines: `above baseline + 30.0 instr; most changed:
/// ratecheck_engine: ratecheck_engine::server::answer +30 (600 → 630);
/// lines: crates/ratecheck-engine/src/server.rs:221 +30 (0 → 30)`. Empty
/// when there is nothing to say.
pub fn note_text(row: &Row) -> String {
    let note = row.note.as_ref().map(note_words).unwrap_or_default();
    let mut parts = vec![note];
    if !row.functions.is_empty() {
        parts.push(format!(
            "most changed: {}",
            functions_by_crate(&row.functions)
        ));
    }
    if !row.lines.is_empty() {
        let lines: Vec<String> = row.lines.iter().map(line_delta).collect();
        parts.push(format!("lines: {}", lines.join(", ")));
    }
    match row.profile_gap {
        Some(ProfileGap::NoProfile) => parts.push(
            "functions and lines: not recorded in the baseline (re-save it to name them)".into(),
        ),
        Some(ProfileGap::NoLines) => {
            parts.push("lines: not recorded in the baseline (re-save it to name them)".into())
        }
        None => {}
    }
    parts.retain(|p| !p.is_empty());
    parts.join("; ")
}

/// `hyper 1.4.1 → 1.5.0 (version changed): f +30 (600 → 630), g -2 (…);
/// ratecheck_engine: h +1 (…)`: the functions in their order, grouped by
/// crate at the crate's first appearance.
fn functions_by_crate(functions: &[FunctionDelta]) -> String {
    let mut groups: Vec<(Option<&str>, Option<&str>, Vec<String>)> = Vec::new();
    for f in functions {
        let krate = crate_of(&f.function);
        let text = function_delta(f);
        match groups.iter_mut().find(|g| g.0 == krate) {
            Some(g) => g.2.push(text),
            None => groups.push((krate, f.version_change.as_deref(), vec![text])),
        }
    }
    let groups: Vec<String> = groups
        .into_iter()
        .map(|(krate, change, fns)| match (krate, change) {
            (Some(k), Some(c)) => format!("{k} {c} (version changed): {}", fns.join(", ")),
            (Some(k), None) => format!("{k}: {}", fns.join(", ")),
            (None, _) => fns.join(", "),
        })
        .collect();
    groups.join("; ")
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

/// `crates/ratecheck-engine/src/server.rs:221 +30 (0 → 30)`.
fn line_delta(l: &LineDelta) -> String {
    format!(
        "{}:{} {:+.0} ({:.0} → {:.0})",
        l.file,
        l.line,
        l.current - l.baseline,
        l.baseline,
        l.current
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
        Note::Accepted { .. } | Note::NotAccepted { .. } | Note::NotReproduced { .. } => {
            pull_words(note)
        }
        Note::Read(text) => text.clone(),
    }
}

/// The notes a pull request's trailers and refreshed baseline give a row.
fn pull_words(note: &Note) -> String {
    match note {
        Note::Accepted { acceptance, detail } => {
            with_detail(format!("accepted: {}", accepted_by(acceptance)), detail)
        }
        Note::NotAccepted { missing, detail } => {
            let words = missing_words(missing);
            match detail.as_deref().map(note_words) {
                Some(d) if !d.is_empty() => format!("{d}; {words}"),
                _ => words,
            }
        }
        Note::NotReproduced {
            recorded,
            change: c,
            kind,
            unit,
            detail,
        } => {
            let shape = figure_shape(*kind, unit);
            let text = format!(
                "the baseline this pull request commits records {}, not reproduced here ({} from it, past its limit): re-save it with `baseline save` at the pull request's head",
                value(shape, unit, Some(*recorded)),
                change(shape, Some(*c))
            );
            // A regression the trailer would accept is not accepted while
            // the baseline is not reproduced: say so, not "accepted".
            match detail.as_deref() {
                Some(Note::Accepted { acceptance, detail }) => with_detail(
                    format!(
                        "{text}; then {TRAILER} {} would accept it",
                        accepted_by(acceptance)
                    ),
                    detail,
                ),
                _ => with_detail(text, detail),
            }
        }
        _ => String::new(),
    }
}

/// `text; <detail's words>`, or `text` alone.
fn with_detail(text: String, detail: &Option<Box<Note>>) -> String {
    match detail.as_deref().map(note_words) {
        Some(d) if !d.is_empty() => format!("{text}; {d}"),
        _ => text,
    }
}

/// `+60% by 1a2b3c4d5e6f — slower answers on purpose`.
fn accepted_by(a: &Acceptance) -> String {
    format!(
        "+{}% by {} — {}",
        pct_short(a.bound),
        short_commit(&a.commit),
        a.reason
    )
}

/// What keeps a regression from being accepted, and what to do, in one
/// line.
fn missing_words(m: &Missing) -> String {
    const SAVE: &str =
        "run `baseline save` on a clean tree at one of the pull request's commits and commit the file";
    match m {
        Missing::Refresh { by } => format!(
            "{TRAILER} {} would accept it, but the pull request commits no refreshed baseline: {SAVE}",
            accepted_by(by)
        ),
        Missing::SavedOutside { saved_at: Some(c) } => format!(
            "the pull request's baseline was saved at {}, not at one of its commits: {SAVE}",
            short_commit(c)
        ),
        Missing::SavedOutside { saved_at: None } => {
            format!("the pull request's baseline names no commit it was saved at: {SAVE}")
        }
        Missing::SavedDirty => format!(
            "the pull request's baseline was saved from a tree with uncommitted changes: {SAVE}"
        ),
        Missing::Trailer => format!(
            "the pull request refreshes the baseline, but no {TRAILER} trailer names this figure: add `{TRAILER}: <scenario/figure> +N% — <reason>` to one of its commit messages"
        ),
        Missing::Bound { by } => format!("beyond {TRAILER} {}", accepted_by(by)),
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
    let fix = d
        .parts
        .first()
        .map(|p| build_fix(p.part, &p.baseline))
        .unwrap_or_default();
    format!("built with another {}: {fix}", parts.join(", "))
}

/// How to restore judgement of counts when the build's `part` differs from
/// the baseline's (`baseline`: its value there): build as the baseline was,
/// or accept the change in the open.
pub fn build_fix(part: &str, baseline: &str) -> String {
    const ACCEPT: &str =
        "or accept the change: a `Ratecheck-Accept:` trailer and a refreshed baseline";
    let restore = match part {
        "rustc" => match toolchain_channel(baseline) {
            Some(channel) => format!(
                "pin the baseline's toolchain in rust-toolchain.toml (channel = \"{channel}\")"
            ),
            None => "pin the baseline's toolchain in rust-toolchain.toml".to_string(),
        },
        "libc" | "valgrind" | "target" => {
            "the runner image differs: measure on the baseline's image, or judge the counts paired (--against)"
                .to_string()
        }
        "tool version" => "install the baseline's version of cargo-ratecheck".to_string(),
        _ => "build as the baseline was (same profile, RUSTFLAGS and features)".to_string(),
    };
    format!("{restore}, {ACCEPT}")
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
        GateWarning::AcceptsNothing { acceptance: a } => format!(
            "{TRAILER}: {} +{}% in commit {} names no figure of this run",
            a.pattern,
            pct_short(a.bound),
            short_commit(&a.commit)
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
