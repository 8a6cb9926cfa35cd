//! The gate's floors and tolerances ([`Thresholds`]) and the per-scenario
//! override ([`PartialThresholds`]), with their validation. Keys are
//! kebab-case in the configuration and in JSON.

use serde::{Deserialize, Serialize};

use crate::figure::FigureKind;

/// Floors and tolerances. Keys are kebab-case in config and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Thresholds {
    /// Efficiency below this fails, always (default
    /// [`EFFICIENCY_FLOOR`](ratecheck_engine::analyze::EFFICIENCY_FLOOR), 0.95).
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
    /// Allowed change as a multiple of the baseline's spread (3.0), capped
    /// at twice the figure's tolerance.
    pub spread_factor: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            efficiency_floor: ratecheck_engine::analyze::EFFICIENCY_FLOOR,
            max_error_rate: 0.0,
            efficiency_drop: 0.02,
            cpu_tolerance: 0.15,
            memory_tolerance: 0.15,
            latency_tolerance: 0.50,
            latency_slack_ms: 0.2,
            instructions_tolerance: 0.02,
            spread_factor: 3.0,
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
    pub spread_factor: Option<f64>,
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
            spread_factor: self.spread_factor.or(base.spread_factor),
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
            spread_factor: self.spread_factor.unwrap_or(base.spread_factor),
        }
    }
}

impl Thresholds {
    /// The relative tolerance of a lower-is-better kind; `None` for the
    /// kinds judged otherwise (efficiency, error rate, info).
    pub fn tolerance(&self, kind: FigureKind) -> Option<f64> {
        match kind {
            FigureKind::Cpu => Some(self.cpu_tolerance),
            FigureKind::Memory | FigureKind::Allocations => Some(self.memory_tolerance),
            FigureKind::Latency => Some(self.latency_tolerance),
            FigureKind::Instructions => Some(self.instructions_tolerance),
            FigureKind::Efficiency
            | FigureKind::ErrorRate
            | FigureKind::Alive
            | FigureKind::Info => None,
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
