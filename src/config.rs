//! Configuration: the workspace (found with `cargo_metadata`, honouring
//! `--manifest-path`) and its `[workspace.metadata.ratecheck]` (or
//! `[package.metadata.ratecheck]`) section over built-in defaults.
//!
//! The IO is in [`Config::load`] and [`Config::load_at_rev`] (the section as
//! committed at `check --baseline-rev REV`: the gate's whole configuration
//! comes from there, not only the baseline, so a change cannot loosen the
//! gate that judges it); everything else is pure and unit-tested:
//! [`Config::from_json`] validates the section (unknown keys and bad values
//! are errors naming the key) whether it comes from `cargo metadata`'s JSON
//! or from a manifest's TOML text ([`Config::from_manifest_toml`]),
//! [`parse_duration`] reads `500ms`, `5s`, `2m`, and
//! [`validate_loopback_url`] checks a target URL.
//!
//! ```toml
//! [workspace.metadata.ratecheck]
//! baseline-dir = "baselines"   # relative to the workspace root
//! baseline = "default"
//! thresholds = { efficiency-floor = 0.95, cpu-tolerance = 0.15 }
//! trials = 3
//! [[workspace.metadata.ratecheck.scenario]]
//! name = "steady-1k"
//! rps = 1000
//! duration = "5s"
//! concurrency = 50
//! target = "embedded"          # or "null" or "http://127.0.0.1:8080/"
//! server-latency = "1ms"
//! thresholds = { efficiency-floor = 0.9 }
//! quick = true
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::baseline::compare::{PartialThresholds, Thresholds};
use crate::baseline::{git, store};

/// Largest accepted target rate, requests per second.
pub const MAX_RPS: f64 = 10_000_000.0;
/// Largest accepted worker count.
pub const MAX_CONCURRENCY: usize = 10_000;
/// Longest accepted scenario duration or ramp.
pub const MAX_SCENARIO_DURATION: Duration = Duration::from_secs(3600);
/// Largest accepted `trials`.
pub const MAX_TRIALS: usize = 50;

/// A configuration problem, one line naming the key (and the manifest, once
/// [`Config::load`] knows it) and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A bad key or value in the ratecheck section; `key` is its path
    /// inside the section, e.g. `scenario "steady-1k".rps`.
    #[error("{key}: {msg}")]
    Invalid { key: String, msg: String },
    /// [`ConfigError::Invalid`] located in a manifest.
    #[error("{manifest}: [{section}] {key}: {msg}")]
    InManifest {
        manifest: String,
        section: String,
        key: String,
        msg: String,
    },
    /// The workspace could not be read (no manifest, `cargo metadata` failed,
    /// a manifest at a revision is not TOML).
    #[error("{manifest}: {msg}")]
    Metadata { manifest: String, msg: String },
    /// The manifests could not be read at `--baseline-rev` (no repository,
    /// no such revision, no root manifest there); one line naming it.
    #[error("{0}")]
    AtRev(String),
}

fn invalid(key: impl Into<String>, msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        msg: msg.into(),
    }
}

/// Where a scenario sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The embedded HTTP server, started for the scenario on a loopback port.
    Embedded,
    /// No network: requests complete immediately (measures the engine alone).
    Null,
    /// An HTTP server already running on a loopback address.
    Url(String),
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Embedded => f.write_str("embedded"),
            TargetSpec::Null => f.write_str("null"),
            TargetSpec::Url(u) => f.write_str(u),
        }
    }
}

/// One configured load scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    pub name: String,
    /// Steady-state target rate, requests per second (> 0).
    pub rps: f64,
    /// Length of the steady phase (> 0).
    pub duration: Duration,
    /// Worker count (>= 1).
    pub concurrency: usize,
    pub ramp_up: Duration,
    pub ramp_down: Duration,
    pub target: TargetSpec,
    /// Embedded server: added latency per response.
    pub server_latency: Duration,
    /// Embedded server: random extra latency, uniform in 0..jitter.
    pub server_jitter: Duration,
    /// Embedded server: fraction of responses that are 500s (0..=1).
    pub server_error_rate: f64,
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
        }
    }
}

