//! The collector's cold side: the whole run's latency histograms, the
//! per-bucket response-time histograms behind the chart, and the
//! percentiles and distribution points taken from them. Filled by
//! `Collector::flush`, off the request path.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::metrics::snapshot::Percentiles;

/// Histograms filled on the cold path.
pub(super) struct Histograms {
    pub(super) response: Histogram<u64>,
    pub(super) service: Histogram<u64>,
    pub(super) lag: Histogram<u64>,
    /// How early the requests sent before their intended time went, ns.
    pub(super) early: Histogram<u64>,
    pub(super) windows: LatencyWindows,
}

/// Buckets a window stays open for late samples before its percentiles are
/// taken (1 s: flushes come every 100 ms, and a sample waits in its ring at
/// most until the next one).
pub(super) const WINDOW_GRACE: usize = 10;

/// Response-time percentiles per time-series bucket (see the module docs).
pub(super) struct LatencyWindows {
    /// Buckets still taking samples, with their histograms.
    open: BTreeMap<usize, Histogram<u64>>,
    /// Emptied histograms, for the next buckets.
    spare: Vec<Histogram<u64>>,
    /// p50 and p99 (ns) of each closed bucket; `None` where nothing completed.
    closed: Vec<Option<(u64, u64)>>,
    /// Buckets past the series' length (counted with the series overflow).
    len: usize,
}

impl LatencyWindows {
    pub(super) fn new(len: usize) -> Self {
        LatencyWindows {
            open: BTreeMap::new(),
            spare: Vec::new(),
            closed: Vec::new(),
            len,
        }
    }

    pub(super) fn record(&mut self, bucket: usize, response_ns: u64) {
        if bucket >= self.len || bucket < self.closed.len() {
            // Past the series, or later than the grace allowed: the
            // whole-run histograms still have it.
            return;
        }
        let spare = &mut self.spare;
        self.open
            .entry(bucket)
            .or_insert_with(|| spare.pop().unwrap_or_else(window_histogram))
            .saturating_record(response_ns.max(1));
    }

    /// Takes the percentiles of every open bucket older than `before`.
    pub(super) fn close_before(&mut self, before: usize) {
        while let Some(entry) = self.open.first_entry() {
            if *entry.key() >= before {
                break;
            }
            let (bucket, mut h) = entry.remove_entry();
            self.closed.resize(bucket.max(self.closed.len()), None);
            self.closed
                .push(Some((h.value_at_quantile(0.50), h.value_at_quantile(0.99))));
            h.reset();
            self.spare.push(h);
        }
        self.closed
            .resize(before.min(self.len).max(self.closed.len()), None);
    }

    /// p50 and p99 of every bucket so far in ms, open ones included.
    pub(super) fn series(&self) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        let ms = |ns: u64| ns as f64 / 1e6;
        let mut all: Vec<Option<(u64, u64)>> = self.closed.clone();
        for (&bucket, h) in &self.open {
            all.resize(bucket.max(all.len()), None);
            all.push(Some((h.value_at_quantile(0.50), h.value_at_quantile(0.99))));
        }
        all.iter()
            .map(|w| (w.map(|(p50, _)| ms(p50)), w.map(|(_, p99)| ms(p99))))
            .unzip()
    }
}

fn window_histogram() -> Histogram<u64> {
    // Two significant digits are plenty for a chart, and make each
    // histogram a quarter of the whole-run ones.
    Histogram::new_with_bounds(1_000, 3_600_000_000_000, 2)
        .expect("constant, valid histogram bounds")
}

pub(crate) fn new_histogram() -> Histogram<u64> {
    // ns values, resolution 1 µs, up to one hour (larger values saturate),
    // 3 significant digits: fixed size, no growth with run length.
    Histogram::new_with_bounds(1_000, 3_600_000_000_000, 3)
        .expect("constant, valid histogram bounds")
}

/// Percentiles in ms from a histogram of ns.
pub(crate) fn percentiles(h: &Histogram<u64>) -> Percentiles {
    if h.is_empty() {
        return Percentiles::default();
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    Percentiles {
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
        mean: h.mean() / 1e6,
        count: h.len(),
    }
}

/// Percentiles at which the distribution is drawn: evenly spaced on the
/// "number of nines" axis HdrHistogram plots use (x = 1 / (1 − p)).
pub(super) const DISTRIBUTION_PERCENTILES: [f64; 15] = [
    0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9999,
    100.0,
];

/// `(percentile, ms)` at [`DISTRIBUTION_PERCENTILES`], up to the first
/// percentile the samples can resolve (a run of 1000 requests says nothing
/// about its 99.99th); the last point is the maximum.
pub(crate) fn distribution(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let resolvable = 100.0 * (1.0 - 1.0 / h.len() as f64);
    let mut points: Vec<(f64, f64)> = DISTRIBUTION_PERCENTILES
        .iter()
        .filter(|&&p| p < 100.0 && p <= resolvable)
        .map(|&p| (p, h.value_at_quantile(p / 100.0) as f64 / 1e6))
        .collect();
    points.push((100.0, h.max() as f64 / 1e6));
    points
}
