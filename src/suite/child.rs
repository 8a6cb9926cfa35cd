//! The child-process protocol of the CPU and memory benches: each bench run
//! is `cargo-ratecheck ratecheck run … --threads 1 --format json` in a fresh
//! process, so earlier scenarios' heap, threads and caches do not tint the
//! figures and `--quick` and full suites measure alike. [`ChildRun`] renders
//! a [`LoadSpec`] as those arguments (tested to parse back to the same
//! spec); where the binary is not at hand (a test harness) the same spec
//! runs in this process on a one-thread runtime of its own.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::{engine_run, SuiteRun};
use crate::duration::format_duration;
use crate::engine_names::OnFull;
use crate::error::Error;
use ratecheck_engine::clock::SharedClock;
use ratecheck_engine::load::{LoadSpec, ServerSpec, TargetSpec};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::ProgressFn;

/// One bench run in a child process: the load spec, on one thread (the
/// engine and the embedded server without cross-thread wake-ups, whose cost
/// depends on how the host schedules a VM's cores and flips between two
/// levels every few seconds with two threads), without the self-test, its
/// report as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRun {
    load: LoadSpec,
}

impl ChildRun {
    /// Engine threads of a child run.
    pub const THREADS: usize = 1;

    /// `None` when `run` has no flags for part of the spec (the embedded
    /// server's jitter and error rate, a service, which the suite starts,
    /// a request mix, path, body file or response check).
    pub fn new(load: LoadSpec) -> Option<ChildRun> {
        load.traffic.as_single()?;
        match &load.target {
            TargetSpec::Embedded(s) if s.jitter != ServerSpec::NONE.jitter => None,
            TargetSpec::Embedded(s) if s.error_rate != ServerSpec::NONE.error_rate => None,
            TargetSpec::Service { .. } => None,
            _ => Some(ChildRun { load }),
        }
    }

    /// The arguments after the program name.
    pub fn args(&self) -> Vec<String> {
        let l = &self.load;
        let d = |d| format_duration(d);
        let mut args: Vec<String> = vec![
            "ratecheck".into(),
            "run".into(),
            "--rps".into(),
            l.rps.to_string(),
            "--duration".into(),
            d(l.duration),
            "--concurrency".into(),
            l.concurrency.to_string(),
            "--ramp-up".into(),
            d(l.ramp_up),
            "--ramp-down".into(),
            d(l.ramp_down),
            "--timeout".into(),
            d(l.timeout),
            "--drain".into(),
            d(l.drain),
            "--on-full".into(),
            word(OnFull::from(l.on_full)),
        ];
        match &l.target {
            TargetSpec::Null => args.push("--null".into()),
            TargetSpec::Url(u) => args.extend(["--url".into(), u.clone()]),
            // The child starts the embedded server in its own process.
            TargetSpec::Embedded(s) => args.extend(["--server-latency".into(), d(s.latency)]),
            // Refused by `new`.
            TargetSpec::Service { .. } => {}
        }
        let c = &l.traffic.client;
        if let Some(p) = &c.cacert {
            args.extend(["--cacert".into(), p.display().to_string()]);
        }
        for (on, flag) in [(c.insecure, "--insecure"), (c.http2, "--http2")] {
            if on {
                args.push(flag.into());
            }
        }
        if let Some(n) = c.connections {
            args.extend(["--connections".into(), n.to_string()]);
        }
        if let Some((method, headers, body)) = l.traffic.as_single() {
            if method != "GET" {
                args.extend(["--method".into(), method.to_string()]);
            }
            for h in headers {
                args.extend(["--header".into(), h.clone()]);
            }
            if let Some(b) = body {
                args.extend(["--body".into(), b.to_string()]);
            }
        }
        args.extend(
            [
                "--threads",
                &Self::THREADS.to_string(),
                "--no-self-test",
                "--quiet",
                "--format",
                "json",
            ]
            .map(String::from),
        );
        args
    }
}

/// The command-line word of a value (`drop` for `--on-full drop`).
fn word(v: impl clap::ValueEnum) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_string())
}

/// This executable, when it is the cargo-ratecheck binary (not a test
/// harness), for the child runs.
pub fn fresh_process_exe() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let name = exe.file_stem()?.to_str()?;
    (name == "cargo-ratecheck").then_some(exe)
}

