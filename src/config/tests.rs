//! The configuration's unit tests: parsing, validation, errors, loading.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::metadata::Sections;
use super::*;
use ratecheck_engine::load::{ServerSpec, TargetSpec};

fn err(v: Value) -> (String, String) {
    match Config::from_json(&v).unwrap_err() {
        ConfigError::Invalid { key, msg } => (key, msg),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn urls() {
    for ok in [
        "http://127.0.0.1:8080/",
        "http://localhost:3000/path?q=1",
        "http://[::1]:8080/",
        "http://127.0.0.2/",
        "http://LOCALHOST:1",
        "https://127.0.0.1/",
        "http://10.0.0.1:80/",
        // Validated, not resolved: nothing is sent.
        "https://staging.example.com/health",
    ] {
        assert!(validate_url(ok).is_ok(), "{ok}");
    }
    let e = validate_url("ftp://127.0.0.1/").unwrap_err();
    assert!(e.contains("https://"), "{e}");
    assert!(validate_url("127.0.0.1:8080").is_err());
    assert!(validate_url("http://").is_err());
    assert!(validate_url("http://127.0.0.1:0/").is_err());
    assert!(validate_url("http://user@127.0.0.1/").is_err());
    assert!(validate_url("http://127.0.0.1:99999/").is_err());
    assert!(validate_url("not a url").is_err());
}

#[test]
fn the_client_keys_are_checked() {
    let sc = |extra: Value| {
        let mut s = json!({ "name": "s", "rps": 100 });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        err(json!({ "scenario": [s] }))
    };
    let (k, m) = sc(json!({ "http2": "yes" }));
    assert_eq!(k, "scenario \"s\".http2");
    assert!(m.contains("true or false") || m.contains("bool"), "{m}");
    let (k, m) = sc(json!({ "connections": 2 }));
    assert_eq!(k, "scenario \"s\".connections");
    assert!(m.contains("HTTP/2"), "{m}");
    let (k, m) = sc(json!({ "http2": true, "concurrency": 4, "connections": 5 }));
    assert_eq!(k, "scenario \"s\".connections");
    assert!(m.contains("concurrency"), "{m}");
    let (k, _) = sc(json!({ "insecure": true, "cacert": "ca.pem" }));
    assert_eq!(k, "scenario \"s\".insecure");
    let (k, m) = sc(json!({ "target": "null", "http2": true }));
    assert_eq!(k, "scenario \"s\".http2");
    assert!(m.contains("null"), "{m}");
}

#[test]
fn a_scenario_may_load_any_https_service_over_http2() {
    let cfg = Config::from_json(&json!({ "scenario": [{
        "name": "staging", "rps": 100, "concurrency": 8,
        "target": "https://staging.example.com/health",
        "cacert": "certs/ca.pem", "http2": true, "connections": 2,
    }]}))
    .unwrap();
    let load = &cfg.scenarios.as_ref().unwrap()[0].load;
    assert_eq!(
        load.target,
        TargetSpec::Url("https://staging.example.com/health".into())
    );
    let c = &load.traffic.client;
    assert_eq!(c.cacert.as_deref(), Some(Path::new("certs/ca.pem")));
    assert!(c.http2 && !c.insecure);
    assert_eq!(c.connections, Some(2));
}

#[test]
fn absent_section_gives_defaults() {
    let c = Config::from_json(&Value::Null).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.scenarios, None);
    let c = Config::from_json(&json!({})).unwrap();
    assert_eq!(c.trials, 3);
    assert_eq!(c.baseline, "default");
    assert_eq!(c.baseline_dir, PathBuf::from("baselines"));
}

/// A section setting every key; `FULL_TOML` is the same as TOML.
fn full_section() -> Value {
    json!({
        "baseline-dir": "perf/baselines",
        "baseline": "release-1.2",
        "thresholds": { "efficiency-floor": 0.9, "cpu-tolerance": 0.2 },
        "trials": 5,
        "scenario": [
            { "name": "steady-1k", "rps": 1000, "duration": "5s", "concurrency": 50,
              "ramp-up": "1s", "ramp-down": "500ms", "target": "embedded",
              "server-latency": "1ms", "server-jitter": "2ms", "server-error-rate": 0.0,
              "thresholds": { "efficiency-floor": 0.8 }, "quick": true },
            { "name": "null-10k", "rps": 10000.5, "target": "null" },
            { "name": "ext", "rps": 0.5, "target": "http://127.0.0.1:8080/" }
        ]
    })
}

#[test]
fn full_section_parses() {
    let v = full_section();
    let c = Config::from_json(&v).unwrap();
    assert_eq!(c.baseline_dir, PathBuf::from("perf/baselines"));
    assert_eq!(c.baseline, "release-1.2");
    assert_eq!(c.thresholds.efficiency_floor, 0.9);
    assert_eq!(c.thresholds.cpu_tolerance, 0.2);
    assert_eq!(c.thresholds.memory_tolerance, 0.15);
    assert_eq!(c.trials, 5);
    let s = c.scenarios.as_ref().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].load.ramp_down, Duration::from_millis(500));
    assert_eq!(
        s[0].load.target,
        TargetSpec::Embedded(ServerSpec {
            latency: Duration::from_millis(1),
            jitter: Duration::from_millis(2),
            error_rate: 0.0
        })
    );
    assert!(s[0].quick);
    assert_eq!(s[1].load.duration, DEFAULT_DURATION);
    assert_eq!(s[1].load.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(s[1].load.target, TargetSpec::Null);
    assert!(!s[1].quick);
    assert_eq!(
        s[2].load.target,
        TargetSpec::Url("http://127.0.0.1:8080/".into())
    );
    // overrides merge over the workspace thresholds, not the defaults
    let t = c.thresholds_for("steady-1k");
    assert_eq!(t.efficiency_floor, 0.8);
    assert_eq!(t.cpu_tolerance, 0.2);
    assert_eq!(c.thresholds_for("null-10k"), c.thresholds);
    let o = c.overrides();
    assert_eq!(o.len(), 1);
    assert_eq!(o["steady-1k"].efficiency_floor, 0.8);
    let settings = c.settings_json();
    assert_eq!(settings["scenarios"][0]["duration"], "5s");
    assert_eq!(settings["thresholds"]["efficiency-floor"], 0.9);
}

