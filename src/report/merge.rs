//! `check --merge`: the check documents of every part of a split run
//! (`check --shard i/N`) made into the one document of the whole run, pure.
//! Each part was judged on its own runner, by the machine rule for that
//! runner, so its rows are taken as judged; the verdict is the verdict on
//! all of them, and the required kinds (`require-judged`) are judged over
//! them all. Every part ran the self-test: the merged document shows the
//! first one that failed, else part 0's.

use super::check::{CheckOutput, MergedPart};
use crate::figure::{id, SuiteResult};
use crate::gate::part::{check_parts, PartRefusal};
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
    let mut parts = parts;
    parts.sort_by_key(|(_, c)| c.part.as_ref().map(|p| p.index));
    let Some((_, first)) = parts.first() else {
        return Err(PartRefusal::Nothing);
    };
    let run = first.part.as_ref().map(|p| p.run.clone());
    let plan = run.as_ref().map(|r| r.plan.clone()).unwrap_or_default();
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
        .position(|(_, c)| !c.current.selftest_passed)
        .unwrap_or(0);
    let is_self_test = |s: &str| s == id::scenario::SELF_TEST;
    let mut rows = Vec::new();
    let mut scenarios = Vec::new();
    let mut warnings = Vec::new();
    for (i, (_, c)) in parts.iter().enumerate() {
        let keep = |s: &str| i == shown || !is_self_test(s);
        rows.extend(c.rows.iter().filter(|r| keep(&r.scenario)).cloned());
        scenarios.extend(
            c.current
                .scenarios
                .iter()
                .filter(|s| keep(&s.name))
                .cloned(),
        );
        let label = c.part.as_ref().map(|p| p.part().to_string());
        warnings.extend(
            c.warnings
                .iter()
                .map(|w| format!("part {}: {w}", label.as_deref().unwrap_or("?"))),
        );
    }
    rows.sort_by_key(|r| position(&r.scenario));
    scenarios.sort_by_key(|s| position(&s.name));
    let required = run.as_ref().map(|r| r.required.clone()).unwrap_or_default();
    let unjudged = required_unjudged(&rows, &required);
    let verdict = GateVerdict::with_required(&rows, &unjudged);
    let mut out = first.clone();
    out.passed = verdict.passed();
    out.current = SuiteResult {
        quick: first.current.quick,
        selftest_passed: parts.iter().all(|(_, c)| c.current.selftest_passed),
        scenarios,
        planned: plan,
        build: first.current.build.clone(),
    };
    out.summary = summary_text(&rows);
    out.rows = rows;
    out.warnings = warnings;
    out.not_judged = unjudged.iter().map(required_text).collect();
    out.part = None;
    out.parts = parts
        .into_iter()
        .filter_map(|(file, c)| {
            Some(MergedPart {
                file,
                part: c.part?,
                passed: c.passed,
                selftest_passed: c.current.selftest_passed,
                baseline_path: c.baseline_path,
            })
        })
        .collect();
    Ok((out, verdict))
}

#[cfg(test)]
mod tests;