/// The section's top-level keys. Values stay JSON here and are checked one
/// by one below, so every error can name its key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    baseline_dir: Option<Value>,
    baseline: Option<Value>,
    thresholds: Option<Value>,
    trials: Option<Value>,
    scenario: Option<Value>,
}

/// One `[[…ratecheck.scenario]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawScenario {
    name: Option<Value>,
    rps: Option<Value>,
    duration: Option<Value>,
    concurrency: Option<Value>,
    ramp_up: Option<Value>,
    ramp_down: Option<Value>,
    target: Option<Value>,
    server_latency: Option<Value>,
    server_jitter: Option<Value>,
    server_error_rate: Option<Value>,
    thresholds: Option<Value>,
    quick: Option<Value>,
}

/// serde's "unknown field `x`, expected one of …" → an error naming `x`.
fn shape_error(prefix: &str, e: serde_json::Error) -> ConfigError {
    let text = e.to_string();
    // serde_json appends " at line L column C", meaningless for a value
    // converted from TOML; drop it.
    let text = match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    if let Some(rest) = text.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once('`') {
            let key = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            let expected = expected.trim_start_matches(',').trim();
            return invalid(key, format!("unknown key; {expected}"));
        }
    }
    let key = if prefix.is_empty() {
        "ratecheck".to_string()
    } else {
        prefix.to_string()
    };
    invalid(key, format!("must be a table of keys ({text})"))
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn get_str<'a>(key: &str, v: &'a Value) -> Result<&'a str, ConfigError> {
    v.as_str()
        .ok_or_else(|| invalid(key, format!("must be a string, got {}", describe(v))))
}

fn get_bool(key: &str, v: &Value) -> Result<bool, ConfigError> {
    v.as_bool()
        .ok_or_else(|| invalid(key, format!("must be true or false, got {}", describe(v))))
}

fn get_f64(key: &str, v: &Value) -> Result<f64, ConfigError> {
    v.as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| invalid(key, format!("must be a number, got {}", describe(v))))
}

/// A whole number in `min..=max`.
fn get_count(key: &str, v: &Value, min: u64, max: u64) -> Result<usize, ConfigError> {
    let n = match v.as_u64() {
        Some(n) => n,
        None => {
            return Err(invalid(
                key,
                format!(
                    "must be a whole number from {min} to {max}, got {}",
                    describe(v)
                ),
            ))
        }
    };
    if n < min || n > max {
        return Err(invalid(
            key,
            format!("must be from {min} to {max}, got {n}"),
        ));
    }
    Ok(n as usize)
}

fn get_duration(key: &str, v: &Value, allow_zero: bool) -> Result<Duration, ConfigError> {
    let s = v.as_str().ok_or_else(|| {
        invalid(
            key,
            format!(
                "must be a duration string like \"500ms\", \"5s\" or \"2m\", got {}",
                describe(v)
            ),
        )
    })?;
    let d = parse_duration(s).map_err(|e| invalid(key, e))?;
    if !allow_zero && d.is_zero() {
        return Err(invalid(key, "must be longer than zero"));
    }
    if d > MAX_SCENARIO_DURATION {
        return Err(invalid(
            key,
            format!("{s:?} is longer than the 1h a scenario may last"),
        ));
    }
    Ok(d)
}

/// Threshold keys one by one, so a bad or unknown key is named precisely.
fn parse_thresholds(prefix: &str, v: &Value) -> Result<PartialThresholds, ConfigError> {
    let Value::Object(map) = v else {
        return Err(invalid(
            prefix,
            format!(
                "must be a table like {{ efficiency-floor = 0.95 }}, got {}",
                describe(v)
            ),
        ));
    };
    let mut out = PartialThresholds::default();
    for (k, val) in map {
        let key = format!("{prefix}.{k}");
        let one: PartialThresholds = serde_json::from_value(Value::Object(
            [(k.clone(), val.clone())].into_iter().collect(),
        ))
        .map_err(|e| {
            let text = e.to_string();
            if text.starts_with("unknown field") {
                shape_error(prefix, e)
            } else {
                invalid(&key, format!("must be a number, got {}", describe(val)))
            }
        })?;
        out = one.over(&out);
    }
    // Range checks. The defaults are in range, so an out-of-range merged
    // value is one set here.
    out.apply(&Thresholds::default()).validate().map_err(|e| {
        match e.split_once(" = ").and_then(|(k, rest)| {
            let (val, msg) = rest.split_once(": ")?;
            Some((k, val, msg))
        }) {
            Some((k, val, msg)) => invalid(format!("{prefix}.{k}"), format!("{msg}, got {val}")),
            None => invalid(prefix, e),
        }
    })?;
    Ok(out)
}

