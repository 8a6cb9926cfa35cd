//! The suite split into parts, for the gate on a CI matrix (`check --shard
//! i/N`): each part runs whole scenarios, the parts balanced by their
//! expected duration ([`Step::estimate`]), and every part runs the
//! self-test (the suite runs it before any step). Pure and deterministic:
//! every runner of the matrix computes the same split from the same plan,
//! without talking to the others.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Step;

/// The most parts a suite may be split into.
pub const MAX_PARTS: usize = 64;

/// One part of `count` (`check --shard index/count`), `index` counted
/// from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuitePart {
    pub index: usize,
    pub count: usize,
}

impl fmt::Display for SuitePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for SuitePart {
    type Err = String;

    /// `i/N`: `N` from 1 to [`MAX_PARTS`], `i` from 0 to `N − 1`.
    fn from_str(s: &str) -> Result<SuitePart, String> {
        let bad = || {
            format!(
                "`{s}`: write the part as i/N, e.g. 0/2 (i from 0 to N-1, N from 1 to {MAX_PARTS})"
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > MAX_PARTS || index >= count {
            return Err(bad());
        }
        Ok(SuitePart { index, count })
    }
}

/// Which part runs each of `steps`: steps by expected duration (with
/// `trials`), longest first (ties in plan order), each given to the part
/// with the least expected time so far (ties to the lowest index): the
/// longest-processing-time rule, within 4/3 of the best split.
pub fn assign(steps: &[Step], trials: usize, count: usize) -> Vec<usize> {
    let count = count.max(1);
    let mut order: Vec<(usize, Duration)> = steps
        .iter()
        .map(|s| s.estimate(trials))
        .enumerate()
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut load = vec![Duration::ZERO; count];
    let mut part_of = vec![0; steps.len()];
    for (step, d) in order {
        let least = (0..count).min_by_key(|&p| (load[p], p)).unwrap_or(0);
        load[least] += d;
        part_of[step] = least;
    }
    part_of
}

/// The steps of `part`, in plan order.
pub fn select(steps: Vec<Step>, trials: usize, part: SuitePart) -> Vec<Step> {
    let part_of = assign(&steps, trials, part.count);
    steps
        .into_iter()
        .zip(part_of)
        .filter(|(_, p)| *p == part.index)
        .map(|(s, _)| s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::default_steps;

    fn names(steps: &[Step]) -> Vec<String> {
        steps.iter().map(|s| s.name().to_string()).collect()
    }

    #[test]
    fn parses_i_of_n_and_refuses_the_rest() {
        assert_eq!(
            "1/2".parse::<SuitePart>(),
            Ok(SuitePart { index: 1, count: 2 })
        );
        assert_eq!("0/1".parse::<SuitePart>().unwrap().to_string(), "0/1");
        for bad in ["2/2", "0/0", "1", "a/2", "0/65", "-1/2", "1/2/3"] {
            let e = bad.parse::<SuitePart>().unwrap_err();
            assert!(e.contains(bad) && e.contains("i/N"), "{bad}: {e}");
        }
    }

    /// Every step lands in exactly one part, for every count, and the
    /// parts together are the plan.
    #[test]
    fn the_parts_are_disjoint_and_cover_the_plan() {
        for quick in [false, true] {
            let plan = default_steps(quick);
            for count in 1..=12 {
                let mut seen: Vec<String> = Vec::new();
                for index in 0..count {
                    let part = SuitePart { index, count };
                    seen.extend(names(&select(plan.clone(), 3, part)));
                }
                seen.sort();
                let mut all = names(&plan);
                all.sort();
                assert_eq!(seen, all, "quick {quick}, {count} parts");
            }
        }
    }

    /// The same plan splits the same way every time, and a part keeps the
    /// plan's order.
    #[test]
    fn the_split_is_deterministic_and_in_plan_order() {
        let plan = default_steps(true);
        assert_eq!(assign(&plan, 3, 2), assign(&plan, 3, 2));
        let part = select(plan.clone(), 3, SuitePart { index: 0, count: 2 });
        let positions: Vec<usize> = part
            .iter()
            .map(|s| plan.iter().position(|p| p.name() == s.name()).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    /// Balanced by expected duration: no part is longer than the longest
    /// step plus the mean share, and the quick suite in two parts is
    /// within 4/3 of an even split.
    #[test]
    fn the_parts_are_balanced_by_expected_duration() {
        for quick in [false, true] {
            let plan = default_steps(quick);
            let total: Duration = plan.iter().map(|s| s.estimate(3)).sum();
            let longest = plan.iter().map(|s| s.estimate(3)).max().unwrap();
            for count in 1..=6 {
                let part_of = assign(&plan, 3, count);
                let mut load = vec![Duration::ZERO; count];
                for (s, p) in plan.iter().zip(&part_of) {
                    load[*p] += s.estimate(3);
                }
                let max = *load.iter().max().unwrap();
                assert!(max <= total / count as u32 + longest, "{count}: {load:?}");
            }
        }
        let plan = default_steps(true);
        let total: Duration = plan.iter().map(|s| s.estimate(3)).sum();
        let part_of = assign(&plan, 3, 2);
        let first: Duration = plan
            .iter()
            .zip(&part_of)
            .filter(|(_, p)| **p == 0)
            .map(|(s, _)| s.estimate(3))
            .sum();
        let max = first.max(total - first);
        assert!(max.as_secs_f64() <= total.as_secs_f64() / 2.0 * 4.0 / 3.0);
    }

    /// Whole scenarios: the benches are steps like any other, so the two
    /// longest (memory, instructions) go to different parts of two.
    #[test]
    fn the_benches_are_whole_steps_of_their_own() {
        let plan = default_steps(true);
        let zero = names(&select(plan.clone(), 3, SuitePart { index: 0, count: 2 }));
        let one = names(&select(plan, 3, SuitePart { index: 1, count: 2 }));
        let has = |v: &[String], n: &str| v.iter().any(|x| x == n);
        assert!(has(&zero, "memory") != has(&one, "memory"));
        assert!(
            has(&zero, "memory") != has(&zero, "instructions"),
            "{zero:?} {one:?}"
        );
        // More parts than steps: the extra parts run the self-test only.
        let many = select(
            default_steps(true),
            3,
            SuitePart {
                index: 9,
                count: 10,
            },
        );
        assert!(many.is_empty());
    }
}
