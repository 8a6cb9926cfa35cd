//! The figures every layer shares: what the suite measures, what a baseline
//! stores, what comparison judges and what reports show. Nothing here knows
//! how a figure is measured, judged or written as text.
//!
//! [`id`] names every figure (no figure name is a string literal anywhere
//! else); [`profile`] compares instruction profiles (functions and source
//! lines); [`environment`] lists what changed around the code (machine,
//! build, Cargo.lock).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use ratecheck_engine::metrics::snapshot::RunReport;

pub mod environment;
pub mod id;
pub mod profile;
mod provenance;

pub use provenance::{
    rustc_version, toolchain_channel, BuildDifference, BuildInfo, BuildPart, MachineInfo,
};

/// The figures of one suite run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuiteResult {
    /// Only the `--quick` scenarios were run.
    #[serde(default)]
    pub quick: bool,
    pub selftest_passed: bool,
    pub scenarios: Vec<ScenarioResult>,
    /// Names of the scenarios this run set out to measure (after `--quick`
    /// and `--scenario`): a baseline scenario among them that the run lacks
    /// is a regression, one outside them is simply not judged. Empty in
    /// files written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<String>,
    /// What built and ran the measurement, for the figures that compare
    /// across machines (instruction and allocation counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildInfo>,
}

/// What a scenario measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioKind {
    Load,
    Cpu,
    Memory,
    SelfTest,
    Instructions,
}

/// The figures of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub kind: ScenarioKind,
    /// Figure name (e.g. `efficiency`, `cpu_us_per_request`) → figure.
    pub figures: BTreeMap<String, Figure>,
    /// The full engine report of one (the median) trial, when there is one.
    #[serde(default)]
    pub report: Option<RunReport>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The service under test exited during this scenario: how, and its
    /// last lines of output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_crash: Option<ServiceCrash>,
    /// What the scenario loaded (load scenarios); absent in files written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetId>,
}

/// Which service a load scenario loaded and how: figures measured against
/// one are not compared with figures measured against another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetId {
    /// `embedded`, `null`, `service:NAME`, or a URL's scheme, host and
    /// port (`https://staging.example.com:443`).
    pub host: String,
    /// `HTTP/1.1` or `HTTP/2`; empty for the null target.
    pub protocol: String,
}

impl std::fmt::Display for TargetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.protocol.as_str() {
            "" => f.write_str(&self.host),
            p => write!(f, "{} over {p}", self.host),
        }
    }
}

impl ScenarioResult {
    /// A scenario's `figures`, with no report, warning or crash.
    pub fn new(
        name: &str,
        kind: ScenarioKind,
        figures: BTreeMap<String, Figure>,
    ) -> ScenarioResult {
        ScenarioResult {
            name: name.to_string(),
            kind,
            figures,
            report: None,
            warnings: Vec::new(),
            service_crash: None,
            target: None,
        }
    }
}

/// A service that exited while a scenario measured it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCrash {
    /// The configured service's name.
    pub service: String,
    /// How it ended (`exit status: 1`, `signal: 9 (SIGKILL)`), when known.
    #[serde(default)]
    pub status: String,
    /// Its last lines of standard error (at most 20), oldest first.
    #[serde(default)]
    pub stderr: Vec<String>,
    /// Its last lines of standard output (at most 20), oldest first.
    #[serde(default)]
    pub stdout: Vec<String>,
}

impl ServiceCrash {
    /// One line: `service api exited during the run (exit status: 1): <its
    /// last line of standard error>`.
    pub fn line(&self) -> String {
        let last = self
            .stderr
            .last()
            .or(self.stdout.last())
            .map_or("it printed nothing", String::as_str);
        let status = if self.status.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.status)
        };
        format!(
            "service {} exited during the run{status}: {last}",
            self.service
        )
    }
}

