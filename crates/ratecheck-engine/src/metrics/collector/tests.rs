//! Tests of the collector module.

use super::*;

const MS: u64 = 1_000_000;

#[test]
fn counts_and_latencies() {
    let (c, mut recs) = Collector::new(0, 1_000 * MS, 2, 1024);
    c.record_generated(4, 0);
    recs[0].record(0, MS, 3 * MS, Outcome::Status(200));
    recs[0].record(0, MS, 5 * MS, Outcome::Status(503));
    recs[1].record(0, 0, 2 * MS, Outcome::Error(ErrorKind::Timeout));
    recs[1].record(10 * MS, 10 * MS, 11 * MS, Outcome::Status(200));
    let s = c.snapshot();
    assert_eq!(
        (s.generated, s.completed, s.succeeded, s.failed),
        (4, 4, 2, 2)
    );
    assert_eq!(s.status_codes, BTreeMap::from([(200, 2), (503, 1)]));
    assert_eq!(s.errors, BTreeMap::from([("timeout", 1)]));
    assert_eq!(s.response.count, 4);
    assert!((s.response.max - 5.0).abs() < 0.01, "{:?}", s.response);
    assert!((s.schedule_lag.max - 1.0).abs() < 0.01);
    assert!((s.service.max - 4.0).abs() < 0.01);
}

/// Each bucket's p50 and p99 come from the requests that completed in
/// it, whether taken at a flush (closed) or at the snapshot (open).
#[test]
fn response_time_per_bucket() {
    let (c, mut recs) = Collector::new(0, 5_000 * MS, 1, 4096);
    const B: u64 = BUCKET_NS;
    // Bucket 0: 100 requests of 1 ms; bucket 2: 99 of 2 ms and one of
    // 40 ms; bucket 1: nothing; bucket 14: one, so that a flush closes
    // buckets 0..4.
    for _ in 0..100 {
        recs[0].record(B / 2 - MS, B / 2 - MS, B / 2, Outcome::Status(200));
    }
    for _ in 0..99 {
        recs[0].record(
            2 * B + B / 2,
            2 * B + B / 2,
            2 * B + B / 2 + 2 * MS,
            Outcome::Status(200),
        );
    }
    recs[0].record(2 * B, 2 * B, 2 * B + 40 * MS, Outcome::Status(200));
    recs[0].record(
        14 * B + MS,
        14 * B + MS,
        14 * B + 4 * MS,
        Outcome::Status(200),
    );
    c.flush();
    let s = c.snapshot();
    let close = |v: Option<f64>, want: f64| v.is_some_and(|v| (v - want).abs() < want * 0.01);
    assert!(
        close(s.response_p50_series[0], 1.0),
        "{:?}",
        s.response_p50_series
    );
    assert!(close(s.response_p99_series[0], 1.0));
    assert_eq!(s.response_p50_series[1], None);
    assert!(close(s.response_p50_series[2], 2.0));
    assert!(
        close(s.response_p99_series[2], 2.0),
        "{:?}",
        s.response_p99_series[2]
    );
    assert!(close(s.response_p50_series[14], 3.0));
    assert_eq!(s.response_p50_series.len(), 15);
    // A sample for a closed bucket still counts in the whole run.
    recs[0].record(0, 0, MS, Outcome::Status(200));
    assert_eq!(c.snapshot().response.count, 202);
}

#[test]
fn distribution_stops_where_the_samples_do() {
    let mut h = new_histogram();
    for ms in 1..=100u64 {
        h.record(ms * MS).unwrap();
    }
    let d = distribution(&h);
    let ps: Vec<f64> = d.iter().map(|p| p.0).collect();
    // 100 samples resolve the 99th percentile, not the 99.5th.
    assert_eq!(ps, [0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 100.0]);
    assert!((d[2].1 - 50.0).abs() < 0.1, "{d:?}");
    assert!((d.last().unwrap().1 - 100.0).abs() < 0.1);
    assert!(d.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(distribution(&new_histogram()).is_empty());
}

#[test]
fn ring_overflow_is_counted_not_silent() {
    let (c, mut recs) = Collector::new(0, MS, 1, 4);
    c.record_generated(10, 0);
    for _ in 0..10 {
        recs[0].record(0, 0, MS, Outcome::Status(200));
    }
    let s = c.snapshot();
    assert_eq!(s.completed, 10, "every request is counted");
    assert_eq!(s.response.count, 4);
    assert_eq!(s.samples_lost, 6);
    // After a flush the ring has room again.
    recs[0].record(0, 0, MS, Outcome::Status(200));
    assert_eq!(c.snapshot().response.count, 5);
}

#[test]
fn time_series_separates_generation_and_completion() {
    let (c, mut recs) = Collector::new(0, 1_000 * MS, 1, 64);
    c.record_generated(10, 50 * MS); // bucket 0
    c.record_generated(5, 150 * MS); // bucket 1
    for _ in 0..3 {
        // Due in bucket 0, done in bucket 1.
        recs[0].record(50 * MS, 50 * MS, 120 * MS, Outcome::Status(200));
    }
    for _ in 0..7 {
        // Due in bucket 1, done in bucket 2.
        recs[0].record(150 * MS, 150 * MS, 250 * MS, Outcome::Status(200));
    }
    drop(recs); // flushes the current bucket
    let s = c.snapshot();
    assert_eq!(&s.generated_series[..3], &[10, 5, 0]);
    assert_eq!(&s.completed_series[..3], &[0, 3, 7]);
    assert_eq!(&s.completed_by_intended_series[..3], &[3, 7, 0]);
    assert_eq!(s.series_overflow, 0);
}

#[test]
fn events_past_the_series_are_overflow() {
    let (c, _recs) = Collector::new(0, 100 * MS, 1, 64);
    c.record_generated(3, 10_000 * MS);
    let s = c.snapshot();
    assert_eq!(s.series_overflow, 3);
    assert_eq!(s.generated, 3);
}

#[test]
fn concurrent_recording_is_exact_and_consistent() {
    let workers = 4;
    let per = 50_000u64;
    let (c, recs) = Collector::new(0, 10_000 * MS, workers, 256);
    let reader = {
        let c = c.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                let s = c.snapshot();
                assert!(
                    s.completed <= s.generated,
                    "{} > {}",
                    s.completed,
                    s.generated
                );
                assert_eq!(s.succeeded + s.failed, s.completed);
            }
        })
    };
    let handles: Vec<_> = recs
        .into_iter()
        .map(|mut r| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..per {
                    // Each worker generates its own request first, as the
                    // generator does before handing it over.
                    c.generated.fetch_add(1, Ordering::Release);
                    let outcome = if i % 10 == 0 {
                        Outcome::Error(ErrorKind::Reset)
                    } else {
                        Outcome::Status(200)
                    };
                    r.record(0, 0, (i % 5000) * MS, outcome);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    reader.join().unwrap();
    let s = c.snapshot();
    let total = workers as u64 * per;
    assert_eq!(s.completed, total);
    assert_eq!(s.failed, total / 10);
    assert_eq!(s.errors["reset"], total / 10);
    assert_eq!(s.completed_series.iter().sum::<u64>(), total);
    assert_eq!(s.response.count + s.samples_lost, total);
}
