//! Command-line definitions, and nothing else (README.md, "Commands"). Cargo
//! runs a subcommand binary as `cargo-ratecheck ratecheck ARGS`, so the
//! parser is named `cargo` with one `ratecheck` subcommand, as cargo-nextest
//! does. Value parsers here turn bad arguments into one-line errors that
//! name the argument and what is allowed (clap exits 2).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::engine_names::{Behaviour, OnFull};

use crate::config::DEFAULT_CONCURRENCY;
use crate::duration::{format_duration, parse_duration};
use crate::figure::JudgedKind;
use crate::revision::command::parse_time_limit;
use crate::shard::{parse_shard, parse_start_at, ShardArg};
use crate::suite::instructions::CostTarget;
use crate::suite::part::SuitePart;

// The load values take the limits of `load` (as a configured scenario does).
use ratecheck_engine::load::Traffic;
use ratecheck_engine::load::{self, LoadSpec, ServerSpec, TargetSpec, MAX_CONCURRENCY};
use ratecheck_engine::load::{DEFAULT_DRAIN, DEFAULT_TIMEOUT};
use ratecheck_engine::target::ClientOptions;

#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::default())]
pub enum Cargo {
    /// Gate merges on the efficiency, CPU and memory of an open-loop HTTP load generator.
    #[command(version)]
    Ratecheck(Ratecheck),
}

/// Parses `cargo ratecheck …` (`args` with the program name first). The
/// global options may stand before any subcommand; the options of the
/// implicit `check` (`cargo ratecheck --quick`) may not come with another
/// subcommand (clap's `args_conflicts_with_subcommands` would refuse the
/// global ones too).
pub fn try_parse_from<I, T>(args: I) -> Result<Cargo, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cmd = Cargo::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some(("ratecheck", top)) = matches.subcommand() {
        if let Some((sub, _)) = top.subcommand() {
            let check = CheckArgs::augment_args(clap::Command::new("check"));
            let given = check
                .get_arguments()
                .find(|a| top.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine));
            if let Some(arg) = given {
                let name = arg.get_long().unwrap_or(arg.get_id().as_str());
                return Err(cmd.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--{name} is an option of `check`: write it after `check`, not before `{sub}`"),
                ));
            }
        }
    }
    Cargo::from_arg_matches(&matches)
}