/// How a figure is judged (see `compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureKind {
    /// A ratio in 0..=1, higher is better; absolute floor plus a drop limit.
    Efficiency,
    /// A ratio in 0..=1, lower is better; absolute ceiling only.
    ErrorRate,
    /// CPU cost, lower is better; relative tolerance.
    Cpu,
    /// Memory, lower is better; relative tolerance.
    Memory,
    /// Latency, lower is better; relative tolerance.
    Latency,
    /// Instructions per request under a CPU simulator, lower is better;
    /// relative tolerance; comparable across CPU models (same build).
    Instructions,
    /// Allocations per request, lower is better; relative tolerance
    /// (the memory one); comparable across CPU models (same build).
    Allocations,
    /// A service under test stayed up through its scenario: 1 yes, 0 it
    /// exited. Must be 1, always (on any machine, with or without a
    /// baseline).
    Alive,
    /// Shown, never judged.
    Info,
}

/// A kind of figure a run can be required to judge (`require-judged`,
/// `--require-judged`): by a baseline or by a pair, in this run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum JudgedKind {
    /// Instructions per request (deterministic counts).
    Instructions,
    /// Allocations per request (deterministic counts).
    Allocations,
    /// CPU per request.
    Cpu,
    /// Peak memory.
    Memory,
    /// Median response time.
    Latency,
}

impl JudgedKind {
    /// Every kind, in order.
    pub const ALL: [JudgedKind; 5] = [
        JudgedKind::Instructions,
        JudgedKind::Allocations,
        JudgedKind::Cpu,
        JudgedKind::Memory,
        JudgedKind::Latency,
    ];

    /// The figure kind it names.
    pub fn figure_kind(self) -> FigureKind {
        match self {
            JudgedKind::Instructions => FigureKind::Instructions,
            JudgedKind::Allocations => FigureKind::Allocations,
            JudgedKind::Cpu => FigureKind::Cpu,
            JudgedKind::Memory => FigureKind::Memory,
            JudgedKind::Latency => FigureKind::Latency,
        }
    }

    /// Its word in configuration and on the command line.
    pub fn word(self) -> &'static str {
        match self {
            JudgedKind::Instructions => "instructions",
            JudgedKind::Allocations => "allocations",
            JudgedKind::Cpu => "cpu",
            JudgedKind::Memory => "memory",
            JudgedKind::Latency => "latency",
        }
    }
}

/// One measured figure: the median of its trials and their spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Median of `trials` (or the single measurement). Not-a-number is
    /// written as `null` (JSON has no NaN) and read back as NaN.
    #[serde(deserialize_with = "nan_from_null")]
    pub value: f64,
    pub kind: FigureKind,
    #[serde(default)]
    pub unit: String,
    #[serde(default, deserialize_with = "nans_from_nulls")]
    pub trials: Vec<f64>,
    /// `(max - min) / 2` of `trials`, same unit as `value`; 0 for one trial.
    #[serde(default, deserialize_with = "nan_from_null")]
    pub spread: f64,
    /// Why this machine could not measure the figure at all (e.g. no CPU
    /// simulator): the figure is then not comparable rather than failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// For instruction figures: the functions that cost the most per
    /// request (self cost, largest first), so a regression can name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<FunctionCost>,
    /// For instruction figures: the source lines that cost the most per
    /// request (self cost, wherever the line was inlined to, largest
    /// first). Empty in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineCost>,
}

/// One function's self cost per request in an instruction profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCost {
    /// Demangled name, without the symbol hash.
    pub function: String,
    /// Instructions per request executed in the function itself.
    pub per_request: f64,
}

/// One source line's self cost per request in an instruction profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineCost {
    /// Relative to the workspace (`crates/ratecheck-engine/src/server.rs`),
    /// or a registry crate's `name-version/…`.
    pub file: String,
    pub line: u32,
    /// Instructions per request executed at the line.
    pub per_request: f64,
}

/// Reads a number, or `null` (how serde_json writes NaN) as NaN.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// [`nan_from_null`] for every element of a list.
fn nans_from_nulls<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

/// The median of ascending, non-empty `sorted` (the mean of the two middle
/// values for an even count).
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0
}

