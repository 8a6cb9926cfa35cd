//! Other revisions of the workspace: building one (`build`: its tree
//! checked out under `<target-dir>/ratecheck/`, `cargo build --release`),
//! and judging the current build against it from paired runs (`paired`:
//! the statistics; `run`: the interleaved child runs; [`apply_paired`]:
//! the diff-table rows). Used by `check --against REV`. `bisect` (the
//! pure search), `command` (a `bisect --command` probe) and `probe` (a
//! probe's figure from its built binary) serve `bisect`.

pub mod bisect;
pub mod build;
pub mod command;
pub mod paired;
pub mod probe;
pub mod run;

pub use build::{build_at, BuiltRevision};

use crate::baseline::compare::{Limit, Note, Row, RowKind, ThresholdLookup, Thresholds, Verdict};
use crate::figure::FigureKind;
use paired::{PairedTrials, PairedVerdict};

/// The tolerance a paired figure of `kind` is held to under the default
/// thresholds ([`Thresholds::paired_tolerance`]): for `bisect`'s probes,
/// which read no configured thresholds.
pub fn paired_tolerance(kind: FigureKind) -> f64 {
    Thresholds::default().paired_tolerance(kind)
}

/// Replaces (or adds) the rows of paired figures: the baseline column is
/// the base build's median, the verdict the paired one, the note names
/// `rev`, the pairs and the ratio's interval. Each figure is held to its
/// scenario's paired tolerance of its kind, from `thresholds`, the lookup
/// that judges the baseline rows. A median response time must also be
/// slower by more than the scenario's `latency-slack-ms` (as against a
/// baseline): at 200 requests/s a median of 0.1 ms moves by ±15% (15 µs)
/// from one 20-pair run to the next, a change no user sees.
pub fn apply_paired(
    mut rows: Vec<Row>,
    paired: &[PairedTrials],
    rev: &str,
    thresholds: &ThresholdLookup,
) -> Vec<Row> {
    for p in paired {
        let base = p.base_figure();
        let current = p.current_figure();
        let t = thresholds.of(&p.scenario);
        let tolerance = t.paired_tolerance(p.kind);
        let slack_ms = (p.kind == FigureKind::Latency).then_some(t.latency_slack_ms);
        let judged = paired::judge(&p.base, &p.current, tolerance);
        let (verdict, note, change) = match &judged {
            Some(j) => (
                match j.verdict {
                    PairedVerdict::Ok => Verdict::Ok,
                    PairedVerdict::Improved => Verdict::Improved,
                    PairedVerdict::Regressed
                        if slack_ms.is_some_and(|s| current.value - base.value <= s) =>
                    {
                        Verdict::Ok
                    }
                    PairedVerdict::Regressed => Verdict::Regressed,
                },
                Note::Paired {
                    rev: rev.to_string(),
                    pairs: j.pairs,
                    ratio: j.ratio,
                    low: j.low,
                    high: j.high,
                },
                Some(j.ratio - 1.0),
            ),
            None => (
                Verdict::NotComparable,
                Note::TooFewPairs {
                    rev: rev.to_string(),
                },
                None,
            ),
        };
        let row = Row {
            scenario: p.scenario.clone(),
            figure: p.figure.clone(),
            unit: p.unit.clone(),
            kind: RowKind::Figure(p.kind),
            baseline: Some(base.value).filter(|v| v.is_finite()),
            current: Some(current.value).filter(|v| v.is_finite()),
            change,
            limit: match slack_ms {
                Some(slack_ms) => Limit::Latency {
                    tolerance,
                    slack_ms,
                },
                None => Limit::relative(tolerance, 0.0),
            },
            verdict,
            note: Some(note),
            functions: Vec::new(),
        };
        match rows
            .iter_mut()
            .find(|r| r.scenario == p.scenario && r.figure == p.figure)
        {
            Some(existing) => *existing = row,
            None => rows.push(row),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default thresholds without the latency slack.
    fn no_slack() -> ThresholdLookup {
        let t = Thresholds {
            latency_slack_ms: 0.0,
            ..Thresholds::default()
        };
        ThresholdLookup::new(t, Default::default())
    }

    fn trials(base: &[f64], current: &[f64]) -> PairedTrials {
        PairedTrials {
            scenario: "cpu".into(),
            figure: "cpu_us_per_request_http".into(),
            kind: FigureKind::Cpu,
            unit: "us".into(),
            base: base.to_vec(),
            current: current.to_vec(),
        }
    }

    #[test]
    fn paired_rows_replace_the_committed_comparison() {
        let old = Row {
            scenario: "cpu".into(),
            figure: "cpu_us_per_request_http".into(),
            unit: "us".into(),
            kind: RowKind::Figure(FigureKind::Cpu),
            baseline: Some(5.0),
            current: Some(10.5),
            change: Some(1.1),
            limit: Limit::relative(0.75, 0.0),
            verdict: Verdict::Regressed,
            note: Some(Note::Read("from the file".into())),
            functions: Vec::new(),
        };
        let rows = apply_paired(
            vec![old],
            &[trials(
                &[10.0, 10.2, 9.9, 10.1, 10.0, 9.8],
                &[10.5, 10.7, 10.4, 10.6, 10.5, 10.3],
            )],
            "main",
            &no_slack(),
        );
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.baseline, Some(10.0));
        assert_eq!(r.current, Some(10.5));
        assert_eq!(r.verdict, Verdict::Regressed);
        match &r.note {
            Some(Note::Paired {
                rev, pairs, ratio, ..
            }) => {
                assert_eq!((rev.as_str(), *pairs), ("main", 6));
                assert!((ratio - 1.05).abs() < 0.005, "{ratio}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_figure_without_a_row_is_added_and_too_few_pairs_are_not_judged() {
        let rows = apply_paired(
            Vec::new(),
            &[trials(&[10.0], &[20.0])],
            "HEAD~1",
            &no_slack(),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].verdict, Verdict::NotComparable);
        assert!(!rows[0].verdict.fails());
    }

    #[test]
    fn a_median_response_time_is_held_to_the_latency_tolerance_and_slack() {
        let mut t = trials(
            &[0.060, 0.061, 0.059, 0.060, 0.062, 0.058],
            &[0.064, 0.065, 0.063, 0.064, 0.066, 0.062],
        );
        t.scenario = "steady-1k".into();
        t.figure = "response_p50_ms".into();
        t.kind = FigureKind::Latency;
        // +6.7%, beyond doubt but within 10%.
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &no_slack());
        assert_eq!(rows[0].verdict, Verdict::Ok, "{:?}", rows[0].note);
        // +15%: regressed, unless 9 µs is within the slack.
        t.current = t.base.iter().map(|b| b * 1.15).collect();
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &no_slack());
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{:?}", rows[0].note);
        let slack = ThresholdLookup::new(
            Thresholds {
                latency_slack_ms: 0.0,
                ..Thresholds::default()
            },
            [("steady-1k".to_string(), Thresholds::default())].into(),
        );
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &slack);
        assert_eq!(rows[0].verdict, Verdict::Ok, "{:?}", rows[0].note);
        assert_eq!(
            rows[0].limit,
            Limit::Latency {
                tolerance: 0.10,
                slack_ms: 0.2
            }
        );
        // Slower by 2 ms: past the slack too.
        t.current = t.base.iter().map(|b| b + 2.0).collect();
        let rows = apply_paired(Vec::new(), &[t], "main", &slack);
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{:?}", rows[0].note);
    }

    #[test]
    fn the_paired_tolerances_come_from_the_scenarios_thresholds() {
        // +6.7% on a median response time: ok at the default 10%,
        // regressed where the scenario's paired-latency-tolerance is 5%.
        let mut t = trials(
            &[0.060, 0.061, 0.059, 0.060, 0.062, 0.058],
            &[0.064, 0.065, 0.063, 0.064, 0.066, 0.062],
        );
        t.scenario = "steady-1k".into();
        t.figure = "response_p50_ms".into();
        t.kind = FigureKind::Latency;
        let strict = Thresholds {
            paired_latency_tolerance: 0.05,
            latency_slack_ms: 0.0,
            ..Thresholds::default()
        };
        let lookup =
            ThresholdLookup::new(Thresholds::default(), [("steady-1k".into(), strict)].into());
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &lookup);
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{:?}", rows[0].note);
        assert_eq!(
            rows[0].limit,
            Limit::Latency {
                tolerance: 0.05,
                slack_ms: 0.0
            }
        );
        t.scenario = "steady-200".into();
        let rows = apply_paired(Vec::new(), &[t], "main", &lookup);
        assert_eq!(rows[0].verdict, Verdict::Ok, "{:?}", rows[0].note);
    }

    #[test]
    fn peak_rss_is_held_to_its_own_tolerance() {
        let mut t = trials(
            &[100.0, 101.0, 99.0, 100.0, 102.0, 98.0],
            &[103.0, 104.0, 102.0, 103.0, 105.0, 101.0],
        );
        t.kind = FigureKind::Memory;
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &no_slack());
        assert_eq!(rows[0].verdict, Verdict::Ok, "{:?}", rows[0].note);
        t.kind = FigureKind::Cpu;
        let rows = apply_paired(Vec::new(), &[t], "main", &no_slack());
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{:?}", rows[0].note);
    }
}
