//! Tests of the git ties, against throwaway repositories built with git2.

use super::*;
use git2::{Signature, Time};
use std::fs;
use tempfile::TempDir;

fn commit_all(repo: &Repository, msg: &str, secs: i64) -> Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::new("t", "t@example.com", &Time::new(secs, 0)).unwrap();
    let parents: Vec<_> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<_> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
        .unwrap()
}

fn init() -> (TempDir, Repository) {
    let dir = TempDir::new().unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(dir.path(), &opts).unwrap();
    (dir, repo)
}

#[test]
fn rfc3339() {
    assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
}

#[test]
fn outside_a_repository_is_unknown_not_an_error() {
    let dir = TempDir::new().unwrap();
    // skip if the temp dir happens to live inside some repository
    if Repository::discover(dir.path()).is_ok() {
        return;
    }
    assert_eq!(head_info(dir.path()).unwrap(), None);
    assert_eq!(repo_root(dir.path()).unwrap(), None);
    assert_eq!(relation(dir.path(), &"a".repeat(40)), Relation::UNKNOWN);
    let e = read_file_at_rev(dir.path(), "HEAD", Path::new("x")).unwrap_err();
    assert!(e.0.contains("not inside a git repository"), "{e}");
}

#[test]
fn unborn_branch() {
    let (dir, _repo) = init();
    let info = head_info(dir.path()).unwrap().unwrap();
    assert_eq!(info.commit, None);
    assert_eq!(info.branch.as_deref(), Some("main"));
    assert!(!info.dirty);
}

#[test]
fn head_info_commit_branch_time_dirty() {
    let (dir, repo) = init();
    fs::write(dir.path().join("a.txt"), "one").unwrap();
    fs::create_dir(dir.path().join("baselines")).unwrap();
    fs::write(dir.path().join("baselines/default.json"), "{}").unwrap();
    let c1 = commit_all(&repo, "first", 1_700_000_000);
    let info = head_info(dir.path()).unwrap().unwrap();
    assert_eq!(info.commit, Some(c1.to_string()));
    assert_eq!(info.branch.as_deref(), Some("main"));
    assert_eq!(info.commit_time.as_deref(), Some("2023-11-14T22:13:20Z"));
    assert!(!info.dirty);

    // untracked files do not make it dirty
    fs::write(dir.path().join("new.txt"), "x").unwrap();
    assert!(!head_info(dir.path()).unwrap().unwrap().dirty);
    // from a subdirectory too
    assert!(head_info(&dir.path().join("baselines")).unwrap().is_some());

    // a modified tracked file does
    fs::write(dir.path().join("a.txt"), "two").unwrap();
    assert!(head_info(dir.path()).unwrap().unwrap().dirty);
    fs::write(dir.path().join("a.txt"), "one").unwrap();

    // a modified baseline is dirty, unless excluded
    fs::write(dir.path().join("baselines/default.json"), "{\"x\":1}").unwrap();
    assert!(head_info(dir.path()).unwrap().unwrap().dirty);
    let ex = [PathBuf::from("baselines")];
    assert!(!head_info_excluding(dir.path(), &ex).unwrap().unwrap().dirty);
    let ex_abs = [dir.path().join("baselines")];
    assert!(
        !head_info_excluding(dir.path(), &ex_abs)
            .unwrap()
            .unwrap()
            .dirty
    );

    // detached HEAD: no branch
    repo.set_head_detached(c1).unwrap();
    assert_eq!(head_info(dir.path()).unwrap().unwrap().branch, None);
}

