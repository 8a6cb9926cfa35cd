//! Building another revision's `cargo-ratecheck` binary: its tree checked
//! out outside the workspace ([`worktree_dir`]; git2, through
//! [`crate::git::export_tree`]), built there with `cargo build
//! --release --bin cargo-ratecheck` into the persistent
//! `<target-dir>/ratecheck/target` (so dependencies are built once, not per
//! run; `--locked` when the revision commits a `Cargo.lock`), the binary
//! copied out to `<target-dir>/ratecheck/bin/<short-sha>/` (where a later
//! run finds it and builds nothing), and the tree removed — on success,
//! failure and Ctrl-C alike (a guard).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::git;
use crate::process;

/// A revision's binary, built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRevision {
    /// The revision as given (`origin/main`, `HEAD~1`).
    pub rev: String,
    /// The full SHA it resolved to.
    pub commit: String,
    /// The `cargo-ratecheck` binary built from it.
    pub binary: PathBuf,
}

/// A directory removed when dropped (a checked-out tree).
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a revision's tree is checked out: under the system's temporary
/// directory, outside the workspace. Cargo reads `.cargo/config.toml` from
/// every directory above where it runs, so a tree checked out inside the
/// workspace would be built with the current tree's configuration (a pull
/// request's build flags) rather than its own. The name keeps trees of
/// different workspaces (`target_dir`) apart.
pub fn worktree_dir(target_dir: &Path, commit: &str) -> PathBuf {
    worktree_root().join(format!(
        "{}{}",
        worktree_prefix(target_dir),
        git::short_sha(commit)
    ))
}

/// The directory every workspace's revision trees are checked out under.
pub fn worktree_root() -> PathBuf {
    std::env::temp_dir().join("cargo-ratecheck-worktrees")
}

/// How the names of the trees of the workspace whose target directory is
/// `target_dir` begin, under [`worktree_root`].
pub fn worktree_prefix(target_dir: &Path) -> String {
    format!("{:016x}-", path_hash(target_dir))
}

/// FNV-1a of a path's bytes: a short, stable name for a workspace.
fn path_hash(path: &Path) -> u64 {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// Where a commit's built binary is kept (and found again).
pub fn binary_path(target_dir: &Path, commit: &str) -> PathBuf {
    target_dir
        .join("ratecheck")
        .join("bin")
        .join(git::short_sha(commit))
        .join(format!("cargo-ratecheck{}", std::env::consts::EXE_SUFFIX))
}

/// The lines of cargo's standard error shown when a build fails.
const STDERR_TAIL_LINES: usize = 3;

/// The last `n` non-empty lines of `text`, joined with " | " (one line).
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// The `cargo build` arguments for a tree at `dir`.
pub fn cargo_args(dir: &Path, locked: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "build",
        "--release",
        "--bin",
        "cargo-ratecheck",
        "--manifest-path",
    ]
    .map(String::from)
    .to_vec();
    args.push(dir.join("Cargo.toml").display().to_string());
    if locked {
        args.push("--locked".into());
    }
    args
}

/// The full SHA of `rev`, or an error naming it and what to do (exit 2).
pub fn resolve(repo_dir: &Path, rev: &str) -> Result<String> {
    git::resolve_rev(repo_dir, rev)
        .map_err(|e| {
            Error::new(format!(
                "--against {rev}: {e}; fetch it (e.g. `git fetch origin main`) or name an existing revision"
            ))
        })?
        .ok_or_else(|| {
            Error::new(format!(
                "--against {rev}: {} is not in a git repository",
                repo_dir.display()
            ))
        })
}

