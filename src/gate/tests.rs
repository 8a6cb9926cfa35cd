//! The gate's judging with hand-built measurements: suites, baselines and
//! paired trials in; rows, verdict, warnings and exit code out.

use super::pull::LoadedBaseline;
use super::setup::Setup;
use super::*;
use crate::baseline::compare::{Note, Thresholds, Verdict};
use crate::baseline::model::Baseline;
use crate::config::Config;
use crate::error::Exit;
use crate::figure::environment::Environment;
use crate::figure::id::scenario::{CPU, MEMORY};
use crate::figure::{
    id, BuildInfo, Figure, FigureKind, FunctionCost, MachineInfo, ScenarioKind, ScenarioResult,
};
use crate::git::GitInfo;
use crate::revision::{BaseBuild, BuiltRevision};

/// A suite of `scenarios`, each with its figures.
fn suite(scenarios: &[(&str, &[(&str, Figure)])]) -> SuiteResult {
    SuiteResult {
        quick: false,
        selftest_passed: true,
        scenarios: scenarios
            .iter()
            .map(|(name, figs)| ScenarioResult {
                name: name.to_string(),
                kind: ScenarioKind::Load,
                figures: figs
                    .iter()
                    .map(|(n, f)| (n.to_string(), f.clone()))
                    .collect(),
                report: None,
                warnings: vec![],
                service_crash: None,
                target: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn cpu(v: f64) -> Figure {
    Figure::single(FigureKind::Cpu, "us", v)
}

fn p50(v: f64) -> Figure {
    Figure::single(FigureKind::Latency, "ms", v)
}

/// Paired trials of `scenario` / `figure`: six pairs, the current side
/// `ratio` × the base's.
fn pairs(scenario: &str, figure: &str, kind: FigureKind, base: f64, ratio: f64) -> PairedTrials {
    let base: Vec<f64> = [1.0, 1.02, 0.99, 1.01, 1.0, 0.98]
        .iter()
        .map(|w| w * base)
        .collect();
    PairedTrials {
        scenario: scenario.into(),
        figure: figure.into(),
        kind,
        unit: if kind == FigureKind::Latency {
            "ms"
        } else {
            "us"
        }
        .into(),
        current: base.iter().map(|b| b * ratio).collect(),
        base,
    }
}

fn row<'a>(j: &'a Judgement, scenario: &str, figure: &str) -> &'a Row {
    j.rows
        .iter()
        .find(|r| r.scenario == scenario && r.figure == figure)
        .unwrap_or_else(|| panic!("no row {scenario}/{figure}: {:?}", j.rows))
}

/// The default thresholds everywhere.
fn defaults() -> ThresholdLookup {
    ThresholdLookup::default()
}

#[test]
fn a_paired_figure_is_judged_by_its_pairs_not_by_the_baseline() {
    // Against the committed baseline the HTTP figure doubled; the pairs,
    // measured side by side, say +1%: the pairs judge it, once.
    let http = id::CPU_US_PER_REQUEST_HTTP;
    let null = id::CPU_US_PER_REQUEST_NULL;
    let base = suite(&[(CPU, &[(http, cpu(5.0)), (null, cpu(1.0))])]);
    let current = suite(&[(CPU, &[(http, cpu(10.5)), (null, cpu(1.0))])]);
    let trials = [pairs(CPU, http, FigureKind::Cpu, 10.0, 1.01)];
    let j = judge(&Evidence {
        baseline: Some(&base),
        current: &current,
        paired: Some(PairedRun {
            rev: "main",
            trials: &trials,
            counts: None,
        }),
        thresholds: &defaults(),
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    let r = row(&j, CPU, http);
    assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
    assert_eq!(r.baseline, Some(10.0), "the base build's median");
    assert!(matches!(&r.note, Some(Note::Paired { rev, .. }) if rev == "main"));
    assert_eq!(row(&j, CPU, null).verdict, Verdict::Ok);
    assert_eq!(j.rows.len(), 3, "{:?}", j.rows);
    assert_eq!(j.rows[0].scenario, id::scenario::SELF_TEST);
    assert_eq!(
        (j.verdict, j.verdict.exit()),
        (GateVerdict::Pass, Exit::Pass)
    );
    // The same measurements without the pairs: the baseline fails it.
    let j = judge(&Evidence {
        baseline: Some(&base),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    assert_eq!(row(&j, CPU, http).verdict, Verdict::Regressed);
    assert_eq!(
        (j.verdict, j.verdict.exit()),
        (GateVerdict::Fail, Exit::Fail)
    );
}

/// One lookup judges both kinds of rows: a scenario's configured
/// thresholds reach its paired rows as they reach its baseline rows.
#[test]
fn configured_thresholds_judge_paired_rows_and_baseline_rows_alike() {
    let config = Config::from_json(&serde_json::json!({
        "thresholds": { "latency-slack-ms": 0.0 },
        "scenario": [{
            "name": "steady-1k", "rps": 1000,
            "thresholds": { "paired-latency-tolerance": 0.05, "latency-tolerance": 0.05 },
        }],
    }))
    .expect("a valid configuration");
    let lookup = ThresholdLookup::new(config.thresholds, config.overrides());
    let p50_ms = id::RESPONSE_P50_MS;
    let current = suite(&[
        ("steady-1k", &[(p50_ms, p50(1.07))]),
        ("steady-200", &[(p50_ms, p50(1.07))]),
    ]);
    let trials = [
        pairs("steady-1k", p50_ms, FigureKind::Latency, 1.0, 1.07),
        pairs("steady-200", p50_ms, FigureKind::Latency, 1.0, 1.07),
    ];
    let paired = judge(&Evidence {
        baseline: None,
        current: &current,
        paired: Some(PairedRun {
            rev: "main",
            trials: &trials,
            counts: None,
        }),
        thresholds: &lookup,
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    // +7%: past steady-1k's 5%, within the default 10% of steady-200.
    assert_eq!(
        row(&paired, "steady-1k", p50_ms).verdict,
        Verdict::Regressed
    );
    assert_eq!(row(&paired, "steady-200", p50_ms).verdict, Verdict::Ok);
    assert_eq!(paired.verdict.exit(), Exit::Fail);
    // Against a baseline, the same scenario's latency-tolerance of 5%.
    let base = suite(&[
        ("steady-1k", &[(p50_ms, p50(1.0))]),
        ("steady-200", &[(p50_ms, p50(1.0))]),
    ]);
    let committed = judge(&Evidence {
        baseline: Some(&base),
        current: &current,
        paired: None,
        thresholds: &lookup,
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    assert_eq!(
        row(&committed, "steady-1k", p50_ms).verdict,
        Verdict::Regressed
    );
    assert_eq!(row(&committed, "steady-200", p50_ms).verdict, Verdict::Ok);
}

#[test]
fn the_paired_tolerance_keys_are_validated_by_name() {
    let bad = |thresholds: serde_json::Value| {
        Config::from_json(&serde_json::json!({ "thresholds": thresholds }))
            .unwrap_err()
            .to_string()
    };
    let e = bad(serde_json::json!({ "paired-cpu-tolerance": -0.1 }));
    assert!(e.contains("thresholds.paired-cpu-tolerance"), "{e}");
    let e = bad(serde_json::json!({ "paired-tolerance": 0.1 }));
    assert!(e.contains("paired-memory-tolerance"), "the known keys: {e}");
    let c = Config::from_json(&serde_json::json!({
        "thresholds": { "paired-memory-tolerance": 0.08 }
    }))
    .unwrap();
    assert_eq!(c.thresholds.paired_memory_tolerance, 0.08);
    assert_eq!(c.thresholds.paired_cpu_tolerance, 0.02);
}

#[test]
fn figures_not_comparable_inside_a_pass_are_warned_and_exit_0() {
    let base = suite(&[(CPU, &[("http", cpu(5.0))])]);
    let current = suite(&[(CPU, &[("http", cpu(50.0))])]);
    let j = judge(&Evidence {
        baseline: Some(&base),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: false,
        required: &[],
        pull: None,
    });
    assert_eq!(row(&j, CPU, "http").verdict, Verdict::NotComparable);
    assert_eq!(
        (j.verdict, j.verdict.exit()),
        (GateVerdict::Pass, Exit::Pass)
    );
    assert_eq!(
        j.warnings,
        [GateWarning::Unjudged {
            scenario: CPU.into(),
            figure: "http".into(),
            verdict: Verdict::NotComparable,
            note: Some(Note::MachineDiffers),
        }]
    );
}

#[test]
fn a_floor_fails_with_the_engines_explanation() {
    let mut current = suite(&[(
        "steady-1k",
        &[(
            id::EFFICIENCY,
            Figure::single(FigureKind::Efficiency, "", 0.9),
        )],
    )]);
    current.scenarios[0].warnings = vec!["the generator fell behind".into()];
    let j = judge(&Evidence {
        baseline: None,
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    let r = row(&j, "steady-1k", id::EFFICIENCY);
    assert_eq!(r.verdict, Verdict::BelowFloor);
    assert_eq!(
        r.note,
        Some(Note::BelowFloor {
            floor: 0.95,
            cause: Some("the generator fell behind".into())
        })
    );
    assert_eq!(j.verdict.exit(), Exit::Fail);
}

#[test]
fn a_paired_figure_without_a_row_of_its_own_is_added() {
    let current = suite(&[("steady-1k", &[])]);
    let trials = [pairs(
        MEMORY,
        id::PEAK_RSS_BYTES,
        FigureKind::Memory,
        100.0,
        1.0,
    )];
    let j = judge(&Evidence {
        baseline: None,
        current: &current,
        paired: Some(PairedRun {
            rev: "HEAD~1",
            trials: &trials,
            counts: None,
        }),
        thresholds: &defaults(),
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    let last = j.rows.last().unwrap();
    assert_eq!(
        (last.scenario.as_str(), last.figure.as_str()),
        (MEMORY, id::PEAK_RSS_BYTES)
    );
    assert_eq!(last.verdict, Verdict::Ok);
}

/// The outcome of a paired run without a baseline names the revision in
/// its own field, and the setup's warnings come before the figures'.
#[test]
fn the_outcome_names_the_revision_compared_against() {
    let http = id::CPU_US_PER_REQUEST_HTTP;
    let setup = Setup {
        config: Config::default(),
        config_origin: None,
        baseline: None,
        head: Some(GitInfo {
            dirty: true,
            ..GitInfo::default()
        }),
        commits_between: None,
        comparable_machine: true,
        thresholds: defaults(),
        warnings: vec![GateWarning::DirtyAgainst { rev: "main".into() }],
        environment: Environment::default(),
        pull: Default::default(),
        machine: MachineInfo::default(),
    };
    let built = BuiltRevision {
        rev: "main".into(),
        commit: "0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d".into(),
        binary: "bin".into(),
    };
    let trials = vec![pairs(CPU, http, FigureKind::Cpu, 10.0, 1.2)];
    let current = suite(&[(CPU, &[(http, cpu(12.0)), ("null", cpu(1.0))])]);
    let against = AgainstRun {
        base: BaseBuild::Tool(built),
        trials,
        counts: None,
    };
    let outcome = conclude(setup, &[], Some(against), current);
    assert_eq!(
        outcome.against,
        Some(Against {
            rev: "main".into(),
            commit: "0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d".into(),
        })
    );
    assert_eq!(outcome.baseline, None);
    assert_eq!(outcome.verdict, GateVerdict::Fail, "+20% in pairs");
    assert_eq!(
        outcome.warnings[0],
        GateWarning::DirtyAgainst { rev: "main".into() }
    );
    assert!(
        matches!(&outcome.warnings[1], GateWarning::Unjudged { figure, verdict: Verdict::Missing, .. } if figure == "null"),
        "{:?}",
        outcome.warnings
    );
}

#[test]
fn a_baseline_outcome_keeps_where_it_came_from() {
    let base = suite(&[(CPU, &[("http", cpu(5.0))])]);
    let setup = Setup {
        config: Config::default(),
        config_origin: None,
        baseline: Some(LoadedBaseline {
            origin: "HEAD:baselines/default.json".into(),
            baseline: Baseline {
                schema_version: 1,
                tool_version: "0".into(),
                git: GitInfo {
                    commit: Some("abc".into()),
                    ..GitInfo::default()
                },
                machine: MachineInfo::default(),
                settings: serde_json::Value::Null,
                suite: base,
            },
        }),
        head: None,
        commits_between: Some(2),
        comparable_machine: true,
        thresholds: ThresholdLookup::new(
            Thresholds {
                cpu_tolerance: 0.5,
                ..Thresholds::default()
            },
            Default::default(),
        ),
        warnings: vec![],
        environment: Environment::default(),
        pull: Default::default(),
        machine: MachineInfo::default(),
    };
    let outcome = conclude(setup, &[], None, suite(&[(CPU, &[("http", cpu(7.0))])]));
    let b = outcome.baseline.as_ref().unwrap();
    assert_eq!(b.origin, "HEAD:baselines/default.json");
    assert_eq!(b.git.as_ref().unwrap().commit.as_deref(), Some("abc"));
    assert_eq!(outcome.against, None);
    assert_eq!(outcome.commits_between, Some(2));
    // +40% within the configured 50%.
    assert_eq!(outcome.verdict, GateVerdict::Pass);
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
}

/// The header's build changes are found once this run's build is known,
/// and a function beside a moved count is marked when its crate's version
/// changed in Cargo.lock.
#[test]
fn the_outcome_says_what_changed_around_the_code() {
    let instr = |v: f64, hyper: f64| {
        let mut f = Figure::single(FigureKind::Instructions, "instr", v);
        f.profile = vec![FunctionCost {
            function: "hyper::proto::h1::dispatch::poll_write".into(),
            per_request: hyper,
        }];
        f
    };
    let with_build = |mut s: SuiteResult, rustc: &str| {
        s.build = Some(BuildInfo {
            rustc: rustc.into(),
            ..BuildInfo::of_this_binary()
        });
        s
    };
    let this = BuildInfo::of_this_binary().rustc;
    let outcome = |baseline_rustc: &str| {
        let base = suite(&[(INSTR, &[("i", instr(1000.0, 100.0))])]);
        let dependencies = Environment {
            dependencies: locked_change(),
            ..Environment::default()
        };
        let setup = Setup {
            config: Config::default(),
            config_origin: None,
            baseline: Some(LoadedBaseline {
                origin: "baselines/default.json".into(),
                baseline: Baseline {
                    schema_version: 1,
                    tool_version: "0".into(),
                    git: GitInfo::default(),
                    machine: MachineInfo::default(),
                    settings: serde_json::Value::Null,
                    suite: with_build(base, baseline_rustc),
                },
            }),
            head: None,
            commits_between: None,
            comparable_machine: true,
            thresholds: defaults(),
            warnings: vec![],
            environment: dependencies,
            pull: Default::default(),
            machine: MachineInfo::default(),
        };
        let current = suite(&[(INSTR, &[("i", instr(1300.0, 400.0))])]);
        conclude(setup, &[], None, with_build(current, &this))
    };
    let row = |o: &GateOutcome| o.rows.iter().find(|r| r.figure == "i").unwrap().clone();
    let same = outcome(&this);
    assert_eq!(same.environment.build, vec![]);
    let f = &row(&same).functions[0];
    assert_eq!(f.version_change.as_deref(), Some("1.4.1 → 1.5.0"), "{f:?}");
    let other = outcome("rustc 1.80.0 (abc 2024-07-21)");
    assert_eq!(other.environment.build.len(), 1);
    assert_eq!(other.environment.build[0].what, "rustc");
    assert_eq!(row(&other).verdict, Verdict::NotComparable);
}

/// hyper moved from 1.4.1 to 1.5.0 in Cargo.lock.
fn locked_change() -> Vec<crate::figure::environment::Change> {
    use crate::figure::environment::{dependency_changes, locked};
    let lock = |v: &str| {
        locked(&format!(
            "[[package]]\nname = \"hyper\"\nversion = \"{v}\"\n"
        ))
        .unwrap()
    };
    dependency_changes(&lock("1.4.1"), &lock("1.5.0"))
}

const INSTR: &str = id::scenario::INSTRUCTIONS;

#[test]
fn a_baseline_is_refused_for_a_failed_floor_or_noisy_trials() {
    let mut s = suite(&[
        (
            "steady-1k",
            &[(
                id::EFFICIENCY,
                Figure::single(FigureKind::Efficiency, "", 0.5),
            )],
        ),
        (
            CPU,
            &[(
                "http",
                Figure::from_trials(FigureKind::Cpu, "us", vec![6.0, 10.0, 14.0]),
            )],
        ),
    ]);
    let problems = baseline_problems(&s, &defaults());
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(matches!(&problems[0], BaselineProblem::Fails(r) if r.scenario == "steady-1k"));
    assert!(matches!(&problems[1], BaselineProblem::Noisy(n) if n.figure == "http"));
    s.scenarios.clear();
    assert!(baseline_problems(&s, &defaults()).is_empty());
}

/// Instruction counts whose baseline came from another build: with the
/// counts required, the run is not judged (exit 2) and says which figure
/// and why; counted in pairs (`--against`), they are judged and pass.
#[test]
fn required_counts_from_another_build_are_not_judged_until_paired() {
    use crate::figure::{BuildInfo, JudgedKind};
    use crate::revision::counts::{suite_of, PairedCounts};
    let http = id::instructions_per_request("http");
    let counts = |v: f64, build: &BuildInfo| {
        let figures = [(
            http.clone(),
            Figure::single(FigureKind::Instructions, "instr", v),
        )];
        suite_of(figures.into_iter().collect(), build)
    };
    let here = BuildInfo {
        valgrind: Some("valgrind-3.22.0".into()),
        libc: "glibc 2.39".into(),
        ..BuildInfo::of_this_binary()
    };
    let elsewhere = BuildInfo {
        valgrind: Some("valgrind-3.19.0".into()),
        libc: "glibc 2.36".into(),
        ..here.clone()
    };
    let (base, current) = (counts(22_000.0, &elsewhere), counts(22_010.0, &here));
    let required = [JudgedKind::Instructions];
    let evidence = Evidence {
        baseline: Some(&base),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: false,
        required: &required,
        pull: None,
    };
    let j = judge(&evidence);
    assert_eq!(
        row(&j, id::scenario::INSTRUCTIONS, &http).verdict,
        Verdict::NotComparable
    );
    assert_eq!(
        (j.verdict, j.verdict.exit()),
        (GateVerdict::NotJudged, Exit::NotJudged)
    );
    assert_eq!(j.required_unjudged.len(), 1);
    let line = crate::report::format::required_text(&j.required_unjudged[0]);
    assert!(
        line.starts_with("instructions: instructions/instructions_per_request_http ("),
        "{line}"
    );
    assert!(
        line.contains("libc") && line.contains("glibc 2.39"),
        "{line}"
    );
    // Without the requirement the same run passes, the figure named as not
    // comparable.
    let j = judge(&Evidence {
        required: &[],
        ..evidence
    });
    assert_eq!(j.verdict, GateVerdict::Pass);
    // Counted here for both builds: judged, and passes.
    let paired = PairedCounts {
        rev: "HEAD".into(),
        base: counts(22_000.0, &here),
        current: counts(22_010.0, &here),
    };
    let j = judge(&Evidence {
        paired: Some(PairedRun {
            rev: "HEAD",
            trials: &[],
            counts: Some(&paired),
        }),
        ..evidence
    });
    let r = row(&j, id::scenario::INSTRUCTIONS, &http);
    assert_eq!(r.verdict, Verdict::Ok, "{r:?}");
    assert_eq!(r.baseline, Some(22_000.0), "the base build's count");
    assert!(j.required_unjudged.is_empty());
    assert_eq!(j.verdict, GateVerdict::Pass);
}

/// A required kind the run measured no figure of is unjudged too, and a
/// failure stays a failure (exit 1) even when a required kind is missing.
#[test]
fn a_required_kind_with_no_figure_is_not_judged_and_a_failure_stays_a_failure() {
    use crate::figure::JudgedKind;
    let current = suite(&[(CPU, &[("http", cpu(10.0))])]);
    let required = [JudgedKind::Latency];
    let j = judge(&Evidence {
        baseline: Some(&suite(&[(CPU, &[("http", cpu(10.0))])])),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: true,
        required: &required,
        pull: None,
    });
    assert_eq!(j.verdict, GateVerdict::NotJudged);
    assert_eq!(
        crate::report::format::required_text(&j.required_unjudged[0]),
        "latency: no figure of this kind was measured"
    );
    let j = judge(&Evidence {
        baseline: Some(&suite(&[(CPU, &[("http", cpu(5.0))])])),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: true,
        required: &required,
        pull: None,
    });
    assert_eq!(
        (j.verdict, j.verdict.exit()),
        (GateVerdict::Fail, Exit::Fail)
    );
}

/// A required kind is judged when some of its figures are: a CPU figure
/// judged in pairs beside another with no baseline passes, the unjudged
/// one still named.
#[test]
fn a_required_kind_with_some_figures_judged_is_judged() {
    use crate::figure::JudgedKind;
    let current = suite(&[(CPU, &[("http", cpu(10.0)), ("at_rate", cpu(60.0))])]);
    let base = suite(&[(CPU, &[("http", cpu(10.0))])]);
    let required = [JudgedKind::Cpu];
    let j = judge(&Evidence {
        baseline: Some(&base),
        current: &current,
        paired: None,
        thresholds: &defaults(),
        comparable_machine: true,
        required: &required,
        pull: None,
    });
    assert_eq!(row(&j, CPU, "at_rate").verdict, Verdict::Missing);
    assert!(j.required_unjudged.is_empty(), "{:?}", j.required_unjudged);
    assert_eq!(j.verdict, GateVerdict::Pass);
}

#[test]
fn reports_show_paths_inside_the_workspace_relative_to_it() {
    let root = std::path::Path::new("/home/runner/work/shop/shop");
    assert_eq!(
        shown_path(root, &root.join("baselines/default.json")),
        "baselines/default.json"
    );
    // Outside the workspace (and the root itself): as given.
    assert_eq!(
        shown_path(root, std::path::Path::new("/tmp/old.json")),
        "/tmp/old.json"
    );
    assert_eq!(shown_path(root, root), root.display().to_string());
    // Relative to the working directory: resolved before it is shortened.
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        shown_path(&cwd, std::path::Path::new("baselines/x.json")),
        "baselines/x.json"
    );
    assert_eq!(
        shown_path(cwd.parent().unwrap(), std::path::Path::new("x.json")),
        format!("{}/x.json", cwd.file_name().unwrap().to_str().unwrap())
    );
}

/// A pull request's trailer accepts a paired regression within its bound
/// (no refreshed baseline needed), the run passes with it shown first, and
/// a trailer naming no figure is warned.
#[test]
fn a_trailer_accepts_a_paired_regression_and_one_naming_nothing_is_warned() {
    use crate::baseline::compare::{Acceptance, Refresh};
    let http = id::CPU_US_PER_REQUEST_HTTP;
    let current = suite(&[(CPU, &[(http, cpu(11.0))])]);
    let trials = [pairs(CPU, http, FigureKind::Cpu, 10.0, 1.1)];
    let accept = |pattern: &str, bound: f64| Acceptance {
        pattern: pattern.into(),
        bound,
        reason: "on purpose".into(),
        commit: "c".repeat(40),
    };
    let acceptances = [
        accept("*/cpu_us_per_request_http", 0.15),
        accept("nope/*", 0.5),
    ];
    let judged = |acceptances: &[Acceptance]| {
        judge(&Evidence {
            baseline: None,
            current: &current,
            paired: Some(PairedRun {
                rev: "main",
                trials: &trials,
                counts: None,
            }),
            thresholds: &defaults(),
            comparable_machine: true,
            required: &[],
            pull: Some(PullEvidence {
                acceptances,
                refresh: Some(&Refresh::Unchanged),
                refreshed: None,
            }),
        })
    };
    let j = judged(&acceptances);
    assert_eq!(j.rows[0].figure, http, "{:?}", j.rows);
    assert_eq!(j.rows[0].verdict, Verdict::Accepted);
    assert_eq!(j.verdict, GateVerdict::Pass);
    assert!(
        matches!(&j.warnings[0], GateWarning::AcceptsNothing { acceptance } if acceptance.pattern == "nope/*"),
        "{:?}",
        j.warnings
    );
    // +10% is beyond a +5% bound: a failure.
    let j = judged(&[accept("*/*", 0.05)]);
    assert_eq!(row(&j, CPU, http).verdict, Verdict::Regressed);
    assert_eq!(j.verdict.exit(), Exit::Fail);
}
