//! The instruction-count bench: instructions per request on the engine's
//! request path, counted by valgrind's callgrind (as iai-callgrind and
//! CodSpeed do) instead of timed. A count does not depend on the machine's
//! speed or load, so it is compared with the committed baseline on any CPU
//! model, to about a percent; what changes it is the code or the build.
//!
//! The workload is the hidden `cost-probe` subcommand (`engine::cost`): a
//! fixed number of requests with no timer in the loop. Each figure is the
//! difference between two request counts (so the process's fixed set-up
//! cancels out) divided by the difference in requests; the same difference
//! per function and per source line gives the profile that names what got
//! slower (the lines find code inlined into another function).
//!
//! Parsing ([`super::callgrind`]) and arithmetic are pure; [`measure`] runs
//! the processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::callgrind::{parse_callgrind, Callgrind};
use crate::figure::id;
use crate::figure::profile::PROFILE_LEN;
use crate::figure::{Figure, FigureKind, FunctionCost, LineCost};
use ratecheck_engine::load::TargetSpec;

/// Instructions per request, and per function and source line
/// ([`per_request`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PerRequest {
    /// The whole program's instructions per request.
    pub value: f64,
    /// Each function's, the costliest first, at most [`PROFILE_LEN`].
    pub profile: Vec<FunctionCost>,
    /// Each source line's, the costliest first, at most [`PROFILE_LEN`].
    pub lines: Vec<LineCost>,
}

/// Instructions per request and the per-function and per-line profiles
/// from runs of `small` and `large` requests: the differences divided by
/// the difference in requests. `None` unless `large` has more requests.
pub fn per_request(
    small: &Callgrind,
    small_requests: u64,
    large: &Callgrind,
    large_requests: u64,
) -> Option<PerRequest> {
    let n = large_requests
        .checked_sub(small_requests)
        .filter(|&n| n > 0)? as f64;
    let value = (large.total as f64 - small.total as f64) / n;
    let profile = costliest(&small.functions, &large.functions, n)
        .map(|(function, per_request)| FunctionCost {
            function: function.clone(),
            per_request,
        })
        .collect();
    let lines = costliest(&small.lines, &large.lines, n)
        .map(|((file, line), per_request)| LineCost {
            file: file.clone(),
            line: *line,
            per_request,
        })
        .collect();
    Some(PerRequest {
        value,
        profile,
        lines,
    })
}

/// Each key's cost per request (its cost in `large` less that in `small`,
/// over `n` requests), the positive ones, the costliest first, at most
/// [`PROFILE_LEN`].
fn costliest<'a, K: Ord>(
    small: &BTreeMap<K, u64>,
    large: &'a BTreeMap<K, u64>,
    n: f64,
) -> impl Iterator<Item = (&'a K, f64)> {
    let mut costs: Vec<(&K, f64)> = large
        .iter()
        .map(|(k, &cost)| {
            let before = small.get(k).copied().unwrap_or(0) as f64;
            (k, (cost as f64 - before) / n)
        })
        .filter(|(_, c)| *c > 0.0)
        .collect();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1));
    costs.truncate(PROFILE_LEN);
    costs.into_iter()
}

/// The workspace this binary was built from: where its own source paths
/// are relative to.
pub fn this_build_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Why the counts are unavailable where valgrind is not installed.
pub const NO_VALGRIND: &str =
    "no CPU simulator on this machine: install valgrind (e.g. apt-get install valgrind)";

/// `valgrind --version` (e.g. `valgrind-3.19.0`), or `None` where valgrind
/// cannot run.
pub fn valgrind_version() -> Option<String> {
    let out = Command::new("valgrind")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// What the workload (`cost-probe --target`) drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CostTarget {
    /// The null target: the engine alone.
    Null,
    /// HTTP to the embedded server in the same process.
    Http,
}

impl CostTarget {
    /// Its name: the `--target` word, and the end of its figure's name
    /// (`instructions_per_request_http`).
    pub fn name(self) -> &'static str {
        match self {
            CostTarget::Null => "null",
            CostTarget::Http => "http",
        }
    }

    /// The load target it is.
    pub fn spec(self) -> TargetSpec {
        match self {
            CostTarget::Null => TargetSpec::Null,
            CostTarget::Http => TargetSpec::EMBEDDED,
        }
    }
}

/// One instruction figure's workload: its target and the request counts
/// of its two runs (of `cost-probe`), whose difference is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostRun {
    pub target: CostTarget,
    pub small: u64,
    pub large: u64,
}

/// The two figures: the null target (engine alone; ~800 instructions per
/// request, so many requests) and HTTP to the in-process embedded server
/// (~23000, client and server).
pub const COST_RUNS: [CostRun; 2] = [
    CostRun {
        target: CostTarget::Null,
        small: 20_000,
        large: 100_000,
    },
    CostRun {
        target: CostTarget::Http,
        small: 2_000,
        large: 6_000,
    },
];

/// Runs every cost run's two counts under callgrind, all at once (counts
/// do not depend on what else the machine runs), and returns two figures
/// per cost run: `instructions_per_request_<target>` and
/// `allocs_per_request_<target>` (heap allocations the workload made, net
/// of its set-up in the same way; unavailable from a binary whose workload
/// does not report them). Files go to `scratch`.
/// `root` is the workspace `exe` was built from: source paths under it are
/// kept relative to it.
pub fn measure(
    exe: &Path,
    root: &Path,
    scratch: &Path,
) -> Result<BTreeMap<String, Figure>, String> {
    measure_runs(exe, root, scratch, &COST_RUNS)
}

