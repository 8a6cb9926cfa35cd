//! What the gate reports while it works ([`GateEvent`]), as data, and who
//! listens ([`Observer`]): the command renders the events as notes and
//! progress bars.

use crate::suite;
use ratecheck_engine::run::ProgressFn;

/// One step of the gate's work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GateEvent<'a> {
    /// The run is compared with the baseline from `origin`;
    /// `configuration`: the manifest the configuration was read from
    /// (`--baseline-rev`), when not this tree's.
    Comparing {
        origin: &'a str,
        configuration: Option<&'a str>,
    },
    /// No baseline (`--no-baseline`): floors only, and the paired figures
    /// when paired with `against`.
    NoBaseline { against: Option<&'a str> },
    /// The binary of `rev` is being built (`--against`).
    Building { rev: &'a str },
    /// It was built: `rev` is `commit`, in `seconds`.
    Built {
        rev: &'a str,
        commit: &'a str,
        seconds: f64,
    },
    /// The suite's own event (a step started or finished, a note).
    Suite(&'a suite::Event),
    /// The paired run against `rev` starts: `pairs` pairs.
    PairsStarted { rev: &'a str, pairs: usize },
    /// `done` of `pairs` pairs measured.
    Pair { done: usize, pairs: usize },
    /// The paired run ended (measured, failed or interrupted).
    PairsFinished,
    /// The counts of `rev`'s build and this build are being taken under
    /// callgrind.
    Counting { rev: &'a str },
}

/// Who hears the gate's events, and feeds a progress display per engine
/// run.
pub trait Observer: Sync {
    fn event(&self, event: &GateEvent<'_>);

    /// The progress callback of the engine run `label`, or `None` for none.
    fn progress(&self, label: &str) -> Option<ProgressFn>;
}
