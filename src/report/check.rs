//! The result of `cargo ratecheck check` (also of `compare` and `baseline
//! show`): what every check renderer reads and what `--format json` writes.
//! Plain, versioned data under the baseline schema version
//! ([`BASELINE_SCHEMA_VERSION`](crate::baseline::model::BASELINE_SCHEMA_VERSION));
//! same compatibility rule as baselines (fields are added with defaults,
//! unknown fields are ignored).
//!
//! It lives with the reports, not the baselines, so that the baseline model
//! and the comparison do not depend on each other: the comparison produces
//! [`Row`]s, this document carries them. Each row's JSON also carries its
//! limit as text (`limit`, as in the table) next to the structured `bound`.

use serde::{Deserialize, Serialize, Serializer};

use crate::baseline::compare::{Limit, Row, RowKind, Verdict};
use crate::baseline::model::GitInfo;
use crate::figure::profile::FunctionDelta;
use crate::figure::SuiteResult;
use crate::report::format::{limit_text, note_text};

/// The JSON of `cargo ratecheck check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutput {
    pub schema_version: u32,
    /// The gate passed (meaningful only when `judged`).
    pub passed: bool,
    /// `false` when the run could not be judged (exit 2).
    pub judged: bool,
    #[serde(default)]
    pub baseline_path: Option<String>,
    #[serde(default)]
    pub baseline_git: Option<GitInfo>,
    #[serde(default)]
    pub head_git: Option<GitInfo>,
    /// Commits from the baseline's commit to HEAD, when known.
    #[serde(default)]
    pub commits_between: Option<u64>,
    pub current: SuiteResult,
    #[serde(serialize_with = "rows_with_limit_text")]
    pub rows: Vec<Row>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub summary: String,
}

/// A row as written: its fields, its note as text (`note`, as the table
/// shows it), then `limit`, the limit as the table shows it (`≥ 95.00%`).
/// Reading ignores `limit` (the typed `bound` is the data) and reads the
/// note back as text.
#[derive(Serialize)]
struct RowJson<'a> {
    scenario: &'a str,
    figure: &'a str,
    unit: &'a str,
    kind: RowKind,
    baseline: Option<f64>,
    current: Option<f64>,
    change: Option<f64>,
    bound: Limit,
    verdict: Verdict,
    note: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    functions: &'a [FunctionDelta],
    limit: String,
}

impl<'a> RowJson<'a> {
    fn of(row: &'a Row) -> RowJson<'a> {
        RowJson {
            scenario: &row.scenario,
            figure: &row.figure,
            unit: &row.unit,
            kind: row.kind,
            baseline: row.baseline,
            current: row.current,
            change: row.change,
            bound: row.limit,
            verdict: row.verdict,
            note: note_text(row),
            functions: &row.functions,
            limit: limit_text(&row.limit),
        }
    }
}

fn rows_with_limit_text<S: Serializer>(rows: &[Row], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(RowJson::of))
}

impl CheckOutput {
    /// The efficiency floor in force for `scenario` (the scenario's
    /// thresholds): the one its efficiency rows were judged against, `None`
    /// when it has none.
    pub fn efficiency_floor(&self, scenario: &str) -> Option<f64> {
        self.rows
            .iter()
            .filter(|r| r.scenario == scenario)
            .find_map(|r| r.limit.floor())
    }
}
