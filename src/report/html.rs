//! One self-contained HTML file per report: inline CSS and inline SVG, no
//! scripts, fonts, styles or images from the network, so the file opens the
//! same offline, as a CI artifact, or attached to an issue.
//!
//! Contents: an efficiency gauge per scenario (a hand-made SVG arc), a chart
//! of target vs generation vs completion rate over time drawn with plotters'
//! SVG backend from the 100 ms series, latency percentiles, requests,
//! diagnostics and warnings; for `check` also the diff table with verdicts.
//!
//! Every user-provided string (target URL, scenario names, notes, warnings)
//! goes through [`escape_html`]. The only `http://` text in the output is
//! user data such as the target URL, shown escaped; plotters' `xmlns`
//! attribute is removed because inline SVG in HTML does not need it.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::baseline::compare::Verdict;
use crate::baseline::model::{CheckOutput, ScenarioKind};
use crate::metrics::snapshot::{Percentiles, RunReport, TimeSeries};
use crate::report::format::{
    baseline_line, check_warnings, efficiency_grade, mb, pct, row_cells, rps, secs, sig3,
    verdict_line, Grade, EFFICIENCY_FLOOR,
};
use crate::report::text::diagnostics_pairs;

/// The gauge's scale starts here: below 90% the arc is empty, so the
/// difference between 95% and 99.9% stays visible.
const GAUGE_MIN: f64 = 0.90;

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
.banner.pass { background: var(--ok); } .banner.fail { background: var(--bad); } .banner.unjudged { background: var(--warn); }
.v { font-weight: 600; white-space: nowrap; }
.v.ok, .v.improved { color: var(--ok); }
.v.regressed, .v.below-floor { color: var(--bad); }
.v.not-comparable, .v.missing { color: var(--warn); }
tr.fail { background: #ffebe9; }
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
fn efficiency_class(e: f64) -> &'static str {
    match efficiency_grade(e) {
        Grade::Good => "ok",
        Grade::Short => "not-comparable", // amber
        Grade::Bad => "below-floor",
    }
}

/// The gauge arc's colour for an efficiency.
fn efficiency_color(e: f64) -> &'static str {
    match efficiency_grade(e) {
        Grade::Good => "#1a7f37",
        Grade::Short => "#bf8700",
        Grade::Bad => "#cf222e",
    }
}

/// Point on the gauge's semicircle (centre 100,100, radius 80) for a
/// fraction `f` of the scale: 0 is the left end, 1 the right end.
fn arc_point(f: f64) -> (f64, f64) {
    let a = std::f64::consts::PI * (1.0 - f);
    (100.0 + 80.0 * a.cos(), 100.0 - 80.0 * a.sin())
}

/// A semicircle gauge of `efficiency` on a 90%–100% scale with a tick at the
/// 95% floor, as inline SVG. `label` is shown under the figure (escaped).
pub fn gauge_svg(label: &str, efficiency: f64) -> String {
    let frac = if efficiency.is_finite() {
        ((efficiency - GAUGE_MIN) / (1.0 - GAUGE_MIN)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let color = efficiency_color(efficiency);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 200 130\" role=\"img\" aria-label=\"{label}: {value}\">\
         <title>{label}: {value}</title>\
         <path d=\"M 20 100 A 80 80 0 0 1 180 100\" fill=\"none\" stroke=\"#eaeef2\" stroke-width=\"18\"/>",
        label = escape_html(label),
        value = pct(efficiency),
    );
    if frac > 0.0 {
        let (x, y) = arc_point(frac);
        let _ = write!(
            s,
            "<path class=\"gauge-value\" d=\"M 20 100 A 80 80 0 0 1 {x:.2} {y:.2}\" fill=\"none\" \
             stroke=\"{color}\" stroke-width=\"18\"/>"
        );
    }
    let floor = (EFFICIENCY_FLOOR - GAUGE_MIN) / (1.0 - GAUGE_MIN);
    let a = std::f64::consts::PI * (1.0 - floor);
    let _ = write!(
        s,
        "<line x1=\"{:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\" stroke=\"#1f2328\" stroke-width=\"2\"/>",
        100.0 + 68.0 * a.cos(),
        100.0 - 68.0 * a.sin(),
        100.0 + 92.0 * a.cos(),
        100.0 - 92.0 * a.sin()
    );
    let _ = write!(
        s,
        "<text x=\"100\" y=\"92\" text-anchor=\"middle\" font-size=\"26\" font-weight=\"600\" \
         fill=\"{color}\">{value}</text>\
         <text x=\"100\" y=\"122\" text-anchor=\"middle\" font-size=\"12\" fill=\"#57606a\">{label}</text>\
         <text x=\"20\" y=\"116\" text-anchor=\"middle\" font-size=\"10\" fill=\"#57606a\">90%</text>\
         <text x=\"180\" y=\"116\" text-anchor=\"middle\" font-size=\"10\" fill=\"#57606a\">100%</text>\
         <text x=\"105\" y=\"14\" font-size=\"10\" fill=\"#57606a\">95% floor</text>\
         </svg>",
        value = escape_html(&pct(efficiency)),
        label = escape_html(label),
    );
    s
}

/// Converts per-interval counts to a rate at each interval's midpoint.
fn rate_points(counts: &[u64], interval_ms: u64) -> Vec<(f64, f64)> {
    let per_s = 1000.0 / interval_ms as f64;
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            (
                (i as f64 + 0.5) * interval_ms as f64 / 1000.0,
                n as f64 * per_s,
            )
        })
        .collect()
}