#[derive(Debug, Args)]
pub struct Ratecheck {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, `check` runs with these options.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// Path to Cargo.toml of the workspace to check.
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only results and errors (no progress).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (diagnostics, every window).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Tables for people.
    #[default]
    Human,
    /// The versioned JSON schema.
    Json,
    /// GitHub-flavoured Markdown (step summaries, PR comments).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the self-test and the suite, compare with the baseline, exit 0/1/2 (the default).
    Check(CheckArgs),
    /// Save or show baselines.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// One ad-hoc load run against --url, the null target or the embedded server.
    Run(RunArgs),
    /// Merge the JSON reports of a schedule's shards (`run --shard`) into one.
    Merge(MergeArgs),
    /// The 1-second start-up self-test (exit 1 on failure).
    SelfTest(FormatArgs),
    /// Run the embedded HTTP server alone (for side-by-side runs with other tools).
    Serve(ServeArgs),
    /// Compare two result files (baselines or check JSON) offline.
    Compare(CompareArgs),
    /// Every figure over the committed versions of the baseline file (read from git).
    History(HistoryArgs),
    /// Write a starter configuration and the two GitHub workflows into this workspace.
    Init(InitArgs),
    /// Find the first commit between --good and --bad that made a figure worse (binary search).
    Bisect(BisectArgs),
    /// The instruction-count bench's workload (run by the gate under valgrind).
    // Named `cost-probe` on the command line: bisect runs other revisions'
    // binaries with that word, so it stays.
    #[command(hide = true, name = "cost-probe")]
    CostWorkload(CostWorkloadArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CostWorkloadArgs {
    #[arg(long, value_enum)]
    pub target: CostTarget,
    /// Requests to send (a fixed count: the workload does not follow time).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub requests: u64,
}

#[derive(Debug, Clone, Args, Default)]
pub struct OutputArgs {
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the JSON result to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Also write a self-contained HTML report to this file.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Also write the Markdown report to this file (for a pull-request
    /// comment).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct CheckArgs {
    /// Only the quick scenarios (≤ 20 s).
    #[arg(long)]
    pub quick: bool,
    /// Baseline name (baselines/NAME.json) or path to a baseline file.
    #[arg(long, value_name = "NAME|PATH", conflicts_with = "no_baseline")]
    pub baseline: Option<String>,
    /// Read the baseline and the gate's configuration (thresholds, trials,
    /// scenarios) as committed at this git revision (e.g. origin/main).
    #[arg(long, value_name = "REV", conflicts_with = "no_baseline")]
    pub baseline_rev: Option<String>,
    /// Judge floors only, without a baseline.
    #[arg(long)]
    pub no_baseline: bool,
    /// Run only scenarios whose name contains this text (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub scenario: Vec<String>,
    /// Compare CPU and memory even against a baseline from another machine.
    #[arg(long)]
    pub strict_machine: bool,
    /// Build this git revision (e.g. origin/main) and judge against it on
    /// this machine: instruction and allocation counts of both builds, and
    /// CPU, peak RSS and latency from paired runs (base and current build
    /// alternating). The configuration is the one committed at REV.
    #[arg(long, value_name = "REV")]
    pub against: Option<String>,
    /// Figure kinds this run must judge, by the baseline or by a pair
    /// (adds to the configuration's `require-judged`); one left unjudged
    /// is exit 2.
    #[arg(long, value_name = "KIND[,KIND…]", value_delimiter = ',')]
    pub require_judged: Vec<JudgedKind>,
    /// Run part i of the suite split in N (a CI matrix): whole scenarios,
    /// balanced by expected duration, the self-test in each part; write
    /// each part with --json and join them with --merge.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<SuitePart>,
    /// Merge the parts of a split run (check --shard i/N --json PART.json)
    /// into its one verdict and report; measures nothing.
    #[arg(
        long,
        value_name = "PART.json",
        num_args = 1..,
        conflicts_with_all = ["quick", "baseline", "baseline_rev", "no_baseline", "scenario", "strict_machine", "against", "require_judged", "shard"]
    )]
    pub merge: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Measure the suite and write baselines/NAME.json (atomically).
    Save(SaveArgs),
    /// Print a baseline.
    Show(ShowArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SaveArgs {
    /// Baseline name (default from config, else `default`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Save even when the working tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Only the quick scenarios.
    #[arg(long)]
    pub quick: bool,
    /// Save even when the self-test or a floor failed, or a figure's trials
    /// spread wider than its tolerance.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// Baseline name or path (default from config, else `default`).
    pub name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Target rate, requests per second (fractions allowed: 0.5).
    #[arg(long, value_parser = parse_rps, allow_negative_numbers = true)]
    pub rps: f64,
    /// Length of the steady phase (ramps come on top).
    #[arg(long, value_parser = parse_positive_duration, allow_hyphen_values = true, default_value = "10s")]
    pub duration: Duration,
    /// Workers, each with one keep-alive connection.
    #[arg(long, value_parser = parse_concurrency, allow_negative_numbers = true, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Ramp from 0 to --rps over this long first.
    #[arg(long, value_parser = parse_load_duration, allow_hyphen_values = true, default_value = "0s")]
    pub ramp_up: Duration,
    /// Ramp from --rps to 0 over this long at the end.
    #[arg(long, value_parser = parse_load_duration, allow_hyphen_values = true, default_value = "0s")]
    pub ramp_down: Duration,
    /// Target URL, http:// or https://. Default: the embedded server.
    #[arg(long, conflicts_with = "null")]
    pub url: Option<String>,
    /// https://: trust only the CA certificates of this PEM file.
    #[arg(long, value_name = "PATH")]
    pub cacert: Option<PathBuf>,
    /// https://: do not verify the server's certificate (the report says so).
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
    /// HTTP/2 (h2 by ALPN over https://, prior knowledge on http://); the
    /// workers' requests become streams over --connections connections.
    #[arg(long)]
    pub http2: bool,
    /// HTTP/2 connections the streams share (default 1; at most --concurrency).
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,
    /// The null target: no network, measures the engine alone.
    #[arg(long)]
    pub null: bool,
    /// Per-request timeout.
    #[arg(long, value_parser = parse_positive_duration, allow_hyphen_values = true, default_value = format_duration(DEFAULT_TIMEOUT))]
    pub timeout: Duration,
    /// How long in-flight requests may finish after the schedule ends.
    #[arg(long, value_parser = parse_load_duration, allow_hyphen_values = true, default_value = format_duration(DEFAULT_DRAIN))]
    pub drain: Duration,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// Request header `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Request body.
    #[arg(long)]
    pub body: Option<String>,
    /// When every worker is busy: drop the request (counted) or wait (lag grows).
    #[arg(long, value_enum, default_value_t = OnFull::Drop)]
    pub on_full: OnFull,
    /// Embedded server only: latency added to each response.
    #[arg(long, value_parser = parse_load_duration, allow_hyphen_values = true, default_value = "0s")]
    pub server_latency: Duration,
    /// Engine threads. Default: 1 when the target is another process (--url,
    /// --null: cheapest per request), one per core with the in-process
    /// embedded server.
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Skip the 1-second self-test before the run.
    #[arg(long)]
    pub no_self_test: bool,
    /// Send shard i of N of the schedule (auto/N: i from JOB_COMPLETION_INDEX).
    #[arg(long, value_parser = parse_shard, value_name = "i/N")]
    pub shard: Option<ShardArg>,
    /// When every shard starts the schedule: RFC 3339, or +DURATION from now.
    #[arg(long, value_parser = parse_start_at, value_name = "TIME", requires = "shard")]
    pub start_at: Option<SystemTime>,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl RunArgs {
    /// The load run these arguments describe (each value was range-checked
    /// by its parser, with the limits of [`LoadSpec::validate`]).
    pub fn load(&self) -> LoadSpec {
        LoadSpec {
            rps: self.rps,
            duration: self.duration,
            concurrency: self.concurrency,
            ramp_up: self.ramp_up,
            ramp_down: self.ramp_down,
            timeout: self.timeout,
            drain: self.drain,
            on_full: self.on_full.into(),
            target: match (&self.url, self.null) {
                (Some(url), _) => TargetSpec::Url(url.clone()),
                (None, true) => TargetSpec::Null,
                (None, false) => TargetSpec::Embedded(ServerSpec {
                    latency: self.server_latency,
                    ..ServerSpec::NONE
                }),
            },
            traffic: Traffic {
                client: ClientOptions {
                    cacert: self.cacert.clone(),
                    insecure: self.insecure,
                    http2: self.http2,
                    connections: self.connections,
                },
                ..Traffic::single(&self.method, &self.headers, self.body.as_deref())
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' reports (`run --shard i/N --json PATH`).
    #[arg(required = true, value_name = "PART.json")]
    pub parts: Vec<PathBuf>,
    /// Merge without the missing shards: their requests count as not sent.
    #[arg(long)]
    pub allow_missing: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Loopback address to bind; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
    /// Latency added to each response.
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true, default_value = "0s")]
    pub latency: Duration,
    /// Random extra latency, uniform in [0, jitter).
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true, default_value = "0s")]
    pub jitter: Duration,
    /// Fraction of responses that are HTTP 500, 0..=1.
    #[arg(long, value_parser = parse_fraction, default_value = "0")]
    pub error_rate: f64,
    /// Response body size in bytes.
    #[arg(long, default_value = "2")]
    pub response_size: usize,
    /// Misbehave on purpose (for testing load tools).
    #[arg(long, value_enum, default_value_t = Behaviour::Normal)]
    pub behaviour: Behaviour,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Replace an existing ratecheck section and workflow files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The older result: a baseline file or a check JSON.
    pub old: PathBuf,
    /// The newer result.
    pub new: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Baseline name (baselines/NAME.json) or path to a baseline file.
    #[arg(long, value_name = "NAME|PATH")]
    pub baseline: Option<String>,
    /// Only this figure: its name (`cpu_us_per_request`) or
    /// `scenario/figure` (repeatable). Default: every judged figure.
    #[arg(long, value_name = "NAME")]
    pub figure: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BisectArgs {
    /// A revision without the regression: an ancestor of --bad on its
    /// first-parent history.
    #[arg(long, value_name = "REV")]
    pub good: String,
    /// A revision with the regression (e.g. HEAD).
    #[arg(long, value_name = "REV")]
    pub bad: String,
    /// The figure to bisect by: instructions_per_request_http (default),
    /// instructions_per_request_null, cpu_us_per_request_http,
    /// cpu_us_per_request_null, peak_rss_bytes. With --command: a name for
    /// the number the command prints on its last line, shown per probe.
    #[arg(long, value_name = "NAME")]
    pub figure: Option<String>,
    /// Judge each commit by this shell command instead, run with `sh -c` in
    /// the commit's checked-out tree: exit 0 good, 125 skip, 1-127 bad,
    /// anything else stops the search (as `git bisect run`).
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// With --command: how long one run may take before it is stopped (the
    /// search then stops, exit 2).
    #[arg(long, value_parser = parse_time_limit, default_value = "1h", requires = "command")]
    pub timeout: Duration,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write the JSON result to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// `--rps`: a number within [`load::check_rps`].
pub fn parse_rps(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| {
        format!("{s:?} is not a number; give requests per second, e.g. 1000 or 0.5")
    })?;
    load::check_rps(v).map_err(|e| format!("{s:?}: {e}"))
}

/// `--concurrency`: a whole number within [`load::check_concurrency`].
pub fn parse_concurrency(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of workers (1..={MAX_CONCURRENCY})"))?;
    load::check_concurrency(v).map_err(|e| format!("{s:?}: {e}"))
}

/// `--threads`: 1..=256.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=256) => Ok(n),
        _ => Err(format!("{s:?}: give a number of threads between 1 and 256")),
    }
}

/// A load run's length of time > 0 (`--duration`, `--timeout`), within
/// [`load::check_length`].
pub fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    load::check_length(parse_duration(s)?, false).map_err(|e| format!("{s:?}: {e}"))
}

/// A load run's length of time, zero allowed (`--ramp-up`, `--drain`, …),
/// within [`load::check_length`].
pub fn parse_load_duration(s: &str) -> Result<Duration, String> {
    load::check_length(parse_duration(s)?, true).map_err(|e| format!("{s:?}: {e}"))
}

/// A fraction in 0..=1.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number between 0 and 1"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{s:?}: must be between 0 and 1"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests;
