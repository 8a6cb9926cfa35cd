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
//! The HTTPS and HTTP/2 row sets (`--sets https,h2`) load nginx instead,
//! over TLS with a certificate made for the run ([`nginx`]), HTTP/1.1 and
//! HTTP/2 (h2 by ALPN; our `--http2 --connections N`, oha's `--http2 -c N
//! -p C/N`, the same streams over the same connections): ours and oha,
//! plain and latency-corrected.
//!
//! The pure parts live in submodules: [`args`] (the command line), [`parse`]
//! (the four tools' outputs), [`stats`] (a run's record, medians) and
//! [`table`]; this file runs the children.

pub mod args;
mod nginx;
mod parse;
mod stats;
mod table;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use args::{format_duration, format_rate};
pub use args::{PeersOptions, Set};
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

/// What a row set loads: the URL, and the CA of its certificate (TLS).
#[derive(Debug, Clone)]
pub struct Server {
    set: Set,
    url: String,
    ca: Option<PathBuf>,
}

/// The command line for one tool at one rate against `server`.
fn tool_command(
    tool: Tool,
    ours: &std::path::Path,
    opts: &PeersOptions,
    rate: Option<f64>,
    server: &Server,
) -> Command {
    let conns = opts.h2_connections.min(opts.concurrency);
    let mut cmd = match (tool, server.set) {
        // oha runs c × p workers: the same streams over the same
        // connections as ours.
        (Tool::Oha | Tool::OhaLc, Set::H2) => {
            let per = (opts.concurrency / conns).max(1);
            let h2 = PeersOptions {
                concurrency: conns,
                ..opts.clone()
            };
            let mut cmd = plain_command(tool, ours, &h2, rate, &server.url);
            cmd.args(["-p", &per.to_string()]);
            cmd
        }
        _ => plain_command(tool, ours, opts, rate, &server.url),
    };
    // The TLS and HTTP/2 sets run ours and oha only; a plain server has no CA.
    if matches!(tool, Tool::CargoRatecheck | Tool::Oha | Tool::OhaLc) {
        if let Some(ca) = &server.ca {
            cmd.arg("--cacert").arg(ca);
        }
        if server.set == Set::H2 {
            cmd.arg("--http2");
            if tool == Tool::CargoRatecheck {
                cmd.args(["--connections", &conns.to_string()]);
            }
        }
    }
    cmd
}

