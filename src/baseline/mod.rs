//! Baselines: the versioned file format, atomic storage, git ties and the
//! pure comparison that turns (baseline, current, thresholds) into verdicts,
//! and the history of a committed baseline file.

pub mod compare;
pub mod history;
pub mod model;
pub mod store;
