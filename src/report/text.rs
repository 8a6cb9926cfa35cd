//! Human-readable terminal output built with comfy-table. Colour is an
//! explicit argument (the caller decides from `--color` and whether stdout is
//! a terminal), so the rendering itself stays pure and testable.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, Table};

use crate::baseline::compare::Verdict;
use crate::report::check::CheckOutput;
use crate::report::format::environment_line;
use crate::report::format::{
    efficiency_grade, ms, note_text, pct, Grade, DEFAULT_EFFICIENCY_FLOOR,
};
use crate::report::model::{self, baseline_line, check_warnings, CHECK_COLUMNS};
use ratecheck_engine::metrics::snapshot::RunReport;

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

/// A model table in the house style, numbers aligned right.
pub(crate) fn model_table(m: &model::Table, color: bool) -> Table {
    let mut t = table(color);
    t.set_header(m.header.clone());
    for row in &m.rows {
        t.add_row(row.iter().zip(&m.right).map(
            |(cell, &right)| {
                if right {
                    num(cell)
                } else {
                    Cell::new(cell)
                }
            },
        ));
    }
    t
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
    let c = match efficiency_grade(e, DEFAULT_EFFICIENCY_FLOOR) {
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

/// The summary lines of a run, labels aligned: `efficiency:            99.90%
/// (achieved 999 rps)`, efficiencies coloured by their grade.
fn run_summary(r: &RunReport, color: bool) -> String {
    let mut out = String::new();
    for line in model::run_summary(r) {
        let value = match line.efficiency {
            Some(e) => format!("{}{}", efficiency(e, color), line.text),
            None => line.text,
        };
        out.push_str(&format!("{:<23}{value}\n", format!("{}:", line.label)));
    }
    out
}

/// Widest bar of the distribution.
const BAR_WIDTH: f64 = 40.0;

/// The response-time distribution as one line per percentile with a bar on
/// a log scale (from a tenth of the smallest value to the largest), so the
/// tail reads at a glance: `  p99     0.600 ms  ████████████`.
fn distribution(points: &[[f64; 2]]) -> Option<String> {
    let values: Vec<f64> = points.iter().map(|p| p[1]).filter(|v| *v > 0.0).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min) / 10.0;
    let hi = values.iter().copied().fold(0.0, f64::max);
    if values.is_empty() || hi <= lo {
        return None;
    }
    let mut out = String::new();
    for &[p, v] in points {
        let label = match p {
            p if p >= 100.0 => "max".to_string(),
            p if p <= 0.0 => "min".to_string(),
            p => format!("p{}", format!("{p}").trim_end_matches(".0")),
        };
        let len = if v > 0.0 {
            ((v / lo).ln() / (hi / lo).ln() * BAR_WIDTH).round() as usize
        } else {
            0
        };
        out.push_str(&format!(
            "  {label:<9} {:>10}  {}\n",
            ms(v),
            "█".repeat(len.max(1))
        ));
    }
    Some(out)
}

/// Everything after the summary.
fn run_details(r: &RunReport, color: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Requests\n{}\n",
        model_table(&model::requests(r), color)
    ));
    if let Some(t) = model::phases(r) {
        out.push_str(&format!("\nPhases\n{}\n", model_table(&t, color)));
    }
    out.push_str(&format!(
        "\nLatency\n{}\n",
        model_table(&model::latency(r), color)
    ));
    if let Some(d) = distribution(&r.latency_ms.response_distribution) {
        out.push_str(&format!("\nResponse-time distribution\n{d}"));
    }
    if let Some(t) = model::outcomes(r) {
        out.push_str(&format!(
            "\nStatus codes and errors\n{}\n",
            model_table(&t, color)
        ));
    }

    out.push_str(&format!(
        "\nDiagnostics\n{}\n",
        model_table(&model::diagnostics(r), color)
    ));

    if !r.warnings.is_empty() {
        out.push_str(&format!("\n{}\n", paint("Warnings", Color::Yellow, color)));
        for w in &r.warnings {
            out.push_str(&format!("  - {w}\n"));
        }
    }
    out
}

fn verdict_color(v: Verdict) -> Option<Color> {
    match v {
        Verdict::Ok | Verdict::Improved => Some(Color::Green),
        Verdict::Regressed | Verdict::BelowFloor => Some(Color::Red),
        Verdict::NotComparable | Verdict::Missing | Verdict::Accepted => Some(Color::Yellow),
        Verdict::Info => None,
    }
}

