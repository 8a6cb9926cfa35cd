//! `bisect`'s result document ([`BisectReport`]) and its renderers (text,
//! Markdown, JSON): every probe in the order it was measured, with its
//! figure and verdict, then the first bad commit (or the commits it is
//! among), the probes it took against the bound, and the commits that
//! were skipped. Pure.

use serde::Serialize;

use crate::git::short_sha;
use crate::git::CommitInfo;
use crate::report::format::{mb, sig3};
use crate::report::history::shorten;
use crate::report::model::Table;
use crate::revision::bisect::Mark;

/// One probe's ratio to the good revision (paired figures).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatioJson {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
    pub pairs: usize,
}

/// One probe: a commit measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeRow {
    /// Its place in the first-parent range: 0 the good revision, `n` the
    /// bad one.
    pub position: usize,
    #[serde(flatten)]
    pub commit: CommitInfo,
    /// The figure (instructions per request, the paired median, or the
    /// number the command printed), when there is one.
    pub value: Option<f64>,
    /// Paired figures: the ratio to the good revision.
    pub ratio: Option<RatioJson>,
    pub verdict: Mark,
    /// Why it was skipped, the command's exit status, `binary reused`.
    pub note: String,
}

/// How the search ended, for readers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Found {
    /// The first bad commit.
    FirstBad { commit: CommitInfo },
    /// One of these, oldest first (the others could not be judged).
    Among { commits: Vec<CommitInfo> },
    /// Too many skipped: the first bad commit is after `after` and at or
    /// before `upto`.
    GaveUp {
        after: CommitInfo,
        upto: CommitInfo,
        untested: usize,
    },
}

/// The result of `bisect`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BisectReport {
    /// `--good` and `--bad` as given.
    pub good_rev: String,
    pub bad_rev: String,
    pub good: CommitInfo,
    pub bad: CommitInfo,
    /// Commits after the good one, up to the bad one: the candidates.
    pub candidates: usize,
    /// The figure (`scenario/figure`, or `--figure` with `--command`).
    pub figure: Option<String>,
    pub unit: String,
    /// `--command`, when given.
    pub command: Option<String>,
    /// In the order measured.
    pub probes: Vec<ProbeRow>,
    /// ⌈log2 candidates⌉ + 2: the most probes without skips.
    pub bound: usize,
    /// Probes whose binary was built now (`None` with `--command`).
    pub built: Option<usize>,
    pub found: Found,
    /// Commits that could not be judged, oldest first.
    pub skipped: Vec<CommitInfo>,
    pub elapsed_s: f64,
}

impl BisectReport {
    /// Whether the first bad commit was found (exit 0).
    pub fn found_first_bad(&self) -> bool {
        matches!(self.found, Found::FirstBad { .. })
    }
}

/// A figure's value: instruction counts to a tenth, bytes as MB, the rest
/// to three significant digits with the unit.
pub fn probe_value_text(unit: &str, v: f64) -> String {
    match unit {
        "instr" => format!("{v:.1} instr"),
        "B" if v.is_finite() && v >= 0.0 => mb(v.round() as u64),
        "" => sig3(v),
        u => format!("{} {u}", sig3(v)),
    }
}

/// A probe's figure cell: the value, and the ratio with its interval.
fn figure_cell(r: &BisectReport, p: &ProbeRow) -> String {
    let v = p.value.map(|v| probe_value_text(&r.unit, v));
    let ratio = p
        .ratio
        .as_ref()
        .map(|q| format!("×{:.3} [{:.3}, {:.3}]", q.ratio, q.low, q.high));
    match (v, ratio) {
        (Some(v), Some(q)) => format!("{v}, {q}"),
        (Some(v), None) => v,
        (None, Some(q)) => q,
        (None, None) => "—".into(),
    }
}

/// Subjects longer than this are cut in the table (not in the JSON).
const SUBJECT_CHARS: usize = 50;

/// One row per probe, in the order measured.
pub fn probes_table(r: &BisectReport) -> Table {
    let mut t = Table {
        header: vec![
            "probe", "commit", "#", "date", "subject", "figure", "verdict", "note",
        ],
        right: vec![true, false, true, false, false, true, false, false],
        rows: Vec::new(),
    };
    for (i, p) in r.probes.iter().enumerate() {
        t.rows.push(vec![
            (i + 1).to_string(),
            short_sha(&p.commit.commit).to_string(),
            format!("{}/{}", p.position, r.candidates),
            p.commit
                .date
                .get(..10)
                .unwrap_or(&p.commit.date)
                .to_string(),
            shorten(&p.commit.subject, SUBJECT_CHARS),
            figure_cell(r, p),
            p.verdict.word().to_string(),
            p.note.clone(),
        ]);
    }
    t
}