#[test]
fn reads_files_at_revisions() {
    let (dir, repo) = init();
    fs::create_dir(dir.path().join("baselines")).unwrap();
    let file = dir.path().join("baselines/default.json");
    fs::write(&file, "old").unwrap();
    let c1 = commit_all(&repo, "first", 1_000);
    fs::write(&file, "new").unwrap();
    commit_all(&repo, "second", 2_000);
    fs::write(&file, "working tree").unwrap();

    let rel = Path::new("baselines/default.json");
    assert_eq!(read_file_at_rev(dir.path(), "HEAD", rel).unwrap(), b"new");
    assert_eq!(read_file_at_rev(dir.path(), "HEAD~1", rel).unwrap(), b"old");
    assert_eq!(
        read_file_at_rev(dir.path(), &c1.to_string(), rel).unwrap(),
        b"old"
    );
    assert_eq!(read_file_at_rev(dir.path(), "main", &file).unwrap(), b"new");
    assert_eq!(
        resolve_rev(dir.path(), "HEAD~1").unwrap(),
        Some(c1.to_string())
    );

    let e = read_file_at_rev(dir.path(), "nope", rel).unwrap_err();
    assert!(e.0.contains("`nope`") && e.0.contains("not found"), "{e}");
    let e = read_file_at_rev(dir.path(), "HEAD", Path::new("baselines/x.json")).unwrap_err();
    assert!(
        e.0.contains("baselines/x.json") && e.0.contains("does not exist at `HEAD`"),
        "{e}"
    );
    let e = read_file_at_rev(dir.path(), "HEAD", Path::new("baselines")).unwrap_err();
    assert!(e.0.contains("not a file"), "{e}");
    let e = read_file_at_rev(dir.path(), "HEAD", Path::new("../etc/passwd")).unwrap_err();
    assert!(e.0.contains("no `..`"), "{e}");

    // several at once: one commit, missing paths are None, paths are
    // reported relative to the root
    let at = read_files_at_rev(
        dir.path(),
        "HEAD~1",
        &[&file, Path::new("nested/Cargo.toml")],
    )
    .unwrap();
    assert_eq!(at.commit, c1.to_string());
    assert_eq!(at.files.len(), 2);
    assert_eq!(at.files[0].path, rel);
    assert_eq!(at.files[0].contents.as_deref(), Some(&b"old"[..]));
    assert_eq!(at.files[1].path, Path::new("nested/Cargo.toml"));
    assert_eq!(at.files[1].contents, None);
    let e = read_files_at_rev(dir.path(), "nope", &[rel]).unwrap_err();
    assert!(e.0.contains("`nope`") && e.0.contains("not found"), "{e}");
    let e = read_files_at_rev(dir.path(), "HEAD", &[Path::new("baselines")]).unwrap_err();
    assert!(e.0.contains("not a file"), "{e}");
}

#[test]
fn relation_ancestor_and_diverged() {
    let (dir, repo) = init();
    fs::write(dir.path().join("a.txt"), "1").unwrap();
    let c1 = commit_all(&repo, "1", 1_000);
    fs::write(dir.path().join("a.txt"), "2").unwrap();
    let c2 = commit_all(&repo, "2", 2_000);
    fs::write(dir.path().join("a.txt"), "3").unwrap();
    let c3 = commit_all(&repo, "3", 3_000);

    assert_eq!(
        relation(dir.path(), &c3.to_string()),
        Relation {
            commits_between: Some(0),
            is_ancestor: true
        }
    );
    assert_eq!(
        relation(dir.path(), &c1.to_string()),
        Relation {
            commits_between: Some(2),
            is_ancestor: true
        }
    );

    // a side branch from c1: its tip is not an ancestor of HEAD (c3)
    let sig = Signature::new("t", "t@example.com", &Time::new(4_000, 0)).unwrap();
    let tree = repo.find_commit(c1).unwrap().tree().unwrap();
    let side = repo
        .commit(
            None,
            &sig,
            &sig,
            "side",
            &tree,
            &[&repo.find_commit(c1).unwrap()],
        )
        .unwrap();
    assert_eq!(
        relation(dir.path(), &side.to_string()),
        Relation {
            commits_between: Some(2),
            is_ancestor: false
        }
    );
    let _ = c2;

    // unknown or malformed commits
    assert_eq!(relation(dir.path(), &"0".repeat(40)), Relation::UNKNOWN);
    assert_eq!(relation(dir.path(), "not-a-sha"), Relation::UNKNOWN);
}

#[test]
fn warnings_about_ties() {
    let head = GitInfo {
        commit: Some("b".repeat(40)),
        ..Default::default()
    };
    let base = GitInfo {
        commit: Some("a".repeat(40)),
        dirty: true,
        ..Default::default()
    };
    let w = tie_warnings(
        &base,
        Some(&head),
        Relation {
            commits_between: Some(3),
            is_ancestor: false,
        },
    );
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("uncommitted"));
    assert!(w[1].contains("aaaaaaaaaaaa is not an ancestor"));
    let clean = GitInfo {
        dirty: false,
        ..base.clone()
    };
    assert!(tie_warnings(
        &clean,
        Some(&head),
        Relation {
            commits_between: Some(3),
            is_ancestor: true
        }
    )
    .is_empty());
    let w = tie_warnings(&clean, None, Relation::UNKNOWN);
    assert_eq!(
        w,
        vec!["not in a git repository: the current commit is unknown"]
    );
    let w = tie_warnings(&clean, Some(&head), Relation::UNKNOWN);
    assert!(w[0].contains("not in this clone"), "{w:?}");
}

