use std::collections::BTreeSet;

use super::*;

/// Runs a search over `len` commits whose first bad one is `first_bad`,
/// with the commits in `skip` (never the endpoints) skipped. Returns the
/// probes in order and the conclusion.
fn run(
    len: usize,
    first_bad: usize,
    skip: &BTreeSet<usize>,
    max_skips: usize,
) -> (Vec<usize>, Conclusion) {
    let mut s = Search::new(len, max_skips).expect("len >= 2");
    let mut probes = Vec::new();
    // Bounded: nothing is probed twice.
    for _ in 0..=len {
        match s.next() {
            Next::Probe(i) => {
                probes.push(i);
                let o = if skip.contains(&i) {
                    Mark::Skip
                } else if i < first_bad {
                    Mark::Good
                } else {
                    Mark::Bad
                };
                assert!(s.record(i, o), "probe {i} recorded once");
            }
            Next::Done(c) => return (probes, c),
        }
    }
    panic!("no conclusion after {len} probes: {probes:?}");
}

#[test]
fn eight_commits_after_good_with_the_fifth_bad() {
    // c0 good … c8 bad: endpoints, then 4 (good), 6 (bad), 5 (bad).
    let (probes, c) = run(9, 5, &BTreeSet::new(), 9);
    assert_eq!(probes, [0, 8, 4, 6, 5]);
    assert_eq!(c, Conclusion::FirstBad(5));
    assert_eq!(probes.len(), bound(9));
}

#[test]
fn every_first_bad_is_found_within_the_bound() {
    for len in 2..=130 {
        for first_bad in 1..len {
            let (probes, c) = run(len, first_bad, &BTreeSet::new(), 0);
            assert_eq!(c, Conclusion::FirstBad(first_bad), "len {len}");
            assert!(
                probes.len() <= bound(len),
                "len {len}, first bad {first_bad}: {} probes > {}",
                probes.len(),
                bound(len)
            );
            assert_eq!(&probes[..2], [0, len - 1], "endpoints first");
        }
    }
}

#[test]
fn the_bound_is_ceil_log2_of_the_candidates_plus_two() {
    assert_eq!(ceil_log2(1), 0);
    assert_eq!(ceil_log2(2), 1);
    assert_eq!(ceil_log2(3), 2);
    assert_eq!(ceil_log2(8), 3);
    assert_eq!(ceil_log2(9), 4);
    assert_eq!(bound(2), 2, "bad right after good: the endpoints only");
    assert_eq!(bound(9), 5, "8 candidates");
    assert_eq!(bound(10), 6, "9 candidates");
    // The bound is reached: some first bad needs every probe.
    let worst = (1..9).map(|k| run(9, k, &BTreeSet::new(), 0).0.len()).max();
    assert_eq!(worst, Some(5));
}

#[test]
fn a_skipped_midpoint_moves_to_its_nearest_untested_neighbour() {
    // 6 skipped (does not build): 7 is probed next (later first), then 5.
    let (probes, c) = run(9, 5, &BTreeSet::from([6]), 9);
    assert_eq!(probes, [0, 8, 4, 6, 7, 5]);
    assert_eq!(c, Conclusion::FirstBad(5));
    // Both neighbours of a skipped midpoint: the later first, then the
    // earlier one.
    let (probes, c) = run(5, 3, &BTreeSet::from([2, 3]), 9);
    assert_eq!(probes, [0, 4, 2, 3, 1]);
    assert_eq!(c, Conclusion::Among(vec![2, 3, 4]));
}

#[test]
fn skipped_commits_next_to_the_first_bad_leave_a_list() {
    // 4 is skipped and 5 is the first bad: 4 or 5, like `git bisect skip`.
    let (probes, c) = run(9, 5, &BTreeSet::from([4]), 9);
    assert_eq!(c, Conclusion::Among(vec![4, 5]), "{probes:?}");
    // Skipped commits after the first bad do not matter.
    let (_, c) = run(9, 5, &BTreeSet::from([6, 7]), 9);
    assert_eq!(c, Conclusion::FirstBad(5));
}

#[test]
fn everything_between_the_endpoints_skipped() {
    let all: BTreeSet<usize> = (1..8).collect();
    let (probes, c) = run(9, 5, &all, 9);
    assert_eq!(c, Conclusion::Among((1..=8).collect()));
    assert_eq!(probes.len(), 9, "each commit probed once");
}

