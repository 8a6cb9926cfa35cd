//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments (GitHub
//! Flavored Markdown pipe tables), and the `::error` workflow-command lines
//! GitHub Actions turns into annotations on failing figures.
//!
//! Escaping: table cells escape `\`, `|` and HTML's `&`, `<`, `>` and fold
//! newlines into spaces, so user data (scenario names, notes, warnings) can
//! neither break the table nor inject markup. Workflow commands follow
//! GitHub's rules (`%`, CR, LF in the message; also `:` and `,` in
//! properties such as `title`).

use crate::baseline::compare::Verdict;
use crate::report::check::CheckOutput;
use crate::report::format::environment_line;
use crate::report::format::{is_failure, pct, rps, secs};
use crate::report::model::{self, baseline_line, check_warnings, ScenarioBlock, CHECK_COLUMNS};
use ratecheck_engine::metrics::snapshot::RunReport;

/// Escapes text for a GFM table cell or a list item.
pub fn escape_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A model table as a pipe table.
pub(crate) fn model_table(t: &model::Table) -> String {
    table(&t.header, &t.right, &t.rows)
}

/// A pipe table: header row, separator row (`---`, or `--:` for the columns
/// flagged right-aligned), one row per entry. Cells are escaped here.
fn table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let line = |cells: &mut dyn Iterator<Item = String>| {
        let cells: Vec<String> = cells.collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = line(&mut header.iter().map(|h| escape_cell(h)));
    out.push_str(&line(&mut (0..header.len()).map(|i| {
        if right.get(i).copied().unwrap_or(false) {
            "--:".to_string()
        } else {
            "---".to_string()
        }
    })));
    for r in rows {
        out.push_str(&line(&mut r.iter().map(|c| escape_cell(c))));
    }
    out
}

fn warnings_list(out: &mut String, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    out.push_str("\n**Warnings**\n\n");
    for w in warnings {
        out.push_str(&format!("- {}\n", escape_cell(w)));
    }
}

/// One engine run: a verdict line, then summary, requests, phases,
/// latency, outcomes and diagnostics tables, then warnings.
pub fn render_run_md(r: &RunReport) -> String {
    let mut out = format!(
        "**ratecheck run: efficiency {}** ({} of {} expected requests completed) at {} rps for {}, concurrency {}\n\n",
        pct(r.efficiency),
        r.requests.completed,
        r.requests.expected,
        rps(r.target_rps),
        secs(r.duration_s),
        r.concurrency,
    );
    let summary: Vec<Vec<String>> = model::run_summary(r)
        .iter()
        .map(|line| vec![line.label.to_string(), line.value()])
        .collect();
    out.push_str(&table(&["figure", "value"], &[false, false], &summary));

    let mut tables = vec![model::requests(r)];
    tables.extend(model::phases(r));
    tables.push(model::latency(r));
    tables.extend(model::outcomes(r));
    for t in &tables {
        out.push('\n');
        out.push_str(&model_table(t));
    }

    out.push_str("\n<details><summary>Diagnostics</summary>\n\n");
    out.push_str(&model_table(&model::diagnostics(r)));
    out.push_str("\n</details>\n");

    warnings_list(&mut out, &r.warnings);
    out
}

/// The check table's parts as one pipe table: a bold heading row per
/// scenario, then its figures; failing verdicts in bold.
fn check_table_md(blocks: &[ScenarioBlock]) -> String {
    let mut header = vec!["figure"];
    let mut right = vec![false];
    for (h, r) in CHECK_COLUMNS {
        header.push(h);
        right.push(r);
    }
    let mut rows = Vec::new();
    for block in blocks {
        let mut heading = vec![format!("**{}**", block.scenario)];
        heading.resize(header.len(), String::new());
        rows.push(heading);
        for line in &block.lines {
            let mut cells = vec![line.figure.clone()];
            cells.extend(line.cells().map(str::to_string));
            if is_failure(line.verdict) {
                cells[5] = format!("**{}**", cells[5]);
            }
            rows.push(cells);
        }
    }
    table(&header, &right, &rows)
}

