//! Human-readable terminal output built with comfy-table. Colour is an
//! explicit argument (the caller decides from `--color` and whether stdout is
//! a terminal), so the rendering itself stays pure and testable.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, Table};

use crate::baseline::compare::Verdict;
use crate::baseline::model::CheckOutput;
use crate::metrics::snapshot::{Percentiles, RunReport};
use crate::report::format::{
    baseline_line, check_warnings, efficiency_grade, mb, ms, pct, row_cells, rps, secs, sig3,
    verdict_line, Grade,
};

/// A new table with the house style; styling is emitted only when `color`.
fn table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn num(x: impl ToString) -> Cell {
    Cell::new(x).set_alignment(CellAlignment::Right)
}

/// Wraps `s` in an ANSI colour when `color` is set.
fn paint(s: &str, c: Color, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match c {
        Color::Green => "32",
        Color::Red => "31",
        Color::Yellow => "33",
        _ => "1",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// An efficiency as a percentage, green / yellow / red by its [`Grade`].
fn efficiency(e: f64, color: bool) -> String {
    let c = match efficiency_grade(e) {
        Grade::Good => Color::Green,
        Grade::Short => Color::Yellow,
        Grade::Bad => Color::Red,
    };
    paint(&pct(e), c, color)
}

/// The full report of one engine run: summary, requests, phases, latency,
/// status codes and errors, CPU and memory, diagnostics and warnings.
pub fn render_run(report: &RunReport, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&run_summary(report, color));
    out.push('\n');
    out.push_str(&run_details(report, color));
    out
}

/// The summary lines of a run (also reused by the check renderer).
fn run_summary(r: &RunReport, color: bool) -> String {
    let mut out = String::new();
    let target = if r.target.is_empty() {
        "(unknown)"
    } else {
        &r.target
    };
    out.push_str(&format!("target:                {target}\n"));
    out.push_str(&format!(
        "rate:                  {} rps for {}, concurrency {}\n",
        rps(r.target_rps),
        secs(r.duration_s),
        r.concurrency
    ));
    out.push_str(&format!(
        "efficiency:            {} (achieved {} rps)\n",
        efficiency(r.efficiency, color),
        sig3(r.achieved_rps())
    ));
    out.push_str(&format!(
        "generation efficiency: {}\n",
        efficiency(r.generation_efficiency, color)
    ));
    out.push_str(&format!(
        "min window efficiency: {}\n",
        efficiency(r.min_window_efficiency, color)
    ));
    out
}

fn latency_row(name: &str, p: &Percentiles) -> Vec<Cell> {
    vec![
        Cell::new(name),
        num(sig3(p.p50)),
        num(sig3(p.p90)),
        num(sig3(p.p99)),
        num(sig3(p.p999)),
        num(sig3(p.max)),
    ]
}

/// Everything after the summary.
fn run_details(r: &RunReport, color: bool) -> String {
    let mut out = String::new();

    let q = r.requests;
    let mut t = table(color);
    t.set_header(vec![
        "expected",
        "generated",
        "completed",
        "succeeded",
        "failed",
        "dropped",
    ]);
    t.add_row(vec![
        num(q.expected),
        num(q.generated),
        num(q.completed),
        num(q.succeeded),
        num(q.failed),
        num(q.dropped),
    ]);
    out.push_str(&format!("Requests\n{t}\n"));

    if !r.phases.is_empty() {
        let mut t = table(color);
        t.set_header(vec![
            "phase",
            "from",
            "to",
            "expected",
            "generated",
            "completed",
            "efficiency",
            "generation",
        ]);
        for p in &r.phases {
            t.add_row(vec![
                Cell::new(&p.name),
                num(secs(p.start_s)),
                num(secs(p.end_s)),
                num(p.expected),
                num(p.generated),
                num(p.completed),
                num(pct(p.efficiency)),
                num(pct(p.generation_efficiency)),
            ]);
        }
        out.push_str(&format!("\nPhases\n{t}\n"));
    }

    let mut t = table(color);
    t.set_header(vec!["latency (ms)", "p50", "p90", "p99", "p99.9", "max"]);
    t.add_row(latency_row("response", &r.latency_ms.response));
    t.add_row(latency_row("service", &r.latency_ms.service));
    t.add_row(latency_row("schedule lag", &r.latency_ms.schedule_lag));
    for i in 1..6 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    out.push_str(&format!("\nLatency\n{t}\n"));

    if !r.status_codes.is_empty() || !r.errors.is_empty() {
        let mut t = table(color);
        t.set_header(vec!["outcome", "count"]);
        for (code, n) in &r.status_codes {
            t.add_row(vec![Cell::new(format!("HTTP {code}")), num(n)]);
        }
        for (kind, n) in &r.errors {
            t.add_row(vec![Cell::new(format!("error: {kind}")), num(n)]);
        }
        out.push_str(&format!("\nStatus codes and errors\n{t}\n"));
    }

    out.push_str(&format!(
        "\nCPU:    {}% of a core (user {}, system {}){}\n",
        sig3(r.cpu.percent_of_core),
        secs(r.cpu.user_s),
        secs(r.cpu.system_s),
        if r.cpu.includes_server {
            " (includes the in-process embedded server)"
        } else {
            ""
        }
    ));
    out.push_str(&format!(
        "Memory: peak RSS {}\n",
        mb(r.memory.peak_rss_bytes)
    ));

    out.push_str(&format!("\nDiagnostics\n{}\n", diagnostics_table(r, color)));

    if !r.warnings.is_empty() {
        out.push_str(&format!("\n{}\n", paint("Warnings", Color::Yellow, color)));
        for w in &r.warnings {
            out.push_str(&format!("  - {w}\n"));
        }
    }
    out
}

/// Diagnostics as (name, value) pairs, shared with the other renderers.
pub(crate) fn diagnostics_pairs(r: &RunReport) -> Vec<(&'static str, String)> {
    let d = &r.diagnostics;
    vec![
        ("limiter granted", d.limiter_granted.to_string()),
        ("limiter waits", d.limiter_waits.to_string()),
        ("limiter wait total", ms(d.limiter_wait_ms_total)),
        ("limiter wait max", ms(d.limiter_wait_ms_max)),
        ("limiter blocked", d.limiter_blocked.to_string()),
        ("limiter refills", d.limiter_refills.to_string()),
        ("limiter efficiency", pct(d.limiter_efficiency)),
        ("generator wakes", d.generator_wakes.to_string()),
        ("largest batch", d.batch_size_max.to_string()),
        ("channel capacity", d.channel_capacity.to_string()),
        ("channel full events", d.channel_full_events.to_string()),
        ("channel max occupancy", d.channel_max_occupancy.to_string()),
        ("channel mean occupancy", sig3(d.channel_mean_occupancy)),
        ("latency samples lost", d.latency_samples_lost.to_string()),
        ("series overflow", d.series_overflow.to_string()),
        ("abandoned in flight", d.abandoned_in_flight.to_string()),
        (
            "cancelled",
            if d.cancelled { "yes" } else { "no" }.to_string(),
        ),
        ("wall time", secs(d.wall_s)),
    ]
}

fn diagnostics_table(r: &RunReport, color: bool) -> Table {
    let mut t = table(color);
    t.set_header(vec!["diagnostic", "value"]);
    for (k, v) in diagnostics_pairs(r) {
        t.add_row(vec![Cell::new(k), num(v)]);
    }
    t
}

fn verdict_color(v: Verdict) -> Option<Color> {
    match v {
        Verdict::Ok | Verdict::Improved => Some(Color::Green),
        Verdict::Regressed | Verdict::BelowFloor => Some(Color::Red),
        Verdict::NotComparable | Verdict::Missing => Some(Color::Yellow),
    }
}

/// The gate's result: the diff table (scenario, figure, baseline, current,
/// change, limit, verdict, and notes when any row has one), the baseline
/// commit vs HEAD, warnings, and a final one-line verdict.
pub fn render_check(check: &CheckOutput, color: bool) -> String {
    let mut out = String::new();
    let with_notes = check.rows.iter().any(|r| !r.note.is_empty());
    let mut t = table(color);
    let mut header = vec![
        "scenario", "figure", "baseline", "current", "change", "limit", "verdict",
    ];
    if with_notes {
        header.push("note");
    }
    t.set_header(header);
    for row in &check.rows {
        let [base, cur, change, limit, verdict] = row_cells(check, row);
        let mut verdict = Cell::new(verdict);
        if color {
            if let Some(c) = verdict_color(row.verdict) {
                verdict = verdict.fg(c);
            }
        }
        let mut cells = vec![
            Cell::new(&row.scenario),
            Cell::new(&row.figure),
            num(base),
            num(cur),
            num(change),
            Cell::new(limit),
            verdict,
        ];
        if with_notes {
            cells.push(Cell::new(row.note.replace(['\r', '\n'], " ")));
        }
        t.add_row(cells);
    }
    if check.rows.is_empty() {
        out.push_str("no figures compared\n");
    } else {
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&format!("{}\n", baseline_line(check)));
    if check.current.quick {
        out.push_str("quick run: only the --quick scenarios were measured\n");
    }

    let warnings = check_warnings(check);
    if !warnings.is_empty() {
        out.push_str(&format!("\n{}\n", paint("Warnings", Color::Yellow, color)));
        for w in &warnings {
            out.push_str(&format!("  - {w}\n"));
        }
    }

    let line = verdict_line(check);
    let c = match (check.judged, check.passed) {
        (true, true) => Color::Green,
        (true, false) => Color::Red,
        (false, _) => Color::Yellow,
    };
    out.push_str(&format!("\n{}\n", paint(&line, c, color)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_report_has_every_section_and_figure() {
        let r = RunReport::example();
        let s = render_run(&r, false);
        for needle in [
            "embedded http://127.0.0.1:40000/",
            "1000 rps for 10 s, concurrency 50",
            "efficiency:            99.90%",
            "generation efficiency: 100.00%",
            "min window efficiency: 99.80%",
            "expected",
            "dropped",
            "steady",
            "schedule lag",
            "p99.9",
            "0.200", // response p50
            "1.60",  // response max = 0.2 × 8
            "HTTP 200",
            "9990",
            "11.0% of a core",
            "(includes the in-process embedded server)",
            "peak RSS 20.0 MB",
            "channel full events",
        ] {
            assert!(s.contains(needle), "missing {needle:?} in\n{s}");
        }
        assert!(!s.contains('\x1b'), "no colour codes when color=false");
        assert!(s.ends_with('\n'));
    }

    #[test]
    fn server_note_only_when_server_was_in_process() {
        let mut r = RunReport::example();
        r.cpu.includes_server = false;
        assert!(!render_run(&r, false).contains("embedded server)"));
    }

    #[test]
    fn warnings_and_errors_are_listed() {
        let mut r = RunReport::example();
        r.warnings = vec!["concurrency 10 cannot carry 10000 RPS".into()];
        r.errors.insert("timeout".into(), 7);
        let s = render_run(&r, false);
        assert!(s.contains("Warnings"));
        assert!(s.contains("  - concurrency 10 cannot carry 10000 RPS"));
        assert!(s.contains("error: timeout"));
    }

    #[test]
    fn colour_only_when_asked() {
        let r = RunReport::example();
        assert!(render_run(&r, true).contains("\x1b[32m99.90%"));
    }

    #[test]
    fn check_table_has_every_column_and_verdict() {
        let check = crate::report::format::example_check();
        let s = render_check(&check, false);
        for needle in [
            "scenario",
            "figure",
            "baseline",
            "current",
            "change",
            "limit",
            "verdict",
            "note",
            "ok",
            "improved",
            "regressed",
            "below-floor",
            "not-comparable",
            "missing",
            "steady-1k",
            "+30.0%",
            "20.0 MB",
            "26.0 MB",
            "99.95%",
            "passed",
            "baseline 1a2b3c4d5e6f (main, 2024-05-01T12:34:56Z)",
            "vs HEAD 9f8e7d6c5b4a (feature, dirty), 3 commits apart",
            "  - steady-1k: generator was the bottleneck <b>",
        ] {
            assert!(s.contains(needle), "missing {needle:?} in\n{s}");
        }
        assert!(s
            .trim_end()
            .ends_with("ratecheck: FAIL — 1 regressed, 1 below floor; NOT JUDGED: p99_ms (baseline from another machine)"));
        assert!(!s.contains('\x1b'));
        // a note's newline must not break the table
        assert!(s.contains("below the floor of 0.950 second line"));
    }

    #[test]
    fn check_verdicts_coloured_only_when_asked() {
        let check = crate::report::format::example_check();
        let s = render_check(&check, true);
        assert!(s.contains('\x1b'));
        assert!(s.contains("\x1b[31mratecheck: FAIL"));
    }
}