/// The gate's result: the diff table (figure, baseline, current, change,
/// limit, verdict, and notes when any row has one) with failed and
/// not-comparable rows first, then the other judged rows, then the info
/// rows, each part under one heading row per scenario; the baseline commit
/// vs HEAD, warnings, and a final one-line verdict.
pub fn render_check(check: &CheckOutput, color: bool) -> String {
    let mut out = String::new();
    let with_notes = check.rows.iter().any(|r| !note_text(r).is_empty());
    let columns = if with_notes { 6 } else { 5 };
    let mut t = table(color);
    let mut header = vec!["scenario / figure"];
    header.extend(CHECK_COLUMNS[..columns].iter().map(|c| c.0));
    t.set_header(header);
    for (_, blocks) in model::check_table(check) {
        for block in blocks {
            t.add_row(vec![Cell::new(&block.scenario)]);
            for line in &block.lines {
                let mut cells = vec![Cell::new(format!("  {}", line.figure))];
                for (i, (text, (_, right))) in line.cells().iter().zip(CHECK_COLUMNS).enumerate() {
                    if i == columns {
                        break;
                    }
                    let text = text.replace(['\r', '\n'], " ");
                    let mut cell = if right { num(text) } else { Cell::new(text) };
                    if i == 4 && color {
                        if let Some(c) = verdict_color(line.verdict) {
                            cell = cell.fg(c);
                        }
                    }
                    cells.push(cell);
                }
                t.add_row(cells);
            }
        }
    }
    if check.rows.is_empty() {
        out.push_str("no figures compared\n");
    } else {
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&format!("{}\n", baseline_line(check)));
    if let Some(env) = environment_line(&check.environment) {
        out.push_str(&format!("{env}\n"));
    }
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

    for log in model::crash_logs(check) {
        out.push_str(&format!(
            "\n{}\n  {}:\n",
            paint(&log.heading, Color::Red, color),
            log.caption()
        ));
        for l in &log.lines {
            out.push_str(&format!("    {}\n", l.replace(['\r', '\n'], " ")));
        }
    }

    let line = model::check_verdict_line(check);
    let c = if check.passed {
        Color::Green
    } else {
        Color::Red
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
            "peak RSS:              20.0 MB",
            "CPU:                   11.0% of a core (user",
            "channel full events",
        ] {
            assert!(s.contains(needle), "missing {needle:?} in\n{s}");
        }
        assert!(!s.contains('\x1b'), "no colour codes when color=false");
        assert!(s.ends_with('\n'));
    }

    #[test]
    fn distribution_bars_grow_with_the_percentile_on_a_log_scale() {
        let d = distribution(&RunReport::example().latency_ms.response_distribution).unwrap();
        let lines: Vec<&str> = d.lines().collect();
        let labels: Vec<&str> = lines
            .iter()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(labels, ["min", "p50", "p90", "p99", "p99.9", "max"]);
        let bar = |l: &str| l.chars().filter(|&c| c == '█').count();
        let bars: Vec<usize> = lines.iter().map(|l| bar(l)).collect();
        assert!(bars.windows(2).all(|w| w[0] <= w[1]), "{bars:?}");
        assert_eq!(
            *bars.last().unwrap(),
            BAR_WIDTH as usize,
            "the maximum fills the width"
        );
        // Log scale: 0.2 ms sits 40 × ln(0.2/0.005)/ln(2/0.005) = 24.6 → 25.
        assert_eq!(bars[1], 25, "{d}");
        assert!(lines[3].contains("0.600 ms"));
        assert!(distribution(&[]).is_none());
        assert!(render_run(&RunReport::example(), false).contains("Response-time distribution"));
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

    /// The lines of the check's diff table (everything before the
    /// baseline line), so a word found there is not one the warnings or the
    /// verdict line also contain.
    fn table_lines(s: &str) -> Vec<&str> {
        s.lines()
            .take_while(|l| !l.starts_with("baseline "))
            .collect()
    }

    /// The table line of `figure` (first column, indented under its scenario).
    fn line_of<'a>(lines: &[&'a str], figure: &str) -> (usize, &'a str) {
        let cell = format!("│   {figure} ");
        lines
            .iter()
            .copied()
            .enumerate()
            .find(|(_, l)| l.starts_with(&cell))
            .unwrap_or_else(|| panic!("no row for {figure} in\n{}", lines.join("\n")))
    }

    #[test]
    fn check_table_has_every_column_and_verdict() {
        let check = crate::report::example::example_check();
        let s = render_check(&check, false);
        let table = table_lines(&s);
        let header = table[1];
        for column in [
            "scenario / figure",
            "baseline",
            "current",
            "change",
            "limit",
            "verdict",
            "note",
        ] {
            assert!(header.contains(column), "{column}: {header}");
        }
        let (_, rss) = line_of(&table, "peak_rss");
        for needle in ["20.0 MB", "26.0 MB", "+30.0%", "+15%", "regressed"] {
            assert!(rss.contains(needle), "{needle}: {rss}");
        }
        let (_, eff) = line_of(&table, "efficiency");
        assert!(
            eff.contains("below-floor") && eff.contains("≥ 95.00%"),
            "{eff}"
        );
        // a note's newline must not break the table
        assert!(
            eff.contains("below the floor of 95%: the generator fell behind second line"),
            "{eff}"
        );
        assert!(line_of(&table, "p99_ms").1.contains("not-comparable"));
        let (_, passed) = line_of(&table, "passed");
        assert!(passed.contains("┆ ok "), "{passed}");
        assert!(line_of(&table, "cpu_us_per_request").1.contains("improved"));
        let (_, info) = line_of(&table, "response_p99_ms");
        assert!(info.contains("+410%") && info.contains("┆ info "), "{info}");
        // the ramp's missing figure is in the table, not only in the warnings
        let missing = table.iter().filter(|l| l.contains("┆ missing ")).count();
        assert_eq!(missing, 1, "{}", table.join("\n"));
        assert!(s.contains("baseline 1a2b3c4d5e6f (main, 2024-05-01T12:34:56Z)"));
        assert!(s.contains(
            "vs HEAD 9f8e7d6c5b4a (feature, dirty), 3 commits apart\n\
             changed since the baseline: dependencies (Cargo.lock): hyper 1.4.1 → 1.5.0\n"
        ));
        assert!(s.contains("  - steady-1k: generator was the bottleneck <b>"));
        assert!(s
            .trim_end()
            .ends_with("ratecheck: FAIL — 1 regressed, 1 below floor; not comparable: steady-10k/p99_ms (baseline from another machine)"));
        assert!(!s.contains('\x1b'));
    }

    #[test]
    fn check_table_reads_failures_first_info_last_one_heading_per_scenario() {
        let check = crate::report::example::example_check();
        let s = render_check(&check, false);
        let table = table_lines(&s);
        let row = |figure: &str| line_of(&table, figure).0;
        // failed and not comparable, then judged, then info
        assert!(row("peak_rss") < row("p99_ms"));
        assert!(row("p99_ms") < row("passed"));
        assert!(row("cpu_us_per_request") < row("response_p99_ms"));
        // the scenario's name heads its figures once per part, never on
        // the figures' own lines
        let headings = table
            .iter()
            .filter(|l| l.starts_with("│ steady-1k "))
            .count();
        assert_eq!(headings, 3, "{}", table.join("\n"));
        let heading = table
            .iter()
            .position(|l| l.starts_with("│ steady-1k "))
            .unwrap();
        assert_eq!(heading + 1, row("peak_rss"));
    }

    #[test]
    fn check_verdicts_coloured_only_when_asked() {
        let check = crate::report::example::example_check();
        let s = render_check(&check, true);
        assert!(s.contains('\x1b'));
        assert!(s.contains("\x1b[31mratecheck: FAIL"));
    }

    #[test]
    fn a_crashed_service_shows_its_last_lines() {
        let check = crate::report::example::example_crash();
        let name = &check.current.scenarios[0].name;
        let s = render_check(&check, false);
        assert!(
            s.contains(&format!(
                "service api exited during scenario {name} (exit status: 101)\n  its last 2 lines of standard error:\n    listening\n    thread 'main' panicked"
            )),
            "{s}"
        );
        assert!(
            !render_check(&crate::report::example::example_check(), false)
                .contains("exited during")
        );
    }
}