#[test]
fn file_versions_follow_the_first_parent_history() {
    let (dir, repo) = init();
    let file = dir.path().join("baselines").join("b.json");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "one").unwrap();
    let first = commit_all(&repo, "first version\n\nbody", 1_700_000_000);
    fs::write(dir.path().join("other.txt"), "x").unwrap();
    commit_all(&repo, "unrelated", 1_700_000_100);
    fs::write(&file, "two").unwrap();
    let second = commit_all(&repo, "second version", 1_700_000_200);
    fs::remove_file(&file).unwrap();
    let mut index = repo.index().unwrap();
    index.remove_path(Path::new("baselines/b.json")).unwrap();
    index.write().unwrap();
    commit_all(&repo, "deleted", 1_700_000_300);
    fs::write(&file, "one").unwrap();
    let again = commit_all(&repo, "re-added", 1_700_000_400);
    // Uncommitted changes are not a version.
    fs::write(&file, "dirty").unwrap();

    let h = file_versions(dir.path(), &file).unwrap();
    assert_eq!(h.path, PathBuf::from("baselines/b.json"));
    let got: Vec<(String, &str, &str, &[u8])> = h
        .versions
        .iter()
        .map(|v| {
            (
                v.commit.clone(),
                v.subject.as_str(),
                v.date.as_str(),
                v.contents.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                first.to_string(),
                "first version",
                "2023-11-14T22:13:20Z",
                &b"one"[..]
            ),
            (
                second.to_string(),
                "second version",
                "2023-11-14T22:16:40Z",
                &b"two"[..]
            ),
            (
                again.to_string(),
                "re-added",
                "2023-11-14T22:20:00Z",
                &b"one"[..]
            ),
        ]
    );
    // A relative path names the same file; one never committed has none.
    assert_eq!(
        file_versions(dir.path(), Path::new("baselines/b.json"))
            .unwrap()
            .versions
            .len(),
        3
    );
    assert!(file_versions(dir.path(), Path::new("baselines/none.json"))
        .unwrap()
        .versions
        .is_empty());
}

