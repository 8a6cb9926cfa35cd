//! Tests of the history renderers, on a hand-built history.

use super::*;
use crate::baseline::history::{Point, Skipped, Version};
use crate::figure::FigureKind;
use crate::git::CommitInfo;

fn version(n: usize, dirty: bool, other: bool) -> Version {
    Version {
        commit: CommitInfo {
            commit: format!("{n}").repeat(40),
            subject: format!("baseline {n} <b>"),
            date: format!("2026-11-0{n}T10:00:00Z"),
        },
        measured_at: None,
        dirty,
        other_machine: other,
        machine: "Old CPU (2 cores)".into(),
    }
}

fn series(figure: &str, kind: FigureKind, unit: &str, values: &[(usize, f64)]) -> Series {
    Series {
        scenario: "s".into(),
        figure: figure.into(),
        kind,
        unit: unit.into(),
        points: values
            .iter()
            .map(|&(version, value)| Point {
                version,
                commit: format!("{version}").repeat(40),
                value,
            })
            .collect(),
    }
}

pub(crate) fn example() -> History {
    History {
        schema_version: 1,
        path: "baselines/default.json".into(),
        versions: vec![
            version(1, false, true),
            version(2, true, false),
            version(3, false, false),
        ],
        skipped: vec![Skipped {
            commit: CommitInfo {
                commit: "f".repeat(40),
                subject: "broken".into(),
                date: "2026-11-02T00:00:00Z".into(),
            },
            reason: "ffffffffffff:baselines/default.json: not valid JSON".into(),
        }],
        series: vec![
            series(
                "cpu",
                FigureKind::Cpu,
                "us",
                &[(0, 10.0), (1, 15.0), (2, 20.0)],
            ),
            series(
                "efficiency",
                FigureKind::Efficiency,
                "",
                &[(0, 0.99), (2, 0.995)],
            ),
        ],
    }
}

#[test]
fn sparkline_has_one_level_per_version_and_gaps() {
    let h = example();
    assert_eq!(sparkline(&h.series[0], 3), "▁▅█");
    assert_eq!(sparkline(&h.series[1], 3), "▁·█");
    let flat = series("x", FigureKind::Cpu, "", &[(0, 2.0), (1, 2.0)]);
    assert_eq!(sparkline(&flat, 3), "▄▄·");
}

#[test]
fn figures_table_has_ends_change_and_sparkline() {
    let t = figures_table(&example());
    assert_eq!(
        t.rows[0],
        ["s/cpu", "10.0 us", "20.0 us", "+100%", "▁▅█"].map(String::from)
    );
    assert_eq!(
        t.rows[1],
        ["s/efficiency", "99.00%", "99.50%", "+0.50 pts", "▁·█"].map(String::from)
    );
}

#[test]
fn versions_table_marks_dirty_and_other_machine() {
    let t = versions_table(&example());
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.rows[0][1], "111111111111");
    assert_eq!(t.rows[0][2], "2026-11-01");
    assert_eq!(t.rows[0][4], "other machine: Old CPU (2 cores)");
    assert_eq!(t.rows[1][4], "dirty");
    assert_eq!(t.rows[2][4], "");
    assert_eq!(shorten("abcdef", 4), "abc…");
    assert_eq!(shorten("abc", 4), "abc");
}

#[test]
fn text_markdown_and_json() {
    let h = example();
    let text = render_history_text(&h, false);
    assert!(
        text.starts_with(
            "history of baselines/default.json: 3 committed versions, 2026-11-01 to 2026-11-03; 1 skipped"
        ),
        "{text}"
    );
    assert!(
        text.contains("skipped ffffffffffff (broken): ffffffffffff:baselines"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour unless asked");
    let md = render_history_md(&h);
    assert!(
        md.contains("| s/cpu | 10.0 us | 20.0 us | +100% | ▁▅█ |"),
        "{md}"
    );
    assert!(md.contains("baseline 1 &lt;b&gt;"), "escaped: {md}");
    let json: serde_json::Value = serde_json::from_str(&render_history_json(&h)).unwrap();
    assert_eq!(json["series"][0]["figure"], "cpu");
    assert_eq!(json["series"][0]["kind"], "cpu");
    assert_eq!(json["series"][0]["points"][2]["value"], 20.0);
    assert_eq!(json["versions"][1]["dirty"], true);
    assert_eq!(json["versions"][0]["other_machine"], true);
    assert_eq!(json["versions"][0]["subject"], "baseline 1 <b>");
    assert_eq!(json["skipped"][0]["subject"], "broken");
}
