use hdrhistogram::Histogram;
use proptest::prelude::*;

use super::*;
use crate::metrics::part::{PartHistograms, ShardPart};

/// A histogram of `samples` with the settings of every run.
fn histogram_of(samples: &[u64]) -> Histogram<u64> {
    let mut h = new_histogram();
    for &s in samples {
        h.saturating_record(s);
    }
    h
}

fn schedule(shards: u64) -> ScheduleId {
    ScheduleId {
        rps: 300.0,
        ramp_up_s: 0.0,
        steady_s: 2.0,
        ramp_down_s: 0.0,
        t0_unix_ns: 1_700_000_000_000_000_000,
        shards,
        target: "http://127.0.0.1:8080/".into(),
    }
}

/// Shard `index` of `count` (300 rps for 2 s), that completed one request
/// per sample, with those samples as its response times.
fn part(index: u64, count: u64, samples: &[u64]) -> (String, RunReport) {
    let mut r = RunReport::example();
    let expected = Stripe::new(index, count).unwrap().own_below(600);
    let n = samples.len() as u64;
    r.requests = crate::metrics::snapshot::RequestCounts {
        expected,
        generated: n,
        completed: n,
        succeeded: n,
        failed: 0,
        dropped: 0,
    };
    r.efficiency = ratio(n as f64, expected as f64);
    r.windows = (0..2)
        .map(|w| WindowReport {
            start_s: w as f64,
            phase: "steady".into(),
            expected: expected as f64 / 2.0,
            generated: n / 2,
            completed: n / 2,
            efficiency: 0.0,
            generation_efficiency: 0.0,
        })
        .collect();
    let h = histogram_of(samples);
    r.shard = Some(ShardPart {
        index,
        count,
        schedule: schedule(count),
        start_offset_ms: index as f64,
        histograms: PartHistograms::encode(&h, &h, &histogram_of(&[]), &histogram_of(&[])),
    });
    (format!("part-{index}.json"), r)
}

proptest! {
    // Each case encodes, compresses and decodes twelve histograms.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merged_histograms_are_the_histogram_of_all_samples(
        samples in proptest::collection::vec(1_000u64..10_000_000_000, 1..600),
        cut in (0.0f64..1.0, 0.0f64..1.0),
    ) {
        let (a, b) = {
            let (x, y) = (cut.0.min(cut.1), cut.0.max(cut.1));
            ((x * samples.len() as f64) as usize, (y * samples.len() as f64) as usize)
        };
        let parts = vec![
            part(0, 3, &samples[..a]),
            part(1, 3, &samples[a..b]),
            part(2, 3, &samples[b..]),
        ];
        let m = merge(&parts, false).unwrap();
        let all = histogram_of(&samples);
        prop_assert_eq!(m.report.latency_ms.response, percentiles(&all));
        prop_assert_eq!(m.report.latency_ms.service, percentiles(&all));
        let sum = |f: fn(&RunReport) -> u64| parts.iter().map(|(_, r)| f(r)).sum::<u64>();
        prop_assert_eq!(m.report.requests.completed, sum(|r| r.requests.completed));
        prop_assert_eq!(m.report.requests.expected, 600);
        prop_assert_eq!(m.report.requests.completed, samples.len() as u64);
    }
}

#[test]
fn counts_windows_and_efficiency_add_up() {
    let all: Vec<u64> = (1..=600).map(|i| i * 10_000).collect();
    let parts: Vec<_> = (0..3)
        .map(|i| part(i, 3, &all[i as usize * 200..(i as usize + 1) * 200]))
        .collect();
    let m = merge(&parts, false).unwrap();
    assert_eq!(m.report.requests.expected, 600);
    assert_eq!(m.report.requests.completed, 600);
    assert_eq!(m.report.efficiency, 1.0);
    assert_eq!(m.report.concurrency, 150);
    assert_eq!(m.report.windows.len(), 2);
    assert_eq!(m.report.windows[0].expected, 300.0);
    assert_eq!(m.report.windows[0].completed, 300);
    assert_eq!(m.report.windows[0].efficiency, 1.0);
    assert_eq!(m.report.target_rps, 300.0);
    let offsets: Vec<f64> = m.parts.iter().map(|p| p.start_offset_ms).collect();
    assert_eq!(offsets, [0.0, 1.0, 2.0]);
    assert!(m.missing.is_empty());
    assert!(m.report.shard.is_none());
}

