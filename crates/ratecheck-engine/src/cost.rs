//! The request path, driven so that its work does not depend on time: what
//! the gate's instruction-count bench measures under a CPU simulator.
//!
//! A timed run does work that follows the clock (timer wakes, batch sizes
//! from how late a wake came, drops when the machine stalls), so its
//! instruction count varies from run to run, the more so under valgrind,
//! which slows the program many-fold. Here the same pieces — the limiter, the batch
//! generator, the bounded channel, the workers, the target and the collector
//! — handle a fixed number of requests in fixed rounds on a [`ManualClock`]
//! that advances one batch's worth of schedule at a time, on a
//! current-thread runtime. No timer paces anything; the one thing left to
//! time is the per-request timeout's timer entry of the HTTP target, whose
//! cost does not depend on when it is set.
//!
//! Per request means net of the fixed set-up: the bench drives two request
//! counts and divides the difference in instructions by the difference in
//! requests.

use std::sync::Arc;

use super::batch::{BatchGenerator, IdSource};
use super::clock::{Clock, ManualClock, SharedClock};
use super::pacing::Nudge;
use super::queue::RequestQueue;
use super::rate::{Burst, RateLimiter};
use super::target::{ConnPool, Connection, Target};
use super::workers::worker;
use crate::metrics::collector::Collector;

/// Nominal rate of the schedule the manual clock follows: the gate's
/// 10000 requests/s, so batches are the size a real run at that rate uses.
pub(crate) const COST_RPS: f64 = 10_000.0;
/// Requests released per round; the driver waits for them all to complete
/// before the next round, so the queue and the latency rings stay bounded.
pub(crate) const ROUND: u64 = 1000;
/// Workers (one connection each).
pub(crate) const COST_WORKERS: usize = 10;

/// What a cost drive did: the requests it released and how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CostOutcome {
    /// Requests released (every one completes before the drive ends).
    pub requests: u64,
    /// Requests that succeeded (a status below 400 that passed the target's check).
    pub succeeded: u64,
    /// Requests that failed (an error status, a transport error, a failed check).
    pub failed: u64,
}

/// Sends `requests` requests to `target` through the engine's request path
/// in fixed rounds on a manual clock (see the module docs). Must run on a
/// current-thread tokio runtime: the order in which the tasks run is then
/// fixed by the code alone.
pub async fn drive(target: Target, requests: u64) -> CostOutcome {
    let manual = ManualClock::new();
    let clock: SharedClock = manual.clone();
    // The limiter cannot fail for a finite positive rate and default burst.
    let limiter =
        RateLimiter::new(COST_RPS, Burst::default(), clock.clone()).expect("a valid constant rate");
    let mut taker = limiter.taker();
    let mut batcher = BatchGenerator::new(COST_RPS);
    let batch = batcher.batch_size() as u64;
    let batch_ns = (batch as f64 / COST_RPS * 1e9) as u64;
    let run_ns = (requests as f64 / COST_RPS * 1e9) as u64 + 1_000_000_000;
    let ring = (ROUND as usize).next_power_of_two();
    let (collector, recorders) = Collector::new(0, run_ns, COST_WORKERS, ring);
    let queue = Arc::new(RequestQueue::bounded(ROUND as usize, false));
    let target = Arc::new(target);
    let mut workers = tokio::task::JoinSet::new();
    // The generator is driven by hand here and never offers a worker's
    // wake: a worker that finds the queue empty pays the one look a real
    // run's workers pay.
    let nudge = Arc::new(Nudge::new());
    let pool = ConnPool::new(target.http(), clock.clone());
    for (i, rec) in recorders.into_iter().enumerate() {
        let (q, t, c) = (queue.clone(), target.clone(), clock.clone());
        let conn = Connection::new(pool.clone(), i);
        workers.spawn(worker(q, rec, t, c, nudge.clone(), conn));
    }
    let ids = IdSource::new();
    let intended = |id: u64| (id + 1) * 1_000_000_000 / COST_RPS as u64;
    let mut released = 0u64;
    while released < requests {
        let round_end = (released + ROUND).min(requests);
        while released < round_end {
            manual.advance(batch_ns);
            let now = manual.now_ns();
            let granted = taker.take_up_to_at(batch.min(round_end - released), now);
            collector.record_generated(granted, now);
            for req in batcher.next_batch(granted, &ids, intended) {
                // The queue holds a whole round: never full here.
                let _ = queue.try_push(*req);
            }
            released += granted;
        }
        // The workers run when this task yields; their progress (and the
        // server's) depends only on the order of tasks and socket events.
        while collector.completed() < released {
            tokio::task::yield_now().await;
        }
        collector.flush();
    }
    queue.close();
    while workers.join_next().await.is_some() {}
    let snap = collector.snapshot();
    CostOutcome {
        requests: released,
        succeeded: snap.succeeded,
        failed: snap.failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn every_request_is_released_and_completed() {
        let o = drive(
            Target::Null {
                delay: Duration::ZERO,
            },
            2_500,
        )
        .await;
        assert_eq!(
            o,
            CostOutcome {
                requests: 2_500,
                succeeded: 2_500,
                failed: 0
            }
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn drives_http_to_the_embedded_server() {
        let srv = crate::server::start(Default::default()).await.unwrap();
        let target = crate::target::HttpTarget::new(&srv.url(), Duration::from_secs(5)).unwrap();
        let o = drive(Target::Http(Box::new(target)), 1_200).await;
        srv.shutdown().await;
        assert_eq!(o.requests, 1_200);
        assert_eq!(o.succeeded, 1_200, "{o:?}");
    }
}
