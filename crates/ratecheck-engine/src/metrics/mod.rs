//! Measurement: a lock-free collector on the hot path, plain snapshot data on
//! the cold path.

pub mod collector;
pub mod part;
pub mod snapshot;
