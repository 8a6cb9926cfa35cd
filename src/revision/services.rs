//! `check --against REV` in a workspace that is not this tool's: there the
//! code under test is the workspace's services, not the engine.
//!
//! [`prepare`] exports REV's tree (through `git/`, where
//! [`build::worktree_dir`] puts a revision's tree) and builds there each
//! service a planned scenario names (its `cargo build`, as for the current
//! tree), into a target directory of its own under the persistent
//! `<target-dir>/ratecheck/`, so the base build and the current one are
//! both kept. [`run_paired`] starts each such service twice — REV's build
//! from REV's tree, the current build from the workspace, on two loopback
//! ports — and runs every scenario that names it against the two
//! alternately, A B, B A, … (as [`super::run`] does for binaries), each
//! run a short steady one at the scenario's rate under this process's
//! engine, each service's process tree sampled over its own runs only.
//! Each pair gives the service's CPU per request, its peak RSS and the
//! scenario's median response time and schedule lag, judged by the paired
//! rule
//! ([`super::paired_rows`]). [`service_pairs`], [`base_spec`] and
//! [`base_root`] are pure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::build::{self, RemoveOnDrop};
use super::paired::PairedTrials;
use super::run::base_first;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::figure::{id, FigureKind};
use crate::git;
use crate::service::ServiceSpec;
use crate::suite::services::{self, service_of, Measured, SampledRun, Services};
use crate::suite::{load_figures, scenario_floor, Event, Step};
use ratecheck_engine::clock::{SharedClock, SystemClock};
use ratecheck_engine::load::LoadSpec;

/// Shortest run of one side in one pair (unless the scenario is
/// shorter): 20 pairs of 0.5 s runs, both sides, take about 25 s per
/// scenario, and measured a service's CPU per request within about ±2%
/// (unchanged code, 95% interval) where 1 s runs did no better.
pub const PAIR_RUN: Duration = Duration::from_millis(500);

/// Longest run of one side in one pair: a slow scenario's run lasts until
/// it has sent [`PAIR_REQUESTS`], up to this.
pub const MAX_PAIR_RUN: Duration = Duration::from_secs(2);

/// Requests a pair's run aims for, so CPU per request is not mostly the
/// idle service's own timers at low rates.
pub const PAIR_REQUESTS: f64 = 100.0;

/// One side's run length for a scenario at `rps` lasting `total`
/// (ramps included): [`PAIR_RUN`], longer for slow rates up to
/// [`MAX_PAIR_RUN`], never longer than the scenario.
pub fn pair_run(rps: f64, total: Duration) -> Duration {
    let for_requests = Duration::from_secs_f64((PAIR_REQUESTS / rps).min(3600.0));
    for_requests.clamp(PAIR_RUN, MAX_PAIR_RUN).min(total)
}

/// The environment variable that puts a cargo build's output elsewhere.
const CARGO_TARGET_DIR: &str = "CARGO_TARGET_DIR";

/// One scenario against a service, measured in pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePair {
    pub scenario: String,
    /// The configured service's name.
    pub service: String,
    /// The path requested.
    pub path: String,
    /// One side's run: the scenario's rate, concurrency and requests, no
    /// ramps, [`pair_run`] long.
    pub load: LoadSpec,
    /// The scenario's own efficiency floor, if it has one.
    pub floor: Option<f64>,
    /// Whether its latency figures are paired (the median response time
    /// and the median schedule lag): the figures the suite judges, of a
    /// scenario without ramps.
    pub latency: bool,
}

impl ServicePair {
    /// The figures each pair gives: (name, kind, unit).
    pub fn figures(&self) -> Vec<(&'static str, FigureKind, &'static str)> {
        let mut out = vec![
            (id::SERVICE_CPU_US_PER_REQUEST, FigureKind::Cpu, "us"),
            (id::SERVICE_PEAK_RSS_BYTES, FigureKind::Memory, "B"),
        ];
        if self.latency {
            out.push((id::RESPONSE_P50_MS, FigureKind::Latency, "ms"));
            out.push((id::SCHEDULE_LAG_P50_US, FigureKind::Latency, "us"));
        }
        out
    }
}

