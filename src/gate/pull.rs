//! The pull request's part of the setup (IO, through `git/`): with
//! `--baseline-rev REV` the baseline is read at the merge base of HEAD
//! and REV (REV itself on the merge commit a pull-request check builds),
//! never silently elsewhere; whether REV's baseline has moved since;
//! what HEAD commits as the baseline (a refresh, and where it was saved);
//! and the `Ratecheck-Accept` trailers of the commits HEAD adds over the
//! merge base (of `--baseline-rev`, else of `--against`).

use std::path::{Path, PathBuf};

use super::outcome::BaseOfRev;
use crate::baseline::compare::{acceptances, Acceptance, Refresh};
use crate::baseline::model::Baseline;
use crate::baseline::store;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::figure::{MachineInfo, SuiteResult};
use crate::git::{self, short_sha, MergeBase};

/// A baseline located and parsed.
#[derive(Debug)]
pub(super) struct LoadedBaseline {
    /// Its path, or `REV:path`.
    pub origin: String,
    pub baseline: Baseline,
}

/// What [`setup`] is asked: the options of `check` it reads.
pub(super) struct PullRequest<'a> {
    /// `--baseline-rev REV`.
    pub baseline_rev: Option<&'a str>,
    /// `--against REV`.
    pub against: Option<&'a str>,
    /// The baseline file (`None` with `--no-baseline`).
    pub baseline_file: Option<PathBuf>,
    /// `--strict-machine`.
    pub strict_machine: bool,
    /// This machine.
    pub machine: &'a MachineInfo,
}

/// What the pull request brings, read before anything is measured.
#[derive(Debug, Default)]
pub(super) struct PullSetup {
    /// The baseline at the merge base (`--baseline-rev`, unless
    /// `--no-baseline`).
    pub baseline: Option<LoadedBaseline>,
    pub base_of_rev: Option<BaseOfRev>,
    /// The trailers of the commits HEAD adds over the merge base.
    pub acceptances: Vec<Acceptance>,
    /// What HEAD commits as the baseline, against the merge base's
    /// (`--baseline-rev` with a baseline only).
    pub refresh: Option<Refresh>,
    /// HEAD's committed baseline when it differs from the merge base's,
    /// and whether its wall-clock figures compare with this machine's.
    pub refreshed: Option<(SuiteResult, bool)>,
}

/// Reads what `req` needs of the pull request; an empty [`PullSetup`]
/// without `--baseline-rev` or `--against`.
pub(super) fn setup(config: &Config, req: &PullRequest<'_>) -> Result<PullSetup> {
    let (option, rev) = match (req.baseline_rev, req.against) {
        (Some(rev), _) => ("--baseline-rev", rev),
        (None, Some(rev)) => ("--against", rev),
        (None, None) => return Ok(PullSetup::default()),
    };
    let root = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
        Error::new(format!(
            "{option} {rev}: {} is not in a git repository",
            config.workspace_root.display()
        ))
    })?;
    let mb = git::merge_base(&root, option, rev)?;
    let added = git::commits_since(&root, &mb.commit)?;
    let mut out = PullSetup {
        acceptances: acceptances(&added.commits).map_err(|e| Error::new(e.to_string()))?,
        ..PullSetup::default()
    };
    let (Some(_), Some(file)) = (req.baseline_rev, &req.baseline_file) else {
        return Ok(out);
    };
    let rel = relative_to(&root, file)?;
    let [at_base, at_rev, at_head] = read_three(&root, &mb, &rel)?;
    let short = short_sha(&mb.commit);
    let Some(base_bytes) = at_base else {
        return Err(Error::new(format!(
            "{option} {rev}: {} does not exist at the merge base of HEAD and {rev} (commit {short}); commit a baseline on {rev} before the branch forks, or merge or rebase the branch onto a {rev} that has one",
            rel.display()
        )));
    };
    let origin = if mb.commit == mb.rev_commit {
        format!("{rev}:{}", rel.display())
    } else {
        format!("{short}:{}", rel.display())
    };
    out.baseline = Some(LoadedBaseline {
        baseline: store::parse(&base_bytes, &origin)?,
        origin,
    });
    out.base_of_rev = Some(BaseOfRev {
        rev: rev.to_string(),
        rev_commit: mb.rev_commit.clone(),
        merge_base: mb.commit.clone(),
        baseline_moved: at_rev.as_ref() != Some(&base_bytes),
    });
    out.refresh = Some(Refresh::Unchanged);
    if let Some(head_bytes) = at_head.filter(|b| *b != base_bytes) {
        let head = store::parse(&head_bytes, &format!("HEAD:{}", rel.display()))?;
        let saved_at = head.git.commit.clone();
        out.refresh = Some(Refresh::Changed {
            in_pull: saved_at.as_deref().is_some_and(|c| added.contains(c)),
            saved_at,
            dirty: head.git.dirty,
        });
        let comparable = head.machine.same_machine(req.machine) || req.strict_machine;
        out.refreshed = Some((head.suite, comparable));
    }
    Ok(out)
}

/// `path` relative to the repository's `root` (as it is when outside).
fn relative_to(root: &Path, path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(abs.strip_prefix(root).unwrap_or(path).to_path_buf())
}

/// The baseline file `rel` as committed at the merge base, at REV and at
/// HEAD (`None` where it does not exist).
fn read_three(root: &Path, mb: &MergeBase, rel: &Path) -> Result<[Option<Vec<u8>>; 3]> {
    let read = |rev: &str| -> Result<Option<Vec<u8>>> {
        let at = git::read_files_at_rev(root, rev, &[rel])?;
        Ok(at.files.into_iter().next().and_then(|f| f.contents))
    };
    Ok([read(&mb.commit)?, read(&mb.rev_commit)?, read("HEAD")?])
}