/// The gate's result: the verdict line first, then the baseline commit vs
/// HEAD, the diff table (failed and not-comparable rows first, then the
/// other judged rows; the info rows folded into a `<details>`) and the
/// warnings.
pub fn render_check_md(check: &CheckOutput) -> String {
    let icon = if check.passed { "✅" } else { "❌" };
    let verdict = model::check_verdict_line(check);
    let mut out = format!("### {icon} {}\n\n", escape_cell(&verdict));
    out.push_str(&format!("{}\n\n", escape_cell(&baseline_line(check))));
    if let Some(env) = environment_line(&check.environment) {
        out.push_str(&format!("{}\n\n", escape_cell(&env)));
    }
    if check.rows.is_empty() {
        out.push_str("No figures were compared.\n");
    }
    out.push_str(&model::folded_check_table(
        check,
        check_table_md,
        |summary, table| {
            format!("\n<details><summary>{summary}</summary>\n\n{table}\n</details>\n")
        },
    ));
    warnings_list(&mut out, &check_warnings(check));
    for log in model::crash_logs(check) {
        out.push_str(&format!(
            "\n#### {}\n\n{}:\n\n{}",
            escape_cell(&log.heading),
            log.caption(),
            code_block(&log.lines)
        ));
    }
    out
}

/// `lines` as a fenced code block whose fence no line can close.
fn code_block(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("{fence}text\n");
    for l in lines {
        out.push_str(&l.replace(['\r', '\n'], " "));
        out.push('\n');
    }
    out.push_str(&format!("{fence}\n"));
    out
}