#[test]
fn unknown_keys_are_named() {
    let (k, m) = err(json!({ "baseline_dir": "x" }));
    assert_eq!(k, "baseline_dir");
    assert!(
        m.contains("unknown key") && m.contains("baseline-dir"),
        "{m}"
    );
    let (k, _) = err(json!({ "thresholds": { "cpu-tolerence": 0.1 } }));
    assert_eq!(k, "thresholds.cpu-tolerence");
    let (k, _) = err(json!({ "scenario": [{ "name": "a", "rps": 1, "rate": 5 }] }));
    assert_eq!(k, "scenario[0].rate");
    let (k, _) = err(json!({ "scenario": [
        { "name": "a", "rps": 1, "thresholds": { "floor": 0.5 } }] }));
    assert_eq!(k, "scenario \"a\".thresholds.floor");
}

#[test]
fn bad_values_are_named() {
    let sc = |extra: Value| {
        let mut s = json!({ "name": "s", "rps": 100 });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        err(json!({ "scenario": [s] }))
    };
    let (k, m) = sc(json!({ "rps": -5 }));
    assert_eq!(k, "scenario \"s\".rps");
    assert!(m.contains("a finite number > 0, got -5"), "{m}");
    assert_eq!(sc(json!({ "rps": 0 })).0, "scenario \"s\".rps");
    assert_eq!(sc(json!({ "rps": 1e12 })).0, "scenario \"s\".rps");
    assert!(sc(json!({ "rps": "fast" })).1.contains("must be a number"));
    let (k, m) = sc(json!({ "concurrency": 0 }));
    assert_eq!(k, "scenario \"s\".concurrency");
    assert!(m.contains("between 1 and 10000, got 0"), "{m}");
    assert_eq!(
        sc(json!({ "concurrency": -1 })).0,
        "scenario \"s\".concurrency"
    );
    assert_eq!(
        sc(json!({ "concurrency": 2.5 })).0,
        "scenario \"s\".concurrency"
    );
    let (k, m) = sc(json!({ "duration": "5" }));
    assert_eq!(k, "scenario \"s\".duration");
    assert!(m.contains("no unit"), "{m}");
    assert!(sc(json!({ "duration": "0s" })).1.contains("longer than 0"));
    assert!(sc(json!({ "duration": 5 })).1.contains("duration string"));
    assert!(sc(json!({ "duration": "2h" })).1.contains("1h"));
    assert_eq!(sc(json!({ "ramp-up": "-1s" })).0, "scenario \"s\".ramp-up");
    assert_eq!(
        sc(json!({ "server-error-rate": 1.5 })).0,
        "scenario \"s\".server-error-rate"
    );
    let (k, m) = sc(json!({ "target": "gopher://example.com/" }));
    assert_eq!(k, "scenario \"s\".target");
    assert!(m.contains("only http:// and https://"), "{m}");
    let (k, m) = sc(json!({ "target": "null", "server-latency": "1ms" }));
    assert_eq!(k, "scenario \"s\".server-latency");
    assert!(m.contains("embedded"), "{m}");
    assert_eq!(sc(json!({ "quick": "yes" })).0, "scenario \"s\".quick");
    let (k, m) = sc(json!({ "thresholds": { "efficiency-floor": 2.0 } }));
    assert_eq!(k, "scenario \"s\".thresholds.efficiency-floor");
    assert!(m.contains("between 0 and 1"), "{m}");
    let (k, _) = sc(json!({ "thresholds": { "cpu-tolerance": "x" } }));
    assert_eq!(k, "scenario \"s\".thresholds.cpu-tolerance");

    assert_eq!(
        err(json!({ "scenario": [{ "rps": 1 }] })).0,
        "scenario[0].name"
    );
    assert_eq!(
        err(json!({ "scenario": [{ "name": "a/b", "rps": 1 }] })).0,
        "scenario[0].name"
    );
    assert_eq!(
        err(json!({ "scenario": [{ "name": "a" }] })).0,
        "scenario \"a\".rps"
    );
    let (k, m) = err(json!({ "scenario": [
        { "name": "a", "rps": 1 }, { "name": "a", "rps": 2 }] }));
    assert_eq!(k, "scenario[1].name");
    assert!(m.contains("unique"), "{m}");
    assert_eq!(err(json!({ "scenario": [] })).0, "scenario");
    assert_eq!(err(json!({ "scenario": { "name": "a" } })).0, "scenario");
    assert_eq!(err(json!({ "scenario": [5] })).0, "scenario[0]");
    assert_eq!(err(json!({ "trials": 0 })).0, "trials");
    assert_eq!(err(json!({ "trials": 1000 })).0, "trials");
    assert_eq!(err(json!({ "baseline": "../x" })).0, "baseline");
    assert_eq!(err(json!({ "baseline-dir": 3 })).0, "baseline-dir");
    assert_eq!(err(json!({ "thresholds": 0.5 })).0, "thresholds");
    assert_eq!(
        err(json!({ "thresholds": { "spread-factor": -1 } })).0,
        "thresholds.spread-factor"
    );
    assert_eq!(err(json!("text")).0, "ratecheck");
}

