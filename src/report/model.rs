//! The report model: every table of a run report (its summary too) and the
//! check's diff table, baseline line and warnings, built once as display
//! strings with their headings. The renderers (text, Markdown, HTML) differ
//! only in markup.

use crate::baseline::compare::Verdict;
use crate::figure::id;
use crate::report::check::CheckOutput;
use crate::report::format::{
    change, limit_text, mb, ms, note_text, pct, rps, secs, shape, sig3, value, verdict_word,
};
use ratecheck_engine::merge::Merged;
use ratecheck_engine::metrics::snapshot::{ConnectionReport, Percentiles, RunReport};

mod header;
pub use header::{baseline_line, check_verdict_line, check_warnings};

/// One line of a run's summary: a label and its value. When the value is
/// an efficiency, `efficiency` holds it (shown first, as a percentage,
/// coloured by its grade where the markup can) and `text` what follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryLine {
    pub label: &'static str,
    pub efficiency: Option<f64>,
    pub text: String,
}

impl SummaryLine {
    fn plain(label: &'static str, text: String) -> SummaryLine {
        SummaryLine {
            label,
            efficiency: None,
            text,
        }
    }

    fn efficiency(label: &'static str, e: f64, text: String) -> SummaryLine {
        SummaryLine {
            label,
            efficiency: Some(e),
            text,
        }
    }

    /// The whole value as plain text.
    pub fn value(&self) -> String {
        match self.efficiency {
            Some(e) => format!("{}{}", pct(e), self.text),
            None => self.text.clone(),
        }
    }
}

/// A run's summary: target, TLS and connections (for an HTTP target),
/// rate, the three efficiencies, CPU and peak RSS.
pub fn run_summary(r: &RunReport) -> Vec<SummaryLine> {
    let target = if r.target.is_empty() {
        "(unknown)".to_string()
    } else {
        r.target.clone()
    };
    let server = if r.cpu.includes_server {
        " (includes the in-process embedded server)"
    } else {
        ""
    };
    let mut lines = vec![SummaryLine::plain("target", target)];
    lines.extend(connection_lines(&r.connections));
    lines.extend([
        SummaryLine::plain(
            "rate",
            format!(
                "{} rps for {}, concurrency {}",
                rps(r.target_rps),
                secs(r.duration_s),
                r.concurrency
            ),
        ),
        SummaryLine::efficiency(
            id::EFFICIENCY,
            r.efficiency,
            format!(" (achieved {} rps)", sig3(r.achieved_rps())),
        ),
        SummaryLine::efficiency(
            "generation efficiency",
            r.generation_efficiency,
            String::new(),
        ),
        SummaryLine::efficiency(
            "min window efficiency",
            r.min_window_efficiency,
            String::new(),
        ),
        SummaryLine::plain(
            "CPU",
            format!(
                "{}% of a core (user {}, system {}){server}",
                sig3(r.cpu.percent_of_core),
                secs(r.cpu.user_s),
                secs(r.cpu.system_s)
            ),
        ),
        SummaryLine::plain("peak RSS", mb(r.memory.peak_rss_bytes)),
    ]);
    lines
}

/// The `TLS` line (certificate verification first: a run without it says
/// so here, beside the efficiency) and the `connections` line, for an
/// HTTP target.
fn connection_lines(c: &ConnectionReport) -> Vec<SummaryLine> {
    let mut lines = Vec::new();
    if let Some(verified) = c.tls_verified {
        let how = if verified {
            "certificate verified"
        } else {
            "certificate NOT verified (insecure)"
        };
        lines.push(SummaryLine::plain(
            "TLS",
            format!(
                "{how}; {} handshake{} ({} resumed), {} each",
                c.tls_handshakes,
                if c.tls_handshakes == 1 { "" } else { "s" },
                c.tls_resumed,
                ms(c.tls_handshake_ms_mean)
            ),
        ));
    }
    if !c.protocol.is_empty() {
        lines.push(SummaryLine::plain(
            "connections",
            format!(
                "{}, {} opened; connect {}, first byte {} (means)",
                c.protocol,
                c.opened,
                ms(c.connect_ms_mean),
                ms(c.first_byte_ms_mean)
            ),
        ));
    }
    lines
}

/// A table: a heading per column (`right`: numbers, aligned right) and rows
/// of cells, all display text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub right: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[(&'static str, bool)]) -> Table {
        Table {
            header: columns.iter().map(|c| c.0).collect(),
            right: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }
}

/// A service that exited during a scenario, as the reports show it: a
/// heading, which stream the lines are from, and its last lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashLog {
    /// `service api exited during scenario api-1k (exit status: 1)`.
    pub heading: String,
    /// `standard error`, or `standard output` when it wrote no error line.
    pub stream: &'static str,
    pub lines: Vec<String>,
}

impl CrashLog {
    /// `its last 2 lines of standard error` (`line` for one; `it wrote
    /// nothing` for none).
    pub fn caption(&self) -> String {
        match self.lines.len() {
            0 => "it wrote nothing".to_string(),
            1 => format!("its last line of {}", self.stream),
            n => format!("its last {n} lines of {}", self.stream),
        }
    }
}