#[test]
fn skips_are_bounded() {
    let all: BTreeSet<usize> = (1..8).collect();
    let (probes, c) = run(9, 5, &all, 3);
    assert_eq!(c, Conclusion::GaveUp { after: 0, upto: 8 });
    assert_eq!(probes.len(), 2 + 3);
}

#[test]
fn the_answer_is_never_wrong_whatever_is_skipped() {
    // Every set of skipped commits over 7 candidates, every first bad.
    let len = 8;
    for mask in 0u32..(1 << (len - 2)) {
        let skip: BTreeSet<usize> = (1..len - 1)
            .filter(|i| mask & (1 << (i - 1)) != 0)
            .collect();
        for first_bad in 1..len {
            let (probes, c) = run(len, first_bad, &skip, len);
            let unique: BTreeSet<_> = probes.iter().collect();
            assert_eq!(unique.len(), probes.len(), "nothing probed twice");
            assert!(probes.len() <= bound(len) + skip.len());
            match c {
                Conclusion::FirstBad(k) => assert_eq!(k, first_bad, "{skip:?}"),
                Conclusion::Among(list) => {
                    assert!(list.contains(&first_bad), "{skip:?}: {list:?}");
                    let (last, rest) = list.split_last().expect("not empty");
                    assert!(!skip.contains(last), "the last is the known bad one");
                    assert!(rest.iter().all(|i| skip.contains(i)), "{list:?}");
                }
                other => panic!("{skip:?}, first bad {first_bad}: {other:?}"),
            }
        }
    }
}

#[test]
fn endpoints_must_confirm() {
    let mut s = Search::new(5, 5).unwrap();
    assert_eq!(s.next(), Next::Probe(0));
    s.record(0, Mark::Bad);
    assert_eq!(
        s.next(),
        Next::Done(Conclusion::Endpoint {
            index: 0,
            mark: Mark::Bad
        })
    );
    let mut s = Search::new(5, 5).unwrap();
    s.record(0, Mark::Good);
    assert_eq!(s.next(), Next::Probe(4));
    s.record(4, Mark::Skip);
    assert_eq!(
        s.next(),
        Next::Done(Conclusion::Endpoint {
            index: 4,
            mark: Mark::Skip
        })
    );
    assert_eq!(s.skipped(), [4]);
    assert_eq!(s.probes(), [(0, Mark::Good), (4, Mark::Skip)]);
}

#[test]
fn records_out_of_range_or_twice_are_refused() {
    assert!(Search::new(1, 0).is_none());
    let mut s = Search::new(3, 0).unwrap();
    assert!(!s.record(3, Mark::Good));
    assert!(s.record(0, Mark::Good));
    assert!(!s.record(0, Mark::Bad), "already probed");
    assert_eq!(s.probes(), [(0, Mark::Good)]);
    assert!(s.record(2, Mark::Bad));
    assert_eq!(s.next(), Next::Probe(1));
    assert!(s.record(1, Mark::Good));
    assert_eq!(s.next(), Next::Done(Conclusion::FirstBad(2)));
}

#[test]
fn the_midpoint_rule() {
    // A rise from 1000 to 1060 instructions.
    assert_eq!(classify(1000.0, 1000.0, 1060.0), Mark::Good);
    assert_eq!(classify(1029.0, 1000.0, 1060.0), Mark::Good);
    assert_eq!(classify(1030.0, 1000.0, 1060.0), Mark::Good, "halfway");
    assert_eq!(classify(1031.0, 1000.0, 1060.0), Mark::Bad);
    assert_eq!(classify(1100.0, 1000.0, 1060.0), Mark::Bad);
    // A fall works the same way.
    assert_eq!(classify(940.0, 1000.0, 900.0), Mark::Bad);
    assert_eq!(classify(990.0, 1000.0, 900.0), Mark::Good);
    assert_eq!(classify(f64::NAN, 1000.0, 900.0), Mark::Skip);
}

#[test]
fn endpoints_that_do_not_differ_leave_nothing_to_bisect() {
    assert!(endpoints_differ(22_441.0, 23_900.0, 0.005));
    assert!(endpoints_differ(23_900.0, 22_441.0, 0.005), "a fall too");
    assert!(!endpoints_differ(22_441.0, 22_443.0, 0.005));
    assert!(
        !endpoints_differ(0.0, 1.0, 0.005),
        "no relative change from 0"
    );
    assert!(!endpoints_differ(f64::NAN, 1.0, 0.005));
    let c = relative_change(1000.0, 1065.0).unwrap();
    assert!((c - 0.065).abs() < 1e-12);
}

