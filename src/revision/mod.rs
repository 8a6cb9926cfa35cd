//! Other revisions of the workspace: building one (`build`: its tree
//! checked out under `<target-dir>/ratecheck/`, `cargo build --release`),
//! and judging the current build against it from paired runs (`paired`:
//! the statistics; `run`: the interleaved child runs; [`paired_rows`]:
//! the diff-table rows). Used by `check --against REV`. `bisect` (the
//! pure search), `command` (a `bisect --command` probe) and `probe` (a
//! probe's figure from its built binary) serve `bisect`. In a workspace
//! that is not this tool's, `services` builds REV's services and pairs
//! them instead of binaries ([`BaseBuild`] says which).

pub mod bisect;
pub mod build;
pub mod command;
pub mod counts;
pub mod paired;
pub mod probe;
pub mod run;
pub mod services;

pub use build::{build_at, BuiltRevision};

/// What `--against REV` built: the code under test at REV.
pub enum BaseBuild {
    /// This tool's binary, in its own workspace (the engine is under test).
    Tool(BuiltRevision),
    /// REV's tree with its services built, in any other workspace.
    Services(services::BaseTree),
}

impl BaseBuild {
    /// The revision as given (`origin/main`, `HEAD~1`).
    pub fn rev(&self) -> &str {
        match self {
            BaseBuild::Tool(b) => &b.rev,
            BaseBuild::Services(t) => &t.rev,
        }
    }

    /// The full SHA it resolved to.
    pub fn commit(&self) -> &str {
        match self {
            BaseBuild::Tool(b) => &b.commit,
            BaseBuild::Services(t) => &t.commit,
        }
    }
}

use crate::baseline::compare::{Limit, Note, Row, RowKind, ThresholdLookup, Thresholds, Verdict};
use crate::figure::FigureKind;
use paired::{PairedTrials, PairedVerdict};

/// The tolerance a paired figure of `kind` is held to under the default
/// thresholds ([`Thresholds::paired_tolerance`]): for `bisect`'s probes,
/// which read no configured thresholds.
pub fn paired_tolerance(kind: FigureKind) -> f64 {
    Thresholds::default().paired_tolerance(kind)
}

/// The rows of the paired figures, each decided here and only here (the
/// comparison puts them where their figures' rows go, see
/// [`compare_with`](crate::baseline::compare::compare_with)): the
/// baseline column is the base build's median, the verdict the paired
/// one, the note names `rev`, the pairs and the ratio's interval. Each
/// figure is held to its scenario's paired tolerance of its kind, from
/// `thresholds`, the lookup that judges the baseline rows.
pub fn paired_rows(paired: &[PairedTrials], rev: &str, thresholds: &ThresholdLookup) -> Vec<Row> {
    paired
        .iter()
        .map(|p| paired_row(p, rev, thresholds.of(&p.scenario)))
        .collect()
}

