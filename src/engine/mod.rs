//! The load generator. It knows nothing of baselines or reports: it turns a
//! schedule and a target into a [`crate::metrics::snapshot::RunReport`].

pub mod analyze;
pub mod batch;
pub mod clock;
pub mod cost;
pub mod deck;
mod generator;
pub mod queue;
pub mod rate;
pub mod run;
pub mod schedule;
pub mod selftest;
pub mod target;
pub mod timer;
mod workers;