#[test]
fn errors_are_one_line() {
    let e = Config::from_json(&json!({ "scenario": [{ "name": "a", "rps": -1 }] }))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("scenario \"a\".rps: "), "{e}");
    assert!(!e.contains('\n'));
}

/// The section of [`full_section_parses`] as a manifest's TOML.
const FULL_TOML: &str = r#"
[workspace]
members = ["."]

[workspace.metadata.ratecheck]
baseline-dir = "perf/baselines"
baseline = "release-1.2"
thresholds = { efficiency-floor = 0.9, cpu-tolerance = 0.2 }
trials = 5

[[workspace.metadata.ratecheck.scenario]]
name = "steady-1k"
rps = 1000
duration = "5s"
concurrency = 50
ramp-up = "1s"
ramp-down = "500ms"
target = "embedded"
server-latency = "1ms"
server-jitter = "2ms"
server-error-rate = 0.0
thresholds = { efficiency-floor = 0.8 }
quick = true

[[workspace.metadata.ratecheck.scenario]]
name = "null-10k"
rps = 10000.5
target = "null"

[[workspace.metadata.ratecheck.scenario]]
name = "ext"
rps = 0.5
target = "http://127.0.0.1:8080/"

[package]
name = "demo"
version = "0.1.0"
"#;

#[test]
fn toml_and_json_sections_parse_alike() {
    let from_toml = Config::from_manifest_toml("HEAD:Cargo.toml", FULL_TOML).unwrap();
    let from_json = Config::from_json(&full_section()).unwrap();
    assert_eq!(from_toml, from_json);
    assert_eq!(from_toml.thresholds.cpu_tolerance, 0.2);
    assert_eq!(from_toml.thresholds_for("steady-1k").efficiency_floor, 0.8);
    assert_eq!(from_toml.scenarios.as_ref().map(Vec::len), Some(3));
}

