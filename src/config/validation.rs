//! Validation of a ratecheck section given as JSON (from `cargo metadata`
//! or converted from a manifest's TOML): every key is checked one by one
//! against the keys this module knows, so every error names its key. A
//! scenario's load values go through [`LoadSpec::validate`], the same
//! limits the command line has.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::keys::{
    describe, get_bool, get_count, get_duration, get_f64, get_str, unknown_key, Keys,
};
use super::{invalid, validate_url, Config, ConfigError, ScenarioSpec};
use super::{DEFAULT_CONCURRENCY, DEFAULT_DURATION, MAX_TRIALS};
use crate::baseline::compare::{PartialThresholds, Thresholds};
use crate::baseline::store;
use crate::duration::format_duration;
use crate::figure::JudgedKind;
use crate::service::ServiceSpec;
use ratecheck_engine::load::{
    LoadField, LoadSpec, ServerSpec, TargetSpec, Traffic, DEFAULT_DRAIN, DEFAULT_TIMEOUT,
    MAX_CONCURRENCY,
};
use ratecheck_engine::run::FullPolicy;
use ratecheck_engine::target::{ClientOptions, TargetError};

/// The section's top-level keys.
const CONFIG_KEYS: &[&str] = &[
    "baseline-dir",
    "baseline",
    "thresholds",
    "trials",
    "scenario",
    "service",
    "engine-benches",
    "require-judged",
];
/// The keys of one `[[…ratecheck.scenario]]` table; the last
/// [`HTTP_ONLY_KEYS`] of them only an HTTP target takes.
const SCENARIO_KEYS: &[&str] = &[
    "name",
    "rps",
    "duration",
    "concurrency",
    "ramp-up",
    "ramp-down",
    "target",
    "server-latency",
    "server-jitter",
    "server-error-rate",
    "thresholds",
    "quick",
    "requests",
    "check",
    "cacert",
    "insecure",
    "http2",
    "connections",
];
/// The scenario keys that `target = "null"` (no HTTP) refuses: the last six
/// of [`SCENARIO_KEYS`].
const HTTP_ONLY_KEYS: &[&str] = SCENARIO_KEYS.split_at(SCENARIO_KEYS.len() - 6).1;

/// `require-judged = ["instructions", …]`: figure kinds by name, each once.
fn parse_required_kinds(v: &Value) -> Result<Vec<JudgedKind>, ConfigError> {
    let known = || JudgedKind::ALL.map(JudgedKind::word).join(", ");
    let Value::Array(items) = v else {
        return Err(invalid(
            "require-judged",
            format!(
                "must be an array of figure kinds ({}), got {}",
                known(),
                describe(v)
            ),
        ));
    };
    let mut kinds = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = format!("require-judged[{i}]");
        let word = get_str(&key, item)?;
        let kind = JudgedKind::ALL
            .into_iter()
            .find(|k| k.word() == word)
            .ok_or_else(|| {
                invalid(
                    key.clone(),
                    format!("unknown kind {word:?}; kinds are: {}", known()),
                )
            })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.sort();
    Ok(kinds)
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
    // The keys are those of `Thresholds` (every one is serialised).
    let all = serde_json::to_value(Thresholds::default()).unwrap_or_default();
    let known: Vec<&str> = all
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut out = PartialThresholds::default();
    for (k, val) in map {
        if !known.contains(&k.as_str()) {
            return Err(unknown_key(prefix, k, &known));
        }
        let key = format!("{prefix}.{k}");
        let f = val
            .as_f64()
            .ok_or_else(|| invalid(&key, format!("must be a number, got {}", describe(val))))?;
        let one: PartialThresholds = serde_json::from_value(Value::Object(
            [(k.clone(), Value::from(f))].into_iter().collect(),
        ))
        .map_err(|e| invalid(&key, e.to_string()))?;
        // Range check of this key alone over the defaults (which are in
        // range): an error is this key's.
        one.apply(&Thresholds::default())
            .validate()
            .map_err(|e| invalid(&key, format!("{}, got {f}", e.rule)))?;
        out = one.over(&out);
    }
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
        let raw = Keys::of("", value, CONFIG_KEYS)?;

        if let Some(v) = raw.get("baseline-dir") {
            let s = get_str("baseline-dir", v)?;
            if s.trim().is_empty() {
                return Err(invalid("baseline-dir", "must not be empty"));
            }
            cfg.baseline_dir = PathBuf::from(s);
        }
        if let Some(v) = raw.get("baseline") {
            let s = get_str("baseline", v)?;
            store::validate_name(s).map_err(|e| invalid("baseline", e.to_string()))?;
            cfg.baseline = s.to_string();
        }
        if let Some(v) = raw.get("thresholds") {
            cfg.thresholds = parse_thresholds("thresholds", v)?.apply(&Thresholds::default());
        }
        if let Some(v) = raw.get("trials") {
            cfg.trials = get_count("trials", v, 1, MAX_TRIALS as u64)?;
        }
        if let Some(v) = raw.get("engine-benches") {
            cfg.engine_benches = Some(get_bool("engine-benches", v)?);
        }
        if let Some(v) = raw.get("require-judged") {
            cfg.require_judged = parse_required_kinds(v)?;
        }
        // Before the scenarios, which name them.
        if let Some(v) = raw.get("service") {
            cfg.services = super::service::parse_services(v)?;
        }
        if let Some(v) = raw.get("scenario") {
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
                let spec = parse_scenario(i, item, &cfg.services)?;
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
}

/// The configuration's name of a load value.
fn config_key(field: LoadField) -> &'static str {
    match field {
        LoadField::Rps => "rps",
        LoadField::Duration => "duration",
        LoadField::Concurrency => "concurrency",
        LoadField::RampUp => "ramp-up",
        LoadField::RampDown => "ramp-down",
        LoadField::Timeout => "timeout",
        LoadField::Drain => "drain",
        LoadField::ServerLatency => "server-latency",
        LoadField::ServerJitter => "server-jitter",
        LoadField::ServerErrorRate => "server-error-rate",
    }
}

