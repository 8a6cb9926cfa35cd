//! `history`, the pure part: the committed versions of a baseline file
//! (read from git by `git::file_versions`) become one series per
//! (scenario, figure) over those commits, each point saying whether its
//! baseline was saved from a dirty tree or on another machine than the
//! newest one. A version that does not parse is listed as skipped with the
//! reason; it does not stop the others.

use serde::Serialize;

use crate::baseline::model::{Baseline, BASELINE_SCHEMA_VERSION};
use crate::baseline::store;
use crate::figure::id;
use crate::figure::FigureKind;
/// A commit that wrote a version of the baseline file: git's own type.
use crate::git::CommitInfo;

/// A version that parsed: one position on the x axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    #[serde(flatten)]
    pub commit: CommitInfo,
    /// The commit the baseline says it was measured at (`git.commit`).
    pub measured_at: Option<String>,
    /// The baseline was saved from a tree with uncommitted changes.
    pub dirty: bool,
    /// Measured on another machine (CPU model or cores) than the newest
    /// version: its wall-clock figures do not compare with the newest.
    pub other_machine: bool,
    /// `cpu model (N cores)`.
    pub machine: String,
}

/// A version that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    #[serde(flatten)]
    pub commit: CommitInfo,
    pub reason: String,
}

/// One figure's value in one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Index into [`History::versions`].
    pub version: usize,
    /// That version's commit (full SHA), for readers of the JSON.
    pub commit: String,
    pub value: f64,
}

/// One figure over the versions that have it (finite values only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub scenario: String,
    pub figure: String,
    /// The kind in the newest version that has the figure.
    pub kind: FigureKind,
    pub unit: String,
    pub points: Vec<Point>,
}

impl Series {
    /// `scenario/figure`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.scenario, self.figure)
    }

    /// Oldest to newest point: absolute points for ratios (efficiency,
    /// error rate), relative otherwise, as the comparison reports it;
    /// `None` with fewer than two points or from zero.
    pub fn change(&self) -> Option<f64> {
        let (first, last) = (self.points.first()?, self.points.last()?);
        if self.points.len() < 2 {
            return None;
        }
        let (a, b) = (first.value, last.value);
        match self.kind {
            FigureKind::Efficiency | FigureKind::ErrorRate => Some(b - a),
            _ => (a != 0.0).then(|| (b - a) / a.abs()),
        }
    }
}

/// Every figure's history in one baseline file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub schema_version: u32,
    /// The baseline file, relative to the repository root.
    pub path: String,
    /// The versions that parsed, oldest first.
    pub versions: Vec<Version>,
    pub skipped: Vec<Skipped>,
    pub series: Vec<Series>,
}

/// Why a history cannot be shown (each one line, naming the culprit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("{path} was never committed on the first-parent history of HEAD; commit a baseline (`cargo ratecheck baseline save`, then `git commit`) or pass --baseline NAME")]
    NeverCommitted { path: String },
    #[error("none of the {count} committed versions of {path} parses; the newest: {reason}")]
    NoneParses {
        path: String,
        count: usize,
        reason: String,
    },
    #[error("--figure {filter}: no figure of {path} is named so in any committed version; give a figure name (e.g. {example}) or scenario/figure")]
    NoMatch {
        filter: String,
        path: String,
        example: String,
    },
}

/// Builds the history of `path` from its committed versions (`(commit,
/// bytes)`, oldest first). `filters` (`--figure`) keep the figures whose
/// name or `scenario/figure` equals one of them; without filters every
/// judged figure (kind other than info) is kept. Series are in the order
/// of the newest version that has them: its scenarios, then their figures.
pub fn build(
    path: &str,
    versions: Vec<(CommitInfo, Vec<u8>)>,
    filters: &[String],
) -> Result<History, HistoryError> {
    if versions.is_empty() {
        return Err(HistoryError::NeverCommitted {
            path: path.to_string(),
        });
    }
    let count = versions.len();
    let (parsed, skipped) = parse_versions(path, versions);
    let Some(newest) = parsed.last().map(|(_, b)| b.machine.clone()) else {
        return Err(HistoryError::NoneParses {
            path: path.to_string(),
            count,
            reason: skipped.last().map(|s| s.reason.clone()).unwrap_or_default(),
        });
    };
    let keys = figure_keys(&parsed, filters);
    check_filters(path, &parsed, &keys, filters)?;
    let series = keys
        .into_iter()
        .map(|(scenario, figure)| series_of(&parsed, scenario, figure))
        .collect();
    let versions = parsed
        .into_iter()
        .map(|(commit, b)| Version {
            commit,
            measured_at: b.git.commit.clone(),
            dirty: b.git.dirty,
            other_machine: !b.machine.same_machine(&newest),
            machine: format!("{} ({} cores)", b.machine.cpu_model, b.machine.cores),
        })
        .collect();
    Ok(History {
        schema_version: BASELINE_SCHEMA_VERSION,
        path: path.to_string(),
        versions,
        skipped,
        series,
    })
}

