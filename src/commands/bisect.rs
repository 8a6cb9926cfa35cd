//! `bisect`: the IO edge of the binary search for the first bad commit.
//! Order: the arguments, the configuration (the target directory) and the
//! first-parent range are checked before anything is built, so a revision
//! that does not exist or is not an ancestor fails in a second. Then the
//! search of `revision::bisect` asks for probes and this module measures
//! them: builds each commit's `cargo-ratecheck` and measures its figure
//! (`revision::probe`), or runs `--command` in its checked-out tree
//! (`revision::command`), in `bisect/measure.rs`. How a measurement marks
//! its commit is decided there (`revision::bisect::Judge`,
//! `revision::command::mark_of`); this module says and renders it. Ctrl-C stops the build or the command,
//! removes the tree and exits 130.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{cancel_on_interrupt, check_outputs, print_out, progress, runtime, write_output, Ctx};
use crate::cli::{BisectArgs, Format, OutputArgs};
use crate::config::Config;
use crate::error::{Error, Exit, Result};
use crate::git;
use crate::git::CommitInfo;
use crate::report::bisect::{
    probe_value_text, render_bisect_json, render_bisect_md, render_bisect_text, BisectReport,
    Found, ProbeRow,
};
use crate::revision::bisect::{bound, Conclusion, Judge, Mark, Next, Search};
use crate::revision::probe::{self, BisectFigure, Measure};
use crate::suite::instructions;

mod measure;

/// How probes are judged.
enum Mode {
    /// Build each commit and measure this figure with its binary.
    Build(BisectFigure),
    /// Run this command in each commit's tree.
    Command { cmd: String, timeout: Duration },
}

impl Mode {
    /// The mode `args` ask for: `--command`, else the figure `--figure`
    /// names (by default the HTTP instruction count).
    fn of(args: &BisectArgs) -> Result<Mode> {
        match &args.command {
            Some(cmd) if cmd.trim().is_empty() => Err(Error::new(
                "--command: empty; give the shell command that judges a commit (exit 0 good, 125 skip, 1-127 bad)",
            )),
            Some(cmd) => Ok(Mode::Command {
                cmd: cmd.clone(),
                timeout: args.timeout,
            }),
            None => {
                let name = args.figure.clone().unwrap_or_else(probe::default_figure);
                Ok(Mode::Build(probe::choose(&name).map_err(Error::new)?))
            }
        }
    }

    /// An error when a tool the mode needs is missing (valgrind, for
    /// instruction counts).
    fn check_tools(&self) -> Result<()> {
        match self {
            Mode::Build(f)
                if matches!(f.measure, Measure::Instructions(_))
                    && instructions::valgrind_version().is_none() =>
            {
                Err(Error::new(format!(
                    "--figure {}: instruction counts need valgrind; install it (e.g. apt-get install valgrind), or bisect by --figure cpu_us_per_request_http or --command",
                    f.name
                )))
            }
            _ => Ok(()),
        }
    }
}

/// `cargo ratecheck bisect`.
pub fn bisect(ctx: &Ctx, args: BisectArgs) -> Result<Exit> {
    check_outputs(&OutputArgs {
        format: args.format,
        json: args.json.clone(),
        html: None,
        markdown: None,
    })?;
    let mode = Mode::of(&args)?;
    let config = Config::load(ctx.manifest_path.as_deref())?;
    let root = git::repo_root(&config.workspace_root)?.ok_or_else(|| {
        Error::new(format!(
            "bisect: {} is not in a git repository",
            config.workspace_root.display()
        ))
    })?;
    let commits = git::first_parent_range(&root, &args.good, &args.bad, git::MAX_RANGE)?;
    mode.check_tools()?;
    announce(ctx, &args, &commits);
    let started = Instant::now();
    let searched = runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        let (watcher, _) = cancel_on_interrupt(&cancel);
        let mut b = Bisector {
            ctx,
            args: &args,
            root: &root,
            target_dir: &config.target_dir,
            commits: &commits,
            mode: &mode,
            cancel: &cancel,
            bar: progress::count_bar(ctx, "bisect", bound(commits.len())),
            judge: Judge::default(),
            good_binary: None,
            built: 0,
        };
        let r = b.search_with_bar().await;
        watcher.abort();
        r
    })?;
    let report = report(&args, &mode, &commits, searched, started);
    render(ctx, &args, &report)
}

