//! The statistics of a paired run (`check --against REV`): the base build
//! and the current build measured alternately, A B A B …, so both see the
//! same machine in the same minutes and each pair's ratio cancels the
//! drift a committed baseline from another hour cannot. Pure: trials in,
//! ratio, confidence interval and verdict out.
//!
//! The ratio is the geometric mean of the per-pair ratios `current_i /
//! base_i`; its 95% confidence interval is the t interval on the log ratios
//! `d_i = ln(current_i / base_i)`, exponentiated:
//! `exp(mean(d) ± t(0.975, n-1) · sd(d) / √n)` (Student's t interval for a
//! paired mean, e.g. NIST/SEMATECH e-Handbook of Statistical Methods,
//! §7.2.2 and §7.3.1, on the log scale because times are compared as
//! ratios).

use crate::baseline::model::Figure;
use crate::baseline::model::FigureKind;

/// The verdict of one paired figure (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairedVerdict {
    Ok,
    Improved,
    Regressed,
}

/// One figure judged from paired trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// Pairs used (both sides finite and positive).
    pub pairs: usize,
    /// Geometric mean of `current_i / base_i`.
    pub ratio: f64,
    /// 95% confidence interval of the ratio.
    pub low: f64,
    pub high: f64,
    pub verdict: PairedVerdict,
}

/// Two-sided 97.5% quantiles of Student's t for 1..=30 degrees of freedom;
/// beyond, the normal quantile 1.96 is within 2%.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        d if d <= T975.len() => T975[d - 1],
        _ => 1.96,
    }
}

/// Judges `current` against `base`, pair by pair (`base[i]` and
/// `current[i]` measured back to back). Regressed when the whole interval
/// lies above 1 and the ratio exceeds `1 + tolerance`: a change the pairs
/// show beyond doubt and big enough to matter; improved symmetrically.
/// `None` with fewer than two usable pairs.
pub fn judge(base: &[f64], current: &[f64], tolerance: f64) -> Option<Paired> {
    let logs: Vec<f64> = base
        .iter()
        .zip(current)
        .filter(|(b, c)| b.is_finite() && c.is_finite() && **b > 0.0 && **c > 0.0)
        .map(|(b, c)| (c / b).ln())
        .collect();
    let n = logs.len();
    if n < 2 {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let var = logs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n - 1) * var.sqrt() / (n as f64).sqrt();
    let (ratio, low, high) = (mean.exp(), (mean - half).exp(), (mean + half).exp());
    let verdict = if low > 1.0 && ratio > 1.0 + tolerance {
        PairedVerdict::Regressed
    } else if high < 1.0 && ratio < 1.0 / (1.0 + tolerance) {
        PairedVerdict::Improved
    } else {
        PairedVerdict::Ok
    };
    Some(Paired {
        pairs: n,
        ratio,
        low,
        high,
        verdict,
    })
}

/// The trials of one figure from a paired run: the base build's and the
/// current build's, in the order measured.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedTrials {
    pub scenario: String,
    pub figure: String,
    pub kind: FigureKind,
    pub unit: String,
    pub base: Vec<f64>,
    pub current: Vec<f64>,
}

impl PairedTrials {
    /// The base side as a figure (median and spread), for the table.
    pub fn base_figure(&self) -> Figure {
        Figure::from_trials(self.kind, self.unit.clone(), self.base.clone())
    }

    /// The current side as a figure.
    pub fn current_figure(&self) -> Figure {
        Figure::from_trials(self.kind, self.unit.clone(), self.current.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_builds_are_ok_with_a_tight_interval() {
        let base = [10.0, 10.4, 9.8, 10.1, 10.2];
        let cur = [10.05, 10.38, 9.83, 10.08, 10.21];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert_eq!(p.pairs, 5);
        assert!((p.ratio - 1.0).abs() < 0.005, "{p:?}");
        assert!(p.low < 1.0 && p.high > 1.0, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Ok);
    }

    #[test]
    fn a_consistent_five_percent_is_a_regression_even_under_drift() {
        // The machine drifts by 30% over the run; each pair sees the same
        // minute, so the ratio stays 1.05 ± 1%.
        let base = [10.0, 11.0, 12.0, 13.0, 12.0, 11.0];
        let wobble = [1.04, 1.06, 1.05, 1.055, 1.045, 1.05];
        let cur: Vec<f64> = base.iter().zip(wobble).map(|(b, w)| b * w).collect();
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!((p.ratio - 1.05).abs() < 0.002, "{p:?}");
        assert!(p.low > 1.03 && p.high < 1.07, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Regressed);
        // The same trials unpaired would overlap completely: min/max of
        // current (10.4, 13.7) spans base (10, 13).
    }

    #[test]
    fn a_noisy_difference_or_a_tiny_one_is_not_a_regression() {
        // Point estimate above tolerance but the interval includes 1.
        let base = [10.0, 10.0, 10.0, 10.0];
        let cur = [9.0, 12.0, 9.5, 12.5];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!(p.ratio > 1.02 && p.low < 1.0, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Ok);
        // Certain but below the tolerance.
        let cur = [10.1, 10.1, 10.1, 10.11];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!(p.low > 1.0, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Ok);
    }

    #[test]
    fn a_consistent_speed_up_is_an_improvement() {
        let base = [10.0, 10.5, 9.9, 10.2];
        let cur: Vec<f64> = base.iter().map(|b| b * 0.9).collect();
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!((p.ratio - 0.9).abs() < 1e-9);
        assert_eq!(p.verdict, PairedVerdict::Improved);
    }

    #[test]
    fn unusable_pairs_are_dropped_and_too_few_give_none() {
        let p = judge(
            &[10.0, f64::NAN, 10.0, 0.0],
            &[11.0, 11.0, 11.0, 11.0],
            0.02,
        )
        .unwrap();
        assert_eq!(p.pairs, 2);
        assert!(judge(&[10.0, f64::NAN], &[11.0, 11.0], 0.02).is_none());
        assert!(judge(&[], &[], 0.02).is_none());
    }

    #[test]
    fn the_interval_uses_students_t() {
        // d = ln(r): two pairs with ratios e^0 and e^0.2: mean 0.1,
        // sd 0.1414, half-width 12.706 * 0.1414 / √2 = 1.2706.
        let e = std::f64::consts::E;
        let p = judge(&[1.0, 1.0], &[1.0, e.powf(0.2)], 0.0).unwrap();
        assert!((p.ratio.ln() - 0.1).abs() < 1e-12);
        assert!((p.high.ln() - (0.1 + 1.2706)).abs() < 1e-3, "{p:?}");
        assert!((p.low.ln() - (0.1 - 1.2706)).abs() < 1e-3, "{p:?}");
        assert_eq!(t975(100), 1.96);
    }
}
