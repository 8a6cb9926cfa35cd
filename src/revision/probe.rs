//! What `bisect` measures on a probe's built `cargo-ratecheck` binary
//! (without `--command`): the figures it can bisect by ([`choose`], pure)
//! and their measurement. Instruction counts are preferred: the count
//! does not depend on the machine's speed or load, so each commit is
//! measured once, alone ([`instructions`]). A time-based figure (CPU per
//! request, peak RSS) is only meaningful beside another build in the same
//! minutes, so it is measured as paired runs of the probe's binary against
//! the good revision's ([`paired`]): its value is the ratio to the good
//! revision.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use super::paired::{self, Paired};
use super::run::{paired_specs, run_paired, PairedSpec, MIN_PAIRS};
use crate::error::{Error, Result};
use crate::figure::id;
use crate::suite::instructions::{CostRun, CostTarget};
use crate::suite::{self, instructions};

/// The figure `bisect` measures when none is named: deterministic, and
/// the one the HTTP client's request path moves.
pub fn default_figure() -> String {
    id::instructions_per_request(CostTarget::Http.name())
}

/// The smallest relative difference between the good and the bad
/// revision's instruction count that is worth bisecting: fifty times the
/// spread of the count over unchanged runs (±0.01%).
pub const MIN_INSTRUCTION_CHANGE: f64 = 0.005;

/// How a figure is measured.
#[derive(Debug, Clone)]
pub enum Measure {
    /// Instructions per request under callgrind, one binary at a time.
    Instructions(CostRun),
    /// Paired child runs of the probe's binary and the good revision's,
    /// [`MIN_PAIRS`] pairs.
    Paired(Box<PairedSpec>),
}

/// A figure `bisect` can measure.
#[derive(Debug, Clone)]
pub struct BisectFigure {
    /// `scenario/figure`, as the diff table names it.
    pub name: String,
    pub unit: String,
    pub measure: Measure,
}

impl BisectFigure {
    /// Whether the figure is a ratio to the good revision (paired).
    pub fn paired(&self) -> bool {
        matches!(self.measure, Measure::Paired(_))
    }
}

/// Every figure `bisect` can measure, instruction counts first.
pub fn figures() -> Vec<BisectFigure> {
    let mut out: Vec<BisectFigure> = [CostTarget::Http, CostTarget::Null]
        .into_iter()
        .filter_map(|target| {
            let run = instructions::COST_RUNS
                .into_iter()
                .find(|p| p.target == target)?;
            Some(BisectFigure {
                name: format!(
                    "{}/{}",
                    id::scenario::INSTRUCTIONS,
                    id::instructions_per_request(target.name())
                ),
                unit: "instr".into(),
                measure: Measure::Instructions(run),
            })
        })
        .collect();
    // The quick suite's run lengths: the pairs, not the length of each
    // run, carry the precision.
    for spec in paired_specs(&suite::plan(None, true, &[])) {
        out.push(BisectFigure {
            name: format!("{}/{}", spec.scenario, spec.figure),
            unit: spec.unit.into(),
            measure: Measure::Paired(Box::new(spec)),
        });
    }
    out
}

