//! The result of `cargo ratecheck check` (also of `compare` and `baseline
//! show`): what every check renderer reads and what `--format json` writes.
//! Plain, versioned data under the baseline schema version
//! ([`BASELINE_SCHEMA_VERSION`](crate::baseline::model::BASELINE_SCHEMA_VERSION));
//! same compatibility rule as baselines (fields are added with defaults,
//! unknown fields are ignored).
//!
//! It lives with the reports, not the baselines, so that the baseline model
//! and the comparison do not depend on each other: the gate produces a
//! [`GateOutcome`], [`CheckOutput::new`] (the one constructor) turns it into
//! this document, wording its warnings and summary. Each row's JSON carries
//! its note as text (`note`) and its limit as text (`limit`, as in the
//! table) next to the structured `bound`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::baseline::compare::{Acceptance, Limit, Note, Row, RowKind, Verdict};
use crate::baseline::model::BASELINE_SCHEMA_VERSION;
use crate::figure::environment::Environment;
use crate::figure::profile::{FunctionDelta, LineDelta, ProfileGap};
use crate::figure::SuiteResult;
use crate::gate::part::PartOfRun;
use crate::gate::{Against, BaseOfRev, GateOutcome};
use crate::git::GitInfo;
use crate::report::format::{limit_text, note_text, required_text, summary_text, warning_text};

/// The JSON of `cargo ratecheck check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutput {
    pub schema_version: u32,
    /// The gate passed (exit 0); `false`: it failed (exit 1).
    pub passed: bool,
    /// JSON `judged`: always `true`.
    #[serde(default)]
    judged: Judged,
    /// Where the baseline came from; `None` without one.
    #[serde(default)]
    pub baseline_path: Option<String>,
    #[serde(default)]
    pub baseline_git: Option<GitInfo>,
    /// The revision a paired run measured this build against (`check
    /// --against REV`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Against>,
    /// With `--baseline-rev REV`: REV (`rev`, `rev_commit`), the merge base
    /// of HEAD and REV the baseline was read at (`merge_base`), and
    /// whether REV's baseline differs from it (`baseline_moved`); absent
    /// without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_rev: Option<BaseOfRev>,
    #[serde(default)]
    pub head_git: Option<GitInfo>,
    /// Commits from the baseline's commit to HEAD, when known.
    #[serde(default)]
    pub commits_between: Option<u64>,
    /// What changed around the code since the baseline (or the paired
    /// revision): machine, build, Cargo.lock. Absent when nothing did.
    #[serde(default, skip_serializing_if = "Environment::is_empty")]
    pub environment: Environment,
    pub current: SuiteResult,
    #[serde(serialize_with = "rows_with_limit_text")]
    pub rows: Vec<Row>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub summary: String,
    /// Where the configuration came from when not this tree
    /// (`REV:Cargo.toml`, with `--baseline-rev` or `--against`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    /// The required kinds left unjudged (`require-judged`), one line each;
    /// non-empty exactly when the run exits 2 for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_judged: Vec<String>,
    /// A part of a split run (`check --shard i/N`): which part, what it
    /// ran, on which machine, of which run; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<PartOfRun>,
    /// The parts a merged result was made of (`check --merge`), in part
    /// order; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<MergedPart>,
}

/// One part of a merged result, as the merged report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedPart {
    /// The part's file, as given to `check --merge`.
    pub file: String,
    #[serde(flatten)]
    pub part: PartOfRun,
    /// The part's own verdict on its runner.
    pub passed: bool,
    pub selftest_passed: bool,
    /// The baseline file the part was judged against.
    pub baseline_path: Option<String>,
}

/// The `judged` key: always `true`, since a check document is made only of
/// a run that was judged (one that could not be ends with an error, exit
/// 2, and writes none). Kept for readers of the check JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Judged;

impl Serialize for Judged {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

impl<'de> Deserialize<'de> for Judged {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Judged, D::Error> {
        bool::deserialize(d).map(|_| Judged)
    }
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
    /// The trailer that accepted the row (`accepted` rows only): pattern,
    /// bound, reason and commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<&'a Acceptance>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    functions: &'a [FunctionDelta],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    lines: &'a [LineDelta],
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_gap: Option<ProfileGap>,
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
            accepted: match (&row.verdict, &row.note) {
                (Verdict::Accepted, Some(Note::Accepted { acceptance, .. })) => Some(acceptance),
                _ => None,
            },
            functions: &row.functions,
            lines: &row.lines,
            profile_gap: row.profile_gap,
            limit: limit_text(&row.limit),
        }
    }
}

fn rows_with_limit_text<S: Serializer>(rows: &[Row], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(RowJson::of))
}

impl CheckOutput {
    /// The check document of a gate's outcome: its verdict, rows and
    /// measurements, its warnings and a summary of the rows in words.
    pub fn new(outcome: GateOutcome) -> CheckOutput {
        let (baseline_path, baseline_git) = match outcome.baseline {
            Some(b) => (Some(b.origin), b.git),
            None => (None, None),
        };
        CheckOutput {
            schema_version: BASELINE_SCHEMA_VERSION,
            passed: outcome.verdict.passed(),
            judged: Judged,
            baseline_path,
            baseline_git,
            against: outcome.against,
            baseline_rev: outcome.base_of_rev,
            head_git: outcome.head,
            commits_between: outcome.commits_between,
            environment: outcome.environment,
            current: outcome.current,
            summary: summary_text(&outcome.rows),
            warnings: outcome.warnings.iter().map(warning_text).collect(),
            configuration: outcome.configuration,
            not_judged: outcome
                .required_unjudged
                .iter()
                .map(required_text)
                .collect(),
            rows: outcome.rows,
            part: outcome.part,
            parts: Vec::new(),
        }
    }

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
