//! `bisect --command CMD`: a team's own measurement of one commit. The
//! commit's tree is checked out outside the workspace (`build::worktree_dir`)
//! (as a build is), `sh -c CMD` runs there in a process group of its own,
//! and its exit status says what the commit is, as for `git bisect run`
//! ([`mark_of`]); the last line of its standard output may carry a
//! number to show ([`last_number`]). The tree is removed afterwards, also
//! on Ctrl-C and on the time limit, once every process of the group has
//! stopped.
//!
//! The command sees `RATECHECK_BISECT_COMMIT` (the full SHA) and
//! `RATECHECK_BISECT_REPO` (the repository's root), and `CARGO_TARGET_DIR`
//! set to the persistent `<target-dir>/ratecheck/target` unless it is set
//! already, so a `cargo build` in it builds dependencies once, not per
//! probe.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::bisect::Mark;
use super::build::{worktree_dir, RemoveOnDrop};
use crate::error::{Error, Result};
use crate::git;
use crate::process;

/// The exit status `git bisect run` reserves for "cannot test this one".
pub const SKIP_CODE: i32 = 125;

/// What the command's exit code says (`git bisect run`'s rule): 0 good,
/// 125 skip, 1..=127 otherwise bad. Anything else (above 127, or killed by
/// a signal: `None`) stops the search, as it does git's: `Err` says why.
pub fn mark_of(code: Option<i32>) -> std::result::Result<Mark, String> {
    match code {
        Some(0) => Ok(Mark::Good),
        Some(SKIP_CODE) => Ok(Mark::Skip),
        Some(1..=127) => Ok(Mark::Bad),
        Some(c) => Err(format!(
            "exit {c}: above 127 stops the search (0 good, 125 skip, 1-127 bad)"
        )),
        None => Err("killed by a signal".to_string()),
    }
}

/// The number on the last non-empty line of `stdout` (the whole line, or
/// its first word: `1234` or `1234 instructions`), if any.
pub fn last_number(stdout: &str) -> Option<f64> {
    let line = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())?;
    line.parse::<f64>()
        .ok()
        .or_else(|| line.split_whitespace().next()?.parse().ok())
        .filter(|v: &f64| v.is_finite())
}

/// The longest time limit `bisect --timeout` takes: a day.
pub const MAX_TIME_LIMIT: Duration = Duration::from_secs(86_400);

/// `bisect --timeout`, the command's time limit: more than zero, at most
/// [`MAX_TIME_LIMIT`].
pub fn parse_time_limit(s: &str) -> std::result::Result<Duration, String> {
    let d = crate::duration::parse_duration(s)?;
    if d.is_zero() || d > MAX_TIME_LIMIT {
        return Err(format!(
            "{s:?}: give a duration above 0 and at most 24h, e.g. 10m"
        ));
    }
    Ok(d)
}

/// Bytes of each output stream kept (the end of it).
const TAIL_BYTES: usize = 64 * 1024;

/// How long the command's process group may take to stop after SIGTERM
/// before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// One run of the command.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// The end of its standard output and standard error.
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Reads `pipe` to its end, keeping the last [`TAIL_BYTES`], on a thread of
/// its own; the text arrives on the returned channel.
fn tail_reader(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept: Vec<u8> = Vec::new();
        if let Some(mut p) = pipe {
            let mut buf = [0u8; 8192];
            while let Ok(n) = p.read(&mut buf) {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * TAIL_BYTES {
                    kept.drain(..kept.len() - TAIL_BYTES);
                }
            }
        }
        let from = kept.len().saturating_sub(TAIL_BYTES);
        let _ = tx.send(String::from_utf8_lossy(&kept[from..]).into_owned());
    });
    rx
}

