//! Instruction profiles compared: which functions, and which source lines,
//! account for a change in an instruction figure, so a failure can say
//! where to look. A function is named with its crate, so that a change in
//! a dependency's version can be seen beside it; a line is named where it
//! is written, even when its code was inlined into another function.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FunctionCost, LineCost};

/// Functions, and source lines, kept in a figure's profile, the costliest
/// first: enough that one that moved is in both profiles, few enough to
/// keep a baseline file small (a few tens of kilobytes).
pub const PROFILE_LEN: usize = 150;

/// A profile at least this long may have been cut (files written before
/// [`PROFILE_LEN`] grew kept 50): an entry it lacks cost at most its
/// smallest one, not necessarily nothing.
const MAYBE_CUT: usize = 50;

/// A change smaller than this many instructions per request is noise in the
/// profile, not a function worth naming.
const MIN_DELTA: f64 = 0.5;

/// One function's change in instructions per request (self cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    pub function: String,
    pub baseline: f64,
    pub current: f64,
    /// The function's crate changed version between the baseline and this
    /// run (`1.4.1 → 1.5.0`, from Cargo.lock); `None` when it did not, or
    /// when that is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_change: Option<String>,
}

/// One source line's change in instructions per request (self cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineDelta {
    pub file: String,
    pub line: u32,
    pub baseline: f64,
    pub current: f64,
}

/// What a baseline's instruction figure lacks to name what changed: it
/// was saved before profiles (or their source lines) were recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileGap {
    /// No profile at all: neither functions nor lines.
    NoProfile,
    /// Functions, but no source lines.
    NoLines,
}

impl ProfileGap {
    /// What the baseline figure `baseline` lacks, if anything.
    pub fn of(baseline: &super::Figure) -> Option<ProfileGap> {
        if baseline.profile.is_empty() {
            Some(ProfileGap::NoProfile)
        } else if baseline.lines.is_empty() {
            Some(ProfileGap::NoLines)
        } else {
            None
        }
    }
}

/// The functions that account for most of a change in an instruction
/// figure, largest absolute change first, at most `n`. A function absent
/// from one profile counts 0 there (unless that profile may have been cut
/// above the function's cost on the other side: then it is not named).
pub fn top_deltas(
    baseline: &[FunctionCost],
    current: &[FunctionCost],
    n: usize,
) -> Vec<FunctionDelta> {
    let side = |p: &[FunctionCost]| {
        p.iter()
            .map(|f| (f.function.clone(), f.per_request))
            .collect()
    };
    deltas(side(baseline), side(current), n)
        .into_iter()
        .map(|(function, baseline, current)| FunctionDelta {
            function,
            baseline,
            current,
            version_change: None,
        })
        .collect()
}

/// The source lines that account for most of a change, as [`top_deltas`].
pub fn top_line_deltas(baseline: &[LineCost], current: &[LineCost], n: usize) -> Vec<LineDelta> {
    let side = |p: &[LineCost]| {
        p.iter()
            .map(|l| ((l.file.clone(), l.line), l.per_request))
            .collect()
    };
    deltas(side(baseline), side(current), n)
        .into_iter()
        .map(|((file, line), baseline, current)| LineDelta {
            file,
            line,
            baseline,
            current,
        })
        .collect()
}

/// `(key, baseline, current)` of the keys that changed most, largest
/// absolute change first, at most `n`.
fn deltas<K: Ord + Clone>(
    baseline: Vec<(K, f64)>,
    current: Vec<(K, f64)>,
    n: usize,
) -> Vec<(K, f64, f64)> {
    // What an entry absent from a side may have cost there.
    let floor = |side: &[(K, f64)]| {
        if side.len() < MAYBE_CUT {
            0.0
        } else {
            side.iter().map(|(_, v)| *v).fold(f64::INFINITY, f64::min)
        }
    };
    let (base_floor, cur_floor) = (floor(&baseline), floor(&current));
    let mut by_key: BTreeMap<K, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (k, v) in baseline {
        *by_key.entry(k).or_default().0.get_or_insert(0.0) += v;
    }
    for (k, v) in current {
        *by_key.entry(k).or_default().1.get_or_insert(0.0) += v;
    }
    let mut out: Vec<(K, f64, f64)> = by_key
        .into_iter()
        .filter_map(|(k, sides)| match sides {
            (Some(b), Some(c)) => Some((k, b, c)),
            (None, Some(c)) => (c > base_floor).then_some((k, 0.0, c)),
            (Some(b), None) => (b > cur_floor).then_some((k, b, 0.0)),
            (None, None) => None,
        })
        .filter(|(_, b, c)| (c - b).abs() >= MIN_DELTA)
        .collect();
    out.sort_by(|x, y| (y.2 - y.1).abs().total_cmp(&(x.2 - x.1).abs()));
    out.truncate(n);
    out
}

