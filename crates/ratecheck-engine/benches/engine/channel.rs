//! The request queue as the engine uses it (`engine::queue::RequestQueue`),
//! one producer task building batches with the batch generator and
//! `try_push`ing each request (falling back to `push().await` when full, the
//! engine's `Wait` policy, so nothing is dropped), and N consumer tasks doing
//! `pop().await`, on a multi-thread tokio runtime with the default worker
//! count (one per core). One criterion iteration is one request through the
//! channel, so criterion's throughput line is requests/s.

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::sync::Arc;

use criterion::{BenchmarkGroup, Criterion, Throughput};
use ratecheck_engine::batch::{BatchGenerator, IdSource};
use ratecheck_engine::queue::{Refused, RequestQueue};

use crate::common::selected;

/// Sends `n` requests from one producer to `workers` consumers through a
/// channel of `capacity`; returns the time from the first send to the last
/// consumer's exit and how many `try_send`s found the channel full.
async fn pump(n: u64, workers: usize, capacity: usize) -> (Duration, u64) {
    let queue = Arc::new(RequestQueue::bounded(capacity, true));
    let consumers: Vec<_> = (0..workers)
        .map(|_| {
            let rx = queue.clone();
            tokio::spawn(async move {
                let mut got = 0u64;
                while let Some(req) = rx.pop().await {
                    black_box(req);
                    got += 1;
                }
                got
            })
        })
        .collect();
    let t = Instant::now();
    let producer = tokio::spawn(async move {
        let ids = IdSource::new();
        let mut batcher = BatchGenerator::new(100_000.0);
        let mut left = n;
        let mut full = 0u64;
        while left > 0 {
            let batch = batcher.next_batch(left, &ids, |id| id * 10_000);
            left -= batch.len() as u64;
            for req in batch {
                match queue.try_push(*req) {
                    Ok(()) => {}
                    Err(Refused::Full(req)) => {
                        full += 1;
                        if queue.push(req).await.is_err() {
                            return full;
                        }
                    }
                    Err(Refused::Closed(_)) => return full,
                }
            }
        }
        queue.close();
        full
    });
    let full = producer.await.expect("producer task");
    let mut received = 0;
    for c in consumers {
        received += c.await.expect("consumer task");
    }
    let elapsed = t.elapsed();
    assert_eq!(received, n, "every request sent must be received");
    (elapsed, full)
}

fn bench(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    workers: usize,
    capacity: usize,
) {
    let name = format!("{workers}_consumers_capacity_{capacity}");
    if !selected(&format!("channel/{name}")) {
        return;
    }
    let mut sent = 0u64;
    let mut full = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (d, f) = rt.block_on(pump(iters, workers, capacity));
            sent += iters;
            full += f;
            d
        })
    });
    eprintln!(
        "note: channel/{workers} consumers, capacity {capacity}: {:.1}% of try_send found it full",
        100.0 * full as f64 / sent.max(1) as f64
    );
}

pub fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut g = c.benchmark_group("channel");
    g.throughput(Throughput::Elements(1));
    // 10 × workers, the engine's floor; run.rs raises it to ≥ 1024.
    bench(&mut g, &rt, 10, 100);
    bench(&mut g, &rt, 10, 1024);
    bench(&mut g, &rt, 100, 1000);
    g.finish();
}