impl Config {
    /// Validates a ratecheck section (`Value::Null` = absent: all defaults).
    /// Paths stay relative (`workspace_root` is empty).
    pub fn from_json(value: &Value) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        if value.is_null() {
            return Ok(cfg);
        }
        if !value.is_object() {
            return Err(invalid(
                "ratecheck",
                format!("must be a table, got {}", describe(value)),
            ));
        }
        let raw: RawConfig =
            serde_json::from_value(value.clone()).map_err(|e| shape_error("", e))?;

        if let Some(v) = &raw.baseline_dir {
            let s = get_str("baseline-dir", v)?;
            if s.trim().is_empty() {
                return Err(invalid("baseline-dir", "must not be empty"));
            }
            cfg.baseline_dir = PathBuf::from(s);
        }
        if let Some(v) = &raw.baseline {
            let s = get_str("baseline", v)?;
            store::validate_name(s).map_err(|e| invalid("baseline", e.to_string()))?;
            cfg.baseline = s.to_string();
        }
        if let Some(v) = &raw.thresholds {
            cfg.thresholds = parse_thresholds("thresholds", v)?.apply(&Thresholds::default());
        }
        if let Some(v) = &raw.trials {
            cfg.trials = get_count("trials", v, 1, MAX_TRIALS as u64)?;
        }
        if let Some(v) = &raw.scenario {
            let Value::Array(items) = v else {
                return Err(invalid(
                    "scenario",
                    "must be an array of tables: write [[workspace.metadata.ratecheck.scenario]]",
                ));
            };
            if items.is_empty() {
                return Err(invalid(
                    "scenario",
                    "is empty; add a scenario or remove the key to use the default suite",
                ));
            }
            let mut names = BTreeSet::new();
            let mut specs = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let spec = parse_scenario(i, item)?;
                if !names.insert(spec.name.clone()) {
                    return Err(invalid(
                        format!("scenario[{i}].name"),
                        format!(
                            "{:?} is used by an earlier scenario; names must be unique",
                            spec.name
                        ),
                    ));
                }
                specs.push(spec);
            }
            cfg.scenarios = Some(specs);
        }
        Ok(cfg)
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
                    serde_json::json!({
                        "name": s.name,
                        "rps": s.rps,
                        "duration": format_duration(s.duration),
                        "concurrency": s.concurrency,
                        "ramp-up": format_duration(s.ramp_up),
                        "ramp-down": format_duration(s.ramp_down),
                        "target": s.target.to_string(),
                        "server-latency": format_duration(s.server_latency),
                        "server-jitter": format_duration(s.server_jitter),
                        "server-error-rate": s.server_error_rate,
                        "thresholds": s.thresholds,
                        "quick": s.quick,
                    })
                })
                .collect::<Vec<_>>()
        });
        serde_json::json!({
            "thresholds": self.thresholds,
            "trials": self.trials,
            "scenarios": scenarios,
        })
    }

    /// Validates the ratecheck section of one manifest given as TOML text
    /// (`[workspace.metadata.ratecheck]`, else `[package.metadata.ratecheck]`;
    /// both is an error), through the same checks as [`Config::load`].
    /// `manifest` names the file in errors, e.g. `origin/main:Cargo.toml`.
    /// Paths stay relative (`workspace_root` is empty).
    pub fn from_manifest_toml(manifest: &str, text: &str) -> Result<Config, ConfigError> {
        Sections::from_toml(manifest, text)?.parse()
    }

    /// Finds the workspace with `cargo metadata --no-deps` (at
    /// `manifest_path`, else from the current directory) and reads its
    /// ratecheck section: `[workspace.metadata.ratecheck]`, else the root
    /// package's (or the only member's) `[package.metadata.ratecheck]`.
    /// Both at once is an error. `baseline-dir` is made absolute against the
    /// workspace root.
    pub fn load(manifest_path: Option<&Path>) -> Result<Config, ConfigError> {
        let ws = Workspace::read(manifest_path)?;
        let cfg = ws.local.clone().parse()?;
        Ok(ws.resolve(cfg))
    }

    /// The configuration `check --baseline-rev REV` judges with: the
    /// workspace is found as in [`Config::load`] (its root and target
    /// directory stay local, and the working tree's section must still be
    /// valid), but the ratecheck section is read from the manifests as
    /// committed at `rev`: the workspace root's `Cargo.toml` (which must
    /// exist there) and those of the current members that exist there,
    /// chosen by the same rules and checked by the same code. No section at
    /// `rev` means the built-in defaults, whatever the working tree says.
    pub fn load_at_rev(manifest_path: Option<&Path>, rev: &str) -> Result<AtRev, ConfigError> {
        let ws = Workspace::read(manifest_path)?;
        let local = ws.resolve(ws.local.clone().parse()?);
        let at_rev = |msg: String| ConfigError::AtRev(format!("--baseline-rev {rev}: {msg}"));
        if git::repo_root(&ws.root)
            .map_err(|e| at_rev(e.to_string()))?
            .is_none()
        {
            return Err(at_rev(format!(
                "{} is not in a git repository",
                ws.root.display()
            )));
        }
        let paths: Vec<&Path> = std::iter::once(ws.root_manifest.as_path())
            .chain(ws.member_manifests.iter().map(PathBuf::as_path))
            .collect();
        let read = git::read_files_at_rev(&ws.root, rev, &paths).map_err(|e| at_rev(e.0))?;
        let mut files = read.files.into_iter().map(|f| {
            let name = format!("{rev}:{}", f.path.display());
            let text = f
                .contents
                .map(|bytes| {
                    String::from_utf8(bytes).map_err(|_| ConfigError::Metadata {
                        manifest: name.clone(),
                        msg: "is not UTF-8 text".to_string(),
                    })
                })
                .transpose();
            (name, text)
        });
        let Some((root_name, root_text)) = files.next() else {
            return Err(at_rev("no manifest to read".to_string()));
        };
        let Some(root_text) = root_text? else {
            return Err(at_rev(format!(
                "{root_name} does not exist (commit {}); the gate's configuration is read from there",
                git::short_sha(&read.commit)
            )));
        };
        let mut sections = Sections::from_toml(&root_name, &root_text)?;
        for (name, text) in files {
            if let Some(text) = text? {
                if let Some(v) = Sections::from_toml(&name, &text)?.root_package {
                    sections.members.push((name, v));
                }
            }
        }
        let (section, manifest, value) = sections.select()?;
        let config = ws.resolve(Sections::validate(section, manifest.clone(), value)?);
        let differences = local.judged_differences(&config);
        Ok(AtRev {
            config,
            manifest,
            commit: read.commit,
            differences,
        })
    }

    /// The judged settings (`baseline-dir`, `baseline`, `thresholds`,
    /// `trials`, `scenario`) in which `other` differs from `self`, by key.
    pub fn judged_differences(&self, other: &Config) -> Vec<&'static str> {
        [
            ("baseline-dir", self.baseline_dir != other.baseline_dir),
            ("baseline", self.baseline != other.baseline),
            ("thresholds", self.thresholds != other.thresholds),
            ("trials", self.trials != other.trials),
            ("scenario", self.scenarios != other.scenarios),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(key, _)| key)
        .collect()
    }
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

