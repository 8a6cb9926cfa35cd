//! The one error type of the command layer and the suite, and the exit codes it maps to
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

/// A failure that stops a command or the suite: "could not judge" (exit 2)
/// with one line naming the culprit and what to do, or an interruption (exit
/// 130, no verdict claimed). The typed errors of the layers below are kept
/// as they are; their text is the line shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure of the command layer itself (a path, an option, a target
    /// that does not answer), already one line.
    #[error("{0}")]
    NotJudged(String),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Baseline(#[from] crate::baseline::store::BaselineError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Engine(#[from] ratecheck_engine::run::EngineError),
    #[error(transparent)]
    Target(#[from] ratecheck_engine::target::TargetError),
    #[error(transparent)]
    Server(#[from] ratecheck_engine::server::ServerError),
    #[error(transparent)]
    Setup(#[from] ratecheck_engine::load::setup::SetupError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// One step of the suite failed (a bench's child run, a server that
    /// would not start).
    #[error("scenario {scenario}: {msg}")]
    Scenario { scenario: String, msg: String },
    /// A failure reported through `anyhow` (the report writers): the chain
    /// joined with ": " on one line.
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
    /// Ctrl-C or SIGTERM during a command that claims a verdict.
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
            Error::Interrupted => Exit::Interrupted,
            _ => Exit::NotJudged,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_errors_keep_their_line_and_map_to_exit_2() {
        let e: Error = crate::git::GitError("no such revision".into()).into();
        assert!(matches!(e, Error::Git(_)));
        assert_eq!(e.to_string(), "no such revision");
        assert_eq!(e.exit(), Exit::NotJudged);
        let e: Error = anyhow::anyhow!("disk full")
            .context("--json out.json")
            .into();
        assert_eq!(e.to_string(), "--json out.json: disk full");
        assert_eq!(e.exit(), Exit::NotJudged);
        assert_eq!(Error::Interrupted.exit(), Exit::Interrupted);
        assert_eq!(Error::Interrupted.to_string(), "interrupted: no verdict");
    }
}