/// Checks out and builds `rev` of the repository containing `repo_dir`.
/// `cancel` (Ctrl-C) stops cargo; the checked-out tree is removed in every
/// case. A revision that does not exist or does not build is an error
/// naming it (exit 2).
pub async fn build_at(
    repo_dir: &Path,
    rev: &str,
    target_dir: &Path,
    cancel: &CancellationToken,
) -> Result<BuiltRevision> {
    let commit = resolve(repo_dir, rev)?;
    let what = format!("--against {rev}");
    let mut built = build_commit(repo_dir, &commit, &what, target_dir, cancel)
        .await?
        .map_err(|e| Error::new(format!("{what}: commit {} {e}", git::short_sha(&commit))))?;
    built.rev = rev.to_string();
    Ok(built)
}

/// How long cargo may take to stop after SIGTERM before it is killed (its
/// whole process group: every rustc and build script it started); the
/// checked-out tree is removed only once it has stopped, so nothing writes
/// into it again.
const STOP_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Checks out and builds `commit` (a full SHA) of the repository containing
/// `repo_dir`, or reuses the binary kept for it. `what` names it in
/// messages (`--against main`, `--good v1.2`). The outer error stops the
/// caller (Ctrl-C, a checkout or copy that fails); the inner one says the
/// commit `does not build (exit status: 101): ` and cargo's last lines
/// (without naming it). The checked-out tree is
/// removed in every case, after cargo has stopped.
pub async fn build_commit(
    repo_dir: &Path,
    commit: &str,
    what: &str,
    target_dir: &Path,
    cancel: &CancellationToken,
) -> Result<Result<BuiltRevision, String>> {
    let binary = binary_path(target_dir, commit);
    let done = |binary| BuiltRevision {
        rev: what.to_string(),
        commit: commit.to_string(),
        binary,
    };
    if binary.is_file() {
        // A commit's sources do not change: built once, reused.
        return Ok(Ok(done(binary)));
    }
    let tree = worktree_dir(target_dir, commit);
    let _ = std::fs::remove_dir_all(&tree); // a leftover of a killed run
    let guard = RemoveOnDrop(tree.clone());
    git::export_tree(repo_dir, commit, &tree)?;
    let locked = tree.join("Cargo.lock").is_file();
    let build_target = target_dir.join("ratecheck").join("target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(cargo_args(&tree, locked))
        .env("CARGO_TARGET_DIR", &build_target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Its own process group, so Ctrl-C can stop cargo with every rustc and
    // build script it started, and nothing outlives the build.
    let process::GroupLeader { mut child, group } = process::spawn_in_group(&mut command)
        .map_err(|e| Error::new(format!("{what}: cannot start cargo: {e}")))?;
    let mut stderr = child.stderr.take();
    let mut waited = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut text);
        }
        child.wait().map(|status| (status, text))
    });
    let (status, text) = tokio::select! {
        r = &mut waited => r
            .map_err(|e| Error::new(format!("{what}: {e}")))?
            .map_err(|e| Error::new(format!("{what}: cargo: {e}")))?,
        _ = cancel.cancelled() => {
            group.stop_async(STOP_WITHIN, &mut waited).await;
            drop(guard);
            return Err(Error::Interrupted);
        }
    };
    if !status.success() {
        return Ok(Err(format!(
            "does not build ({status}): {}",
            tail_lines(&text, STDERR_TAIL_LINES)
        )));
    }
    let built = build_target
        .join("release")
        .join(format!("cargo-ratecheck{}", std::env::consts::EXE_SUFFIX));
    copy_binary(&built, &binary).map_err(|e| Error::new(format!("{what}: {e}")))?;
    drop(guard);
    Ok(Ok(done(binary)))
}

