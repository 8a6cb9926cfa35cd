//! The gate's setup, before anything is measured, so that bad input fails
//! in a second, not after a minute of measuring: the configuration (this
//! tree's, or the one committed at `--baseline-rev`), the baseline, the
//! revision to pair with, HEAD and how the baseline is tied to it, and
//! whether the baseline's machine is this one.

use std::path::{Path, PathBuf};

use super::environment;
use super::outcome::GateWarning;
use super::pull::{self, LoadedBaseline, PullRequest, PullSetup};
use crate::baseline::compare::ThresholdLookup;
use crate::baseline::store;
use crate::config::Config;
use crate::error::Result;
use crate::figure::environment::Environment;
use crate::figure::JudgedKind;
use crate::figure::MachineInfo;
use crate::git;
use crate::git::GitInfo;
use crate::revision;
use crate::suite::part::SuitePart;

/// What the gate is asked to judge (`check`'s options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateRequest {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `--baseline NAME|PATH`; the configured baseline when `None`.
    pub baseline: Option<String>,
    /// `--no-baseline`: floors only (and the paired figures).
    pub no_baseline: bool,
    /// `--baseline-rev REV`: the baseline file and the configuration as
    /// committed at REV.
    pub baseline_rev: Option<String>,
    /// `--against REV`: the time-based figures paired with REV's build.
    pub against: Option<String>,
    /// `--quick`.
    pub quick: bool,
    /// `--scenario PATTERN`s.
    pub scenarios: Vec<String>,
    /// `--strict-machine`: compare wall-clock figures with a baseline from
    /// another machine anyway.
    pub strict_machine: bool,
    /// `--require-judged KIND,…`: kinds that must be judged, besides the
    /// configuration's `require-judged`.
    pub require_judged: Vec<JudgedKind>,
    /// `--shard i/N`: run part `i` of the suite split in `N`.
    pub part: Option<SuitePart>,
}

/// Everything known before measuring.
pub(super) struct Setup {
    pub config: Config,
    /// The manifest the configuration came from with `--baseline-rev`.
    pub config_origin: Option<String>,
    pub baseline: Option<LoadedBaseline>,
    pub head: Option<GitInfo>,
    pub commits_between: Option<u64>,
    pub comparable_machine: bool,
    pub thresholds: ThresholdLookup,
    pub warnings: Vec<GateWarning>,
    /// What changed around the code, as far as known before measuring.
    pub environment: Environment,
    /// This machine, detected once (`rustc -V` is a process).
    pub machine: MachineInfo,
    /// The merge base, the trailers and the refreshed baseline.
    pub pull: PullSetup,
}

/// Loads and checks everything `req` names; the first bad one is the error.
pub(super) fn setup(req: &GateRequest) -> Result<Setup> {
    let mut warnings = Vec::new();
    let (config, config_origin) = load_config(req, &mut warnings)?;
    let this = MachineInfo::detect();
    let mut pull = pull::setup(
        &config,
        &PullRequest {
            baseline_rev: req.baseline_rev.as_deref(),
            against: req.against.as_deref(),
            baseline_file: if req.no_baseline {
                None
            } else {
                Some(baseline_file(&config, req.baseline.as_deref())?)
            },
            strict_machine: req.strict_machine,
            machine: &this,
        },
    )?;
    let baseline = match pull.baseline.take() {
        Some(b) => Some(b),
        None => load_baseline(&config, req)?,
    };
    let against = match &req.against {
        // Before any note: a revision that does not exist is bad input.
        Some(rev) => Some((rev, revision::build::resolve(&config.workspace_root, rev)?)),
        None => None,
    };
    let head = git::head_info_excluding(&config.workspace_root, &ignored_for_dirty(&config))?;
    let commits_between = tie(&config, baseline.as_ref(), head.as_ref(), &mut warnings);
    let comparable_machine =
        comparable_machine(baseline.as_ref(), &this, req.strict_machine, &mut warnings);
    let environment = environment::before_measuring(
        &config,
        baseline
            .as_ref()
            .map(|b| (&b.baseline.machine, b.baseline.git.commit.as_deref())),
        against.as_ref().map(|(rev, c)| (rev.as_str(), c.as_str())),
        &this,
    );
    Ok(Setup {
        environment,
        machine: this,
        thresholds: ThresholdLookup::new(config.thresholds, config.overrides()),
        config,
        config_origin,
        baseline,
        head,
        commits_between,
        comparable_machine,
        warnings,
        pull,
    })
}

