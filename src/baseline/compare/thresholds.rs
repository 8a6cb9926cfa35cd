//! The gate's floors and tolerances ([`Thresholds`]), the per-scenario
//! override ([`PartialThresholds`]) with their validation, and the one
//! lookup of a scenario's thresholds ([`ThresholdLookup`]) that judges
//! baseline rows and paired rows alike. Keys are kebab-case in the
//! configuration and in JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::figure::FigureKind;

/// The gate's default efficiency floor (0.95): efficiency below it fails.
/// Defined once, here; the reports mark it where a scenario states none.
pub const DEFAULT_EFFICIENCY_FLOOR: f64 = 0.95;

/// Floors and tolerances. Keys are kebab-case in config and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Thresholds {
    /// Efficiency below this fails, always (default
    /// [`DEFAULT_EFFICIENCY_FLOOR`], 0.95).
    pub efficiency_floor: f64,
    /// Error rate above this fails, always (0.0).
    pub max_error_rate: f64,
    /// Efficiency drop vs the baseline, absolute points (0.02 = 2 points).
    pub efficiency_drop: f64,
    /// Relative CPU tolerance (0.15 = +15%).
    pub cpu_tolerance: f64,
    /// Relative memory tolerance (0.15 = +15%).
    pub memory_tolerance: f64,
    /// Relative latency tolerance (0.50 = +50%).
    pub latency_tolerance: f64,
    /// A latency also has to rise by more than this many milliseconds to
    /// regress (0.2): near the timer's floor a run's median moves by tens
    /// of microseconds with the host, which no user feels, while any change
    /// a user would notice is still judged.
    pub latency_slack_ms: f64,
    /// Relative tolerance of instruction counts (0.02 = +2%).
    pub instructions_tolerance: f64,
    /// Relative tolerance of counted allocations per request (0.02): the
    /// counts are exact, so one more allocation on a request path that
    /// makes ten is a regression (below one per hundred requests the
    /// absolute slack `ALLOCATION_SLACK` applies).
    pub allocations_tolerance: f64,
    /// Allowed change as a multiple of the baseline's spread (3.0), capped
    /// at twice the figure's tolerance.
    pub spread_factor: f64,
    /// A CPU figure judged from a paired run (`check --against`) regresses
    /// when its ratio exceeds 1 + this (0.02) and its interval lies wholly
    /// above 1: pairs remove the drift between hours, so this is far below
    /// a committed baseline's `cpu-tolerance`.
    pub paired_cpu_tolerance: f64,
    /// The same for paired peak RSS (0.05): two builds of one commit can
    /// differ by a few percent in peak RSS, consistently, from how their
    /// code and data are laid out; a change must exceed that.
    pub paired_memory_tolerance: f64,
    /// The same for a paired median response time (0.10): one short child
    /// run's median moves by several percent from the next at low rates,
    /// so 20 pairs leave an interval of a few percent; a slower median
    /// past 10% beyond that interval is a change worth failing for.
    /// It must also be slower by more than `latency-slack-ms`.
    pub paired_latency_tolerance: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            efficiency_floor: DEFAULT_EFFICIENCY_FLOOR,
            max_error_rate: 0.0,
            efficiency_drop: 0.02,
            cpu_tolerance: 0.15,
            memory_tolerance: 0.15,
            latency_tolerance: 0.50,
            latency_slack_ms: 0.2,
            instructions_tolerance: 0.02,
            allocations_tolerance: 0.02,
            spread_factor: 3.0,
            paired_cpu_tolerance: 0.02,
            paired_memory_tolerance: 0.05,
            paired_latency_tolerance: 0.10,
        }
    }
}

/// A partial [`Thresholds`] (per-scenario override in the config): every key
/// is optional and falls back to the workspace-level value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PartialThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_floor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_drop: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_slack_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_cpu_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_memory_tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_latency_tolerance: Option<f64>,
}

impl PartialThresholds {
    /// `base` with every key set here replaced (both partial).
    pub fn over(&self, base: &PartialThresholds) -> PartialThresholds {
        PartialThresholds {
            efficiency_floor: self.efficiency_floor.or(base.efficiency_floor),
            max_error_rate: self.max_error_rate.or(base.max_error_rate),
            efficiency_drop: self.efficiency_drop.or(base.efficiency_drop),
            cpu_tolerance: self.cpu_tolerance.or(base.cpu_tolerance),
            memory_tolerance: self.memory_tolerance.or(base.memory_tolerance),
            latency_tolerance: self.latency_tolerance.or(base.latency_tolerance),
            latency_slack_ms: self.latency_slack_ms.or(base.latency_slack_ms),
            instructions_tolerance: self.instructions_tolerance.or(base.instructions_tolerance),
            allocations_tolerance: self.allocations_tolerance.or(base.allocations_tolerance),
            spread_factor: self.spread_factor.or(base.spread_factor),
            paired_cpu_tolerance: self.paired_cpu_tolerance.or(base.paired_cpu_tolerance),
            paired_memory_tolerance: self
                .paired_memory_tolerance
                .or(base.paired_memory_tolerance),
            paired_latency_tolerance: self
                .paired_latency_tolerance
                .or(base.paired_latency_tolerance),
        }
    }

