//! `check --against REV`: the counts of both builds, taken on this machine.
//! Instructions and allocations per request of the cost workload do not
//! depend on the machine's speed, but do depend on the build (compiler, C
//! library, valgrind, profile); counting the base build and the current
//! build here, with the same C library and valgrind, makes them comparable
//! on any runner. No statistics are needed: a count is exact, so each side
//! is counted once and judged with the tolerance a baseline figure has.

use std::collections::BTreeMap;
use std::path::Path;

use crate::baseline::compare::{compare, Note, Row, ThresholdLookup};
use crate::figure::{id, BuildInfo, Figure, ScenarioKind, ScenarioResult, SuiteResult};
use crate::suite::instructions;

/// Both builds' counts, as the instruction scenario of a suite each.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedCounts {
    /// The revision the base build is of.
    pub rev: String,
    pub base: SuiteResult,
    pub current: SuiteResult,
}

/// Counts `base` and `current` (binaries of cargo-ratecheck) under
/// callgrind at once, scratch files under `scratch`; `base_root` is the
/// tree `base` was built in (its source paths are made relative to it, as
/// this build's are to its workspace). `build` is this runner's (with its
/// valgrind); a side whose counting failed has its figures unavailable,
/// saying why.
pub fn measure_both(
    rev: &str,
    (base, base_root): (&Path, &Path),
    current: &Path,
    scratch: &Path,
    build: &BuildInfo,
) -> PairedCounts {
    let (b, c) = std::thread::scope(|s| {
        let b = s.spawn(|| instructions::measure(base, base_root, &scratch.join("base")));
        let this_root = instructions::this_build_root();
        let c = s.spawn(|| instructions::measure(current, this_root, &scratch.join("current")));
        let joined = |h: std::thread::ScopedJoinHandle<'_, _>| {
            h.join()
                .unwrap_or_else(|_| Err("a callgrind run panicked".to_string()))
        };
        (joined(b), joined(c))
    });
    // A pair is counted whole or not at all: when one side fails, both
    // sides' figures say why, so every row is not comparable.
    match (b, c) {
        (Ok(b), Ok(c)) => PairedCounts {
            rev: rev.to_string(),
            base: suite_of(b, build),
            current: suite_of(c, build),
        },
        (Err(e), _) => PairedCounts::unavailable(rev, &format!("the base build: {e}"), build),
        (_, Err(e)) => PairedCounts::unavailable(rev, &format!("this build: {e}"), build),
    }
}

impl PairedCounts {
    /// A pair that could not be counted: both sides' figures unavailable
    /// for `why`, so every row is not comparable and says why.
    pub fn unavailable(rev: &str, why: &str, build: &BuildInfo) -> PairedCounts {
        let f = instructions::unavailable_figures(why);
        PairedCounts {
            rev: rev.to_string(),
            base: suite_of(f.clone(), build),
            current: suite_of(f, build),
        }
    }
}

/// Figures by name.
type Figures = BTreeMap<String, Figure>;

/// A suite holding only the instruction scenario with `figures`.
pub fn suite_of(figures: Figures, build: &BuildInfo) -> SuiteResult {
    SuiteResult {
        quick: false,
        selftest_passed: true,
        scenarios: vec![ScenarioResult::new(
            id::scenario::INSTRUCTIONS,
            ScenarioKind::Instructions,
            figures,
        )],
        planned: vec![id::scenario::INSTRUCTIONS.into()],
        build: Some(build.clone()),
    }
}

/// The rows of the counts, judged as against a baseline (the base build's
/// count in the baseline column, the thresholds of the instruction
/// scenario), each note saying both were counted here.
pub fn count_rows(counts: &PairedCounts, thresholds: &ThresholdLookup) -> Vec<Row> {
    compare(Some(&counts.base), &counts.current, thresholds, true)
        .into_iter()
        .filter(|r| r.scenario == id::scenario::INSTRUCTIONS)
        .map(|mut r| {
            r.note = Some(Note::CountedHere {
                rev: counts.rev.clone(),
                detail: r.note.take().map(Box::new),
            });
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::compare::{Thresholds, Verdict};
    use crate::figure::FigureKind;

    fn counts(instructions: [f64; 2], allocs: [f64; 2]) -> PairedCounts {
        let build = BuildInfo::of_this_binary();
        let side = |i: f64, a: f64| {
            suite_of(
                BTreeMap::from([
                    (
                        id::instructions_per_request("http"),
                        Figure::single(FigureKind::Instructions, "instr", i),
                    ),
                    (
                        id::allocs_per_request("http"),
                        Figure::single(FigureKind::Allocations, "", a),
                    ),
                ]),
                &build,
            )
        };
        PairedCounts {
            rev: "origin/main".into(),
            base: side(instructions[0], allocs[0]),
            current: side(instructions[1], allocs[1]),
        }
    }

    fn verdicts(c: &PairedCounts) -> Vec<(String, Verdict)> {
        let lookup = ThresholdLookup::new(Thresholds::default(), BTreeMap::new());
        count_rows(c, &lookup)
            .into_iter()
            .map(|r| (r.figure, r.verdict))
            .collect()
    }

    #[test]
    fn three_percent_more_instructions_regress_one_percent_do_not() {
        let v = verdicts(&counts([22_000.0, 22_660.0], [10.0, 10.0]));
        assert!(
            v.contains(&(id::instructions_per_request("http"), Verdict::Regressed)),
            "{v:?}"
        );
        assert!(
            v.contains(&(id::allocs_per_request("http"), Verdict::Ok)),
            "{v:?}"
        );
        let v = verdicts(&counts([22_000.0, 22_220.0], [10.0, 10.0]));
        assert!(
            v.iter().all(|(_, verdict)| *verdict == Verdict::Ok),
            "{v:?}"
        );
    }

    #[test]
    fn one_more_allocation_per_request_regresses() {
        let v = verdicts(&counts([22_000.0, 22_000.0], [10.0, 11.0]));
        assert!(
            v.contains(&(id::allocs_per_request("http"), Verdict::Regressed)),
            "{v:?}"
        );
    }

    #[test]
    fn every_row_says_both_builds_were_counted_here() {
        let lookup = ThresholdLookup::new(Thresholds::default(), BTreeMap::new());
        let rows = count_rows(&counts([100.0, 100.0], [1.0, 1.0]), &lookup);
        assert_eq!(rows.len(), 2);
        for r in rows {
            assert!(
                matches!(&r.note, Some(Note::CountedHere { rev, .. }) if rev == "origin/main"),
                "{r:?}"
            );
            assert_eq!(
                r.baseline,
                Some(if r.unit == "instr" { 100.0 } else { 1.0 })
            );
        }
    }

    #[test]
    fn a_side_that_could_not_be_counted_is_not_comparable() {
        let c = PairedCounts::unavailable("main", "no valgrind", &BuildInfo::of_this_binary());
        let v = verdicts(&c);
        assert!(!v.is_empty());
        assert!(
            v.iter()
                .all(|(_, verdict)| *verdict == Verdict::NotComparable),
            "{v:?}"
        );
    }
}
