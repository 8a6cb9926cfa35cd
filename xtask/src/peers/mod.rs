//! `cargo xtask peers`: cargo-ratecheck's `run` side by side with the load
//! tools people use today, against one embedded server, in one run.
//!
//! For every repeat and every target rate it runs, interleaved, the timer
//! floor (`timer-floor`: how late this machine's timer wakes a bare
//! absolute-deadline sleeper at that rate, the floor of any schedule lag),
//! our engine against the null target (no HTTP: what pacing and the request
//! path cost alone, the process's CPU over the run), our engine against
//! the server, `oha -q R` (the closest peer) plain and with
//! `--latency-correction` (response time from the intended send time, as
//! ours), `hey -q R/C` (hey's rate is per worker),
//! and once per repeat `wrk`, which has no rate control and so shows the
//! unthrottled ceiling of this machine. Each child is measured by the parent
//! (CPU % of one core and peak RSS from its own rusage) so every tool is
//! charged the same way. The table shows medians over repeats; `--json`
//! keeps every run.
//!
//! Efficiency is the tool's completed requests ÷ (target rate × duration);
//! for cargo-ratecheck it is the engine's own `efficiency` (completed ÷
//! expected), which is the same ratio computed from its schedule.
//!
//! The pure parts live in submodules: [`args`] (the command line), [`parse`]
//! (the four tools' outputs), [`stats`] (a run's record, medians) and
//! [`table`]; this file runs the children.

pub mod args;
mod parse;
mod stats;
mod table;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

pub use args::PeersOptions;
use args::{format_duration, format_rate};
use parse::Figures;
use stats::RunRecord;
use table::summary_table;

use crate::proc::{self, cargo, display, find_on_path, run_inherited, run_measured, Background};

/// The tools, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// The machine's timer lateness at the rate (`cargo xtask timer-floor`):
    /// the floor of any tool's schedule lag.
    TimerFloor,
    /// Our engine against the null target: its CPU without HTTP.
    CargoRatecheckNull,
    CargoRatecheck,
    Oha,
    /// oha with `--latency-correction`: response time from the intended
    /// send time, the figure comparable with ours.
    OhaLc,
    Hey,
    Wrk,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::TimerFloor => "timer floor",
            Tool::CargoRatecheckNull => "ours, null target",
            Tool::CargoRatecheck => "cargo-ratecheck",
            Tool::Oha => "oha",
            Tool::OhaLc => "oha LC",
            Tool::Hey => "hey",
            Tool::Wrk => "wrk",
        }
    }

    fn install_hint(self) -> &'static str {
        match self {
            Tool::TimerFloor | Tool::CargoRatecheck | Tool::CargoRatecheckNull => {
                "cargo build --release"
            }
            Tool::Oha | Tool::OhaLc => "cargo install oha --locked",
            Tool::Hey | Tool::Wrk => "apt-get install -y wrk hey",
        }
    }

    fn parse(self, stdout: &str) -> Result<Figures> {
        match self {
            Tool::TimerFloor => parse::parse_floor(stdout),
            Tool::CargoRatecheck | Tool::CargoRatecheckNull => parse::parse_ours(stdout),
            Tool::Oha | Tool::OhaLc => parse::parse_oha(stdout),
            Tool::Hey => parse::parse_hey(stdout),
            Tool::Wrk => parse::parse_wrk(stdout),
        }
    }
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
        Tool::TimerFloor => {
            // This xtask binary, measured like every other child.
            let xtask = std::env::current_exe().unwrap_or_else(|_| "xtask".into());
            let mut cmd = Command::new(xtask);
            cmd.args(["timer-floor", "--rates"])
                .arg(format_rate(rate.unwrap_or_default()))
                .args(["--duration", &d, "--format", "json"]);
            cmd
        }
        Tool::CargoRatecheck | Tool::CargoRatecheckNull => {
            let mut cmd = Command::new(ours);
            cmd.args(["ratecheck", "run", "--rps"])
                .arg(format_rate(rate.unwrap_or_default()))
                .args(["--duration", &d, "--concurrency", &c]);
            if tool == Tool::CargoRatecheckNull {
                cmd.arg("--null");
            } else {
                cmd.args(["--url", url]);
            }
            cmd.args(["--no-self-test", "--format", "json"]);
            cmd
        }
        Tool::Oha | Tool::OhaLc => {
            let mut cmd = Command::new("oha");
            cmd.args([url, "-z", &d, "-q"])
                .arg(format_rate(rate.unwrap_or_default()))
                .args(["-c", &c, "--no-tui", "--output-format", "json"]);
            if tool == Tool::OhaLc {
                cmd.arg("--latency-correction");
            }
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
    let ours = our_binary(opts)?;
    let tools = available_tools();
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
        for (tool, rate) in plan(opts, &tools) {
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
            print_record(&rec);
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
        write_json(path, opts, &url, &records)?;
    }
    Ok(())
}