/// The target / generated / completed rate chart as inline SVG, drawn with
/// plotters; `None` when the run recorded no time series.
pub fn rate_chart_svg(series: &TimeSeries) -> Option<Result<String, String>> {
    let n = series
        .target_rps
        .len()
        .max(series.generated.len())
        .max(series.completed.len());
    if series.interval_ms == 0 || n == 0 {
        return None;
    }
    let step = series.interval_ms as f64 / 1000.0;
    let target: Vec<(f64, f64)> = series
        .target_rps
        .iter()
        .enumerate()
        .map(|(i, &r)| ((i as f64 + 0.5) * step, if r.is_finite() { r } else { 0.0 }))
        .collect();
    let generated = rate_points(&series.generated, series.interval_ms);
    let completed = rate_points(&series.completed, series.interval_ms);
    let y_max = target
        .iter()
        .chain(&generated)
        .chain(&completed)
        .map(|p| p.1)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.15;
    let x_max = n as f64 * step;

    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("requests / s")
            .light_line_style(RGBColor(240, 242, 245))
            .bold_line_style(RGBColor(220, 224, 228))
            .axis_style(RGBColor(140, 149, 159))
            .label_style(("sans-serif", 12).into_font().color(&RGBColor(87, 96, 106)))
            .max_light_lines(2)
            .y_label_formatter(&|v| rps(*v))
            .x_label_formatter(&|v| rps(*v))
            .draw()?;
        let target_color = RGBColor(87, 96, 106);
        let gen_color = RGBColor(9, 105, 218);
        let done_color = RGBColor(26, 127, 55);
        chart
            .draw_series(DashedLineSeries::new(
                target.iter().copied(),
                6,
                4,
                target_color.stroke_width(2),
            ))?
            .label("target")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], target_color));
        for (points, color, label) in [
            (&generated, gen_color, "generated"),
            (&completed, done_color, "completed"),
        ] {
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(208, 215, 222))
            .label_font(("sans-serif", 12))
            .draw()?;
        root.present()?;
        Ok(())
    })();
    Some(match drawn {
        Ok(()) => Ok(svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")),
        Err(e) => Err(format!("the chart could not be drawn: {e}")),
    })
}

fn chart_block(series: &TimeSeries) -> String {
    match rate_chart_svg(series) {
        Some(Ok(svg)) => format!("<div class=\"chart\">{svg}</div>\n"),
        Some(Err(e)) => format!("<p class=\"muted\">{}</p>\n", escape_html(&e)),
        None => "<p class=\"muted\">No time series was recorded for this run.</p>\n".to_string(),
    }
}