/// The figure named `name` (`figure` or `scenario/figure`), or an error
/// listing the names there are (a figure several scenarios have, such as
/// `response_p50_ms`, by its full name).
pub fn choose(name: &str) -> std::result::Result<BisectFigure, String> {
    let all = figures();
    let short = |f: &BisectFigure| {
        f.name
            .split_once('/')
            .map_or(f.name.clone(), |x| x.1.to_string())
    };
    let found: Vec<&BisectFigure> = all
        .iter()
        .filter(|f| f.name == name || short(f) == name)
        .collect();
    match found.as_slice() {
        [f] => Ok((*f).clone()),
        [] => {
            let names: Vec<String> = all
                .iter()
                .map(|f| {
                    let unique = all.iter().filter(|g| short(g) == short(f)).count() == 1;
                    if unique {
                        short(f)
                    } else {
                        f.name.clone()
                    }
                })
                .collect();
            Err(format!(
                "--figure {name}: bisect measures {}; or give --command to measure your own",
                names.join(", ")
            ))
        }
        several => Err(format!(
            "--figure {name}: several scenarios have it; name one of {}",
            several
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Instructions per request of `exe` (callgrind, both request counts at
/// once), scratch files under `scratch` (removed after). `Err` when the
/// binary cannot be measured (e.g. a revision without the probe).
pub async fn instructions(
    exe: PathBuf,
    scratch: PathBuf,
    run: CostRun,
    cancel: &CancellationToken,
) -> Result<std::result::Result<f64, String>> {
    let name = id::instructions_per_request(run.target.name());
    let measured = tokio::task::spawn_blocking(move || {
        // Only the figure is used: where source paths are relative to does
        // not matter.
        let root = instructions::this_build_root();
        let r = instructions::measure_runs(&exe, root, &scratch, &[run]);
        let _ = std::fs::remove_dir_all(&scratch);
        r
    });
    tokio::select! {
        r = measured => {
            let r = r.map_err(|e| Error::new(format!("callgrind: {e}")))?;
            Ok(r.and_then(|figures| {
                figures
                    .get(&name)
                    .map(|f| f.value)
                    .ok_or_else(|| format!("callgrind gave no {name}"))
            }))
        }
        // The valgrind children finish their few seconds on their own (a
        // terminal's Ctrl-C reaches them too); they write no tree.
        _ = cancel.cancelled() => Err(Error::Interrupted),
    }
}

/// A probe's paired measurement against the good revision's binary.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedValue {
    /// The probe's median (the figure's unit).
    pub median: f64,
    /// Ratio to the good revision, with its interval and verdict.
    pub paired: Paired,
}

/// The paired runs of `probe` against `good` for `spec`, [`MIN_PAIRS`]
/// pairs. `Err` inside: the child runs failed, or too few usable pairs.
pub async fn paired(
    good: &Path,
    probe: &Path,
    what: &str,
    spec: &PairedSpec,
    cancel: &CancellationToken,
    on_pair: &(dyn Fn(usize) + Sync),
) -> Result<std::result::Result<PairedValue, String>> {
    let trials = match run_paired(
        good.to_path_buf(),
        probe.to_path_buf(),
        what,
        vec![spec.clone()],
        MIN_PAIRS,
        cancel,
        on_pair,
    )
    .await
    {
        Ok(t) => t,
        Err(Error::Interrupted) => return Err(Error::Interrupted),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let Some(t) = trials.into_iter().next() else {
        return Ok(Err("no paired figure".into()));
    };
    let tolerance = super::paired_tolerance(t.kind);
    Ok(match paired::judge(&t.base, &t.current, tolerance) {
        Some(p) => Ok(PairedValue {
            median: t.current_figure().value,
            paired: p,
        }),
        None => Err("fewer than 2 usable pairs".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_named_alone_or_with_their_scenario() {
        let f = choose(&default_figure()).unwrap();
        assert_eq!(f.name, "instructions/instructions_per_request_http");
        assert!(!f.paired());
        assert!(matches!(f.measure, Measure::Instructions(p) if p.target == CostTarget::Http));
        let f = choose("instructions/instructions_per_request_null").unwrap();
        assert!(matches!(f.measure, Measure::Instructions(p) if p.target == CostTarget::Null));
        let f = choose("cpu_us_per_request_http").unwrap();
        assert_eq!(f.name, "cpu/cpu_us_per_request_http");
        assert_eq!(f.unit, "us");
        assert!(f.paired());
        assert!(choose("memory/peak_rss_bytes").unwrap().paired());
    }

    #[test]
    fn an_unknown_figure_lists_the_known_ones() {
        let e = choose("efficiency").unwrap_err();
        assert!(e.starts_with("--figure efficiency: bisect measures instructions_per_request_http, instructions_per_request_null, steady-200/response_p50_ms, steady-1k/response_p50_ms, steady-10k/response_p50_ms, cpu_us_per_request_null, cpu_us_per_request_http, peak_rss_bytes"), "{e}");
        assert!(e.contains("--command"), "{e}");
        assert!(choose("cpu/instructions_per_request_http").is_err());
        // A median response time is named by its scenario.
        let e = choose("response_p50_ms").unwrap_err();
        assert!(
            e.contains("several scenarios") && e.contains("steady-1k/response_p50_ms"),
            "{e}"
        );
        let f = choose("steady-1k/response_p50_ms").unwrap();
        assert!(f.paired());
    }
}
