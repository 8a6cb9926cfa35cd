//! What a shard's report carries so that shards can be merged exactly: the
//! schedule it is a share of, its place among the shards, how late it
//! started, and its latency histograms whole (percentiles cannot be merged,
//! histograms add). The histograms are HdrHistogram's V2 format, DEFLATE
//! compressed, base64 encoded, with the settings every run uses.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The schedule a run is a share of. Two parts merge only when these are
/// equal: the same rate, phases, start and number of shards, against the
/// same target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleId {
    /// Steady-state rate of the whole schedule, requests per second.
    pub rps: f64,
    /// Ramp-up, steady and ramp-down lengths, s.
    pub ramp_up_s: f64,
    /// Length of the steady phase, s.
    pub steady_s: f64,
    /// Length of the ramp-down, s.
    pub ramp_down_s: f64,
    /// When the whole schedule starts (`t0`), ns since the Unix epoch.
    pub t0_unix_ns: u64,
    /// Number of shards the schedule is split into.
    pub shards: u64,
    /// What was loaded (as the report's `target`).
    pub target: String,
}

impl ScheduleId {
    /// The first field in which `other` differs, as `name a vs b`.
    pub fn difference(&self, other: &ScheduleId) -> Option<String> {
        let num = |name: &str, a: f64, b: f64| (a != b).then(|| format!("{name} {a} vs {b}"));
        num("rps", self.rps, other.rps)
            .or_else(|| num("ramp-up (s)", self.ramp_up_s, other.ramp_up_s))
            .or_else(|| num("steady (s)", self.steady_s, other.steady_s))
            .or_else(|| num("ramp-down (s)", self.ramp_down_s, other.ramp_down_s))
            .or_else(|| {
                (self.t0_unix_ns != other.t0_unix_ns).then(|| {
                    format!(
                        "start {} ns vs {} ns since the epoch",
                        self.t0_unix_ns, other.t0_unix_ns
                    )
                })
            })
            .or_else(|| {
                (self.shards != other.shards)
                    .then(|| format!("shards {} vs {}", self.shards, other.shards))
            })
            .or_else(|| {
                (self.target != other.target)
                    .then(|| format!("target {} vs {}", self.target, other.target))
            })
    }
}

/// One shard's place in its schedule and what merging it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardPart {
    /// This shard's index, `i` of `i/N`.
    pub index: u64,
    /// The number of shards, `N`.
    pub count: u64,
    /// The schedule this run is a share of.
    pub schedule: ScheduleId,
    /// How long after `t0` this process started its share, ms: the wake's
    /// lateness, or how late the process came (its late requests count as
    /// schedule lag).
    pub start_offset_ms: f64,
    /// The run's latency histograms.
    pub histograms: PartHistograms,
}

/// The four latency histograms of a run (ns values), each serialized.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartHistograms {
    /// Response time (completion − intended send time).
    pub response: String,
    /// Service time (completion − actual send time).
    pub service: String,
    /// Schedule lag (actual − intended send time).
    pub schedule_lag: String,
    /// How early the requests sent early went.
    pub early: String,
}

/// A histogram that could not be read back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("histogram `{name}` is corrupt: {reason}")]
pub struct HistogramError {
    /// Which histogram.
    pub name: &'static str,
    /// What was wrong with it.
    pub reason: String,
}

/// The four histograms, read back.
pub struct Decoded {
    /// Response time, ns.
    pub response: Histogram<u64>,
    /// Service time, ns.
    pub service: Histogram<u64>,
    /// Schedule lag, ns.
    pub schedule_lag: Histogram<u64>,
    /// Early sends, ns.
    pub early: Histogram<u64>,
}

impl PartHistograms {
    /// Serializes the four histograms.
    pub fn encode(
        response: &Histogram<u64>,
        service: &Histogram<u64>,
        schedule_lag: &Histogram<u64>,
        early: &Histogram<u64>,
    ) -> PartHistograms {
        PartHistograms {
            response: encode(response),
            service: encode(service),
            schedule_lag: encode(schedule_lag),
            early: encode(early),
        }
    }

    /// Reads the four histograms back, each into an empty histogram made by
    /// `fresh` (the settings every run uses, so that they add), refusing any
    /// that does not decode or does not fit them.
    pub fn decode(&self, fresh: fn() -> Histogram<u64>) -> Result<Decoded, HistogramError> {
        Ok(Decoded {
            response: decode("response", &self.response, fresh())?,
            service: decode("service", &self.service, fresh())?,
            schedule_lag: decode("schedule_lag", &self.schedule_lag, fresh())?,
            early: decode("early", &self.early, fresh())?,
        })
    }
}

fn encode(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and the histogram's counts fit the
    // format: an error here would be a bug of the serializer.
    V2DeflateSerializer::new()
        .serialize(h, &mut buf)
        .expect("a histogram serializes into memory");
    STANDARD.encode(buf)
}

fn decode(
    name: &'static str,
    text: &str,
    mut into: Histogram<u64>,
) -> Result<Histogram<u64>, HistogramError> {
    let err = |reason: String| HistogramError { name, reason };
    let bytes = STANDARD.decode(text).map_err(|e| err(e.to_string()))?;
    let h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| err(format!("{e:?}")))?;
    if h.sigfig() != into.sigfig() || h.high() > into.high() || h.low() < into.low() {
        return Err(err(format!(
            "its settings (1..{} ns, {} digits) are not the run's",
            h.high(),
            h.sigfig()
        )));
    }
    into.add(&h).map_err(|e| err(format!("{e:?}")))?;
    Ok(into)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_histogram() -> Histogram<u64> {
        Histogram::new_with_bounds(1_000, 3_600_000_000_000, 3).unwrap()
    }

    #[test]
    fn histograms_round_trip() {
        let mut h = new_histogram();
        for v in [1_000u64, 50_000, 1_234_567, 9_999_999_999] {
            h.record(v).unwrap();
        }
        let part = PartHistograms::encode(&h, &h, &new_histogram(), &h);
        let back = part.decode(new_histogram).unwrap();
        assert_eq!(back.response, h);
        assert_eq!(back.schedule_lag.len(), 0);
    }

    #[test]
    fn corrupt_histograms_are_refused_by_name() {
        let h = new_histogram();
        let mut part = PartHistograms::encode(&h, &h, &h, &h);
        part.service = "not base64!".into();
        assert_eq!(part.decode(new_histogram).err().unwrap().name, "service");
        let mut part = PartHistograms::encode(&h, &h, &h, &h);
        part.early.truncate(part.early.len() / 2);
        assert_eq!(part.decode(new_histogram).err().unwrap().name, "early");
        let mut other = Histogram::<u64>::new_with_bounds(1, 1000, 1).unwrap();
        other.record(5).unwrap();
        let part = PartHistograms::encode(&h, &h, &other, &h);
        let e = part.decode(new_histogram).err().unwrap();
        assert_eq!(e.name, "schedule_lag");
        assert!(e.reason.contains("settings"), "{e}");
    }
}
