//! Building another revision's `cargo-ratecheck` binary: its tree checked
//! out to `<target-dir>/ratecheck/worktrees/<short-sha>` (git2, through
//! [`crate::baseline::git::export_tree`]), built there with `cargo build
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

use crate::baseline::git;
use crate::error::{Error, Result};

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
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a revision's tree is checked out.
pub fn worktree_dir(target_dir: &Path, commit: &str) -> PathBuf {
    target_dir
        .join("ratecheck")
        .join("worktrees")
        .join(git::short_sha(commit))
}

/// Where a commit's built binary is kept (and found again).
pub fn binary_path(target_dir: &Path, commit: &str) -> PathBuf {
    target_dir
        .join("ratecheck")
        .join("bin")
        .join(git::short_sha(commit))
        .join(format!("cargo-ratecheck{}", std::env::consts::EXE_SUFFIX))
}

/// How long cargo may take to stop after SIGTERM before it is killed.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends `signal` to the process group led by the child `pid`.
fn stop_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) takes plain integers; `pid` leads the process group
    // of a child this process spawned (`process_group(0)`) and has not yet
    // reaped, so the group id is not reused.
    #[cfg(unix)]
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
    #[cfg(not(unix))]
    let _ = (pid, signal);
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
    let binary = binary_path(target_dir, &commit);
    if binary.is_file() {
        // A commit's sources do not change: built once, reused.
        return Ok(BuiltRevision {
            rev: rev.to_string(),
            commit,
            binary,
        });
    }
    let tree = worktree_dir(target_dir, &commit);
    let _ = std::fs::remove_dir_all(&tree); // a leftover of a killed run
    let guard = RemoveOnDrop(tree.clone());
    git::export_tree(repo_dir, rev, &tree)?;
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
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| Error::new(format!("--against {rev}: cannot start cargo: {e}")))?;
    let pid = child.id();
    let mut stderr = child.stderr.take();
    let waited = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut text);
        }
        child.wait().map(|status| (status, text))
    });
    let mut waited = std::pin::pin!(waited);
    let (status, text) = tokio::select! {
        r = &mut waited => r
            .map_err(|e| Error::new(format!("--against {rev}: {e}")))?
            .map_err(|e| Error::new(format!("--against {rev}: cargo: {e}")))?,
        _ = cancel.cancelled() => {
            stop_group(pid, libc::SIGTERM);
            // cargo ends its jobs on SIGTERM; whatever is left after the
            // grace is killed, and the group is reaped before the tree goes.
            if tokio::time::timeout(STOP_GRACE, &mut waited).await.is_err() {
                stop_group(pid, libc::SIGKILL);
                let _ = waited.await;
            }
            drop(guard);
            return Err(Error::Interrupted);
        }
    };
    if !status.success() {
        return Err(Error::new(format!(
            "--against {rev}: commit {} does not build ({status}): {}",
            git::short_sha(&commit),
            tail_lines(&text, STDERR_TAIL_LINES)
        )));
    }
    let built = build_target
        .join("release")
        .join(format!("cargo-ratecheck{}", std::env::consts::EXE_SUFFIX));
    // Copied to a temporary name and renamed, so a copy cut short by a
    // crash is never taken for a build.
    let partial = binary.with_extension("partial");
    std::fs::create_dir_all(crate::atomic_write::parent_dir(&binary))?;
    std::fs::copy(&built, &partial)
        .and_then(|_| std::fs::rename(&partial, &binary))
        .map_err(|e| {
            Error::new(format!(
                "--against {rev}: cannot copy {} to {}: {e}",
                built.display(),
                binary.display()
            ))
        })?;
    drop(guard);
    Ok(BuiltRevision {
        rev: rev.to_string(),
        commit,
        binary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            worktree_dir(Path::new("/t"), "0123456789abcdef0123"),
            Path::new("/t/ratecheck/worktrees/0123456789ab")
        );
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
        assert!(!target.join("ratecheck").join("worktrees").exists());
    }
}