#[test]
fn every_threshold_key_is_read() {
    let c = Config::from_manifest_toml(
        "Cargo.toml",
        "[workspace.metadata.ratecheck]\nthresholds = { efficiency-floor = 0.9, max-error-rate = 0.1, efficiency-drop = 0.03, cpu-tolerance = 0.4, memory-tolerance = 0.5, latency-tolerance = 0.6, instructions-tolerance = 0.07, spread-factor = 2.0 }\n",
    )
    .unwrap();
    let t = c.thresholds;
    assert_eq!(
        [
            t.efficiency_floor,
            t.max_error_rate,
            t.efficiency_drop,
            t.cpu_tolerance,
            t.memory_tolerance,
            t.latency_tolerance,
            t.instructions_tolerance,
            t.spread_factor
        ],
        [0.9, 0.1, 0.03, 0.4, 0.5, 0.6, 0.07, 2.0]
    );
}

#[test]
fn toml_package_section_and_defaults() {
    let c = Config::from_manifest_toml(
        "v1:Cargo.toml",
        "[package]\nname = \"demo\"\n[package.metadata.ratecheck]\ntrials = 7\n\
         thresholds = { cpu-tolerance = 0.1 }\n",
    )
    .unwrap();
    assert_eq!(c.trials, 7);
    assert_eq!(c.thresholds.cpu_tolerance, 0.1);
    // no section (or no metadata at all): the built-in defaults
    for text in [
        "[workspace]\nmembers = []\n",
        "[workspace.metadata.other]\nx = 1\n",
        "[package]\nname = \"demo\"\n[package.metadata]\nfoo = 1\n",
    ] {
        assert_eq!(
            Config::from_manifest_toml("HEAD:Cargo.toml", text).unwrap(),
            Config::default(),
            "{text}"
        );
    }
}

#[test]
fn toml_errors_name_the_manifest_and_the_key() {
    let e = Config::from_manifest_toml(
        "origin/main:Cargo.toml",
        "[workspace.metadata.ratecheck]\nthresholds = { cpu-tolerance = -1 }\n",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "origin/main:Cargo.toml: [workspace.metadata.ratecheck] thresholds.cpu-tolerance: \
         must be a finite number >= 0, got -1"
    );
    let e = Config::from_manifest_toml(
        "HEAD~1:Cargo.toml",
        "[package]\nname = \"d\"\n[package.metadata.ratecheck]\ncolour = \"red\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("HEAD~1:Cargo.toml: [package.metadata.ratecheck] colour: unknown key"),
        "{e}"
    );
    let e = Config::from_manifest_toml(
        "HEAD:Cargo.toml",
        "[workspace.metadata.ratecheck]\ntrials = 3\n[package.metadata.ratecheck]\ntrials = 4\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("HEAD:Cargo.toml: both [workspace.metadata.ratecheck]"),
        "{e}"
    );
    let e = Config::from_manifest_toml("HEAD:Cargo.toml", "[workspace]\nmembers = [\n\n = 1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("HEAD:Cargo.toml: not valid TOML: ") && e.ends_with("(line 4)"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    // the section itself must be a table
    let e = Config::from_manifest_toml("HEAD:Cargo.toml", "[workspace.metadata]\nratecheck = 5\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "HEAD:Cargo.toml: [workspace.metadata.ratecheck] ratecheck: must be a table, got 5"
    );
}

#[test]
fn the_section_is_chosen_among_members_as_cargo_metadata_does() {
    let member = |name: &str, trials: u64| (name.to_string(), json!({ "trials": trials }));
    let sections = |root_package: Option<Value>, members: Vec<(String, Value)>| Sections {
        root_manifest: "R:Cargo.toml".into(),
        workspace: None,
        root_package,
        members,
    };
    // the only member with a section
    let c = sections(None, vec![member("R:a/Cargo.toml", 4)])
        .parse()
        .unwrap();
    assert_eq!(c.trials, 4);
    // the root package's wins over a member's
    let c = sections(
        Some(json!({ "trials": 2 })),
        vec![member("R:a/Cargo.toml", 4)],
    )
    .parse()
    .unwrap();
    assert_eq!(c.trials, 2);
    // two members, no root package section: none is chosen
    let c = sections(
        None,
        vec![member("R:a/Cargo.toml", 4), member("R:b/Cargo.toml", 5)],
    )
    .parse()
    .unwrap();
    assert_eq!(c, Config::default());
    // errors name the member's manifest
    let e = sections(None, vec![member("R:a/Cargo.toml", 0)])
        .parse()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("R:a/Cargo.toml: [package.metadata.ratecheck] trials: "),
        "{e}"
    );
    // a workspace section and a member's: both is an error
    let mut s = sections(None, vec![member("R:a/Cargo.toml", 4)]);
    s.workspace = Some(json!({}));
    let e = s.parse().unwrap_err().to_string();
    assert!(
        e.starts_with("R:Cargo.toml: both") && e.contains("(in R:a/Cargo.toml)"),
        "{e}"
    );
}

