//! A revision's committed tree written out to a directory of its own
//! (`check --against REV` builds it there): a plain checkout of the tree
//! into `dest`, touching neither HEAD, the index nor the working tree, and
//! registering nothing in `.git` (unlike `git worktree add`), so removing
//! the directory is all the clean-up there is, even after a crash.

use std::path::Path;

use git2::build::CheckoutBuilder;

use super::{discover, GitError};

/// Writes the tree of `rev` (any revision git understands) into `dest`,
/// which must not exist yet or be empty, and returns the full SHA `rev`
/// resolved to.
pub fn export_tree(repo_dir: &Path, rev: &str, dest: &Path) -> Result<String, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{} is not inside a git repository; --against needs one",
            repo_dir.display()
        ))
    })?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            GitError(format!(
                "git revision `{rev}` not found: {}; fetch it (e.g. `git fetch origin main`) or name an existing revision",
                e.message()
            ))
        })?;
    std::fs::create_dir_all(dest).map_err(|e| {
        GitError(format!(
            "cannot create {} to check out `{rev}`: {e}",
            dest.display()
        ))
    })?;
    let mut opts = CheckoutBuilder::new();
    opts.target_dir(dest).force().update_index(false);
    repo.checkout_tree(commit.as_object(), Some(&mut opts))
        .map_err(|e| {
            GitError(format!(
                "git: cannot check out `{rev}` into {}: {}",
                dest.display(),
                e.message()
            ))
        })?;
    Ok(commit.id().to_string())
}