/// `bisect --good A (sha) .. --bad B (sha): N commits, by FIGURE`.
pub fn heading(r: &BisectReport) -> String {
    let by = match (&r.command, &r.figure) {
        (Some(c), Some(f)) => format!("by `{c}` ({f})"),
        (Some(c), None) => format!("by `{c}`"),
        (None, Some(f)) => format!("by {f}"),
        (None, None) => String::new(),
    };
    format!(
        "bisect --good {} ({}) .. --bad {} ({}): {} commit{} after the good one, {by}",
        r.good_rev,
        short_sha(&r.good.commit),
        r.bad_rev,
        short_sha(&r.bad.commit),
        r.candidates,
        if r.candidates == 1 { "" } else { "s" },
    )
}

fn one(c: &CommitInfo) -> String {
    format!("{} {}", short_sha(&c.commit), c.subject)
}

/// The lines after the table: the answer, the probes used, the skipped.
pub fn conclusion_lines(r: &BisectReport) -> Vec<String> {
    let mut out = Vec::new();
    match &r.found {
        Found::FirstBad { commit } => {
            out.push(format!("first bad commit: {}", commit.commit));
            out.push(format!("  subject:     {}", commit.subject));
            out.push(format!("  author date: {}", commit.date));
            let shown = |c: &CommitInfo| {
                r.probes
                    .iter()
                    .find(|p| p.commit.commit == c.commit)
                    .map(|p| figure_cell(r, p))
            };
            if let (Some(f), Some(before), Some(after)) =
                (&r.figure, shown(&r.good), shown(commit))
            {
                out.push(format!("  {f}: {before} at the good revision, {after} here"));
            }
        }
        Found::Among { commits } => {
            out.push(format!(
                "cannot tell which: the first bad commit is one of these {} (the others could not be judged):",
                commits.len()
            ));
            out.extend(commits.iter().map(|c| format!("  {}", one(c))));
        }
        Found::GaveUp {
            after,
            upto,
            untested,
        } => out.push(format!(
            "gave up after {} skipped commits: the first bad commit is after {} and at or before {} ({untested} untested between)",
            r.skipped.len(),
            one(after),
            one(upto)
        )),
    }
    let what = if r.command.is_some() {
        "runs"
    } else {
        "builds"
    };
    let mut used = format!(
        "{what}: {} (at most {} = ⌈log2 {}⌉ + 2 without skips",
        r.probes.len(),
        r.bound,
        r.candidates
    );
    if let Some(built) = r.built {
        used.push_str(&format!(
            "; {built} built now, {} reused",
            r.probes.len().saturating_sub(built)
        ));
    }
    used.push_str(&format!(") in {:.0} s", r.elapsed_s));
    out.push(used);
    if r.skipped.is_empty() {
        out.push("skipped: none".into());
    } else {
        out.push(format!(
            "skipped: {}",
            r.skipped.iter().map(one).collect::<Vec<_>>().join("; ")
        ));
    }
    out
}