/// The crash logs of a check, in scenario order.
pub fn crash_logs(check: &CheckOutput) -> Vec<CrashLog> {
    check
        .current
        .scenarios
        .iter()
        .filter_map(|s| {
            let c = s.service_crash.as_ref()?;
            let status = if c.status.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.status)
            };
            let (stream, lines) = if c.stderr.is_empty() && !c.stdout.is_empty() {
                ("standard output", c.stdout.clone())
            } else {
                ("standard error", c.stderr.clone())
            };
            Some(CrashLog {
                heading: format!(
                    "service {} exited during scenario {}{status}",
                    c.service, s.name
                ),
                stream,
                lines,
            })
        })
        .collect()
}

/// Request counts, one row.
pub fn requests(r: &RunReport) -> Table {
    let q = r.requests;
    let mut t = Table::new(&[
        ("expected", true),
        ("generated", true),
        ("completed", true),
        ("succeeded", true),
        ("failed", true),
        (id::DROPPED, true),
    ]);
    t.rows.push(
        [
            q.expected,
            q.generated,
            q.completed,
            q.succeeded,
            q.failed,
            q.dropped,
        ]
        .map(|n| n.to_string())
        .to_vec(),
    );
    t
}

/// One row per shard of a merged run: its efficiency, how late it started
/// after the shared start, its schedule lag, and the missing ones.
pub fn shards(m: &Merged) -> Table {
    let mut t = Table::new(&[
        ("shard", false),
        ("part", false),
        (id::EFFICIENCY, true),
        ("completed", true),
        ("expected", true),
        ("start skew", true),
        ("schedule lag p99", true),
    ]);
    let n = m.schedule.shards;
    for p in &m.parts {
        t.rows.push(vec![
            format!("{}/{n}", p.index),
            p.name.clone(),
            pct(p.efficiency),
            p.completed.to_string(),
            p.expected.to_string(),
            ms(p.start_offset_ms),
            ms(p.schedule_lag_p99_ms),
        ]);
    }
    for i in &m.missing {
        let mut row = vec![format!("{i}/{n}"), "(missing)".into()];
        row.resize(t.header.len(), "-".into());
        t.rows.push(row);
    }
    t
}

/// One row per phase; `None` when the run has no phases.
pub fn phases(r: &RunReport) -> Option<Table> {
    if r.phases.is_empty() {
        return None;
    }
    let mut t = Table::new(&[
        ("phase", false),
        ("from", true),
        ("to", true),
        ("expected", true),
        ("generated", true),
        ("completed", true),
        (id::EFFICIENCY, true),
        ("generation", true),
    ]);
    for p in &r.phases {
        t.rows.push(vec![
            p.name.clone(),
            secs(p.start_s),
            secs(p.end_s),
            p.expected.to_string(),
            p.generated.to_string(),
            p.completed.to_string(),
            pct(p.efficiency),
            pct(p.generation_efficiency),
        ]);
    }
    Some(t)
}

/// Response, service and schedule-lag percentiles in milliseconds.
pub fn latency(r: &RunReport) -> Table {
    let mut t = Table::new(&[
        ("latency (ms)", false),
        ("p50", true),
        ("p90", true),
        ("p99", true),
        ("p99.9", true),
        ("max", true),
        ("mean", true),
    ]);
    let row = |name: &str, p: &Percentiles| {
        let mut cells = vec![name.to_string()];
        cells.extend([p.p50, p.p90, p.p99, p.p999, p.max, p.mean].map(sig3));
        cells
    };
    t.rows.push(row("response", &r.latency_ms.response));
    t.rows.push(row("service", &r.latency_ms.service));
    t.rows.push(row("schedule lag", &r.latency_ms.schedule_lag));
    t
}

/// HTTP status codes, then transport errors, with counts; `None` when the
/// run has neither.
pub fn outcomes(r: &RunReport) -> Option<Table> {
    if r.status_codes.is_empty() && r.errors.is_empty() {
        return None;
    }
    let mut t = Table::new(&[("outcome", false), ("count", true)]);
    for (code, n) in &r.status_codes {
        t.rows.push(vec![format!("HTTP {code}"), n.to_string()]);
    }
    for (kind, n) in &r.errors {
        t.rows.push(vec![format!("error: {kind}"), n.to_string()]);
    }
    Some(t)
}

