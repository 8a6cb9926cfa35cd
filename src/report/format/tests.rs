//! The formatting of numbers, limits, notes and verdicts, by example.

use super::notes::note_words;
use super::*;

/// A row of `scenario` / `figure` with `verdict` and `note`.
fn row(scenario: &str, figure: &str, verdict: Verdict, note: Option<Note>) -> Row {
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        unit: "ms".into(),
        kind: RowKind::Figure(FigureKind::Latency),
        baseline: Some(1.0),
        current: Some(1.1),
        change: Some(0.1),
        limit: Limit::relative(0.15, 3.0),
        verdict,
        note,
        functions: Vec::new(),
        lines: Vec::new(),
        profile_gap: None,
    }
}

/// One row of every verdict, `steady-10k / p99_ms` not comparable.
fn rows() -> Vec<Row> {
    let machine = Some(Note::MachineDiffers);
    vec![
        row(id::scenario::SELF_TEST, id::PASSED, Verdict::Ok, None),
        row("steady-1k", id::EFFICIENCY, Verdict::Ok, None),
        row("steady-1k", "cpu", Verdict::Improved, None),
        row("steady-1k", "rss", Verdict::Regressed, None),
        row("steady-1k", "p99", Verdict::Info, None),
        row("nasty", id::EFFICIENCY, Verdict::BelowFloor, None),
        row("steady-10k", "p99_ms", Verdict::NotComparable, machine),
        row("ramp", id::EFFICIENCY, Verdict::Missing, None),
    ]
}

#[test]
fn efficiency_grades() {
    let g = |e| efficiency_grade(e, DEFAULT_EFFICIENCY_FLOOR);
    assert_eq!(g(1.0), Grade::Good);
    assert_eq!(g(0.99), Grade::Good);
    assert_eq!(g(0.989), Grade::Short);
    assert_eq!(g(DEFAULT_EFFICIENCY_FLOOR), Grade::Short);
    assert_eq!(g(0.949), Grade::Bad);
    assert_eq!(g(f64::NAN), Grade::Bad);
    // a stricter floor of the scenario's own
    assert_eq!(efficiency_grade(0.985, 0.99), Grade::Bad);
    assert_eq!(efficiency_grade(0.995, 0.995), Grade::Good);
}

#[test]
fn percentages_have_two_decimals() {
    assert_eq!(pct(0.9995), "99.95%");
    assert_eq!(pct(1.0), "100.00%");
    assert_eq!(pct(f64::NAN), "n/a");
}

#[test]
fn three_significant_digits() {
    assert_eq!(sig3(0.2), "0.200");
    assert_eq!(sig3(12.345), "12.3");
    assert_eq!(sig3(123.45), "123");
    assert_eq!(sig3(1234.5), "1235");
    assert_eq!(sig3(9.996), "10.0");
    assert_eq!(sig3(0.012345), "0.0123");
    assert_eq!(sig3(-1.5), "-1.50");
    assert_eq!(sig3(0.0), "0");
}

#[test]
fn units() {
    assert_eq!(ms(0.15), "0.150 ms");
    assert_eq!(mb(20_000_000), "20.0 MB");
    assert_eq!(rps(1000.0), "1000");
    assert_eq!(rps(0.5), "0.500");
    assert_eq!(secs(10.0), "10 s");
}

