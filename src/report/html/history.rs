//! `history --html`: one self-contained page with the committed versions
//! and one inline SVG chart per figure (plotters draws the axes and the
//! line; each point is added as its own SVG element with a hover `<title>`
//! naming the commit, its subject, date and the value). Points from a
//! baseline saved from a dirty tree, or on another machine than the newest
//! one, are drawn differently and explained in the legend.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::charts::draw_svg;
use super::{escape_html, model_table, page};
use crate::baseline::history::{History, Series};
use crate::git::short_sha;
use crate::report::format::{change, figure_shape};
use crate::report::history::{figures_table, heading, marks, series_value_text, versions_table};

/// Chart size in SVG pixels.
const SIZE: (u32, u32) = (560, 220);
const BLUE: &str = "#0969da";
const DIRTY: &str = "#bf8700";
const OTHER: &str = "#8c959f";

/// How a point is drawn: by whether its baseline was dirty and whether it
/// came from another machine.
pub(super) fn point_svg(x: i32, y: i32, dirty: bool, other: bool, title: &str) -> String {
    let color = match (dirty, other) {
        (true, _) => DIRTY,
        (false, true) => OTHER,
        (false, false) => BLUE,
    };
    // Filled: a clean baseline; hollow: dirty. Circle: this machine;
    // square: another machine.
    let fill = if dirty { "#fff" } else { color };
    let class = match (dirty, other) {
        (false, false) => "pt",
        (true, false) => "pt dirty",
        (false, true) => "pt other",
        (true, true) => "pt dirty other",
    };
    let shape = if other {
        format!(
            "<rect x=\"{}\" y=\"{}\" width=\"9\" height=\"9\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"2\"/>",
            x - 4,
            y - 4
        )
    } else {
        format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"5\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"2\"/>")
    };
    format!(
        "<g class=\"{class}\"><title>{}</title>{shape}</g>",
        escape_html(title)
    )
}

/// The hover text of a point.
fn point_title(h: &History, s: &Series, version: usize, v: f64) -> String {
    let Some(ver) = h.versions.get(version) else {
        return String::new();
    };
    let mut t = format!(
        "{} {}\n{}\n{}: {}",
        short_sha(&ver.commit.commit),
        ver.commit.subject,
        ver.commit.date,
        s.name(),
        series_value_text(s, v)
    );
    let m = marks(h, version);
    if !m.is_empty() {
        let _ = write!(t, "\n{m}");
    }
    t
}

/// The y range holding the series' values, with room above and below (a
/// flat series gets ±5%, or up to 1 from zero; never below zero for a
/// series without negative values).
fn y_range(s: &Series) -> (f64, f64) {
    let (lo, hi) = s
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.12
    } else if lo != 0.0 {
        lo.abs() * 0.05
    } else {
        1.0
    };
    // Counts, sizes and rates are never negative: no axis below zero.
    let bottom = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    (bottom, hi + pad)
}

/// One figure over the versions as inline SVG: x is the version's index,
/// labelled with its short hash.
pub fn history_chart_svg(h: &History, s: &Series) -> Result<String, String> {
    let n = h.versions.len().max(1);
    let (lo, hi) = y_range(s);
    let shape = figure_shape(s.kind, &s.unit);
    let label = |i: &f64| -> String {
        let r = i.round();
        if (i - r).abs() > 1e-6 || r < 0.0 {
            return String::new();
        }
        h.versions
            .get(r as usize)
            .map(|v| {
                v.commit
                    .commit
                    .get(..7)
                    .unwrap_or(&v.commit.commit)
                    .to_string()
            })
            .unwrap_or_default()
    };
    let y_fmt = |v: &f64| crate::report::format::value(shape, &s.unit, Some(*v));
    let mut points = String::new();
    let drawn = draw_svg(SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), lo..hi)?;
        // One label per version up to 12, else every k-th (integers only).
        chart
            .configure_mesh()
            .x_desc("commit")
            .disable_x_mesh()
            .light_line_style(RGBColor(240, 242, 245))
            .bold_line_style(RGBColor(220, 224, 228))
            .axis_style(RGBColor(140, 149, 159))
            .label_style(("sans-serif", 12).into_font().color(&RGBColor(87, 96, 106)))
            .max_light_lines(2)
            .x_labels(n.min(12))
            .y_labels(6)
            .x_label_formatter(&label)
            .y_label_formatter(&y_fmt)
            .draw()?;
        let line: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|p| (p.version as f64, p.value))
            .collect();
        chart.draw_series(LineSeries::new(
            line.iter().copied(),
            RGBColor(9, 105, 218).stroke_width(2),
        ))?;
        for p in &s.points {
            let (x, y) = chart.backend_coord(&(p.version as f64, p.value));
            let v = &h.versions[p.version];
            points.push_str(&point_svg(
                x,
                y,
                v.dirty,
                v.other_machine,
                &point_title(h, s, p.version, p.value),
            ));
        }
        Ok(())
    });
    let svg = drawn?;
    Ok(match svg.rfind("</svg>") {
        Some(end) => format!("{}{points}{}", &svg[..end], &svg[end..]),
        None => svg,
    })
}

/// Styles of the legend (the page's own CSS has none for it).
const STYLE: &str = "<style>.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); } \
.legend-item svg { vertical-align: -3px; } \
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; margin: 0 0 16px; } \
.charts > .card { margin: 0; } .charts .chart svg { max-width: 560px; } .pt:hover circle, .pt:hover rect { stroke-width: 3; }</style>\n";

