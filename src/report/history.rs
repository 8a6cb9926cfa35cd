//! `history`'s renderers (text, Markdown, JSON; the HTML page is in
//! `html/history.rs`): the committed versions of a baseline file as one
//! table, and every figure's oldest and newest value, change and a
//! per-commit sparkline as another. Pure.

use crate::baseline::history::{History, Series};
use crate::git::short_sha;
use crate::report::format::{change, figure_shape, value};
use crate::report::model::Table;

/// The sparkline's eight levels, lowest first.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A point in a version that has no value of the figure.
const GAP: char = '·';

/// `history of PATH: N committed versions, FIRST to LAST` (dates), and how
/// many did not parse.
pub fn heading(h: &History) -> String {
    let (first, last) = (h.versions.first(), h.versions.last());
    let mut s = format!(
        "history of {}: {} committed version{}",
        h.path,
        h.versions.len(),
        if h.versions.len() == 1 { "" } else { "s" }
    );
    if let (Some(a), Some(b)) = (first, last) {
        s.push_str(&format!(
            ", {} to {}",
            day(&a.commit.date),
            day(&b.commit.date)
        ));
    }
    if !h.skipped.is_empty() {
        s.push_str(&format!("; {} skipped (not a baseline)", h.skipped.len()));
    }
    s
}

/// Subjects longer than this are cut in the versions table (the JSON and
/// the HTML's hover titles keep them whole).
const SUBJECT_CHARS: usize = 72;

/// `s` cut to `max` characters, the last one an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The date part of an RFC 3339 time.
fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// What marks a version: `dirty`, `other machine (CPU)`; empty when none.
pub fn marks(h: &History, version: usize) -> String {
    let Some(v) = h.versions.get(version) else {
        return String::new();
    };
    let mut out = Vec::new();
    if v.dirty {
        out.push("dirty".to_string());
    }
    if v.other_machine {
        out.push(format!("other machine: {}", v.machine));
    }
    out.join(", ")
}

/// One row per committed version, oldest first.
pub fn versions_table(h: &History) -> Table {
    let mut t = Table {
        header: vec!["#", "commit", "date", "subject", "measured"],
        right: vec![true, false, false, false, false],
        rows: Vec::new(),
    };
    for (i, v) in h.versions.iter().enumerate() {
        t.rows.push(vec![
            (i + 1).to_string(),
            short_sha(&v.commit.commit).to_string(),
            day(&v.commit.date).to_string(),
            shorten(&v.commit.subject, SUBJECT_CHARS),
            marks(h, i),
        ]);
    }
    t
}

/// A figure's value as the reports write it (`99.50%`, `12.3 us`, `20.0 MB`).
pub fn series_value_text(s: &Series, v: f64) -> String {
    value(figure_shape(s.kind, &s.unit), &s.unit, Some(v))
}

/// One row per figure: oldest and newest value, the change between them,
/// and a sparkline with one character per committed version.
pub fn figures_table(h: &History) -> Table {
    let mut t = Table {
        header: vec!["figure", "oldest", "newest", "change", "over the commits"],
        right: vec![false, true, true, true, false],
        rows: Vec::new(),
    };
    for s in &h.series {
        let shape = figure_shape(s.kind, &s.unit);
        let end = |p: Option<&crate::baseline::history::Point>| {
            p.map(|p| series_value_text(s, p.value))
                .unwrap_or_else(|| "—".to_string())
        };
        t.rows.push(vec![
            s.name(),
            end(s.points.first()),
            end(s.points.last()),
            change(shape, s.change()),
            sparkline(s, h.versions.len()),
        ]);
    }
    t
}

/// One character per version: the value's level between the series' lowest
/// and highest, [`GAP`] where the version lacks the figure; a flat series
/// sits in the middle.
pub fn sparkline(s: &Series, versions: usize) -> String {
    let (lo, hi) = s
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    let mut out = vec![GAP; versions];
    for p in &s.points {
        let level = if hi > lo {
            (((p.value - lo) / (hi - lo)) * 7.0).round() as usize
        } else {
            3
        };
        if let Some(c) = out.get_mut(p.version) {
            *c = LEVELS[level.min(7)];
        }
    }
    out.into_iter().collect()
}

/// `skipped abc123def456 (subject): reason`, one per version that did not parse.
fn skipped_lines(h: &History) -> Vec<String> {
    h.skipped
        .iter()
        .map(|s| {
            format!(
                "skipped {} ({}): {}",
                short_sha(&s.commit.commit),
                s.commit.subject,
                s.reason
            )
        })
        .collect()
}

/// The terminal rendering: heading, the versions, the figures, the skipped.
pub fn render_history_text(h: &History, color: bool) -> String {
    use crate::report::text::model_table;
    let mut out = format!("{}\n", heading(h));
    out.push_str(&format!("{}\n", model_table(&versions_table(h), color)));
    if h.series.is_empty() {
        out.push_str("no judged figures\n");
    } else {
        out.push_str(&format!("{}\n", model_table(&figures_table(h), color)));
    }
    for line in skipped_lines(h) {
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// GitHub-flavoured Markdown: the same tables.
pub fn render_history_md(h: &History) -> String {
    use crate::report::markdown::{escape_cell, model_table};
    let mut out = format!("### {}\n\n", escape_cell(&heading(h)));
    out.push_str(&model_table(&versions_table(h)));
    out.push('\n');
    if !h.series.is_empty() {
        out.push_str(&model_table(&figures_table(h)));
        out.push('\n');
    }
    for line in skipped_lines(h) {
        out.push_str(&format!("- {}\n", escape_cell(&line)));
    }
    out
}

/// The history document as pretty JSON (the `History` type's fields).
pub fn render_history_json(h: &History) -> String {
    let mut s = serde_json::to_string_pretty(h).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
pub(crate) mod tests;