/// The command line for one tool at one rate against `url`, plain HTTP.
fn plain_command(
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

/// The servers of the row sets asked for, running.
struct Servers {
    list: Vec<Server>,
    embedded: Option<Background>,
    nginx: Option<nginx::Nginx>,
}

impl Servers {
    /// The embedded server for the plain set, nginx for the TLS ones (when
    /// it is on PATH; else those rows are left out, saying so).
    fn start(opts: &PeersOptions, ours: &Path) -> Result<Servers> {
        let mut servers = Servers {
            list: Vec::new(),
            embedded: None,
            nginx: None,
        };
        if opts.sets.contains(&Set::Plain) {
            let mut serve = Command::new(ours);
            serve.args(["ratecheck", "serve", "--addr", "127.0.0.1:0"]);
            println!("$ {}", display(&serve));
            let (server, first) =
                Background::spawn_and_read_first_line(&mut serve, Duration::from_secs(30))?;
            let url = parse_listening_line(&first)?;
            println!("server: {url}");
            servers.list.push(Server {
                set: Set::Plain,
                url,
                ca: None,
            });
            servers.embedded = Some(server);
        }
        if opts.sets.iter().any(|s| *s != Set::Plain) {
            if find_on_path("nginx").is_none() {
                println!("nginx not found (apt-get install -y nginx): no HTTPS or HTTP/2 rows");
                return Ok(servers);
            }
            let n = nginx::Nginx::start()?;
            println!("nginx: {} (HTTPS/1.1), {} (HTTP/2)", n.https_url, n.h2_url);
            for (set, url) in [(Set::Https, &n.https_url), (Set::H2, &n.h2_url)] {
                if opts.sets.contains(&set) {
                    let ca = Some(n.ca.clone());
                    let url = url.clone();
                    servers.list.push(Server { set, url, ca });
                }
            }
            servers.nginx = Some(n);
        }
        Ok(servers)
    }

    /// Whether the server of `set` still runs.
    fn up(&mut self, set: Set) -> bool {
        match set {
            Set::Plain => self.embedded.as_mut().is_some_and(Background::is_running),
            _ => self.nginx.as_mut().is_some_and(nginx::Nginx::is_running),
        }
    }
}

pub fn run(opts: &PeersOptions) -> Result<()> {
    let ours = our_binary(opts)?;
    let tools = available_tools();
    let mut servers = Servers::start(opts, &ours)?;
    let list = servers.list.clone();
    let limit = opts.duration + Duration::from_secs(30);
    let mut records = Vec::new();
    for repeat in 1..=opts.repeat {
        for (tool, rate, server) in plan(opts, &tools, &list) {
            if !servers.up(server.set) {
                bail!(
                    "the server of {} ({}) exited during the run",
                    server.set.name(),
                    server.url
                );
            }
            let mut cmd = tool_command(tool, &ours, opts, rate, server);
            let shown = display(&cmd);
            println!("[{repeat}/{}] $ {shown}", opts.repeat);
            let measured = run_measured(&mut cmd, limit)?;
            let figures = tool.parse(&measured.stdout);
            let mut rec = RunRecord::from_figures(
                tool,
                rate,
                opts.duration,
                repeat,
                shown,
                &measured,
                figures,
            );
            rec.set = server.set;
            print_record(&rec);
            records.push(rec);
        }
    }
    drop(servers);

    let urls: Vec<String> = list
        .iter()
        .map(|s| format!("{} {}", s.set.name(), s.url))
        .collect();
    println!(
        "\nmedians over {} repeat(s), {} each, concurrency {}, servers: {}\n",
        opts.repeat,
        format_duration(opts.duration),
        opts.concurrency,
        urls.join(", ")
    );
    print!("{}", summary_table(&records));
    if let Some(path) = &opts.json {
        write_json(path, opts, &urls.join(", "), &records)?;
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

/// One repeat's runs: at every rate, every tool against the embedded
/// server and ours and oha against each TLS server; then wrk (which takes
/// no rate) once.
fn plan<'a>(
    opts: &PeersOptions,
    tools: &[Tool],
    servers: &'a [Server],
) -> Vec<(Tool, Option<f64>, &'a Server)> {
    let mut plan = Vec::new();
    for &rate in &opts.rates {
        for server in servers {
            for &tool in tools.iter().filter(|t| server.set.runs(**t)) {
                plan.push((tool, Some(rate), server));
            }
        }
    }
    let plain = servers.iter().find(|s| s.set == Set::Plain);
    if let (true, Some(server)) = (tools.contains(&Tool::Wrk), plain) {
        plan.push((Tool::Wrk, None, server));
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
        let server = Server {
            set: Set::Plain,
            url: "http://127.0.0.1:1/".into(),
            ca: None,
        };
        let cmd = |t| display(&tool_command(t, ours, &opts, Some(10000.0), &server));
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

    #[test]
    fn the_tls_row_sets_give_both_tools_the_ca_and_the_same_streams() {
        let opts = PeersOptions::default();
        let ours = std::path::Path::new("ours");
        let server = |set| Server {
            set,
            url: "https://127.0.0.1:2/".into(),
            ca: Some("/tmp/ca.pem".into()),
        };
        let cmd = |t, set| display(&tool_command(t, ours, &opts, Some(1000.0), &server(set)));
        assert_eq!(
            cmd(Tool::CargoRatecheck, Set::Https),
            "ours ratecheck run --rps 1000 --duration 10s --concurrency 100 \
             --url https://127.0.0.1:2/ --no-self-test --format json --cacert /tmp/ca.pem"
        );
        assert!(cmd(Tool::CargoRatecheck, Set::H2)
            .ends_with("--cacert /tmp/ca.pem --http2 --connections 4"));
        assert_eq!(
            cmd(Tool::OhaLc, Set::H2),
            "oha https://127.0.0.1:2/ -z 10s -q 1000 -c 4 --no-tui --output-format json \
             --latency-correction -p 25 --cacert /tmp/ca.pem --http2"
        );
        // Only ours and oha load the TLS servers.
        let servers = [server(Set::H2)];
        let tools = [
            Tool::TimerFloor,
            Tool::CargoRatecheck,
            Tool::Oha,
            Tool::Hey,
            Tool::Wrk,
        ];
        let planned: Vec<Tool> = plan(&opts, &tools, &servers)
            .into_iter()
            .filter(|p| p.1 == Some(1000.0))
            .map(|p| p.0)
            .collect();
        assert_eq!(planned, [Tool::CargoRatecheck, Tool::Oha]);
    }
}