fn latency_table(r: &RunReport) -> String {
    let row = |name: &str, p: &Percentiles| {
        format!(
            "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            sig3(p.p50),
            sig3(p.p90),
            sig3(p.p99),
            sig3(p.p999),
            sig3(p.max),
            sig3(p.mean)
        )
    };
    format!(
        "<table><thead><tr><th>latency (ms)</th><th class=\"n\">p50</th><th class=\"n\">p90</th>\
         <th class=\"n\">p99</th><th class=\"n\">p99.9</th><th class=\"n\">max</th><th class=\"n\">mean</th></tr></thead>\n\
         <tbody>\n{}{}{}</tbody></table>\n",
        row("response", &r.latency_ms.response),
        row("service", &r.latency_ms.service),
        row("schedule lag", &r.latency_ms.schedule_lag)
    )
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

/// The summary figures of a run as a definition list.
fn summary_list(r: &RunReport) -> String {
    let cpu_note = if r.cpu.includes_server {
        " <span class=\"muted\">(includes the in-process embedded server)</span>"
    } else {
        ""
    };
    format!(
        "<dl>\
         <dt>target</dt><dd>{target}</dd>\
         <dt>rate</dt><dd>{rate} rps for {dur}, concurrency {conc}</dd>\
         <dt>efficiency</dt><dd><span class=\"v {ec}\">{eff}</span> (achieved {ach} rps)</dd>\
         <dt>generation efficiency</dt><dd>{geff}</dd>\
         <dt>min window efficiency</dt><dd>{mwe}</dd>\
         <dt>CPU</dt><dd>{cpu}% of a core (user {user}, system {sys}){cpu_note}</dd>\
         <dt>peak RSS</dt><dd>{rss}</dd>\
         </dl>\n",
        target = escape_html(&r.target),
        rate = rps(r.target_rps),
        dur = secs(r.duration_s),
        conc = r.concurrency,
        ec = efficiency_class(r.efficiency),
        eff = pct(r.efficiency),
        ach = sig3(r.achieved_rps()),
        geff = pct(r.generation_efficiency),
        mwe = pct(r.min_window_efficiency),
        cpu = sig3(r.cpu.percent_of_core),
        user = secs(r.cpu.user_s),
        sys = secs(r.cpu.system_s),
        rss = mb(r.memory.peak_rss_bytes),
    )
}

/// Request counts, phases, status codes and transport errors as tables.
fn requests_tables(r: &RunReport) -> String {
    let q = r.requests;
    let mut s = format!(
        "<table><thead><tr>\
         <th class=\"n\">expected</th><th class=\"n\">generated</th><th class=\"n\">completed</th>\
         <th class=\"n\">succeeded</th><th class=\"n\">failed</th><th class=\"n\">dropped</th></tr></thead>\
         <tbody><tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table>\n",
        q.expected, q.generated, q.completed, q.succeeded, q.failed, q.dropped
    );
    if !r.phases.is_empty() {
        s.push_str(
            "<h3>Phases</h3><table><thead><tr><th>phase</th><th class=\"n\">from</th><th class=\"n\">to</th>\
             <th class=\"n\">expected</th><th class=\"n\">generated</th><th class=\"n\">completed</th>\
             <th class=\"n\">efficiency</th><th class=\"n\">generation</th></tr></thead><tbody>\n",
        );
        for p in &r.phases {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape_html(&p.name),
                secs(p.start_s),
                secs(p.end_s),
                p.expected,
                p.generated,
                p.completed,
                pct(p.efficiency),
                pct(p.generation_efficiency)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    if !r.status_codes.is_empty() || !r.errors.is_empty() {
        s.push_str("<h3>Status codes and errors</h3><table><thead><tr><th>outcome</th><th class=\"n\">count</th></tr></thead><tbody>\n");
        for (code, n) in &r.status_codes {
            let _ = writeln!(
                s,
                "<tr><td>HTTP {}</td><td class=\"n\">{n}</td></tr>",
                escape_html(code)
            );
        }
        for (kind, n) in &r.errors {
            let _ = writeln!(
                s,
                "<tr><td>error: {}</td><td class=\"n\">{n}</td></tr>",
                escape_html(kind)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    s
}

/// The engine diagnostics as a two-column table.
fn diagnostics_table(r: &RunReport) -> String {
    let mut s = String::from("<table><tbody>\n");
    for (k, v) in diagnostics_pairs(r) {
        let _ = writeln!(
            s,
            "<tr><td>{k}</td><td class=\"n\">{}</td></tr>",
            escape_html(&v)
        );
    }
    s.push_str("</tbody></table>\n");
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
        gauge_svg("efficiency", r.efficiency),
        summary_list(r)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Rate over time</h2>\n{}</section>\n",
        chart_block(&r.series)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Latency percentiles</h2>\n{}</section>\n",
        latency_table(r)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><h2>Requests</h2>\n{}</section>\n",
        requests_tables(r)
    );
    let _ = write!(
        s,
        "<section class=\"card\"><details><summary>Diagnostics</summary>\n{}</details></section>\n",
        diagnostics_table(r)
    );
    s
}

/// One load scenario of a check: gauge and chart side by side, latency,
/// and the rest folded away.
fn scenario_section(name: &str, r: &RunReport) -> String {
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
        gauge = gauge_svg(name, r.efficiency),
        chart = chart_block(&r.series),
        latency = latency_table(r),
        summary = summary_list(r),
        requests = requests_tables(r),
        diag = diagnostics_table(r),
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

fn verdict_class(v: Verdict) -> &'static str {
    crate::report::format::verdict_word(v)
}

/// The HTML report of the gate: verdict banner, baseline vs HEAD, the diff
/// table with verdicts, then a gauge and a chart per load scenario that has
/// a report, and warnings.
pub fn render_check_html(check: &CheckOutput) -> String {
    let mut body = String::from("<h1>ratecheck</h1>\n");
    let banner = match (check.judged, check.passed) {
        (false, _) => "unjudged",
        (true, true) => "pass",
        (true, false) => "fail",
    };
    let _ = write!(
        body,
        "<div class=\"banner {banner}\">{}</div>\n<p class=\"sub\">{}</p>\n",
        escape_html(&verdict_line(check)),
        escape_html(&baseline_line(check))
    );

    body.push_str("<section class=\"card\"><h2>Figures</h2>\n");
    if check.rows.is_empty() {
        body.push_str("<p class=\"muted\">No figures were compared.</p>\n");
    } else {
        body.push_str(
            "<table><thead><tr><th>scenario</th><th>figure</th><th class=\"n\">baseline</th>\
             <th class=\"n\">current</th><th class=\"n\">change</th><th>limit</th><th>verdict</th>\
             <th>note</th></tr></thead><tbody>\n",
        );
        for row in &check.rows {
            let [base, cur, change, limit, verdict] = row_cells(check, row);
            let tr = if crate::report::format::is_failure(row.verdict) {
                "<tr class=\"fail\">"
            } else {
                "<tr>"
            };
            let _ = writeln!(
                body,
                "{tr}<td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td>{}</td><td><span class=\"v {}\">{}</span></td><td>{}</td></tr>",
                escape_html(&row.scenario),
                escape_html(&row.figure),
                escape_html(&base),
                escape_html(&cur),
                escape_html(&change),
                escape_html(&limit),
                verdict_class(row.verdict),
                escape_html(&verdict),
                escape_html(&row.note),
            );
        }
        body.push_str("</tbody></table>\n");
    }
    body.push_str("</section>\n");

    body.push_str(&warnings_block(&check_warnings(check)));

    for scenario in &check.current.scenarios {
        if scenario.kind != ScenarioKind::Load {
            continue;
        }
        if let Some(report) = &scenario.report {
            body.push_str(&scenario_section(&scenario.name, report));
        }
    }
    page(&verdict_line(check), &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::format::example_check;

    /// Every `http://` / `https://` occurrence in `html`, with what follows.
    fn urls(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        for scheme in ["http://", "https://"] {
            let mut rest = html;
            while let Some(i) = rest.find(scheme) {
                let tail: String = rest[i..].chars().take(40).collect();
                out.push(tail);
                rest = &rest[i + scheme.len()..];
            }
        }
        out
    }

    #[test]
    fn escape_html_escapes_the_five_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain ü"), "plain ü");
    }

    #[test]
    fn run_html_is_self_contained_with_gauge_and_chart() {
        let mut r = RunReport::example();
        r.target = "http://example.test/?a=<b>&c".into();
        r.warnings = vec!["<script>alert(1)</script>".into()];
        let html = render_run_html(&r);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        assert!(html.matches("<svg").count() >= 2, "gauge and chart");
        assert!(html.contains("class=\"gauge-value\""));
        // The gauge is a <path>; the chart's generated and completed rates
        // are one <polyline> each.
        assert!(html.matches("<polyline").count() >= 2, "chart lines");
        assert!(html.contains(">generated<") && html.contains(">completed<"));
        // nothing from the network: no scripts, links, imports or URLs other
        // than the (escaped) target URL shown as text
        for bad in ["<script", "<link", "@import", "src=", "url("] {
            assert!(!html.contains(bad), "found {bad}");
        }
        for u in urls(&html) {
            assert!(
                u.starts_with("http://example.test/?a=&lt;b&gt;&amp;c"),
                "{u}"
            );
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("99.90%"));
        assert!(html.contains("(includes the in-process embedded server)"));
        assert!(html.contains("<td>response</td><td class=\"n\">0.200</td>"));
    }

    #[test]
    fn chart_converts_counts_to_rates() {
        let series = TimeSeries {
            interval_ms: 100,
            target_rps: vec![500.0, 500.0],
            generated: vec![50, 40],
            completed: vec![50, 30],
        };
        assert_eq!(
            rate_points(&series.generated, series.interval_ms),
            vec![(0.05, 500.0), (0.15, 400.0)]
        );
        let svg = rate_chart_svg(&series).unwrap().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("http"));
        assert!(rate_chart_svg(&TimeSeries::default()).is_none());
    }

    #[test]
    fn empty_series_says_so() {
        let mut r = RunReport::example();
        r.series = TimeSeries::default();
        let html = render_run_html(&r);
        assert!(html.contains("No time series was recorded"));
        assert_eq!(html.matches("<svg").count(), 1, "only the gauge");
    }

    #[test]
    fn gauge_arc_tracks_efficiency() {
        // 95% is half-way along the 90..100% scale: the top of the arc
        let g = gauge_svg("x", 0.95);
        assert!(g.contains("A 80 80 0 0 1 100.00 20.00"), "{g}");
        // at or below 90% there is no value arc
        assert!(!gauge_svg("x", 0.5).contains("gauge-value"));
        assert!(!gauge_svg("x", f64::NAN).contains("gauge-value"));
        // 100% ends at the right end
        assert!(gauge_svg("x", 1.0).contains("A 80 80 0 0 1 180.00 100.00"));
        assert!(gauge_svg("<i>", 1.0).contains("&lt;i&gt;"));
    }

    #[test]
    fn check_html_has_the_diff_table_and_a_section_per_load_scenario() {
        let check = example_check();
        let html = render_check_html(&check);
        assert!(html.contains(
            "<div class=\"banner fail\">ratecheck: FAIL — 1 regressed, 1 below floor; NOT JUDGED: p99_ms (baseline from another machine)</div>"
        ));
        for v in [
            "ok",
            "improved",
            "regressed",
            "below-floor",
            "not-comparable",
            "missing",
        ] {
            assert!(
                html.contains(&format!("<span class=\"v {v}\">{v}</span>")),
                "{v}"
            );
        }
        assert_eq!(html.matches("<tr class=\"fail\">").count(), 2);
        // two load scenarios with reports: two gauges and two charts (the
        // 90% one has no value arc: the scale starts at 90%)
        assert_eq!(html.matches("<div class=\"gauge\"><svg").count(), 2);
        assert_eq!(html.matches("class=\"gauge-value\"").count(), 1);
        assert_eq!(html.matches("<div class=\"chart\">").count(), 2);
        // the scenario name is escaped everywhere, never raw
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | a,b:c%"));
        for u in urls(&html) {
            assert!(u.starts_with("http://127.0.0.1:40000/"), "{u}");
        }
    }
}
