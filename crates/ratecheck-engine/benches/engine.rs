//! Criterion benches for the engine's hot paths, each next to the baseline it
//! must beat (README.md, "Performance"):
//!
//! - `limiter/*`: the token bucket's `try_take`, `try_take_at`, batched
//!   `take_up_to_at` and `wait`, against governor, a `Mutex` token bucket and
//!   (CPU per token, outside criterion) a tokio `Interval` ticker; 1 and 2
//!   threads; fast path (full bucket) and refused path (empty bucket);
//! - `collector/*`: `Recorder::record` against a `Mutex<(counters, Histogram)>`
//!   collector, 1 and 2 threads, with the ring draining and with it full;
//! - `batch/*`: the batch generator at 200, 1k, 10k and 100k requests/s, cost
//!   per batch, and allocations per batch (printed; must be 0 after warm-up);
//! - `channel/*`: requests/s through the engine's bounded request channel, one
//!   producer and 10 or 100 consumer tasks on a 2-thread tokio runtime.
//!
//! The counting allocator of `ratecheck_engine::usage` is installed as this
//! binary's global allocator so the batch bench can count allocations. Two-thread
//! figures are per call as seen by each thread (wall time of the slower thread ÷
//! calls per thread); criterion's throughput line gives the aggregate rate.
//! Results and their reading: cargo-ratecheck's README.md, "Criterion benches".

use std::time::Duration;

use criterion::Criterion;

#[path = "engine/batch.rs"]
mod batch;
#[path = "engine/channel.rs"]
mod channel;
#[path = "engine/collector.rs"]
mod collector;
#[path = "engine/common.rs"]
mod common;
#[path = "engine/limiter.rs"]
mod limiter;
#[path = "engine/ticker.rs"]
mod ticker;

#[global_allocator]
static ALLOC: ratecheck_engine::usage::CountingAlloc = ratecheck_engine::usage::CountingAlloc;

fn main() {
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    limiter::benches(&mut c);
    ticker::report();
    collector::benches(&mut c);
    batch::benches(&mut c);
    channel::benches(&mut c);
    c.final_summary();
}
