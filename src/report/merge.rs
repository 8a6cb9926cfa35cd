//! `check --merge`: the check documents of every part of a split run
//! (`check --shard i/N`) made into the one document of the whole run, pure.
//! Each part was judged on its own runner, by the machine rule for that
//! runner, so its rows are taken as judged; the verdict is the verdict on
//! all of them, and the required kinds (`require-judged`) are judged over
//! them all. Every part ran the self-test: the merged document shows the
//! first one that failed, else part 0's.

use super::check::{CheckOutput, MergedPart};
use crate::figure::{id, SuiteResult};
use crate::gate::part::{check_parts, PartOfRun, PartRefusal};
use crate::gate::{required_unjudged, GateVerdict};
use crate::report::format::{required_text, summary_text};

/// The one document of the parts `parts` (each with its file name, in any
/// order) and its verdict; refused, naming the file, unless they are every
/// part of one run, each once.
pub fn merge(parts: Vec<(String, CheckOutput)>) -> Result<(CheckOutput, GateVerdict), PartRefusal> {
    let named: Vec<(&str, Option<&_>)> = parts
        .iter()
        .map(|(f, c)| (f.as_str(), c.part.as_ref()))
        .collect();
    check_parts(&named)?;
    // Every document has its part now (check_parts refuses one without).
    let mut parts: Vec<(String, PartOfRun, CheckOutput)> = parts
        .into_iter()
        .filter_map(|(file, mut c)| Some((file, c.part.take()?, c)))
        .collect();
    parts.sort_by_key(|(_, p, _)| p.index);
    let Some((_, first_part, first)) = parts.first() else {
        return Err(PartRefusal::Nothing);
    };
    let run = &first_part.run;
    let plan = run.plan.clone();
    let position = |scenario: &str| {
        if scenario == id::scenario::SELF_TEST {
            return 0;
        }
        plan.iter()
            .position(|p| p == scenario)
            .map_or(plan.len() + 1, |p| p + 1)
    };
    // The self-test shown: the first part's that failed, else part 0's.
    let shown = parts
        .iter()
        .position(|(_, _, c)| !c.current.selftest_passed)
        .unwrap_or(0);
    let is_self_test = |s: &str| s == id::scenario::SELF_TEST;
    let mut rows = Vec::new();
    let mut scenarios = Vec::new();
    let mut warnings = Vec::new();
    for (i, (_, part, c)) in parts.iter().enumerate() {
        let keep = |s: &str| i == shown || !is_self_test(s);
        rows.extend(c.rows.iter().filter(|r| keep(&r.scenario)).cloned());
        scenarios.extend(
            c.current
                .scenarios
                .iter()
                .filter(|s| keep(&s.name))
                .cloned(),
        );
        warnings.extend(
            c.warnings
                .iter()
                .map(|w| format!("part {}: {w}", part.part())),
        );
    }
    rows.sort_by_key(|r| position(&r.scenario));
    scenarios.sort_by_key(|s| position(&s.name));
    let unjudged = required_unjudged(&rows, &run.required);
    let verdict = GateVerdict::with_required(&rows, &unjudged);
    let mut out = first.clone();
    out.passed = verdict.passed();
    out.current = SuiteResult {
        quick: first.current.quick,
        selftest_passed: parts.iter().all(|(_, _, c)| c.current.selftest_passed),
        scenarios,
        planned: plan,
        build: first.current.build.clone(),
    };
    out.summary = summary_text(&rows);
    out.rows = rows;
    out.warnings = warnings;
    out.not_judged = unjudged.iter().map(required_text).collect();
    out.parts = parts
        .into_iter()
        .map(|(file, part, c)| MergedPart {
            file,
            part,
            passed: c.passed,
            selftest_passed: c.current.selftest_passed,
            baseline_path: c.baseline_path,
        })
        .collect();
    Ok((out, verdict))
}

#[cfg(test)]
mod tests;