/// The ratecheck sections of a workspace's manifests, before one is chosen.
#[derive(Debug, Clone, Default)]
struct Sections {
    /// The workspace root manifest, as named in messages.
    root_manifest: String,
    /// `[workspace.metadata.ratecheck]`.
    workspace: Option<Value>,
    /// The root package's `[package.metadata.ratecheck]` (in the root
    /// manifest).
    root_package: Option<Value>,
    /// Other members' `[package.metadata.ratecheck]`: (manifest, section).
    members: Vec<(String, Value)>,
}

impl Sections {
    /// The sections of one manifest given as TOML text (no other members).
    fn from_toml(manifest: &str, text: &str) -> Result<Sections, ConfigError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Metadata {
            manifest: manifest.to_string(),
            msg: toml_error_line(text, &e),
        })?;
        let section = |table: &str| -> Result<Option<Value>, ConfigError> {
            let Some(v) = doc
                .get(table)
                .and_then(|t| t.get("metadata"))
                .and_then(|m| m.get("ratecheck"))
            else {
                return Ok(None);
            };
            serde_json::to_value(v)
                .map(Some)
                .map_err(|e| ConfigError::Metadata {
                    manifest: manifest.to_string(),
                    msg: format!("[{table}.metadata.ratecheck] cannot be read: {e}"),
                })
        };
        Ok(Sections {
            root_manifest: manifest.to_string(),
            workspace: section("workspace")?,
            root_package: section("package")?,
            members: Vec::new(),
        })
    }

    /// The section that configures the gate: `[workspace.metadata.ratecheck]`,
    /// else the root package's, else the only member's
    /// `[package.metadata.ratecheck]`; both kinds at once is an error. None
    /// at all is `Value::Null` (the defaults), located in the root manifest.
    fn select(self) -> Result<(&'static str, String, Value), ConfigError> {
        let Sections {
            root_manifest,
            workspace,
            root_package,
            mut members,
        } = self;
        let pkg = match root_package {
            Some(v) => Some((root_manifest.clone(), v)),
            None if members.len() == 1 => members.pop(),
            None => None,
        };
        match (workspace, pkg) {
            (Some(_), Some((manifest, _))) => Err(ConfigError::Metadata {
                manifest: root_manifest,
                msg: format!(
                    "both [workspace.metadata.ratecheck] and [package.metadata.ratecheck] (in {manifest}) are set; keep one"
                ),
            }),
            (Some(v), None) => Ok(("workspace.metadata.ratecheck", root_manifest, v)),
            (None, Some((manifest, v))) => Ok(("package.metadata.ratecheck", manifest, v)),
            (None, None) => Ok(("workspace.metadata.ratecheck", root_manifest, Value::Null)),
        }
    }

    /// Selects the section and validates it ([`Sections::validate`]).
    fn parse(self) -> Result<Config, ConfigError> {
        let (section, manifest, value) = self.select()?;
        Self::validate(section, manifest, value)
    }

    /// Validates a selected section with [`Config::from_json`]; errors
    /// name the manifest, the section and the key.
    fn validate(section: &str, manifest: String, value: Value) -> Result<Config, ConfigError> {
        Config::from_json(&value).map_err(|e| match e {
            ConfigError::Invalid { key, msg } => ConfigError::InManifest {
                manifest,
                section: section.to_string(),
                key,
                msg,
            },
            other => other,
        })
    }
}

