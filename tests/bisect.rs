//! `cargo ratecheck bisect --command` through the binary, on throwaway git
//! repositories: a tiny crate whose printed number rises in commit 5 and
//! whose commit 6 does not build (the search names commit 5 and skips 6);
//! skipped commits next to the first bad one; Ctrl-C during a slow probe
//! (exit 130, no tree left); and the bad inputs, each exit 2 with one line
//! naming the culprit. Nothing heavier than the tiny crate is built.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(120);

/// The judging command of the tiny crate: skip when it does not build,
/// print its number, bad when the number is 150 or more.
const TINY_COMMAND: &str = r#"n=$(cargo run -q) || exit 125; echo "$n"; [ "$n" -lt 150 ]"#;

/// A tiny crate printing `100`, committed as c0, then c1..c8 each adding a
/// comment line: c5 prints `200` (the regression), c6 does not compile,
/// c7 compiles again.
fn tiny_crate_history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    let main = |body: &str, comments: usize| {
        let mut s = format!("fn main() {{ {body} }}\n");
        for i in 1..=comments {
            s.push_str(&format!("// c{i}\n"));
        }
        std::fs::write(root.join("src/main.rs"), s).unwrap();
    };
    main("println!(\"100\");", 0);
    std::fs::write(root.join(".gitignore"), "/target\n").unwrap();
    common::git(root, &["init", "-q"]);
    common::commit_all(root, "c0");
    for i in 1..=8 {
        let body = match i {
            1..=4 => "println!(\"100\");",
            6 => "this does not compile",
            _ => "println!(\"200\");",
        };
        main(body, i);
        common::commit_all(root, &format!("c{i}"));
    }
    dir
}

/// A virtual workspace in git whose `value.txt` reads each of `values` in
/// turn, one commit each (`v0`, `v1`, …).
fn value_history(values: &[&str]) -> tempfile::TempDir {
    let ws = common::git_workspace("");
    std::fs::write(ws.path().join(".gitignore"), "/target\n").unwrap();
    for (i, v) in values.iter().enumerate() {
        std::fs::write(ws.path().join("value.txt"), format!("{v}\n")).unwrap();
        std::fs::write(ws.path().join("notes.txt"), format!("commit {i}\n")).unwrap();
        common::commit_all(ws.path(), &format!("v{i}"));
    }
    ws
}

/// Judges `value.txt`: `skip` → 125, below 150 → good.
const VALUE_COMMAND: &str =
    r#"n=$(cat value.txt); [ "$n" = skip ] && exit 125; echo "$n"; [ "$n" -lt 150 ]"#;

fn bisect(dir: &Path, args: &[&str]) -> common::Ran {
    let mut all = vec!["bisect"];
    all.extend_from_slice(args);
    let r = common::run_bin(&all, dir, LIMIT);
    assert!(!r.timed_out, "hung: {}", r.stderr);
    r
}

/// The revision trees of the workspace at `dir` checked out now.
fn leftover_trees(dir: &Path) -> Vec<String> {
    common::revision_trees(dir)
}

#[test]
fn names_commit_5_of_a_tiny_crate_and_skips_the_one_that_does_not_build() {
    let repo = tiny_crate_history();
    let json = repo.path().join("bisect.json");
    let r = bisect(
        repo.path(),
        &[
            "--good",
            "HEAD~8",
            "--bad",
            "HEAD",
            "--command",
            TINY_COMMAND,
            "--figure",
            "printed",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, Some(0), "{shown}");
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["found"]["kind"], "first_bad", "{shown}");
    assert_eq!(v["found"]["commit"]["subject"], "c5", "{shown}");
    let probes: Vec<(&str, &str)> = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["subject"].as_str().unwrap(),
                p["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        probes,
        [
            ("c0", "good"),
            ("c8", "bad"),
            ("c4", "good"),
            ("c6", "skip"),
            ("c7", "bad"),
            ("c5", "bad")
        ],
        "{shown}"
    );
    assert_eq!(v["probes"][5]["value"], 200.0);
    assert_eq!(v["probes"][0]["value"], 100.0);
    assert_eq!(v["bound"], 5, "⌈log2 8⌉ + 2");
    assert_eq!(v["skipped"][0]["subject"], "c6");
    // The human report says the same on standard output.
    assert!(r.stdout.contains("first bad commit: "), "{shown}");
    assert!(r.stdout.contains("  subject:     c5\n"), "{shown}");
    assert!(r.stdout.contains("runs: 6 (at most 5"), "{shown}");
    assert!(r.stdout.contains("skipped: "), "{shown}");
    assert!(leftover_trees(repo.path()).is_empty());
}