/// Escapes the message (data) part of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (such as `title`) of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error title=ratecheck <scenario> <figure>::<message>` line per row
/// whose verdict fails the gate (regressed or below-floor), and one
/// `::warning` line per figure that could not be compared, for GitHub
/// Actions to show as annotations.
pub fn github_annotations(check: &CheckOutput) -> Vec<String> {
    check
        .rows
        .iter()
        .filter(|row| is_failure(row.verdict) || row.verdict == Verdict::NotComparable)
        .map(|row| {
            let level = if is_failure(row.verdict) {
                "error"
            } else {
                "warning"
            };
            let line = model::check_line(row);
            let [base, cur, change, limit, verdict, note] = line.cells();
            let mut msg = format!(
                "{} / {}: {verdict}: {cur} (baseline {base}",
                row.scenario, row.figure
            );
            if !change.is_empty() {
                msg.push_str(&format!(", change {change}"));
            }
            if !limit.is_empty() {
                msg.push_str(&format!(", limit {limit}"));
            }
            msg.push(')');
            if !note.is_empty() {
                msg.push_str(&format!(" — {note}"));
            }
            format!(
                "::{level} title={}::{}",
                escape_property(&format!("ratecheck {} {}", row.scenario, row.figure)),
                escape_data(&msg)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::example::example_check;
    use crate::report::format::verdict_word;

    /// The lines of the first pipe table in `md`.
    fn first_table(md: &str) -> Vec<&str> {
        md.lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .collect()
    }

    /// Cells of a table line, honouring `\|` escapes.
    fn cells(line: &str) -> usize {
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        let mut n = 1;
        let mut escaped = false;
        for c in inner.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => n += 1,
                _ => escaped = false,
            }
        }
        n
    }

    #[test]
    fn cell_escaping() {
        assert_eq!(escape_cell("a|b"), "a\\|b");
        assert_eq!(escape_cell("x\\y"), "x\\\\y");
        assert_eq!(escape_cell("<script>&"), "&lt;script&gt;&amp;");
        assert_eq!(escape_cell("one\r\ntwo"), "one two");
    }

    #[test]
    fn check_md_starts_with_verdict_and_has_a_well_formed_table() {
        let check = example_check();
        let md = render_check_md(&check);
        let first = md.lines().next().unwrap();
        assert!(
            first.contains("ratecheck: FAIL — 1 regressed, 1 below floor"),
            "{first}"
        );
        // What changed around the code, under the baseline line.
        let env =
            "\n\nchanged since the baseline: dependencies (Cargo.lock): hyper 1.4.1 → 1.5.0\n\n";
        assert!(md.contains(&format!(" 3 commits apart{env}")), "{md}");
        let t = first_table(&md);
        // the judged rows (all but the one info row) under six scenario
        // headings: three in the failed / not-comparable part, three after
        assert_eq!(t.len(), 2 + 6 + check.rows.len() - 1, "{md}");
        assert_eq!(
            t[0],
            "| figure | baseline | current | change | limit | verdict | note |"
        );
        assert!(
            t[1].chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')),
            "{}",
            t[1]
        );
        for line in &t {
            assert_eq!(cells(line), 7, "{line}");
        }
        assert_eq!(t[2], "| **steady-1k** |  |  |  |  |  |  |");
        assert!(
            t[3].starts_with("| peak_rss | 20.0 MB | 26.0 MB | +30.0% | +15% | **regressed** |")
        );
        assert!(t.iter().all(|l| !l.contains("response_p99_ms")));
        // the info row is folded into a <details> after the table
        let folded = md
            .split("<details><summary>1 figure shown, not judged</summary>\n\n")
            .nth(1)
            .expect("an info <details>");
        let info = first_table(folded);
        assert_eq!(info.len(), 4, "{folded}");
        assert_eq!(info[2], "| **steady-1k** |  |  |  |  |  |  |");
        assert_eq!(
            info[3],
            "| response_p99_ms | 1.00 ms | 5.10 ms | +410% |  | info |  |"
        );
        assert!(folded.contains("\n</details>\n"));
        // the nasty scenario name is escaped, not raw
        assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| a,b:c%"));
        assert!(!md.contains("<script>"));
        assert!(md.contains("**regressed**"));
        assert!(md.contains(
            "\n**Warnings**\n\n- steady-10k / p99_ms: not-comparable (baseline from another machine)\n- ramp / efficiency: missing"
        ));
    }

    #[test]
    fn run_md_tables_are_well_formed() {
        let mut r = RunReport::example();
        r.warnings = vec!["a | b".into()];
        let md = render_run_md(&r);
        assert!(md.starts_with("**ratecheck run: efficiency 99.90%**"));
        let t = first_table(&md);
        assert_eq!(t[0], "| figure | value |");
        assert_eq!(t[1], "| --- | --- |");
        assert!(md.contains("| response | 0.200 | 0.300 | 0.600 | 1.00 | 1.60 |"));
        assert!(md.contains("(includes the in-process embedded server)"));
        assert!(md.contains("- a \\| b\n"));
    }

    #[test]
    fn annotations_for_failures_and_unjudged_figures_escaped() {
        let check = example_check();
        let lines = github_annotations(&check);
        let failing = check.rows.iter().filter(|r| is_failure(r.verdict)).count();
        assert_eq!(failing, 2);
        assert_eq!(lines.len(), failing + 1, "{lines:#?}");
        let warning = lines.iter().find(|l| l.starts_with("::warning")).unwrap();
        assert!(
            warning.starts_with("::warning title=ratecheck steady-10k p99_ms::"),
            "{warning}"
        );
        assert!(warning.contains("not-comparable"), "{warning}");
        assert!(lines[0].starts_with("::error title=ratecheck steady-1k peak_rss::"));
        assert!(lines[0]
            .contains("regressed: 26.0 MB (baseline 20.0 MB, change +30.0%25, limit +15%25)"));
        // title: `:` and `,` and `%` escaped; message: `%` and newlines escaped
        let nasty = &lines[1];
        assert!(
            nasty.starts_with(
                "::error title=ratecheck <script>alert(1)</script> | a%2Cb%3Ac%25 efficiency::"
            ),
            "{nasty}"
        );
        let (_, msg) = nasty.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(msg.contains("a,b:c%25"), "{msg}");
        assert!(
            msg.contains("95%25: the generator fell behind%0Asecond line"),
            "{msg}"
        );
        assert!(!nasty.contains('\n'));
        assert!(msg.contains(verdict_word(Verdict::BelowFloor)));
    }

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50%\r\n"), "50%25%0D%0A");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn a_crashed_service_shows_its_last_lines_in_a_fence() {
        let md = render_check_md(&crate::report::example::example_crash());
        let at = md
            .find("#### service api exited during scenario")
            .expect("a heading");
        let tail = &md[at..];
        assert!(
            tail.contains("its last 2 lines of standard error:\n\n````text\nlistening\n"),
            "{tail}"
        );
        // The line's own ``` cannot close the four-backtick fence; markup stays text.
        assert!(tail.contains("boom ``` <b>\n````\n"), "{tail}");
    }
}