/// The workspace as `cargo metadata` sees it in the working tree.
struct Workspace {
    root: PathBuf,
    target_dir: PathBuf,
    /// `root/Cargo.toml`.
    root_manifest: PathBuf,
    /// The other members' manifests.
    member_manifests: Vec<PathBuf>,
    /// The working tree's sections.
    local: Sections,
}

impl Workspace {
    fn read(manifest_path: Option<&Path>) -> Result<Workspace, ConfigError> {
        let shown = manifest_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "Cargo.toml".to_string());
        if let Some(p) = manifest_path {
            if !p.is_file() {
                return Err(ConfigError::Metadata {
                    manifest: shown,
                    msg: "--manifest-path does not name an existing Cargo.toml file".to_string(),
                });
            }
        }
        let mut cmd = cargo_metadata::MetadataCommand::new();
        cmd.no_deps();
        if let Some(p) = manifest_path {
            cmd.manifest_path(p);
        }
        let meta = cmd.exec().map_err(|e| ConfigError::Metadata {
            manifest: shown.clone(),
            msg: metadata_error_line(&e),
        })?;

        let root_manifest = meta.workspace_root.join("Cargo.toml");
        let root_package = meta.root_package();
        let others: Vec<_> = meta
            .packages
            .iter()
            .filter(|p| meta.workspace_members.contains(&p.id))
            .filter(|p| root_package.map_or(true, |r| r.id != p.id))
            .collect();
        let section = |v: &Value| v.get("ratecheck").cloned();
        let local = Sections {
            root_manifest: root_manifest.to_string(),
            workspace: section(&meta.workspace_metadata),
            root_package: root_package.and_then(|p| section(&p.metadata)),
            members: others
                .iter()
                .filter_map(|p| Some((p.manifest_path.to_string(), section(&p.metadata)?)))
                .collect(),
        };
        Ok(Workspace {
            root: meta.workspace_root.clone().into_std_path_buf(),
            target_dir: meta.target_directory.clone().into_std_path_buf(),
            root_manifest: root_manifest.into_std_path_buf(),
            member_manifests: others
                .iter()
                .map(|p| p.manifest_path.clone().into_std_path_buf())
                .collect(),
            local,
        })
    }

    /// `cfg` with this workspace's paths: root, target directory, and
    /// `baseline-dir` made absolute against the root.
    fn resolve(&self, mut cfg: Config) -> Config {
        cfg.workspace_root = self.root.clone();
        cfg.target_dir = self.target_dir.clone();
        cfg.baseline_dir = self.root.join(&cfg.baseline_dir);
        cfg
    }
}

