//! Every git access of cargo-ratecheck, through git2 (no `git` process):
//! HEAD's commit, branch, dirty flag and commit time; files as committed at
//! a revision (`--baseline-rev`: the baseline and the manifests holding the
//! gate's configuration); how a baseline's commit relates to HEAD; every
//! committed version of a file (`history`, in `versions.rs`); a
//! revision's tree written out to a directory (`--against`, `bisect`, in
//! `export.rs`); the first-parent commits between two revisions (`bisect`,
//! in `range.rs`).
//!
//! Outside a git repository the look-ups answer "unknown" (`None`, or
//! [`Relation::UNKNOWN`]) instead of failing, so `cargo ratecheck` still runs
//! there; reading a file at a revision does need a repository and says so.

use std::path::{Component, Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, StatusOptions};

use serde::{Deserialize, Serialize};

mod export;
mod pull;
mod range;
mod versions;
pub use export::export_tree;
pub use pull::{commits_since, merge_base, Added, AddedCommit, MergeBase, MAX_ADDED};
pub use range::{first_parent_range, MAX_RANGE};
pub use versions::{file_versions, FileHistory, FileVersion};

/// Most bytes of one file [`read_files_at_rev`] reads (a baseline or a
/// manifest at `--baseline-rev`).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Where in git a measurement was taken. All `None` outside a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// Full hex SHA of HEAD.
    #[serde(default)]
    pub commit: Option<String>,
    /// Short branch name, `None` on a detached HEAD.
    #[serde(default)]
    pub branch: Option<String>,
    /// Tracked files had uncommitted changes.
    #[serde(default)]
    pub dirty: bool,
    /// Commit time, RFC 3339 UTC (`2024-05-01T12:34:56Z`).
    #[serde(default)]
    pub commit_time: Option<String>,
}

/// A commit as reports name it (`history`'s versions, `bisect`'s range).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full SHA.
    pub commit: String,
    /// First line of the message.
    pub subject: String,
    /// Author date, RFC 3339 UTC.
    pub date: String,
}

/// A git failure, as one line naming the revision, path or repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GitError(pub String);

/// The repository containing `dir`, or `None` when there is none.
fn discover(dir: &Path) -> Result<Option<Repository>, GitError> {
    match Repository::discover(dir) {
        Ok(repo) => Ok(Some(repo)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(GitError(format!(
            "cannot open the git repository containing {}: {}",
            dir.display(),
            e.message()
        ))),
    }
}

/// The working-tree root of the repository containing `dir` (`None` outside
/// a repository or in a bare one).
pub fn repo_root(dir: &Path) -> Result<Option<PathBuf>, GitError> {
    Ok(discover(dir)?.and_then(|r| r.workdir().map(Path::to_path_buf)))
}

/// HEAD of the repository containing `dir`; `Ok(None)` outside a repository.
/// `dirty` counts modified, staged, deleted or renamed tracked files;
/// untracked and ignored files do not count.
pub fn head_info(dir: &Path) -> Result<Option<GitInfo>, GitError> {
    head_info_excluding(dir, &[])
}

/// [`head_info`], but changes to tracked files under any of `exclude`
/// (paths relative to the repository root, or absolute paths inside it, e.g.
/// the baselines directory) do not make the tree dirty.
pub fn head_info_excluding(dir: &Path, exclude: &[PathBuf]) -> Result<Option<GitInfo>, GitError> {
    let Some(repo) = discover(dir)? else {
        return Ok(None);
    };
    let fail = |what: &str, e: git2::Error| {
        GitError(format!(
            "git: cannot read {what} of {}: {}",
            repo.path().display(),
            e.message()
        ))
    };

    let mut info = GitInfo::default();
    match repo.head() {
        Ok(head) => {
            if head.is_branch() {
                info.branch = head.shorthand().map(str::to_string);
            }
            let commit = head.peel_to_commit().map_err(|e| fail("HEAD", e))?;
            info.commit = Some(commit.id().to_string());
            info.commit_time = Some(rfc3339_utc(commit.time().seconds()));
        }
        // A fresh repository: HEAD names a branch with no commit yet.
        Err(e) if e.code() == ErrorCode::UnbornBranch => {
            info.branch = repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target().map(str::to_string))
                .map(|t| t.strip_prefix("refs/heads/").unwrap_or(&t).to_string());
        }
        Err(e) => return Err(fail("HEAD", e)),
    }

    if repo.workdir().is_some() {
        let excluded: Vec<PathBuf> = exclude
            .iter()
            .filter_map(|p| relative_to_root(&repo, p))
            .collect();
        let mut opts = StatusOptions::new();
        opts.include_untracked(false)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = repo
            .statuses(Some(&mut opts))
            .map_err(|e| fail("the status", e))?;
        info.dirty = statuses.iter().any(|entry| {
            let s = entry.status();
            if s.is_empty() || s.is_ignored() || s.is_wt_new() {
                return false;
            }
            let path = Path::new(entry.path().unwrap_or(""));
            !excluded.iter().any(|ex| path.starts_with(ex))
        });
    }
    Ok(Some(info))
}

