//! The HTML report's pictures, as inline SVG: the efficiency gauge (a
//! hand-made arc with a tick at the floor in force), and with plotters' SVG
//! backend the rate over time and the response time (p50, p99) over time
//! from the run's 100 ms series, on one time axis, and the response-time
//! distribution as a percentile curve.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::escape_html;
use crate::report::format::{efficiency_grade, pct, pct_short, rps, sig3, Grade};
use ratecheck_engine::metrics::snapshot::TimeSeries;

/// The gauge's scale starts here: below 90% the arc is empty, so the
/// difference between 95% and 99.9% stays visible.
const GAUGE_MIN: f64 = 0.90;

/// The gauge arc's colour for an efficiency.
fn efficiency_color(e: f64, floor: f64) -> &'static str {
    match efficiency_grade(e, floor) {
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

/// A semicircle gauge of `efficiency` on a 90%–100% scale with a tick at
/// `floor`, the floor in force (a floor under 90% sits at the left end), as
/// inline SVG. `label` is shown under the figure (escaped).
pub fn gauge_svg(label: &str, efficiency: f64, floor: f64) -> String {
    let frac = if efficiency.is_finite() {
        ((efficiency - GAUGE_MIN) / (1.0 - GAUGE_MIN)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let color = efficiency_color(efficiency, floor);
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
    let at = ((floor - GAUGE_MIN) / (1.0 - GAUGE_MIN)).clamp(0.0, 1.0);
    let a = std::f64::consts::PI * (1.0 - at);
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
         <text x=\"105\" y=\"14\" font-size=\"10\" fill=\"#57606a\">{floor}% floor</text>\
         </svg>",
        value = escape_html(&pct(efficiency)),
        label = escape_html(label),
        floor = pct_short(floor),
    );
    s
}

/// Converts per-interval counts to a rate at each interval's midpoint.
pub(super) fn rate_points(counts: &[u64], interval_ms: u64) -> Vec<(f64, f64)> {
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

    let drawn = draw_svg((760, 320), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        style_mesh(&mut chart, "time (s)", "requests / s", &|v| rps(*v), &|v| {
            rps(*v)
        })?;
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
        draw_lines(
            &mut chart,
            &[
                (&generated, gen_color, "generated"),
                (&completed, done_color, "completed"),
            ],
            SeriesLabelPosition::LowerRight,
        )?;
        Ok(())
    });
    Some(drawn)
}

/// One line of a chart: its points, colour and legend label.
type Line<'p> = (&'p [(f64, f64)], RGBColor, &'p str);

/// Draws each `(points, colour, label)` as a 2 px line with a legend entry,
/// and the legend box at `position`.
fn draw_lines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[Line<'_>],
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for &(points, color, label) in lines {
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
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(208, 215, 222))
        .label_font(("sans-serif", 12))
        .draw()
}

/// Plot styling shared by the charts (axes, mesh, labels).
fn style_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&X::ValueType) -> String,
    y_fmt: &dyn Fn(&Y::ValueType) -> String,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    X: Ranged + plotters::coord::ranged1d::ValueFormatter<X::ValueType>,
    Y: Ranged + plotters::coord::ranged1d::ValueFormatter<Y::ValueType>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .light_line_style(RGBColor(240, 242, 245))
        .bold_line_style(RGBColor(220, 224, 228))
        .axis_style(RGBColor(140, 149, 159))
        .label_style(("sans-serif", 12).into_font().color(&RGBColor(87, 96, 106)))
        .max_light_lines(2)
        .y_labels(6)
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .draw()
}

/// The y range of a log-scale latency axis holding `values` (ms), with room
/// above and below.
fn log_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    (hi > 0.0).then(|| (lo / 1.5, hi * 1.5))
}

/// The points of a per-interval latency series (interval midpoints; empty
/// intervals left out).
pub(super) fn latency_points(series: &[Option<f64>], interval_ms: u64) -> Vec<(f64, f64)> {
    let step = interval_ms as f64 / 1000.0;
    series
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|v| *v > 0.0).map(|v| ((i as f64 + 0.5) * step, v)))
        .collect()
}

