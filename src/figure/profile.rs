//! Per-function instruction profiles compared: which functions account for
//! a change in an instruction figure, so a failure can say where to look.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FunctionCost;

/// A change smaller than this many instructions per request is noise in the
/// profile, not a function worth naming.
const MIN_DELTA: f64 = 0.5;

/// One function's change in instructions per request (self cost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    pub function: String,
    pub baseline: f64,
    pub current: f64,
}

/// The functions that account for most of a change in an instruction
/// figure, largest absolute change first, at most `n`. A function absent
/// from one profile counts 0 there.
pub fn top_deltas(
    baseline: &[FunctionCost],
    current: &[FunctionCost],
    n: usize,
) -> Vec<FunctionDelta> {
    let mut by_name: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for f in baseline {
        by_name.entry(&f.function).or_default().0 += f.per_request;
    }
    for f in current {
        by_name.entry(&f.function).or_default().1 += f.per_request;
    }
    let mut deltas: Vec<FunctionDelta> = by_name
        .into_iter()
        .map(|(name, (baseline, current))| FunctionDelta {
            function: name.to_string(),
            baseline,
            current,
        })
        .filter(|d| (d.current - d.baseline).abs() >= MIN_DELTA)
        .collect();
    deltas.sort_by(|x, y| {
        (y.current - y.baseline)
            .abs()
            .total_cmp(&(x.current - x.baseline).abs())
    });
    deltas.truncate(n);
    deltas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_name_the_functions_that_changed_most() {
        let fc = |n: &str, v: f64| FunctionCost {
            function: n.into(),
            per_request: v,
        };
        let d = |f: &str, baseline: f64, current: f64| FunctionDelta {
            function: f.into(),
            baseline,
            current,
        };
        let base = [fc("a", 100.0), fc("b", 50.0), fc("c", 10.0)];
        let cur = [fc("a", 101.0), fc("b", 80.0), fc("d", 12.0)];
        assert_eq!(
            top_deltas(&base, &cur, 3),
            [d("b", 50.0, 80.0), d("d", 0.0, 12.0), d("c", 10.0, 0.0)]
        );
        assert_eq!(top_deltas(&base, &cur, 1).len(), 1);
        assert_eq!(top_deltas(&base, &base, 3), vec![]);
    }
}