/// `path` relative to the repository's working-tree root: relative paths
/// are taken as already relative; absolute ones must lie inside the root.
fn relative_to_root(repo: &Repository, path: &Path) -> Option<PathBuf> {
    if path.is_relative() {
        return Some(path.to_path_buf());
    }
    let root = repo.workdir()?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let abs = canonicalize_lenient(path);
    abs.strip_prefix(&root).ok().map(Path::to_path_buf)
}

/// Canonicalizes the longest existing ancestor of `path` and appends the
/// rest, so a file that does not exist yet still maps into the repository.
fn canonicalize_lenient(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut cur = path;
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut out = c;
            out.extend(rest.iter().rev());
            return out;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The contents of `path` as committed at `rev` (any revision git
/// understands: a branch, `origin/main`, a tag, a SHA, `HEAD~1`), read from
/// the object database without touching the working tree. `path` is
/// relative to the repository root, or absolute inside the working tree.
pub fn read_file_at_rev(repo_dir: &Path, rev: &str, path: &Path) -> Result<Vec<u8>, GitError> {
    let at = read_files_at_rev(repo_dir, rev, &[path])?;
    let short = short_sha(&at.commit);
    let Some(file) = at.files.into_iter().next() else {
        return Err(GitError(format!("git: nothing read at `{rev}`")));
    };
    file.contents.ok_or_else(|| {
        GitError(format!(
            "{} does not exist at `{rev}` (commit {short}); was it committed there?",
            file.path.display()
        ))
    })
}

/// Files read at one revision by [`read_files_at_rev`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesAtRev {
    /// The full SHA of the commit `rev` resolved to.
    pub commit: String,
    /// One per requested path, in order.
    pub files: Vec<FileAtRev>,
}

/// One file of [`FilesAtRev`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAtRev {
    /// The path relative to the repository root (for messages: `REV:path`).
    pub path: PathBuf,
    /// The committed contents; `None` when nothing exists at that path in
    /// the commit.
    pub contents: Option<Vec<u8>>,
}

/// [`read_file_at_rev`] for several paths of one commit (e.g. a workspace's
/// manifests): `rev` is resolved once, and a path that does not exist there
/// is `None` rather than an error. A revision that does not exist, a path
/// outside the repository or one that names a directory are errors.
pub fn read_files_at_rev(
    repo_dir: &Path,
    rev: &str,
    paths: &[&Path],
) -> Result<FilesAtRev, GitError> {
    let repo = discover(repo_dir)?.ok_or_else(|| {
        GitError(format!(
            "{} is not inside a git repository; --baseline-rev needs one",
            repo_dir.display()
        ))
    })?;
    let rels = paths
        .iter()
        .map(|path| {
            let rel = relative_to_root(&repo, path).ok_or_else(|| {
                GitError(format!(
                    "{} is outside the git repository at {}",
                    path.display(),
                    repo.workdir().unwrap_or(repo.path()).display()
                ))
            })?;
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(GitError(format!(
                    "{}: give a plain path inside the repository (no `..`)",
                    rel.display()
                )));
            }
            Ok(rel)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let object = repo.revparse_single(rev).map_err(|e| {
        GitError(format!(
            "git revision `{rev}` not found: {}; fetch it (e.g. `git fetch origin main`) or name an existing revision",
            e.message()
        ))
    })?;
    let commit = object.peel_to_commit().map_err(|e| {
        GitError(format!(
            "git revision `{rev}` is not a commit: {}",
            e.message()
        ))
    })?;
    let sha = commit.id().to_string();
    let short = short_sha(&sha);
    let tree = commit.tree().map_err(|e| {
        GitError(format!(
            "git: cannot read the tree of `{rev}`: {}",
            e.message()
        ))
    })?;
    let mut files = Vec::with_capacity(rels.len());
    for rel in rels {
        let Ok(entry) = tree.get_path(&rel) else {
            files.push(FileAtRev {
                path: rel,
                contents: None,
            });
            continue;
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Err(GitError(format!(
                "{} at `{rev}` (commit {short}) is not a file",
                rel.display()
            )));
        }
        let blob = repo.find_blob(entry.id()).map_err(|e| {
            GitError(format!(
                "git: cannot read {} at `{rev}`: {}",
                rel.display(),
                e.message()
            ))
        })?;
        if blob.size() as u64 > MAX_FILE_BYTES {
            return Err(GitError(format!(
                "{} at `{rev}` is {} bytes, more than the {MAX_FILE_BYTES} bytes cargo-ratecheck reads from git",
                rel.display(),
                blob.size()
            )));
        }
        files.push(FileAtRev {
            path: rel,
            contents: Some(blob.content().to_vec()),
        });
    }
    Ok(FilesAtRev { commit: sha, files })
}

/// The full SHA `rev` resolves to, `Ok(None)` outside a repository.
pub fn resolve_rev(repo_dir: &Path, rev: &str) -> Result<Option<String>, GitError> {
    let Some(repo) = discover(repo_dir)? else {
        return Ok(None);
    };
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| GitError(format!("git revision `{rev}`: {}", e.message())))?;
    Ok(Some(commit.id().to_string()))
}

