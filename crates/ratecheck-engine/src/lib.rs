//! The load-generation engine of cargo-ratecheck: an open-loop HTTP load
//! generator that holds a target request rate precisely and reports its
//! *efficiency* (completed requests ÷ the requests the schedule asked for).
//!
//! It knows nothing of baselines, git, configuration files or reports: it
//! turns a [`load::LoadSpec`] (a schedule, a concurrency, a target) into a
//! [`metrics::snapshot::RunReport`]. Data flows one way: schedule → rate
//! limiter → generator → bounded queue → workers → target → metrics
//! collector → snapshot. Targets are any `http://` or `https://` URL; the
//! embedded server binds loopback only.
//!
//! # Embedding the engine in a test
//!
//! Start the embedded HTTP server on a loopback port, hold 200 requests per
//! second against it for half a second, and check the efficiency
//! ([`load::TargetSpec::Null`] instead measures the engine alone, with no
//! network):
//!
//! ```
//! use std::time::Duration;
//!
//! use ratecheck_engine::clock::SystemClock;
//! use ratecheck_engine::load::{setup, LoadSpec};
//! use ratecheck_engine::run::run;
//! use tokio_util::sync::CancellationToken;
//!
//! let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
//! let report = rt.block_on(async {
//!     // 200 requests/s for 0.5 s over 4 keep-alive connections.
//!     let spec = LoadSpec::steady(200.0, Duration::from_millis(500), 4);
//!     spec.validate()?;
//!     // The embedded server, on 127.0.0.1 and a free port.
//!     let started = setup::start(&spec.target, spec.timeout, &spec.traffic).await?;
//!     let cfg = spec.run_config(started.target.clone(), started.server.is_some());
//!     let report = run(&cfg, SystemClock::shared(), CancellationToken::new(), None).await;
//!     started.shutdown().await;
//!     Ok::<_, Box<dyn std::error::Error>>(report?)
//! })?;
//! assert_eq!(report.requests.expected, 100);
//! assert!(report.efficiency >= 0.9, "{:?}", report.warnings);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`run::run`] drains in-flight requests for [`run::RunConfig::drain`] at
//! most after the schedule ends (none are left here), and judges the run by
//! [`run::RunConfig::efficiency_floor`]: below it, the report's `warnings`
//! name the likely cause.

#![warn(missing_docs)]
// No function over `too-many-lines-threshold` (clippy.toml) lines.
#![warn(clippy::too_many_lines)]

pub mod analyze;
pub mod batch;
pub mod clock;
pub mod cost;
mod deck;
mod generator;
pub mod limits;
pub mod load;
pub mod merge;
pub mod metrics;
pub mod pacing;
pub mod queue;
pub mod rate;
pub mod run;
pub mod schedule;
pub mod selftest;
pub mod server;
pub mod shard;
pub mod target;
mod timer;
pub mod usage;
mod workers;

/// The README's example, compiled with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
