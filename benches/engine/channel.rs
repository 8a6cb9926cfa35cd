//! The request channel as the engine uses it: `async_channel::bounded`, one
//! producer task building batches with the batch generator and `try_send`ing
//! each request (falling back to `send().await` when full, the engine's
//! `Wait` policy, so nothing is dropped), and N consumer tasks doing
//! `recv().await`, on a multi-thread tokio runtime with the default worker
//! count (one per core). One criterion iteration is one request through the
//! channel, so criterion's throughput line is requests/s.

use std::hint::black_box;
use std::time::{Duration, Instant};

use async_channel::TrySendError;
use cargo_ratecheck::engine::batch::{BatchGenerator, IdSource, RequestMeta};
use criterion::{BenchmarkGroup, Criterion, Throughput};

use crate::common::selected;

/// Sends `n` requests from one producer to `workers` consumers through a
/// channel of `capacity`; returns the time from the first send to the last
/// consumer's exit and how many `try_send`s found the channel full.
async fn pump(n: u64, workers: usize, capacity: usize) -> (Duration, u64) {
    let (tx, rx) = async_channel::bounded::<RequestMeta>(capacity);
    let consumers: Vec<_> = (0..workers)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut got = 0u64;
                while let Ok(req) = rx.recv().await {
                    black_box(req);
                    got += 1;
                }
                got
            })
        })
        .collect();
    drop(rx);
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
                match tx.try_send(*req) {
                    Ok(()) => {}
                    Err(TrySendError::Full(req)) => {
                        full += 1;
                        if tx.send(req).await.is_err() {
                            return full;
                        }
                    }
                    Err(TrySendError::Closed(_)) => return full,
                }
            }
        }
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