/// How a baseline's commit relates to HEAD ([`relation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    /// Commits reachable from HEAD and not from the baseline's commit (0
    /// when HEAD is that commit); `None` when unknown.
    pub commits_between: Option<u64>,
    /// The baseline's commit is HEAD or an ancestor of it.
    pub is_ancestor: bool,
}

impl Relation {
    /// Nothing known: no repository, no HEAD, a commit not in this clone
    /// (e.g. a shallow one), or not a SHA.
    pub const UNKNOWN: Relation = Relation {
        commits_between: None,
        is_ancestor: false,
    };
}

/// How the baseline's commit relates to HEAD; [`Relation::UNKNOWN`] when
/// it cannot be told.
pub fn relation(repo_dir: &Path, baseline_commit: &str) -> Relation {
    let Ok(Some(repo)) = discover(repo_dir) else {
        return Relation::UNKNOWN;
    };
    let Ok(base) = Oid::from_str(baseline_commit) else {
        return Relation::UNKNOWN;
    };
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return Relation::UNKNOWN;
    };
    // The baseline's commit must exist here (a shallow clone may lack it).
    if repo.find_commit(base).is_err() {
        return Relation::UNKNOWN;
    }
    let head = head.id();
    if head == base {
        return Relation {
            commits_between: Some(0),
            is_ancestor: true,
        };
    }
    Relation {
        commits_between: repo
            .graph_ahead_behind(head, base)
            .ok()
            .map(|(ahead, _behind)| ahead as u64),
        is_ancestor: repo.graph_descendant_of(head, base).unwrap_or(false),
    }
}

/// The first 12 hex digits of a SHA, for messages.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The warnings `check` prints about the git ties: no repository, a
/// baseline saved from a dirty tree or without a commit, a baseline commit
/// that is not an ancestor of HEAD or not in this clone.
pub fn tie_warnings(baseline: &GitInfo, head: Option<&GitInfo>, relation: Relation) -> Vec<String> {
    let mut out = Vec::new();
    match head {
        None => out.push("not in a git repository: the current commit is unknown".to_string()),
        Some(h) if h.commit.is_none() => {
            out.push("the repository has no commit yet: the current commit is unknown".to_string())
        }
        Some(_) => {}
    }
    if baseline.dirty {
        out.push("the baseline was saved from a tree with uncommitted changes".to_string());
    }
    match (&baseline.commit, head.and_then(|h| h.commit.as_ref())) {
        (None, _) => out.push("the baseline names no git commit".to_string()),
        (Some(b), Some(_)) => match (relation.commits_between, relation.is_ancestor) {
            (None, false) => out.push(format!(
                "the baseline's commit {} is not in this clone (shallow clone, or from another repository?)",
                short_sha(b)
            )),
            (_, false) => out.push(format!(
                "the baseline's commit {} is not an ancestor of HEAD",
                short_sha(b)
            )),
            _ => {}
        },
        (Some(_), None) => {}
    }
    out
}

/// Seconds since the Unix epoch as RFC 3339 UTC, e.g.
/// `1970-01-01T00:00:00Z`. Days to civil date after Howard Hinnant's
/// `civil_from_days`; valid for any `i64` year range that matters.
pub fn rfc3339_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

/// Resolves `rev` to a commit, the error naming `option rev`.
pub(super) fn commit_of(repo: &Repository, option: &str, rev: &str) -> Result<Oid, GitError> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| {
            GitError(format!(
                "{option} {rev}: git revision not found: {}; fetch it (e.g. `git fetch origin main`) or name an existing revision",
                e.message()
            ))
        })
}

#[cfg(test)]
mod tests;
