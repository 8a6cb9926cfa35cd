//! The load-generation engine of cargo-ratecheck: an open-loop HTTP load
//! generator that holds a target request rate precisely and reports its
//! *efficiency* (completed requests ÷ the requests the schedule asked for).
//!
//! It knows nothing of baselines, git, configuration files or reports: it
//! turns a [`load::LoadSpec`] (a schedule, a concurrency, a target) into a
//! [`metrics::snapshot::RunReport`]. Data flows one way: schedule → rate
//! limiter → generator → bounded queue → workers → target → metrics
//! collector → snapshot.

pub mod analyze;
pub mod batch;
pub mod clock;
pub mod cost;
mod deck;
mod generator;
pub mod limits;
pub mod load;
pub mod metrics;
pub mod queue;
pub mod rate;
pub mod run;
pub mod schedule;
pub mod selftest;
pub mod server;
pub mod target;
mod timer;
pub mod usage;
mod workers;