/// The crate a demangled function name belongs to, as Cargo.lock spells
/// crate names with `_`: `hyper` for `hyper::proto::h1::dispatch::…` and
/// for `<hyper::proto::h1::role::Server as …>::parse`, `core` for
/// `core::ptr::drop_in_place<…>`; `None` for a name with no path
/// (`memcpy`, `0x0000000000401000`).
pub fn crate_of(function: &str) -> Option<&str> {
    let name = function.trim_start_matches(['<', '&', '*']);
    let name = name
        .strip_prefix("mut ")
        .or_else(|| name.strip_prefix("dyn "))
        .or_else(|| name.strip_prefix("const "))
        .unwrap_or(name)
        .trim_start_matches(['<', '&']);
    let (first, _) = name.split_once("::")?;
    let ok = !first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(n: &str, v: f64) -> FunctionCost {
        FunctionCost {
            function: n.into(),
            per_request: v,
        }
    }

    fn d(f: &str, baseline: f64, current: f64) -> FunctionDelta {
        FunctionDelta {
            function: f.into(),
            baseline,
            current,
            version_change: None,
        }
    }

    #[test]
    fn deltas_name_the_functions_that_changed_most() {
        let base = [fc("a", 100.0), fc("b", 50.0), fc("c", 10.0)];
        let cur = [fc("a", 101.0), fc("b", 80.0), fc("d", 12.0)];
        assert_eq!(
            top_deltas(&base, &cur, 3),
            [d("b", 50.0, 80.0), d("d", 0.0, 12.0), d("c", 10.0, 0.0)]
        );
        assert_eq!(top_deltas(&base, &cur, 1).len(), 1);
        assert_eq!(top_deltas(&base, &base, 3), vec![]);
    }

    #[test]
    fn an_entry_below_where_a_long_profile_was_cut_is_not_named() {
        // Both profiles cut at 60 entries of 100 down to 41 instructions.
        let long = |extra: &[FunctionCost]| -> Vec<FunctionCost> {
            let mut p: Vec<FunctionCost> = (0..60)
                .map(|i| fc(&format!("f{i}"), 100.0 - i as f64))
                .collect();
            p.extend_from_slice(extra);
            p
        };
        let base = long(&[]);
        // `small` (30) may have cost as much in the baseline, below its cut;
        // `loop` (3000) cannot have.
        let cur = long(&[fc("small", 30.0), fc("loop", 3000.0)]);
        assert_eq!(top_deltas(&base, &cur, 5), [d("loop", 0.0, 3000.0)]);
    }

    #[test]
    fn line_deltas_name_the_lines_that_changed_most() {
        let lc = |f: &str, line: u32, v: f64| LineCost {
            file: f.into(),
            line,
            per_request: v,
        };
        let base = [lc("src/server.rs", 220, 10.0), lc("src/a.rs", 3, 5.0)];
        let cur = [
            lc("src/server.rs", 220, 10.0),
            lc("src/server.rs", 221, 3000.0),
            lc("src/a.rs", 3, 6.0),
        ];
        let top = top_line_deltas(&base, &cur, 3);
        assert_eq!(
            top,
            [
                LineDelta {
                    file: "src/server.rs".into(),
                    line: 221,
                    baseline: 0.0,
                    current: 3000.0
                },
                LineDelta {
                    file: "src/a.rs".into(),
                    line: 3,
                    baseline: 5.0,
                    current: 6.0
                }
            ]
        );
    }

    #[test]
    fn a_functions_crate_is_the_first_segment_of_its_path() {
        assert_eq!(
            crate_of("hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_write"),
            Some("hyper")
        );
        assert_eq!(
            crate_of("<hyper_util::rt::tokio::TokioIo<T> as hyper::rt::io::Read>::poll_read"),
            Some("hyper_util")
        );
        assert_eq!(
            crate_of("<&mut W as core::fmt::Write>::write_str"),
            None,
            "generic"
        );
        assert_eq!(crate_of("core::ptr::drop_in_place<x>"), Some("core"));
        assert_eq!(crate_of("memcpy"), None);
        assert_eq!(crate_of("0x0000000000401000"), None);
    }
}
