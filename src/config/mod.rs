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
//! durations are read by [`crate::duration::parse_duration`], and
//! [`validate_url`] checks a target URL.
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
//! requests = [                 # a weighted mix, sent in a fixed shuffled order
//!   { path = "/items", weight = 3 },
//!   { method = "POST", path = "/items", headers = { "Content-Type" = "application/json" }, body-file = "req.json" },
//! ]
//! check = { status = 200, body-contains = "id" }   # else the response counts as failed
//! ```

//!
//! The modules follow the seams: [`schema`] (the types and defaults),
//! `validation` (the section's keys and values), `service` and `traffic`
//! (the service tables, a scenario's requests and check), all three on
//! `keys` (a table read key by key, each value's reader; it uses none of
//! them), `metadata` (the IO: `cargo metadata`, manifests at a revision),
//! and `url`.

mod keys;
mod metadata;
pub mod schema;
mod service;
#[cfg(test)]
mod tests;
mod traffic;
mod url;
mod validation;

pub use schema::{
    AtRev, Config, ScenarioSpec, DEFAULT_CONCURRENCY, DEFAULT_DURATION, DEFAULT_TRIALS, MAX_TRIALS,
};
pub use url::validate_url;

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
