//! What changed around the code between what the run is compared with and
//! this run, gathered for the report's header (IO: Cargo.lock as committed
//! at the baseline's commit, or at the paired revision, and in the working
//! tree); the differences themselves are `figure::environment`'s.

use std::path::Path;

use crate::baseline::compare::Row;
use crate::config::Config;
use crate::figure::environment::{dependency_changes, locked, machine_changes, Environment};
use crate::figure::{BuildInfo, MachineInfo};
use crate::git;

/// The machine and dependency changes known before measuring: against the
/// baseline (its machine, its commit's Cargo.lock) when there is one, else
/// against the paired revision `against` (`(rev, commit)`: the same
/// machine, its Cargo.lock).
pub(super) fn before_measuring(
    config: &Config,
    baseline: Option<(&MachineInfo, Option<&str>)>,
    against: Option<(&str, &str)>,
    this: &MachineInfo,
) -> Environment {
    let mut env = Environment::default();
    let commit = match (baseline, against) {
        (Some((machine, commit)), _) => {
            env.machine = machine_changes(machine, this);
            commit.ok_or("the baseline records no commit")
        }
        (None, Some((rev, commit))) => {
            env.rev = Some(rev.to_string());
            Ok(commit)
        }
        (None, None) => return env,
    };
    match commit
        .map_err(String::from)
        .and_then(|c| lock_changes(config, c))
    {
        Ok(changes) => env.dependencies = changes,
        Err(why) => env.dependencies_unknown = Some(why),
    }
    env
}

/// The build changes, once this run's build is known, and each function
/// named beside a row marked when its crate changed version.
pub(super) fn after_measuring(
    env: &mut Environment,
    baseline: Option<&BuildInfo>,
    current: Option<&BuildInfo>,
    rows: &mut [Row],
) {
    if let (Some(b), Some(c)) = (baseline, current) {
        env.build = c.changes(b);
    }
    for row in rows {
        env.mark_changed_crates(&mut row.functions);
    }
}

/// The packages whose versions differ between the workspace's Cargo.lock
/// as committed at `commit` and in the working tree.
fn lock_changes(
    config: &Config,
    commit: &str,
) -> Result<Vec<crate::figure::environment::Change>, String> {
    let lock = config.workspace_root.join("Cargo.lock");
    let root = git::repo_root(&config.workspace_root)
        .map_err(|e| e.to_string())?
        .ok_or("not in a git repository")?;
    let rel = relative(&root, &lock);
    let short = git::short_sha(commit);
    let then = git::read_file_at_rev(&root, commit, &rel).map_err(|e| e.to_string())?;
    let then = String::from_utf8_lossy(&then);
    let now = std::fs::read_to_string(&lock)
        .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let then = locked(&then).map_err(|e| format!("Cargo.lock at {short}: {e}"))?;
    let now = locked(&now).map_err(|e| format!("{}: {e}", lock.display()))?;
    Ok(dependency_changes(&then, &now))
}

/// `path` relative to `root` (canonical forms compared, so a symlinked
/// checkout still matches), or as it is.
fn relative(root: &Path, path: &Path) -> std::path::PathBuf {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, path) = (canon(root), canon(path));
    path.strip_prefix(&root).unwrap_or(&path).to_path_buf()
}