/// A load value as the configuration writes it.
fn shown(load: &LoadSpec, field: LoadField) -> String {
    let server = match &load.target {
        TargetSpec::Embedded(s) => *s,
        _ => ServerSpec::NONE,
    };
    let d = format_duration;
    match field {
        LoadField::Rps => load.rps.to_string(),
        LoadField::Duration => d(load.duration),
        LoadField::Concurrency => load.concurrency.to_string(),
        LoadField::RampUp => d(load.ramp_up),
        LoadField::RampDown => d(load.ramp_down),
        LoadField::Timeout => d(load.timeout),
        LoadField::Drain => d(load.drain),
        LoadField::ServerLatency => d(server.latency),
        LoadField::ServerJitter => d(server.jitter),
        LoadField::ServerErrorRate => server.error_rate.to_string(),
    }
}

fn parse_scenario(
    index: usize,
    v: &Value,
    services: &[ServiceSpec],
) -> Result<ScenarioSpec, ConfigError> {
    let at = format!("scenario[{index}]");
    if !v.is_object() {
        return Err(invalid(at, format!("must be a table, got {}", describe(v))));
    }
    let raw = Keys::of(&at, v, SCENARIO_KEYS)?;
    let name = raw.name(&at)?;
    let s = Scenario { raw, name };
    let load = s.load(services)?;
    let thresholds = match s.raw.get("thresholds") {
        None => None,
        Some(v) => Some(parse_thresholds(&s.key("thresholds"), v)?),
    };
    let quick = match s.raw.get("quick") {
        None => false,
        Some(v) => get_bool(&s.key("quick"), v)?,
    };
    Ok(ScenarioSpec {
        name: s.name,
        load,
        thresholds,
        quick,
    })
}

/// One scenario table being read, its keys checked and its name known;
/// every error names `scenario "NAME".KEY`.
struct Scenario<'a> {
    raw: Keys<'a>,
    name: String,
}