#[test]
fn file_versions_name_what_is_missing() {
    let (dir, _repo) = init();
    let e = file_versions(dir.path(), Path::new("b.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("has no commit yet; commit b.json first"), "{e}");
    let outside = TempDir::new().unwrap();
    if discover(outside.path()).unwrap().is_none() {
        let e = file_versions(outside.path(), Path::new("b.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not inside a git repository"), "{e}");
    }
    let e = file_versions(dir.path(), Path::new("../b.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a path inside the git repository"), "{e}");
}

#[test]
fn file_versions_skip_what_a_merge_brought_from_its_second_parent() {
    let (dir, repo) = init();
    let file = dir.path().join("b.json");
    fs::write(&file, "main 1").unwrap();
    let base = commit_all(&repo, "main 1", 1_700_000_000);
    // A side branch changes the file twice; main merges it, taking its content.
    let sig = Signature::new("t", "t@example.com", &Time::new(1_700_000_100, 0)).unwrap();
    let blob = |s: &str| repo.blob(s.as_bytes()).unwrap();
    let tree_with = |s: &str| {
        let mut b = repo.treebuilder(None).unwrap();
        b.insert("b.json", blob(s), 0o100644).unwrap();
        repo.find_tree(b.write().unwrap()).unwrap()
    };
    let base_c = repo.find_commit(base).unwrap();
    let side1 = repo
        .commit(None, &sig, &sig, "side 1", &tree_with("side 1"), &[&base_c])
        .unwrap();
    let side1_c = repo.find_commit(side1).unwrap();
    let side2 = repo
        .commit(
            None,
            &sig,
            &sig,
            "side 2",
            &tree_with("side 2"),
            &[&side1_c],
        )
        .unwrap();
    let side2_c = repo.find_commit(side2).unwrap();
    let merge = repo
        .commit(
            Some("HEAD"),
            &sig,
            &sig,
            "merge side",
            &tree_with("side 2"),
            &[&base_c, &side2_c],
        )
        .unwrap();
    let subjects: Vec<String> = file_versions(dir.path(), Path::new("b.json"))
        .unwrap()
        .versions
        .into_iter()
        .map(|v| {
            assert!(v.commit != side1.to_string() && v.commit != side2.to_string());
            v.subject
        })
        .collect();
    assert_eq!(subjects, ["main 1", "merge side"]);
    assert_eq!(repo.head().unwrap().target(), Some(merge));
}

#[test]
fn export_tree_writes_the_revision_and_leaves_the_tree_alone() {
    let (dir, repo) = init();
    fs::create_dir_all(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/lib.rs"), "old").unwrap();
    let first = commit_all(&repo, "one", 1_000);
    fs::write(dir.path().join("src/lib.rs"), "new").unwrap();
    fs::write(dir.path().join("added.txt"), "x").unwrap();
    commit_all(&repo, "two", 2_000);
    fs::write(dir.path().join("src/lib.rs"), "dirty").unwrap();

    let out = TempDir::new().unwrap();
    let dest = out.path().join("base");
    let sha = export_tree(dir.path(), "HEAD~1", &dest).unwrap();
    assert_eq!(sha, first.to_string());
    assert_eq!(fs::read_to_string(dest.join("src/lib.rs")).unwrap(), "old");
    assert!(!dest.join("added.txt").exists());
    // HEAD, the index and the working tree are untouched.
    assert_eq!(
        fs::read_to_string(dir.path().join("src/lib.rs")).unwrap(),
        "dirty"
    );
    assert!(head_info(dir.path()).unwrap().unwrap().dirty);
    assert_eq!(
        repo.head().unwrap().peel_to_commit().unwrap().message(),
        Some("two")
    );

    let e = export_tree(dir.path(), "no-such-rev", &out.path().join("x")).unwrap_err();
    assert!(e.0.contains("`no-such-rev` not found"), "{e}");
}

#[test]
fn first_parent_range_lists_good_to_bad_oldest_first() {
    let (dir, repo) = init();
    let mut ids = Vec::new();
    for i in 0..5 {
        fs::write(dir.path().join("a.txt"), format!("{i}")).unwrap();
        ids.push(commit_all(&repo, &format!("c{i}"), 1_700_000_000 + i));
    }
    let range = first_parent_range(dir.path(), "HEAD~3", "HEAD", MAX_RANGE).unwrap();
    let subjects: Vec<&str> = range.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["c1", "c2", "c3", "c4"]);
    assert_eq!(range[0].commit, ids[1].to_string());
    assert_eq!(range[3].commit, ids[4].to_string());
    assert_eq!(range[3].date, "2023-11-14T22:13:24Z");
    let e = first_parent_range(dir.path(), "HEAD~3", "HEAD", 3).unwrap_err();
    assert!(e.0.contains("more than 3 commits apart"), "{e}");
}

#[test]
fn first_parent_range_names_what_is_wrong() {
    let (dir, repo) = init();
    for i in 0..3 {
        fs::write(dir.path().join("a.txt"), format!("{i}")).unwrap();
        commit_all(&repo, &format!("c{i}"), 1_000 + i);
    }
    let err = |good: &str, bad: &str| {
        first_parent_range(dir.path(), good, bad, MAX_RANGE)
            .unwrap_err()
            .0
    };
    let e = err("nope", "HEAD");
    assert!(e.starts_with("--good nope: git revision not found"), "{e}");
    let e = err("HEAD~1", "v9");
    assert!(e.starts_with("--bad v9: git revision not found"), "{e}");
    let e = err("HEAD", "HEAD");
    assert!(e.contains("are the same commit"), "{e}");
    let e = err("HEAD", "HEAD~2");
    assert!(e.contains("swap them"), "{e}");
    // A commit on another line of history.
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let root = head.parent(0).unwrap().parent(0).unwrap();
    let sig = Signature::new("t", "t@example.com", &Time::new(5_000, 0)).unwrap();
    let other = repo
        .commit(None, &sig, &sig, "other", &root.tree().unwrap(), &[&root])
        .unwrap();
    let e = err(&other.to_string(), "HEAD");
    assert!(e.contains("must be an ancestor of the bad one"), "{e}");
}

#[test]
fn first_parent_range_refuses_a_good_commit_on_a_merged_side_branch() {
    let (dir, repo) = init();
    fs::write(dir.path().join("a.txt"), "0").unwrap();
    let base = commit_all(&repo, "base", 1_000);
    let base_c = repo.find_commit(base).unwrap();
    let sig = Signature::new("t", "t@example.com", &Time::new(2_000, 0)).unwrap();
    let tree = base_c.tree().unwrap();
    let side = repo
        .commit(None, &sig, &sig, "side", &tree, &[&base_c])
        .unwrap();
    let side_c = repo.find_commit(side).unwrap();
    let main1 = repo
        .commit(Some("HEAD"), &sig, &sig, "main 1", &tree, &[&base_c])
        .unwrap();
    let main1_c = repo.find_commit(main1).unwrap();
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "merge",
        &tree,
        &[&main1_c, &side_c],
    )
    .unwrap();
    let e = first_parent_range(dir.path(), &side.to_string(), "HEAD", MAX_RANGE).unwrap_err();
    assert!(e.0.contains("merged side branch"), "{e}");
    // The merge itself is on the line: base, main 1, merge.
    let range = first_parent_range(dir.path(), &base.to_string(), "HEAD", MAX_RANGE).unwrap();
    let subjects: Vec<&str> = range.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["base", "main 1", "merge"]);
}