#[test]
fn skipped_commits_next_to_the_first_bad_one_leave_a_list_and_exit_2() {
    // v0 good; v4 skipped; v5 the first bad one: "v4 or v5".
    let ws = value_history(&[
        "100", "100", "100", "100", "skip", "200", "200", "200", "200",
    ]);
    let r = bisect(
        ws.path(),
        &[
            "--good",
            "HEAD~8",
            "--bad",
            "HEAD",
            "--command",
            VALUE_COMMAND,
            "--format",
            "json",
        ],
    );
    let shown = format!("stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, Some(2), "{shown}");
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(v["found"]["kind"], "among", "{shown}");
    let among: Vec<&str> = v["found"]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(among, ["v4", "v5"]);
    assert!(
        r.stderr.contains("could not name one first bad commit"),
        "{shown}"
    );
}

#[test]
fn bad_inputs_are_one_line_and_exit_2() {
    let ws = value_history(&["100", "100", "200"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--good", "nope", "--bad", "HEAD"],
            "--good nope: git revision not found",
        ),
        (
            &["--good", "HEAD~1", "--bad", "v9"],
            "--bad v9: git revision not found",
        ),
        (&["--good", "HEAD", "--bad", "HEAD~2"], "swap them"),
        (&["--good", "HEAD", "--bad", "HEAD"], "are the same commit"),
        (
            &[
                "--good",
                "HEAD~2",
                "--bad",
                "HEAD",
                "--figure",
                "efficiency",
            ],
            "--figure efficiency: bisect measures instructions_per_request_http",
        ),
        (
            &["--good", "HEAD~2", "--bad", "HEAD", "--command", "exit 1"],
            "--good HEAD~2 (commit",
        ),
        (
            &["--good", "HEAD~2", "--bad", "HEAD", "--command", "exit 0"],
            "the command says good (exit 0)",
        ),
        (
            &["--good", "HEAD~2", "--bad", "HEAD", "--command", "exit 125"],
            "the command skipped it (exit 125)",
        ),
        (
            &["--good", "HEAD~2", "--bad", "HEAD", "--command", "exit 200"],
            "the command stopped the search: exit 200",
        ),
        (
            &[
                "--good",
                "HEAD~2",
                "--bad",
                "HEAD",
                "--command",
                "sleep 30",
                "--timeout",
                "300ms",
            ],
            "the command ran longer than 300ms",
        ),
        (
            &["--good", "HEAD~2", "--bad", "HEAD", "--command", " "],
            "--command: empty",
        ),
    ];
    for (args, want) in cases {
        let t0 = Instant::now();
        let r = bisect(ws.path(), args);
        let shown = format!(
            "{args:?}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
            r.code, r.stdout, r.stderr
        );
        assert_eq!(r.code, Some(2), "{shown}");
        let errors: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{shown}");
        assert!(errors[0].contains(want), "{shown}");
        assert!(r.stdout.trim().is_empty(), "no report: {shown}");
        assert!(t0.elapsed() < Duration::from_secs(30), "{shown}");
        assert!(leftover_trees(ws.path()).is_empty(), "{shown}");
    }
}

#[test]
fn outside_a_git_repository_is_exit_2() {
    let ws = common::workspace("");
    let r = bisect(
        ws.path(),
        &["--good", "HEAD~1", "--bad", "HEAD", "--command", "true"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.first_err_line().contains("not in a git repository"),
        "{}",
        r.stderr
    );
}

#[test]
fn sigint_during_a_slow_probe_exits_130_and_leaves_no_tree() {
    let ws = value_history(&["100", "100", "200"]);
    let marks = tempfile::tempdir().unwrap();
    let started = marks.path().join("started");
    let cmd = format!("touch '{}'; sleep 60", started.display());
    let mut child = common::command(
        &[
            "bisect",
            "--good",
            "HEAD~2",
            "--bad",
            "HEAD",
            "--command",
            &cmd,
        ],
        ws.path(),
    )
    .spawn()
    .expect("the binary under test starts");
    // The probe is running once its command has touched the file.
    let t0 = Instant::now();
    while !started.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the probe did not start"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "exited before the probe"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        leftover_trees(ws.path()).len(),
        1,
        "the probe's tree is checked out"
    );
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) has no memory-safety preconditions; `pid` is our own
    // child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let r = common::wait_with_deadline(child, Duration::from_secs(20));
    let shown = format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        r.code, r.stdout, r.stderr
    );
    assert!(!r.timed_out, "{shown}");
    assert!(sent.elapsed() < Duration::from_secs(10), "{shown}");
    assert_eq!(r.code, Some(130), "{shown}");
    assert!(r.stderr.contains("interrupted"), "{shown}");
    assert!(!r.stderr.contains("panicked"), "{shown}");
    assert!(leftover_trees(ws.path()).is_empty(), "{shown}");
}