/// A TOML syntax error as one line: the message and where.
fn toml_error_line(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("not valid TOML: {msg} (line {line})")
        }
        None => format!("not valid TOML: {msg}"),
    }
}

/// The first meaningful line of a `cargo metadata` failure.
fn metadata_error_line(e: &cargo_metadata::Error) -> String {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let line = stderr
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("error"))
                .or_else(|| stderr.lines().map(str::trim).find(|l| !l.is_empty()))
                .unwrap_or("unknown error");
            format!("cargo metadata failed: {line}")
        }
        other => other.to_string().lines().next().unwrap_or("").to_string(),
    }
}

fn parse_scenario(index: usize, v: &Value) -> Result<ScenarioSpec, ConfigError> {
    let at = format!("scenario[{index}]");
    if !v.is_object() {
        return Err(invalid(at, format!("must be a table, got {}", describe(v))));
    }
    let raw: RawScenario = serde_json::from_value(v.clone()).map_err(|e| shape_error(&at, e))?;

    let name = match &raw.name {
        None => return Err(invalid(format!("{at}.name"), "is required")),
        Some(v) => get_str(&format!("{at}.name"), v)?.to_string(),
    };
    store::validate_name(&name).map_err(|_| {
        invalid(
            format!("{at}.name"),
            format!("{name:?} must be letters, digits, '.', '_' or '-'"),
        )
    })?;
    let key = |k: &str| format!("scenario {name:?}.{k}");

    let rps = match &raw.rps {
        None => return Err(invalid(key("rps"), "is required (requests per second)")),
        Some(v) => get_f64(&key("rps"), v)?,
    };
    if rps <= 0.0 || rps > MAX_RPS {
        return Err(invalid(
            key("rps"),
            format!("must be more than 0 and at most {MAX_RPS}, got {rps}"),
        ));
    }
    let duration = match &raw.duration {
        None => DEFAULT_DURATION,
        Some(v) => get_duration(&key("duration"), v, false)?,
    };
    let concurrency = match &raw.concurrency {
        None => DEFAULT_CONCURRENCY,
        Some(v) => get_count(&key("concurrency"), v, 1, MAX_CONCURRENCY as u64)?,
    };
    let dur0 = |k: &str, v: &Option<Value>| -> Result<Duration, ConfigError> {
        match v {
            None => Ok(Duration::ZERO),
            Some(v) => get_duration(&key(k), v, true),
        }
    };
    let ramp_up = dur0("ramp-up", &raw.ramp_up)?;
    let ramp_down = dur0("ramp-down", &raw.ramp_down)?;
    let server_latency = dur0("server-latency", &raw.server_latency)?;
    let server_jitter = dur0("server-jitter", &raw.server_jitter)?;
    let server_error_rate = match &raw.server_error_rate {
        None => 0.0,
        Some(v) => {
            let r = get_f64(&key("server-error-rate"), v)?;
            if !(0.0..=1.0).contains(&r) {
                return Err(invalid(
                    key("server-error-rate"),
                    format!("must be between 0 and 1, got {r}"),
                ));
            }
            r
        }
    };
    let target = match &raw.target {
        None => TargetSpec::Embedded,
        Some(v) => match get_str(&key("target"), v)? {
            "embedded" => TargetSpec::Embedded,
            "null" => TargetSpec::Null,
            url => TargetSpec::Url(validate_loopback_url(url).map_err(|e| {
                invalid(
                    key("target"),
                    format!("{e}; or use \"embedded\" or \"null\""),
                )
            })?),
        },
    };
    if target != TargetSpec::Embedded {
        for (k, set) in [
            ("server-latency", raw.server_latency.is_some()),
            ("server-jitter", raw.server_jitter.is_some()),
            ("server-error-rate", raw.server_error_rate.is_some()),
        ] {
            if set {
                return Err(invalid(
                    key(k),
                    format!("applies only to target = \"embedded\", not {target:?}"),
                ));
            }
        }
    }
    let thresholds = match &raw.thresholds {
        None => None,
        Some(v) => Some(parse_thresholds(&key("thresholds"), v)?),
    };
    let quick = match &raw.quick {
        None => false,
        Some(v) => get_bool(&key("quick"), v)?,
    };
    Ok(ScenarioSpec {
        name,
        rps,
        duration,
        concurrency,
        ramp_up,
        ramp_down,
        target,
        server_latency,
        server_jitter,
        server_error_rate,
        thresholds,
        quick,
    })
}

