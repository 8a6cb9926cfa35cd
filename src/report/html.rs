//! One self-contained HTML file per report: inline CSS and inline SVG, no
//! scripts, fonts, styles or images from the network, so the file opens the
//! same offline, as a CI artifact, or attached to an issue.
//!
//! Contents: an efficiency gauge per scenario marking the floor in force, a
//! chart of target vs generation vs completion rate over time with response
//! time (p50, p99) over time under it, latency percentiles with the
//! response-time distribution (charts in [`charts`]), requests, diagnostics
//! and warnings; for
//! `check` also the diff table with verdicts, info rows folded away.
//!
//! Every user-provided string (target URL, scenario names, notes, warnings)
//! goes through [`escape_html`]. The only `http://` text in the output is
//! user data such as the target URL, shown escaped; plotters' `xmlns`
//! attribute is removed because inline SVG in HTML does not need it.

use std::fmt::Write as _;

use crate::figure::ScenarioKind;
use crate::report::check::CheckOutput;
use crate::report::format::environment_line;
use crate::report::format::{
    efficiency_grade, is_failure, pct, rps, secs, verdict_word, Grade, DEFAULT_EFFICIENCY_FLOOR,
};
use crate::report::model::{self, baseline_line, check_warnings, ScenarioBlock, CHECK_COLUMNS};
use ratecheck_engine::merge::Merged;
use ratecheck_engine::metrics::snapshot::{RunReport, TimeSeries};

mod charts;
mod history;
#[cfg(test)]
mod tests;

pub use charts::{distribution_chart_svg, gauge_svg, latency_chart_svg, rate_chart_svg};
pub use history::render_history_html;

