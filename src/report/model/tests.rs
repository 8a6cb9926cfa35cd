//! The tables and the run summary every renderer shows, by example.

use super::*;
use crate::gate::Against;
use crate::report::example::example_check;

#[test]
fn row_values_follow_the_figure_kind() {
    let check = example_check();
    let lines: Vec<_> = check.rows.iter().map(check_line).collect();
    let cells = |i: usize| lines[i].cells().map(str::to_string);
    assert_eq!(cells(0)[1], "passed");
    assert_eq!(
        cells(1)[..4],
        ["99.90%", "99.95%", "+0.05 pts", "≥ 95.00%, drop ≤ 2.00 pts"]
    );
    assert_eq!(cells(2)[..4], ["12.0 us", "9.00 us", "-25.0%", "+15%"]);
    assert_eq!(cells(3)[..3], ["20.0 MB", "26.0 MB", "+30.0%"]);
    assert_eq!(cells(3)[4], "regressed");
    assert_eq!(cells(4)[..5], ["1.00 ms", "5.10 ms", "+410%", "", "info"]);
    assert_eq!(cells(5)[3], "≥ 95.00%");
    // a baseline-only row: the kind recorded from the baseline's figure
    assert_eq!(cells(7)[..3], ["99.80%", "—", ""]);
    assert_eq!(cells(7)[4], "missing");
}

#[test]
fn baseline_line_names_both_commits_and_the_paired_revision() {
    let check = example_check();
    assert_eq!(
        baseline_line(&check),
        "baseline 1a2b3c4d5e6f (main, 2024-05-01T12:34:56Z) from baselines/main.json \
         vs HEAD 9f8e7d6c5b4a (feature, dirty), 3 commits apart"
    );
    let against = Some(Against {
        rev: "main".into(),
        commit: "0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d".into(),
    });
    let mut both = check.clone();
    both.against = against;
    assert_eq!(
        baseline_line(&both),
        "baseline 1a2b3c4d5e6f (main, 2024-05-01T12:34:56Z) from baselines/main.json, \
         paired with main (commit 0a1b2c3d4e5f) vs HEAD 9f8e7d6c5b4a (feature, dirty), 3 commits apart"
    );
    let mut paired_only = both;
    paired_only.baseline_git = None;
    paired_only.baseline_path = None;
    paired_only.commits_between = None;
    assert_eq!(
        baseline_line(&paired_only),
        "paired with main (commit 0a1b2c3d4e5f) vs HEAD 9f8e7d6c5b4a (feature, dirty)"
    );
    let mut none = paired_only;
    none.against = None;
    none.head_git = None;
    assert_eq!(baseline_line(&none), "no baseline");
}

#[test]
fn check_warnings_include_scenario_warnings() {
    let w = check_warnings(&example_check());
    assert_eq!(w.len(), 4, "{w:?}");
    assert_eq!(
        w[..2],
        [
            "steady-10k / p99_ms: not-comparable (baseline from another machine)",
            "ramp / efficiency: missing (in the baseline, not measured in this run)"
        ]
    );
    assert!(w
        .iter()
        .any(|l| l == "steady-1k: generator was the bottleneck <b>"));
}

#[test]
fn the_run_summary_holds_every_figure_once() {
    let r = RunReport::example();
    let lines = run_summary(&r);
    let labels: Vec<&str> = lines.iter().map(|l| l.label).collect();
    assert_eq!(
        labels,
        [
            "target",
            "connections",
            "rate",
            id::EFFICIENCY,
            "generation efficiency",
            "min window efficiency",
            "CPU",
            "peak RSS"
        ]
    );
    assert_eq!(
        lines[1].value(),
        "HTTP/1.1, 50 opened; connect 0.100 ms, first byte 0.200 ms (means)"
    );
    assert_eq!(lines[2].value(), "1000 rps for 10 s, concurrency 50");
    assert_eq!(lines[3].efficiency, Some(r.efficiency));
    assert!(
        lines[3].value().starts_with("99.90% (achieved "),
        "{:?}",
        lines[3]
    );
    assert!(
        lines[6]
            .value()
            .ends_with("(includes the in-process embedded server)"),
        "{:?}",
        lines[6]
    );
    assert_eq!(lines[7].value(), "20.0 MB");
    let mut unknown = RunReport {
        target: String::new(),
        ..r.clone()
    };
    unknown.connections = Default::default();
    assert_eq!(run_summary(&unknown)[0].value(), "(unknown)");
    assert_eq!(
        run_summary(&unknown).len(),
        7,
        "no connections line for the null target"
    );
}