/// The legend: what each point style means.
fn legend() -> String {
    let item = |dirty, other, text: &str| {
        format!(
            "<span class=\"legend-item\"><svg viewBox=\"0 0 16 16\" width=\"16\" height=\"16\">{}</svg> {}</span>",
            point_svg(8, 8, dirty, other, text),
            escape_html(text)
        )
    };
    format!(
        "<p class=\"legend\">{} {} {}</p>\n",
        item(
            false,
            false,
            "baseline saved from a clean tree on the newest baseline's machine"
        ),
        item(
            true,
            false,
            "saved from a tree with uncommitted changes (dirty)"
        ),
        item(
            false,
            true,
            "measured on another machine: CPU time, memory and latency do not compare"
        ),
    )
}

/// The whole page.
pub fn render_history_html(h: &History) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>cargo ratecheck history</h1>\n<p class=\"sub\">{}</p>\n",
        escape_html(&heading(h))
    );
    body.push_str(STYLE);
    body.push_str(&legend());
    body.push_str("<div class=\"charts\">\n");
    for s in &h.series {
        let shape = figure_shape(s.kind, &s.unit);
        let summary = match (s.points.first(), s.points.last()) {
            (Some(a), Some(b)) => format!(
                "{} → {} ({})",
                series_value_text(s, a.value),
                series_value_text(s, b.value),
                match change(shape, s.change()) {
                    c if c.is_empty() => "no change".to_string(),
                    c => c,
                }
            ),
            _ => "no value in any version".to_string(),
        };
        let chart = match history_chart_svg(h, s) {
            Ok(svg) => format!("<div class=\"chart\">{svg}</div>"),
            Err(e) => format!("<p class=\"muted\">{}</p>", escape_html(&e)),
        };
        let _ = writeln!(
            body,
            "<section class=\"card\"><h2>{}</h2><p class=\"sub\">{}</p>{chart}</section>",
            escape_html(&s.name()),
            escape_html(&summary)
        );
    }
    body.push_str("</div>\n");
    let _ = writeln!(
        body,
        "<section class=\"card\"><h2>Figures</h2>{}</section>",
        model_table(&figures_table(h))
    );
    let _ = writeln!(
        body,
        "<section class=\"card\"><h2>Committed versions</h2>{}</section>",
        model_table(&versions_table(h))
    );
    if !h.skipped.is_empty() {
        body.push_str("<section class=\"card\"><h2>Skipped</h2><ul class=\"warnings\">");
        for s in &h.skipped {
            let _ = write!(
                body,
                "<li>{} ({}): {}</li>",
                escape_html(short_sha(&s.commit.commit)),
                escape_html(&s.commit.subject),
                escape_html(&s.reason)
            );
        }
        body.push_str("</ul></section>\n");
    }
    page(&format!("ratecheck history: {}", h.path), &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::history::tests::example;

    #[test]
    fn one_chart_per_figure_with_a_titled_point_per_value() {
        let h = example();
        let page = render_history_html(&h);
        assert_eq!(page.matches("<div class=\"chart\"><svg").count(), 2);
        // 3 cpu points + 2 efficiency points, plus the 3 legend symbols.
        assert_eq!(page.matches("<g class=\"pt").count(), 5 + 3);
        // The hover title names commit, subject (escaped), date and value.
        assert!(
            page.contains(
                "<title>222222222222 baseline 2 &lt;b&gt;\n2026-11-02T10:00:00Z\ns/cpu: 15.0 us\ndirty</title>"
            ),
            "{page}"
        );
        assert!(page.contains("s/cpu: 10.0 us\nother machine: Old CPU (2 cores)</title>"));
        // Short hashes label the x axis.
        for short in ["1111111", "2222222", "3333333"] {
            assert!(page.contains(&format!(">\n{short}\n</text>")), "{short}");
        }
        assert!(page.contains("10.0 us → 20.0 us (+100%)"), "{page}");
        assert!(page.contains("ffffffffffff (broken)"));
        // Self-contained: nothing fetched.
        assert!(
            !page.contains("http://") && !page.contains("https://") && !page.contains("<script")
        );
    }

    #[test]
    fn dirty_and_other_machine_points_differ() {
        let clean = point_svg(10, 20, false, false, "t");
        let dirty = point_svg(10, 20, true, false, "t");
        let other = point_svg(10, 20, false, true, "t");
        assert!(clean.contains("<circle") && clean.contains(&format!("fill=\"{BLUE}\"")));
        assert!(dirty.contains("<circle") && dirty.contains("fill=\"#fff\""));
        assert!(other.contains("<rect") && other.contains(&format!("stroke=\"{OTHER}\"")));
        assert!(point_svg(1, 1, true, true, "t").contains("class=\"pt dirty other\""));
    }

    #[test]
    fn y_range_pads_and_stays_above_zero() {
        let mut h = example();
        let s = &mut h.series[0];
        assert_eq!(y_range(s), (8.8, 21.2));
        for p in &mut s.points {
            p.value = 0.0;
        }
        assert_eq!(y_range(s), (0.0, 1.0));
        s.points.clear();
        assert_eq!(y_range(s), (0.0, 1.0));
    }
}
