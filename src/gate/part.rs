//! The gate on a CI matrix: what a part of a split run (`check --shard
//! i/N`) records so that `check --merge` can tell its parts belong together
//! ([`PartOfRun`], [`RunIdentity`]), and the pure rule that refuses a set
//! of parts that do not make one whole run ([`check_parts`]).
//!
//! Each part is judged on its own runner, by the machine rule for that
//! runner; the required kinds (`require-judged`) are judged over the
//! merged rows, since one part may hold every figure of a kind.

use serde::{Deserialize, Serialize};

use crate::figure::{JudgedKind, MachineInfo};
use crate::suite::part::SuitePart;

/// A part of a split run: which part, what it ran, where, and of which run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartOfRun {
    pub index: usize,
    pub count: usize,
    /// The scenarios this part ran (besides the self-test), in plan order.
    pub scenarios: Vec<String>,
    /// The runner that measured and judged this part.
    pub machine: MachineInfo,
    /// Whether this part's wall-clock figures were judged against the
    /// baseline (its machine is the baseline's, or `--strict-machine`).
    pub comparable_machine: bool,
    pub run: RunIdentity,
}

impl PartOfRun {
    pub fn part(&self) -> SuitePart {
        SuitePart {
            index: self.index,
            count: self.count,
        }
    }
}

/// What every part of one run shares: the same commit, plan, settings and
/// options. Two parts whose identities differ are of different runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// HEAD's commit, when in a git repository.
    pub commit: Option<String>,
    /// Every scenario of the whole plan, in order.
    pub plan: Vec<String>,
    pub quick: bool,
    /// The baseline judged against: its name or path as given (with
    /// `--baseline-rev REV`, `REV:` first); `None` with `--no-baseline`.
    pub baseline: Option<String>,
    /// `--against REV`.
    pub against: Option<String>,
    /// The kinds the merged run must judge.
    pub required: Vec<JudgedKind>,
    /// The gate's configuration as a baseline records it.
    pub settings: serde_json::Value,
}