/// Checks `commit` out and runs `sh -c cmd` in its tree, at most `limit`
/// long. `what` names the probe in errors. Ctrl-C (`cancel`) and the time
/// limit stop the whole process group (SIGTERM, then SIGKILL) and are
/// errors: interrupted (exit 130) and could not judge (exit 2).
pub async fn run_at(
    repo_dir: &Path,
    commit: &str,
    what: &str,
    cmd: &str,
    target_dir: &Path,
    limit: Duration,
    cancel: &CancellationToken,
) -> Result<CommandRun> {
    let tree = worktree_dir(target_dir, commit);
    let _ = std::fs::remove_dir_all(&tree); // a leftover of a killed run
    let guard = RemoveOnDrop(tree.clone());
    git::export_tree(repo_dir, commit, &tree)?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .current_dir(&tree)
        .env("RATECHECK_BISECT_COMMIT", commit)
        .env("RATECHECK_BISECT_REPO", repo_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        command.env(
            "CARGO_TARGET_DIR",
            target_dir.join("ratecheck").join("target"),
        );
    }
    // Its own process group: stopped as a whole, and a terminal's Ctrl-C
    // reaches it through this process only.
    let started = Instant::now();
    let process::GroupLeader { mut child, group } = process::spawn_in_group(&mut command)
        .map_err(|e| Error::new(format!("{what}: cannot start sh: {e}")))?;
    let out = tail_reader(child.stdout.take());
    let err = tail_reader(child.stderr.take());
    let mut waited = tokio::task::spawn_blocking(move || child.wait());
    let status: ExitStatus = tokio::select! {
        r = &mut waited => r
            .map_err(|e| Error::new(format!("{what}: {e}")))?
            .map_err(|e| Error::new(format!("{what}: waiting for the command: {e}")))?,
        _ = cancel.cancelled() => {
            group.stop_async(STOP_WITHIN, &mut waited).await;
            drop(guard);
            return Err(Error::Interrupted);
        }
        _ = tokio::time::sleep(limit) => {
            group.stop_async(STOP_WITHIN, &mut waited).await;
            drop(guard);
            return Err(Error::new(format!(
                "{what}: the command ran longer than {} and was stopped; raise --timeout or make it faster",
                crate::duration::format_duration(limit)
            )));
        }
    };
    // A process of the group that outlives the shell still holds the
    // pipes: it is stopped, and its output is not waited for long.
    group.kill();
    let collect = |rx: mpsc::Receiver<String>| rx.recv_timeout(STOP_WITHIN).unwrap_or_default();
    let run = CommandRun {
        code: status.code(),
        stdout: collect(out),
        stderr: collect(err),
        elapsed: started.elapsed(),
    };
    drop(guard);
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_git_bisect_run() {
        assert_eq!(mark_of(Some(0)), Ok(Mark::Good));
        assert_eq!(mark_of(Some(125)), Ok(Mark::Skip));
        for c in [1, 2, 124, 126, 127] {
            assert_eq!(mark_of(Some(c)), Ok(Mark::Bad), "{c}");
        }
        assert!(mark_of(Some(128)).unwrap_err().contains("exit 128"));
        assert!(mark_of(Some(255)).is_err());
        assert!(mark_of(Some(-1)).is_err());
        assert!(mark_of(None).unwrap_err().contains("signal"));
    }

    #[test]
    fn the_figure_is_the_number_on_the_last_line() {
        assert_eq!(last_number("building\n1234\n"), Some(1234.0));
        assert_eq!(last_number("x\n 12.5 ms \n\n"), Some(12.5));
        assert_eq!(last_number("887 instructions\n"), Some(887.0));
        assert_eq!(last_number("1234\ndone\n"), None);
        assert_eq!(last_number(""), None);
        assert_eq!(last_number("NaN\n"), None);
    }

    fn repo_with_one_commit() -> (tempfile::TempDir, String) {
        let dir = tempfile::TempDir::new().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join("value.txt"), "42\n").unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        (dir, id.to_string())
    }

    #[tokio::test]
    async fn the_command_runs_in_the_commits_tree_which_is_removed_after() {
        let (dir, sha) = repo_with_one_commit();
        let target = dir.path().join("target");
        let run = run_at(
            dir.path(),
            &sha,
            "probe",
            "cat value.txt; echo \"$RATECHECK_BISECT_COMMIT\" >&2; exit 3",
            &target,
            Duration::from_secs(30),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(run.code, Some(3));
        assert_eq!(last_number(&run.stdout), Some(42.0));
        assert_eq!(run.stderr.trim(), sha);
        assert!(!worktree_dir(&target, &sha).exists());
    }

    #[tokio::test]
    async fn a_command_over_its_time_limit_is_stopped_and_leaves_no_tree() {
        let (dir, sha) = repo_with_one_commit();
        let target = dir.path().join("target");
        let t0 = Instant::now();
        let e = run_at(
            dir.path(),
            &sha,
            "probe 3",
            "sleep 30",
            &target,
            Duration::from_millis(200),
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("probe 3: the command ran longer than"),
            "{e}"
        );
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
        assert!(!worktree_dir(&target, &sha).exists());
    }
}