/// An SVG of `size` pixels drawn by `draw` on a white area, as inline
/// markup (plotters' namespace attribute dropped), or why it could not be
/// drawn.
pub(super) fn draw_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<String, String> {
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => Ok(svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")),
        Err(e) => Err(format!("the chart could not be drawn: {e}")),
    }
}

/// Response-time p50 and p99 per 100 ms interval (log scale), on the same
/// time axis as the rate chart; `None` when the run has no such series.
pub fn latency_chart_svg(series: &TimeSeries) -> Option<Result<String, String>> {
    let p50 = latency_points(&series.response_p50_ms, series.interval_ms);
    let p99 = latency_points(&series.response_p99_ms, series.interval_ms);
    let (lo, hi) = log_range(p50.iter().chain(&p99).map(|p| p.1))?;
    let n = series
        .target_rps
        .len()
        .max(series.generated.len())
        .max(series.completed.len())
        .max(series.response_p50_ms.len());
    let x_max = n as f64 * series.interval_ms as f64 / 1000.0;
    let drawn = draw_svg((760, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, (lo..hi).log_scale())?;
        style_mesh(
            &mut chart,
            "time (s)",
            "response time (ms)",
            &|v| rps(*v),
            &|v| sig3(*v),
        )?;
        draw_lines(
            &mut chart,
            &[
                (&p50, RGBColor(9, 105, 218), "p50"),
                (&p99, RGBColor(207, 34, 46), "p99"),
            ],
            SeriesLabelPosition::UpperRight,
        )?;
        Ok(())
    });
    Some(drawn)
}

/// A percentile's place on the distribution's x axis: its number of nines,
/// `log10(1 / (1 − p))` (50% → 0.30, 99% → 2, 99.9% → 3), as HdrHistogram
/// plots do; the maximum (100%) goes half a step past the last point.
pub(super) fn nines(p: f64) -> f64 {
    if p >= 100.0 {
        f64::INFINITY
    } else {
        -(1.0 - p / 100.0).log10()
    }
}

/// The percentile at `x` nines, with as many decimals as it has nines past
/// the second: `1` → `90%`, `3` → `99.9%`, `0.5` → `68%`.
pub(super) fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let decimals = (x.round() as i64 - 2).max(0) as usize;
    format!("{p:.decimals$}%")
}

/// The response-time distribution (`[percentile, ms]` points) as a
/// percentile curve on log scales; `None` when there are no points.
pub fn distribution_chart_svg(points: &[[f64; 2]]) -> Option<Result<String, String>> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p[0] < 100.0)
        .map(|p| (nines(p[0]), p[1]))
        .collect();
    let last_x = finite.last().map_or(0.0, |p| p.0);
    let max_x = last_x + 0.5;
    // Room right of the maximum for its label.
    let x_max = (max_x + 0.4).max(1.0);
    let curve: Vec<(f64, f64)> = finite
        .iter()
        .copied()
        .chain(
            points
                .iter()
                .filter(|p| p[0] >= 100.0)
                .map(|p| (max_x, p[1])),
        )
        .filter(|p| p.1 > 0.0)
        .collect();
    let (lo, hi) = log_range(curve.iter().map(|p| p.1))?;
    let drawn = draw_svg((760, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, (lo..hi).log_scale())?;
        let label = |x: &f64| percentile_label(*x);
        style_mesh(
            &mut chart,
            "percentile",
            "response time (ms)",
            &label,
            &|v| sig3(*v),
        )?;
        let color = RGBColor(9, 105, 218);
        chart.draw_series(LineSeries::new(
            curve.iter().copied(),
            color.stroke_width(2),
        ))?;
        chart.draw_series(
            curve
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
        )?;
        // The maximum sits at the right end, off the percentile scale.
        if let Some(&[_, max]) = points.last().filter(|p| p[0] >= 100.0) {
            chart.draw_series(std::iter::once(Text::new(
                " max",
                (max_x, max),
                ("sans-serif", 12).into_font().color(&RGBColor(87, 96, 106)),
            )))?;
        }
        Ok(())
    });
    Some(drawn)
}