    /// `base` with every key set here replaced.
    pub fn apply(&self, base: &Thresholds) -> Thresholds {
        Thresholds {
            efficiency_floor: self.efficiency_floor.unwrap_or(base.efficiency_floor),
            max_error_rate: self.max_error_rate.unwrap_or(base.max_error_rate),
            efficiency_drop: self.efficiency_drop.unwrap_or(base.efficiency_drop),
            cpu_tolerance: self.cpu_tolerance.unwrap_or(base.cpu_tolerance),
            memory_tolerance: self.memory_tolerance.unwrap_or(base.memory_tolerance),
            latency_tolerance: self.latency_tolerance.unwrap_or(base.latency_tolerance),
            latency_slack_ms: self.latency_slack_ms.unwrap_or(base.latency_slack_ms),
            instructions_tolerance: self
                .instructions_tolerance
                .unwrap_or(base.instructions_tolerance),
            allocations_tolerance: self
                .allocations_tolerance
                .unwrap_or(base.allocations_tolerance),
            spread_factor: self.spread_factor.unwrap_or(base.spread_factor),
            paired_cpu_tolerance: self
                .paired_cpu_tolerance
                .unwrap_or(base.paired_cpu_tolerance),
            paired_memory_tolerance: self
                .paired_memory_tolerance
                .unwrap_or(base.paired_memory_tolerance),
            paired_latency_tolerance: self
                .paired_latency_tolerance
                .unwrap_or(base.paired_latency_tolerance),
        }
    }
}

impl Thresholds {
    /// The relative tolerance of a lower-is-better kind; `None` for the
    /// kinds judged otherwise (efficiency, error rate, info).
    pub fn tolerance(&self, kind: FigureKind) -> Option<f64> {
        match kind {
            FigureKind::Cpu => Some(self.cpu_tolerance),
            FigureKind::Memory => Some(self.memory_tolerance),
            FigureKind::Allocations => Some(self.allocations_tolerance),
            FigureKind::Latency => Some(self.latency_tolerance),
            FigureKind::Instructions => Some(self.instructions_tolerance),
            FigureKind::Efficiency
            | FigureKind::ErrorRate
            | FigureKind::Alive
            | FigureKind::Info => None,
        }
    }

    /// `latency-slack-ms` in a latency figure's own `unit` (`ms`, `us`):
    /// a schedule lag in microseconds gets 200 µs of slack, not 0.2 µs.
    pub fn latency_slack(&self, unit: &str) -> f64 {
        match unit {
            "us" => self.latency_slack_ms * 1000.0,
            "s" => self.latency_slack_ms / 1000.0,
            _ => self.latency_slack_ms,
        }
    }

    /// The relative tolerance of a figure of `kind` judged from a paired
    /// run. The paired runs measure CPU, peak RSS and median response
    /// times; any other kind is held to the CPU tolerance.
    pub fn paired_tolerance(&self, kind: FigureKind) -> f64 {
        match kind {
            FigureKind::Memory => self.paired_memory_tolerance,
            FigureKind::Latency => self.paired_latency_tolerance,
            _ => self.paired_cpu_tolerance,
        }
    }

    /// Checks every value is finite and in range; the error names the
    /// kebab-case key, its value and what is allowed.
    pub fn validate(&self) -> Result<(), ThresholdError> {
        let ratios = [
            ("efficiency-floor", self.efficiency_floor),
            ("max-error-rate", self.max_error_rate),
            ("efficiency-drop", self.efficiency_drop),
        ];
        let tolerances = [
            ("cpu-tolerance", self.cpu_tolerance),
            ("memory-tolerance", self.memory_tolerance),
            ("latency-tolerance", self.latency_tolerance),
            ("latency-slack-ms", self.latency_slack_ms),
            ("instructions-tolerance", self.instructions_tolerance),
            ("spread-factor", self.spread_factor),
            ("paired-cpu-tolerance", self.paired_cpu_tolerance),
            ("paired-memory-tolerance", self.paired_memory_tolerance),
            ("paired-latency-tolerance", self.paired_latency_tolerance),
        ];
        let bad_ratio = |v: f64| !v.is_finite() || !(0.0..=1.0).contains(&v);
        let bad_tolerance = |v: f64| !v.is_finite() || v < 0.0;
        let found = (ratios.iter().find(|(_, v)| bad_ratio(*v)))
            .map(|&(key, value)| (key, value, "must be between 0 and 1"))
            .or_else(|| {
                (tolerances.iter().find(|(_, v)| bad_tolerance(*v)))
                    .map(|&(key, value)| (key, value, "must be a finite number >= 0"))
            });
        match found {
            Some((key, value, rule)) => Err(ThresholdError { key, value, rule }),
            None => Ok(()),
        }
    }
}

/// The thresholds of every scenario: the workspace's, and for a scenario
/// that overrides some, its own (the workspace's with its overrides
/// applied). The one lookup every row is judged with, from a baseline or
/// from a paired run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThresholdLookup {
    workspace: Thresholds,
    overrides: BTreeMap<String, Thresholds>,
}

impl ThresholdLookup {
    /// `overrides`: the complete thresholds of each scenario that overrides
    /// some (`Config::overrides`).
    pub fn new(workspace: Thresholds, overrides: BTreeMap<String, Thresholds>) -> ThresholdLookup {
        ThresholdLookup {
            workspace,
            overrides,
        }
    }

    /// The thresholds `scenario` is judged with.
    pub fn of(&self, scenario: &str) -> &Thresholds {
        self.overrides.get(scenario).unwrap_or(&self.workspace)
    }
}

/// A threshold out of range: `efficiency-floor = 1.5: must be between 0 and 1`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key} = {value}: {rule}")]
pub struct ThresholdError {
    /// The kebab-case key.
    pub key: &'static str,
    pub value: f64,
    /// What is allowed.
    pub rule: &'static str,
}