#[test]
fn judged_differences_name_the_keys() {
    let base = Config::default();
    assert!(base.judged_differences(&base).is_empty());
    let mut other = base.clone();
    other.thresholds.cpu_tolerance = 10.0;
    other.trials = 1;
    assert_eq!(base.judged_differences(&other), ["thresholds", "trials"]);
    // local paths are not judged settings
    let mut moved = base.clone();
    moved.target_dir = PathBuf::from("/elsewhere");
    moved.workspace_root = PathBuf::from("/ws");
    assert!(base.judged_differences(&moved).is_empty());
    let c = Config::from_manifest_toml("HEAD:Cargo.toml", FULL_TOML).unwrap();
    assert_eq!(
        base.judged_differences(&c),
        [
            "baseline-dir",
            "baseline",
            "thresholds",
            "trials",
            "scenario"
        ]
    );
}

#[test]
fn load_reads_this_workspace() {
    // This crate's own manifest: whatever its section says, it must load.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let c = Config::load(Some(&manifest)).unwrap();
    assert!(c.workspace_root.join("Cargo.toml").is_file());
    assert!(c.baseline_dir.is_absolute());
    assert!(c.baseline_dir.starts_with(&c.workspace_root));
    // The package cargo-ratecheck is a member: the engine is under test.
    assert!(c.this_tool && c.engine_steps());
}

#[test]
fn engine_benches_is_a_bool_and_overrides_the_workspace_kind() {
    let c = Config::from_json(&json!({})).unwrap();
    assert_eq!(c.engine_benches, None);
    assert!(!c.this_tool && !c.engine_steps(), "not this tool: off");
    let on = Config::from_json(&json!({ "engine-benches": true })).unwrap();
    assert!(on.engine_steps());
    assert_eq!(on.settings_json()["engine-benches"], true);
    assert!(c.settings_json().get("engine-benches").is_none());
    assert_eq!(c.judged_differences(&on), ["engine-benches"]);
    let mut tool_off = Config::from_json(&json!({ "engine-benches": false })).unwrap();
    tool_off.this_tool = true;
    assert!(!tool_off.engine_steps());
    let (key, msg) = err(json!({ "engine-benches": "yes" }));
    assert_eq!(key, "engine-benches");
    assert!(msg.contains("true or false"), "{msg}");
    let c = Config::from_manifest_toml(
        "Cargo.toml",
        "[workspace.metadata.ratecheck]\nengine-benches = true\n",
    )
    .unwrap();
    assert_eq!(c.engine_benches, Some(true));
}

