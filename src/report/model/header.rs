//! The check's header lines: the verdict line, the line naming what the
//! run was judged against (baseline, merge base, paired revision, parts of
//! a split run), and every warning.

use crate::gate::BaseOfRev;
use crate::report::check::CheckOutput;
use crate::report::format::{describe_git, not_judged_line, short_commit, verdict_line};

/// The verdict line of a check: NOT JUDGED (exit 2) when a required kind
/// was left unjudged, else PASS or FAIL with the counts.
pub fn check_verdict_line(check: &CheckOutput) -> String {
    let line = if check.not_judged.is_empty() {
        verdict_line(&check.rows, check.passed)
    } else {
        not_judged_line(&check.not_judged)
    };
    format!("{line}{}", insecure_clause(check))
}

/// `; TLS certificate NOT verified (insecure): staging-api` for the
/// scenarios that loaded an `https://` target without verifying it, so a
/// verdict never hides that it measured a server it did not authenticate.
/// Empty when every scenario verified (or spoke no TLS).
fn insecure_clause(check: &CheckOutput) -> String {
    let names: Vec<&str> = check
        .current
        .scenarios
        .iter()
        .filter(|s| {
            s.report
                .as_ref()
                .is_some_and(|r| r.connections.tls_verified == Some(false))
        })
        .map(|s| s.name.as_str())
        .collect();
    match names.is_empty() {
        true => String::new(),
        false => format!(
            "; TLS certificate NOT verified (insecure): {}",
            names.join(", ")
        ),
    }
}

/// `baseline 1a2b3c4d5e6f (main, 2024-05-01T12:34:56Z) from
/// baselines/main.json, paired with main (commit 0a1b2c3d4e5f) vs HEAD
/// 9f8e7d6c5b4a (feature), 3 commits apart`, or `no baseline` when there is
/// neither a baseline nor a paired run.
pub fn baseline_line(check: &CheckOutput) -> String {
    let mut s = match (&check.baseline_git, &check.baseline_path) {
        (Some(g), _) => format!("baseline {}", describe_git(g)),
        (None, Some(_)) => "baseline (commit unknown)".to_string(),
        (None, None) => String::new(),
    };
    if let Some(p) = &check.baseline_path {
        s.push_str(&format!(" from {p}"));
    }
    if let Some(b) = &check.baseline_rev {
        s.push_str(&merge_base_words(b));
    }
    if let Some(a) = &check.against {
        let sep = if s.is_empty() { "" } else { ", " };
        let commit = short_commit(&a.commit);
        s.push_str(&format!("{sep}paired with {} (commit {commit})", a.rev));
    }
    if s.is_empty() {
        s.push_str("no baseline");
    }
    if let Some(h) = &check.head_git {
        s.push_str(&format!(" vs HEAD {}", describe_git(h)));
    }
    if let Some(n) = check.commits_between {
        s.push_str(&format!(
            ", {n} commit{} apart",
            if n == 1 { "" } else { "s" }
        ));
    }
    if let Some(c) = &check.configuration {
        s.push_str(&format!("; configuration from {c}"));
    }
    s.push_str(&parts_clause(check));
    s
}

/// What a part of a split run ran (`; part 0/2: steady-200, cpu`), or what
/// a merged one was made of: each part, its scenarios and its runner.
fn parts_clause(check: &CheckOutput) -> String {
    let ran = |scenarios: &[String]| match scenarios.is_empty() {
        true => "the self-test only".to_string(),
        false => format!("self-test, {}", scenarios.join(", ")),
    };
    if let Some(p) = &check.part {
        return format!("; part {}: {}", p.part(), ran(&p.scenarios));
    }
    if check.parts.is_empty() {
        return String::new();
    }
    let each: Vec<String> = check
        .parts
        .iter()
        .map(|m| {
            let p = &m.part;
            format!(
                "{} ({}) on {}, {} cores{}",
                p.part(),
                ran(&p.scenarios),
                p.machine.cpu_model,
                p.machine.cores,
                if m.passed { "" } else { ", failed" }
            )
        })
        .collect();
    format!(
        "; merged from {} parts: {}",
        check.parts.len(),
        each.join("; ")
    )
}

/// `, the merge base of HEAD and main (main is at 9f8e7d6c5b4a now; its
/// baseline has moved since)`, or `, main at 1a2b3c4d5e6f, the merge base
/// of HEAD and main` when REV is the merge base.
fn merge_base_words(b: &BaseOfRev) -> String {
    let rev = &b.rev;
    if b.merge_base == b.rev_commit {
        return format!(
            ", {rev} at {}, the merge base of HEAD and {rev}",
            short_commit(&b.rev_commit)
        );
    }
    let moved = if b.baseline_moved {
        "has moved since"
    } else {
        "is unchanged since"
    };
    format!(
        ", the merge base {} of HEAD and {rev} ({rev} is at {} now; its baseline {moved})",
        short_commit(&b.merge_base),
        short_commit(&b.rev_commit)
    )
}

/// Every warning of a check: the check's own, then each scenario's
/// (prefixed with the scenario name), then each scenario report's.
pub fn check_warnings(check: &CheckOutput) -> Vec<String> {
    let mut out = check.warnings.clone();
    for s in &check.current.scenarios {
        for w in &s.warnings {
            out.push(format!("{}: {w}", s.name));
        }
        if let Some(r) = &s.report {
            for w in &r.warnings {
                let line = format!("{}: {w}", s.name);
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
    }
    out
}