/// [`measure`] for some of the cost runs (`bisect` measures one figure).
pub fn measure_runs(
    exe: &Path,
    root: &Path,
    scratch: &Path,
    runs: &[CostRun],
) -> Result<BTreeMap<String, Figure>, String> {
    std::fs::create_dir_all(scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let counts: Vec<(CostRun, u64)> = runs
        .iter()
        .flat_map(|p| [(*p, p.small), (*p, p.large)])
        .collect();
    let results: Vec<Result<Counted, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = counts
            .iter()
            .map(|(p, n)| s.spawn(move || run_one(exe, root, scratch, p.target.name(), *n)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a callgrind run panicked".into()))
            })
            .collect()
    });
    let mut results = results.into_iter();
    let mut figures = BTreeMap::new();
    for p in runs {
        let (small, large) = (
            results.next().ok_or("missing run")??,
            results.next().ok_or("missing run")??,
        );
        let PerRequest {
            value,
            profile,
            lines,
        } = per_request(&small.callgrind, p.small, &large.callgrind, p.large)
            .ok_or("the large run must have more requests than the small one")?;
        let mut f = Figure::single(FigureKind::Instructions, "instr", value);
        f.profile = profile;
        f.lines = lines;
        figures.insert(id::instructions_per_request(p.target.name()), f);
        let allocs = match allocations_per_request(&small, p.small, &large, p.large) {
            Some(v) => Figure::single(FigureKind::Allocations, "", v),
            None => Figure::unavailable(
                FigureKind::Allocations,
                "",
                "this build's cost workload does not report its allocations",
            ),
        };
        figures.insert(id::allocs_per_request(p.target.name()), allocs);
    }
    Ok(figures)
}

/// Every figure [`measure`] gives, each unavailable for `why` (no valgrind,
/// not the cargo-ratecheck binary, a failed run): not comparable, never
/// passed silently.
pub fn unavailable_figures(why: &str) -> BTreeMap<String, Figure> {
    COST_RUNS
        .iter()
        .flat_map(|r| {
            let target = r.target.name();
            [
                (
                    id::instructions_per_request(target),
                    Figure::unavailable(FigureKind::Instructions, "instr", why),
                ),
                (
                    id::allocs_per_request(target),
                    Figure::unavailable(FigureKind::Allocations, "", why),
                ),
            ]
        })
        .collect()
}

/// One cost workload's run: its callgrind output and the allocations it
/// reported (`None` from a binary that does not report them).
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    pub callgrind: Callgrind,
    pub allocations: Option<u64>,
}

/// Allocations per request from the two runs, net of the fixed set-up as
/// instructions are: `None` unless both runs reported theirs and `large`
/// has more requests.
pub fn allocations_per_request(
    small: &Counted,
    n_small: u64,
    large: &Counted,
    n_large: u64,
) -> Option<f64> {
    let (a, b) = (small.allocations?, large.allocations?);
    (n_large > n_small).then(|| (b as f64 - a as f64) / (n_large - n_small) as f64)
}

/// The `allocations` the cost workload printed on its one line of JSON.
fn reported_allocations(stdout: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(stdout.lines().last()?).ok()?;
    v.get("allocations")?.as_u64()
}

/// One `valgrind --tool=callgrind … cost-probe` run, inlined code charged
/// to the workspace's lines ([`super::inlined`]) and its source paths made
/// relative ([`super::callgrind::source_path`]).
fn run_one(
    exe: &Path,
    root: &Path,
    scratch: &Path,
    target: &str,
    requests: u64,
) -> Result<Counted, String> {
    let file: PathBuf = scratch.join(format!("callgrind.{target}.{requests}.out"));
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        // Addresses too, so that inlined code can be charged to the line
        // of the workspace it was called from.
        .arg("--dump-instr=yes")
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(exe)
        .args(["ratecheck", "cost-probe", "--target", target, "--requests"])
        .arg(requests.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!(
            "the {target} cost probe failed under valgrind ({}): {last}",
            out.status
        ));
    }
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let _ = std::fs::remove_file(&file);
    let mut callgrind = parse_callgrind(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    super::inlined::charge_to_workspace(&mut callgrind, exe, root);
    callgrind.addresses.clear();
    callgrind.relative_to(root);
    Ok(Counted {
        callgrind,
        allocations: reported_allocations(&String::from_utf8_lossy(&out.stdout)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cg(total: u64, fns: &[(&str, u64)]) -> Callgrind {
        Callgrind {
            total,
            functions: fns.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            // Each function's cost on a line of its own.
            lines: fns
                .iter()
                .enumerate()
                .map(|(i, (_, c))| (("src/a.rs".to_string(), i as u32 + 1), *c))
                .collect(),
            addresses: BTreeMap::new(),
        }
    }

    #[test]
    fn a_targets_name_is_its_command_line_word() {
        use clap::ValueEnum;
        for t in CostTarget::value_variants() {
            let word = t.to_possible_value().unwrap();
            assert_eq!(word.get_name(), t.name());
        }
    }

    #[test]
    fn per_request_is_net_of_fixed_set_up() {
        // 5000 set-up + 30 per request, of which f 20 and g 10; h only set-up.
        let small = cg(5000 + 30 * 100, &[("f", 2000), ("g", 1000), ("h", 5000)]);
        let large = cg(5000 + 30 * 500, &[("f", 10_000), ("g", 5000), ("h", 5000)]);
        let PerRequest {
            value: v,
            profile,
            lines,
        } = per_request(&small, 100, &large, 500).unwrap();
        assert_eq!(v, 30.0);
        let names: Vec<_> = profile.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(names, ["f", "g"], "largest first; set-up only is left out");
        assert_eq!(profile[0].per_request, 20.0);
        let lines: Vec<_> = lines.iter().map(|l| (l.line, l.per_request)).collect();
        assert_eq!(lines, [(1, 20.0), (2, 10.0)], "the same, by line");
        assert!(per_request(&large, 500, &small, 100).is_none());
    }
}
