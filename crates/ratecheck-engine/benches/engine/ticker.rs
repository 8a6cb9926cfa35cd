//! The approach the token bucket replaces: a tokio `Interval` ticking every
//! millisecond and releasing a tick's worth of tokens. Its cost is mostly
//! timer wake-ups while the wall clock runs, so it cannot be a criterion
//! iteration (criterion would scale the run to seconds of *CPU* time, hours of
//! wall time). Instead each variant runs for a fixed wall time at 100k
//! tokens/s on a current-thread runtime and reports process CPU time per token
//! released, next to our limiter doing the same job the same way.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratecheck_engine::usage::CpuTimes;
use tokio::sync::Semaphore;
use tokio::time::{Interval, MissedTickBehavior};

use crate::common::{bench_mode, selected};
use crate::limiter::ours_at;

const RATE: f64 = 100_000.0;
const TICK: Duration = Duration::from_millis(1);
/// Tokens a 1 ms tick releases at `RATE`.
const PER_TICK: u64 = 100;

fn ticker() -> Interval {
    let mut i = tokio::time::interval(TICK);
    i.set_missed_tick_behavior(MissedTickBehavior::Burst);
    i
}

/// Runs `job` (which counts tokens into its argument) for `wall`, then prints
/// tokens released, the achieved rate and CPU ns per token.
fn measure<F, Fut>(name: &str, wall: Duration, job: F)
where
    F: FnOnce(Arc<AtomicU64>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let id = format!("ticker/{name}");
    if !selected(&id) {
        return;
    }
    let count = Arc::new(AtomicU64::new(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let cpu0 = CpuTimes::now();
    let t0 = Instant::now();
    rt.block_on(async {
        let _ = tokio::time::timeout(wall, job(count.clone())).await;
    });
    let elapsed = t0.elapsed();
    let cpu = CpuTimes::now().since(cpu0);
    let tokens = count.load(Ordering::Relaxed).max(1);
    let cpu_ns = (cpu.user + cpu.system).as_nanos() as f64;
    println!(
        "{id:<40} {tokens} tokens in {:.3} s = {:.0}/s (target {RATE:.0}/s); CPU {:.1} ns per token, {:.1}% of a core",
        elapsed.as_secs_f64(),
        tokens as f64 / elapsed.as_secs_f64(),
        cpu_ns / tokens as f64,
        cpu.percent_of_core(elapsed),
    );
}

/// Prints the four variants' CPU cost per token (1 s each under
/// `cargo bench`, 50 ms under `cargo test --benches`).
pub fn report() {
    let wall = if bench_mode() {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(50)
    };

    // Ticker releasing a tick's tokens by bumping a counter: the floor.
    measure("interval_counter", wall, |count| async move {
        let mut t = ticker();
        loop {
            t.tick().await;
            count.fetch_add(PER_TICK, Ordering::Relaxed);
        }
    });

    // Ticker feeding a semaphore, a consumer taking one permit per request.
    measure("interval_semaphore", wall, |count| async move {
        let sem = Semaphore::new(0);
        let feed = async {
            let mut t = ticker();
            loop {
                t.tick().await;
                sem.add_permits(PER_TICK as usize);
            }
        };
        let take = async {
            loop {
                match sem.acquire().await {
                    Ok(p) => p.forget(),
                    Err(_) => return,
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
        };
        tokio::join!(feed, take);
    });

    // Ours, one `wait(1)` per request (sleeps when the bucket is empty).
    measure("ours_wait_1", wall, |count| async move {
        let l = ours_at(RATE);
        loop {
            if l.wait(1).await.is_ok() {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    // Ours as the generator uses it: wake every 1 ms, take what is due.
    measure("ours_take_up_to_at_per_ms", wall, |count| async move {
        let l = ours_at(RATE);
        let mut t = ticker();
        loop {
            t.tick().await;
            let k = l.take_up_to_at(u64::MAX, l.clock().now_ns());
            count.fetch_add(black_box(k), Ordering::Relaxed);
        }
    });
}
