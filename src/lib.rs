//! cargo-ratecheck: an open-loop HTTP load-generation engine and a CI gate
//! that judges the engine's efficiency (achieved rate ÷ target rate), CPU and
//! memory against a baseline committed under `baselines/`.
//!
//! Data flows one way: schedule → rate limiter → batch generator → bounded
//! channel → workers → target → metrics collector → snapshot → reports /
//! baseline comparison. See `ARCHITECTURE.md` for the code map.

// No function over `too-many-lines-threshold` (clippy.toml) lines.
#![warn(clippy::too_many_lines)]

pub mod atomic_write;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod duration;
pub mod engine_names;
pub mod error;
pub mod figure;
pub mod gate;
pub mod git;
pub mod init;
pub mod process;
pub mod report;
pub mod revision;
pub mod service;
pub mod shard;
pub mod suite;