/// The scenarios of a planned suite that load a service, each as one
/// side's run of a pair.
pub fn service_pairs(steps: &[Step]) -> Vec<ServicePair> {
    steps
        .iter()
        .filter_map(|step| {
            let used = service_of(step)?;
            let Step::Load(s) = step else {
                return None;
            };
            let mut load = s.load.clone();
            let latency = load.ramp_up.is_zero() && load.ramp_down.is_zero();
            load.duration = pair_run(load.rps, load.ramp_up + load.duration + load.ramp_down);
            load.ramp_up = Duration::ZERO;
            load.ramp_down = Duration::ZERO;
            Some(ServicePair {
                scenario: s.name.clone(),
                service: used.name.to_string(),
                path: used.path.to_string(),
                load,
                floor: scenario_floor(s),
                latency,
            })
        })
        .collect()
}

/// The services `pairs` load, each once, in the order first named.
pub fn paired_services(pairs: &[ServicePair]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for p in pairs {
        if !names.contains(&p.service.as_str()) {
            names.push(&p.service);
        }
    }
    names
}

/// How REV's build of a service is named in messages: `api at HEAD~1`.
pub fn base_name(service: &str, rev: &str) -> String {
    format!("{service} at {rev}")
}

/// REV's side of `spec`: named for REV, its cargo output in `target` (so
/// the current build, in the workspace's target directory, is kept).
pub fn base_spec(spec: &ServiceSpec, rev: &str, target: &Path) -> ServiceSpec {
    let mut base = spec.clone();
    base.name = base_name(&spec.name, rev);
    base.env
        .insert(CARGO_TARGET_DIR.to_string(), target.display().to_string());
    base
}

/// Where the workspace root is in REV's exported `tree`: the workspace
/// may be a folder of its repository (`repo`).
pub fn base_root(tree: &Path, repo: &Path, workspace_root: &Path) -> PathBuf {
    match workspace_root.strip_prefix(repo) {
        Ok(inside) => tree.join(inside),
        Err(_) => tree.to_path_buf(),
    }
}

/// REV's tree, exported, with its services built; removed when dropped
/// (after its services have stopped).
pub struct BaseTree {
    /// The revision as given (`origin/main`, `HEAD~1`).
    pub rev: String,
    /// The full SHA it resolved to.
    pub commit: String,
    /// The workspace root inside the tree.
    pub root: PathBuf,
    /// The target directory of REV's builds.
    pub target: PathBuf,
    _tree: RemoveOnDrop,
}

/// The base side of every service `pairs` load.
fn base_specs(
    config: &Config,
    pairs: &[ServicePair],
    rev: &str,
    target: &Path,
) -> Result<Vec<ServiceSpec>> {
    paired_services(pairs)
        .into_iter()
        .map(|name| {
            config
                .services
                .iter()
                .find(|s| s.name == name)
                .map(|s| base_spec(s, rev, target))
                .ok_or_else(|| Error::new(format!("service {name}: not configured")))
        })
        .collect()
}

/// `--against REV` with nothing of REV to measure.
fn nothing_to_pair(rev: &str) -> Error {
    Error::new(format!(
        "--against {rev}: no planned scenario loads a service, and in a workspace that is not cargo-ratecheck's the services are what is built at {rev} and paired; add a [[…ratecheck.service]] and a scenario with target = \"service:NAME\" (README: Gating your own service)"
    ))
}

/// Drops `file` from the page cache, written back first. How a program's
/// file came to be cached moves what it costs to run: two copies of one
/// binary, one just written by the linker and one older, measured about
/// 1% apart in CPU per request and 13% in total RSS; read afresh from the
/// disk, both alike.
fn drop_cached(file: &Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(file)?;
    f.sync_all()?;
    // SAFETY: an advice on a file descriptor this function holds open.
    let err = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    match err {
        0 => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(e)),
    }
}

