//! The statistics of a paired run (`check --against REV`): the base build
//! and the current build measured alternately, A B A B …, so both see the
//! same machine in the same minutes and each pair's ratio cancels the
//! drift a committed baseline from another hour cannot. Pure: trials in,
//! ratio, confidence interval and verdict out.
//!
//! Each pair gives a log ratio `d_i = ln(current_i / base_i)`. The ratio is
//! `exp` of their Hodges–Lehmann estimate (the median of the Walsh averages
//! `(d_i + d_j) / 2`, `i ≤ j`) and its 95% confidence interval the
//! distribution-free one that goes with it, read off the same sorted Walsh
//! averages at the critical value of Wilcoxon's signed-rank statistic
//! (Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*,
//! §3.2–3.3). A mean and Student's t interval would do as well on quiet
//! pairs but not on a shared machine: a few pairs a neighbour disturbed
//! widen a t interval past 1 around a real regression, while ranks give a
//! disturbed pair no more weight than any other (docs/paired-runs.md).

use crate::figure::FigureKind;
use crate::figure::{median_of_sorted, Figure};

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
    /// `exp` of the Hodges–Lehmann estimate of the log ratios.
    pub ratio: f64,
    /// 95% confidence interval of the ratio (0 and ∞ when there are too
    /// few pairs for one: five or fewer).
    pub low: f64,
    pub high: f64,
    pub verdict: PairedVerdict,
}

/// The probability the interval leaves out at each end: 95% two-sided.
const TAIL: f64 = 0.025;

/// The standard normal quantile of `1 − TAIL`.
const Z: f64 = 1.959_964;

/// Most pairs the signed-rank distribution is counted exactly for; beyond,
/// its normal approximation (as R's `wilcox.test` does from 50).
const EXACT_UP_TO: usize = 50;

/// The number `k` of Walsh averages cut from each end of the sorted list
/// for the interval: the largest `k` with `P(T < k) ≤ TAIL`,
/// `T` the signed-rank statistic of `n` pairs when nothing changed (each
/// rank's sign a fair coin). 0 when even `k = 1` is too many (n ≤ 5).
fn walsh_cut(n: usize) -> usize {
    if n <= EXACT_UP_TO {
        exact_walsh_cut(n)
    } else {
        approximate_walsh_cut(n)
    }
}

/// [`walsh_cut`] from the exact distribution of `T`, counted.
fn exact_walsh_cut(n: usize) -> usize {
    let m = n * (n + 1) / 2;
    // ways[s]: subsets of the ranks 1..=n summing to s.
    let mut ways = vec![0.0f64; m + 1];
    ways[0] = 1.0;
    for r in 1..=n {
        for s in (r..=m).rev() {
            ways[s] += ways[s - r];
        }
    }
    let all = 2f64.powi(n as i32);
    let mut below = 0.0; // P(T < k) · 2^n
    for (k, w) in ways.iter().enumerate() {
        if (below + w) / all > TAIL {
            return k;
        }
        below += w;
    }
    m
}