#[test]
fn a_run_without_certificate_verification_says_so_in_its_summary() {
    let mut r = RunReport::example();
    r.connections.tls_verified = Some(false);
    r.connections.tls_handshakes = 3;
    r.connections.tls_resumed = 2;
    let lines = run_summary(&r);
    assert_eq!(lines[1].label, "TLS");
    assert!(
        lines[1]
            .value()
            .starts_with("certificate NOT verified (insecure); 3 handshakes (2 resumed)"),
        "{:?}",
        lines[1]
    );
    r.connections.tls_verified = Some(true);
    r.connections.tls_handshakes = 1;
    r.connections.tls_resumed = 1;
    assert!(
        run_summary(&r)[1]
            .value()
            .starts_with("certificate verified; 1 handshake (1 resumed)"),
        "{:?}",
        run_summary(&r)[1]
    );
}

#[test]
fn run_tables_hold_every_figure_once() {
    let r = RunReport::example();
    assert_eq!(requests(&r).rows[0][2], "9990");
    let l = latency(&r);
    assert_eq!(l.header.len(), l.rows[0].len());
    assert_eq!(
        l.rows[0],
        ["response", "0.200", "0.300", "0.600", "1.00", "1.60", "0.220"]
    );
    assert!(outcomes(&r)
        .unwrap()
        .rows
        .contains(&vec!["HTTP 200".to_string(), "9990".into()]));
    let mut none = r.clone();
    none.status_codes.clear();
    none.errors.clear();
    none.phases.clear();
    assert!(outcomes(&none).is_none());
    assert!(phases(&none).is_none());
    let d = diagnostics(&r);
    assert!(d.rows.iter().all(|row| row.len() == 2));
    assert!(d.rows.iter().any(|row| row[0] == "channel full events"));
}

#[test]
fn check_table_puts_failures_first_and_info_last_under_scenario_headings() {
    let check = example_check();
    let parts = check_table(&check);
    let order: Vec<Part> = parts.iter().map(|p| p.0).collect();
    assert_eq!(order, [Part::Attention, Part::Judged, Part::Info]);
    let names = |i: usize| -> Vec<(&str, Vec<&str>)> {
        parts[i]
            .1
            .iter()
            .map(|b| {
                (
                    b.scenario.as_str(),
                    b.lines.iter().map(|l| l.figure.as_str()).collect(),
                )
            })
            .collect()
    };
    let nasty = "<script>alert(1)</script> | a,b:c%";
    assert_eq!(
        names(0),
        [
            ("steady-1k", vec!["peak_rss"]),
            (nasty, vec!["efficiency"]),
            ("steady-10k", vec!["p99_ms"]),
        ]
    );
    assert_eq!(
        names(1),
        [
            ("self-test", vec!["passed"]),
            ("steady-1k", vec!["efficiency", "cpu_us_per_request"]),
            ("ramp", vec!["efficiency"]),
        ]
    );
    assert_eq!(names(2), [("steady-1k", vec!["response_p99_ms"])]);
    assert_eq!(info_summary(&parts[2].1), "1 figure shown, not judged");
    // every row is in exactly one place
    let shown: usize = parts.iter().flat_map(|p| &p.1).map(|b| b.lines.len()).sum();
    assert_eq!(shown, check.rows.len());
}

#[test]
fn crash_logs_name_the_service_the_scenario_and_the_stream() {
    let mut check = crate::report::example::example_crash();
    let name = check.current.scenarios[0].name.clone();
    let logs = crash_logs(&check);
    assert_eq!(logs.len(), 1);
    assert_eq!(
        logs[0].heading,
        format!("service api exited during scenario {name} (exit status: 101)")
    );
    assert_eq!(logs[0].caption(), "its last 2 lines of standard error");
    // No error line: its standard output instead.
    let crash = check.current.scenarios[0].service_crash.as_mut().unwrap();
    crash.stderr.clear();
    let logs = crash_logs(&check);
    assert_eq!(logs[0].caption(), "its last line of standard output");
    assert_eq!(logs[0].lines, ["served 10"]);
    assert!(crash_logs(&crate::report::example::example_check()).is_empty());
}