#[test]
fn notes_read_in_words() {
    let words = |n: Note| note_words(&n);
    let floor = |cause: Option<&str>| Note::BelowFloor {
        floor: 0.955,
        cause: cause.map(str::to_string),
    };
    assert_eq!(words(floor(None)), "below the floor of 95.5%");
    assert_eq!(words(floor(Some("x"))), "below the floor of 95.5%: x");
    let dropped = Note::Dropped {
        drop: 0.03,
        limit: 0.02,
    };
    assert_eq!(words(dropped), "dropped 3.0 points (limit 2.0)");
    assert_eq!(
        words(Note::AboveCeiling { max: 0.0 }),
        "error rate above 0%"
    );
    let above = |allowed: f64, unit: &str, trials: usize| Note::AboveBaseline {
        allowed,
        unit: unit.into(),
        trials,
    };
    assert_eq!(
        words(above(15.0, "us", 5)),
        "median of 5 trials above baseline + 15.000 us"
    );
    assert_eq!(words(above(0.0025, "", 1)), "above baseline + 2.50e-3");
    assert_eq!(words(above(1500.0, "B", 1)), "above baseline + 1500 B");
    let new = Note::NoBaseline {
        why: NoBaseline::NewFigure,
        only: Some(OnlyLimit::Ceiling),
    };
    assert_eq!(words(new), "new figure, no baseline; ceiling only");
    let nan = Note::NotANumber {
        kind: FigureKind::Efficiency,
        cause: None,
    };
    assert_eq!(words(nan), "efficiency was not measured (not a number)");
    let kind = Note::KindChanged {
        from: FigureKind::Memory,
        to: FigureKind::Info,
    };
    assert_eq!(
        words(kind),
        "kind changed from Memory to Info: re-measure the baseline"
    );
    let paired = Note::Paired {
        rev: "main".into(),
        pairs: 20,
        ratio: 1.05,
        low: 1.031,
        high: 1.069,
    };
    assert_eq!(
        words(paired),
        "paired with main (20 pairs), ratio 1.050 [1.031, 1.069]"
    );
    let crash = crate::figure::ServiceCrash {
        service: "api".into(),
        status: "exit status: 3".into(),
        stderr: vec!["boom".into()],
        stdout: vec![],
    };
    assert_eq!(
        words(Note::ServiceExited { crash: Some(crash) }),
        "service api exited during the run (exit status: 3): boom"
    );
    assert_eq!(
        words(Note::NoBuild {
            side: Side::Baseline
        }),
        "the baseline records no build (re-save it)"
    );
}

#[test]
fn a_note_names_the_functions_that_moved_most() {
    let mut row = row("cpu", "instructions", Verdict::Improved, None);
    row.functions = vec![FunctionDelta {
        function: "hot".into(),
        baseline: 600.0,
        current: 630.0,
        version_change: None,
    }];
    assert_eq!(note_text(&row), "most changed: hot +30 (600 → 630)");
    row.note = Some(Note::AboveBaseline {
        allowed: 20.0,
        unit: "instr".into(),
        trials: 1,
    });
    assert_eq!(
        note_text(&row),
        "above baseline + 20.000 instr; most changed: hot +30 (600 → 630)"
    );
}

#[test]
fn functions_are_grouped_by_crate_and_lines_follow() {
    let f = |function: &str, current: f64, version_change: Option<&str>| FunctionDelta {
        function: function.into(),
        baseline: 100.0,
        current,
        version_change: version_change.map(String::from),
    };
    let mut row = row("instructions", "i", Verdict::Regressed, None);
    row.functions = vec![
        f(
            "hyper::proto::h1::dispatch::poll_write",
            400.0,
            Some("1.4.1 → 1.5.0"),
        ),
        f("ratecheck_engine::server::answer", 200.0, None),
        f(
            "<hyper::proto::h1::role::Server as hyper::X>::parse",
            90.0,
            Some("1.4.1 → 1.5.0"),
        ),
        f("memcpy", 101.0, None),
    ];
    row.lines = vec![LineDelta {
        file: "crates/ratecheck-engine/src/server.rs".into(),
        line: 221,
        baseline: 0.0,
        current: 3000.0,
    }];
    assert_eq!(
        note_text(&row),
        "most changed: hyper 1.4.1 → 1.5.0 (version changed): \
         hyper::proto::h1::dispatch::poll_write +300 (100 → 400), \
         <hyper::proto::h1::role::Server as hyper::X>::parse -10 (100 → 90); \
         ratecheck_engine: ratecheck_engine::server::answer +100 (100 → 200); \
         memcpy +1 (100 → 101); \
         lines: crates/ratecheck-engine/src/server.rs:221 +3000 (0 → 3000)"
    );
    row.functions.clear();
    row.lines.clear();
    row.profile_gap = Some(ProfileGap::NoLines);
    assert_eq!(
        note_text(&row),
        "lines: not recorded in the baseline (re-save it to name them)"
    );
}