/// [`walsh_cut`] from the normal approximation of `T`.
fn approximate_walsh_cut(n: usize) -> usize {
    let n = n as f64;
    let mean = n * (n + 1.0) / 4.0;
    let sd = (n * (n + 1.0) * (2.0 * n + 1.0) / 24.0).sqrt();
    (mean - Z * sd).floor().max(0.0) as usize + 1
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
    let mut walsh: Vec<f64> = logs
        .iter()
        .enumerate()
        .flat_map(|(i, a)| logs[i..].iter().map(move |b| (a + b) / 2.0))
        .collect();
    walsh.sort_by(f64::total_cmp);
    let m = walsh.len();
    let estimate = median_of_sorted(&walsh);
    let (low, high) = match walsh_cut(n) {
        0 => (0.0, f64::INFINITY),
        k => (walsh[k - 1].exp(), walsh[m - k].exp()),
    };
    let ratio = estimate.exp();
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
        let base = [10.0, 10.4, 9.8, 10.1, 10.2, 10.3, 9.9, 10.0];
        let cur = [10.05, 10.38, 9.83, 10.08, 10.21, 10.27, 9.92, 10.01];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert_eq!(p.pairs, 8);
        assert!((p.ratio - 1.0).abs() < 0.005, "{p:?}");
        assert!(p.low < 1.0 && p.high > 1.0 && p.high < 1.01, "{p:?}");
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
    fn a_disturbed_pair_does_not_hide_a_regression() {
        // 20 pairs at 1.04–1.06, one of them disturbed by a neighbour: its
        // current side ran 30% slow, another's base side 30% slow.
        let mut ratios: Vec<f64> = (0..20).map(|i| 1.04 + 0.001 * i as f64).collect();
        ratios[3] = 1.35;
        ratios[11] = 0.8;
        let base = vec![10.0; 20];
        let cur: Vec<f64> = ratios.iter().map(|r| 10.0 * r).collect();
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!(p.ratio > 1.045 && p.ratio < 1.055, "{p:?}");
        assert!(p.low > 1.04 && p.high < 1.06, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Regressed);
        // A mean of the logs with Student's t would not see it: the two
        // pairs put sd(d) near 0.09, the interval's half-width near 4%.
        let d: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
        let mean = d.iter().sum::<f64>() / 20.0;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 19.0).sqrt();
        assert!(
            (mean - 2.093 * sd / 20f64.sqrt()).exp() < 1.01,
            "{mean} {sd}"
        );
    }

    #[test]
    fn a_noisy_difference_or_a_tiny_one_is_not_a_regression() {
        // Point estimate above tolerance but the interval includes 1.
        let base = [10.0; 8];
        let cur = [9.0, 12.0, 9.5, 12.5, 9.2, 12.2, 9.7, 11.8];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!(p.ratio > 1.02 && p.low < 1.0, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Ok);
        // Certain but below the tolerance.
        let cur = [10.1, 10.1, 10.1, 10.11, 10.12, 10.1, 10.1, 10.1];
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!(p.low > 1.0, "{p:?}");
        assert_eq!(p.verdict, PairedVerdict::Ok);
    }

    #[test]
    fn a_consistent_speed_up_is_an_improvement() {
        let base = [10.0, 10.5, 9.9, 10.2, 10.1, 9.8];
        let cur: Vec<f64> = base.iter().map(|b| b * 0.9).collect();
        let p = judge(&base, &cur, 0.02).unwrap();
        assert!((p.ratio - 0.9).abs() < 1e-9);
        assert!((p.high - 0.9).abs() < 1e-9);
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
    fn five_pairs_or_fewer_have_no_interval_and_no_verdict() {
        // 2^-5 = 3.1% > 2.5%: even all five ratios above 1 are not 95% sure.
        let p = judge(&[1.0; 5], &[2.0; 5], 0.02).unwrap();
        assert_eq!((p.low, p.high), (0.0, f64::INFINITY));
        assert_eq!(p.verdict, PairedVerdict::Ok);
        assert!((p.ratio - 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_estimate_and_interval_are_read_off_the_walsh_averages() {
        // Six log ratios 0, 0.1 … 0.5: 21 Walsh averages, symmetric about
        // 0.25; with six pairs the interval cuts one from each end, so it
        // runs from the smallest log (0) to the largest (0.5).
        let cur: Vec<f64> = (0..6).map(|i| (0.1 * i as f64).exp()).collect();
        let p = judge(&[1.0; 6], &cur, 0.0).unwrap();
        assert!((p.ratio.ln() - 0.25).abs() < 1e-12, "{p:?}");
        assert!(p.low.ln().abs() < 1e-12, "{p:?}");
        assert!((p.high.ln() - 0.5).abs() < 1e-12, "{p:?}");
    }

    #[test]
    fn the_cut_matches_the_signed_rank_tables() {
        // Two-sided 5% critical values of Wilcoxon's T (the largest t with
        // P(T ≤ t) ≤ 2.5%): n = 6 → 0, 10 → 8, 20 → 52, 30 → 137; the cut
        // is one more. Five pairs or fewer have none.
        assert_eq!(walsh_cut(5), 0);
        assert_eq!(walsh_cut(6), 1);
        assert_eq!(walsh_cut(10), 9);
        assert_eq!(walsh_cut(20), 53);
        assert_eq!(walsh_cut(30), 138);
        // Past the exact range the normal approximation takes over; where
        // both apply they agree within one.
        for n in 20..=EXACT_UP_TO {
            let (e, a) = (exact_walsh_cut(n), approximate_walsh_cut(n));
            assert!(e.abs_diff(a) <= 1, "n = {n}: exact {e}, approximate {a}");
        }
        assert_eq!(walsh_cut(100), approximate_walsh_cut(100));
    }
}
