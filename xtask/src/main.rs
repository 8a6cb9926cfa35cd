//! Development tasks for cargo-ratecheck, in Rust (matklad's xtask pattern;
//! `.cargo/config.toml` aliases `cargo xtask` to `cargo run -p xtask --`).
//!
//! - `cargo xtask ci [--skip-gate]`: every check CI runs, in order ([`ci`]);
//! - `cargo xtask peers [...]`: cargo-ratecheck side by side with oha, hey
//!   and wrk against the embedded server ([`peers`]);
//! - `cargo xtask timer-floor [...]`: the machine's timer lateness, the floor
//!   of the engine's schedule lag ([`timer_floor`]);
//! - `cargo xtask k8s render|run [...]`: one load run split over a
//!   Kubernetes Indexed Job, its shards' results merged ([`k8s`]);
//! - `cargo xtask screenshot`: the HTML report, rendered by headless Chromium
//!   ([`screenshot`]).
//!
//! This file only dispatches and turns a `Result` into an exit code.

// No function over `too-many-lines-threshold` (clippy.toml) lines.
#![warn(clippy::too_many_lines)]

mod ci;
mod k8s;
mod peers;
mod proc;
mod screenshot;
mod timer_floor;
mod workflows;

use std::process::ExitCode;

use anyhow::{bail, Result};

const USAGE: &str = "usage:
  cargo xtask ci [--skip-gate]      fmt, clippy, tests, the workflows, the comment script, then the ratecheck gate
  cargo xtask peers [OPTIONS]       compare cargo-ratecheck with oha, hey and wrk
      --rates 1000,10000,50000,70000   target rates, requests per second
      --duration 10s                   length of each run
      --repeat 3                       runs per tool and rate (the table shows medians)
      --concurrency 100                connections / workers for every tool
      --json PATH                      also write every run's raw figures
      --bin PATH                       use this cargo-ratecheck binary (no release build)
  cargo xtask timer-floor [--rates 1000,10000] [--duration 5s]
                                    how late this machine's timer wakes an absolute-deadline sleeper
  cargo xtask screenshot            render an HTML report, check it is self-contained, screenshot it
                                    into docs/report.png with headless Chromium";
const K8S: &str = k8s::USAGE;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<()> {
    let Some((task, rest)) = args.split_first() else {
        println!("{USAGE}\n{K8S}");
        return Ok(());
    };
    match task.as_str() {
        "ci" => ci::run(&ci::CiOptions::parse(rest)?),
        "peers" => peers::run(&peers::PeersOptions::parse(rest)?),
        "k8s" => k8s::run(&k8s::K8sOptions::parse(rest)?),
        "screenshot" => screenshot::run(),
        "timer-floor" => timer_floor::run(&timer_floor::FloorOptions::parse(rest)?),
        "help" | "-h" | "--help" => {
            println!("{USAGE}\n{K8S}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n{USAGE}\n{K8S}"),
    }
}
