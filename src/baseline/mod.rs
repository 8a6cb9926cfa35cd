//! Baselines: the versioned file format, atomic storage, git ties and the
//! pure comparison that turns (baseline, current, thresholds) into verdicts.

pub mod compare;
pub mod git;
pub mod model;
pub mod store;