/// The versions that parse, in order, and the ones that do not, named.
fn parse_versions(
    path: &str,
    versions: Vec<(CommitInfo, Vec<u8>)>,
) -> (Vec<(CommitInfo, Baseline)>, Vec<Skipped>) {
    let mut parsed = Vec::new();
    let mut skipped = Vec::new();
    for (commit, bytes) in versions {
        let origin = format!("{}:{path}", crate::git::short_sha(&commit.commit));
        match store::parse(&bytes, &origin) {
            Ok(b) => parsed.push((commit, b)),
            Err(e) => skipped.push(Skipped {
                commit,
                reason: e.to_string(),
            }),
        }
    }
    (parsed, skipped)
}

/// The (scenario, figure) pairs charted, in the newest-first order of
/// appearance: those `filters` name, or without filters the judged ones.
fn figure_keys(parsed: &[(CommitInfo, Baseline)], filters: &[String]) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for (_, b) in parsed.iter().rev() {
        for s in &b.suite.scenarios {
            for (name, f) in &s.figures {
                let wanted = if filters.is_empty() {
                    f.is_judged()
                } else {
                    filters.iter().any(|want| matches(want, &s.name, name))
                };
                let key = (s.name.clone(), name.clone());
                if wanted && !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// An error naming the first filter that matches no figure, with an
/// example of a name that does.
fn check_filters(
    path: &str,
    parsed: &[(CommitInfo, Baseline)],
    keys: &[(String, String)],
    filters: &[String],
) -> Result<(), HistoryError> {
    let Some(want) = filters
        .iter()
        .find(|want| !keys.iter().any(|(s, f)| matches(want, s, f)))
    else {
        return Ok(());
    };
    let example = keys
        .first()
        .map(|(_, f)| f.clone())
        .or_else(|| {
            parsed.last().and_then(|(_, b)| {
                b.suite
                    .scenarios
                    .iter()
                    .find_map(|s| s.figures.keys().next().cloned())
            })
        })
        .unwrap_or_else(|| id::EFFICIENCY.to_string());
    Err(HistoryError::NoMatch {
        filter: want.clone(),
        path: path.to_string(),
        example,
    })
}

/// One figure over the versions that have it (finite values only); its
/// kind and unit are the newest version's.
fn series_of(parsed: &[(CommitInfo, Baseline)], scenario: String, figure: String) -> Series {
    let mut kind_unit = None;
    let mut points = Vec::new();
    for (i, (c, b)) in parsed.iter().enumerate() {
        let Some(f) = b
            .suite
            .scenarios
            .iter()
            .find(|s| s.name == scenario)
            .and_then(|s| s.figures.get(&figure))
        else {
            continue;
        };
        kind_unit = Some((f.kind, f.unit.clone()));
        if f.value.is_finite() && f.unavailable.is_none() {
            points.push(Point {
                version: i,
                commit: c.commit.clone(),
                value: f.value,
            });
        }
    }
    let (kind, unit) = kind_unit.unwrap_or((FigureKind::Info, String::new()));
    Series {
        scenario,
        figure,
        kind,
        unit,
        points,
    }
}

/// `want` names the figure (`figure`) or the scenario's figure
/// (`scenario/figure`).
fn matches(want: &str, scenario: &str, figure: &str) -> bool {
    want == figure
        || want
            .split_once('/')
            .is_some_and(|(s, f)| s == scenario && f == figure)
}

#[cfg(test)]
mod tests;