#[test]
fn load_reads_a_package_section_and_names_the_manifest() {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    let manifest = dir.path().join("Cargo.toml");
    let write = |section: &str| {
        std::fs::write(
            &manifest,
            format!(
                "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                 [workspace]\n\n{section}"
            ),
        )
        .unwrap();
    };
    write("[package.metadata.ratecheck]\ntrials = 7\n[[package.metadata.ratecheck.scenario]]\nname = \"x\"\nrps = 10\n");
    let c = Config::load(Some(&manifest)).unwrap();
    assert!(!c.this_tool, "the package demo is not cargo-ratecheck");
    assert_eq!(c.trials, 7);
    assert_eq!(c.scenarios.unwrap()[0].name, "x");
    assert_eq!(c.baseline_dir, c.workspace_root.join("baselines"));

    write("[workspace.metadata.ratecheck]\ntrials = 0\n");
    let e = Config::load(Some(&manifest)).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ConfigError::InManifest { .. }), "{msg}");
    assert!(
        msg.contains("Cargo.toml: [workspace.metadata.ratecheck] trials: "),
        "{msg}"
    );

    let e = Config::load(Some(&dir.path().join("nope/Cargo.toml"))).unwrap_err();
    assert!(e.to_string().contains("does not name an existing"), "{e}");

    std::fs::write(&manifest, "[package\nname=").unwrap();
    let e = Config::load(Some(&manifest)).unwrap_err().to_string();
    assert!(
        e.contains("cargo metadata failed") && !e.contains('\n'),
        "{e}"
    );
}

// --- Services (`[[…ratecheck.service]]`, `target = "service:NAME"`) ---

/// A section with one service `api` and `scenario`.
fn with_service(service: Value, scenario: Value) -> Value {
    json!({ "service": [service], "scenario": [scenario] })
}

fn api() -> Value {
    json!({ "name": "api", "command": ["target/release/api", "--port", "{port}"] })
}

#[test]
fn a_service_parses_with_defaults_and_every_key() {
    use crate::service::{Ready, Stop, StopSignal};
    let c = Config::from_json(&with_service(
        api(),
        json!({ "name": "s", "rps": 100, "target": "service:api" }),
    ))
    .unwrap();
    let s = &c.services[0];
    assert_eq!(s.name, "api");
    assert_eq!(s.command, ["target/release/api", "--port", "{port}"]);
    assert!(s.env.is_empty() && s.cwd.is_none());
    assert_eq!(s.ready, Ready::default());
    assert_eq!(s.ready.path, "/");
    assert_eq!(s.ready.timeout, Duration::from_secs(60));
    assert_eq!(s.stop, Stop::default());
    assert_eq!(s.stop.signal, StopSignal::Term);
    let scenarios = c.scenarios.unwrap();
    assert_eq!(
        scenarios[0].load.target,
        TargetSpec::Service {
            name: "api".into(),
            path: "/".into()
        }
    );
    assert_eq!(scenarios[0].load.target.to_string(), "service:api");

    let full = json!({
        "name": "py", "command": ["python3", "-m", "http.server", "{port}"],
        "env": { "RUST_LOG": "warn", "PORT": "{port}" }, "cwd": "services/py",
        "ready": { "path": "/health?deep=1", "status": 204, "timeout": "2s" },
        "stop": { "signal": "SIGINT", "grace": "0s" }
    });
    let c = Config::from_json(&with_service(
        full,
        json!({ "name": "s", "rps": 100, "target": "service:py/api/items?x=1" }),
    ))
    .unwrap();
    let s = &c.services[0];
    assert_eq!(s.env["RUST_LOG"], "warn");
    assert_eq!(s.cwd, Some(PathBuf::from("services/py")));
    assert_eq!(
        (s.ready.path.as_str(), s.ready.status, s.ready.timeout),
        ("/health?deep=1", 204, Duration::from_secs(2))
    );
    assert_eq!(
        (s.stop.signal, s.stop.grace),
        (StopSignal::Int, Duration::ZERO)
    );
    let target = &c.scenarios.as_ref().unwrap()[0].load.target;
    assert_eq!(target.to_string(), "service:py/api/items?x=1");
    assert_eq!(c.settings_json()["services"][0]["stop"]["signal"], "INT");
}

/// A section with the one service table `service`: the error's key and
/// message.
fn bad_service(service: Value) -> (String, String) {
    err(json!({ "service": [service] }))
}

/// The error of `api()` with `k` set to `v`.
fn api_with(k: &str, v: Value) -> (String, String) {
    let mut s = api();
    s[k] = v;
    bad_service(s)
}