/// The note that starts a search: how many commits, at most how many
/// builds or runs.
fn announce(ctx: &Ctx, args: &BisectArgs, commits: &[CommitInfo]) {
    let n = commits.len() - 1;
    ctx.note(format!(
        "ratecheck: bisecting {n} commit{} after {} ({}), at most {} {} without skips",
        if n == 1 { "" } else { "s" },
        args.good,
        git::short_sha(&commits[0].commit),
        bound(commits.len()),
        if args.command.is_some() {
            "runs"
        } else {
            "builds"
        }
    ));
}

/// A search's end: the conclusion, the probes in order, the skipped
/// commits, the binaries built.
struct Searched {
    found: Found,
    probes: Vec<ProbeRow>,
    skipped: Vec<CommitInfo>,
    built: usize,
}

/// The report of a search over `commits` started at `started`.
fn report(
    args: &BisectArgs,
    mode: &Mode,
    commits: &[CommitInfo],
    searched: Searched,
    started: Instant,
) -> BisectReport {
    let n = commits.len() - 1;
    let (figure, unit) = match mode {
        Mode::Build(f) => (Some(f.name.clone()), f.unit.clone()),
        Mode::Command { .. } => (args.figure.clone(), String::new()),
    };
    BisectReport {
        good_rev: args.good.clone(),
        bad_rev: args.bad.clone(),
        good: commits[0].clone(),
        bad: commits[n].clone(),
        candidates: n,
        figure,
        unit,
        command: args.command.clone(),
        probes: searched.probes,
        bound: bound(commits.len()),
        built: matches!(mode, Mode::Build(_)).then_some(searched.built),
        found: searched.found,
        skipped: searched.skipped,
        elapsed_s: started.elapsed().as_secs_f64(),
    }
}

/// Prints the report (and writes `--json`); exit 0 when it names one
/// first bad commit, else 2.
fn render(ctx: &Ctx, args: &BisectArgs, report: &BisectReport) -> Result<Exit> {
    // Standard output first: a failed file write must not lose the answer.
    print_out(&match args.format {
        Format::Human => render_bisect_text(report, ctx.color),
        Format::Json => render_bisect_json(report),
        Format::Markdown => render_bisect_md(report),
    });
    if let Some(p) = &args.json {
        write_output("--json", p, render_bisect_json(report).as_bytes())?;
    }
    if report.found_first_bad() {
        Ok(Exit::Pass)
    } else {
        ctx.note("ratecheck: bisect could not name one first bad commit (see above)");
        Ok(Exit::NotJudged)
    }
}

/// The state of one search's measuring.
struct Bisector<'a> {
    ctx: &'a Ctx,
    args: &'a BisectArgs,
    root: &'a Path,
    target_dir: &'a Path,
    commits: &'a [CommitInfo],
    mode: &'a Mode,
    cancel: &'a CancellationToken,
    bar: Option<indicatif::ProgressBar>,
    /// How a measured figure marks its commit (it keeps the endpoints').
    judge: Judge,
    /// Paired figures: the good revision's binary, the other side of the pairs.
    good_binary: Option<PathBuf>,
    /// Binaries built now (not reused).
    built: usize,
}

