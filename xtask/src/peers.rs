//! `cargo xtask peers`: cargo-ratecheck's `run` side by side with the load
//! tools people use today, against one embedded server, in one run.
//!
//! For every repeat and every target rate it runs, interleaved, our engine,
//! `oha -q R` (the closest peer), `hey -q R/C` (hey's rate is per worker),
//! and once per repeat `wrk`, which has no rate control and so shows the
//! unthrottled ceiling of this machine. Each child is measured by the parent
//! (CPU % of one core and peak RSS from its own rusage) so every tool is
//! charged the same way. The table shows medians over repeats; `--json`
//! keeps every run.
//!
//! Efficiency is the tool's completed requests ÷ (target rate × duration);
//! for cargo-ratecheck it is the engine's own `efficiency` (completed ÷
//! expected), which is the same ratio computed from its schedule.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::proc::{self, cargo, display, find_on_path, run_inherited, run_measured, Background};

/// Options of `cargo xtask peers`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeersOptions {
    pub rates: Vec<f64>,
    pub duration: Duration,
    pub repeat: u32,
    pub concurrency: u32,
    pub json: Option<PathBuf>,
    /// Use this cargo-ratecheck binary instead of building the release one.
    pub bin: Option<PathBuf>,
}

impl Default for PeersOptions {
    fn default() -> Self {
        PeersOptions {
            rates: vec![1000.0, 10000.0, 50000.0, 70000.0],
            duration: Duration::from_secs(10),
            repeat: 3,
            concurrency: 100,
            json: None,
            bin: None,
        }
    }
}

pub const USAGE: &str = "cargo xtask peers [--rates 1000,10000,50000,70000] [--duration 10s] \
[--repeat 3] [--concurrency 100] [--json PATH] [--bin PATH]";

impl PeersOptions {
    pub fn parse(args: &[String]) -> Result<PeersOptions> {
        let mut opts = PeersOptions::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || -> Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it
                        .next()
                        .cloned()
                        .with_context(|| format!("`{flag}` needs a value; usage: {USAGE}")),
                }
            };
            match flag {
                "--rates" => opts.rates = parse_rates(&value()?)?,
                "--duration" => opts.duration = parse_duration(&value()?)?,
                "--repeat" => opts.repeat = parse_positive("--repeat", &value()?)?,
                "--concurrency" => opts.concurrency = parse_positive("--concurrency", &value()?)?,
                "--json" => opts.json = Some(PathBuf::from(value()?)),
                "--bin" => opts.bin = Some(PathBuf::from(value()?)),
                other => bail!("unknown option `{other}` for peers; usage: {USAGE}"),
            }
        }
        if opts.duration < Duration::from_secs(1) {
            bail!(
                "--duration {} is too short: wrk counts whole seconds, use at least 1s",
                format_duration(opts.duration)
            );
        }
        Ok(opts)
    }
}

fn parse_positive(flag: &str, s: &str) -> Result<u32> {
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{flag} `{s}` is not a positive whole number"),
    }
}

/// `1000,10000,5e4` → rates in requests per second (positive, finite).
pub fn parse_rates(s: &str) -> Result<Vec<f64>> {
    let rates = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
            _ => bail!("--rates: `{p}` is not a positive number of requests per second"),
        })
        .collect::<Result<Vec<_>>>()?;
    if rates.is_empty() {
        bail!("--rates `{s}` lists no rate; give e.g. --rates 1000,10000");
    }
    Ok(rates)
}

/// `10s`, `500ms`, `2m`, `1.5s`, `250us`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let factor = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" => 60.0,
        "h" => 3600.0,
        _ => bail!("duration `{s}` has an unknown unit; write e.g. 500ms, 10s, 2m"),
    };
    match num.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(Duration::from_secs_f64(n * factor)),
        _ => bail!("duration `{s}` is not a number with a unit; write e.g. 500ms, 10s, 2m"),
    }
}