/// One paired figure's row under its scenario's thresholds `t`. A median
/// response time must also be slower by more than `latency-slack-ms` (as
/// against a baseline): at 200 requests/s a median of 0.1 ms moves by
/// ±15% (15 µs) from one 20-pair run to the next, a change no user sees.
fn paired_row(p: &PairedTrials, rev: &str, t: &Thresholds) -> Row {
    let base = p.base_figure();
    let current = p.current_figure();
    let tolerance = t.paired_tolerance(p.kind);
    let slack_ms = (p.kind == FigureKind::Latency).then_some(t.latency_slack_ms);
    let mut row = Row {
        scenario: p.scenario.clone(),
        figure: p.figure.clone(),
        unit: p.unit.clone(),
        kind: RowKind::Figure(p.kind),
        baseline: Some(base.value).filter(|v| v.is_finite()),
        current: Some(current.value).filter(|v| v.is_finite()),
        change: None,
        limit: match slack_ms {
            Some(slack_ms) => Limit::Latency {
                tolerance,
                slack_ms,
            },
            None => Limit::relative(tolerance, 0.0),
        },
        verdict: Verdict::NotComparable,
        note: Some(Note::TooFewPairs {
            rev: rev.to_string(),
        }),
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    };
    let Some(j) = paired::judge(&p.base, &p.current, tolerance) else {
        return row;
    };
    row.verdict = match j.verdict {
        PairedVerdict::Ok => Verdict::Ok,
        PairedVerdict::Improved => Verdict::Improved,
        PairedVerdict::Regressed
            if slack_ms.is_some() && current.value - base.value <= t.latency_slack(&p.unit) =>
        {
            Verdict::Ok
        }
        PairedVerdict::Regressed => Verdict::Regressed,
    };
    row.change = Some(j.ratio - 1.0);
    row.note = Some(Note::Paired {
        rev: rev.to_string(),
        pairs: j.pairs,
        ratio: j.ratio,
        low: j.low,
        high: j.high,
    });
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::id;

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
            scenario: id::scenario::CPU.into(),
            figure: id::CPU_US_PER_REQUEST_HTTP.into(),
            kind: FigureKind::Cpu,
            unit: "us".into(),
            base: base.to_vec(),
            current: current.to_vec(),
        }
    }

    /// The one row of `trials` judged under `thresholds`.
    fn row_of(t: PairedTrials, rev: &str, thresholds: &ThresholdLookup) -> Row {
        let mut rows = paired_rows(&[t], rev, thresholds);
        assert_eq!(rows.len(), 1);
        rows.remove(0)
    }

    #[test]
    fn a_paired_row_holds_the_medians_the_ratio_and_the_verdict() {
        let r = row_of(
            trials(
                &[10.0, 10.2, 9.9, 10.1, 10.0, 9.8],
                &[10.5, 10.7, 10.4, 10.6, 10.5, 10.3],
            ),
            "main",
            &no_slack(),
        );
        assert_eq!(r.baseline, Some(10.0));
        assert_eq!(r.current, Some(10.5));
        assert_eq!(r.verdict, Verdict::Regressed);
        assert_eq!(r.limit, Limit::relative(0.02, 0.0));
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
    fn too_few_pairs_are_not_judged() {
        let r = row_of(trials(&[10.0], &[20.0]), "HEAD~1", &no_slack());
        assert_eq!(r.verdict, Verdict::NotComparable);
        assert!(!r.verdict.fails());
        let rev = "HEAD~1".to_string();
        assert_eq!(r.note, Some(Note::TooFewPairs { rev }));
    }

    #[test]
    fn a_median_response_time_is_held_to_the_latency_tolerance_and_slack() {
        let mut t = trials(
            &[0.060, 0.061, 0.059, 0.060, 0.062, 0.058],
            &[0.064, 0.065, 0.063, 0.064, 0.066, 0.062],
        );
        t.scenario = "steady-1k".into();
        t.figure = id::RESPONSE_P50_MS.into();
        t.kind = FigureKind::Latency;
        t.unit = "ms".into();
        // +6.7%, beyond doubt but within 10%.
        let r = row_of(t.clone(), "main", &no_slack());
        assert_eq!(r.verdict, Verdict::Ok, "{:?}", r.note);
        // +15%: regressed, unless 9 µs is within the slack.
        t.current = t.base.iter().map(|b| b * 1.15).collect();
        let r = row_of(t.clone(), "main", &no_slack());
        assert_eq!(r.verdict, Verdict::Regressed, "{:?}", r.note);
        let slack = ThresholdLookup::new(
            Thresholds {
                latency_slack_ms: 0.0,
                ..Thresholds::default()
            },
            [("steady-1k".to_string(), Thresholds::default())].into(),
        );
        let r = row_of(t.clone(), "main", &slack);
        assert_eq!(r.verdict, Verdict::Ok, "{:?}", r.note);
        assert_eq!(
            r.limit,
            Limit::Latency {
                tolerance: 0.10,
                slack_ms: 0.2
            }
        );
        // Slower by 2 ms: past the slack too.
        t.current = t.base.iter().map(|b| b + 2.0).collect();
        let r = row_of(t, "main", &slack);
        assert_eq!(r.verdict, Verdict::Regressed, "{:?}", r.note);
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
        t.figure = id::RESPONSE_P50_MS.into();
        t.kind = FigureKind::Latency;
        let strict = Thresholds {
            paired_latency_tolerance: 0.05,
            latency_slack_ms: 0.0,
            ..Thresholds::default()
        };
        let lookup =
            ThresholdLookup::new(Thresholds::default(), [("steady-1k".into(), strict)].into());
        let r = row_of(t.clone(), "main", &lookup);
        assert_eq!(r.verdict, Verdict::Regressed, "{:?}", r.note);
        assert_eq!(
            r.limit,
            Limit::Latency {
                tolerance: 0.05,
                slack_ms: 0.0
            }
        );
        t.scenario = "steady-200".into();
        let r = row_of(t, "main", &lookup);
        assert_eq!(r.verdict, Verdict::Ok, "{:?}", r.note);
    }

    #[test]
    fn peak_rss_is_held_to_its_own_tolerance() {
        let mut t = trials(
            &[100.0, 101.0, 99.0, 100.0, 102.0, 98.0],
            &[103.0, 104.0, 102.0, 103.0, 105.0, 101.0],
        );
        t.kind = FigureKind::Memory;
        let r = row_of(t.clone(), "main", &no_slack());
        assert_eq!(r.verdict, Verdict::Ok, "{:?}", r.note);
        t.kind = FigureKind::Cpu;
        let r = row_of(t, "main", &no_slack());
        assert_eq!(r.verdict, Verdict::Regressed, "{:?}", r.note);
    }
}
