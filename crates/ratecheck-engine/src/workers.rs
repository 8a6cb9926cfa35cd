//! The workers (take requests off the queue, send them, record the
//! outcome, offer their wake to the generator) and the flusher (moves
//! latency samples to histograms, reports progress).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::clock::SharedClock;
use super::pacing::Nudge;
use super::queue::RequestQueue;
use super::schedule::Schedule;
use super::target::{Connection, Target};
use crate::metrics::collector::{Collector, Recorder};

/// Live progress, sent about every 100 ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Time since the run started, s (at most `duration_s`).
    pub elapsed_s: f64,
    /// Length of the whole schedule, s.
    pub duration_s: f64,
    /// The schedule's rate now, requests per second.
    pub target_rps: f64,
    /// Requests released so far.
    pub generated: u64,
    /// Requests completed so far.
    pub completed: u64,
}

/// Receives progress events.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// One worker: takes requests off the queue until it closes and drains,
/// sends each, records the outcome. Aborted at the drain deadline.
///
/// A worker that finds the queue empty is about to sleep on a thread that
/// is awake (a response woke it): it offers that wake to the generator
/// (`nudge`), which releases the next request on it when it may go. The
/// look costs nothing while requests are queued.
pub(super) async fn worker(
    queue: Arc<RequestQueue>,
    mut rec: Recorder,
    target: Arc<Target>,
    clock: SharedClock,
    nudge: Arc<Nudge>,
    mut conn: Connection,
) {
    // When the last request completed (clock ns): the worker is awake then.
    let mut awake_ns = 0;
    loop {
        let req = match queue.try_pop_now() {
            Some(Some(req)) => req,
            Some(None) => {
                nudge.on_wake(awake_ns);
                match queue.pop().await {
                    Some(req) => req,
                    None => return,
                }
            }
            None => return,
        };
        let sent = clock.now_ns();
        let outcome = conn.send(&target, req.id).await;
        awake_ns = clock.now_ns();
        rec.record(req.intended_ns, sent, awake_ns, outcome);
    }
}

/// Flushes latency rings and reports progress every 100 ms.
pub(super) async fn flush_and_report(
    collector: Arc<Collector>,
    schedule: Arc<Schedule>,
    clock: SharedClock,
    start_ns: u64,
    progress: Option<ProgressFn>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        collector.flush();
        if let Some(p) = &progress {
            let elapsed =
                Duration::from_nanos(clock.now_ns().saturating_sub(start_ns)).as_secs_f64();
            p(Progress {
                elapsed_s: elapsed.min(schedule.duration()),
                duration_s: schedule.duration(),
                target_rps: schedule.own_rate(elapsed),
                generated: collector.generated(),
                completed: collector.completed(),
            });
        }
    }
}