/// The configuration: this tree's, or with `--baseline-rev` (else
/// `--against`) the whole one committed at REV (thresholds, trials,
/// baseline name and directory, scenarios, required kinds), so a change
/// cannot loosen the gate that judges it.
fn load_config(
    req: &GateRequest,
    warnings: &mut Vec<GateWarning>,
) -> Result<(Config, Option<String>)> {
    let manifest = req.manifest_path.as_deref();
    let Some(rev) = req.baseline_rev.as_ref().or(req.against.as_ref()) else {
        return Ok((Config::load(manifest)?, None));
    };
    let flag = match req.baseline_rev {
        Some(_) => "--baseline-rev",
        None => "--against",
    };
    let at = Config::load_at_rev_for(manifest, rev, flag)?;
    if !at.differences.is_empty() {
        warnings.push(GateWarning::ConfigAtRev {
            rev: rev.clone(),
            manifest: at.manifest.clone(),
            commit: at.commit.clone(),
            differences: at.differences.clone(),
        });
    }
    Ok((at.config, Some(at.manifest)))
}

/// Resolves `--baseline NAME|PATH` to a file path: a value ending in `.json`
/// is a path, anything else a name under the baseline directory.
pub fn baseline_file(config: &Config, arg: Option<&str>) -> Result<PathBuf> {
    match arg {
        Some(p) if p.ends_with(".json") && (p.contains('/') || p.contains('\\')) => {
            Ok(PathBuf::from(p))
        }
        Some(name) => Ok(store::baseline_path(&config.baseline_dir, name)?),
        None => Ok(store::baseline_path(
            &config.baseline_dir,
            &config.baseline,
        )?),
    }
}

/// The baseline in the working tree; `None` with `--no-baseline`, and
/// with `--baseline-rev` (read at the merge base, by [`pull::setup`]).
fn load_baseline(config: &Config, req: &GateRequest) -> Result<Option<LoadedBaseline>> {
    if req.no_baseline || req.baseline_rev.is_some() {
        return Ok(None);
    }
    let path = baseline_file(config, req.baseline.as_deref())?;
    Ok(Some(LoadedBaseline {
        origin: shown_path(&config.workspace_root, &path),
        baseline: store::load(&path)?,
    }))
}

/// `path` as a report shows it: relative to the workspace's `root` when
/// inside it (so a report says `baselines/default.json`, not where a CI
/// runner's checkout happens to be), as given when outside.
pub fn shown_path(root: &Path, path: &Path) -> String {
    let abs = if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        std::env::current_dir().ok().map(|d| d.join(path))
    };
    abs.as_deref()
        .and_then(|a| a.strip_prefix(root).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Paths that never make the tree "dirty" for the gate's purposes.
pub fn ignored_for_dirty(config: &Config) -> Vec<PathBuf> {
    vec![config.baseline_dir.clone(), config.target_dir.clone()]
}

/// How the baseline is tied to HEAD, as warnings; the commits between
/// them, when known.
fn tie(
    config: &Config,
    baseline: Option<&LoadedBaseline>,
    head: Option<&GitInfo>,
    warnings: &mut Vec<GateWarning>,
) -> Option<u64> {
    let Some(b) = baseline else {
        if head.is_none() {
            warnings.push(GateWarning::NoRepository);
        }
        return None;
    };
    let relation = match &b.baseline.git.commit {
        Some(commit) => git::relation(&config.workspace_root, commit),
        None => git::Relation::UNKNOWN,
    };
    let ties = git::tie_warnings(&b.baseline.git, head, relation);
    warnings.extend(ties.into_iter().map(GateWarning::Git));
    relation.commits_between
}

/// Whether the baseline's wall-clock figures compare with this machine's:
/// the same machine, or `strict` (`--strict-machine`); another machine is
/// warned.
fn comparable_machine(
    baseline: Option<&LoadedBaseline>,
    this: &MachineInfo,
    strict: bool,
    warnings: &mut Vec<GateWarning>,
) -> bool {
    let Some(b) = baseline else {
        return true;
    };
    let same = b.baseline.machine.same_machine(this);
    if !same {
        warnings.push(GateWarning::OtherMachine {
            baseline: b.baseline.machine.clone(),
            this: this.clone(),
            compared_anyway: strict,
        });
    }
    same || strict
}