/// Escapes `&`, `<`, `>`, `"` and `'` so `s` is inert text inside an element
/// or a quoted attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 16px 0 8px; }
.sub { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 20px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(31,35,40,.04); }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.row > .card, .row > .grow { flex: 1 1 300px; min-width: 0; }
.row > .gauge { flex: 0 0 240px; text-align: center; align-self: center; }
.gauge svg { width: 220px; height: auto; }
.chart svg { width: 100%; height: auto; max-width: 760px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.banner { border-radius: 8px; padding: 12px 20px; margin: 0 0 16px; font-size: 18px; font-weight: 600; color: #fff; }
.banner.pass { background: var(--ok); } .banner.fail { background: var(--bad); }
.v { font-weight: 600; white-space: nowrap; }
.v.ok, .v.improved { color: var(--ok); }
.v.regressed, .v.below-floor { color: var(--bad); }
.v.accepted { font-weight: bold; }
.v.not-comparable, .v.missing { color: var(--warn); }
.v.info { color: var(--muted); font-weight: 400; }
tr.fail { background: #ffebe9; }
tr.scenario th { color: #1f2328; padding-top: 10px; border-bottom: 1px solid var(--line); }
ul.warnings { margin: 0; padding-left: 20px; color: var(--warn); }
.muted { color: var(--muted); }
details summary { cursor: pointer; color: var(--muted); }
"#;

/// The page skeleton around `body`.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape_html(title)
    )
}

/// The verdict class (and so the colour) an efficiency is shown with.
fn efficiency_class(e: f64, floor: f64) -> &'static str {
    match efficiency_grade(e, floor) {
        Grade::Good => "ok",
        Grade::Short => "not-comparable", // amber
        Grade::Bad => "below-floor",
    }
}

/// A drawn chart, its error, or `missing` when there was nothing to draw.
fn svg_block(chart: Option<Result<String, String>>, missing: &str) -> String {
    match chart {
        Some(Ok(svg)) => format!("<div class=\"chart\">{svg}</div>\n"),
        Some(Err(e)) => format!("<p class=\"muted\">{}</p>\n", escape_html(&e)),
        None => format!("<p class=\"muted\">{missing}</p>\n"),
    }
}

/// The rate chart and, below it on the same time axis, response time.
fn chart_block(series: &TimeSeries) -> String {
    let mut s = svg_block(
        rate_chart_svg(series),
        "No time series was recorded for this run.",
    );
    if let Some(latency) = latency_chart_svg(series) {
        s.push_str("<h3>Response time over time</h3>\n");
        s.push_str(&svg_block(Some(latency), ""));
    }
    s
}

/// The latency table and the response-time distribution.
fn latency_block(r: &RunReport) -> String {
    let mut s = model_table(&model::latency(r));
    if let Some(chart) = distribution_chart_svg(&r.latency_ms.response_distribution) {
        s.push_str("<h3>Response-time distribution</h3>\n");
        s.push_str(&svg_block(Some(chart), ""));
    }
    s
}

/// A model table: numbers right-aligned, every cell escaped.
fn model_table(t: &model::Table) -> String {
    let class = |right: bool| if right { " class=\"n\"" } else { "" };
    let mut s = String::from("<table><thead><tr>");
    for (h, &right) in t.header.iter().zip(&t.right) {
        let _ = write!(s, "<th{}>{}</th>", class(right), escape_html(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for row in &t.rows {
        s.push_str("<tr>");
        for (cell, &right) in row.iter().zip(&t.right) {
            let _ = write!(s, "<td{}>{}</td>", class(right), escape_html(cell));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    s
}

fn warnings_block(warnings: &[String]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut s = String::from("<section class=\"card\"><h2>Warnings</h2><ul class=\"warnings\">\n");
    for w in warnings {
        let _ = writeln!(s, "<li>{}</li>", escape_html(w));
    }
    s.push_str("</ul></section>\n");
    s
}

/// The summary figures of a run as a definition list; efficiencies are
/// coloured against `floor`.
fn summary_list(r: &RunReport, floor: f64) -> String {
    let mut s = String::from("<dl>");
    for line in model::run_summary(r) {
        let _ = write!(s, "<dt>{}</dt><dd>", escape_html(line.label));
        if let Some(e) = line.efficiency {
            let _ = write!(
                s,
                "<span class=\"v {}\">{}</span>",
                efficiency_class(e, floor),
                pct(e)
            );
        }
        let _ = write!(s, "{}</dd>", escape_html(&line.text));
    }
    s.push_str("</dl>\n");
    s
}

/// Request counts, phases, status codes and transport errors as tables.
fn requests_tables(r: &RunReport) -> String {
    let mut s = model_table(&model::requests(r));
    if let Some(t) = model::phases(r) {
        s.push_str("<h3>Phases</h3>");
        s.push_str(&model_table(&t));
    }
    if let Some(t) = model::outcomes(r) {
        s.push_str("<h3>Status codes and errors</h3>");
        s.push_str(&model_table(&t));
    }
    s
}

/// Every section of the run report: gauge and summary, chart, latency,
/// requests, diagnostics.
fn run_sections(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<div class=\"row\">\n<section class=\"card gauge\">{}</section>\n\
         <section class=\"card\"><h2>Summary</h2>{}</section>\n</div>\n",
        gauge_svg("efficiency", r.efficiency, DEFAULT_EFFICIENCY_FLOOR),
        summary_list(r, DEFAULT_EFFICIENCY_FLOOR)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Rate over time</h2>\n{}</section>\n",
        chart_block(&r.series)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Latency percentiles</h2>\n{}</section>\n",
        latency_block(r)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Requests</h2>\n{}</section>\n",
        requests_tables(r)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><details><summary>Diagnostics</summary>\n{}</details></section>\n",
        model_table(&model::diagnostics(r))
    );
    s
}

/// One load scenario of a check: gauge (marking `floor`, the scenario's)
/// and chart side by side, latency, and the rest folded away.
fn scenario_section(name: &str, r: &RunReport, floor: f64) -> String {
    format!(
        "<section class=\"card\"><h2>Scenario {name}</h2>\n\
         <p class=\"sub\">{rate} rps for {dur} against {target}</p>\n\
         <div class=\"row\"><div class=\"gauge\">{gauge}</div><div class=\"grow\">{chart}</div></div>\n\
         <h3>Latency percentiles</h3>\n{latency}\
         <details><summary>Summary, requests and diagnostics</summary>\n{summary}\
         <h3>Requests</h3>\n{requests}<h3>Diagnostics</h3>\n{diag}</details>\n</section>\n",
        name = escape_html(name),
        rate = rps(r.target_rps),
        dur = secs(r.duration_s),
        target = escape_html(&r.target),
        gauge = gauge_svg(name, r.efficiency, floor),
        chart = chart_block(&r.series),
        latency = latency_block(r),
        summary = summary_list(r, floor),
        requests = requests_tables(r),
        diag = model_table(&model::diagnostics(r)),
    )
}

/// The HTML report of one engine run.
pub fn render_run_html(report: &RunReport) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>ratecheck run</h1>\n<p class=\"sub\">{} rps for {} against {}</p>\n",
        rps(report.target_rps),
        secs(report.duration_s),
        escape_html(&report.target)
    );
    body.push_str(&run_sections(report));
    body.push_str(&warnings_block(&report.warnings));
    page(&format!("ratecheck run — {}", report.target), &body)
}

/// The merged report of a schedule's shards: the merged figures and charts
/// (on the shared start's time axis), then each shard's row.
pub fn render_merge_html(m: &Merged) -> String {
    let r = &m.report;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>ratecheck merge</h1>\n<p class=\"sub\">{} shards of {} rps for {} against {}</p>\n",
        m.schedule.shards,
        rps(r.target_rps),
        secs(r.duration_s),
        escape_html(&r.target)
    );
    body.push_str(&run_sections(r));
    let _ = write!(body, "<h2>Shards</h2>\n{}", model_table(&model::shards(m)));
    body.push_str(&warnings_block(&r.warnings));
    page(&format!("ratecheck merge — {}", r.target), &body)
}

/// Check-table rows: a heading row per scenario, then its figures (a
/// failing row highlighted, the verdict word as its class).
fn check_rows(blocks: &[ScenarioBlock]) -> String {
    let mut s = String::from("<table><thead><tr><th>figure</th>");
    for (h, right) in CHECK_COLUMNS {
        let _ = write!(s, "<th{}>{h}</th>", if right { " class=\"n\"" } else { "" });
    }
    s.push_str("</tr></thead><tbody>\n");
    for block in blocks {
        let _ = writeln!(
            s,
            "<tr class=\"scenario\"><th colspan=\"{}\">{}</th></tr>",
            CHECK_COLUMNS.len() + 1,
            escape_html(&block.scenario)
        );
        for line in &block.lines {
            let [base, cur, change, limit, verdict, note] = line.cells();
            let tr = if is_failure(line.verdict) {
                "<tr class=\"fail\">"
            } else {
                "<tr>"
            };
            let _ = writeln!(
                s,
                "{tr}<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td>{}</td><td><span class=\"v {}\">{}</span></td><td>{}</td></tr>",
                escape_html(&line.figure),
                escape_html(base),
                escape_html(cur),
                escape_html(change),
                escape_html(limit),
                verdict_word(line.verdict),
                escape_html(verdict),
                escape_html(note),
            );
        }
    }
    s.push_str("</tbody></table>\n");
    s
}

/// The HTML report of the gate: verdict banner, baseline vs HEAD, the diff
/// table with verdicts (failed and not-comparable rows first, info rows
/// folded into a `<details>`), warnings, then a gauge (marking the
/// scenario's floor) and a chart per load scenario that has a report.
pub fn render_check_html(check: &CheckOutput) -> String {
    let mut body = String::from("<h1>ratecheck</h1>\n");
    let banner = if check.passed { "pass" } else { "fail" };
    let verdict = model::check_verdict_line(check);
    let _ = write!(
        body,
        "<div class=\"banner {banner}\">{}</div>\n<p class=\"sub\">{}</p>\n",
        escape_html(&verdict),
        escape_html(&baseline_line(check))
    );
    if let Some(env) = environment_line(&check.environment) {
        let _ = writeln!(body, "<p class=\"sub\">{}</p>", escape_html(&env));
    }

    body.push_str("<section class=\"card\"><h2>Figures</h2>\n");
    if check.rows.is_empty() {
        body.push_str("<p class=\"muted\">No figures were compared.</p>\n");
    }
    body.push_str(&model::folded_check_table(
        check,
        check_rows,
        |summary, table| format!("<details><summary>{summary}</summary>\n{table}</details>\n"),
    ));
    body.push_str("</section>\n");

    body.push_str(&warnings_block(&check_warnings(check)));
    for log in model::crash_logs(check) {
        let _ = writeln!(
            body,
            "<section class=\"card\"><h2>{}</h2><p class=\"sub\">{}:</p><pre>{}</pre></section>",
            escape_html(&log.heading),
            log.caption(),
            escape_html(&log.lines.join("\n"))
        );
    }

    for scenario in &check.current.scenarios {
        if scenario.kind != ScenarioKind::Load {
            continue;
        }
        if let Some(report) = &scenario.report {
            let floor = check
                .efficiency_floor(&scenario.name)
                .unwrap_or(DEFAULT_EFFICIENCY_FLOOR);
            body.push_str(&scenario_section(&scenario.name, report, floor));
        }
    }
    page(&verdict, &body)
}