/// The engine's diagnostics, one (name, value) row each.
pub fn diagnostics(r: &RunReport) -> Table {
    let d = &r.diagnostics;
    let mut t = Table::new(&[("diagnostic", false), ("value", true)]);
    let pairs = [
        ("limiter granted", d.limiter_granted.to_string()),
        ("limiter waits", d.limiter_waits.to_string()),
        ("limiter wait total", ms(d.limiter_wait_ms_total)),
        ("limiter wait max", ms(d.limiter_wait_ms_max)),
        ("limiter blocked", d.limiter_blocked.to_string()),
        ("limiter refills", d.limiter_refills.to_string()),
        ("limiter efficiency", pct(d.limiter_efficiency)),
        ("generator wakes", d.generator_wakes.to_string()),
        ("largest batch", d.batch_size_max.to_string()),
        ("channel capacity", d.channel_capacity.to_string()),
        ("channel full events", d.channel_full_events.to_string()),
        ("channel max occupancy", d.channel_max_occupancy.to_string()),
        ("channel mean occupancy", sig3(d.channel_mean_occupancy)),
        ("latency samples lost", d.latency_samples_lost.to_string()),
        ("series overflow", d.series_overflow.to_string()),
        ("abandoned in flight", d.abandoned_in_flight.to_string()),
        (
            "cancelled",
            if d.cancelled { "yes" } else { "no" }.to_string(),
        ),
        ("wall time", secs(d.wall_s)),
    ];
    t.rows = pairs
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    t
}

/// The columns of the check table after the figure's name.
pub const CHECK_COLUMNS: [(&str, bool); 6] = [
    ("baseline", true),
    ("current", true),
    ("change", true),
    ("limit", false),
    ("verdict", false),
    ("note", false),
];

/// One figure of the check table, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckLine {
    pub figure: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
    pub limit: String,
    pub verdict: Verdict,
    pub note: String,
}

impl CheckLine {
    /// The cells after the figure's name, in [`CHECK_COLUMNS`] order.
    pub fn cells(&self) -> [&str; 6] {
        [
            &self.baseline,
            &self.current,
            &self.change,
            &self.limit,
            verdict_word(self.verdict),
            &self.note,
        ]
    }
}

/// One scenario's figures within a part of the table, under its name.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioBlock {
    pub scenario: String,
    pub lines: Vec<CheckLine>,
}

/// The parts of the check table, in the order a reviewer reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Regressions accepted by a `Ratecheck-Accept` trailer: first, so
    /// that a reviewer reads what the pull request declares before
    /// anything else.
    Accepted,
    /// Judged rows that failed or could not be compared.
    Attention,
    /// The other judged rows (ok, improved, missing).
    Judged,
    /// Figures shown, not judged (collapsed where the markup can).
    Info,
}

impl Part {
    pub fn of(v: Verdict) -> Part {
        match v {
            Verdict::Accepted => Part::Accepted,
            Verdict::Regressed | Verdict::BelowFloor | Verdict::NotComparable => Part::Attention,
            Verdict::Ok | Verdict::Improved | Verdict::Missing => Part::Judged,
            Verdict::Info => Part::Info,
        }
    }
}

/// One row as shown.
pub fn check_line(row: &crate::baseline::compare::Row) -> CheckLine {
    let s = shape(row);
    CheckLine {
        figure: row.figure.clone(),
        baseline: value(s, &row.unit, row.baseline),
        current: value(s, &row.unit, row.current),
        change: change(s, row.change),
        limit: limit_text(&row.limit),
        verdict: row.verdict,
        note: note_text(row),
    }
}

/// The check's rows in their parts (non-empty parts only, in [`Part`]
/// order); within a part, scenarios in the order the rows first name them,
/// each with its figures in row order.
pub fn check_table(check: &CheckOutput) -> Vec<(Part, Vec<ScenarioBlock>)> {
    let mut out: Vec<(Part, Vec<ScenarioBlock>)> = Vec::new();
    for part in [Part::Accepted, Part::Attention, Part::Judged, Part::Info] {
        let mut blocks: Vec<ScenarioBlock> = Vec::new();
        for row in check.rows.iter().filter(|r| Part::of(r.verdict) == part) {
            let line = check_line(row);
            match blocks.iter_mut().find(|b| b.scenario == row.scenario) {
                Some(b) => b.lines.push(line),
                None => blocks.push(ScenarioBlock {
                    scenario: row.scenario.clone(),
                    lines: vec![line],
                }),
            }
        }
        if !blocks.is_empty() {
            out.push((part, blocks));
        }
    }
    out
}

/// The check table as the Markdown and HTML reports lay it out: the judged
/// parts as one table drawn by `table`, then the info part's table folded
/// under its [`info_summary`] by `fold(summary, table)`. Empty when no row
/// was compared.
pub fn folded_check_table(
    check: &CheckOutput,
    table: impl Fn(&[ScenarioBlock]) -> String,
    fold: impl Fn(&str, &str) -> String,
) -> String {
    let (info, judged): (Vec<_>, Vec<_>) = check_table(check)
        .into_iter()
        .partition(|(part, _)| *part == Part::Info);
    let judged: Vec<ScenarioBlock> = judged.into_iter().flat_map(|(_, b)| b).collect();
    let mut out = String::new();
    if !judged.is_empty() {
        out.push_str(&table(&judged));
    }
    for (_, blocks) in info {
        out.push_str(&fold(&info_summary(&blocks), &table(&blocks)));
    }
    out
}

/// The summary of the collapsed info part: `12 figures shown, not judged`.
pub fn info_summary(blocks: &[ScenarioBlock]) -> String {
    let n: usize = blocks.iter().map(|b| b.lines.len()).sum();
    format!(
        "{n} figure{} shown, not judged",
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests;