/// A path as the file system resolves it (symbolic links followed), so
/// git's and cargo's views of one directory compare.
fn resolved(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Exports REV's tree and builds in it every service the planned `steps`
/// load (notes go to `on_event`), before anything is measured: a revision
/// that does not exist or whose service does not build fails in seconds.
pub async fn prepare(
    config: &Config,
    steps: &[Step],
    rev: &str,
    cancel: &CancellationToken,
    on_event: &(dyn Fn(&Event) + Sync),
) -> Result<BaseTree> {
    let pairs = service_pairs(steps);
    if pairs.is_empty() {
        return Err(nothing_to_pair(rev));
    }
    let repo = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
        Error::new(format!(
            "--against {rev}: {} is not in a git repository",
            config.workspace_root.display()
        ))
    })?;
    let commit = build::resolve(&repo, rev)?;
    let tree = build::worktree_dir(&config.target_dir, &commit);
    let _ = std::fs::remove_dir_all(&tree); // a leftover of a killed run
    let guard = RemoveOnDrop(tree.clone());
    git::export_tree(&repo, &commit, &tree)?;
    let root = base_root(&tree, &resolved(&repo), &resolved(&config.workspace_root));
    let target = config.target_dir.join("ratecheck").join("target");
    let specs = base_specs(config, &pairs, rev, &target)?;
    on_event(&Event::Note(format!(
        "ratecheck: {rev} (commit {}) checked out for its services: {}",
        git::short_sha(&commit),
        paired_services(&pairs).join(", ")
    )));
    for spec in specs {
        services::build(spec, root.clone(), cancel.clone(), on_event).await?;
    }
    Ok(BaseTree {
        rev: rev.to_string(),
        commit,
        root,
        target,
        _tree: guard,
    })
}

/// The two sides of a paired run: REV's services and the current ones.
struct Sides<'a> {
    base: Services<'a>,
    current: Services<'a>,
    rev: &'a str,
}

/// How one paired run is told what to do and whom to tell.
pub struct PairedServices<'a> {
    pub pairs: usize,
    pub cancel: &'a CancellationToken,
    pub on_event: &'a (dyn Fn(&Event) + Sync),
    /// Told each finished pair.
    pub on_pair: &'a (dyn Fn(usize) + Sync),
}

/// Runs every service scenario of `steps` `how.pairs` times against both
/// sides, interleaved (after one unrecorded warm-up run of each side, so
/// neither side's first recorded run pays for a cold start); every service
/// started here is stopped on every way out.
pub async fn run_paired(
    config: &Config,
    base: &BaseTree,
    steps: &[Step],
    how: &PairedServices<'_>,
) -> Result<Vec<PairedTrials>> {
    let specs = service_pairs(steps);
    let base_specs = base_specs(config, &specs, &base.rev, &base.target)?;
    let mut sides = Sides {
        base: Services::new(&base_specs, &base.root),
        current: Services::new(&config.services, &config.workspace_root),
        rev: &base.rev,
    };
    let result = match sides.start_cold(&specs, how).await {
        Ok(()) => pair_runs(&mut sides, &specs, how).await,
        Err(e) => Err(e),
    };
    sides.stop_all(how.on_event).await;
    result
}

/// Empty trials of every figure of `specs`, in order.
pub fn empty_trials(specs: &[ServicePair], pairs: usize) -> Vec<Vec<PairedTrials>> {
    specs
        .iter()
        .map(|p| {
            p.figures()
                .into_iter()
                .map(|(figure, kind, unit)| PairedTrials {
                    scenario: p.scenario.clone(),
                    figure: figure.to_string(),
                    kind,
                    unit: unit.to_string(),
                    base: Vec::with_capacity(pairs),
                    current: Vec::with_capacity(pairs),
                })
                .collect()
        })
        .collect()
}

