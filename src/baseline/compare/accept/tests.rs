//! Tests of the trailer's grammar, the patterns and the rules that accept
//! (or not) a regression, on hand-built rows.

use super::*;
use crate::baseline::compare::Limit;
use crate::figure::FigureKind;

const C1: &str = "1111111111111111111111111111111111111111";
const C2: &str = "2222222222222222222222222222222222222222";

fn accept(value: &str) -> Acceptance {
    Acceptance::parse(value, C1).unwrap()
}

/// An instruction row `change` above its baseline of 1000, regressed past
/// +2% when it is, with the note the comparison gives.
fn row(scenario: &str, figure: &str, change: f64) -> Row {
    let regressed = change > 0.02;
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: "instr".into(),
        kind: RowKind::Figure(FigureKind::Instructions),
        baseline: Some(1000.0),
        current: Some(1000.0 * (1.0 + change)),
        change: Some(change),
        limit: Limit::relative(0.02, 3.0),
        verdict: if regressed {
            Verdict::Regressed
        } else {
            Verdict::Ok
        },
        note: regressed.then(|| Note::AboveBaseline {
            allowed: 20.0,
            unit: "instr".into(),
            trials: 1,
        }),
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

fn paired(row: Row) -> Row {
    Row {
        note: Some(Note::Paired {
            rev: "main".into(),
            pairs: 20,
            ratio: 1.0 + row.change.unwrap(),
            low: 1.0,
            high: 1.2,
        }),
        ..row
    }
}

const VALID: Refresh = Refresh::Changed {
    saved_at: None,
    dirty: false,
    in_pull: true,
};

fn pull<'a>(acceptances: &'a [Acceptance], refresh: Option<&'a Refresh>) -> Pull<'a> {
    Pull {
        acceptances,
        refresh,
        reproduce: &[],
    }
}

#[test]
fn a_trailer_reads_pattern_bound_separator_and_reason() {
    let a = accept("*/instructions_per_request_http +6% — parse every header");
    assert_eq!(a.pattern, "*/instructions_per_request_http");
    assert!((a.bound - 0.06).abs() < 1e-12);
    assert_eq!(a.reason, "parse every header");
    assert_eq!(a.commit, C1);
    for sep in ["--", "-"] {
        let a = accept(&format!("steady-1k/* +12.5% {sep} a reason - with dashes"));
        assert!((a.bound - 0.125).abs() < 1e-12);
        assert_eq!(a.reason, "a reason - with dashes");
    }
}

#[test]
fn a_trailer_that_does_not_read_names_the_commit_and_the_problem() {
    let cases = [
        ("instructions_per_request_http +6% — x", "figure pattern"),
        ("*/x 6% — x", "bound"),
        ("*/x +0% — x", "bound"),
        ("*/x +six% — x", "bound"),
        ("*/x +6%", "reason"),
        ("*/x +6% —", "reason"),
        ("*/x +6% because", "reason"),
        ("*/x +6% —reason", "reason"),
        ("*/[x +6% — x", "figure pattern"),
    ];
    for (value, what) in cases {
        let e = Acceptance::parse(value, C1).unwrap_err();
        let line = e.to_string();
        assert!(
            line.starts_with("commit 111111111111: `Ratecheck-Accept: "),
            "{line}"
        );
        assert!(line.contains(what), "{value}: {line}");
        assert!(!line.contains('\n'));
    }
}

#[test]
fn patterns_match_scenario_slash_figure_with_globs() {
    let a = accept("*/instructions_per_request_http +6% — x");
    assert!(a.matches("instructions", "instructions_per_request_http"));
    assert!(!a.matches("instructions", "instructions_per_request_null"));
    let a = accept("steady-1k/* +6% — x");
    assert!(a.matches("steady-1k", "cpu_us_per_request_http"));
    assert!(!a.matches("steady-10k", "cpu_us_per_request_http"));
    let a = accept("*/*_http +6% — x");
    assert!(a.matches("instructions", "allocs_per_request_http"));
}

#[test]
fn trailers_are_read_from_every_added_commit_whatever_the_key_s_case() {
    let commit = |sha: &str, trailers: &[(&str, &str)]| AddedCommit {
        commit: sha.into(),
        trailers: trailers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let commits = [
        commit(
            C2,
            &[
                ("Signed-off-by", "a"),
                ("ratecheck-accept", "a/b +1% — one"),
            ],
        ),
        commit(C1, &[("Ratecheck-Accept", "c/d +2% — two")]),
    ];
    let all = acceptances(&commits).unwrap();
    assert_eq!(
        all.iter()
            .map(|a| (a.reason.as_str(), a.commit.as_str()))
            .collect::<Vec<_>>(),
        [("one", C2), ("two", C1)]
    );
    let bad = [commit(C2, &[("Ratecheck-Accept", "oops")])];
    assert!(acceptances(&bad)
        .unwrap_err()
        .to_string()
        .contains("222222222222"));
}

#[test]
fn a_regression_within_its_bound_and_a_valid_refresh_is_accepted_and_shown_first() {
    let a = [accept(
        "*/instructions_per_request_http +6% — slower on purpose",
    )];
    let rows = vec![
        row("instructions", "allocs_per_request_http", 0.0),
        row("instructions", "instructions_per_request_http", 0.05),
    ];
    let out = apply(rows, &pull(&a, Some(&VALID)));
    assert_eq!(out[0].figure, "instructions_per_request_http");
    assert_eq!(out[0].verdict, Verdict::Accepted);
    let Some(Note::Accepted { acceptance, detail }) = &out[0].note else {
        panic!("{:?}", out[0].note);
    };
    assert_eq!(acceptance, &a[0]);
    assert!(matches!(
        detail.as_deref(),
        Some(Note::AboveBaseline { .. })
    ));
    assert_eq!(out[1].verdict, Verdict::Ok);
}

/// The one row's verdict and what is missing, for `refresh`.
fn missing(a: &[Acceptance], refresh: Option<&Refresh>, change: f64) -> (Verdict, Option<Missing>) {
    let r = row("instructions", "instructions_per_request_http", change);
    let out = apply(vec![r], &pull(a, refresh)).remove(0);
    let m = match out.note {
        Some(Note::NotAccepted { missing, .. }) => Some(missing),
        _ => None,
    };
    (out.verdict, m)
}

#[test]
fn each_missing_part_leaves_the_row_regressed_saying_what_is_missing() {
    let a = [accept("*/* +6% — x")];
    assert_eq!(
        missing(&a, Some(&Refresh::Unchanged), 0.05),
        (
            Verdict::Regressed,
            Some(Missing::Refresh { by: a[0].clone() })
        )
    );
    let outside = Refresh::Changed {
        saved_at: Some(C2.into()),
        dirty: false,
        in_pull: false,
    };
    assert_eq!(
        missing(&a, Some(&outside), 0.05),
        (
            Verdict::Regressed,
            Some(Missing::SavedOutside {
                saved_at: Some(C2.into())
            })
        )
    );
    let dirty = Refresh::Changed {
        saved_at: Some(C2.into()),
        dirty: true,
        in_pull: true,
    };
    assert_eq!(
        missing(&a, Some(&dirty), 0.05),
        (Verdict::Regressed, Some(Missing::SavedDirty))
    );
    assert_eq!(
        missing(&[], Some(&VALID), 0.05),
        (Verdict::Regressed, Some(Missing::Trailer))
    );
    assert_eq!(
        missing(&a, Some(&VALID), 0.07),
        (
            Verdict::Regressed,
            Some(Missing::Bound { by: a[0].clone() })
        )
    );
    // The widest trailer naming the figure decides.
    let two = [accept("*/* +6% — x"), accept("instructions/* +8% — y")];
    assert_eq!(missing(&two, Some(&VALID), 0.07).0, Verdict::Accepted);
    // No trailer and no refresh: a plain regression, no hint.
    assert_eq!(
        missing(&[], Some(&Refresh::Unchanged), 0.05),
        (Verdict::Regressed, None)
    );
    // Judged against no committed baseline (no --baseline-rev): a trailer
    // alone does not accept a baseline row.
    assert_eq!(missing(&a, None, 0.05), (Verdict::Regressed, None));
}

#[test]
fn a_paired_row_needs_the_trailer_only() {
    let a = [accept("*/instructions_per_request_http +6% — x")];
    let r = paired(row("instructions", "instructions_per_request_http", 0.05));
    let out = apply(vec![r.clone()], &pull(&a, Some(&Refresh::Unchanged)));
    assert_eq!(out[0].verdict, Verdict::Accepted);
    let out = apply(vec![r.clone()], &pull(&a, None));
    assert_eq!(out[0].verdict, Verdict::Accepted);
    // beyond the bound it stays regressed
    let far = paired(row("instructions", "instructions_per_request_http", 0.09));
    assert_eq!(
        apply(vec![far], &pull(&a, None))[0].verdict,
        Verdict::Regressed
    );
    // and without a trailer it is a plain regression, even with a refresh
    let out = apply(vec![r], &pull(&[], Some(&VALID)));
    assert_eq!(out[0].verdict, Verdict::Regressed);
    assert!(matches!(out[0].note, Some(Note::Paired { .. })));
}

#[test]
fn a_floor_or_a_figure_not_measured_is_never_accepted() {
    let a = [accept("*/* +100% — anything")];
    let mut floor = row("steady-1k", "efficiency", 0.0);
    floor.verdict = Verdict::BelowFloor;
    floor.note = Some(Note::BelowFloor {
        floor: 0.95,
        cause: None,
    });
    let mut gone = row("instructions", "instructions_per_request_http", 0.0);
    gone.verdict = Verdict::Regressed;
    gone.change = None;
    gone.note = Some(Note::NotMeasured { judged: true });
    let out = apply(vec![floor.clone(), gone.clone()], &pull(&a, Some(&VALID)));
    assert_eq!(out, [floor, gone]);
}

#[test]
fn figures_the_pull_request_s_baseline_records_and_this_run_does_not_reproduce_fail() {
    let a = [accept("*/* +60% — on purpose")];
    // Accepted against the merge base, but the run is 10% above what the
    // pull request's baseline records (a further slowdown on top).
    let accepted = row("instructions", "instructions_per_request_http", 0.15);
    let mut there = row("instructions", "instructions_per_request_http", 0.10);
    there.baseline = Some(1045.0);
    // Unchanged against the merge base, but the pull request's baseline
    // claims 20% more (a hand-loosened baseline): improved there.
    let ok = row("instructions", "allocs_per_request_http", 0.0);
    let mut loosened = row("instructions", "allocs_per_request_http", -0.17);
    loosened.verdict = Verdict::Improved;
    loosened.note = None;
    // Reproduced within its limit: left alone.
    let same = row("instructions", "instructions_per_request_null", 0.0);
    let same_there = row("instructions", "instructions_per_request_null", 0.01);
    let reproduce = [there, loosened, same_there];
    let p = Pull {
        acceptances: &a,
        refresh: Some(&VALID),
        reproduce: &reproduce,
    };
    let out = apply(vec![accepted, ok, same.clone()], &p);
    for r in &out[..2] {
        assert_eq!(r.verdict, Verdict::Regressed, "{r:?}");
        assert!(matches!(r.note, Some(Note::NotReproduced { .. })), "{r:?}");
    }
    let Some(Note::NotReproduced {
        recorded, detail, ..
    }) = &out[0].note
    else {
        unreachable!()
    };
    assert_eq!(*recorded, 1045.0);
    assert!(matches!(detail.as_deref(), Some(Note::Accepted { .. })));
    assert_eq!(out[2], same);

    // Only when the pull request changed the baseline.
    let unchanged = Pull {
        refresh: Some(&Refresh::Unchanged),
        ..p
    };
    let ok = row("instructions", "allocs_per_request_http", 0.0);
    assert_eq!(
        apply(vec![ok.clone()], &unchanged),
        std::slice::from_ref(&ok)
    );
    // And never for a paired row: its pair judged it.
    let paired_ok = paired(ok);
    assert_eq!(apply(vec![paired_ok.clone()], &p), [paired_ok]);
}

#[test]
fn trailers_naming_no_row_are_reported() {
    let a = [
        accept("*/instructions_per_request_http +6% — x"),
        accept("nope/* +6% — y"),
    ];
    let rows = [row("instructions", "instructions_per_request_http", 0.0)];
    let left = unmatched(&a, &rows);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].pattern, "nope/*");
}