#[test]
fn the_summary_counts_verdicts_and_warnings_name_unjudged_rows() {
    assert_eq!(
        summary_text(&rows()),
        "gate FAILED: 1 regressed, 1 below-floor, 2 ok, 1 improved, 1 not-comparable, 1 missing, 1 info"
    );
    let warnings: Vec<String> = crate::gate::unjudged(&rows())
        .iter()
        .map(warning_text)
        .collect();
    assert_eq!(
        warnings,
        [
            "steady-10k / p99_ms: not-comparable (baseline from another machine)",
            "ramp / efficiency: missing"
        ]
    );
    assert_eq!(summary_text(&[]), "gate passed: no figures");
    let noisy = Noisy {
        scenario: "cpu".into(),
        figure: "http".into(),
        spread: 0.4,
        tolerance: 0.15,
    };
    assert_eq!(
        baseline_problem_text(&BaselineProblem::Noisy(noisy)),
        "cpu / http: trials spread ±40% around the median, wider than its ±15% tolerance"
    );
    assert_eq!(verdict_word(Verdict::NotComparable), "not-comparable");
}

#[test]
fn limits_read_in_the_units_of_their_values() {
    assert_eq!(limit_text(&Limit::Floor { min: 0.95 }), "≥ 95.00%");
    assert_eq!(limit_text(&Limit::MaxErrorRate { max: 0.0 }), "≤ 0.00%");
    assert_eq!(limit_text(&Limit::relative(0.005, 3.0)), "+0.5%");
    let widened = Limit::Relative {
        allowed: 0.30000000000000004,
        tolerance: 0.15,
        spread_factor: 3.0,
    };
    assert_eq!(limit_text(&widened), "+30% (3× spread)");
    let latency = Limit::Latency {
        tolerance: 0.5,
        slack_ms: 0.2,
    };
    assert_eq!(limit_text(&latency), "max(+50%, +0.200 ms)");
    assert_eq!(limit_text(&Limit::MustPass), "passed");
    assert_eq!(limit_text(&Limit::MustStayUp), "alive");
    assert_eq!(limit_text(&Limit::None), "");
}

#[test]
fn verdict_line_counts_failures_or_passes() {
    let mut rows = rows();
    assert_eq!(
        verdict_line(&rows, false),
        "ratecheck: FAIL — 1 regressed, 1 below floor; not comparable: steady-10k/p99_ms (baseline from another machine)"
    );
    rows.retain(|r| !is_failure(r.verdict));
    assert_eq!(
        verdict_line(&rows, true),
        "ratecheck: PASS — 2 figures ok, 1 improved, 1 not comparable, 1 missing, 1 info; not comparable: steady-10k/p99_ms (baseline from another machine)"
    );
    rows.retain(|r| r.verdict != Verdict::NotComparable);
    assert_eq!(
        verdict_line(&rows, true),
        "ratecheck: PASS — 2 figures ok, 1 improved, 1 missing, 1 info"
    );
    assert!(!verdict_line(&rows, true).contains("NOT JUDGED"));
}

/// The same figure of two scenarios, not comparable for the same
/// reason, is named twice with its scenario, never twice bare.
#[test]
fn the_verdict_line_names_each_figure_not_judged_with_its_scenario() {
    let machine = || Some(Note::MachineDiffers);
    let unavailable = Some(Note::Unavailable {
        why: "no valgrind".into(),
    });
    let rows = [
        row(
            "steady-1k",
            id::RESPONSE_P50_MS,
            Verdict::NotComparable,
            machine(),
        ),
        row("steady-1k", id::EFFICIENCY, Verdict::Ok, None),
        row(
            "steady-10k",
            id::RESPONSE_P50_MS,
            Verdict::NotComparable,
            machine(),
        ),
        row("instructions", "http", Verdict::NotComparable, unavailable),
    ];
    assert_eq!(
        verdict_line(&rows, true),
        "ratecheck: PASS — 1 figure ok, 3 not comparable; not comparable: \
         steady-1k/response_p50_ms, steady-10k/response_p50_ms (baseline from another machine); \
         instructions/http (not measured: no valgrind)"
    );
}
