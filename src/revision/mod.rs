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

use crate::baseline::compare::{Limit, Row, RowKind, Verdict};
use crate::figure::FigureKind;
use paired::{PairedTrials, PairedVerdict};

/// The relative change a paired figure must exceed (besides its interval
/// lying wholly above 1) to fail: pairs remove the drift between hours, so
/// this is far below a committed baseline's CPU tolerance.
pub const PAIRED_TOLERANCE: f64 = 0.02;

/// The tolerance of paired peak RSS: two builds of one commit measured
/// 2.9–3.7% apart in peak RSS, consistently (three runs of 10 pairs), so
/// RSS is held to 5%.
pub const PAIRED_MEMORY_TOLERANCE: f64 = 0.05;

/// The tolerance of a paired median response time: one child run's median
/// moves by up to ±14% from the next at 200 requests/s (±8% at 1000), so
/// 20 pairs leave an interval of a few percent; a slower median past 10%
/// beyond that interval is a change worth failing for.
pub const PAIRED_LATENCY_TOLERANCE: f64 = 0.10;

/// The tolerance a paired figure of `kind` is judged with.
pub fn paired_tolerance(kind: FigureKind) -> f64 {
    match kind {
        FigureKind::Memory => PAIRED_MEMORY_TOLERANCE,
        FigureKind::Latency => PAIRED_LATENCY_TOLERANCE,
        _ => PAIRED_TOLERANCE,
    }
}

/// Replaces (or adds) the rows of paired figures: the baseline column is
/// the base build's median, the verdict the paired one, the note names
/// `rev`, the pairs and the ratio's interval. A median response time must
/// also be slower by more than `latency_slack_ms(scenario)` (the
/// scenario's `latency-slack-ms`, as against a baseline): at 200
/// requests/s a median of 0.1 ms moves by ±15% (15 µs) from one 20-pair
/// run to the next, a change no user sees.
pub fn apply_paired(
    mut rows: Vec<Row>,
    paired: &[PairedTrials],
    rev: &str,
    latency_slack_ms: &dyn Fn(&str) -> f64,
) -> Vec<Row> {
    for p in paired {
        let base = p.base_figure();
        let current = p.current_figure();
        let tolerance = paired_tolerance(p.kind);
        let slack_ms = (p.kind == FigureKind::Latency).then(|| latency_slack_ms(&p.scenario));
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
                format!(
                    "paired with {rev} ({} pairs), ratio {:.3} [{:.3}, {:.3}]",
                    j.pairs, j.ratio, j.low, j.high
                ),
                Some(j.ratio - 1.0),
            ),
            None => (
                Verdict::NotComparable,
                format!("paired with {rev}: fewer than 2 usable pairs"),
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
            note,
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

    const NO_SLACK: fn(&str) -> f64 = |_| 0.0;

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
            note: "from the file".into(),
            functions: Vec::new(),
        };
        let rows = apply_paired(
            vec![old],
            &[trials(
                &[10.0, 10.2, 9.9, 10.1, 10.0, 9.8],
                &[10.5, 10.7, 10.4, 10.6, 10.5, 10.3],
            )],
            "main",
            &NO_SLACK,
        );
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.baseline, Some(10.0));
        assert_eq!(r.current, Some(10.5));
        assert_eq!(r.verdict, Verdict::Regressed);
        assert!(
            r.note.starts_with("paired with main (6 pairs), ratio 1.05"),
            "{}",
            r.note
        );
    }

    #[test]
    fn a_figure_without_a_row_is_added_and_too_few_pairs_are_not_judged() {
        let rows = apply_paired(Vec::new(), &[trials(&[10.0], &[20.0])], "HEAD~1", &NO_SLACK);
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
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &NO_SLACK);
        assert_eq!(rows[0].verdict, Verdict::Ok, "{}", rows[0].note);
        // +15%: regressed, unless 9 µs is within the slack.
        t.current = t.base.iter().map(|b| b * 1.15).collect();
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &NO_SLACK);
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{}", rows[0].note);
        let slack = |scenario: &str| if scenario == "steady-1k" { 0.2 } else { 0.0 };
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &slack);
        assert_eq!(rows[0].verdict, Verdict::Ok, "{}", rows[0].note);
        assert_eq!(
            rows[0].limit,
            Limit::Latency {
                tolerance: PAIRED_LATENCY_TOLERANCE,
                slack_ms: 0.2
            }
        );
        // Slower by 2 ms: past the slack too.
        t.current = t.base.iter().map(|b| b + 2.0).collect();
        let rows = apply_paired(Vec::new(), &[t], "main", &slack);
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{}", rows[0].note);
    }

    #[test]
    fn peak_rss_is_held_to_its_own_tolerance() {
        let mut t = trials(
            &[100.0, 101.0, 99.0, 100.0, 102.0, 98.0],
            &[103.0, 104.0, 102.0, 103.0, 105.0, 101.0],
        );
        t.kind = FigureKind::Memory;
        let rows = apply_paired(Vec::new(), &[t.clone()], "main", &NO_SLACK);
        assert_eq!(rows[0].verdict, Verdict::Ok, "{}", rows[0].note);
        t.kind = FigureKind::Cpu;
        let rows = apply_paired(Vec::new(), &[t], "main", &NO_SLACK);
        assert_eq!(rows[0].verdict, Verdict::Regressed, "{}", rows[0].note);
    }
}