/// The value of `figure` in one side's run: a service figure, or a load
/// figure as the suite reads it off the run's report.
pub fn read(figure: &str, m: &Measured) -> f64 {
    match m.service.get(figure) {
        Some(f) => f.value,
        None => load_figures(&m.report)
            .get(figure)
            .map_or(f64::NAN, |f| f.value),
    }
}

/// Which side runs first and second in pair `i` (`true`: the base): A B,
/// B A, A B, … as for binaries, so neither side always goes first.
pub fn order(i: usize) -> [bool; 2] {
    let first = base_first(i);
    [first, !first]
}

async fn pair_runs(
    sides: &mut Sides<'_>,
    specs: &[ServicePair],
    how: &PairedServices<'_>,
) -> Result<Vec<PairedTrials>> {
    let clock: SharedClock = Arc::new(SystemClock::new());
    let mut trials = empty_trials(specs, how.pairs);
    for p in specs {
        for base_side in [true, false] {
            sides.run(base_side, p, &clock, how).await?;
        }
    }
    for i in 0..how.pairs {
        for (p, t) in specs.iter().zip(trials.iter_mut()) {
            let [first, second] = order(i);
            let a = sides.run(first, p, &clock, how).await?;
            let b = sides.run(second, p, &clock, how).await?;
            let (base, current) = if first { (a, b) } else { (b, a) };
            for f in t.iter_mut() {
                f.base.push(read(&f.figure, &base));
                f.current.push(read(&f.figure, &current));
            }
        }
        (how.on_pair)(i + 1);
    }
    Ok(trials.into_iter().flatten().collect())
}

impl Sides<'_> {
    /// Starts every service of `specs` on both sides once, to learn the
    /// programs they run (`/proc/<pid>/exe`), stops them, and drops those
    /// programs from the page cache ([`drop_cached`]), so both sides start
    /// their program alike, read afresh, when the runs start them again.
    async fn start_cold(&mut self, specs: &[ServicePair], how: &PairedServices<'_>) -> Result<()> {
        let mut programs: Vec<PathBuf> = Vec::new();
        for name in paired_services(specs) {
            let base = base_name(name, self.rev);
            for (services, name) in [(&mut self.base, base.as_str()), (&mut self.current, name)] {
                let svc = services.get(name, how.cancel, how.on_event).await?;
                if let Ok(exe) = std::fs::read_link(format!("/proc/{}/exe", svc.pid())) {
                    programs.push(exe);
                }
            }
        }
        self.stop_all(how.on_event).await;
        programs.sort();
        programs.dedup();
        for p in &programs {
            // A program that cannot be dropped is started as it is.
            let _ = drop_cached(p);
        }
        Ok(())
    }

    async fn stop_all(&mut self, on_event: &(dyn Fn(&Event) + Sync)) {
        self.base.stop_all(on_event).await;
        self.current.stop_all(on_event).await;
    }

    /// One run of `p` against the base side or the current one; a service
    /// that exits during it stops the paired run (exit 2, its last line).
    async fn run(
        &mut self,
        base_side: bool,
        p: &ServicePair,
        clock: &SharedClock,
        how: &PairedServices<'_>,
    ) -> Result<Measured> {
        if how.cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        let (services, name) = if base_side {
            (&mut self.base, base_name(&p.service, self.rev))
        } else {
            (&mut self.current, p.service.clone())
        };
        let svc = services.get(&name, how.cancel, how.on_event).await?;
        let run = SampledRun {
            scenario: &p.scenario,
            load: &p.load,
            path: &p.path,
            floor: p.floor,
        };
        let measured = run.measure(svc, clock, how.cancel, None).await?;
        if how.cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        match &measured.crash {
            Some(crash) => Err(Error::Scenario {
                scenario: format!("{} (paired)", p.scenario),
                msg: crash.line(),
            }),
            None => Ok(measured),
        }
    }
}

#[cfg(test)]
mod tests;