impl RunIdentity {
    /// The first thing `self` and `other` differ in, as `(what, this,
    /// other)`; `None` when they are of one run.
    pub fn difference(&self, other: &RunIdentity) -> Option<(&'static str, String, String)> {
        fn show<T: Serialize>(v: &T) -> String {
            serde_json::to_string(v).unwrap_or_default()
        }
        let pairs = [
            ("commit", show(&self.commit), show(&other.commit)),
            ("plan", show(&self.plan), show(&other.plan)),
            ("--quick", show(&self.quick), show(&other.quick)),
            ("baseline", show(&self.baseline), show(&other.baseline)),
            ("--against", show(&self.against), show(&other.against)),
            (
                "required kinds",
                show(&self.required),
                show(&other.required),
            ),
            ("configuration", show(&self.settings), show(&other.settings)),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// Why a set of parts is not one run; each names the file at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartRefusal {
    #[error("{file}: a check result that is not a part of a split run: write parts with check --shard i/N --json PATH")]
    NotAPart { file: String },
    #[error("{file}: part {part} of another run than {first} (part {first_part}): {what} differs ({values}); merge the parts of one run")]
    OtherRun {
        file: String,
        part: SuitePart,
        first: String,
        first_part: SuitePart,
        what: &'static str,
        /// `X here, Y there`.
        values: String,
    },
    #[error("{file}: part {part} again (also in {other}); give each part once")]
    Duplicate {
        file: String,
        part: SuitePart,
        other: String,
    },
    #[error("part {part} is missing: none of {files} holds it; give the file of every part")]
    Missing { part: SuitePart, files: String },
    #[error("no part to merge: give the part files of check --shard i/N")]
    Nothing,
}

/// Refuses `parts` (each with its file name) unless they are every part of
/// one run, each once: the same [`RunIdentity`] and part count, no index
/// twice, none missing.
pub fn check_parts(parts: &[(&str, Option<&PartOfRun>)]) -> Result<(), PartRefusal> {
    let mut known: Vec<(&str, &PartOfRun)> = Vec::new();
    for (file, part) in parts {
        let Some(part) = part else {
            return Err(PartRefusal::NotAPart {
                file: file.to_string(),
            });
        };
        if let Some((first, f)) = known.first() {
            let differs = if f.count != part.count {
                Some(("part count", part.count.to_string(), f.count.to_string()))
            } else {
                part.run.difference(&f.run)
            };
            if let Some((what, this, there)) = differs {
                return Err(PartRefusal::OtherRun {
                    file: file.to_string(),
                    part: part.part(),
                    first: first.to_string(),
                    first_part: f.part(),
                    what,
                    values: format!("{this} here, {there} there"),
                });
            }
        }
        if let Some((other, _)) = known.iter().find(|(_, k)| k.index == part.index) {
            return Err(PartRefusal::Duplicate {
                file: file.to_string(),
                part: part.part(),
                other: other.to_string(),
            });
        }
        known.push((file, part));
    }
    let Some((_, first)) = known.first() else {
        return Err(PartRefusal::Nothing);
    };
    let count = first.count;
    match (0..count).find(|i| !known.iter().any(|(_, p)| p.index == *i)) {
        Some(index) => Err(PartRefusal::Missing {
            part: SuitePart { index, count },
            files: known.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(index: usize, count: usize) -> PartOfRun {
        PartOfRun {
            index,
            count,
            scenarios: vec![format!("s{index}")],
            machine: MachineInfo::default(),
            comparable_machine: true,
            run: RunIdentity {
                commit: Some("abc".into()),
                plan: vec!["s0".into(), "s1".into()],
                quick: true,
                baseline: Some("default".into()),
                against: None,
                required: vec![],
                settings: serde_json::json!({"trials": 3}),
            },
        }
    }

    #[test]
    fn every_part_once_of_one_run_is_accepted_in_any_order() {
        let (a, b) = (part(0, 2), part(1, 2));
        assert_eq!(check_parts(&[("b", Some(&b)), ("a", Some(&a))]), Ok(()));
        let one = part(0, 1);
        assert_eq!(check_parts(&[("x", Some(&one))]), Ok(()));
    }

    #[test]
    fn refusals_name_the_file() {
        let (a, b) = (part(0, 2), part(1, 2));
        let e = check_parts(&[("a.json", Some(&a)), ("a2.json", Some(&a))]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a2.json: part 0/2 again (also in a.json); give each part once"
        );
        let e = check_parts(&[("b.json", Some(&b))]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("part 0/2 is missing: none of b.json"),
            "{e}"
        );
        let e = check_parts(&[("a.json", Some(&a)), ("c.json", None)]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("c.json: a check result that is not a part"));
        assert_eq!(check_parts(&[]), Err(PartRefusal::Nothing));
    }

    #[test]
    fn parts_of_another_run_are_refused_naming_what_differs() {
        let a = part(0, 2);
        let mut b = part(1, 2);
        b.run.commit = Some("def".into());
        let e = check_parts(&[("a.json", Some(&a)), ("b.json", Some(&b))]).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "b.json: part 1/2 of another run than a.json (part 0/2): commit differs"
            ),
            "{e}"
        );
        let mut b = part(1, 2);
        b.run.settings = serde_json::json!({"trials": 5});
        let e = check_parts(&[("a.json", Some(&a)), ("b.json", Some(&b))]).unwrap_err();
        assert!(e.to_string().contains("configuration differs"), "{e}");
        let b = part(1, 3);
        let e = check_parts(&[("a.json", Some(&a)), ("b.json", Some(&b))]).unwrap_err();
        assert!(
            e.to_string()
                .contains("part count differs (3 here, 2 there)"),
            "{e}"
        );
        let mut b = part(1, 2);
        b.run.quick = false;
        let e = check_parts(&[("a.json", Some(&a)), ("b.json", Some(&b))]).unwrap_err();
        assert!(e.to_string().contains("--quick differs"), "{e}");
    }
}
