//! The gate's judgement through the binary: a judged figure that the
//! baseline has and the run does not produce fails the gate (exit 1) and
//! the report names it. Runs one short scenario against the null target.

mod common;

use std::time::Duration;

/// A workspace whose only load scenario is a short run against the null
/// target, so `--scenario quick-null` runs the self-test and that alone.
fn workspace() -> tempfile::TempDir {
    common::workspace(
        "[[workspace.metadata.ratecheck.scenario]]\nname = \"quick-null\"\nrps = 200\nduration = \"500ms\"\nconcurrency = 2\ntarget = \"null\"\n",
    )
}

#[test]
fn a_judged_figure_renamed_in_the_baseline_fails_naming_it() {
    let _serial = common::serial();
    let ws = workspace();
    let mut b = serde_json::to_value(common::valid_baseline()).expect("encode");
    let scenario = &mut b["suite"]["scenarios"][0];
    scenario["name"] = "quick-null".into();
    let figures = scenario["figures"].as_object_mut().expect("figures");
    let eff = figures.remove("efficiency").expect("efficiency");
    figures.insert("efficiency_renamed".into(), eff);
    let path = ws.path().join("renamed.json");
    std::fs::write(&path, serde_json::to_vec(&b).expect("encode")).expect("write");

    let ran = common::run_bin(
        &[
            "check",
            "--baseline",
            path.to_str().expect("utf-8 path"),
            "--scenario",
            "quick-null",
            "--format",
            "json",
        ],
        ws.path(),
        Duration::from_secs(60),
    );
    assert_eq!(ran.code, Some(1), "{ran:?}");
    let out: serde_json::Value = serde_json::from_str(&ran.stdout).expect("check JSON");
    let rows = out["rows"].as_array().expect("rows");
    let row = |scenario: &str, figure: &str| {
        rows.iter()
            .find(|r| r["scenario"] == scenario && r["figure"] == figure)
            .unwrap_or_else(|| panic!("a row for {scenario} / {figure}: {rows:?}"))
    };
    let gone = row("quick-null", "efficiency_renamed");
    assert_eq!(gone["verdict"], "regressed", "{gone}");
    assert!(
        gone["note"]
            .as_str()
            .is_some_and(|n| n.contains("not measured in this run")),
        "{gone}"
    );
    // The measured figure under its new name has no baseline: a warning only.
    let new = row("quick-null", "efficiency");
    assert_eq!(new["verdict"], "ok", "{new}");
    assert_eq!(new["kind"], "efficiency", "{new}");
    assert_eq!(new["limit"], "≥ 95.00%", "{new}");
    assert_eq!(new["bound"]["rule"], "floor", "{new}");
    // A figure shown but not judged reads `info`, never `ok`.
    let info = row("quick-null", "response_p99_ms");
    assert_eq!(info["verdict"], "info", "{info}");
    assert_eq!(info["kind"], "info", "{info}");
}