#[test]
fn merge_base_is_where_the_branch_forked_and_the_added_commits_carry_trailers() {
    let (dir, repo) = init();
    fs::write(dir.path().join("a.txt"), "one").unwrap();
    let fork = commit_all(&repo, "first", 1_000);
    // main moves on after the fork
    fs::write(dir.path().join("a.txt"), "main").unwrap();
    let main_tip = commit_all(&repo, "main moves", 2_000);
    // the branch starts at the fork
    let fork_commit = repo.find_commit(fork).unwrap();
    repo.branch("pr", &fork_commit, false).unwrap();
    repo.set_head("refs/heads/pr").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    fs::write(dir.path().join("b.txt"), "pr").unwrap();
    let c1 = commit_all(
        &repo,
        "slower\n\nRatecheck-Accept: */x +6% — on purpose\n",
        3_000,
    );
    fs::write(dir.path().join("b.txt"), "pr 2").unwrap();
    let c2 = commit_all(&repo, "no trailer", 4_000);

    let mb = merge_base(dir.path(), "--baseline-rev", "main").unwrap();
    assert_eq!(mb.rev, "main");
    assert_eq!(mb.rev_commit, main_tip.to_string());
    assert_eq!(mb.commit, fork.to_string());

    let added = commits_since(dir.path(), &mb.commit).unwrap();
    let shas: Vec<&str> = added.commits.iter().map(|c| c.commit.as_str()).collect();
    assert_eq!(shas, [c2.to_string(), c1.to_string()]);
    assert!(added.commits[0].trailers.is_empty());
    assert_eq!(
        added.commits[1].trailers,
        [(
            "Ratecheck-Accept".to_string(),
            "*/x +6% — on purpose".to_string()
        )]
    );
    assert!(added.contains(&c1.to_string()));
    assert!(added.contains(&c1.to_string()[..12]));
    assert!(!added.contains(&fork.to_string()));
    assert!(!added.contains(&main_tip.to_string()));
    assert!(
        !added.contains("abc"),
        "too short a prefix to name a commit"
    );

    // On the target itself: the merge base is HEAD, nothing added.
    let mb = merge_base(dir.path(), "--baseline-rev", "HEAD").unwrap();
    assert_eq!(mb.commit, c2.to_string());
    assert!(commits_since(dir.path(), &mb.commit)
        .unwrap()
        .commits
        .is_empty());
}

#[test]
fn merge_base_names_what_is_wrong() {
    let (dir, repo) = init();
    fs::write(dir.path().join("a.txt"), "one").unwrap();
    commit_all(&repo, "first", 1_000);
    let e = merge_base(dir.path(), "--baseline-rev", "nope").unwrap_err();
    assert!(
        e.0.starts_with("--baseline-rev nope: git revision not found"),
        "{e}"
    );

    // an unrelated history: an orphan commit
    let sig = Signature::new("t", "t@example.com", &Time::new(2_000, 0)).unwrap();
    let tree = repo
        .find_tree(repo.index().unwrap().write_tree().unwrap())
        .unwrap();
    let orphan = repo.commit(None, &sig, &sig, "orphan", &tree, &[]).unwrap();
    let e = merge_base(dir.path(), "--against", &orphan.to_string()).unwrap_err();
    assert!(
        e.0.contains("have no common ancestor") && e.0.contains("fetch-depth: 0"),
        "{e}"
    );
}