#[test]
fn connections_add_and_their_means_are_weighted() {
    let mut parts: Vec<_> = (0..2).map(|i| part(i, 2, &[10_000])).collect();
    for ((_, r), (opened, handshakes, resumed, connect, tls, first)) in parts
        .iter_mut()
        .zip([(1, 1, 0, 1.0, 4.0, 2.0), (3, 2, 2, 3.0, 1.0, 6.0)])
    {
        r.connections = ConnectionReport {
            protocol: "HTTP/1.1".into(),
            tls_verified: Some(true),
            opened,
            tls_handshakes: handshakes,
            tls_resumed: resumed,
            connect_ms_mean: connect,
            tls_handshake_ms_mean: tls,
            first_byte_ms_mean: first,
        };
    }
    let c = merge(&parts, false).unwrap().report.connections;
    assert_eq!((c.opened, c.tls_handshakes, c.tls_resumed), (4, 3, 2));
    assert_eq!(c.connect_ms_mean, (1.0 + 3.0 * 3.0) / 4.0);
    assert_eq!(c.first_byte_ms_mean, (2.0 + 3.0 * 6.0) / 4.0);
    assert_eq!(c.tls_handshake_ms_mean, (4.0 + 2.0 * 1.0) / 3.0);
    assert_eq!(c.protocol, "HTTP/1.1");
    assert_eq!(c.tls_verified, Some(true));
}

#[test]
fn parts_of_another_schedule_are_refused_by_name() {
    let mut parts = vec![part(0, 2, &[1000]), part(1, 2, &[1000])];
    parts[1].1.shard.as_mut().unwrap().schedule.t0_unix_ns += 1;
    let e = merge(&parts, false).unwrap_err();
    assert!(matches!(&e, MergeError::DifferentSchedule { name, .. } if name == "part-1.json"));
    assert!(e.to_string().starts_with("part-1.json: "), "{e}");
    let mut parts = vec![part(0, 2, &[1000]), part(1, 3, &[1000])];
    parts[1].1.shard.as_mut().unwrap().schedule = schedule(3);
    let e = merge(&parts, false).unwrap_err();
    assert!(e.to_string().contains("shards 2 vs 3"), "{e}");
}

#[test]
fn a_duplicate_shard_is_refused_by_name() {
    let mut second = part(0, 2, &[1000]);
    second.0 = "again.json".into();
    let parts = vec![part(0, 2, &[1000]), part(1, 2, &[1000]), second];
    let e = merge(&parts, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "again.json: shard 0/2 again (also part-0.json)"
    );
}

#[test]
fn a_missing_shard_is_refused_unless_allowed_then_counts_as_not_sent() {
    let parts = vec![part(0, 3, &[1000; 200]), part(2, 3, &[1000; 200])];
    let e = merge(&parts, false).unwrap_err();
    assert!(matches!(&e, MergeError::Missing { missing, .. } if missing == &[1]));
    assert!(e.to_string().contains("--allow-missing"), "{e}");
    let m = merge(&parts, true).unwrap();
    assert_eq!(m.missing, [1]);
    assert_eq!(m.report.requests.expected, 600);
    assert_eq!(m.report.requests.completed, 400);
    assert!((m.report.efficiency - 400.0 / 600.0).abs() < 1e-12);
    // The missing share is asked for in every window.
    assert_eq!(m.report.windows[0].expected, 300.0);
    assert!(m.report.warnings[0].contains("200 requests count as not sent"));
}

#[test]
fn corrupt_parts_and_other_reports_are_refused_by_name() {
    let mut parts = vec![part(0, 2, &[1000]), part(1, 2, &[1000])];
    let h = &mut parts[1].1.shard.as_mut().unwrap().histograms.response;
    h.truncate(h.len() / 2);
    let e = merge(&parts, false).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("part-1.json: corrupt or truncated part"),
        "{e}"
    );
    let mut parts = vec![part(0, 2, &[1000]), part(1, 2, &[1000])];
    parts[0].1.shard.as_mut().unwrap().index = 2;
    let e = merge(&parts, false).unwrap_err();
    assert!(e.to_string().starts_with("part-0.json: corrupt"), "{e}");
    let mut parts = vec![part(0, 2, &[1000]), part(1, 2, &[1000])];
    parts[1].1.shard = None;
    let e = merge(&parts, false).unwrap_err();
    assert!(matches!(e, MergeError::NotAPart { name } if name == "part-1.json"));
    assert_eq!(merge(&[], false).unwrap_err(), MergeError::Empty);
}