/// A duration as the tools take it: whole seconds as `10s`, else `1500ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A rate without a needless fraction: `1000`, `0.5`, `33.333`.
pub fn format_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        let s = format!("{r:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The figures one run of one tool produced, parsed from its output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// Requests that got a response or a transport error.
    pub completed: u64,
    /// Wall time the tool says it ran, seconds.
    pub elapsed_s: f64,
    /// The tool's own efficiency figure, when it has one (ours).
    pub efficiency: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The fields of cargo-ratecheck's RunReport JSON the table needs.
#[derive(Deserialize)]
struct OurReport {
    duration_s: f64,
    efficiency: f64,
    requests: OurRequests,
    latency_ms: OurLatency,
}
#[derive(Deserialize)]
struct OurRequests {
    completed: u64,
}
#[derive(Deserialize)]
struct OurLatency {
    response: OurPercentiles,
}
#[derive(Deserialize)]
struct OurPercentiles {
    p50: f64,
    p99: f64,
}

/// cargo-ratecheck `run --format json`.
pub fn parse_ours(stdout: &str) -> Result<Figures> {
    let r: OurReport = serde_json::from_str(stdout.trim())
        .context("cargo-ratecheck printed no RunReport JSON (missing duration_s, efficiency, requests.completed or latency_ms.response)")?;
    Ok(Figures {
        completed: r.requests.completed,
        elapsed_s: r.duration_s,
        efficiency: Some(r.efficiency),
        p50_ms: Some(r.latency_ms.response.p50),
        p99_ms: Some(r.latency_ms.response.p99),
    })
}

/// oha `--output-format json`: latencies are in seconds; completed counts
/// every response (any status) and every error except the in-flight requests
/// oha aborts when its `-z` deadline ends (they never completed).
pub fn parse_oha(stdout: &str) -> Result<Figures> {
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).context("oha printed no JSON summary")?;
    let total = v["summary"]["total"]
        .as_f64()
        .context("oha JSON has no summary.total")?;
    let responses: u64 = v["statusCodeDistribution"]
        .as_object()
        .context("oha JSON has no statusCodeDistribution")?
        .values()
        .filter_map(|n| n.as_u64())
        .sum();
    let errors: u64 = v["errorDistribution"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(kind, _)| !kind.contains("aborted due to deadline"))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    let pct = |key: &str| v["latencyPercentiles"][key].as_f64().map(|s| s * 1000.0);
    Ok(Figures {
        completed: responses + errors,
        elapsed_s: total,
        efficiency: None,
        p50_ms: pct("p50"),
        p99_ms: pct("p99"),
    })
}

/// hey's text summary: `Total:`, the latency distribution (seconds), and the
/// status code and error distributions (completed = their sum).
pub fn parse_hey(stdout: &str) -> Result<Figures> {
    #[derive(PartialEq)]
    enum Section {
        Other,
        Latency,
        Status,
        Errors,
    }
    let mut section = Section::Other;
    let mut f = Figures::default();
    let mut saw_total = false;
    for line in stdout.lines() {
        let t = line.trim();
        match t {
            "Latency distribution:" => section = Section::Latency,
            "Status code distribution:" => section = Section::Status,
            "Error distribution:" => section = Section::Errors,
            _ if !line.starts_with(' ') && !t.is_empty() => section = Section::Other,
            _ => {}
        }
        if let Some(rest) = t.strip_prefix("Total:") {
            f.elapsed_s = first_number(rest).context("hey: unreadable `Total:` line")?;
            saw_total = true;
            continue;
        }
        match section {
            Section::Latency => {
                if let Some((pct, rest)) = t.split_once("% in ") {
                    let ms = first_number(rest).map(|s| s * 1000.0);
                    match pct.trim() {
                        "50" => f.p50_ms = ms,
                        "99" => f.p99_ms = ms,
                        _ => {}
                    }
                }
            }
            Section::Status | Section::Errors => {
                // `[200]\t100 responses` / `[10]\tGet "...": dial tcp ...`
                if let Some(rest) = t.strip_prefix('[') {
                    let (a, b) = rest
                        .split_once(']')
                        .context("hey: unreadable distribution line")?;
                    let count = if section == Section::Status { b } else { a };
                    f.completed += first_number(count)
                        .with_context(|| format!("hey: unreadable count in `{t}`"))?
                        as u64;
                }
            }
            Section::Other => {}
        }
    }
    if !saw_total {
        bail!("hey printed no summary (no `Total:` line)");
    }
    Ok(f)
}

