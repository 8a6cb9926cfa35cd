//! The summary table: one row per (target rate, tool), medians over the
//! successful runs, aligned as plain text.

use std::collections::BTreeMap;

use super::args::format_rate;
use super::stats::{median, RunRecord};
use super::{Set, Tool};

/// One table row per (target rate, tool), medians over the successful runs.
pub fn summary_table(records: &[RunRecord]) -> String {
    // Key: rate (wrk, with none, last), then row set, then tool order.
    let mut groups: BTreeMap<(u64, Set, Tool), Vec<&RunRecord>> = BTreeMap::new();
    for r in records {
        let key = r.target_rps.map_or(u64::MAX, f64::to_bits);
        groups.entry((key, r.set, r.tool)).or_default().push(r);
    }
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by(|a, b| {
        let rate = |k: u64| {
            if k == u64::MAX {
                f64::INFINITY
            } else {
                f64::from_bits(k)
            }
        };
        rate(a.0)
            .total_cmp(&rate(b.0))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });

    let header = [
        "tool",
        "target rps",
        "achieved rps",
        "efficiency %",
        "p50 ms",
        "p99 ms",
        "lag p50 µs",
        "lag p90 µs",
        "lag p99 µs",
        "early %",
        "early p50 µs",
        "CPU % core",
        "peak RSS MB",
        "runs ok",
    ];
    let mut rows = Vec::new();
    for key in keys {
        let runs = &groups[&key];
        let ok: Vec<&&RunRecord> = runs.iter().filter(|r| r.error.is_none()).collect();
        let med = |f: &dyn Fn(&RunRecord) -> Option<f64>| {
            median(&ok.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
        };
        let cell = |v: Option<f64>, decimals: usize| match v {
            Some(x) => format!("{x:.decimals$}"),
            None => "—".to_string(),
        };
        let (tool, set) = (runs[0].tool, runs[0].set);
        rows.push(vec![
            match set {
                Set::Plain => tool.name().to_string(),
                _ => format!("{} {}", tool.name(), set.name()),
            },
            runs[0]
                .target_rps
                .map_or("unthrottled".to_string(), format_rate),
            cell(med(&|r| r.achieved_rps), 0),
            cell(med(&|r| r.efficiency.map(|e| e * 100.0)), 2),
            cell(med(&|r| r.p50_ms), 3),
            cell(med(&|r| r.p99_ms), 3),
            cell(med(&|r| r.lag_ms.map(|l| l[0] * 1e3)), 0),
            cell(med(&|r| r.lag_ms.map(|l| l[1] * 1e3)), 0),
            cell(med(&|r| r.lag_ms.map(|l| l[2] * 1e3)), 0),
            cell(med(&|r| r.early.map(|e| e.0 * 100.0)), 1),
            cell(med(&|r| r.early.map(|e| e.1 * 1e3)), 0),
            cell(
                med(&|r| Some(r.cpu_percent_of_core)).filter(|_| !ok.is_empty()),
                1,
            ),
            cell(
                med(&|r| Some(r.peak_rss_bytes as f64 / 1e6)).filter(|_| !ok.is_empty()),
                1,
            ),
            format!("{}/{}", ok.len(), runs.len()),
        ]);
    }
    render_table(&header, &rows)
}

/// Aligned plain-text table: first column left-aligned, the others right.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i] - c.chars().count());
            if i == 0 {
                out.push_str(&format!("{c}{pad}"));
            } else {
                out.push_str(&format!("  {pad}{c}"));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(header);
    out.push_str(&line(
        &dashes.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for row in rows {
        out.push_str(&line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    out
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::peers::parse::Figures;
    use crate::peers::{measured_ok, record};
    use crate::proc;

    #[test]
    fn table_has_medians_in_rate_then_tool_order() {
        let rec = |tool, rate: Option<f64>, completed: u64, cpu: f64| {
            let f = Figures {
                completed,
                elapsed_s: 1.0,
                p50_ms: Some(1.0),
                p99_ms: Some(2.0),
                ..Default::default()
            };
            record(tool, rate, 1, &measured_ok(1.0, cpu, 2_000_000), Ok(f))
        };
        let records = vec![
            rec(Tool::Wrk, None, 9000, 1.0),
            rec(Tool::Hey, Some(1000.0), 990, 0.3),
            rec(Tool::Oha, Some(1000.0), 1000, 0.1),
            rec(Tool::Oha, Some(1000.0), 980, 0.5),
            rec(Tool::Oha, Some(1000.0), 990, 0.2),
            rec(Tool::Oha, Some(100.0), 100, 0.2),
        ];
        let table = summary_table(&records);
        let lines: Vec<&str> = table.lines().collect();
        let row = |i: usize, first: &str, cells: &[&str]| {
            let l = lines[i];
            assert!(
                l.starts_with(first) && cells.iter().all(|c| l.contains(c)),
                "line {i} is not {first} with {cells:?}: {table}"
            );
        };
        row(0, "tool", &[]);
        row(2, "oha", &[" 100 "]);
        // Median of 1000/980/990 completed over 1 s at 1000 rps: 990, 99.00 %, CPU 20.0 %.
        row(3, "oha", &[" 990 ", "99.00", "20.0", "3/3"]);
        row(4, "hey", &[]);
        // wrk has no rate control and so no efficiency: shown as —.
        row(5, "wrk", &["unthrottled", "—"]);
        // Columns line up: every line has the same width up to its last cell.
        let width = lines[1].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{table}");
    }

    #[test]
    fn a_group_with_no_successful_run_shows_dashes() {
        let failed = proc::Measured {
            exit_code: Some(1),
            ..Default::default()
        };
        let rec = record(Tool::Oha, Some(500.0), 1, &failed, Ok(Figures::default()));
        let table = summary_table(&[rec]);
        let row = table.lines().nth(2).expect("one row");
        assert!(row.starts_with("oha"), "{table}");
        assert!(row.ends_with("0/1"), "{table}");
        assert_eq!(row.matches('—').count(), 11, "every figure is —: {table}");
    }
}
