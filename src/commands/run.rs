//! `run`, `self-test` and `serve`: the engine and the embedded server on
//! their own.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::{
    cancel_on_interrupt, check_outputs, emit, interrupted, print_out, progress, runtime,
    runtime_with, Ctx, Renderings,
};
use crate::cli::{CostWorkloadArgs, Format, FormatArgs, OutputArgs, RunArgs, ServeArgs};
use crate::error::{Error, Exit, Result};
use crate::report;
use crate::shard::INDEX_VAR;
use ratecheck_engine::clock::SystemClock;
use ratecheck_engine::cost;
use ratecheck_engine::load::setup;
use ratecheck_engine::load::traffic::{Traffic, TrafficError};
use ratecheck_engine::load::{TargetSpec, DEFAULT_TIMEOUT};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::selftest;
use ratecheck_engine::server::{self, ServerOptions};
use ratecheck_engine::shard::Shard;
use ratecheck_engine::target::{ClientOptions, HttpTarget, TargetError};

/// `cargo ratecheck run`.
pub fn run(ctx: &Ctx, args: RunArgs) -> Result<Exit> {
    let load = args.load();
    // Check outputs and the HTTP target before anything runs, so bad
    // paths, URLs and headers fail at once.
    check_outputs(&args.output)?;
    let shard = shard_of(&args)?;
    match &load.target {
        TargetSpec::Url(url) => {
            load.traffic
                .client
                .check(load.concurrency)
                .map_err(|e| Error::new(format!("--{e}")))?;
            http_target(url, load.timeout, &load.traffic)?;
        }
        _ if load.traffic.client != ClientOptions::default() => {
            return Err(Error::new(
                "--cacert, --insecure, --http2 and --connections apply to a --url target; add --url URL",
            ));
        }
        _ => {}
    }
    let threads = args
        .threads
        .or((!matches!(load.target, TargetSpec::Embedded(_))).then_some(1));
    runtime_with(threads)?.block_on(async {
        // A URL's host is resolved and one connection opened here: a
        // target that cannot be loaded is exit 2 before the run.
        let started = setup::start(&load.target, load.timeout, &load.traffic).await?;
        if !args.no_self_test {
            let st = selftest::self_test_now().await?;
            if st.passed {
                if ctx.verbose {
                    ctx.note("self-test passed");
                }
            } else {
                ctx.note(format!(
                    "warning: the self-test failed ({}); the figures below may not be trustworthy",
                    st.problems.join("; ")
                ));
            }
        }
        let mut cfg = load.run_config(started.target.clone(), started.server.is_some());
        cfg.shard = shard;
        let cancel = CancellationToken::new();
        let (watcher, was_interrupted) = cancel_on_interrupt(&cancel);
        let bar = progress::bar(ctx, "run");
        let report = ratecheck_engine::run::run(
            &cfg,
            Arc::new(clock_for(shard)),
            cancel,
            bar.as_ref().map(|b| b.feed.clone()),
        )
        .await;
        if let Some(progress::RunBar { bar: pb, .. }) = bar {
            pb.finish_and_clear();
        }
        watcher.abort();
        started.shutdown().await;
        let report = report?;
        emit_run(ctx, &report, &args.output)?;
        Ok(if was_interrupted.load(Ordering::SeqCst) {
            ctx.note("interrupted: the report covers the part of the run before Ctrl-C");
            Exit::Interrupted
        } else {
            Exit::Pass
        })
    })
}

/// The shard `--shard` and `--start-at` make of the run, if any.
fn shard_of(args: &RunArgs) -> Result<Option<Shard>> {
    let Some(arg) = args.shard else {
        return Ok(None);
    };
    let env = std::env::var(INDEX_VAR).ok();
    let stripe = arg.resolve(env.as_deref()).map_err(Error::new)?;
    let (index, count) = (stripe.index(), stripe.count());
    if count > 1 && args.start_at.is_none() {
        return Err(Error::new(format!(
            "--shard {index}/{count} needs --start-at: every shard starts the schedule at the same instant (RFC 3339, or +DURATION from now)"
        )));
    }
    Ok(Some(Shard {
        stripe,
        start_at: args.start_at,
    }))
}

/// The run's clock: one that reaches back to a shard's start already past.
fn clock_for(shard: Option<Shard>) -> SystemClock {
    let late = shard
        .and_then(|s| s.start_at)
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    match late {
        // Room for the time the run takes to get to its start.
        Some(late) => SystemClock::reaching_back(late + Duration::from_secs(600)),
        None => SystemClock::new(),
    }
}

