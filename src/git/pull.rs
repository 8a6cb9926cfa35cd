//! A pull request as git sees it, for `check --baseline-rev REV` and
//! `--against REV`: the merge base of HEAD and the target revision (the
//! commit the branch forked from, or REV itself on the merge commit a
//! pull-request check builds), and the commits HEAD adds since, each with
//! its trailers as git parses them (`Key: value` lines closing the
//! message). Read from the object database; nothing is checked out.

use std::path::Path;

use git2::Oid;

use super::{commit_of, discover, short_sha, GitError};

/// The most commits [`commits_since`] reads: a pull request that adds more
/// is refused (its merge base is probably not what was meant).
pub const MAX_ADDED: usize = 10_000;

/// Where a branch forked from its target (`option REV`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeBase {
    /// The revision as given (`main`, `origin/main`).
    pub rev: String,
    /// The full SHA `rev` resolved to.
    pub rev_commit: String,
    /// The full SHA of the merge base of HEAD and `rev`.
    pub commit: String,
}

/// One commit HEAD adds over the merge base: its SHA and its trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedCommit {
    /// Full SHA.
    pub commit: String,
    /// The message's trailers in order, as (key, value).
    pub trailers: Vec<(String, String)>,
}

/// The commits HEAD adds over the merge base: their trailers, and whether
/// a commit is among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    /// Newest first (git's topological order).
    pub commits: Vec<AddedCommit>,
}

impl Added {
    /// Whether `sha` (full, or a prefix of at least 7 hex digits) is one of
    /// the added commits.
    pub fn contains(&self, sha: &str) -> bool {
        sha.len() >= 7 && self.commits.iter().any(|c| c.commit.starts_with(sha))
    }
}

/// The merge base of HEAD and `rev` (the errors name `option rev`): a
/// revision that does not exist, no HEAD, or no common ancestor (a clone
/// too shallow to hold it, or unrelated histories) are errors saying what
/// to do.
pub fn merge_base(repo_dir: &Path, option: &str, rev: &str) -> Result<MergeBase, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{option} {rev}: {} is not inside a git repository",
            repo_dir.display()
        ))
    })?;
    let head = commit_of(&repo, option, "HEAD")
        .map_err(|_| GitError(format!("{option} {rev}: the repository has no HEAD commit")))?;
    let target = commit_of(&repo, option, rev)?;
    let base = repo.merge_base(head, target).map_err(|e| {
        GitError(format!(
            "{option} {rev}: HEAD and {rev} (commit {}) have no common ancestor in this clone ({}); fetch their whole history (actions/checkout with fetch-depth: 0)",
            short_sha(&target.to_string()),
            e.message()
        ))
    })?;
    Ok(MergeBase {
        rev: rev.to_string(),
        rev_commit: target.to_string(),
        commit: base.to_string(),
    })
}

/// The commits reachable from HEAD and not from `base` (a full SHA, e.g. a
/// [`MergeBase::commit`]), newest first, merges included, each with its
/// trailers. More than [`MAX_ADDED`] is an error.
pub fn commits_since(repo_dir: &Path, base: &str) -> Result<Added, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{} is not inside a git repository",
            repo_dir.display()
        ))
    })?;
    let fail = |what: &str, e: git2::Error| {
        GitError(format!(
            "git: cannot read {what} in {}: {}",
            repo.path().display(),
            e.message()
        ))
    };
    let base_id = Oid::from_str(base).map_err(|e| fail("the merge base", e))?;
    let mut walk = repo.revwalk().map_err(|e| fail("the history", e))?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL)
        .and_then(|()| walk.push_head())
        .and_then(|()| walk.hide(base_id))
        .map_err(|e| fail("the history", e))?;
    let mut commits = Vec::new();
    for id in walk {
        let id = id.map_err(|e| fail("the history", e))?;
        if commits.len() >= MAX_ADDED {
            return Err(GitError(format!(
                "HEAD adds more than {MAX_ADDED} commits over {}; is that the branch's target?",
                short_sha(base)
            )));
        }
        let commit = repo
            .find_commit(id)
            .map_err(|e| fail(&format!("commit {id}"), e))?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        commits.push(AddedCommit {
            commit: id.to_string(),
            trailers: trailers(&message),
        });
    }
    Ok(Added { commits })
}

/// A message's trailers as git parses them (none when it has no trailer
/// block).
fn trailers(message: &str) -> Vec<(String, String)> {
    git2::message_trailers_strs(message)
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_git_s_closing_block_only() {
        let msg = "Slower answers\n\nRatecheck-Accept: in the body is not a trailer\n\nmore text\n\nRatecheck-Accept: */instructions_per_request_http +6% — parse every header\nSigned-off-by: a <a@example.invalid>\n";
        assert_eq!(
            trailers(msg),
            vec![
                (
                    "Ratecheck-Accept".to_string(),
                    "*/instructions_per_request_http +6% — parse every header".to_string()
                ),
                (
                    "Signed-off-by".to_string(),
                    "a <a@example.invalid>".to_string()
                ),
            ]
        );
        assert!(trailers("subject only").is_empty());
    }
}
