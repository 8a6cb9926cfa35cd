//! The pure comparison: (baseline, current, thresholds) → one verdict row per
//! figure. No IO, no clocks; everything the gate decides is decided here.

use serde::{Deserialize, Serialize};

/// The verdict on one figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    Improved,
    Regressed,
    BelowFloor,
    NotComparable,
    Missing,
}

/// One line of the diff table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// For efficiency and error-rate figures: absolute change in points
    /// (`current - baseline`, 0.01 = 1 point); for all others: relative
    /// change `(current - baseline) / baseline`.
    pub change: Option<f64>,
    /// Human text of the limit applied, e.g. `>= 0.950` or `+15%`.
    pub limit: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub note: String,
}

/// Floors and tolerances. Keys are kebab-case in config and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Thresholds {
    /// Efficiency below this fails, always (0.95).
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
    /// Allowed change as a multiple of the baseline's spread (3.0).
    pub spread_factor: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            efficiency_floor: 0.95,
            max_error_rate: 0.0,
            efficiency_drop: 0.02,
            cpu_tolerance: 0.15,
            memory_tolerance: 0.15,
            latency_tolerance: 0.50,
            spread_factor: 3.0,
        }
    }
}
