//! The four output parsers: what one run of each tool reports, read from
//! its standard output into [`Figures`].

mod hey;
mod oha;
mod ours;
mod wrk;

pub use hey::parse_hey;
pub use oha::parse_oha;
pub use ours::parse_ours;
pub use wrk::parse_wrk;

/// The figures one run of one tool produced, parsed from its output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// Requests that got a response or a transport error.
    pub completed: u64,
    /// Wall time the tool says it ran, seconds.
    pub elapsed_s: f64,
    /// The tool's own efficiency figure, when it has one (ours).
    pub efficiency: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The first whitespace-separated word of `s`, as a number.
fn first_number(s: &str) -> Option<f64> {
    s.split_whitespace().next()?.parse().ok()
}
