//! `cargo ratecheck history` through the binary: a throwaway git repository
//! with three committed versions of `baselines/default.json` (the second
//! saved from a dirty tree, the first on another machine), read back as
//! JSON and as the HTML page; and the bad inputs, each exit 2 with one line.

mod common;

use std::path::Path;
use std::time::Duration;

use cargo_ratecheck::baseline::store;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(30);

/// A git workspace whose `baselines/default.json` was committed three times
/// with efficiencies 0.99, 0.995, 1.0.
fn repo_with_three_versions() -> tempfile::TempDir {
    let ws = common::git_workspace("");
    let path = ws.path().join("baselines").join("default.json");
    for (i, eff) in [0.99, 0.995, 1.0].into_iter().enumerate() {
        let mut b = common::valid_baseline();
        b.suite.scenarios[0]
            .figures
            .get_mut("efficiency")
            .unwrap()
            .value = eff;
        b.git.dirty = i == 1;
        if i == 0 {
            b.machine.cpu_model = "Older CPU".into();
        }
        store::save_atomic(&path, &b).unwrap();
        common::commit_all(ws.path(), &format!("baseline {i}"));
    }
    ws
}

fn history(dir: &Path, args: &[&str]) -> common::Ran {
    let mut all = vec!["history"];
    all.extend_from_slice(args);
    let r = common::run_bin(&all, dir, LIMIT);
    assert!(!r.timed_out, "hung: {}", r.stderr);
    r
}

#[test]
fn json_and_html_of_three_committed_versions() {
    let ws = repo_with_three_versions();
    let html = ws.path().join("history.html");
    let r = history(
        ws.path(),
        &["--format", "json", "--html", html.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(out["path"], "baselines/default.json");
    let versions = out["versions"].as_array().unwrap();
    let subjects: Vec<&str> = versions
        .iter()
        .map(|v| v["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["baseline 0", "baseline 1", "baseline 2"]);
    let flags: Vec<(bool, bool)> = versions
        .iter()
        .map(|v| {
            (
                v["dirty"].as_bool().unwrap(),
                v["other_machine"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(flags, [(false, true), (true, false), (false, false)]);
    let names: Vec<String> = out["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["scenario"].as_str().unwrap(),
                s["figure"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["steady-1k/efficiency", "steady-1k/error_rate"]);
    let values: Vec<f64> = out["series"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [0.99, 0.995, 1.0]);

    let page = std::fs::read_to_string(&html).expect("the HTML was written");
    assert_eq!(page.matches("<div class=\"chart\"><svg").count(), 2);
    assert!(
        page.contains("<g class=\"pt other\"><title>"),
        "other machine point"
    );
    assert!(
        page.contains("<g class=\"pt dirty\"><title>"),
        "dirty point"
    );
    assert!(page.contains(" baseline 1\n"), "subject in a hover title");
    assert!(page.contains("steady-1k/efficiency: 99.50%\ndirty</title>"));
}

#[test]
fn figure_filter_and_human_output() {
    let ws = repo_with_three_versions();
    let r = history(ws.path(), &["--figure", "steady-1k/efficiency"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(
        r.stdout
            .starts_with("history of baselines/default.json: 3 committed versions"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("steady-1k/efficiency"), "{}", r.stdout);
    assert!(r.stdout.contains("+1.00 pts"), "{}", r.stdout);
    assert!(!r.stdout.contains("error_rate"), "{}", r.stdout);
}

#[test]
fn bad_input_exits_2_with_one_line_naming_it() {
    let ws = repo_with_three_versions();
    let r = history(ws.path(), &["--figure", "no_such_figure"]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.first_err_line()
            .starts_with("error: --figure no_such_figure: no figure of baselines/default.json"),
        "{}",
        r.stderr
    );
    let r = history(ws.path(), &["--baseline", "other"]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.first_err_line()
            .starts_with("error: baselines/other.json was never committed"),
        "{}",
        r.stderr
    );
    let plain = common::workspace("");
    let r = history(plain.path(), &[]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.first_err_line()
            .contains("is not inside a git repository"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
}