/// `--bin`, or the release binary built now.
fn our_binary(opts: &PeersOptions) -> Result<PathBuf> {
    match &opts.bin {
        Some(bin) => {
            if !proc::is_executable(bin) {
                bail!("--bin {}: not an executable file", bin.display());
            }
            Ok(bin.clone())
        }
        None => build_release(),
    }
}

/// The timer floor, cargo-ratecheck (null target and HTTP), and the peers
/// found on PATH (oha twice: with and without latency correction); the
/// missing ones named.
fn available_tools() -> Vec<Tool> {
    let mut tools = vec![
        Tool::TimerFloor,
        Tool::CargoRatecheckNull,
        Tool::CargoRatecheck,
    ];
    for tool in [Tool::Oha, Tool::Hey, Tool::Wrk] {
        if find_on_path(tool.name()).is_some() {
            tools.push(tool);
            if tool == Tool::Oha {
                tools.push(Tool::OhaLc);
            }
        } else {
            println!("{} not found: {}", tool.name(), tool.install_hint());
        }
    }
    tools
}

/// One repeat's runs: every tool at every rate, then wrk (which takes no
/// rate) once.
fn plan(opts: &PeersOptions, tools: &[Tool]) -> Vec<(Tool, Option<f64>)> {
    let mut plan: Vec<(Tool, Option<f64>)> = Vec::new();
    for &rate in &opts.rates {
        for &tool in tools.iter().filter(|t| **t != Tool::Wrk) {
            plan.push((tool, Some(rate)));
        }
    }
    if tools.contains(&Tool::Wrk) {
        plan.push((Tool::Wrk, None));
    }
    plan
}

/// One run's line: its error, or what it achieved.
fn print_record(rec: &RunRecord) {
    println!("    {}", rec.summary_line());
}

/// `--json`: the settings and every run's raw figures.
fn write_json(path: &Path, opts: &PeersOptions, url: &str, records: &[RunRecord]) -> Result<()> {
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
    Ok(())
}

/// `a` is `Some` and within 1e-9 of `b`.
#[cfg(test)]
fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// What the parent measures of a child that exited 0.
#[cfg(test)]
fn measured_ok(wall_s: f64, cpu_s: f64, rss: u64) -> proc::Measured {
    proc::Measured {
        exit_code: Some(0),
        wall: Duration::from_secs_f64(wall_s),
        cpu: Duration::from_secs_f64(cpu_s),
        peak_rss_bytes: rss,
        ..Default::default()
    }
}

/// [`RunRecord::from_figures`] for repeat 1 of a `secs`-second run.
#[cfg(test)]
fn record(
    tool: Tool,
    target_rps: Option<f64>,
    secs: u64,
    measured: &proc::Measured,
    figures: Result<Figures>,
) -> RunRecord {
    let d = Duration::from_secs(secs);
    RunRecord::from_figures(
        tool,
        target_rps,
        d,
        1,
        tool.name().into(),
        measured,
        figures,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
            cmd(Tool::OhaLc),
            "oha http://127.0.0.1:1/ -z 10s -q 10000 -c 100 --no-tui --output-format json \
             --latency-correction"
        );
        assert_eq!(
            cmd(Tool::CargoRatecheckNull),
            "target/release/cargo-ratecheck ratecheck run --rps 10000 --duration 10s \
             --concurrency 100 --null --no-self-test --format json"
        );
        assert!(
            cmd(Tool::TimerFloor)
                .ends_with("timer-floor --rates 10000 --duration 10s --format json"),
            "{}",
            cmd(Tool::TimerFloor)
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
