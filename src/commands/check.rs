//! `check`, `baseline save|show` and `compare`: the gate's commands. They
//! turn arguments into a [`GateRequest`], call the gate (`crate::gate`),
//! render its events and outcome, and choose the exit code.

use crate::figure::environment::Environment;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::{
    cancel_on_interrupt, check_outputs, emit, print_out, progress, runtime, Ctx, Renderings,
};
use crate::baseline::compare::{self, ThresholdLookup};
use crate::baseline::model::{Baseline, BASELINE_SCHEMA_VERSION};
use crate::baseline::store;
use crate::cli::{CheckArgs, CompareArgs, Format, OutputArgs, SaveArgs, ShowArgs};
use crate::config::Config;
use crate::error::{Error, Exit, Result};
use crate::figure::MachineInfo;
use crate::gate::{self, BaselineRef, GateEvent, GateOutcome, GateRequest, GateVerdict, Observer};
use crate::git;
use crate::git::GitInfo;
use crate::report;
use crate::report::check::CheckOutput;
use crate::suite::Event;
use ratecheck_engine::run::ProgressFn;

pub(super) use crate::gate::baseline_file;

/// `cargo ratecheck [check]`.
pub fn check(ctx: &Ctx, args: CheckArgs) -> Result<Exit> {
    check_outputs(&args.output)?;
    if !args.merge.is_empty() {
        return merge(ctx, &args.merge, &args.output);
    }
    let req = GateRequest {
        manifest_path: ctx.manifest_path.clone(),
        baseline: args.baseline.clone(),
        no_baseline: args.no_baseline,
        baseline_rev: args.baseline_rev.clone(),
        against: args.against.clone(),
        quick: args.quick,
        scenarios: args.scenario.clone(),
        strict_machine: args.strict_machine,
        require_judged: args.require_judged.clone(),
        part: args.shard,
    };
    let terminal = Terminal::new(ctx);
    let outcome = interruptible(|cancel| async move { gate::run(&req, &terminal, &cancel).await })?;
    let exit = outcome.verdict.exit();
    emit_check(ctx, &CheckOutput::new(outcome), &args.output)?;
    Ok(exit)
}

/// `check --merge PART.json…`: the parts of a split run, read, checked to
/// be one run and merged into its one verdict and report.
fn merge(ctx: &Ctx, files: &[std::path::PathBuf], output: &OutputArgs) -> Result<Exit> {
    let mut parts = Vec::with_capacity(files.len());
    for f in files {
        parts.push((f.display().to_string(), load_part(f)?));
    }
    let (merged, verdict) = report::merge::merge(parts).map_err(|e| Error::new(e.to_string()))?;
    emit_check(ctx, &merged, output)?;
    Ok(verdict.exit())
}

/// A part's file, read and parsed; a missing, truncated or corrupt one is
/// an error naming it.
fn load_part(path: &Path) -> Result<CheckOutput> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(format!(
            "{shown}: cannot read this part: {e}; give the --json files of check --shard i/N"
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        use serde_json::error::Category;
        let how = match e.classify() {
            Category::Eof => "truncated JSON",
            Category::Syntax | Category::Io => "not valid JSON",
            Category::Data => "not a check result",
        };
        Error::new(format!(
            "{shown}: {how} ({e}): corrupt part; re-run its part (check --shard i/N --json PATH)"
        ))
    })
}

/// Runs `work` on a runtime, with Ctrl-C or SIGTERM cancelling its token.
fn interruptible<T, F>(work: impl FnOnce(CancellationToken) -> F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        let (watcher, _) = cancel_on_interrupt(&cancel);
        let r = work(cancel).await;
        watcher.abort();
        r
    })
}

/// The gate's events on standard error: notes, and on a terminal a
/// progress bar per engine run and one counting the pairs.
struct Terminal<'a> {
    ctx: &'a Ctx,
    /// The bars of the suite step running.
    bars: Mutex<Vec<ProgressBar>>,
    /// The bar of the paired run.
    pairs: Mutex<Option<ProgressBar>>,
}

