//! Validation of the `[[…ratecheck.service]]` tables and of a scenario's
//! `target = "service:NAME"`: every key checked by name, every error one
//! line naming the service and the key (`service "api".ready.status`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::keys::{describe, get_duration, get_str, Keys};
use super::{invalid, ConfigError};
use crate::service::{Ready, ServiceSpec, Stop, StopSignal, PORT_PLACEHOLDER};
use ratecheck_engine::load::{check_length, TargetSpec};

/// The keys of one `[[…ratecheck.service]]` table.
const SERVICE_KEYS: &[&str] = &["name", "command", "env", "cwd", "ready", "stop"];
/// The keys of a service's `ready` table.
const READY_KEYS: &[&str] = &["path", "status", "timeout"];
/// The keys of a service's `stop` table.
const STOP_KEYS: &[&str] = &["signal", "grace"];

/// The prefix of a scenario target naming a service.
pub(super) const SERVICE_TARGET: &str = "service:";

/// The `service` array: each table validated, names unique.
pub(super) fn parse_services(v: &Value) -> Result<Vec<ServiceSpec>, ConfigError> {
    let Value::Array(items) = v else {
        return Err(invalid(
            "service",
            "must be an array of tables: write [[workspace.metadata.ratecheck.service]]",
        ));
    };
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let spec = parse_service(i, item)?;
        if !names.insert(spec.name.clone()) {
            return Err(invalid(
                format!("service[{i}].name"),
                format!(
                    "{:?} is used by an earlier service; names must be unique",
                    spec.name
                ),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

fn parse_service(index: usize, v: &Value) -> Result<ServiceSpec, ConfigError> {
    let at = format!("service[{index}]");
    let raw = Keys::of(&at, v, SERVICE_KEYS)?;
    let name = raw.name(&at)?;
    let key = |k: &str| format!("service {name:?}.{k}");

    let command = match raw.get("command") {
        None => return Err(invalid(
            key("command"),
            "is required, e.g. [\"cargo\", \"run\", \"--release\", \"--\", \"--port\", \"{port}\"]",
        )),
        Some(v) => parse_command(&key("command"), v)?,
    };
    let env = match raw.get("env") {
        None => BTreeMap::new(),
        Some(v) => parse_env(&key("env"), v)?,
    };
    let cwd = match raw.get("cwd") {
        None => None,
        Some(v) => {
            let s = get_str(&key("cwd"), v)?;
            if s.trim().is_empty() {
                return Err(invalid(
                    key("cwd"),
                    "must not be empty; remove it to run in the workspace root",
                ));
            }
            Some(PathBuf::from(s))
        }
    };
    let ready = match raw.get("ready") {
        None => Ready::default(),
        Some(v) => parse_ready(&key("ready"), v)?,
    };
    let stop = match raw.get("stop") {
        None => Stop::default(),
        Some(v) => parse_stop(&key("stop"), v)?,
    };
    let spec = ServiceSpec {
        name: name.clone(),
        command,
        env,
        cwd,
        ready,
        stop,
    };
    if !spec.mentions_port() {
        return Err(invalid(
            key("command"),
            format!(
                "never mentions {PORT_PLACEHOLDER}: the service must be told the port it listens on, in an argument or an env value (e.g. \"--port\", \"{PORT_PLACEHOLDER}\")"
            ),
        ));
    }
    Ok(spec)
}

/// A non-empty array of strings, the program first.
fn parse_command(key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
    let Value::Array(items) = v else {
        return Err(invalid(
            key,
            format!(
                "must be an array of strings like [\"target/release/api\", \"--port\", \"{{port}}\"], got {}",
                describe(v)
            ),
        ));
    };
    if items.is_empty() {
        return Err(invalid(key, "must name at least the program to run"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let s = get_str(&format!("{key}[{i}]"), item)?;
        if s.contains('\0') {
            return Err(invalid(
                format!("{key}[{i}]"),
                "must not contain a NUL byte",
            ));
        }
        out.push(s.to_string());
    }
    if out[0].trim().is_empty() {
        return Err(invalid(
            format!("{key}[0]"),
            "the program must not be empty",
        ));
    }
    Ok(out)
}

/// A table of string values with plain names.
fn parse_env(key: &str, v: &Value) -> Result<BTreeMap<String, String>, ConfigError> {
    let Value::Object(map) = v else {
        return Err(invalid(
            key,
            format!(
                "must be a table like {{ RUST_LOG = \"warn\" }}, got {}",
                describe(v)
            ),
        ));
    };
    let mut out = BTreeMap::new();
    for (name, val) in map {
        let at = format!("{key}.{name}");
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(invalid(at, "is not a valid variable name (no '=' or NUL)"));
        }
        let s = get_str(&at, val)?;
        if s.contains('\0') {
            return Err(invalid(at, "must not contain a NUL byte"));
        }
        out.insert(name.clone(), s.to_string());
    }
    Ok(out)
}

fn parse_ready(key: &str, v: &Value) -> Result<Ready, ConfigError> {
    let raw = Keys::of(key, v, READY_KEYS)?;
    let mut ready = Ready::default();
    if let Some(v) = raw.get("path") {
        let at = format!("{key}.path");
        let s = get_str(&at, v)?;
        if s.contains("://") {
            return Err(invalid(
                at,
                format!("{s:?} is a URL: give a path on the service's own loopback port, like \"/health\" (load goes only to 127.0.0.1)"),
            ));
        }
        if !s.starts_with('/') || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(
                at,
                format!(
                    "must be a path starting with '/', without spaces, like \"/health\", got {s:?}"
                ),
            ));
        }
        ready.path = s.to_string();
    }
    if let Some(v) = raw.get("status") {
        let at = format!("{key}.status");
        ready.status = v
            .as_u64()
            .filter(|n| (100..=599).contains(n))
            .map(|n| n as u16)
            .ok_or_else(|| {
                invalid(
                    at,
                    format!(
                        "must be an HTTP status from 100 to 599, got {}",
                        describe(v)
                    ),
                )
            })?;
    }
    if let Some(v) = raw.get("timeout") {
        let at = format!("{key}.timeout");
        let d = get_duration(&at, v)?;
        ready.timeout = check_length(d, false)
            .map_err(|p| invalid(&at, format!("{p}, got {}", describe(v))))?;
    }
    Ok(ready)
}

fn parse_stop(key: &str, v: &Value) -> Result<Stop, ConfigError> {
    let raw = Keys::of(key, v, STOP_KEYS)?;
    let mut stop = Stop::default();
    if let Some(v) = raw.get("signal") {
        let at = format!("{key}.signal");
        let s = get_str(&at, v)?;
        stop.signal = StopSignal::parse(s).ok_or_else(|| {
            let names: Vec<String> = StopSignal::ALL
                .iter()
                .map(|s| format!("\"{}\"", s.name()))
                .collect();
            invalid(at, format!("{s:?} is not one of {}", names.join(", ")))
        })?;
    }
    if let Some(v) = raw.get("grace") {
        let at = format!("{key}.grace");
        let d = get_duration(&at, v)?;
        stop.grace =
            check_length(d, true).map_err(|p| invalid(&at, format!("{p}, got {}", describe(v))))?;
    }
    Ok(stop)
}

/// `service:NAME` or `service:NAME/path` as a target, `NAME` one of
/// `services`; `None` when `s` does not name a service. `key` is the
/// scenario's `target` key, for errors.
pub(super) fn parse_service_target(
    key: &str,
    s: &str,
    services: &[ServiceSpec],
) -> Option<Result<TargetSpec, ConfigError>> {
    let rest = s.strip_prefix(SERVICE_TARGET)?;
    let (name, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(Err(invalid(
            key,
            format!("the path of {s:?} must not contain spaces"),
        )));
    }
    if !services.iter().any(|sv| sv.name == name) {
        let known = if services.is_empty() {
            "none is configured; add a [[workspace.metadata.ratecheck.service]] table".to_string()
        } else {
            let names: Vec<String> = services.iter().map(|s| format!("{:?}", s.name)).collect();
            format!("the services are {}", names.join(", "))
        };
        return Some(Err(invalid(
            key,
            format!("no service named {name:?}: {known}"),
        )));
    }
    Some(Ok(TargetSpec::Service {
        name: name.to_string(),
        path: path.to_string(),
    }))
}
