//! The resolved configuration: its types, defaults, and what the gate asks
//! of it (thresholds per scenario, the settings a baseline records, which
//! judged settings differ between two configurations).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::baseline::compare::{PartialThresholds, Thresholds};
use crate::duration::format_duration;
use crate::figure::JudgedKind;
use crate::service::ServiceSpec;
use ratecheck_engine::load::traffic::{Body, CheckSpec, Traffic};
use ratecheck_engine::load::{LoadSpec, ServerSpec, TargetSpec};

/// Largest accepted `trials`.
pub const MAX_TRIALS: usize = 50;

/// One configured load scenario: a [`LoadSpec`] with a name, threshold
/// overrides and whether `--quick` runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    /// The run; a scenario has no `timeout`, `drain` or `on-full` keys, so
    /// those are the defaults.
    pub load: LoadSpec,
    /// Per-scenario threshold overrides (see [`Config::thresholds_for`]).
    pub thresholds: Option<PartialThresholds>,
    /// Included in `--quick` runs.
    pub quick: bool,
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Workspace root (empty for a [`Config::from_json`] result).
    pub workspace_root: PathBuf,
    /// Cargo's target directory.
    pub target_dir: PathBuf,
    /// Where baselines live: `workspace_root/baseline-dir`.
    pub baseline_dir: PathBuf,
    /// Default baseline name (`[A-Za-z0-9._-]+`).
    pub baseline: String,
    pub thresholds: Thresholds,
    /// Repeated trials for noisy figures (1..=50).
    pub trials: usize,
    /// Configured scenarios; `None` means the built-in default suite.
    pub scenarios: Option<Vec<ScenarioSpec>>,
    /// Configured services (`[[…ratecheck.service]]`), which scenarios
    /// name as `target = "service:NAME"`.
    pub services: Vec<ServiceSpec>,
    /// `engine-benches`: whether the engine's own scenarios and benches
    /// run; `None` when not set (see [`Config::engine_steps`]).
    pub engine_benches: Option<bool>,
    /// The workspace is cargo-ratecheck's own: one of its members is the
    /// package `cargo-ratecheck` (set from `cargo metadata`; false for a
    /// [`Config::from_json`] result).
    pub this_tool: bool,
    /// Figure kinds every run must judge (`require-judged`), by the
    /// baseline or by a pair; one left unjudged is exit 2.
    pub require_judged: Vec<JudgedKind>,
}

/// Defaults for scenario keys that are not given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(5);
/// See [`DEFAULT_DURATION`].
pub const DEFAULT_CONCURRENCY: usize = 50;
/// Default `trials`.
pub const DEFAULT_TRIALS: usize = 3;

impl Default for Config {
    fn default() -> Self {
        Config {
            workspace_root: PathBuf::new(),
            target_dir: PathBuf::from("target"),
            baseline_dir: PathBuf::from("baselines"),
            baseline: "default".to_string(),
            thresholds: Thresholds::default(),
            trials: DEFAULT_TRIALS,
            scenarios: None,
            services: Vec::new(),
            engine_benches: None,
            this_tool: false,
            require_judged: Vec::new(),
        }
    }
}

impl Config {
    /// Whether the engine's own scenarios and benches (the default load
    /// scenarios, `cpu`, `memory`, `instructions`) are planned: they
    /// measure this tool, so by default only in its own workspace;
    /// `engine-benches` says so explicitly anywhere.
    pub fn engine_steps(&self) -> bool {
        self.engine_benches.unwrap_or(self.this_tool)
    }

    /// The workspace-level thresholds with `scenario`'s overrides applied.
    pub fn thresholds_for(&self, scenario: &str) -> Thresholds {
        self.scenarios
            .iter()
            .flatten()
            .find(|s| s.name == scenario)
            .and_then(|s| s.thresholds)
            .map(|p| p.apply(&self.thresholds))
            .unwrap_or(self.thresholds)
    }

    /// Per-scenario thresholds for [`crate::baseline::compare::compare`]:
    /// every configured scenario that overrides something.
    pub fn overrides(&self) -> BTreeMap<String, Thresholds> {
        self.scenarios
            .iter()
            .flatten()
            .filter(|s| s.thresholds.is_some())
            .map(|s| (s.name.clone(), self.thresholds_for(&s.name)))
            .collect()
    }