/// The terminal rendering.
pub fn render_bisect_text(r: &BisectReport, color: bool) -> String {
    use crate::report::text::model_table;
    let mut out = format!("{}\n", heading(r));
    out.push_str(&format!("{}\n", model_table(&probes_table(r), color)));
    for line in conclusion_lines(r) {
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// GitHub-flavoured Markdown: the same.
pub fn render_bisect_md(r: &BisectReport) -> String {
    use crate::report::markdown::{escape_cell, model_table};
    let mut out = format!("### {}\n\n", escape_cell(&heading(r)));
    out.push_str(&model_table(&probes_table(r)));
    out.push('\n');
    for line in conclusion_lines(r) {
        out.push_str(&format!("- {}\n", escape_cell(line.trim())));
    }
    out
}

/// The document as pretty JSON.
pub fn render_bisect_json(r: &BisectReport) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(i: usize) -> CommitInfo {
        CommitInfo {
            commit: format!("{i}").repeat(40),
            subject: format!("c{i}"),
            date: format!("2026-12-0{}T10:00:00Z", i % 9 + 1),
        }
    }

    fn probe(position: usize, value: f64, verdict: Mark) -> ProbeRow {
        ProbeRow {
            position,
            commit: commit(position),
            value: Some(value),
            ratio: None,
            verdict,
            note: String::new(),
        }
    }

    fn report() -> BisectReport {
        BisectReport {
            good_rev: "HEAD~8".into(),
            bad_rev: "HEAD".into(),
            good: commit(0),
            bad: commit(8),
            candidates: 8,
            figure: Some("instructions/instructions_per_request_http".into()),
            unit: "instr".into(),
            command: None,
            probes: vec![
                probe(0, 22_441.8, Mark::Good),
                probe(8, 23_900.2, Mark::Bad),
                probe(4, 22_441.9, Mark::Good),
                ProbeRow {
                    value: None,
                    note: "does not build".into(),
                    ..probe(6, 0.0, Mark::Skip)
                },
                probe(7, 23_900.0, Mark::Bad),
                probe(5, 23_899.7, Mark::Bad),
            ],
            bound: 5,
            built: Some(4),
            found: Found::FirstBad { commit: commit(5) },
            skipped: vec![commit(6)],
            elapsed_s: 312.4,
        }
    }

    #[test]
    fn text_names_the_first_bad_commit_the_builds_and_the_skipped() {
        let text = render_bisect_text(&report(), false);
        assert!(text.starts_with("bisect --good HEAD~8 (000000000000) .. --bad HEAD (888888888888): 8 commits after the good one, by instructions/instructions_per_request_http\n"), "{text}");
        assert!(
            text.contains(&format!("first bad commit: {}\n", "5".repeat(40))),
            "{text}"
        );
        assert!(text.contains("  subject:     c5\n"), "{text}");
        assert!(
            text.contains("  author date: 2026-12-06T10:00:00Z\n"),
            "{text}"
        );
        assert!(
            text.contains("22441.8 instr at the good revision, 23899.7 instr here"),
            "{text}"
        );
        assert!(
            text.contains("builds: 6 (at most 5 = ⌈log2 8⌉ + 2 without skips; 4 built now, 2 reused) in 312 s\n"),
            "{text}"
        );
        assert!(text.contains("skipped: 666666666666 c6\n"), "{text}");
        let t = probes_table(&report());
        let positions: Vec<&str> = t.rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(positions, ["0/8", "8/8", "4/8", "6/8", "7/8", "5/8"]);
        assert_eq!(t.rows[3][5], "—");
        assert_eq!(t.rows[3][6], "skipped");
    }

    #[test]
    fn an_undecided_search_lists_the_commits() {
        let mut r = report();
        r.found = Found::Among {
            commits: vec![commit(4), commit(5)],
        };
        let lines = conclusion_lines(&r);
        assert!(lines[0].starts_with("cannot tell which: the first bad commit is one of these 2"));
        assert_eq!(lines[1], "  444444444444 c4");
        r.found = Found::GaveUp {
            after: commit(2),
            upto: commit(6),
            untested: 1,
        };
        assert!(conclusion_lines(&r)[0]
            .contains("after 222222222222 c2 and at or before 666666666666 c6"));
        assert!(!r.found_first_bad());
    }

    #[test]
    fn paired_probes_show_the_ratio_and_commands_count_runs() {
        let mut r = report();
        r.unit = "us".into();
        r.probes[1].ratio = Some(RatioJson {
            ratio: 1.0542,
            low: 1.041,
            high: 1.067,
            pairs: 20,
        });
        r.probes[1].value = Some(12.34);
        assert_eq!(
            probes_table(&r).rows[1][5],
            "12.3 us, ×1.054 [1.041, 1.067]"
        );
        r.command = Some("./measure.sh".into());
        r.built = None;
        let text = render_bisect_text(&r, false);
        assert!(text.contains("by `./measure.sh` (instructions/"), "{text}");
        assert!(
            text.contains("\nruns: 6 (at most 5 = ⌈log2 8⌉ + 2 without skips) in 312 s\n"),
            "{text}"
        );
    }

    #[test]
    fn json_and_markdown() {
        let v: serde_json::Value = serde_json::from_str(&render_bisect_json(&report())).unwrap();
        assert_eq!(v["found"]["kind"], "first_bad");
        assert_eq!(v["found"]["commit"]["subject"], "c5");
        assert_eq!(v["probes"][3]["verdict"], "skip");
        assert_eq!(v["probes"][0]["commit"], "0".repeat(40));
        assert_eq!(v["bound"], 5);
        let md = render_bisect_md(&report());
        assert!(md.starts_with("### bisect --good HEAD~8"), "{md}");
        assert!(md.contains("| probe | commit | # |"), "{md}");
        assert!(md.contains("- first bad commit: "), "{md}");
    }

    #[test]
    fn values() {
        assert_eq!(probe_value_text("instr", 22_441.84), "22441.8 instr");
        assert_eq!(probe_value_text("B", 10_200_000.0), "10.2 MB");
        assert_eq!(probe_value_text("", 1234.0), "1234");
        assert_eq!(probe_value_text("us", 12.345), "12.3 us");
    }
}
