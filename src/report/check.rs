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

use crate::baseline::compare::Row;
use crate::baseline::model::GitInfo;
use crate::figure::SuiteResult;
use crate::report::format::limit_text;

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

/// A row as written: its own fields, then `limit`, the limit as the table
/// shows it (`≥ 95.00%`). Reading ignores `limit` (the typed `bound` is
/// the data).
#[derive(Serialize)]
struct RowJson<'a> {
    #[serde(flatten)]
    row: &'a Row,
    limit: String,
}

fn rows_with_limit_text<S: Serializer>(rows: &[Row], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(|row| RowJson {
        row,
        limit: limit_text(&row.limit),
    }))
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