    /// The thresholds and suite as configured, for a baseline's `settings`.
    pub fn settings_json(&self) -> Value {
        let scenarios = self.scenarios.as_ref().map(|list| {
            list.iter()
                .map(|s| {
                    let l = &s.load;
                    let server = match &l.target {
                        TargetSpec::Embedded(server) => *server,
                        _ => ServerSpec::NONE,
                    };
                    let mut json = serde_json::json!({
                        "name": s.name,
                        "rps": l.rps,
                        "duration": format_duration(l.duration),
                        "concurrency": l.concurrency,
                        "ramp-up": format_duration(l.ramp_up),
                        "ramp-down": format_duration(l.ramp_down),
                        "target": l.target.to_string(),
                        "server-latency": format_duration(server.latency),
                        "server-jitter": format_duration(server.jitter),
                        "server-error-rate": server.error_rate,
                        "thresholds": s.thresholds,
                        "quick": s.quick,
                    });
                    traffic_settings(&l.traffic, &mut json);
                    json
                })
                .collect::<Vec<_>>()
        });
        let mut settings = serde_json::json!({
            "thresholds": self.thresholds,
            "trials": self.trials,
            "scenarios": scenarios,
        });
        if !self.services.is_empty() {
            settings["services"] = self.services.iter().map(service_settings).collect();
        }
        if let Some(on) = self.engine_benches {
            settings["engine-benches"] = on.into();
        }
        if !self.require_judged.is_empty() {
            settings["require-judged"] = serde_json::json!(self.require_judged);
        }
        settings
    }

    /// The judged settings (`baseline-dir`, `baseline`, `thresholds`,
    /// `trials`, `scenario`, `service`, `engine-benches`, `require-judged`)
    /// in which `other` differs from `self`,
    /// by key.
    pub fn judged_differences(&self, other: &Config) -> Vec<&'static str> {
        [
            ("baseline-dir", self.baseline_dir != other.baseline_dir),
            ("baseline", self.baseline != other.baseline),
            ("thresholds", self.thresholds != other.thresholds),
            ("trials", self.trials != other.trials),
            ("scenario", self.scenarios != other.scenarios),
            ("service", self.services != other.services),
            (
                "engine-benches",
                self.engine_benches != other.engine_benches,
            ),
            (
                "require-judged",
                self.require_judged != other.require_judged,
            ),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(key, _)| key)
        .collect()
    }
}

/// A scenario's `requests`, `check` and client keys, when given, as a
/// baseline's `settings` record them (bodies by length, files by path).
fn traffic_settings(t: &Traffic, json: &mut Value) {
    if !t.requests.is_empty() {
        json["requests"] = t
            .requests
            .iter()
            .map(|r| {
                let body = match &r.body {
                    Body::Empty => Value::Null,
                    Body::Text(b) => format!("{} bytes", b.len()).into(),
                    Body::File(p) => p.display().to_string().into(),
                };
                serde_json::json!({
                    "method": r.method,
                    "path": r.path,
                    "headers": r.headers,
                    "body": body,
                    "weight": r.weight,
                })
            })
            .collect();
    }
    if t.check != CheckSpec::default() {
        json["check"] = serde_json::json!({
            "status": t.check.status,
            "body-contains": t.check.body_contains,
        });
    }
    let c = &t.client;
    if let Some(p) = &c.cacert {
        json["cacert"] = p.display().to_string().into();
    }
    if c.insecure {
        json["insecure"] = true.into();
    }
    if c.http2 {
        json["http2"] = true.into();
        json["connections"] = c.connections.unwrap_or(1).into();
    }
}

/// A service as a baseline's `settings` record it.
fn service_settings(s: &ServiceSpec) -> Value {
    serde_json::json!({
        "name": s.name,
        "command": s.command,
        "env": s.env,
        "cwd": s.cwd,
        "ready": {
            "path": s.ready.path,
            "status": s.ready.status,
            "timeout": format_duration(s.ready.timeout),
        },
        "stop": {
            "signal": s.stop.signal.name(),
            "grace": format_duration(s.stop.grace),
        },
    })
}

/// What [`Config::load_at_rev`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRev {
    /// The configuration at the revision, with local paths.
    pub config: Config,
    /// The manifest its section was read from (or would have been: the
    /// workspace root's), as `REV:path/Cargo.toml`.
    pub manifest: String,
    /// The full SHA of the commit the revision resolved to.
    pub commit: String,
    /// [`Config::judged_differences`] of the working tree's configuration
    /// from this one: empty when they agree.
    pub differences: Vec<&'static str>,
}