impl Figure {
    /// A figure from repeated trials: `value` is the median (mean of the two
    /// middle trials for an even count), `spread` is `(max - min) / 2`.
    /// Non-finite trials are dropped; no finite trial gives `value = NaN`.
    pub fn from_trials(kind: FigureKind, unit: impl Into<String>, trials: Vec<f64>) -> Figure {
        let mut sorted: Vec<f64> = trials.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let (value, spread) = match sorted.len() {
            0 => (f64::NAN, 0.0),
            n => (median_of_sorted(&sorted), (sorted[n - 1] - sorted[0]) / 2.0),
        };
        Figure {
            value,
            kind,
            unit: unit.into(),
            trials,
            spread,
            unavailable: None,
            profile: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// A single-measurement figure (no trials kept, spread 0).
    pub fn single(kind: FigureKind, unit: impl Into<String>, value: f64) -> Figure {
        Figure {
            value,
            kind,
            unit: unit.into(),
            trials: Vec::new(),
            spread: 0.0,
            unavailable: None,
            profile: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// A figure this machine cannot measure, saying why.
    pub fn unavailable(
        kind: FigureKind,
        unit: impl Into<String>,
        why: impl Into<String>,
    ) -> Figure {
        Figure {
            unavailable: Some(why.into()),
            ..Figure::single(kind, unit, f64::NAN)
        }
    }

    /// Judged against a baseline or a floor (everything but `info`).
    pub fn is_judged(&self) -> bool {
        self.kind != FigureKind::Info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread_odd() {
        let f = Figure::from_trials(FigureKind::Cpu, "us", vec![3.0, 1.0, 2.0]);
        assert_eq!(f.value, 2.0);
        assert_eq!(f.spread, 1.0);
        assert_eq!(f.trials, vec![3.0, 1.0, 2.0]);
        assert_eq!(f.unit, "us");
    }

    #[test]
    fn median_and_spread_even() {
        let f = Figure::from_trials(FigureKind::Memory, "B", vec![10.0, 40.0, 20.0, 30.0]);
        assert_eq!(f.value, 25.0);
        assert_eq!(f.spread, 15.0);
    }

    #[test]
    fn single_trial_has_no_spread() {
        let f = Figure::from_trials(FigureKind::Cpu, "us", vec![7.5]);
        assert_eq!(f.value, 7.5);
        assert_eq!(f.spread, 0.0);
    }

    #[test]
    fn non_finite_trials_are_ignored() {
        let f = Figure::from_trials(FigureKind::Cpu, "us", vec![f64::NAN, 4.0, f64::INFINITY]);
        assert_eq!(f.value, 4.0);
        let empty = Figure::from_trials(FigureKind::Cpu, "us", vec![]);
        assert!(empty.value.is_nan());
    }

    #[test]
    fn kinds_serialize_as_documented() {
        assert_eq!(
            serde_json::to_string(&ScenarioKind::SelfTest).unwrap(),
            "\"selftest\""
        );
        assert_eq!(
            serde_json::to_string(&FigureKind::ErrorRate).unwrap(),
            "\"error_rate\""
        );
    }

    #[test]
    fn a_crash_is_one_line_and_optional_in_files() {
        let mut c = ServiceCrash {
            service: "api".into(),
            status: "exit status: 3".into(),
            stderr: vec!["starting".into(), "panicked at 'boom'".into()],
            stdout: vec!["served 10".into()],
        };
        assert_eq!(
            c.line(),
            "service api exited during the run (exit status: 3): panicked at 'boom'"
        );
        c.stderr.clear();
        c.status.clear();
        assert_eq!(c.line(), "service api exited during the run: served 10");
        c.stdout.clear();
        assert!(c.line().ends_with(": it printed nothing"));
        let json = r#"{"name":"s","kind":"load","figures":{}}"#;
        let s: ScenarioResult = serde_json::from_str(json).unwrap();
        assert_eq!(s.service_crash, None);
        assert!(!serde_json::to_string(&s).unwrap().contains("service_crash"));
        assert_eq!(
            serde_json::to_string(&FigureKind::Alive).unwrap(),
            "\"alive\""
        );
    }

    #[test]
    fn nan_round_trips_through_null() {
        let f = Figure::from_trials(FigureKind::Cpu, "us", vec![f64::NAN]);
        let json = serde_json::to_string(&f).unwrap();
        assert!(json.contains("\"value\":null"), "{json}");
        let back: Figure = serde_json::from_str(&json).unwrap();
        assert!(back.value.is_nan());
        assert!(back.trials[0].is_nan());
    }
}
