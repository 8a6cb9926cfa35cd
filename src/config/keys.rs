//! The section's tables as JSON, read key by key: [`Keys`] (a table
//! whose keys are all known) and the `get_*` readers of one value, each
//! error naming its key. The parsers of the section (`validation`,
//! `service`, `traffic`) use these; this module uses none of them.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{invalid, ConfigError};
use crate::baseline::store;
use crate::duration::parse_duration;

/// A table whose keys are all known; its values stay JSON and are checked
/// one by one, so every error can name its key.
pub(super) struct Keys<'a>(&'a Map<String, Value>);

impl<'a> Keys<'a> {
    /// The table's required `name` (`[A-Za-z0-9._-]+`), `at` naming the
    /// table in errors (`scenario[2]`).
    pub(super) fn name(&self, at: &str) -> Result<String, ConfigError> {
        let key = format!("{at}.name");
        let name = match self.get("name") {
            None => return Err(invalid(key, "is required")),
            Some(v) => get_str(&key, v)?.to_string(),
        };
        store::validate_name(&name).map_err(|_| {
            invalid(
                &key,
                format!("{name:?} must be letters, digits, '.', '_' or '-'"),
            )
        })?;
        Ok(name)
    }

    /// `v` as a table whose keys are among `known`; `prefix` is where it
    /// is, for naming an unknown key (`""` at the top).
    pub(super) fn of(prefix: &str, v: &'a Value, known: &[&str]) -> Result<Keys<'a>, ConfigError> {
        let Value::Object(map) = v else {
            let at = if prefix.is_empty() {
                "ratecheck"
            } else {
                prefix
            };
            return Err(invalid(at, format!("must be a table, got {}", describe(v))));
        };
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(unknown_key(prefix, k, known));
        }
        Ok(Keys(map))
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }
}

/// `prefix.key` is not among `known`: the error lists what is.
pub(super) fn unknown_key(prefix: &str, key: &str, known: &[&str]) -> ConfigError {
    let at = if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    };
    let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    invalid(
        at,
        format!("unknown key; expected one of {}", expected.join(", ")),
    )
}

pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

pub(super) fn get_str<'a>(key: &str, v: &'a Value) -> Result<&'a str, ConfigError> {
    v.as_str()
        .ok_or_else(|| invalid(key, format!("must be a string, got {}", describe(v))))
}

pub(super) fn get_bool(key: &str, v: &Value) -> Result<bool, ConfigError> {
    v.as_bool()
        .ok_or_else(|| invalid(key, format!("must be true or false, got {}", describe(v))))
}

pub(super) fn get_f64(key: &str, v: &Value) -> Result<f64, ConfigError> {
    v.as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| invalid(key, format!("must be a number, got {}", describe(v))))
}

/// A whole number in `min..=max`.
pub(super) fn get_count(key: &str, v: &Value, min: u64, max: u64) -> Result<usize, ConfigError> {
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

/// A duration string (`"500ms"`); its range is checked by [`LoadSpec::validate`].
pub(super) fn get_duration(key: &str, v: &Value) -> Result<Duration, ConfigError> {
    let s = v.as_str().ok_or_else(|| {
        invalid(
            key,
            format!(
                "must be a duration string like \"500ms\", \"5s\" or \"2m\", got {}",
                describe(v)
            ),
        )
    })?;
    parse_duration(s).map_err(|e| invalid(key, e))
}
