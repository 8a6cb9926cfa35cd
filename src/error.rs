//! The one error type of the command layer, and the exit codes it maps to
//! (ARCHITECTURE.md, "Contracts"): 0 pass, 1 the gate failed, 2 the run could not be judged,
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

/// A failure that stops a command: "could not judge" (exit 2) with one line
/// naming the culprit and what to do, or an interruption (exit 130, no
/// verdict claimed).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotJudged(String),
    #[error("interrupted: no verdict")]
    Interrupted,
}

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error::NotJudged(msg.into())
    }

    /// The exit code this failure maps to.
    pub fn exit(&self) -> Exit {
        match self {
            Error::NotJudged(_) => Exit::NotJudged,
            Error::Interrupted => Exit::Interrupted,
        }
    }
}

macro_rules! from_display {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::NotJudged(e.to_string())
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
        Error::NotJudged(format!("{e:#}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