/// wrk `--latency` text: `N requests in 10.00s`, and the latency
/// distribution with units (us, ms, s, m, h).
pub fn parse_wrk(stdout: &str) -> Result<Figures> {
    let mut f = Figures::default();
    let mut saw_requests = false;
    let mut in_dist = false;
    for line in stdout.lines() {
        let t = line.trim();
        if t == "Latency Distribution" {
            in_dist = true;
            continue;
        }
        if in_dist {
            if let Some((pct, value)) = t.split_once('%') {
                let ms = parse_wrk_time(value.trim());
                match pct.trim() {
                    "50" => f.p50_ms = ms,
                    "99" => f.p99_ms = ms,
                    _ => {}
                }
                continue;
            }
            in_dist = false;
        }
        if let Some((count, rest)) = t.split_once(" requests in ") {
            f.completed = count
                .trim()
                .parse()
                .with_context(|| format!("wrk: unreadable request count in `{t}`"))?;
            let elapsed = rest.split(',').next().unwrap_or("").trim();
            f.elapsed_s = parse_wrk_time(elapsed)
                .with_context(|| format!("wrk: unreadable duration in `{t}`"))?
                / 1000.0;
            saw_requests = true;
        }
    }
    if !saw_requests {
        bail!("wrk printed no `N requests in T` line");
    }
    Ok(f)
}

/// wrk's time with its unit (`812.00us`, `1.08ms`, `2.11s`, `1.00m`) in ms.
fn parse_wrk_time(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return None,
    };
    Some(n * factor)
}

fn first_number(s: &str) -> Option<f64> {
    s.split_whitespace().next()?.parse().ok()
}

/// The tools, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    CargoRatecheck,
    Oha,
    Hey,
    Wrk,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::CargoRatecheck => "cargo-ratecheck",
            Tool::Oha => "oha",
            Tool::Hey => "hey",
            Tool::Wrk => "wrk",
        }
    }

    fn install_hint(self) -> &'static str {
        match self {
            Tool::CargoRatecheck => "cargo build --release",
            Tool::Oha => "cargo install oha --locked",
            Tool::Hey | Tool::Wrk => "apt-get install -y wrk hey",
        }
    }

    fn parse(self, stdout: &str) -> Result<Figures> {
        match self {
            Tool::CargoRatecheck => parse_ours(stdout),
            Tool::Oha => parse_oha(stdout),
            Tool::Hey => parse_hey(stdout),
            Tool::Wrk => parse_wrk(stdout),
        }
    }
}

/// One run of one tool, as kept by `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub tool: Tool,
    /// `None` for wrk (no rate control).
    pub target_rps: Option<f64>,
    pub repeat: u32,
    pub command: String,
    /// `None` when the run succeeded.
    pub error: Option<String>,
    pub completed: Option<u64>,
    pub achieved_rps: Option<f64>,
    pub efficiency: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub wall_s: f64,
    pub cpu_percent_of_core: f64,
    pub peak_rss_bytes: u64,
}

impl RunRecord {
    /// Combines what the parent measured with what the tool reported.
    pub fn from_figures(
        tool: Tool,
        target_rps: Option<f64>,
        duration: Duration,
        repeat: u32,
        command: String,
        measured: &proc::Measured,
        figures: Result<Figures>,
    ) -> RunRecord {
        let mut rec = RunRecord {
            tool,
            target_rps,
            repeat,
            command,
            error: None,
            completed: None,
            achieved_rps: None,
            efficiency: None,
            p50_ms: None,
            p99_ms: None,
            wall_s: measured.wall.as_secs_f64(),
            cpu_percent_of_core: measured.cpu_percent_of_core(),
            peak_rss_bytes: measured.peak_rss_bytes,
        };
        let figures = if measured.success() {
            figures
        } else {
            Err(anyhow::anyhow!("{}", measured.failure_summary()))
        };
        match figures {
            Err(e) => rec.error = Some(format!("{e:#}")),
            Ok(f) => {
                let elapsed = if f.elapsed_s > 0.0 {
                    f.elapsed_s
                } else {
                    duration.as_secs_f64()
                };
                rec.completed = Some(f.completed);
                rec.achieved_rps = Some(f.completed as f64 / elapsed);
                rec.efficiency = match (f.efficiency, target_rps) {
                    (Some(e), _) => Some(e),
                    (None, Some(r)) => Some(f.completed as f64 / (r * duration.as_secs_f64())),
                    (None, None) => None,
                };
                rec.p50_ms = f.p50_ms;
                rec.p99_ms = f.p99_ms;
            }
        }
        rec
    }
}

