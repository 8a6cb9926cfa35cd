//! Tests of the HTML renderer, against hand-built results.

use super::charts::{latency_points, nines, percentile_label, rate_points};
use super::*;
use crate::report::example::example_check;

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
        ..TimeSeries::default()
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
    assert!(!html.contains("Response time over time"));
    // The gauge and the response-time distribution, which is not a series.
    assert_eq!(html.matches("<svg").count(), 2);
}

#[test]
fn run_html_shows_latency_over_time_and_its_distribution() {
    let html = render_run_html(&RunReport::example());
    assert!(html.contains("<h3>Response time over time</h3>"));
    assert!(html.contains("<h3>Response-time distribution</h3>"));
    // Gauge, rate chart, latency chart, distribution.
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains(">p50<") && html.contains(">p99<"));

    let mut r = RunReport::example();
    r.latency_ms.response_distribution.clear();
    r.series.response_p50_ms.clear();
    r.series.response_p99_ms.clear();
    let html = render_run_html(&r);
    assert_eq!(html.matches("<svg").count(), 2, "gauge and rate chart");
}

#[test]
fn latency_points_share_the_rate_chart_time_axis() {
    let p = latency_points(&[Some(0.2), None, Some(0.4)], 100);
    assert_eq!(p, vec![(0.05, 0.2), (0.25, 0.4)]);
    assert_eq!(rate_points(&[1, 1, 1], 100)[2].0, p[1].0);
    let series = TimeSeries {
        interval_ms: 100,
        response_p50_ms: vec![None, None],
        response_p99_ms: vec![None, None],
        ..TimeSeries::default()
    };
    assert!(latency_chart_svg(&series).is_none(), "nothing completed");
}

#[test]
fn distribution_axis_counts_nines() {
    assert!(nines(0.0).abs() < 1e-12);
    assert!((nines(90.0) - 1.0).abs() < 1e-9);
    assert!((nines(99.0) - 2.0).abs() < 1e-9);
    assert!((nines(99.9) - 3.0).abs() < 1e-9);
    assert!(nines(100.0).is_infinite());
    let svg = distribution_chart_svg(&RunReport::example().latency_ms.response_distribution)
        .unwrap()
        .unwrap();
    // One dot per point, the maximum included.
    assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
    assert!(svg.contains("\n max\n"), "the maximum is labelled: {svg}");
    assert_eq!(percentile_label(1.0), "90%");
    assert_eq!(percentile_label(3.0), "99.9%");
    assert_eq!(percentile_label(5.0), "99.999%");
    assert!(distribution_chart_svg(&[]).is_none());
}

#[test]
fn gauge_arc_tracks_efficiency() {
    // 95% is half-way along the 90..100% scale: the top of the arc
    let f = DEFAULT_EFFICIENCY_FLOOR;
    let g = gauge_svg("x", 0.95, f);
    assert!(g.contains("A 80 80 0 0 1 100.00 20.00"), "{g}");
    // at or below 90% there is no value arc
    assert!(!gauge_svg("x", 0.5, f).contains("gauge-value"));
    assert!(!gauge_svg("x", f64::NAN, f).contains("gauge-value"));
    // 100% ends at the right end
    assert!(gauge_svg("x", 1.0, f).contains("A 80 80 0 0 1 180.00 100.00"));
    assert!(gauge_svg("<i>", 1.0, f).contains("&lt;i&gt;"));
}

/// The floor tick: a line from radius 68 to 92 at the floor's angle.
fn floor_tick(floor: f64) -> String {
    let at = ((floor - 0.90) / 0.10_f64).clamp(0.0, 1.0);
    let a = std::f64::consts::PI * (1.0 - at);
    format!(
        "<line x1=\"{:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\"",
        100.0 + 68.0 * a.cos(),
        100.0 - 68.0 * a.sin(),
        100.0 + 92.0 * a.cos(),
        100.0 - 92.0 * a.sin()
    )
}