/// One bench run (CPU or memory), `name` naming it in errors and progress:
/// a [`ChildRun`] when possible, else in this process with the same
/// settings.
pub(super) async fn bench_run(
    name: &str,
    load: &LoadSpec,
    clock: &SharedClock,
    s: &SuiteRun<'_>,
) -> Result<RunReport, Error> {
    let fail = |msg: String| Error::Scenario {
        scenario: name.to_string(),
        msg,
    };
    let (Some(exe), Some(child)) = (fresh_process_exe(), ChildRun::new(load.clone())) else {
        return in_process(name, load, clock, &s.cancel, (s.progress)(name)).await;
    };
    let args = child.args();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
    })
    .await
    .map_err(|e| fail(e.to_string()))?
    .map_err(|e| fail(format!("cannot start the child run: {e}")))?;
    if s.cancel.is_cancelled() {
        return Err(Error::Interrupted);
    }
    if !out.status.success() {
        return Err(fail(format!("the child run failed ({})", out.status)));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| fail(format!("the child run printed no report: {e}")))
}

/// A child run's settings in this process: `load` (its drain included) on a
/// current-thread runtime of its own ([`ChildRun::THREADS`]), in a blocking
/// thread, with the embedded server on that runtime too.
async fn in_process(
    name: &str,
    load: &LoadSpec,
    clock: &SharedClock,
    cancel: &CancellationToken,
    progress: Option<ProgressFn>,
) -> Result<RunReport, Error> {
    let (name, load, clock, cancel) = (
        name.to_string(),
        load.clone(),
        clock.clone(),
        cancel.clone(),
    );
    let scenario = name.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(engine_run(&load, &name, None, clock, cancel, progress))
    })
    .await
    .map_err(|e| Error::Scenario {
        scenario,
        msg: e.to_string(),
    })?
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cli::{Cargo, Command, Format};
    use ratecheck_engine::load::Traffic;
    use ratecheck_engine::run::FullPolicy;

    #[test]
    fn the_arguments_parse_back_to_the_spec() {
        let mut flat_out = LoadSpec::steady(
            ratecheck_engine::load::MAX_RPS,
            Duration::from_millis(300),
            100,
        );
        flat_out.target = TargetSpec::Null;
        flat_out.drain = Duration::ZERO;
        let mut odd = LoadSpec::steady(0.5, Duration::from_millis(1500), 7);
        odd.ramp_up = Duration::from_millis(250);
        odd.ramp_down = Duration::from_secs(2);
        odd.timeout = Duration::from_millis(750);
        odd.on_full = FullPolicy::Wait;
        odd.target = TargetSpec::Embedded(ServerSpec {
            latency: Duration::from_millis(3),
            ..ServerSpec::NONE
        });
        let mut url = LoadSpec::steady(10_000.5, Duration::from_secs(2), 50);
        url.target = TargetSpec::Url("http://127.0.0.1:8080/x".into());
        url.traffic = Traffic::single("PUT", &["X-A: 1".into(), "X-B: 2".into()], Some("{}"));
        let mut h2 = LoadSpec::steady(100.0, Duration::from_secs(1), 8);
        h2.target = TargetSpec::Url("https://localhost:8443/".into());
        h2.traffic.client = ratecheck_engine::target::ClientOptions {
            cacert: Some("/tmp/ca.pem".into()),
            insecure: false,
            http2: true,
            connections: Some(2),
        };
        for load in [flat_out, odd, url, h2] {
            let args = ChildRun::new(load.clone()).unwrap().args();
            let Cargo::Ratecheck(r) = crate::cli::try_parse_from(
                std::iter::once("cargo-ratecheck".to_string()).chain(args),
            )
            .unwrap();
            assert!(r.global.quiet);
            let Some(Command::Run(run)) = r.command else {
                panic!("not run")
            };
            assert_eq!(run.load(), load);
            assert_eq!(run.threads, Some(ChildRun::THREADS));
            assert!(run.no_self_test);
            assert_eq!(run.output.format, Format::Json);
        }
    }

    #[test]
    fn what_run_cannot_say_is_not_rendered() {
        let mut l = LoadSpec::steady(10.0, Duration::from_secs(1), 1);
        l.target = TargetSpec::Embedded(ServerSpec {
            jitter: Duration::from_millis(1),
            ..ServerSpec::NONE
        });
        assert_eq!(ChildRun::new(l), None);
        let mut mix = LoadSpec::steady(10.0, Duration::from_secs(1), 1);
        mix.traffic = Traffic::single("GET", &[], Some("x"));
        assert!(ChildRun::new(mix.clone()).is_some());
        mix.traffic.check.body_contains = Some("ok".into());
        assert_eq!(ChildRun::new(mix), None);
    }

    #[tokio::test]
    async fn in_process_runs_the_same_spec() {
        let mut l = LoadSpec::steady(1000.0, Duration::from_millis(200), 10);
        l.target = TargetSpec::Null;
        l.drain = Duration::ZERO;
        let clock = ratecheck_engine::clock::SystemClock::shared();
        let r = in_process("t", &l, &clock, &CancellationToken::new(), None)
            .await
            .unwrap();
        assert_eq!(r.requests.expected, 200);
        assert_eq!(r.concurrency, 10);
    }
}