/// Parses a duration: a non-negative decimal number and a unit, `us` (or
/// `µs`), `ms`, `s`, `m` or `h`: `250us`, `500ms`, `1.5s`, `2m`. Zero is
/// accepted (`0s`); callers that need a positive duration check
/// `is_zero()`. Errors say what was wrong and what is allowed.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    const HINT: &str = "write a number and a unit: us, ms, s, m or h (e.g. 500ms, 5s, 2m)";
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("empty duration; {HINT}"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit_ns: u128 = match unit.trim() {
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "" if !num.is_empty() => return Err(format!("{s:?} has no unit; {HINT}")),
        _ if t.starts_with('-') => return Err(format!("{s:?} is negative; {HINT}")),
        _ => return Err(format!("{s:?} is not a duration; {HINT}")),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.contains('.')
        || int.len() > 20
        || frac.len() > 20
    {
        return Err(format!("{s:?} is not a duration; {HINT}"));
    }
    let int_v: u128 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("{s:?} is not a duration; {HINT}"))?
    };
    let frac_ns = if frac.is_empty() {
        0
    } else {
        let f: u128 = frac
            .parse()
            .map_err(|_| format!("{s:?} is not a duration; {HINT}"))?;
        f * unit_ns / 10u128.pow(frac.len() as u32)
    };
    let total = int_v
        .checked_mul(unit_ns)
        .and_then(|n| n.checked_add(frac_ns))
        .ok_or_else(|| format!("{s:?} is too long"))?;
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| format!("{s:?} is too long"))?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// The shortest exact text [`parse_duration`] reads back: `5s`, `1.5s`,
/// `500ms`, `250us`, `2m`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    let trim = |whole: u128, frac: u128, digits: usize, unit: &str| {
        if frac == 0 {
            format!("{whole}{unit}")
        } else {
            let f = format!("{frac:0digits$}");
            format!("{whole}.{}{unit}", f.trim_end_matches('0'))
        }
    };
    if ns % 60_000_000_000 == 0 && ns >= 60_000_000_000 {
        format!("{}m", ns / 60_000_000_000)
    } else if ns >= 1_000_000_000 {
        trim(ns / 1_000_000_000, ns % 1_000_000_000, 9, "s")
    } else if ns >= 1_000_000 {
        trim(ns / 1_000_000, ns % 1_000_000, 6, "ms")
    } else {
        trim(ns / 1_000, ns % 1_000, 3, "us")
    }
}

