//! Accepting an intended change, in the open (pure). A commit the pull
//! request adds declares the change in a trailer,
//! `Ratecheck-Accept: <scenario/figure pattern> +N% — <reason>`; a
//! regressed row of a figure it names, within its bound, becomes
//! `accepted`. A row judged against the committed baseline also needs
//! the pull request to commit a refreshed baseline, saved from a clean
//! tree at one of its own commits; a paired row needs the trailer only.
//! The other way round, a pull request that changes the committed
//! baseline is held to it: a figure it records that this run does not
//! reproduce fails, with or without a trailer.
//!
//! The data comes from `gate/` (the trailers, what HEAD commits as the
//! baseline, and this run judged against it); the words from `report/`.

use serde::{Deserialize, Serialize};

use super::{Note, Row, RowKind, Verdict, EPS};
use crate::git::AddedCommit;

/// The trailer's key (compared without regard to case, as git does).
pub const TRAILER: &str = "Ratecheck-Accept";

/// One `Ratecheck-Accept` trailer: which figures, how much more, why, and
/// the commit that says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    /// `scenario/figure`, `*` matching any run of characters.
    pub pattern: String,
    /// The most a figure may rise, relative: 0.06 = `+6%`.
    pub bound: f64,
    pub reason: String,
    /// Full SHA of the commit whose message carries the trailer.
    pub commit: String,
}

/// A trailer that does not read as `<pattern> +N% — <reason>`: the commit,
/// the trailer's value and what is wrong, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("commit {}: `{TRAILER}: {value}`: {problem}; write `{TRAILER}: <scenario/figure pattern> +N% — <reason>`", crate::git::short_sha(.commit))]
pub struct AcceptError {
    pub commit: String,
    pub value: String,
    pub problem: String,
}

impl Acceptance {
    /// Reads a trailer's value: a `scenario/figure` pattern, a bound `+N%`
    /// (N > 0), a separator (`—`, `--` or `-`) and a reason that is not
    /// empty.
    pub fn parse(value: &str, commit: &str) -> Result<Acceptance, AcceptError> {
        let fail = |problem: &str| AcceptError {
            commit: commit.to_string(),
            value: value.to_string(),
            problem: problem.to_string(),
        };
        let mut words = value.trim().splitn(3, char::is_whitespace);
        let pattern = words.next().unwrap_or_default();
        if !pattern.contains('/') || glob::Pattern::new(pattern).is_err() {
            return Err(fail(
                "the first word is a figure pattern `scenario/figure` (`*` for any part)",
            ));
        }
        let bound = words
            .next()
            .and_then(|b| b.strip_prefix('+')?.strip_suffix('%')?.parse::<f64>().ok())
            .filter(|b| b.is_finite() && *b > 0.0)
            .ok_or_else(|| fail("the bound is a rise in percent, e.g. `+6%`"))?;
        let rest = words.next().unwrap_or_default().trim_start();
        let reason = ["—", "--", "-"]
            .iter()
            .find_map(|sep| rest.strip_prefix(sep))
            .filter(|r| r.starts_with(char::is_whitespace))
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| fail("a reason follows the bound after `—`"))?;
        Ok(Acceptance {
            pattern: pattern.to_string(),
            bound: bound / 100.0,
            reason: reason.to_string(),
            commit: commit.to_string(),
        })
    }

    /// Whether the pattern names `scenario/figure`.
    pub fn matches(&self, scenario: &str, figure: &str) -> bool {
        glob::Pattern::new(&self.pattern).is_ok_and(|p| p.matches(&format!("{scenario}/{figure}")))
    }
}

/// Every `Ratecheck-Accept` trailer of `commits`, in their order; the
/// first that does not read is the error.
pub fn acceptances(commits: &[AddedCommit]) -> Result<Vec<Acceptance>, AcceptError> {
    commits
        .iter()
        .flat_map(|c| {
            c.trailers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(TRAILER))
                .map(|(_, value)| Acceptance::parse(value, &c.commit))
        })
        .collect()
}

/// What the pull request did to the committed baseline file, compared
/// with the merge base's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// HEAD commits the merge base's baseline, or none.
    Unchanged,
    /// HEAD commits another baseline, saved at `saved_at` (`None`: it
    /// names no commit), from a tree with uncommitted changes when
    /// `dirty`; `in_pull`: `saved_at` is one of the pull request's commits.
    Changed {
        saved_at: Option<String>,
        dirty: bool,
        in_pull: bool,
    },
}

impl Refresh {
    /// What keeps this refresh from backing an acceptance, `None` when it
    /// does.
    fn missing(&self, by: &Acceptance) -> Option<Missing> {
        match self {
            Refresh::Unchanged => Some(Missing::Refresh { by: by.clone() }),
            Refresh::Changed { dirty: true, .. } => Some(Missing::SavedDirty),
            Refresh::Changed {
                saved_at,
                in_pull: false,
                ..
            } => Some(Missing::SavedOutside {
                saved_at: saved_at.clone(),
            }),
            Refresh::Changed { .. } => None,
        }
    }
}

/// Why a regression a pull request may have meant was not accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// `by` accepts it, but the pull request commits no refreshed baseline.
    Refresh { by: Acceptance },
    /// The refreshed baseline was saved at `saved_at`, not at one of the
    /// pull request's commits.
    SavedOutside { saved_at: Option<String> },
    /// The refreshed baseline was saved from a tree with uncommitted
    /// changes.
    SavedDirty,
    /// The pull request refreshes the baseline, but no trailer names the
    /// figure.
    Trailer,
    /// Beyond the bound of `by`, the widest trailer naming the figure.
    Bound { by: Acceptance },
}

