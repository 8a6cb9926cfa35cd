//! The output parsers: what one run of each tool (and of the timer floor)
//! reports, read from its standard output into [`Figures`].

mod floor;
mod hey;
mod oha;
mod ours;
mod wrk;

pub use floor::parse_floor;
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
    /// Schedule lag (actual send − intended send) p50 / p90 / p99, ms:
    /// ours, and the timer floor's wake lateness; the peers do not report it.
    pub lag_ms: Option<[f64; 3]>,
    /// Share of requests sent before their intended time and how early
    /// they went at the median, ms (ours).
    pub early: Option<(f64, f64)>,
}

/// The first whitespace-separated word of `s`, as a number.
fn first_number(s: &str) -> Option<f64> {
    s.split_whitespace().next()?.parse().ok()
}

/// What the parsers' tests share: outputs captured from real runs against a
/// local `python3 -m http.server`, and one assertion on what was read.
#[cfg(test)]
pub mod test_support {
    use super::Figures;
    use crate::peers::close;

    pub const HEY: &str = include_str!("../../../testdata/hey.txt");
    pub const HEY_ERR: &str = include_str!("../../../testdata/hey-err.txt");
    pub const OHA: &str = include_str!("../../../testdata/oha.json");
    pub const OHA_ERR: &str = include_str!("../../../testdata/oha-err.json");
    pub const WRK: &str = include_str!("../../../testdata/wrk.txt");
    pub const WRK_404: &str = include_str!("../../../testdata/wrk-404.txt");

    /// Asserts what a parser read: the count exactly, the elapsed time and the
    /// (p50, p99) latencies in ms within 1e-9, `None` for no latencies.
    pub fn assert_read(f: &Figures, completed: u64, elapsed_s: f64, latency: Option<(f64, f64)>) {
        assert_eq!(f.completed, completed, "{f:?}");
        assert!(close(Some(f.elapsed_s), elapsed_s), "{f:?}");
        match latency {
            Some((p50, p99)) => assert!(close(f.p50_ms, p50) && close(f.p99_ms, p99), "{f:?}"),
            None => assert_eq!((f.p50_ms, f.p99_ms), (None, None), "{f:?}"),
        }
    }
}