/// Copies a binary to `to`: to a temporary name, then renamed, so a copy
/// cut short by a crash is never taken for a build.
fn copy_binary(from: &Path, to: &Path) -> std::result::Result<(), String> {
    let partial = to.with_extension("partial");
    std::fs::create_dir_all(crate::atomic_write::parent_dir(to))
        .and_then(|_| std::fs::copy(from, &partial))
        .and_then(|_| std::fs::rename(&partial, to))
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// A binary staged for one paired run: a fresh copy ([`copy_binary`]),
/// removed when this is dropped. Both sides are staged together, so they
/// are files of the same kind, age and filesystem: how a binary's file
/// was written moved its peak RSS by several percent (measured, the same
/// commit: run from where the linker wrote it, 1–4% below the base's older
/// copy in every run; a fresh copy, 1–5% above; a copy in `/tmp`, on
/// tmpfs, 10% above) and its CPU per HTTP request by about 1%.
pub struct StagedBinary {
    pub path: PathBuf,
    _dir: RemoveOnDrop,
}

/// Stages `exe` as `side` (`base`, `current`) under
/// `<target-dir>/ratecheck/bin/paired-<pid>/`.
pub fn stage(target_dir: &Path, exe: &Path, side: &str) -> Result<StagedBinary> {
    let dir = target_dir
        .join("ratecheck")
        .join("bin")
        .join(format!("paired-{}-{side}", std::process::id()));
    let guard = RemoveOnDrop(dir.clone());
    let path = dir.join(format!("cargo-ratecheck{}", std::env::consts::EXE_SUFFIX));
    copy_binary(exe, &path).map_err(|e| Error::new(format!("--against: {e}")))?;
    Ok(StagedBinary { path, _dir: guard })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_is_staged_as_a_copy_and_removed_after() {
        let target = tempfile::tempdir().unwrap();
        let exe = target.path().join("built");
        std::fs::write(&exe, b"\x7fELF not really").unwrap();
        let base = stage(target.path(), &exe, "base").unwrap();
        let current = stage(target.path(), &exe, "current").unwrap();
        assert_ne!(base.path, current.path);
        assert!(current
            .path
            .starts_with(target.path().join("ratecheck").join("bin")));
        assert_eq!(std::fs::read(&current.path).unwrap(), b"\x7fELF not really");
        let dir = current.path.parent().unwrap().to_path_buf();
        drop(current);
        assert!(!dir.exists() && base.path.is_file());
        let missing = stage(target.path(), &target.path().join("nope"), "current");
        assert!(missing.is_err_and(|e| e.to_string().starts_with("--against: cannot copy")));
    }

    #[test]
    fn a_failed_build_shows_the_last_lines_of_cargo() {
        let text = "   Compiling x v0.1.0\nerror[E0425]: cannot find value `y`\n\n  --> src/lib.rs:1:1\nerror: could not compile `x`\n";
        assert_eq!(
            tail_lines(text, 3),
            "error[E0425]: cannot find value `y` | --> src/lib.rs:1:1 | error: could not compile `x`"
        );
        assert_eq!(tail_lines("", 3), "");
    }

    #[test]
    fn cargo_is_asked_for_the_release_binary_locked_when_it_can_be() {
        let a = cargo_args(Path::new("/t/w"), true);
        assert_eq!(
            a,
            [
                "build",
                "--release",
                "--bin",
                "cargo-ratecheck",
                "--manifest-path",
                "/t/w/Cargo.toml",
                "--locked"
            ]
        );
        assert!(!cargo_args(Path::new("/t/w"), false).contains(&"--locked".to_string()));
        let tree = worktree_dir(Path::new("/t"), "0123456789abcdef0123");
        assert!(tree.starts_with(std::env::temp_dir()), "{}", tree.display());
        assert!(
            !tree.starts_with("/t"),
            "outside the workspace: {}",
            tree.display()
        );
        assert!(tree.to_string_lossy().ends_with("-0123456789ab"));
        assert_ne!(tree, worktree_dir(Path::new("/u"), "0123456789abcdef0123"));
    }

    #[tokio::test]
    async fn a_revision_that_does_not_exist_is_named_and_leaves_nothing() {
        let dir = tempfile::TempDir::new().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let target = dir.path().join("target");
        let e = build_at(dir.path(), "nope", &target, &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`nope`"), "{e}");
        assert_eq!(e.exit(), crate::error::Exit::NotJudged);
        let prefix = worktree_prefix(&target);
        let left = std::fs::read_dir(worktree_root())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .count();
        assert_eq!(left, 0, "no tree of this workspace is left");
    }
}