#[test]
fn gauge_marks_the_floor_in_force() {
    // The default floor, 95%: the tick stands straight up.
    let g = gauge_svg("x", 0.97, DEFAULT_EFFICIENCY_FLOOR);
    assert!(
        g.contains("<line x1=\"100.00\" y1=\"32.00\" x2=\"100.00\" y2=\"8.00\""),
        "{g}"
    );
    assert!(g.contains(">95% floor<"), "{g}");
    // A floor of 99%: the tick at 99% of the way, and 97% reads as below it.
    let g = gauge_svg("x", 0.97, 0.99);
    assert!(g.contains(&floor_tick(0.99)), "{g}");
    assert!(!g.contains(&floor_tick(0.95)), "{g}");
    assert!(g.contains(">99% floor<"), "{g}");
    assert!(g.contains("stroke=\"#cf222e\""), "red below the floor: {g}");
}

#[test]
fn check_gauge_takes_the_scenario_floor_from_its_rows() {
    let mut check = example_check();
    for row in &mut check.rows {
        if row.scenario == "steady-1k" && row.figure == "efficiency" {
            row.limit = crate::baseline::compare::Limit::FloorAndDrop {
                min: 0.99,
                max_drop: 0.02,
            };
        }
    }
    assert_eq!(check.efficiency_floor("steady-1k"), Some(0.99));
    let html = render_check_html(&check);
    assert!(html.contains(&floor_tick(0.99)), "steady-1k's own floor");
    assert!(
        html.contains(&floor_tick(0.95)),
        "the other scenario's floor"
    );
    assert_eq!(html.matches(">99% floor<").count(), 1);
    assert_eq!(html.matches(">95% floor<").count(), 1);
}

#[test]
fn check_html_has_the_diff_table_and_a_section_per_load_scenario() {
    let check = example_check();
    let html = render_check_html(&check);
    assert!(html.contains(
        "<div class=\"banner fail\">ratecheck: FAIL — 1 regressed, 1 below floor; not comparable: steady-10k/p99_ms (baseline from another machine)</div>"
    ));
    assert!(html.contains(
        "<p class=\"sub\">changed since the baseline: dependencies (Cargo.lock): hyper 1.4.1 → 1.5.0</p>"
    ));
    for v in [
        "ok",
        "improved",
        "regressed",
        "below-floor",
        "not-comparable",
        "missing",
        "info",
    ] {
        assert!(
            html.contains(&format!("<span class=\"v {v}\">{v}</span>")),
            "{v}"
        );
    }
    assert_eq!(html.matches("<tr class=\"fail\">").count(), 2);
    // failures and not-comparable rows first, then the judged rows, then the
    // info rows folded away; one heading row per scenario and part
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("<tr class=\"fail\">") < at("<span class=\"v not-comparable\">"));
    assert!(at("<span class=\"v not-comparable\">") < at("<span class=\"v ok\">"));
    let folded = at("<details><summary>1 figure shown, not judged</summary>");
    assert!(at("<span class=\"v missing\">") < folded);
    assert!(folded < at("<td>response_p99_ms</td>"));
    assert_eq!(
        html.matches("<tr class=\"scenario\"><th colspan=\"7\">steady-1k</th></tr>")
            .count(),
        3
    );
    assert!(!html.contains("<td>steady-1k</td>"), "no name on every row");
    // two load scenarios with reports: two gauges and their charts (the
    // 90% one has no value arc: the scale starts at 90%)
    assert_eq!(html.matches("<div class=\"gauge\"><svg").count(), 2);
    assert_eq!(html.matches("class=\"gauge-value\"").count(), 1);
    // rate, response time over time and distribution, for each
    assert_eq!(html.matches("<div class=\"chart\">").count(), 6);
    // the scenario name is escaped everywhere, never raw
    assert!(!html.contains("<script"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | a,b:c%"));
    for u in urls(&html) {
        assert!(u.starts_with("http://127.0.0.1:40000/"), "{u}");
    }
}

#[test]
fn a_crashed_service_shows_its_last_lines_escaped() {
    let html = render_check_html(&crate::report::example::example_crash());
    assert!(
        html.contains("<h2>service api exited during scenario"),
        "{html}"
    );
    assert!(html.contains("<pre>listening\nthread &#39;main&#39; panicked"));
    assert!(html.contains("boom ``` &lt;b&gt;</pre>"));
}
