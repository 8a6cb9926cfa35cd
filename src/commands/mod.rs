//! The command layer: turns parsed arguments into calls on the engine, the
//! suite, the baseline store and the renderers, and results into exit codes.
//! IO lives here (terminal, files, signals); the logic it calls is pure.

mod bisect;
mod check;
mod history;
mod init;
mod merge;
mod progress;
mod run;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::cli::{BaselineCommand, Cargo, ColorChoice, Command, GlobalOpts};
use crate::error::{Error, Result};

/// What every command needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub manifest_path: Option<PathBuf>,
    /// Progress bars go to standard error, only on a terminal.
    pub progress: bool,
}

impl Ctx {
    fn new(g: &GlobalOpts) -> Ctx {
        let stdout_tty = std::io::stdout().is_terminal();
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        };
        Ctx {
            color,
            quiet: g.quiet,
            verbose: g.verbose,
            manifest_path: g.manifest_path.clone(),
            progress: !g.quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A note on standard error, unless `--quiet`.
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }
}

/// Parses the process arguments, runs the command, returns the exit code.
pub fn main() -> i32 {
    let Cargo::Ratecheck(args) = match crate::cli::try_parse_from(std::env::args_os()) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            // Help and version exit 0; usage errors exit 2.
            return e.exit_code();
        }
    };
    let ctx = Ctx::new(&args.global);
    let command = args.command.unwrap_or(Command::Check(args.check));
    let result = match command {
        Command::Check(a) => check::check(&ctx, a),
        Command::Baseline(BaselineCommand::Save(a)) => check::baseline_save(&ctx, a),
        Command::Baseline(BaselineCommand::Show(a)) => check::baseline_show(&ctx, a),
        Command::Compare(a) => check::compare(&ctx, a),
        Command::History(a) => history::history(&ctx, a),
        Command::Init(a) => init::init(&ctx, a),
        Command::Bisect(a) => bisect::bisect(&ctx, a),
        Command::Run(a) => run::run(&ctx, a),
        Command::Merge(a) => merge::merge(&ctx, a),
        Command::SelfTest(a) => run::self_test(&ctx, a),
        Command::Serve(a) => run::serve(&ctx, a),
        Command::CostWorkload(a) => run::cost_workload(a),
    };
    match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("error: {e}");
            e.exit().code()
        }
    }
}

/// A multi-threaded tokio runtime for one command.
fn runtime() -> Result<tokio::runtime::Runtime> {
    runtime_with(None)
}

/// A tokio runtime with `threads` worker threads (default: one per core).
/// One thread means a current-thread runtime: no cross-thread wake-ups, the
/// cheapest in CPU per request when the target runs in another process.
fn runtime_with(threads: Option<usize>) -> Result<tokio::runtime::Runtime> {
    let mut b = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    b.enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the async runtime: {e}")))
}

/// Checks, before anything runs, that `--json`/`--html`/`--markdown` files
/// can be created: their directory must exist. The error names the option.
fn check_outputs(o: &crate::cli::OutputArgs) -> Result<()> {
    for (option, path) in [
        ("--json", &o.json),
        ("--html", &o.html),
        ("--markdown", &o.markdown),
    ] {
        let Some(path) = path else { continue };
        let dir = crate::atomic_write::parent_dir(path);
        if !dir.is_dir() {
            return Err(Error::new(format!(
                "{option} {}: the directory {} does not exist; create it or choose another path",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(Error::new(format!(
                "{option} {}: is a directory; give a file path",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Writes a result file atomically; the error names the option and path.
fn write_output(option: &str, path: &Path, bytes: &[u8]) -> Result<()> {
    crate::report::write::write_atomic(path, bytes)
        .map_err(|e| Error::new(format!("{option} {}: {e:#}", path.display())))
}

/// One report's renderers, each called only for what is asked for.
struct Renderings<H, J, M, W> {
    human: H,
    json: J,
    markdown: M,
    html: W,
}

/// Prints a report in the chosen format, then writes the `--json`,
/// `--html` and `--markdown` files asked for: standard output first, so
/// that a failed file write does not lose the report.
fn emit<H, J, M, W>(o: &crate::cli::OutputArgs, r: &Renderings<H, J, M, W>) -> Result<()>
where
    H: Fn() -> String,
    J: Fn() -> String,
    M: Fn() -> String,
    W: Fn() -> String,
{
    use crate::cli::Format;
    print_out(&match o.format {
        Format::Human => (r.human)(),
        Format::Json => (r.json)(),
        Format::Markdown => (r.markdown)(),
    });
    let write = |option: &str, path: &Option<PathBuf>, render: &dyn Fn() -> String| match path {
        Some(p) => write_output(option, p, render().as_bytes()),
        None => Ok(()),
    };
    write("--json", &o.json, &r.json)?;
    write("--html", &o.html, &r.html)?;
    write("--markdown", &o.markdown, &r.markdown)?;
    Ok(())
}

/// Prints to standard output, ignoring a closed pipe (`| head`).
fn print_out(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Cancels `cancel` on Ctrl-C or SIGTERM. Returns the watcher (abort it when
/// done) and a flag saying whether an interruption happened.
fn cancel_on_interrupt(
    cancel: &tokio_util::sync::CancellationToken,
) -> (
    tokio::task::JoinHandle<()>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn({
        let (cancel, flag) = (cancel.clone(), flag.clone());
        async move {
            interrupted().await;
            // SeqCst: read once after the run by the same task's caller.
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            cancel.cancel();
        }
    });
    (watcher, flag)
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
