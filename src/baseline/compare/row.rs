//! What the comparison produces: one typed [`Row`] per figure — its kind, the
//! two values, the change, the [`Limit`] applied and the [`Note`] on its
//! [`Verdict`] (as data, not text). Turning a row into text is the report
//! layer's job (`report/format.rs`, which reads the kind instead of
//! guessing it; `report/check.rs` writes a row's JSON).

use serde::{Deserialize, Serialize};

use super::note::{self, Note};
use crate::figure::profile::{FunctionDelta, LineDelta, ProfileGap};
use crate::figure::FigureKind;

/// The verdict on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A regression declared by a `Ratecheck-Accept` trailer, within its
    /// bound (and, against a committed baseline, with the baseline
    /// refreshed in the same pull request).
    Accepted,
    Ok,
    Improved,
    Regressed,
    BelowFloor,
    NotComparable,
    Missing,
    /// Shown, never judged (an `info` figure). Files written before this
    /// verdict existed say `ok` for those rows, which still reads.
    Info,
}

impl Verdict {
    /// `regressed` and `below-floor` fail the gate; the rest do not.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::BelowFloor)
    }
}

/// What a row is about: the engine's self-test, or a suite figure of some
/// kind. JSON: `"self_test"`, or the figure kind's own word (`"efficiency"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// The self-test row: 1 = passed, 0 = failed.
    SelfTest,
    #[serde(untagged)]
    Figure(FigureKind),
}

impl Default for RowKind {
    /// Rows in files written before the kind was recorded read as info.
    fn default() -> Self {
        RowKind::Figure(FigureKind::Info)
    }
}

/// The limit a row was judged against, in the figure's own terms: ratios
/// (efficiency, error rate) as 0..=1, relative limits as fractions of the
/// baseline (0.15 = +15%). JSON: `{"rule": "floor", "min": 0.95}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Limit {
    /// Nothing to hold: an info figure, or a figure the run lacks.
    #[default]
    None,
    /// The self-test must pass.
    MustPass,
    /// A service under test must stay up.
    MustStayUp,
    /// A ratio at or above `min` (efficiency without a baseline).
    Floor { min: f64 },
    /// Efficiency with a baseline: at or above `min`, and at most
    /// `max_drop` (absolute, 0.02 = 2 points) below the baseline.
    FloorAndDrop { min: f64, max_drop: f64 },
    /// A ratio at or below `max` (the error rate).
    MaxErrorRate { max: f64 },
    /// Lower is better: at most `allowed` above the baseline, relative. It
    /// is the `tolerance`, unless the baseline's spread × `spread_factor`
    /// widened it (to at most twice the tolerance).
    Relative {
        allowed: f64,
        tolerance: f64,
        spread_factor: f64,
    },
    /// A latency: at most `tolerance` (relative) or `slack_ms`
    /// (absolute) above the baseline, whichever allows more.
    Latency { tolerance: f64, slack_ms: f64 },
}

impl Limit {
    /// A relative limit not widened by the spread.
    pub fn relative(tolerance: f64, spread_factor: f64) -> Limit {
        Limit::Relative {
            allowed: tolerance,
            tolerance,
            spread_factor,
        }
    }

    /// The efficiency floor this limit holds, if it holds one.
    pub fn floor(&self) -> Option<f64> {
        match *self {
            Limit::Floor { min } | Limit::FloorAndDrop { min, .. } => Some(min),
            _ => None,
        }
    }
}

/// One line of the diff table. Its JSON is written by the report layer
/// (`report/check.rs`: these fields, the note and the limit as text); it
/// reads back with the note as text ([`Note::Read`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub unit: String,
    /// How the figure is judged and shown.
    #[serde(default)]
    pub kind: RowKind,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// For efficiency and error-rate figures: absolute change in points
    /// (`current - baseline`, 0.01 = 1 point); for all others: relative
    /// change `(current - baseline) / baseline`.
    pub change: Option<f64>,
    /// The limit applied. JSON key `bound`; the check's JSON also carries it
    /// as text under `limit` (written by the report layer).
    #[serde(rename = "bound", default)]
    pub limit: Limit,
    pub verdict: Verdict,
    /// Why the row has its verdict, when there is something to say.
    #[serde(default, deserialize_with = "note::read")]
    pub note: Option<Note>,
    /// For an instruction figure that moved past its limit: the functions
    /// that account for most of the change, per request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionDelta>,
    /// For the same row: the source lines that account for most of the
    /// change, wherever their code was inlined to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineDelta>,
    /// For the same row: what the baseline's profile lacks, so that the
    /// functions or lines cannot be named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_gap: Option<ProfileGap>,
}

impl Row {
    /// The row with `verdict` and `note` set.
    pub(super) fn judged(mut self, verdict: Verdict, note: Note) -> Row {
        self.verdict = verdict;
        self.note = Some(note);
        self
    }

    /// Whether the row was judged (not an `info` row).
    pub fn is_judged(&self) -> bool {
        self.verdict != Verdict::Info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_limits_have_a_stable_json_shape() {
        assert_eq!(j(&RowKind::SelfTest), "\"self_test\"");
        assert_eq!(j(&RowKind::Figure(FigureKind::ErrorRate)), "\"error_rate\"");
        let back: RowKind = serde_json::from_str("\"efficiency\"").unwrap();
        assert_eq!(back, RowKind::Figure(FigureKind::Efficiency));
        let back: RowKind = serde_json::from_str("\"self_test\"").unwrap();
        assert_eq!(back, RowKind::SelfTest);
        assert_eq!(
            j(&Limit::FloorAndDrop {
                min: 0.95,
                max_drop: 0.02
            }),
            r#"{"rule":"floor-and-drop","min":0.95,"max_drop":0.02}"#
        );
        assert_eq!(j(&Limit::None), r#"{"rule":"none"}"#);
        assert_eq!(j(&Verdict::Info), "\"info\"");
    }

    #[test]
    fn rows_of_older_files_still_read() {
        // Written before `kind`, `bound` and the `info` verdict: a text limit
        // and `ok` for an info figure.
        let old = r#"{"scenario":"s","figure":"response_p99_ms","unit":"ms","baseline":1.0,
            "current":5.1,"change":4.1,"limit":"","verdict":"ok","note":""}"#;
        let row: Row = serde_json::from_str(old).unwrap();
        assert_eq!(row.verdict, Verdict::Ok);
        assert_eq!(row.limit, Limit::None);
        assert_eq!(row.kind, RowKind::Figure(FigureKind::Info));
        assert_eq!(row.note, None);
        let noted = old.replace(r#""note":"""#, r#""note":"slow""#);
        let row: Row = serde_json::from_str(&noted).unwrap();
        assert_eq!(row.note, Some(Note::Read("slow".into())));
    }

    fn j<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }
}