impl Bisector<'_> {
    /// A note on standard error that does not tear the progress bar.
    fn say(&self, msg: String) {
        match &self.bar {
            Some(b) => b.suspend(|| self.ctx.note(&msg)),
            None => self.ctx.note(msg),
        }
    }

    /// How probe `i` is named in messages: `--good REV`, `--bad REV`, or
    /// `probe SHA`.
    fn what(&self, i: usize) -> String {
        if i == 0 {
            format!("--good {}", self.args.good)
        } else if i == self.commits.len() - 1 {
            format!("--bad {}", self.args.bad)
        } else {
            format!("probe {}", git::short_sha(&self.commits[i].commit))
        }
    }

    /// [`Bisector::search`] under the progress bar, which is cleared after.
    async fn search_with_bar(&mut self) -> Result<Searched> {
        if let Some(bar) = &self.bar {
            bar.enable_steady_tick(Duration::from_millis(500));
        }
        let r = self.search().await;
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        r
    }

    /// Runs the search to its end: the conclusion, the probes in order,
    /// the skipped commits.
    async fn search(&mut self) -> Result<Searched> {
        let len = self.commits.len();
        let mut search =
            Search::new(len, bound(len)).ok_or_else(|| Error::new("bisect: an empty range"))?;
        let mut rows: Vec<ProbeRow> = Vec::new();
        // Bounded: a search probes each commit at most once.
        for _ in 0..=len {
            let i = match search.next() {
                Next::Probe(i) => i,
                Next::Done(c) => {
                    return Ok(Searched {
                        found: self.found(c, &search, &rows)?,
                        probes: rows,
                        skipped: search
                            .skipped()
                            .into_iter()
                            .map(|i| self.commits[i].clone())
                            .collect(),
                        built: self.built,
                    });
                }
            };
            let row = self.probe(i, rows.len() + 1).await?;
            search.record(i, row.verdict);
            rows.push(row);
        }
        Err(Error::new(
            "bisect: the search did not end within one probe per commit",
        ))
    }

    /// Probes commit `i`, the search's `step`th probe: measured, judged
    /// and said.
    async fn probe(&mut self, i: usize, step: usize) -> Result<ProbeRow> {
        let c = &self.commits[i];
        if let Some(b) = &self.bar {
            b.set_message(format!(
                "{} {}",
                git::short_sha(&c.commit),
                crate::report::history::shorten(&c.subject, 40)
            ));
            if step as u64 > b.length().unwrap_or(0) {
                b.set_length(step as u64);
            }
        }
        self.say(format!(
            "bisect: probe {step}: {} {} ({}/{})…",
            git::short_sha(&c.commit),
            c.subject,
            i,
            self.commits.len() - 1
        ));
        let m = self.measure(i).await?;
        self.say(format!(
            "bisect:   {}{}{}",
            m.mark.word(),
            m.value
                .map(|v| format!(", {}", self.shown(v)))
                .unwrap_or_default(),
            if m.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.note)
            }
        ));
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        Ok(ProbeRow {
            position: i,
            commit: self.commits[i].clone(),
            value: m.value,
            ratio: m.ratio,
            verdict: m.mark,
            note: m.note,
        })
    }

    fn shown(&self, v: f64) -> String {
        match self.mode {
            Mode::Build(f) => probe_value_text(&f.unit, v),
            Mode::Command { .. } => probe_value_text("", v),
        }
    }

    /// The search's conclusion as the report's, or the error of an
    /// endpoint that did not confirm.
    fn found(&self, c: Conclusion, search: &Search, rows: &[ProbeRow]) -> Result<Found> {
        let at = |i: usize| self.commits[i].clone();
        match c {
            Conclusion::FirstBad(i) => Ok(Found::FirstBad { commit: at(i) }),
            Conclusion::Among(list) => Ok(Found::Among {
                commits: list.into_iter().map(at).collect(),
            }),
            Conclusion::GaveUp { after, upto } => Ok(Found::GaveUp {
                after: at(after),
                upto: at(upto),
                untested: search.untested(after, upto),
            }),
            Conclusion::Endpoint { index, mark } => {
                let note = rows
                    .iter()
                    .find(|r| r.position == index)
                    .map(|r| r.note.clone())
                    .unwrap_or_default();
                let sha = git::short_sha(&self.commits[index].commit);
                let what = self.what(index);
                Err(Error::new(match (self.mode, index, mark) {
                    (Mode::Command { .. }, 0, Mark::Bad) => format!(
                        "{what} (commit {sha}): the command says bad ({note}); at the good revision it must exit 0"
                    ),
                    (Mode::Command { .. }, _, Mark::Good) => format!(
                        "{what} (commit {sha}): the command says good (exit 0); at the bad revision it must exit 1-127, not 125"
                    ),
                    (Mode::Command { .. }, _, _) => format!(
                        "{what} (commit {sha}): the command skipped it ({note}); the endpoints must be judged"
                    ),
                    (Mode::Build(_), _, _) => format!("{what}: commit {sha} {note}"),
                }))
            }
        }
    }
}