/// The `--url` target, its errors naming `--url`.
fn http_target(url: &str, timeout: Duration, traffic: &Traffic) -> Result<HttpTarget> {
    traffic.http_target(url, timeout).map_err(|e| match e {
        TrafficError::Target(e @ (TargetError::BadHeader(_) | TargetError::BadMethod(_))) => {
            Error::Target(e)
        }
        TrafficError::Target(e @ TargetError::CaCert { .. }) => Error::new(format!("--{e}")),
        TrafficError::Target(e) => Error::new(format!("--url {e}")),
        e @ TrafficError::BodyFile { .. } => Error::new(e.to_string()),
    })
}

/// Prints a run report in the chosen format and writes the files asked for.
pub(super) fn emit_run(ctx: &Ctx, r: &RunReport, o: &OutputArgs) -> Result<()> {
    emit(
        o,
        &Renderings {
            human: || report::text::render_run(r, ctx.color),
            json: || report::json::run_json(r),
            markdown: || report::markdown::render_run_md(r),
            html: || report::html::render_run_html(r),
        },
    )
}

/// `cargo ratecheck self-test`: exit 1 on failure.
pub fn self_test(ctx: &Ctx, args: FormatArgs) -> Result<Exit> {
    let st = runtime()?.block_on(selftest::self_test_now())?;
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "passed": st.passed,
                "problems": st.problems,
                "report": st.report,
            });
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        Format::Human | Format::Markdown => {
            let r = &st.report;
            let verdict = if st.passed { "PASS" } else { "FAIL" };
            print_out(&format!(
                "self-test: {verdict}: {} of {} requests at {} rps against the null target in {:.1} s, efficiency {:.2}%\n",
                r.requests.completed,
                r.requests.expected,
                selftest::RATE,
                selftest::DURATION.as_secs_f64(),
                r.efficiency * 100.0
            ));
            for p in &st.problems {
                print_out(&format!("  problem: {p}\n"));
            }
            if !st.passed || ctx.verbose {
                print_out(&report::text::render_run(r, ctx.color));
            }
        }
    }
    Ok(if st.passed { Exit::Pass } else { Exit::Fail })
}

/// `cargo ratecheck serve`: prints `listening on http://ADDR` first, serves
/// until Ctrl-C or SIGTERM.
pub fn serve(_ctx: &Ctx, args: ServeArgs) -> Result<Exit> {
    let addr: SocketAddr = args.addr.parse().map_err(|_| {
        Error::new(format!(
            "--addr {:?}: write it as 127.0.0.1:PORT (PORT 0 picks a free one)",
            args.addr
        ))
    })?;
    let opts = ServerOptions {
        addr,
        latency: args.latency,
        jitter: args.jitter,
        error_rate: args.error_rate,
        response_size: args.response_size,
        behaviour: args.behaviour.into(),
    };
    runtime()?.block_on(async {
        let s = server::start(opts).await?;
        print_out(&format!("listening on http://{}\n", s.addr()));
        interrupted().await;
        s.shutdown().await;
        Ok(Exit::Pass)
    })
}

/// The hidden `cost-probe`: the instruction-count bench's workload, a fixed
/// number of requests through the request path on one thread (see
/// `engine::cost`). Prints its [`ratecheck_engine::cost::CostOutcome`] as JSON.
pub fn cost_workload(args: CostWorkloadArgs) -> Result<Exit> {
    let target = args.target.spec();
    let outcome = runtime_with(Some(1))?.block_on(async {
        let started = setup::start(&target, DEFAULT_TIMEOUT, &Traffic::default()).await?;
        let allocations = ratecheck_engine::usage::allocations();
        let o = cost::drive(started.target.clone(), args.requests).await;
        let allocations = ratecheck_engine::usage::allocations() - allocations;
        started.shutdown().await;
        Ok::<_, Error>((o, allocations))
    })?;
    let (outcome, allocations) = outcome;
    print_out(&format!(
        "{{\"requests\":{},\"succeeded\":{},\"failed\":{},\"allocations\":{allocations}}}\n",
        outcome.requests, outcome.succeeded, outcome.failed
    ));
    Ok(if outcome.succeeded == outcome.requests {
        Exit::Pass
    } else {
        Exit::Fail
    })
}