impl Scenario<'_> {
    fn key(&self, k: &str) -> String {
        format!("scenario {:?}.{k}", self.name)
    }

    /// A duration that defaults to zero.
    fn dur0(&self, k: &str) -> Result<Duration, ConfigError> {
        match self.raw.get(k) {
            None => Ok(Duration::ZERO),
            Some(v) => get_duration(&self.key(k), v),
        }
    }

    /// The load run, checked by [`LoadSpec::validate`] (as the command
    /// line's values are).
    fn load(&self, services: &[ServiceSpec]) -> Result<LoadSpec, ConfigError> {
        let rps = match self.raw.get("rps") {
            None => {
                return Err(invalid(
                    self.key("rps"),
                    "is required (requests per second)",
                ))
            }
            Some(v) => get_f64(&self.key("rps"), v)?,
        };
        let duration = match self.raw.get("duration") {
            None => DEFAULT_DURATION,
            Some(v) => get_duration(&self.key("duration"), v)?,
        };
        let concurrency = match self.raw.get("concurrency") {
            None => DEFAULT_CONCURRENCY,
            Some(v) => v.as_u64().map(|n| n as usize).ok_or_else(|| {
                invalid(
                    self.key("concurrency"),
                    format!(
                        "must be a whole number from 1 to {MAX_CONCURRENCY}, got {}",
                        describe(v)
                    ),
                )
            })?,
        };
        let target = self.target(services)?;
        let traffic = self.traffic(&target, concurrency)?;
        let load = LoadSpec {
            rps,
            duration,
            concurrency,
            ramp_up: self.dur0("ramp-up")?,
            ramp_down: self.dur0("ramp-down")?,
            timeout: DEFAULT_TIMEOUT,
            drain: DEFAULT_DRAIN,
            on_full: FullPolicy::Drop,
            target,
            traffic,
        };
        load.validate().map_err(|e| {
            invalid(
                self.key(config_key(e.field)),
                format!("{}, got {}", e.problem, shown(&load, e.field)),
            )
        })?;
        Ok(load)
    }

    /// `target` (the embedded server by default, with its `server-*`
    /// settings, which no other target takes).
    fn target(&self, services: &[ServiceSpec]) -> Result<TargetSpec, ConfigError> {
        let server = ServerSpec {
            latency: self.dur0("server-latency")?,
            jitter: self.dur0("server-jitter")?,
            error_rate: match self.raw.get("server-error-rate") {
                None => 0.0,
                Some(v) => get_f64(&self.key("server-error-rate"), v)?,
            },
        };
        let key = self.key("target");
        let target = match self.raw.get("target") {
            None => TargetSpec::Embedded(server),
            Some(v) => match get_str(&key, v)? {
                "embedded" => TargetSpec::Embedded(server),
                "null" => TargetSpec::Null,
                s if s.starts_with(super::service::SERVICE_TARGET) => {
                    super::service::parse_service_target(&key, s, services)
                        .unwrap_or_else(|| Err(invalid(&key, "names no service")))?
                }
                url => TargetSpec::Url(validate_url(url).map_err(|e| {
                    invalid(
                        &key,
                        format!("{e}; or use \"embedded\", \"null\" or \"service:NAME\""),
                    )
                })?),
            },
        };
        if !matches!(target, TargetSpec::Embedded(_)) {
            for k in ["server-latency", "server-jitter", "server-error-rate"] {
                if self.raw.get(k).is_some() {
                    return Err(invalid(
                        self.key(k),
                        format!("applies only to target = \"embedded\", not {target:?}"),
                    ));
                }
            }
        }
        Ok(target)
    }

    /// `requests`, `check` and the client's keys, which the null target
    /// (no HTTP) does not take.
    fn traffic(&self, target: &TargetSpec, concurrency: usize) -> Result<Traffic, ConfigError> {
        let mut traffic = Traffic {
            client: self.client(concurrency)?,
            ..Traffic::default()
        };
        if let Some(v) = self.raw.get("requests") {
            traffic.requests = super::traffic::parse_requests(&self.key("requests"), v)?;
        }
        if let Some(v) = self.raw.get("check") {
            traffic.check = super::traffic::parse_check(&self.key("check"), v)?;
        }
        if *target == TargetSpec::Null {
            if let Some(k) = HTTP_ONLY_KEYS.iter().find(|k| self.raw.get(k).is_some()) {
                return Err(invalid(
                    self.key(k),
                    "does not apply to target = \"null\", which sends no HTTP",
                ));
            }
        }
        Ok(traffic)
    }

    /// `cacert`, `insecure`, `http2`, `connections` (at most the
    /// concurrency: the streams the connections carry).
    fn client(&self, concurrency: usize) -> Result<ClientOptions, ConfigError> {
        let flag = |k: &str| match self.raw.get(k) {
            None => Ok(false),
            Some(v) => get_bool(&self.key(k), v),
        };
        let client = ClientOptions {
            cacert: match self.raw.get("cacert") {
                None => None,
                Some(v) => Some(get_str(&self.key("cacert"), v)?.into()),
            },
            insecure: flag("insecure")?,
            http2: flag("http2")?,
            connections: match self.raw.get("connections") {
                None => None,
                Some(v) => Some(get_count(
                    &self.key("connections"),
                    v,
                    1,
                    MAX_CONCURRENCY as u64,
                )?),
            },
        };
        if client.insecure && client.cacert.is_some() {
            return Err(invalid(self.key("insecure"), "and `cacert` exclude each other: skip verification or verify with the CA, not both"));
        }
        client.check(concurrency).map_err(|e| match e {
            TargetError::Connections(_, why) => invalid(self.key("connections"), why),
            e => invalid(self.key("connections"), e.to_string()),
        })?;
        Ok(client)
    }
}
