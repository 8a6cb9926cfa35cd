//! Batch generator benches: one `next_batch` per iteration at 200, 1k, 10k and
//! 100k requests/s (batch sizes 1, 1, 10 and 100), with the allocations per
//! batch counted by the bench binary's counting global allocator.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ratecheck_engine::batch::{BatchGenerator, IdSource};
use ratecheck_engine::usage::allocations;

use crate::common::{bench_mode, selected};

/// Allocations per batch after `warm` warm-up batches, over `n` batches.
fn allocations_per_batch(rate: f64, warm: u64, n: u64) -> f64 {
    let ids = IdSource::new();
    let mut g = BatchGenerator::new(rate);
    let want = g.batch_size() as u64;
    let interval = (1e9 / rate) as u64;
    for _ in 0..warm {
        black_box(g.next_batch(want, &ids, |id| id * interval).len());
    }
    let a0 = allocations();
    for _ in 0..n {
        black_box(g.next_batch(want, &ids, |id| id * interval).len());
    }
    (allocations() - a0) as f64 / n as f64
}

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch");
    let n = if bench_mode() { 100_000 } else { 1_000 };
    for rate in [200.0, 1_000.0, 10_000.0, 100_000.0] {
        let ids = IdSource::new();
        let mut g = BatchGenerator::new(rate);
        let want = g.batch_size() as u64;
        // What the engine's generator does: intended time from the id.
        let interval = (1e9 / rate) as u64;
        let start = 1_000_000u64;
        group.throughput(Throughput::Elements(want));
        let name = format!("next_batch_{}rps_size_{want}", rate as u64);
        if !selected(&format!("batch/{name}")) {
            continue;
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                g.next_batch(black_box(want), &ids, |id| start + id * interval)
                    .len()
            })
        });
        let per = allocations_per_batch(rate, 16, n);
        eprintln!(
            "note: batch/{} rps (size {want}): {per} allocations per batch after warm-up, over {n} batches",
            rate as u64
        );
        if per != 0.0 {
            eprintln!("warning: the batch generator allocates on its hot path");
        }
    }
    group.finish();
}
