//! A progress bar per engine run (indicatif) on standard error: target rate,
//! achieved rate and elapsed time. Hidden when standard error is not a
//! terminal or with `--quiet`.

use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};

use super::Ctx;
use ratecheck_engine::run::{Progress, ProgressFn};

/// A run's progress bar and the engine callback that feeds it.
pub struct RunBar {
    /// The bar on the terminal.
    pub bar: ProgressBar,
    /// What the engine calls with its progress.
    pub feed: ProgressFn,
}

/// A bar and the callback that feeds it, or `None` when hidden.
pub fn bar(ctx: &Ctx, label: &str) -> Option<RunBar> {
    if !ctx.progress {
        return None;
    }
    let pb = ProgressBar::new(1000);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>18} [{bar:30}] {elapsed:>4} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    let last: Mutex<(f64, u64)> = Mutex::new((0.0, 0));
    let pb2 = pb.clone();
    let f: ProgressFn = Arc::new(move |p: Progress| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let dt = p.elapsed_s - last.0;
        if dt >= 0.09 {
            let achieved = (p.completed - last.1.min(p.completed)) as f64 / dt;
            pb2.set_message(format!(
                "target {:>8.0} rps  achieved {:>8.0} rps",
                p.target_rps, achieved
            ));
            *last = (p.elapsed_s, p.completed);
        }
        if p.duration_s > 0.0 {
            pb2.set_position(((p.elapsed_s / p.duration_s) * 1000.0).min(1000.0) as u64);
        }
    });
    Some(RunBar { bar: pb, feed: f })
}

/// A bar counting `len` steps (the pairs of `check --against`, the probes
/// of `bisect`, whose message names the probe), or `None` when hidden.
pub fn count_bar(ctx: &Ctx, label: &str, len: usize) -> Option<ProgressBar> {
    if !ctx.progress {
        return None;
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>18} [{bar:30}] {elapsed:>4} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    Some(pb)
}