/// Median of the values (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// One table row per (target rate, tool), medians over the successful runs.
pub fn summary_table(records: &[RunRecord]) -> String {
    // Key: rate (wrk, with none, last), then tool order.
    let mut groups: BTreeMap<(u64, Tool), Vec<&RunRecord>> = BTreeMap::new();
    for r in records {
        let key = r.target_rps.map_or(u64::MAX, f64::to_bits);
        groups.entry((key, r.tool)).or_default().push(r);
    }
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by(|a, b| {
        let rate = |k: u64| {
            if k == u64::MAX {
                f64::INFINITY
            } else {
                f64::from_bits(k)
            }
        };
        rate(a.0).total_cmp(&rate(b.0)).then(a.1.cmp(&b.1))
    });

    let header = [
        "tool",
        "target rps",
        "achieved rps",
        "efficiency %",
        "p50 ms",
        "p99 ms",
        "CPU % core",
        "peak RSS MB",
        "runs ok",
    ];
    let mut rows = Vec::new();
    for key in keys {
        let runs = &groups[&key];
        let ok: Vec<&&RunRecord> = runs.iter().filter(|r| r.error.is_none()).collect();
        let med = |f: &dyn Fn(&RunRecord) -> Option<f64>| {
            median(&ok.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
        };
        let cell = |v: Option<f64>, decimals: usize| match v {
            Some(x) => format!("{x:.decimals$}"),
            None => "—".to_string(),
        };
        let tool = runs[0].tool;
        rows.push(vec![
            tool.name().to_string(),
            runs[0]
                .target_rps
                .map_or("unthrottled".to_string(), format_rate),
            cell(med(&|r| r.achieved_rps), 0),
            cell(med(&|r| r.efficiency.map(|e| e * 100.0)), 2),
            cell(med(&|r| r.p50_ms), 3),
            cell(med(&|r| r.p99_ms), 3),
            cell(
                med(&|r| Some(r.cpu_percent_of_core)).filter(|_| !ok.is_empty()),
                1,
            ),
            cell(
                med(&|r| Some(r.peak_rss_bytes as f64 / 1e6)).filter(|_| !ok.is_empty()),
                1,
            ),
            format!("{}/{}", ok.len(), runs.len()),
        ]);
    }
    render_table(&header, &rows)
}

/// Aligned plain-text table: first column left-aligned, the others right.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i] - c.chars().count());
            if i == 0 {
                out.push_str(&format!("{c}{pad}"));
            } else {
                out.push_str(&format!("  {pad}{c}"));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(header);
    out.push_str(&line(
        &dashes.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for row in rows {
        out.push_str(&line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    out
}

/// The URL from `serve`'s first line, `listening on http://127.0.0.1:PORT`,
/// with a trailing `/`.
pub fn parse_listening_line(line: &str) -> Result<String> {
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .filter(|u| u.starts_with("http://"))
        .with_context(|| {
            format!("`serve` printed `{line}` first, expected `listening on http://127.0.0.1:PORT`")
        })?;
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// The command line for one tool at one rate.
fn tool_command(
    tool: Tool,
    ours: &std::path::Path,
    opts: &PeersOptions,
    rate: Option<f64>,
    url: &str,
) -> Command {
    let d = format_duration(opts.duration);
    let c = opts.concurrency.to_string();
    match tool {
        Tool::CargoRatecheck => {
            let mut cmd = Command::new(ours);
            cmd.args(["ratecheck", "run", "--rps"])
                .arg(format_rate(rate.unwrap_or_default()))
                .args(["--duration", &d, "--concurrency", &c, "--url", url])
                .args(["--no-self-test", "--format", "json"]);
            cmd
        }
        Tool::Oha => {
            let mut cmd = Command::new("oha");
            cmd.args([url, "-z", &d, "-q"])
                .arg(format_rate(rate.unwrap_or_default()))
                .args(["-c", &c, "--no-tui", "--output-format", "json"]);
            cmd
        }
        Tool::Hey => {
            let per_worker = rate.unwrap_or_default() / f64::from(opts.concurrency);
            let mut cmd = Command::new("hey");
            cmd.args(["-z", &d, "-q"])
                .arg(format_rate(per_worker))
                .args(["-c", &c, url]);
            cmd
        }
        Tool::Wrk => {
            let secs = opts.duration.as_secs_f64().ceil() as u64;
            let mut cmd = Command::new("wrk");
            cmd.args(["-t2", "-c", &c, "-d", &format!("{secs}s"), "--latency", url]);
            cmd
        }
    }
}

/// `cargo build --release`; the path of the binary it built.
fn build_release() -> Result<PathBuf> {
    let root = proc::project_root();
    println!("==> building the release binary");
    let mut build = cargo();
    build.args(["build", "--release"]).current_dir(&root);
    println!("$ {}", display(&build));
    run_inherited(&mut build).context("release build failed")?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target_dir.join("release/cargo-ratecheck"))
}

pub fn run(opts: &PeersOptions) -> Result<()> {
    let ours = match &opts.bin {
        Some(bin) => {
            if !proc::is_executable(bin) {
                bail!("--bin {}: not an executable file", bin.display());
            }
            bin.clone()
        }
        None => build_release()?,
    };

    let mut tools = vec![Tool::CargoRatecheck];
    for tool in [Tool::Oha, Tool::Hey, Tool::Wrk] {
        if find_on_path(tool.name()).is_some() {
            tools.push(tool);
        } else {
            println!("{} not found: {}", tool.name(), tool.install_hint());
        }
    }

    let mut serve = Command::new(&ours);
    serve.args(["ratecheck", "serve", "--addr", "127.0.0.1:0"]);
    println!("$ {}", display(&serve));
    let (mut server, first) =
        Background::spawn_and_read_first_line(&mut serve, Duration::from_secs(30))?;
    let url = parse_listening_line(&first)?;
    println!("server: {url}");

    let limit = opts.duration + Duration::from_secs(30);
    let mut records = Vec::new();
    for repeat in 1..=opts.repeat {
        let mut plan: Vec<(Tool, Option<f64>)> = Vec::new();
        for &rate in &opts.rates {
            for &tool in tools.iter().filter(|t| **t != Tool::Wrk) {
                plan.push((tool, Some(rate)));
            }
        }
        if tools.contains(&Tool::Wrk) {
            plan.push((Tool::Wrk, None));
        }
        for (tool, rate) in plan {
            if !server.is_running() {
                bail!("the embedded server ({url}) exited during the run");
            }
            let mut cmd = tool_command(tool, &ours, opts, rate, &url);
            let shown = display(&cmd);
            println!("[{repeat}/{}] $ {shown}", opts.repeat);
            let measured = run_measured(&mut cmd, limit)?;
            let figures = tool.parse(&measured.stdout);
            let rec = RunRecord::from_figures(
                tool,
                rate,
                opts.duration,
                repeat,
                shown,
                &measured,
                figures,
            );
            match &rec.error {
                Some(e) => println!("    failed: {e}"),
                None => println!(
                    "    achieved {:.0} rps, efficiency {}, p99 {} ms, CPU {:.1}% of a core, peak RSS {:.1} MB",
                    rec.achieved_rps.unwrap_or_default(),
                    rec.efficiency
                        .map_or("—".to_string(), |e| format!("{:.2}%", e * 100.0)),
                    rec.p99_ms.map_or("—".to_string(), |p| format!("{p:.3}")),
                    rec.cpu_percent_of_core,
                    rec.peak_rss_bytes as f64 / 1e6,
                ),
            }
            records.push(rec);
        }
    }
    drop(server);

    println!(
        "\nmedians over {} repeat(s), {} each, concurrency {}, server {url}\n",
        opts.repeat,
        format_duration(opts.duration),
        opts.concurrency
    );
    print!("{}", summary_table(&records));
    if let Some(path) = &opts.json {
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "duration_s": opts.duration.as_secs_f64(),
            "concurrency": opts.concurrency,
            "repeat": opts.repeat,
            "rates": opts.rates,
            "url": url,
            "runs": records,
        }))?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nraw figures: {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Samples captured from real runs against a local `python3 -m http.server`.
    const HEY: &str = include_str!("../testdata/hey.txt");
    const HEY_ERR: &str = include_str!("../testdata/hey-err.txt");
    const OHA: &str = include_str!("../testdata/oha.json");
    const OHA_ERR: &str = include_str!("../testdata/oha-err.json");
    const WRK: &str = include_str!("../testdata/wrk.txt");
    const WRK_404: &str = include_str!("../testdata/wrk-404.txt");

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn parses_hey_summary() {
        let f = parse_hey(HEY).unwrap();
        assert_eq!(f.completed, 100);
        assert!(close(Some(f.elapsed_s), 2.0091));
        assert!(close(f.p50_ms, 3.6), "{:?}", f.p50_ms);
        assert!(close(f.p99_ms, 11.1), "{:?}", f.p99_ms);
        assert_eq!(f.efficiency, None);
    }

    #[test]
    fn hey_errors_count_as_completed_and_leave_no_latency() {
        let f = parse_hey(HEY_ERR).unwrap();
        assert_eq!(f.completed, 10);
        assert_eq!(f.p50_ms, None);
        assert_eq!(f.p99_ms, None);
    }

    #[test]
    fn hey_without_summary_is_an_error() {
        let err = parse_hey("flag provided but not defined: -x\n").unwrap_err();
        assert!(err.to_string().contains("no summary"), "{err}");
    }

    #[test]
    fn parses_oha_json() {
        let f = parse_oha(OHA).unwrap();
        // 100 responses; the one request aborted at the deadline never completed.
        assert_eq!(f.completed, 100);
        assert!(close(Some(f.elapsed_s), 2.000860335));
        assert!(close(f.p50_ms, 0.588047), "{:?}", f.p50_ms);
        assert!(close(f.p99_ms, 3.190528), "{:?}", f.p99_ms);
    }

    #[test]
    fn oha_transport_errors_count_but_deadline_aborts_do_not() {
        let f = parse_oha(OHA_ERR).unwrap();
        assert_eq!(f.completed, 10);
        assert_eq!(f.p50_ms, None);
    }

    #[test]
    fn oha_garbage_is_an_error() {
        assert!(parse_oha("error: invalid value 'x' for '-q'").is_err());
        assert!(parse_oha("{}").is_err());
    }

    #[test]
    fn parses_wrk_latency_and_counts() {
        let f = parse_wrk(WRK).unwrap();
        assert_eq!(f.completed, 5060);
        assert!(close(Some(f.elapsed_s), 2.11));
        assert!(close(f.p50_ms, 1.08));
        assert!(close(f.p99_ms, 24.17));
        let f = parse_wrk(WRK_404).unwrap();
        assert_eq!(f.completed, 1109);
        assert!(close(f.p99_ms, 15.99));
    }

    #[test]
    fn wrk_time_units() {
        assert!(close(parse_wrk_time("812.00us"), 0.812));
        assert!(close(parse_wrk_time("2.11s"), 2110.0));
        assert!(close(parse_wrk_time("1.00m"), 60_000.0));
        assert_eq!(parse_wrk_time("12parsecs"), None);
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n").is_err());
    }

    #[test]
    fn parses_our_run_report() {
        let json = r#"{ "schema_version": 1, "target_rps": 1000.0, "duration_s": 10.0,
            "concurrency": 100, "efficiency": 0.9991, "generation_efficiency": 1.0,
            "min_window_efficiency": 0.998,
            "requests": { "expected": 10000, "generated": 10000, "completed": 9991,
                          "succeeded": 9991, "failed": 0, "dropped": 0 },
            "phases": [],
            "latency_ms": { "response": {"p50": 0.4, "p90": 0.6, "p99": 1.5, "p999": 3.0, "max": 9.0},
                            "service": {}, "schedule_lag": {} },
            "cpu": { "user_s": 0.1, "system_s": 0.1, "percent_of_core": 2.0 },
            "memory": { "peak_rss_bytes": 1000 }, "warnings": [] }"#;
        let f = parse_ours(json).unwrap();
        assert_eq!(f.completed, 9991);
        assert_eq!(f.efficiency, Some(0.9991));
        assert!(close(f.p50_ms, 0.4));
        assert!(close(f.p99_ms, 1.5));
        assert!(parse_ours("error: unknown flag --no-self-test").is_err());
    }

    fn measured_ok(wall_s: f64, cpu_s: f64, rss: u64) -> proc::Measured {
        proc::Measured {
            exit_code: Some(0),
            wall: Duration::from_secs_f64(wall_s),
            cpu: Duration::from_secs_f64(cpu_s),
            peak_rss_bytes: rss,
            ..Default::default()
        }
    }

    #[test]
    fn peer_efficiency_is_completed_over_rate_times_duration() {
        let f = Figures {
            completed: 9_500,
            elapsed_s: 10.5,
            ..Default::default()
        };
        let rec = RunRecord::from_figures(
            Tool::Hey,
            Some(1000.0),
            Duration::from_secs(10),
            1,
            "hey".into(),
            &measured_ok(10.5, 2.1, 8_000_000),
            Ok(f),
        );
        assert!(close(rec.efficiency, 0.95));
        assert!(close(rec.achieved_rps, 9_500.0 / 10.5));
        assert!((rec.cpu_percent_of_core - 20.0).abs() < 1e-9);
        assert_eq!(rec.error, None);
    }

    #[test]
    fn failed_child_becomes_an_error_record() {
        let m = proc::Measured {
            exit_code: Some(2),
            stderr: "error: bad flag\n".into(),
            ..Default::default()
        };
        let rec = RunRecord::from_figures(
            Tool::Oha,
            Some(10.0),
            Duration::from_secs(1),
            1,
            "oha".into(),
            &m,
            Ok(Figures::default()),
        );
        assert_eq!(rec.error.as_deref(), Some("exit code 2: error: bad flag"));
        assert_eq!(rec.efficiency, None);
    }

    #[test]
    fn wrk_has_no_efficiency() {
        let rec = RunRecord::from_figures(
            Tool::Wrk,
            None,
            Duration::from_secs(2),
            1,
            "wrk".into(),
            &measured_ok(2.1, 1.0, 1),
            parse_wrk(WRK),
        );
        assert_eq!(rec.efficiency, None);
        assert!(close(rec.achieved_rps, 5060.0 / 2.11));
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn table_has_medians_in_rate_then_tool_order() {
        let rec = |tool, rate: Option<f64>, completed: u64, cpu: f64| {
            let f = Figures {
                completed,
                elapsed_s: 1.0,
                p50_ms: Some(1.0),
                p99_ms: Some(2.0),
                ..Default::default()
            };
            RunRecord::from_figures(
                tool,
                rate,
                Duration::from_secs(1),
                1,
                String::new(),
                &measured_ok(1.0, cpu, 2_000_000),
                Ok(f),
            )
        };
        let records = vec![
            rec(Tool::Wrk, None, 9000, 1.0),
            rec(Tool::Hey, Some(1000.0), 990, 0.3),
            rec(Tool::Oha, Some(1000.0), 1000, 0.1),
            rec(Tool::Oha, Some(1000.0), 980, 0.5),
            rec(Tool::Oha, Some(1000.0), 990, 0.2),
            rec(Tool::Oha, Some(100.0), 100, 0.2),
        ];
        let table = summary_table(&records);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("tool"), "{table}");
        assert!(
            lines[2].starts_with("oha") && lines[2].contains(" 100 "),
            "{table}"
        );
        // Median of 1000/980/990 completed over 1 s at 1000 rps: 990, 99.00 %, CPU 20.0 %.
        assert!(lines[3].starts_with("oha"), "{table}");
        assert!(
            lines[3].contains(" 990 ") && lines[3].contains("99.00"),
            "{table}"
        );
        assert!(
            lines[3].contains("20.0") && lines[3].contains("3/3"),
            "{table}"
        );
        assert!(lines[4].starts_with("hey"), "{table}");
        assert!(
            lines[5].starts_with("wrk") && lines[5].contains("unthrottled"),
            "{table}"
        );
        assert!(
            lines[5].contains("—"),
            "wrk efficiency is shown as —: {table}"
        );
        // Columns line up: every line has the same width up to its last cell.
        let width = lines[1].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{table}");
    }

    #[test]
    fn options_parse_and_reject() {
        let args: Vec<String> = [
            "--rates",
            "1000,5e4",
            "--duration=2s",
            "--repeat",
            "2",
            "--json",
            "x.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = PeersOptions::parse(&args).unwrap();
        assert_eq!(o.rates, vec![1000.0, 50000.0]);
        assert_eq!(o.duration, Duration::from_secs(2));
        assert_eq!(o.repeat, 2);
        assert_eq!(o.concurrency, 100);
        assert_eq!(o.json, Some(PathBuf::from("x.json")));
        let bad = |a: &[&str]| {
            let v: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            PeersOptions::parse(&v).unwrap_err().to_string()
        };
        assert!(bad(&["--rates", "1000,-5"]).contains("-5"));
        assert!(bad(&["--duration", "10 parsecs"]).contains("unknown unit"));
        assert!(bad(&["--duration", "500ms"]).contains("at least 1s"));
        assert!(bad(&["--repeat", "0"]).contains("--repeat"));
        assert!(bad(&["--json"]).contains("needs a value"));
        assert!(bad(&["--fast"]).contains("--fast"));
        let bin = vec!["--bin".to_string(), "/x/cargo-ratecheck".to_string()];
        assert_eq!(
            PeersOptions::parse(&bin).unwrap().bin,
            Some(PathBuf::from("/x/cargo-ratecheck"))
        );
    }

    #[test]
    fn durations_and_rates_render_for_the_tools() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_rate(10000.0), "10000");
        assert_eq!(format_rate(1000.0 / 3.0), "333.333");
        assert_eq!(format_rate(0.5), "0.5");
    }

    #[test]
    fn listening_line_gives_url() {
        assert_eq!(
            parse_listening_line("listening on http://127.0.0.1:4242").unwrap(),
            "http://127.0.0.1:4242/"
        );
        assert!(parse_listening_line("Compiling...").is_err());
    }

    #[test]
    fn commands_follow_each_tools_flags() {
        let opts = PeersOptions::default();
        let ours = std::path::Path::new("target/release/cargo-ratecheck");
        let url = "http://127.0.0.1:1/";
        let cmd = |t| display(&tool_command(t, ours, &opts, Some(10000.0), url));
        assert_eq!(
            cmd(Tool::CargoRatecheck),
            "target/release/cargo-ratecheck ratecheck run --rps 10000 --duration 10s \
             --concurrency 100 --url http://127.0.0.1:1/ --no-self-test --format json"
        );
        assert_eq!(
            cmd(Tool::Oha),
            "oha http://127.0.0.1:1/ -z 10s -q 10000 -c 100 --no-tui --output-format json"
        );
        assert_eq!(
            cmd(Tool::Hey),
            "hey -z 10s -q 100 -c 100 http://127.0.0.1:1/"
        );
        assert_eq!(
            cmd(Tool::Wrk),
            "wrk -t2 -c 100 -d 10s --latency http://127.0.0.1:1/"
        );
    }
}