/// The example check with its regressed peak RSS accepted by a trailer,
/// placed last among the rows (the gate puts accepted rows first; the
/// renderers must not rely on that).
fn with_an_accepted_row() -> CheckOutput {
    use crate::baseline::compare::{Acceptance, Note, Verdict};
    let mut check = example_check();
    let at = check
        .rows
        .iter()
        .position(|r| r.figure == "peak_rss")
        .expect("the peak_rss row");
    let mut row = check.rows.remove(at);
    row.verdict = Verdict::Accepted;
    row.note = Some(Note::Accepted {
        acceptance: Acceptance {
            pattern: "steady-1k/peak_rss".into(),
            bound: 0.4,
            reason: "a bigger cache, on purpose".into(),
            commit: "abcdef0123456789abcdef0123456789abcdef01".into(),
        },
        detail: row.note.take().map(Box::new),
    });
    check.rows.push(row);
    check.rows.retain(|r| !r.verdict.fails());
    check.passed = true;
    check
}

#[test]
fn an_accepted_row_comes_before_every_other_in_every_report() {
    use crate::report::{html, json, markdown, text};
    let check = with_an_accepted_row();
    let note = "accepted: +40% by abcdef012345 — a bigger cache, on purpose";
    let md = markdown::render_check_md(&check);
    let first = md.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("### ✅ ratecheck: PASS — 1 accepted: a bigger cache, on purpose ("),
        "{first}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows[2], "| **steady-1k** |  |  |  |  |  |  |", "{md}");
    assert!(
        rows[3].starts_with("| peak_rss |") && rows[3].contains("| accepted | "),
        "{md}"
    );
    assert!(rows[3].contains(note), "{}", rows[3]);

    let txt = text::render_check(&check, false);
    let peak = txt.find("peak_rss").expect("peak_rss in the text table");
    let selftest = txt.find("self-test").expect("the self-test row");
    assert!(peak < selftest, "{txt}");
    assert!(txt.contains("accepted"), "{txt}");

    let page = html::render_check_html(&check);
    let peak = page.find(">peak_rss<").expect("peak_rss in the HTML table");
    assert!(
        peak < page.find(">passed<").expect("the self-test row"),
        "{page}"
    );
    assert!(page.contains("class=\"v accepted\""), "{page}");

    let v: serde_json::Value = serde_json::from_str(&json::check_json(&check)).unwrap();
    let accepted: Vec<&serde_json::Value> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        accepted[0]["accepted"]["reason"],
        "a bigger cache, on purpose"
    );
    assert_eq!(accepted[0]["accepted"]["bound"], 0.4);
    assert!(accepted[0]["note"].as_str().unwrap().starts_with(note));
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] != "accepted")
        .all(|r| r.get("accepted").is_none()));
}

#[test]
fn the_baseline_line_names_rev_its_merge_base_and_whether_its_baseline_moved() {
    use crate::gate::BaseOfRev;
    let mut check = example_check();
    check.baseline_rev = Some(BaseOfRev {
        rev: "main".into(),
        rev_commit: "0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d".into(),
        merge_base: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d".into(),
        baseline_moved: true,
    });
    let line = baseline_line(&check);
    assert!(
        line.contains(
            "from baselines/main.json, the merge base 1a2b3c4d5e6f of HEAD and main \
             (main is at 0a1b2c3d4e5f now; its baseline has moved since) vs HEAD"
        ),
        "{line}"
    );
    let b = check.baseline_rev.as_mut().unwrap();
    b.baseline_moved = false;
    assert!(baseline_line(&check).contains("its baseline is unchanged since"));
    let b = check.baseline_rev.as_mut().unwrap();
    b.merge_base = b.rev_commit.clone();
    assert!(
        baseline_line(&check)
            .contains(", main at 0a1b2c3d4e5f, the merge base of HEAD and main vs HEAD"),
        "{}",
        baseline_line(&check)
    );
}

#[test]
fn the_check_verdict_names_scenarios_loaded_without_certificate_verification() {
    let mut check = example_check();
    let plain = check_verdict_line(&check);
    assert!(!plain.contains("NOT verified"), "{plain}");
    let report = check.current.scenarios[0].report.as_mut().unwrap();
    report.connections.tls_verified = Some(false);
    let line = check_verdict_line(&check);
    assert!(line.starts_with(&plain), "{line}");
    assert!(
        line.ends_with("; TLS certificate NOT verified (insecure): steady-1k"),
        "{line}"
    );
    // A verified one is not named.
    check.current.scenarios[0]
        .report
        .as_mut()
        .unwrap()
        .connections
        .tls_verified = Some(true);
    assert_eq!(check_verdict_line(&check), plain);
}
