//! Every committed version of one file along the first-parent history of
//! HEAD, read from the object database (no checkout): what `history`
//! charts. A commit counts when its blob at the path differs from its first
//! parent's (added or changed); commits that delete the file do not.

use std::path::{Component, Path, PathBuf};

use git2::{Commit, ErrorCode, ObjectType, Oid};

use super::{discover, relative_to_root, rfc3339_utc, GitError};

/// One committed version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    /// Full SHA of the commit that wrote this version.
    pub commit: String,
    /// The commit message's first line.
    pub subject: String,
    /// Author date, RFC 3339 UTC.
    pub date: String,
    /// The file's bytes in that commit.
    pub contents: Vec<u8>,
}

/// A file's committed versions, from [`file_versions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHistory {
    /// The path relative to the repository root.
    pub path: PathBuf,
    /// Oldest first.
    pub versions: Vec<FileVersion>,
}

/// The versions of `path` (relative to the repository root, or absolute
/// inside the working tree) committed along HEAD's first-parent history,
/// oldest first; empty when the file was never committed there. Outside a
/// repository, or with no commit yet, an error naming the directory.
pub fn file_versions(repo_dir: &Path, path: &Path) -> Result<FileHistory, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{} is not inside a git repository; `history` reads the committed versions of the baseline from git",
            repo_dir.display()
        ))
    })?;
    let rel = relative_to_root(&repo, path)
        .filter(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
        .ok_or_else(|| {
            GitError(format!(
                "{} is not a path inside the git repository at {}",
                path.display(),
                repo.workdir().unwrap_or(repo.path()).display()
            ))
        })?;
    let fail = |what: String, e: git2::Error| {
        GitError(format!(
            "git: cannot read {what} in {}: {}",
            repo.path().display(),
            e.message()
        ))
    };
    let head = match repo.head() {
        Ok(h) => h.peel_to_commit().map_err(|e| fail("HEAD".into(), e))?,
        Err(e) if e.code() == ErrorCode::UnbornBranch => {
            return Err(GitError(format!(
                "the git repository at {} has no commit yet; commit {} first",
                repo.workdir().unwrap_or(repo.path()).display(),
                rel.display()
            )))
        }
        Err(e) => return Err(fail("HEAD".into(), e)),
    };
    let blob_at = |c: &Commit| -> Result<Option<Oid>, GitError> {
        let tree = c
            .tree()
            .map_err(|e| fail(format!("the tree of {}", c.id()), e))?;
        Ok(tree
            .get_path(&rel)
            .ok()
            .filter(|entry| entry.kind() == Some(ObjectType::Blob))
            .map(|entry| entry.id()))
    };

    let mut out = Vec::new();
    let mut commit = head;
    let mut here = blob_at(&commit)?;
    loop {
        let parent = match commit.parent(0) {
            Ok(p) => Some(p),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(fail(format!("the parent of {}", commit.id()), e)),
        };
        let before = parent.as_ref().map(&blob_at).transpose()?.flatten();
        if let Some(id) = here.filter(|id| Some(*id) != before) {
            let blob = repo
                .find_blob(id)
                .map_err(|e| fail(format!("{} at {}", rel.display(), commit.id()), e))?;
            out.push(FileVersion {
                commit: commit.id().to_string(),
                subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                    .into_owned(),
                date: rfc3339_utc(commit.author().when().seconds()),
                contents: blob.content().to_vec(),
            });
        }
        match parent {
            Some(p) => {
                commit = p;
                here = before;
            }
            None => break,
        }
    }
    out.reverse();
    Ok(FileHistory {
        path: rel,
        versions: out,
    })
}
