//! The one error type of the command layer, and the exit codes it maps to
//! (DESIGN.md): 0 pass, 1 the gate failed, 2 the run could not be judged,
//! 130 interrupted.

/// Exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything passed (or a command that judges nothing succeeded).
    Pass = 0,
    /// The gate failed: a floor, a regression, a failed self-test.
    Fail = 1,
    /// The run could not be judged: bad arguments, config or baseline, an
    /// unreachable target.
    NotJudged = 2,
    /// Interrupted by Ctrl-C (128 + SIGINT).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// A failure that stops a command: always "could not judge" (exit 2); the
/// message is one line naming the culprit and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

macro_rules! from_display {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error(e.to_string())
            }
        }
    )*};
}

from_display!(
    crate::engine::run::EngineError,
    crate::engine::target::TargetError,
    crate::server::ServerError,
    crate::config::ConfigError,
    crate::baseline::store::BaselineError,
    crate::baseline::git::GitError,
    std::io::Error
);

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        // One line: the chain joined with ": ".
        Error(format!("{e:#}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