impl<'a> Terminal<'a> {
    fn new(ctx: &'a Ctx) -> Terminal<'a> {
        Terminal {
            ctx,
            bars: Mutex::new(Vec::new()),
            pairs: Mutex::new(None),
        }
    }

    fn suite_event(&self, e: &Event) {
        match e {
            Event::Note(note) => self.ctx.note(note),
            Event::Finished { name, seconds } => {
                if self.ctx.verbose {
                    self.ctx.note(format!("  {name}: {seconds:.1} s"));
                }
                for b in self
                    .bars
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .drain(..)
                {
                    b.finish_and_clear();
                }
            }
            Event::Started { .. } => {}
        }
    }

    fn pairs_event(&self, e: &GateEvent<'_>) {
        let mut bar = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
        match *e {
            GateEvent::PairsStarted { rev, pairs } => {
                *bar = progress::count_bar(self.ctx, &format!("paired with {rev}"), pairs);
            }
            GateEvent::Pair { done, pairs } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(done as u64);
                }
                if self.ctx.verbose {
                    self.ctx.note(format!("  paired {done}/{pairs}"));
                }
            }
            GateEvent::PairsFinished => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

impl Observer for Terminal<'_> {
    fn event(&self, e: &GateEvent<'_>) {
        let ctx = self.ctx;
        match *e {
            GateEvent::Comparing {
                origin,
                configuration,
            } => ctx.note(format!(
                "ratecheck: comparing with {origin}{}",
                configuration
                    .map(|m| format!(", configuration from {m}"))
                    .unwrap_or_default()
            )),
            GateEvent::NoBaseline { against: Some(rev) } => ctx.note(format!(
                "ratecheck: no baseline (--no-baseline): floors, both builds' counts, and CPU, memory and latency paired with {rev}"
            )),
            GateEvent::NoBaseline { against: None } => {
                ctx.note("ratecheck: no baseline (--no-baseline): floors only");
            }
            GateEvent::Building { rev } => {
                ctx.note(format!("ratecheck: building {rev} (cargo build --release)…"));
            }
            GateEvent::Built {
                rev,
                commit,
                seconds,
            } => ctx.note(format!(
                "ratecheck: built {rev} (commit {}) in {seconds:.0} s",
                git::short_sha(commit)
            )),
            GateEvent::Suite(e) => self.suite_event(e),
            GateEvent::Counting { rev } => ctx.note(format!(
                "ratecheck: counting instructions and allocations of {rev} and this build (callgrind)…"
            )),
            GateEvent::PairsStarted { .. } | GateEvent::Pair { .. } | GateEvent::PairsFinished => {
                self.pairs_event(e);
            }
        }
    }

    fn progress(&self, label: &str) -> Option<ProgressFn> {
        progress::bar(self.ctx, label).map(|b| {
            self.bars
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(b.bar);
            b.feed
        })
    }
}

/// Prints a check result, writes files, and talks to GitHub Actions.
fn emit_check(ctx: &Ctx, out: &CheckOutput, o: &OutputArgs) -> Result<()> {
    emit(
        o,
        &Renderings {
            human: || report::text::render_check(out, ctx.color),
            json: || report::json::check_json(out),
            markdown: || report::markdown::render_check_md(out),
            html: || report::html::render_check_html(out),
        },
    )?;
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
    let head = git::head_info_excluding(&config.workspace_root, &gate::ignored_for_dirty(&config))?;
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
    let steps = gate::plan(&config, args.quick, &[])?;
    let terminal = Terminal::new(ctx);
    let suite = interruptible(|cancel| {
        let config = &config;
        let terminal = &terminal;
        async move { gate::measure(config, steps, args.quick, terminal, &cancel).await }
    })?;
    let thresholds = ThresholdLookup::new(config.thresholds, config.overrides());
    let problems: Vec<String> = gate::baseline_problems(&suite, &thresholds)
        .iter()
        .map(report::format::baseline_problem_text)
        .collect();
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
    let shown = gate::shown_path(&config.workspace_root, &path);
    print_out(&match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&b).unwrap_or_default()),
        Format::Human | Format::Markdown => {
            let thresholds = ThresholdLookup::new(config.thresholds, config.overrides());
            let rows = compare::compare(None, &b.suite, &thresholds, true);
            let out = CheckOutput::new(GateOutcome {
                baseline: Some(BaselineRef {
                    origin: shown.clone(),
                    git: Some(b.git.clone()),
                }),
                against: None,
                base_of_rev: None,
                head: None,
                commits_between: None,
                environment: Environment::default(),
                current: b.suite.clone(),
                verdict: GateVerdict::of(&rows),
                rows,
                warnings: Vec::new(),
                configuration: None,
                required_unjudged: Vec::new(),
                part: None,
            });
            let machine = format!(
                "baseline {shown}: tool {}, measured on {} ({} cores, {}, {})\n",
                b.tool_version, b.machine.cpu_model, b.machine.cores, b.machine.os, b.machine.rustc
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
    let thresholds = config
        .as_ref()
        .map(|c| ThresholdLookup::new(c.thresholds, c.overrides()))
        .unwrap_or_default();
    let judged = gate::judge(&gate::Evidence {
        baseline: Some(&old),
        current: &new,
        paired: None,
        thresholds: &thresholds,
        comparable_machine: true,
        required: &[],
        pull: None,
    });
    let exit = judged.verdict.exit();
    // What the two files record of their builds is all that is known here.
    let environment = Environment {
        build: match (&old.build, &new.build) {
            (Some(o), Some(n)) => n.changes(o),
            _ => Vec::new(),
        },
        ..Environment::default()
    };
    let out = CheckOutput::new(GateOutcome {
        baseline: Some(BaselineRef {
            origin: args.old.display().to_string(),
            git: None,
        }),
        against: None,
        base_of_rev: None,
        head: None,
        commits_between: None,
        environment,
        current: new,
        rows: judged.rows,
        warnings: judged.warnings,
        configuration: None,
        required_unjudged: judged.required_unjudged,
        part: None,
        verdict: judged.verdict,
    });
    emit_check(ctx, &out, &args.output)?;
    Ok(exit)
}