/// Checks a target URL is `http://` to a loopback host (`127.0.0.1` or any
/// 127.x address, `localhost`, `[::1]`), with an optional non-zero port and
/// path; returns it trimmed. The load generator must not be pointed at other
/// machines by a config file or a typo.
pub fn validate_loopback_url(s: &str) -> Result<String, String> {
    let t = s.trim();
    // The engine's own parser, so config and `--url` accept the same URLs.
    crate::engine::target::HttpTarget::new(t, Duration::from_secs(1))
        .map(|_| t.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> (String, String) {
        match Config::from_json(&v).unwrap_err() {
            ConfigError::Invalid { key, msg } => (key, msg),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn durations_parse() {
        let ok = |s: &str| parse_duration(s).unwrap();
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("5s"), Duration::from_secs(5));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("250us"), Duration::from_micros(250));
        assert_eq!(ok("0.1s"), Duration::from_millis(100));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok(" 3 s "), Duration::from_secs(3));
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("0.0000001s"), Duration::from_nanos(100));
    }

    #[test]
    fn durations_reject_garbage() {
        for bad in [
            "",
            " ",
            "5",
            "-5s",
            "s",
            "5x",
            "1.2.3s",
            "abc",
            "5 s s",
            "1e3ms",
            "NaNs",
            "infs",
            ".s",
            "+5s",
            "99999999999999999999h",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(!e.is_empty() && !e.contains('\n'), "{bad:?}: {e}");
        }
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
    }

    #[test]
    fn durations_format_round_trip() {
        for d in [
            Duration::ZERO,
            Duration::from_secs(5),
            Duration::from_millis(1500),
            Duration::from_millis(500),
            Duration::from_micros(250),
            Duration::from_secs(120),
            Duration::from_secs(90),
            Duration::from_nanos(1_234_567),
        ] {
            let s = format_duration(d);
            assert_eq!(parse_duration(&s).unwrap(), d, "{s}");
        }
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    }

    #[test]
    fn urls() {
        for ok in [
            "http://127.0.0.1:8080/",
            "http://localhost:3000/path?q=1",
            "http://[::1]:8080/",
            "http://127.0.0.2/",
            "http://LOCALHOST:1",
        ] {
            assert!(validate_loopback_url(ok).is_ok(), "{ok}");
        }
        let e = validate_loopback_url("https://127.0.0.1/").unwrap_err();
        assert!(e.contains("https"), "{e}");
        let e = validate_loopback_url("http://example.com/").unwrap_err();
        assert!(e.contains("not a loopback"), "{e}");
        let e = validate_loopback_url("http://10.0.0.1:80/").unwrap_err();
        assert!(e.contains("not a loopback"), "{e}");
        assert!(validate_loopback_url("127.0.0.1:8080").is_err());
        assert!(validate_loopback_url("http://").is_err());
        assert!(validate_loopback_url("http://127.0.0.1:0/").is_err());
        assert!(validate_loopback_url("http://user@127.0.0.1/").is_err());
        assert!(validate_loopback_url("http://127.0.0.1:99999/").is_err());
        assert!(validate_loopback_url("not a url").is_err());
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
        assert_eq!(s[0].ramp_down, Duration::from_millis(500));
        assert_eq!(s[0].server_jitter, Duration::from_millis(2));
        assert!(s[0].quick);
        assert_eq!(s[1].duration, DEFAULT_DURATION);
        assert_eq!(s[1].concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(s[1].target, TargetSpec::Null);
        assert!(!s[1].quick);
        assert_eq!(
            s[2].target,
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
        assert!(m.contains("more than 0"), "{m}");
        assert_eq!(sc(json!({ "rps": 0 })).0, "scenario \"s\".rps");
        assert_eq!(sc(json!({ "rps": 1e12 })).0, "scenario \"s\".rps");
        assert!(sc(json!({ "rps": "fast" })).1.contains("must be a number"));
        let (k, m) = sc(json!({ "concurrency": 0 }));
        assert_eq!(k, "scenario \"s\".concurrency");
        assert!(m.contains("from 1"), "{m}");
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
        assert!(sc(json!({ "duration": "0s" }))
            .1
            .contains("longer than zero"));
        assert!(sc(json!({ "duration": 5 })).1.contains("duration string"));
        assert!(sc(json!({ "duration": "2h" })).1.contains("1h"));
        assert_eq!(sc(json!({ "ramp-up": "-1s" })).0, "scenario \"s\".ramp-up");
        assert_eq!(
            sc(json!({ "server-error-rate": 1.5 })).0,
            "scenario \"s\".server-error-rate"
        );
        let (k, m) = sc(json!({ "target": "http://example.com/" }));
        assert_eq!(k, "scenario \"s\".target");
        assert!(m.contains("loopback"), "{m}");
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
        let e =
            Config::from_manifest_toml("HEAD:Cargo.toml", "[workspace.metadata]\nratecheck = 5\n")
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
}
