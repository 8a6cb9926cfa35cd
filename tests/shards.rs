//! Shards as separate processes (issue 27): three `run --shard i/3` against
//! one loopback server from one shared start, merged into one report; and
//! every refusal of `merge`, exit 2 with one line naming the file. Bounded:
//! 300 requests/s for 2 s, each process killed after 60 s.

mod common;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, SystemTime};

use cargo_ratecheck::shard::format_instant;
use ratecheck_engine::server::{self, ServerOptions};
use serde_json::Value;

/// How long one process may take before it is killed.
const LIMIT: Duration = Duration::from_secs(60);

fn spawn_shard(dir: &Path, url: &str, i: u64, start_at: &str) -> Child {
    let part = dir.join(format!("part-{i}.json"));
    common::command(
        &[
            "run",
            "--url",
            url,
            "--rps",
            "300",
            "--duration",
            "2s",
            "--concurrency",
            "8",
            "--no-self-test",
            "--quiet",
            "--shard",
            &format!("{i}/3"),
            "--start-at",
            start_at,
            "--json",
            part.to_str().unwrap(),
        ],
        dir,
    )
    .spawn()
    .expect("the binary under test starts")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn merge(dir: &Path, parts: &[&Path], extra: &[&str]) -> common::Ran {
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    args.extend(extra);
    common::run_bin(&args, dir, LIMIT)
}

/// `merge` refuses with exit 2 and one `error:` line naming `culprit`.
fn refused(dir: &Path, parts: &[&Path], extra: &[&str], culprit: &str, why: &str) {
    let r = merge(dir, parts, extra);
    r.assert_refused(&[culprit, why], &format!("merge {parts:?}"));
    assert_eq!(r.stderr.trim().lines().count(), 1, "one line: {r:?}");
}

/// Writes `v` as `name` in `dir`.
fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p
}

#[test]
fn three_shard_processes_merge_into_the_whole_schedule() {
    let _lock = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let rt = common::runtime();
    let srv = rt
        .block_on(server::start(ServerOptions::default()))
        .expect("embedded server starts");
    // Time for three debug binaries to start; the schedule waits for it.
    let start_at = format_instant(SystemTime::now() + Duration::from_secs(5));
    let children: Vec<Child> = (0..3)
        .map(|i| spawn_shard(dir.path(), &srv.url(), i, &start_at))
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let r = common::wait_with_deadline(c, LIMIT);
        assert_eq!(r.code, Some(0), "shard {i}: {r:?}");
    }
    rt.block_on(srv.shutdown());

    let parts: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("part-{i}.json")))
        .collect();
    let p: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let out = dir.path().join("merged.json");
    let md = dir.path().join("merged.md");
    let r = merge(
        dir.path(),
        &p,
        &[
            "--json",
            out.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.contains("Shards"), "{}", r.stdout);
    let md = std::fs::read_to_string(&md).expect("--markdown wrote the merged report");
    assert!(md.contains("### Shards"), "{md}");
    let m = json(&out);
    let sum = |key: &str| -> u64 {
        parts
            .iter()
            .map(|p| json(p)["requests"][key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(m["requests"]["expected"], 600);
    assert_eq!(sum("expected"), 600, "the stripes cover the schedule");
    for key in ["generated", "completed", "succeeded", "failed", "dropped"] {
        assert_eq!(m["requests"][key].as_u64().unwrap(), sum(key), "{key}");
    }
    // Generous: a shared, noisy machine running debug binaries.
    let e = m["efficiency"].as_f64().unwrap();
    assert!(e > 0.9, "merged efficiency {e}");
    assert_eq!(m["parts"].as_array().unwrap().len(), 3);
    assert_eq!(m["schedule"]["shards"], 3);

    // The refusals, each naming the file at fault.
    refused(
        dir.path(),
        &p[..2],
        &[],
        "shard 2 of 3 missing",
        "--allow-missing",
    );
    let r = merge(
        dir.path(),
        &p[..2],
        &["--allow-missing", "--format", "json"],
    );
    assert_eq!(r.code, Some(0), "{r:?}");
    let partial: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(partial["requests"]["expected"], 600);
    assert_eq!(partial["missing"], serde_json::json!([2]));

    let again = write(dir.path(), "again.json", &json(&parts[1]));
    refused(
        dir.path(),
        &[p[0], p[1], &again],
        &[],
        "again.json",
        "shard 1/3 again",
    );

    let mut other = json(&parts[2]);
    other["shard"]["schedule"]["rps"] = 301.0.into();
    let other = write(dir.path(), "other.json", &other);
    refused(
        dir.path(),
        &[p[0], p[1], &other],
        &[],
        "other.json",
        "different schedule",
    );

    let text = std::fs::read_to_string(&parts[2]).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    refused(
        dir.path(),
        &[p[0], p[1], &cut],
        &[],
        "cut.json",
        "corrupt or truncated",
    );

    let mut bad = json(&parts[2]);
    bad["shard"]["histograms"]["response"] = "AAAA".into();
    let bad = write(dir.path(), "bad.json", &bad);
    refused(
        dir.path(),
        &[p[0], p[1], &bad],
        &[],
        "bad.json",
        "corrupt or truncated",
    );

    let mut plain = json(&parts[2]);
    plain.as_object_mut().unwrap().remove("shard");
    let plain = write(dir.path(), "plain.json", &plain);
    refused(
        dir.path(),
        &[p[0], p[1], &plain],
        &[],
        "plain.json",
        "not a shard's report",
    );
}

#[test]
fn a_shard_without_a_start_or_an_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/", common::closed_port());
    let base = ["run", "--url", &url, "--rps", "10", "--duration", "1s"];
    let run = |extra: &[&str], env: Option<&str>| {
        let mut args = base.to_vec();
        args.extend(extra);
        let mut cmd = common::command(&args, dir.path());
        match env {
            Some(v) => cmd.env("JOB_COMPLETION_INDEX", v),
            None => cmd.env_remove("JOB_COMPLETION_INDEX"),
        };
        common::wait_with_deadline(cmd.spawn().unwrap(), LIMIT)
    };
    for (extra, env, needle) in [
        (&["--shard", "1/3"][..], None, "needs --start-at"),
        (
            &["--shard", "auto/3", "--start-at", "+1s"],
            None,
            "JOB_COMPLETION_INDEX",
        ),
        (
            &["--shard", "auto/3", "--start-at", "+1s"],
            Some("7"),
            "JOB_COMPLETION_INDEX=\"7\"",
        ),
        (&["--shard", "3/3", "--start-at", "+1s"], None, "--shard"),
        (&["--shard", "0/3", "--start-at", "noon"], None, "RFC 3339"),
    ] {
        let r = run(extra, env);
        assert_eq!(r.code, Some(2), "{extra:?}: {r:?}");
        assert!(r.stderr.contains(needle), "{extra:?}: {r:?}");
    }
}
