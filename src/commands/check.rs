//! `check`, `baseline save|show` and `compare`: the gate. Order matters:
//! configuration and baseline are loaded and validated before the suite
//! runs, so a bad one fails in a second, not after a minute of measuring.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::{cancel_on_interrupt, check_outputs, print_out, progress, runtime, write_output, Ctx};
use crate::baseline::compare::{self, Row, RowKind};
use crate::baseline::model::{Baseline, GitInfo, BASELINE_SCHEMA_VERSION};
use crate::baseline::store;
use crate::cli::{CheckArgs, CompareArgs, Format, OutputArgs, SaveArgs, ShowArgs};
use crate::config::Config;
use crate::error::{Error, Exit, Result};
use crate::figure::{FigureKind, MachineInfo, SuiteResult};
use crate::git;
use crate::report;
use crate::report::check::CheckOutput;
use crate::revision::{self, paired::PairedTrials, BuiltRevision};
use crate::suite::{self, Event, SuiteRun};

/// A baseline located and parsed.
struct LoadedBaseline {
    origin: String,
    baseline: Baseline,
}

/// Resolves `--baseline NAME|PATH` to a file path: a value ending in `.json`
/// is a path, anything else a name under the baseline directory.
pub(super) fn baseline_file(config: &Config, arg: Option<&str>) -> Result<PathBuf> {
    match arg {
        Some(p) if p.ends_with(".json") && (p.contains('/') || p.contains('\\')) => {
            Ok(PathBuf::from(p))
        }
        Some(name) => Ok(store::baseline_path(&config.baseline_dir, name)?),
        None => Ok(store::baseline_path(
            &config.baseline_dir,
            &config.baseline,
        )?),
    }
}

fn load_baseline(config: &Config, args: &CheckArgs) -> Result<Option<LoadedBaseline>> {
    if args.no_baseline {
        return Ok(None);
    }
    let path = baseline_file(config, args.baseline.as_deref())?;
    let baseline = match &args.baseline_rev {
        None => LoadedBaseline {
            origin: path.display().to_string(),
            baseline: store::load(&path)?,
        },
        Some(rev) => {
            let root = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
                Error::new(format!(
                    "--baseline-rev {rev}: {} is not in a git repository",
                    config.workspace_root.display()
                ))
            })?;
            let abs = if path.is_absolute() {
                path.clone()
            } else {
                std::env::current_dir()?.join(&path)
            };
            let rel = abs.strip_prefix(&root).unwrap_or(&path).to_path_buf();
            let bytes = git::read_file_at_rev(&root, rev, &rel)?;
            let origin = format!("{rev}:{}", rel.display());
            LoadedBaseline {
                baseline: store::parse(&bytes, &origin)?,
                origin,
            }
        }
    };
    Ok(Some(baseline))
}

/// Paths that never make the tree "dirty" for the gate's purposes.
fn ignored_for_dirty(config: &Config) -> Vec<PathBuf> {
    vec![config.baseline_dir.clone(), config.target_dir.clone()]
}

