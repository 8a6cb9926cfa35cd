//! The first-parent history between two revisions, for `bisect`: the
//! commits from `--good` to `--bad` following each commit's first parent
//! (the line a branch's merges make, as `git log --first-parent` shows
//! it), oldest first, the good one included. Read from the object
//! database; nothing is checked out.

use std::path::Path;

use git2::{ErrorCode, Oid};

use super::{commit_of, discover, rfc3339_utc, short_sha, CommitInfo, GitError};

/// The most commits [`first_parent_range`] walks: a range longer than
/// this is refused (bisect it in parts).
pub const MAX_RANGE: usize = 100_000;

/// The commits from `good` to `bad` along `bad`'s first-parent history,
/// oldest first: index 0 is `good`, the last is `bad`, at least two. The
/// errors name `--good` or `--bad` and say what to do: a revision that
/// does not exist, the same commit twice, `good` not an ancestor of `bad`
/// (or one only through a merged side branch), a range longer than
/// `max_len` commits.
pub fn first_parent_range(
    repo_dir: &Path,
    good: &str,
    bad: &str,
    max_len: usize,
) -> Result<Vec<CommitInfo>, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{} is not inside a git repository; bisect walks its history",
            repo_dir.display()
        ))
    })?;
    let good_id = commit_of(&repo, "--good", good)?;
    let bad_id = commit_of(&repo, "--bad", bad)?;
    let fail = |what: String, e: git2::Error| {
        GitError(format!(
            "git: cannot read {what} in {}: {}",
            repo.path().display(),
            e.message()
        ))
    };
    let names = format!(
        "--good {good} (commit {}) and --bad {bad} (commit {})",
        short_sha(&good_id.to_string()),
        short_sha(&bad_id.to_string())
    );
    if good_id == bad_id {
        return Err(GitError(format!(
            "{names} are the same commit; give an older good revision"
        )));
    }
    let descends = |a: Oid, b: Oid| {
        repo.graph_descendant_of(a, b)
            .map_err(|e| fail(format!("the history of {a}"), e))
    };
    if !descends(bad_id, good_id)? {
        let hint = if descends(good_id, bad_id)? {
            "the good revision is the newer one: swap them"
        } else {
            "the good revision must be an ancestor of the bad one"
        };
        return Err(GitError(format!("{names}: {hint}")));
    }
    let mut out = Vec::new();
    let mut commit = repo
        .find_commit(bad_id)
        .map_err(|e| fail(format!("commit {bad_id}"), e))?;
    loop {
        if out.len() >= max_len {
            return Err(GitError(format!(
                "{names}: more than {max_len} commits apart; bisect a shorter range"
            )));
        }
        out.push(CommitInfo {
            commit: commit.id().to_string(),
            subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            date: rfc3339_utc(commit.author().when().seconds()),
        });
        if commit.id() == good_id {
            break;
        }
        commit = match commit.parent(0) {
            Ok(p) => p,
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(GitError(format!(
                    "{names}: the good revision is an ancestor of the bad one only through a merged side branch; bisect walks first-parent history: give a commit on it (e.g. the merge's first parent)"
                )))
            }
            Err(e) => return Err(fail(format!("the parent of {}", commit.id()), e)),
        };
    }
    out.reverse();
    Ok(out)
}