/// Each error names the key and says what is wrong, on one line.
fn assert_named(cases: Vec<((String, String), &str, &str)>) {
    for ((key, msg), want_key, want_msg) in cases {
        assert_eq!(key, want_key, "{msg}");
        assert!(msg.contains(want_msg), "{key}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}

#[test]
fn bad_service_names_and_commands_are_named() {
    assert_named(vec![
        (
            bad_service(json!({ "command": ["x"] })),
            "service[0].name",
            "required",
        ),
        (
            bad_service(json!({ "name": "a b", "command": ["x"] })),
            "service[0].name",
            "letters",
        ),
        (
            bad_service(json!({ "name": "api" })),
            "service \"api\".command",
            "required",
        ),
        (
            api_with("command", json!("api --port {port}")),
            "service \"api\".command",
            "array of strings",
        ),
        (
            api_with("command", json!([])),
            "service \"api\".command",
            "at least the program",
        ),
        (
            api_with("command", json!(["", "{port}"])),
            "service \"api\".command[0]",
            "must not be empty",
        ),
        (
            api_with("command", json!(["api", 8080])),
            "service \"api\".command[1]",
            "must be a string",
        ),
        (
            api_with("command", json!(["api", "--port", "8080"])),
            "service \"api\".command",
            "never mentions {port}",
        ),
    ]);
}

#[test]
fn bad_service_env_cwd_and_ready_are_named() {
    assert_named(vec![
        (
            api_with("env", json!({ "N": 1 })),
            "service \"api\".env.N",
            "must be a string",
        ),
        (
            api_with("env", json!("N=1")),
            "service \"api\".env",
            "must be a table",
        ),
        (
            api_with("cwd", json!("")),
            "service \"api\".cwd",
            "must not be empty",
        ),
        (
            api_with("ready", json!({ "path": "health" })),
            "service \"api\".ready.path",
            "starting with '/'",
        ),
        (
            api_with("ready", json!({ "path": "http://example.com/health" })),
            "service \"api\".ready.path",
            "is a URL",
        ),
        (
            api_with("ready", json!({ "status": 700 })),
            "service \"api\".ready.status",
            "100 to 599",
        ),
        (
            api_with("ready", json!({ "timeout": "0s" })),
            "service \"api\".ready.timeout",
            "longer than 0",
        ),
        (
            api_with("ready", json!({ "timeout": 5 })),
            "service \"api\".ready.timeout",
            "duration string",
        ),
    ]);
}

#[test]
fn bad_service_stops_and_tables_are_named() {
    assert_named(vec![
        (
            api_with("ready", json!({ "url": "/" })),
            "service \"api\".ready.url",
            "unknown key",
        ),
        (
            api_with("stop", json!({ "signal": "STOP" })),
            "service \"api\".stop.signal",
            "\"TERM\"",
        ),
        (
            api_with("stop", json!({ "grace": "2h" })),
            "service \"api\".stop.grace",
            "at most 1h",
        ),
        (
            api_with("restart", json!(true)),
            "service[0].restart",
            "unknown key",
        ),
        (
            err(json!({ "service": { "name": "api" } })),
            "service",
            "array of tables",
        ),
    ]);
    let (key, msg) = err(json!({ "service": [api(), api()] }));
    assert_eq!(key, "service[1].name");
    assert!(msg.contains("unique"), "{msg}");
}

#[test]
fn a_scenario_must_name_a_configured_service() {
    let (key, msg) = err(with_service(
        api(),
        json!({ "name": "s", "rps": 10, "target": "service:web" }),
    ));
    assert_eq!(key, "scenario \"s\".target");
    assert!(
        msg.contains("no service named \"web\"") && msg.contains("\"api\""),
        "{msg}"
    );
    let (key, msg) =
        err(json!({ "scenario": [{ "name": "s", "rps": 10, "target": "service:api" }] }));
    assert_eq!(key, "scenario \"s\".target");
    assert!(msg.contains("none is configured"), "{msg}");
    let (key, msg) = err(with_service(
        api(),
        json!({ "name": "s", "rps": 10, "target": "service:api", "server-latency": "1ms" }),
    ));
    assert_eq!(key, "scenario \"s\".server-latency");
    assert!(msg.contains("embedded"), "{msg}");
}

#[test]
fn services_are_read_from_toml_and_are_a_judged_setting() {
    let toml = r#"
[workspace]
[[workspace.metadata.ratecheck.service]]
name = "api"
command = ["cargo", "run", "--release", "--", "--port", "{port}"]
env = { RUST_LOG = "warn" }
ready = { path = "/health", status = 200, timeout = "60s" }
stop = { signal = "TERM", grace = "5s" }
[[workspace.metadata.ratecheck.scenario]]
name = "api-1k"
rps = 1000
target = "service:api"
"#;
    let c = Config::from_manifest_toml("Cargo.toml", toml).unwrap();
    assert_eq!(c.services[0].ready.path, "/health");
    let mut other = c.clone();
    other.services[0].command[0] = "target/release/api".into();
    assert_eq!(c.judged_differences(&other), ["service"]);
    let e = Config::from_manifest_toml("Cargo.toml", &toml.replace("\"TERM\"", "\"STOP\""))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("Cargo.toml: [workspace.metadata.ratecheck] service \"api\".stop.signal: "),
        "{e}"
    );
}

#[test]
fn a_request_mix_and_check_are_read_from_toml_recorded_and_judged() {
    use ratecheck_engine::load::traffic::Body;
    let toml = r#"
[workspace]
[[workspace.metadata.ratecheck.scenario]]
name = "mix"
rps = 100
target = "http://127.0.0.1:8080/"
requests = [
  { path = "/items", weight = 3 },
  { method = "POST", path = "/items", headers = { "Content-Type" = "application/json" }, body-file = "req.json" },
]
check = { status = 200, body-contains = "id" }
"#;
    let c = Config::from_manifest_toml("Cargo.toml", toml).unwrap();
    let traffic = &c.scenarios.as_ref().unwrap()[0].load.traffic;
    assert_eq!(traffic.requests.len(), 2);
    assert_eq!(traffic.requests[1].body, Body::File("req.json".into()));
    assert_eq!(traffic.check.status, Some(200));
    let settings = c.settings_json();
    let s = &settings["scenarios"][0];
    assert_eq!(s["requests"][0]["weight"], 3);
    assert_eq!(s["requests"][1]["body"], "req.json");
    assert_eq!(s["check"]["body-contains"], "id");
    // A scenario without them records neither, as before.
    let plain = Config::from_json(&full_section()).unwrap().settings_json();
    assert!(plain["scenarios"][0].get("requests").is_none());
    let mut other = c.clone();
    other.scenarios.as_mut().unwrap()[0].load.traffic.requests[0].weight = 1;
    assert_eq!(c.judged_differences(&other), ["scenario"]);
    let e = Config::from_manifest_toml("Cargo.toml", &toml.replace("weight = 3", "weight = 0"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("scenario \"mix\".requests[0].weight: must be from 1 to 1000"),
        "{e}"
    );
}

#[test]
fn the_null_target_takes_no_http_keys() {
    for (k, v) in [
        ("requests", json!([{ "path": "/" }])),
        ("check", json!({ "status": 200 })),
        ("cacert", json!("ca.pem")),
        ("insecure", json!(true)),
        ("http2", json!(true)),
    ] {
        let mut scenario = json!({ "name": "n", "rps": 10, "target": "null" });
        scenario[k] = v;
        let (key, msg) = err(json!({ "scenario": [scenario] }));
        assert_eq!(key, format!("scenario \"n\".{k}"));
        assert!(msg.contains("null"), "{msg}");
    }
}

#[test]
fn require_judged_names_figure_kinds_each_once() {
    use crate::figure::JudgedKind;
    let c = Config::from_json(&json!({ "require-judged": ["latency", "instructions", "latency"] }))
        .unwrap();
    assert_eq!(
        c.require_judged,
        [JudgedKind::Instructions, JudgedKind::Latency]
    );
    assert_eq!(
        c.settings_json()["require-judged"],
        json!(["instructions", "latency"])
    );
    let (k, m) = err(json!({ "require-judged": ["instructions", "speed"] }));
    assert_eq!(k, "require-judged[1]");
    assert!(m.contains("\"speed\"") && m.contains("allocations"), "{m}");
    let (k, m) = err(json!({ "require-judged": "cpu" }));
    assert_eq!(k, "require-judged");
    assert!(m.contains("array"), "{m}");
}