/// Runs the suite with progress on a terminal; Ctrl-C → no verdict.
fn measure(ctx: &Ctx, config: &Config, quick: bool, patterns: &[String]) -> Result<SuiteResult> {
    let steps = suite::plan(config.scenarios.as_deref(), quick, patterns);
    if steps.is_empty() && !patterns.is_empty() {
        return Err(Error::new(format!(
            "--scenario {}: no scenario matches; names are: {}",
            patterns.join(", "),
            suite::plan(config.scenarios.as_deref(), quick, &[])
                .iter()
                .map(|s| s.name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let rt = runtime()?;
    rt.block_on(async {
        let cancel = CancellationToken::new();
        let (watcher, _) = cancel_on_interrupt(&cancel);
        let bars: Mutex<Vec<indicatif::ProgressBar>> = Mutex::new(Vec::new());
        let on_event = |e: &Event| {
            if let Event::Note(note) = e {
                ctx.note(note);
            }
            if let Event::Finished { name, seconds } = e {
                if ctx.verbose {
                    ctx.note(format!("  {name}: {seconds:.1} s"));
                }
                for b in bars.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
                    b.finish_and_clear();
                }
            }
        };
        let make_progress = |label: &str| {
            progress::bar(ctx, label).map(|(b, f)| {
                bars.lock().unwrap_or_else(|e| e.into_inner()).push(b);
                f
            })
        };
        let result = suite::run_suite(SuiteRun {
            steps,
            trials: config.trials,
            quick,
            cancel,
            on_event: &on_event,
            progress: &make_progress,
            services: &config.services,
            workspace_root: &config.workspace_root,
        })
        .await;
        watcher.abort();
        result
    })
}

/// `cargo ratecheck [check]`.
pub fn check(ctx: &Ctx, args: CheckArgs) -> Result<Exit> {
    check_outputs(&args.output)?;
    let mut warnings = Vec::new();
    // With --baseline-rev the whole configuration (thresholds, trials,
    // baseline name and directory, scenarios) is the one committed at REV,
    // so a change cannot loosen the gate that judges it.
    let (config, config_origin) = match &args.baseline_rev {
        None => (Config::load(ctx.manifest_path.as_deref())?, None),
        Some(rev) => {
            let at = Config::load_at_rev(ctx.manifest_path.as_deref(), rev)?;
            if let Some(note) = config_at_rev_note(rev, &at) {
                warnings.push(note);
            }
            (at.config, Some(at.manifest))
        }
    };
    let loaded = load_baseline(&config, &args)?;
    if let Some(rev) = &args.against {
        // Before any note: a revision that does not exist is bad input.
        revision::build::resolve(&config.workspace_root, rev)?;
    }
    let head = git::head_info_excluding(&config.workspace_root, &ignored_for_dirty(&config))?;
    let mut commits_between = None;
    if let Some(l) = &loaded {
        if let Some(commit) = &l.baseline.git.commit {
            let rel = git::relation(&config.workspace_root, commit);
            commits_between = rel.commits_between;
            warnings.extend(git::tie_warnings(&l.baseline.git, head.as_ref(), rel));
        } else {
            warnings.extend(git::tie_warnings(
                &l.baseline.git,
                head.as_ref(),
                git::Relation::UNKNOWN,
            ));
        }
    } else if head.is_none() {
        warnings.push("not in a git repository: the current commit is unknown".to_string());
    }
    let machine = MachineInfo::detect();
    let comparable = match &loaded {
        Some(l) => {
            let same = l.baseline.machine.same_machine(&machine);
            if !same {
                warnings.push(format!(
                    "the baseline was measured on another machine ({}, {} cores; this is {}, {} cores): wall-clock CPU, peak memory and latency are not compared (instruction and allocation counts are){}",
                    l.baseline.machine.cpu_model,
                    l.baseline.machine.cores,
                    machine.cpu_model,
                    machine.cores,
                    if args.strict_machine { " — compared anyway (--strict-machine)" } else { "" }
                ));
            }
            same || args.strict_machine
        }
        None => true,
    };
    if !ctx.quiet {
        if let Some(l) = &loaded {
            ctx.note(format!(
                "ratecheck: comparing with {}{}",
                l.origin,
                config_origin
                    .map(|m| format!(", configuration from {m}"))
                    .unwrap_or_default()
            ));
        } else if let Some(rev) = &args.against {
            ctx.note(format!(
                "ratecheck: no baseline (--no-baseline): floors, and CPU, memory and latency paired with {rev}"
            ));
        } else {
            ctx.note("ratecheck: no baseline (--no-baseline): floors only");
        }
    }

    let base = match &args.against {
        Some(rev) => Some(build_base(ctx, &config, rev)?),
        None => None,
    };
    if let (Some(b), Some(h)) = (&base, &head) {
        if h.dirty {
            warnings.push(format!(
                "the working tree has uncommitted changes: they are measured as they are against {}",
                b.rev
            ));
        }
    }
    let current = measure(ctx, &config, args.quick, &args.scenario)?;
    let paired = match &base {
        Some(b) => Some(measure_paired(ctx, &config, &args, b)?),
        None => None,
    };
    let rows: Vec<Row> = compare::compare(
        loaded.as_ref().map(|l| &l.baseline.suite),
        &current,
        &config.thresholds,
        &config.overrides(),
        comparable,
    );
    let rows = explain_floors(rows, &current);
    let rows = match (&base, &paired) {
        (Some(b), Some(p)) => revision::apply_paired(rows, p, &b.rev, &|scenario| {
            config.thresholds_for(scenario).latency_slack_ms
        }),
        _ => rows,
    };
    let passed = compare::gate_passed(&rows);
    warnings.extend(compare::warnings(&rows));
    let paired_origin = base.as_ref().map(|b| {
        (
            format!("a paired run of {}", b.rev),
            GitInfo {
                commit: Some(b.commit.clone()),
                ..GitInfo::default()
            },
        )
    });
    let out = CheckOutput {
        schema_version: BASELINE_SCHEMA_VERSION,
        passed,
        judged: true,
        baseline_path: loaded
            .as_ref()
            .map(|l| l.origin.clone())
            .or_else(|| paired_origin.as_ref().map(|p| p.0.clone())),
        baseline_git: loaded
            .as_ref()
            .map(|l| l.baseline.git.clone())
            .or_else(|| paired_origin.map(|p| p.1)),
        head_git: head,
        commits_between,
        current,
        summary: compare::summary(&rows),
        rows,
        warnings,
    };
    emit_check(ctx, &out, &args.output)?;
    Ok(if passed { Exit::Pass } else { Exit::Fail })
}

/// `--against REV`: builds REV's binary (before the suite runs, so a
/// revision that does not exist or build fails in seconds). Needs this
/// process to be the cargo-ratecheck binary, the other side of the pairs.
fn build_base(ctx: &Ctx, config: &Config, rev: &str) -> Result<BuiltRevision> {
    if suite::child::fresh_process_exe().is_none() {
        return Err(Error::new(format!(
            "--against {rev}: run from the cargo-ratecheck binary (cargo ratecheck, or cargo run --release -- ratecheck)"
        )));
    }
    let root = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
        Error::new(format!(
            "--against {rev}: {} is not in a git repository",
            config.workspace_root.display()
        ))
    })?;
    let started = std::time::Instant::now();
    ctx.note(format!(
        "ratecheck: building {rev} (cargo build --release)…"
    ));
    let rt = runtime()?;
    let built = rt.block_on(async {
        let cancel = CancellationToken::new();
        let (watcher, _) = cancel_on_interrupt(&cancel);
        let r = revision::build_at(&root, rev, &config.target_dir, &cancel).await;
        watcher.abort();
        r
    })?;
    ctx.note(format!(
        "ratecheck: built {rev} (commit {}) in {:.0} s",
        git::short_sha(&built.commit),
        started.elapsed().as_secs_f64()
    ));
    Ok(built)
}

/// `--against REV`: the paired run of the time-based figures, base and
/// current binary alternating.
fn measure_paired(
    ctx: &Ctx,
    config: &Config,
    args: &CheckArgs,
    base: &BuiltRevision,
) -> Result<Vec<PairedTrials>> {
    let exe = suite::child::fresh_process_exe()
        .ok_or_else(|| Error::new("--against: not the cargo-ratecheck binary"))?;
    let staged_base = revision::build::stage(&config.target_dir, &base.binary, "base")?;
    let current = revision::build::stage(&config.target_dir, &exe, "current")?;
    let steps = suite::plan(config.scenarios.as_deref(), args.quick, &args.scenario);
    let specs = revision::run::paired_specs(&steps);
    let pairs = suite::bench_trials(config.trials).max(revision::run::MIN_PAIRS);
    let rt = runtime()?;
    rt.block_on(async {
        let cancel = CancellationToken::new();
        let (watcher, _) = cancel_on_interrupt(&cancel);
        let bar = progress::count_bar(ctx, &format!("paired with {}", base.rev), pairs);
        let on_pair = |i: usize| {
            if let Some(b) = &bar {
                b.set_position(i as u64);
            }
            if ctx.verbose {
                ctx.note(format!("  paired {i}/{pairs}"));
            }
        };
        let r = revision::run::run_paired(
            staged_base.path.clone(),
            current.path.clone(),
            &base.rev,
            specs,
            pairs,
            &cancel,
            &on_pair,
        )
        .await;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        watcher.abort();
        r
    })
}

/// The warning `check --baseline-rev REV` gives when the working tree's
/// configuration differs from REV's, which was used.
fn config_at_rev_note(rev: &str, at: &crate::config::AtRev) -> Option<String> {
    if at.differences.is_empty() {
        return None;
    }
    Some(format!(
        "the configuration at `{rev}` ({}, commit {}) was used: this tree's changes to {} do not apply until they land there",
        at.manifest,
        git::short_sha(&at.commit),
        at.differences.join(", ")
    ))
}

/// Adds the engine's explanation (its first warning) to every efficiency
/// row below its floor, so the table says why, not only that; a service
/// that exited gets its one line (how it ended, its last line of stderr).
fn explain_floors(mut rows: Vec<Row>, current: &SuiteResult) -> Vec<Row> {
    for row in &mut rows {
        if row.verdict != compare::Verdict::BelowFloor {
            continue;
        }
        let Some(scenario) = current.scenarios.iter().find(|s| s.name == row.scenario) else {
            continue;
        };
        if row.kind == RowKind::Figure(FigureKind::Alive) {
            if let Some(crash) = &scenario.service_crash {
                row.note = crash.line();
            }
        } else if row.kind == RowKind::Figure(FigureKind::Efficiency) {
            if let Some(cause) = scenario.warnings.first() {
                row.note = format!("{}: {cause}", row.note);
            }
        }
    }
    rows
}

/// Prints a check result, writes files, and talks to GitHub Actions.
fn emit_check(ctx: &Ctx, out: &CheckOutput, o: &OutputArgs) -> Result<()> {
    // Standard output first: a failed file write must not lose the verdict.
    print_out(&match o.format {
        Format::Human => report::text::render_check(out, ctx.color),
        Format::Json => report::json::check_json(out),
        Format::Markdown => report::markdown::render_check_md(out),
    });
    if let Some(p) = &o.json {
        write_output("--json", p, report::json::check_json(out).as_bytes())?;
    }
    if let Some(p) = &o.html {
        write_output("--html", p, report::html::render_check_html(out).as_bytes())?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let md = report::markdown::render_check_md(out);
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .and_then(|mut f| f.write_all(md.as_bytes()));
        if let Err(e) = appended {
            ctx.note(format!(
                "warning: cannot append to GITHUB_STEP_SUMMARY {}: {e}",
                Path::new(&summary).display()
            ));
        }
    }
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        for line in report::markdown::github_annotations(out) {
            print_out(&format!("{line}\n"));
        }
    }
    Ok(())
}

/// `cargo ratecheck baseline save`.
pub fn baseline_save(ctx: &Ctx, args: SaveArgs) -> Result<Exit> {
    let config = Config::load(ctx.manifest_path.as_deref())?;
    let name = args.name.clone().unwrap_or_else(|| config.baseline.clone());
    let path = store::baseline_path(&config.baseline_dir, &name)?;
    let head = git::head_info_excluding(&config.workspace_root, &ignored_for_dirty(&config))?;
    match &head {
        Some(h) if h.dirty && !args.allow_dirty => {
            return Err(Error::new(
                "the working tree has uncommitted changes: commit them first so the baseline is tied to a commit, or pass --allow-dirty",
            ))
        }
        None => ctx.note("warning: not in a git repository: the baseline names no commit"),
        _ => {}
    }
    // Fail now, not after the suite, if the directory cannot be written.
    std::fs::create_dir_all(&config.baseline_dir).map_err(|e| {
        Error::new(format!(
            "cannot create the baseline directory {}: {e}",
            config.baseline_dir.display()
        ))
    })?;
    let suite = measure(ctx, &config, args.quick, &[])?;
    // A baseline is what later runs must hold: one measured while a floor
    // failed, or too noisy to tell a regression from its own spread, would
    // make every later verdict meaningless.
    let rows = compare::compare(None, &suite, &config.thresholds, &config.overrides(), true);
    let mut problems: Vec<String> = rows
        .iter()
        .filter(|r| r.verdict.fails())
        .map(|r| format!("{} / {}: {}", r.scenario, r.figure, r.note))
        .collect();
    problems.extend(compare::too_noisy(
        &suite,
        &config.thresholds,
        &config.overrides(),
    ));
    if !problems.is_empty() {
        if !args.force {
            eprintln!(
                "error: not saving {}: {} (re-run on a quieter machine, or pass --force to save anyway)",
                path.display(),
                problems.join("; ")
            );
            return Ok(Exit::Fail);
        }
        ctx.note(format!(
            "warning: saving despite --force: {}",
            problems.join("; ")
        ));
    }
    let baseline = Baseline {
        schema_version: BASELINE_SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        git: head.unwrap_or_else(GitInfo::default),
        machine: MachineInfo::detect(),
        settings: config.settings_json(),
        suite,
    };
    store::save_atomic(&path, &baseline)?;
    print_out(&format!(
        "saved {} ({} scenarios, commit {})\n",
        path.display(),
        baseline.suite.scenarios.len(),
        baseline
            .git
            .commit
            .as_deref()
            .map(git::short_sha)
            .unwrap_or("unknown"),
    ));
    Ok(Exit::Pass)
}

/// `cargo ratecheck baseline show [NAME]`.
pub fn baseline_show(ctx: &Ctx, args: ShowArgs) -> Result<Exit> {
    let config = Config::load(ctx.manifest_path.as_deref())?;
    let path = baseline_file(&config, args.name.as_deref())?;
    let b = store::load(&path)?;
    print_out(&match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&b).unwrap_or_default()),
        Format::Human | Format::Markdown => {
            let out = CheckOutput {
                schema_version: BASELINE_SCHEMA_VERSION,
                passed: true,
                judged: true,
                baseline_path: Some(path.display().to_string()),
                baseline_git: Some(b.git.clone()),
                head_git: None,
                commits_between: None,
                rows: compare::compare(
                    None,
                    &b.suite,
                    &config.thresholds,
                    &config.overrides(),
                    true,
                ),
                current: b.suite.clone(),
                warnings: vec![],
                summary: String::new(),
            };
            let machine = format!(
                "baseline {}: tool {}, measured on {} ({} cores, {}, {})\n",
                path.display(),
                b.tool_version,
                b.machine.cpu_model,
                b.machine.cores,
                b.machine.os,
                b.machine.rustc
            );
            let body = if args.format == Format::Markdown {
                report::markdown::render_check_md(&out)
            } else {
                report::text::render_check(&out, ctx.color)
            };
            format!("{machine}{body}")
        }
    });
    Ok(Exit::Pass)
}

/// `cargo ratecheck compare OLD NEW`: the diff table, offline.
pub fn compare(ctx: &Ctx, args: CompareArgs) -> Result<Exit> {
    check_outputs(&args.output)?;
    let old = store::load_report_or_baseline(&args.old)?;
    let new = store::load_report_or_baseline(&args.new)?;
    let config = Config::load(ctx.manifest_path.as_deref()).ok();
    let thresholds = config.as_ref().map(|c| c.thresholds).unwrap_or_default();
    let overrides = config.as_ref().map(|c| c.overrides()).unwrap_or_default();
    let rows = compare::compare(Some(&old), &new, &thresholds, &overrides, true);
    let passed = compare::gate_passed(&rows);
    let out = CheckOutput {
        schema_version: BASELINE_SCHEMA_VERSION,
        passed,
        judged: true,
        baseline_path: Some(args.old.display().to_string()),
        baseline_git: None,
        head_git: None,
        commits_between: None,
        current: new,
        summary: compare::summary(&rows),
        warnings: compare::warnings(&rows),
        rows,
    };
    emit_check(ctx, &out, &args.output)?;
    Ok(if passed { Exit::Pass } else { Exit::Fail })
}