/// What a pull request brings to the judging.
#[derive(Debug, Clone, Copy)]
pub struct Pull<'a> {
    /// The trailers of the commits it adds.
    pub acceptances: &'a [Acceptance],
    /// What it did to the committed baseline the rows were judged
    /// against; `None` when they were judged against no committed one
    /// (no `--baseline-rev`): then only paired rows can be accepted.
    pub refresh: Option<&'a Refresh>,
    /// This run judged against the baseline HEAD commits, when the pull
    /// request changed it.
    pub reproduce: &'a [Row],
}

/// `rows` with the pull request's acceptances and refreshed baseline
/// applied: accepted rows first, then the others in their order.
pub fn apply(rows: Vec<Row>, pull: &Pull<'_>) -> Vec<Row> {
    let rows: Vec<Row> = rows.into_iter().map(|r| judge_row(r, pull)).collect();
    let (mut accepted, others): (Vec<Row>, Vec<Row>) = rows
        .into_iter()
        .partition(|r| r.verdict == Verdict::Accepted);
    accepted.extend(others);
    accepted
}

/// The acceptances that name no row of `rows`.
pub fn unmatched<'a>(acceptances: &'a [Acceptance], rows: &[Row]) -> Vec<&'a Acceptance> {
    acceptances
        .iter()
        .filter(|a| !rows.iter().any(|r| a.matches(&r.scenario, &r.figure)))
        .collect()
}

/// One row: accepted, or regressed with what is missing, then held to the
/// pull request's own baseline.
fn judge_row(row: Row, pull: &Pull<'_>) -> Row {
    let paired = is_paired(&row);
    let row = if acceptable(&row) {
        accept_row(row, paired, pull)
    } else {
        row
    };
    match pull.refresh {
        Some(Refresh::Changed { .. }) if !paired => reproduced(row, pull.reproduce),
        _ => row,
    }
}

/// A regression the trailers (and the refresh) may accept.
fn accept_row(row: Row, paired: bool, pull: &Pull<'_>) -> Row {
    let change = row.change.unwrap_or(f64::INFINITY);
    let widest = pull
        .acceptances
        .iter()
        .filter(|a| a.matches(&row.scenario, &row.figure))
        .max_by(|a, b| a.bound.total_cmp(&b.bound));
    let refresh = if paired { None } else { pull.refresh };
    let missing = match (widest, refresh) {
        // A refreshed baseline says the change was meant: say what is missing.
        (None, Some(Refresh::Changed { .. })) => Some(Missing::Trailer),
        (None, _) => return row,
        (Some(a), _) if change > a.bound + EPS => Some(Missing::Bound { by: a.clone() }),
        // Judged against a baseline that is not committed on the target
        // (no `--baseline-rev`): nothing there to refresh, nothing accepted.
        (Some(_), None) if !paired => return row,
        (Some(_), None) => None,
        (Some(a), Some(r)) => r.missing(a),
    };
    let detail = row.note.clone().map(Box::new);
    match (missing, widest) {
        (Some(missing), _) => with_note(
            row,
            Verdict::Regressed,
            Note::NotAccepted { missing, detail },
        ),
        (None, Some(a)) => with_note(
            row,
            Verdict::Accepted,
            Note::Accepted {
                acceptance: a.clone(),
                detail,
            },
        ),
        (None, None) => row,
    }
}

/// `row` held to the pull request's baseline: a figure this run does not
/// reproduce there (regressed or improved past its limit) fails.
fn reproduced(row: Row, reproduce: &[Row]) -> Row {
    let Some(there) = reproduce
        .iter()
        .find(|r| r.scenario == row.scenario && r.figure == row.figure)
    else {
        return row;
    };
    let moved = matches!(there.verdict, Verdict::Regressed | Verdict::Improved);
    let (Some(recorded), Some(change), true) = (there.baseline, there.change, moved) else {
        return row;
    };
    if there.current.is_none() {
        return row;
    }
    let detail = row.note.clone().map(Box::new);
    let RowKind::Figure(kind) = row.kind else {
        return row;
    };
    let note = Note::NotReproduced {
        recorded,
        change,
        kind,
        unit: row.unit.clone(),
        detail,
    };
    with_note(row, Verdict::Regressed, note)
}

fn with_note(mut row: Row, verdict: Verdict, note: Note) -> Row {
    row.verdict = verdict;
    row.note = Some(note);
    row
}

/// A row judged from a paired run (`--against`), not a baseline.
fn is_paired(row: &Row) -> bool {
    matches!(
        row.note,
        Some(Note::Paired { .. } | Note::TooFewPairs { .. } | Note::CountedHere { .. })
    )
}

/// A regression by a relative amount, the kind a trailer can accept:
/// above its baseline or its pair, not a floor, a missing figure or a
/// changed kind.
fn acceptable(row: &Row) -> bool {
    let above = match &row.note {
        Some(Note::AboveBaseline { .. } | Note::Paired { .. }) => true,
        Some(Note::CountedHere {
            detail: Some(d), ..
        }) => {
            matches!(**d, Note::AboveBaseline { .. })
        }
        _ => false,
    };
    above && row.verdict == Verdict::Regressed && row.change.is_some_and(f64::is_finite)
}

#[cfg(test)]
mod tests;