#[test]
fn places_in_the_range() {
    assert_eq!(Place::of(0, 9), Place::Good);
    assert_eq!(Place::of(8, 9), Place::Bad);
    assert_eq!(Place::of(4, 9), Place::Between);
    assert_eq!(Place::of(1, 2), Place::Bad);
}

#[test]
fn counts_mark_by_the_endpoints_and_the_midpoint() {
    let mut j = Judge::default();
    // Nothing known yet: a commit between cannot be judged.
    assert_eq!(j.count(Place::Between, 1000.0, 0.005), Ok(Mark::Skip));
    assert_eq!(j.count(Place::Good, 1000.0, 0.005), Ok(Mark::Good));
    assert_eq!(j.count(Place::Between, 1000.0, 0.005), Ok(Mark::Skip));
    assert_eq!(j.count(Place::Bad, 1060.0, 0.005), Ok(Mark::Bad));
    assert_eq!(j.count(Place::Between, 1029.0, 0.005), Ok(Mark::Good));
    assert_eq!(j.count(Place::Between, 1031.0, 0.005), Ok(Mark::Bad));
    assert_eq!(j.count(Place::Between, f64::NAN, 0.005), Ok(Mark::Skip));
}

#[test]
fn a_count_that_does_not_move_leaves_nothing_to_bisect() {
    let mut j = Judge::default();
    assert_eq!(j.count(Place::Good, 1000.0, 0.005), Ok(Mark::Good));
    assert_eq!(
        j.count(Place::Bad, 1004.0, 0.005),
        Err(NoChange {
            good: 1000.0,
            bad: 1004.0
        })
    );
    // Without the good endpoint's count there is no change to see either.
    let e = Judge::default()
        .count(Place::Bad, 1004.0, 0.005)
        .unwrap_err();
    assert!(e.good.is_nan() && e.bad == 1004.0);
}

fn paired(ratio: f64, verdict: PairedVerdict) -> Paired {
    Paired {
        pairs: 20,
        ratio,
        low: ratio * 0.99,
        high: ratio * 1.01,
        verdict,
    }
}

#[test]
fn paired_figures_mark_by_their_log_ratio_to_the_good_revision() {
    let mut j = Judge::default();
    assert_eq!(j.paired_reference(), Mark::Good);
    // The bad revision 8% above the good one.
    let bad = paired(1.08, PairedVerdict::Regressed);
    assert_eq!(j.paired(Place::Bad, &bad), Ok(Mark::Bad));
    // Nearer the bad endpoint's log ratio than 0: bad; else good.
    let near_bad = paired(1.05, PairedVerdict::Regressed);
    assert_eq!(j.paired(Place::Between, &near_bad), Ok(Mark::Bad));
    let near_good = paired(1.02, PairedVerdict::Ok);
    assert_eq!(j.paired(Place::Between, &near_good), Ok(Mark::Good));
    assert_eq!(
        j.paired(Place::Between, &paired(f64::NAN, PairedVerdict::Ok)),
        Ok(Mark::Skip)
    );
}

#[test]
fn a_bad_revision_whose_pairs_show_no_change_leaves_nothing_to_bisect() {
    let mut j = Judge::default();
    j.paired_reference();
    let e = j
        .paired(Place::Bad, &paired(1.01, PairedVerdict::Ok))
        .unwrap_err();
    assert_eq!(e.good, 0.0);
    assert!((e.bad - 1.01f64.ln()).abs() < 1e-12);
}

#[test]
fn untested_commits_of_a_search_that_gave_up() {
    let mut s = Search::new(9, 1).unwrap();
    assert!(s.record(0, Mark::Good));
    assert!(s.record(8, Mark::Bad));
    assert!(s.record(4, Mark::Skip));
    assert!(matches!(
        s.next(),
        Next::Done(Conclusion::GaveUp { after: 0, upto: 8 })
    ));
    assert_eq!(s.untested(0, 8), 6, "1, 2, 3, 5, 6, 7");
    assert_eq!(s.untested(3, 5), 0, "4 was probed");
}
