//! Plain data describing one finished engine run: the stable, versioned JSON
//! shape shared by `run`, `check` and baselines (ARCHITECTURE.md,
//! "Contracts"). Nothing here measures anything; the engine fills it in and the
//! reports and the comparison read it.
//!
//! Compatibility rule: keys may be added (with `#[serde(default)]` so older
//! files still parse), none renamed or removed without bumping
//! [`SCHEMA_VERSION`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::part::ShardPart;

/// Version of the run-report JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one engine run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// [`SCHEMA_VERSION`] of the code that wrote it.
    pub schema_version: u32,
    /// Steady-state target rate, requests per second.
    pub target_rps: f64,
    /// Length of the whole schedule (ramps included), seconds.
    pub duration_s: f64,
    /// Worker count (each worker holds one connection).
    pub concurrency: usize,
    /// What was loaded: `embedded http://127.0.0.1:PORT/`, `null`, or a URL.
    #[serde(default)]
    pub target: String,
    /// completed ÷ expected over the whole run.
    pub efficiency: f64,
    /// generated ÷ expected over the whole run.
    pub generation_efficiency: f64,
    /// Worst completion efficiency over the 1 s windows of the steady phase
    /// (over all full windows when the schedule has no steady phase).
    pub min_window_efficiency: f64,
    /// Worst generation efficiency over the same windows.
    #[serde(default)]
    pub min_window_generation_efficiency: f64,
    /// The schedule slipped: requests went out late by more than
    /// [`BEHIND_SCHEDULE_LAG_P99_MS`] at the 99th percentile. An efficiency
    /// of 100% then only says late completions were counted; the warnings
    /// say by how much the run fell behind.
    #[serde(default)]
    pub behind_schedule: bool,
    /// Requests asked for, released, completed, failed and dropped.
    pub requests: RequestCounts,
    /// Efficiency of each phase of the schedule, in order.
    pub phases: Vec<PhaseReport>,
    /// Each full 1 s window of the run, in order.
    #[serde(default)]
    pub windows: Vec<WindowReport>,
    /// Response time, service time and schedule lag.
    pub latency_ms: LatencyReport,
    /// Response status code (as text) → count.
    #[serde(default)]
    pub status_codes: BTreeMap<String, u64>,
    /// Transport error kind (`connect`, `timeout`, `reset`, ...) → count.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// The connections the run opened and what they took.
    #[serde(default)]
    pub connections: ConnectionReport,
    /// CPU time the process used during the run.
    pub cpu: CpuReport,
    /// Peak memory and allocations during the run.
    pub memory: MemoryReport,
    /// Engine internals that explain a low efficiency.
    #[serde(default)]
    pub diagnostics: Diagnostics,
    /// How the generator paced: its budget and what it did with it.
    #[serde(default)]
    pub pacing: PacingReport,
    /// Generation and completion over time.
    #[serde(default)]
    pub series: TimeSeries,
    /// The likely causes of a low efficiency and anything lost, most likely
    /// first; empty for a clean run.
    pub warnings: Vec<String>,
    /// A shard's place in its schedule and its histograms whole, for
    /// merging (`run`'s reports carry it; the suite's do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardPart>,
}

/// Request counts. Invariant: `succeeded + failed == completed <= generated`,
/// and `generated + dropped` is what the generator released.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Requests the schedule asked for (up to the cancel, for a cancelled run).
    pub expected: u64,
    /// Requests the generator released.
    pub generated: u64,
    /// Requests that ended in a response or an error.
    pub completed: u64,
    /// Responses below 400 that passed the target's check.
    pub succeeded: u64,
    /// Completed requests that did not succeed (error status, transport error, failed check).
    pub failed: u64,
    /// Released requests no worker could take (the queue full).
    pub dropped: u64,
}

/// Efficiency of one schedule phase (`ramp-up`, `steady`, `ramp-down`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// `ramp-up`, `steady` or `ramp-down`.
    pub name: String,
    /// Start, seconds since the run's start.
    pub start_s: f64,
    /// End, seconds since the run's start (at most where the run is judged
    /// until: the cancel, for a cancelled run).
    pub end_s: f64,
    /// Requests the phase asked for.
    pub expected: u64,
    /// Requests released during the phase.
    pub generated: u64,
    /// Requests the phase scheduled that completed (whenever they finished).
    pub completed: u64,
    /// completed ÷ expected.
    pub efficiency: f64,
    /// generated ÷ expected.
    pub generation_efficiency: f64,
}

/// One 1 s window of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowReport {
    /// Start, seconds since the run's start.
    pub start_s: f64,
    /// The phase holding the whole window, or `mixed`.
    pub phase: String,
    /// Requests the window asked for (fractional at a ramp).
    pub expected: f64,
    /// Requests released during the window.
    pub generated: u64,
    /// Requests completed during the window.
    pub completed: u64,
    /// completed ÷ expected.
    pub efficiency: f64,
    /// generated ÷ expected.
    pub generation_efficiency: f64,
}

/// Percentiles of one latency distribution, milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample.
    pub max: f64,
    /// Arithmetic mean.
    #[serde(default)]
    pub mean: f64,
    /// Samples the figures are computed from.
    #[serde(default)]
    pub count: u64,
}

/// The three latency distributions of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// completion − intended send time (coordinated-omission corrected).
    pub response: Percentiles,
    /// completion − actual send time.
    pub service: Percentiles,
    /// actual send time − intended send time; a request sent early (within
    /// the pacing's early budget) counts as 0.
    pub schedule_lag: Percentiles,
    /// intended send time − actual send time of the requests sent early;
    /// `count` is how many were (all zeros when none was).
    #[serde(default)]
    pub early: Percentiles,
    /// The response-time distribution as `[percentile, ms]` points, from
    /// the 0th to the maximum, as far as the run's samples resolve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_distribution: Vec<[f64; 2]>,
}

/// The connections of a run: the protocol, TLS, how many were opened and
/// where their set-up time went (connect, TLS handshake, first byte).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// `HTTP/1.1` or `HTTP/2`; empty for the null target.
    #[serde(default)]
    pub protocol: String,
    /// `https://`: whether the server's certificate was verified
    /// (`Some(false)`: `insecure`); `None` without TLS.
    #[serde(default)]
    pub tls_verified: Option<bool>,
    /// TCP connections opened (reconnects included).
    pub opened: u64,
    /// TLS handshakes completed.
    pub tls_handshakes: u64,
    /// Of those, resumed sessions (no full handshake).
    pub tls_resumed: u64,
    /// Mean time to establish a TCP connection, ms.
    pub connect_ms_mean: f64,
    /// Mean TLS handshake time, ms.
    pub tls_handshake_ms_mean: f64,
    /// Mean time from sending a new connection's first request to its
    /// response's head, ms.
    pub first_byte_ms_mean: f64,
}

impl ConnectionReport {
    /// 50 HTTP/1.1 connections without TLS, for tests and docs.
    pub fn example() -> ConnectionReport {
        ConnectionReport {
            protocol: "HTTP/1.1".into(),
            opened: 50,
            connect_ms_mean: 0.1,
            first_byte_ms_mean: 0.2,
            ..ConnectionReport::default()
        }
    }
}

/// Process CPU time spent during the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuReport {
    /// CPU time in user mode, s.
    pub user_s: f64,
    /// CPU time in the kernel, s.
    pub system_s: f64,
    /// (user + system) ÷ wall time × 100.
    pub percent_of_core: f64,
    /// True when the embedded server ran in this process, so its CPU is included.
    #[serde(default)]
    pub includes_server: bool,
}

/// Process memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryReport {
    /// Peak resident set size during the run (VmHWM, reset at the start
    /// where the kernel allows; else the process's lifetime peak).
    pub peak_rss_bytes: u64,
    /// Heap allocations during the run, when the binary's counting
    /// allocator is installed (0 otherwise).
    #[serde(default)]
    pub allocations: u64,
}

/// Engine internals that explain a low efficiency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Diagnostics {
    /// Tokens the rate limiter granted (= requests generated).
    pub limiter_granted: u64,
    /// Waits for tokens that slept at least once.
    pub limiter_waits: u64,
    /// Time spent in those waits, ms.
    pub limiter_wait_ms_total: f64,
    /// Longest of them, ms.
    pub limiter_wait_ms_max: f64,
    /// Takes refused because the bucket held too few tokens.
    pub limiter_blocked: u64,
    /// State updates of the limiter (grants and rate changes).
    pub limiter_refills: u64,
    /// Tokens granted ÷ tokens the rate history allowed.
    pub limiter_efficiency: f64,
    /// Times the generator woke.
    pub generator_wakes: u64,
    /// Largest batch of requests one wake released.
    pub batch_size_max: u64,
    /// Slots in the request queue.
    pub channel_capacity: u64,
    /// Wakes that found the queue full.
    pub channel_full_events: u64,
    /// Most requests queued at a wake.
    pub channel_max_occupancy: u64,
    /// Mean requests queued at a wake.
    pub channel_mean_occupancy: f64,
    /// Latency samples lost because a worker's ring buffer was full.
    pub latency_samples_lost: u64,
    /// Events past the end of the time series (not in `series`, still counted).
    pub series_overflow: u64,
    /// In-flight requests abandoned when the drain deadline passed.
    pub abandoned_in_flight: u64,
    /// The run was cancelled before the schedule's end.
    pub cancelled: bool,
    /// Wall time from the start to the report, s.
    pub wall_s: f64,
}

/// How the generator paced a run (ARCHITECTURE.md, "Pacing").
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PacingReport {
    /// CPU time one timer wake took on this machine, measured at the start
    /// of the run, µs (0: not measured, a test clock or a given budget).
    pub wake_cost_us: f64,
    /// Shortest time between two of the generator's timer wakes, µs: the
    /// wake cost over the share of a core the wakes may take.
    pub min_wake_gap_us: f64,
    /// How early a request may go out, µs before its intended time: no
    /// request is sent earlier.
    pub early_budget_us: f64,
    /// Requests sent before their intended time ÷ requests with a latency
    /// sample.
    pub early_share: f64,
    /// Release passes its own timer woke the generator for.
    pub timer_wakes: u64,
    /// Release passes that rode on a worker's wake (a response arrived).
    pub nudged_wakes: u64,
}

/// Schedule lag p99 above which a run is [`RunReport::behind_schedule`], ms.
pub const BEHIND_SCHEDULE_LAG_P99_MS: f64 = 10.0;

/// Generation vs completion over time at a fixed resolution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeSeries {
    /// Length of one interval, ms.
    pub interval_ms: u64,
    /// Target rate at the middle of each interval, requests per second.
    pub target_rps: Vec<f64>,
    /// Requests generated in each interval.
    pub generated: Vec<u64>,
    /// Requests completed in each interval.
    pub completed: Vec<u64>,
    /// Response-time p50 (ms) of the requests completed in each interval;
    /// `null` where none completed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_p50_ms: Vec<Option<f64>>,
    /// The same, p99 (ms).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_p99_ms: Vec<Option<f64>>,
}

impl PacingReport {
    /// A plausible pacing report of a 10 000 requests/s run on a VM.
    fn example() -> PacingReport {
        PacingReport {
            wake_cost_us: 15.0,
            min_wake_gap_us: 250.0,
            early_budget_us: 125.0,
            early_share: 0.1,
            timer_wakes: 9000,
            nudged_wakes: 1000,
        }
    }
}

impl Percentiles {
    /// Plausible percentiles of 9990 samples around `base` ms.
    fn example(base: f64) -> Percentiles {
        Percentiles {
            p50: base,
            p90: base * 1.5,
            p99: base * 3.0,
            p999: base * 5.0,
            max: base * 8.0,
            mean: base * 1.1,
            count: 9990,
        }
    }
}

impl RequestCounts {
    /// `succeeded + failed == completed <= generated`.
    pub fn is_consistent(&self) -> bool {
        self.succeeded + self.failed == self.completed && self.completed <= self.generated
    }
}

impl RunReport {
    /// `failed ÷ completed`, 0 when nothing completed.
    pub fn error_rate(&self) -> f64 {
        if self.requests.completed == 0 {
            0.0
        } else {
            self.requests.failed as f64 / self.requests.completed as f64
        }
    }

    /// Achieved completion rate over the schedule, requests per second.
    pub fn achieved_rps(&self) -> f64 {
        if self.duration_s > 0.0 {
            self.requests.completed as f64 / self.duration_s
        } else {
            0.0
        }
    }

    /// A small, fully-populated report for tests of code that reads reports.
    pub fn example() -> RunReport {
        let p = Percentiles::example;
        RunReport {
            schema_version: SCHEMA_VERSION,
            target_rps: 1000.0,
            duration_s: 10.0,
            concurrency: 50,
            target: "embedded http://127.0.0.1:40000/".into(),
            efficiency: 0.999,
            generation_efficiency: 1.0,
            min_window_efficiency: 0.998,
            min_window_generation_efficiency: 1.0,
            behind_schedule: false,
            requests: RequestCounts {
                expected: 10000,
                generated: 10000,
                completed: 9990,
                succeeded: 9990,
                ..RequestCounts::default()
            },
            phases: vec![PhaseReport {
                name: "steady".into(),
                start_s: 0.0,
                end_s: 10.0,
                expected: 10000,
                generated: 10000,
                completed: 9990,
                efficiency: 0.999,
                generation_efficiency: 1.0,
            }],
            windows: vec![],
            latency_ms: LatencyReport {
                response: p(0.2),
                service: p(0.15),
                schedule_lag: p(0.05),
                early: Percentiles {
                    count: 1000,
                    ..p(0.01)
                },
                response_distribution: vec![
                    [0.0, 0.05],
                    [50.0, 0.2],
                    [90.0, 0.3],
                    [99.0, 0.6],
                    [99.9, 1.2],
                    [100.0, 2.0],
                ],
            },
            status_codes: BTreeMap::from([("200".to_string(), 9990)]),
            errors: BTreeMap::new(),
            connections: ConnectionReport::example(),
            cpu: CpuReport {
                user_s: 0.5,
                system_s: 0.6,
                percent_of_core: 11.0,
                includes_server: true,
            },
            memory: MemoryReport {
                peak_rss_bytes: 20_000_000,
                allocations: 12_000,
            },
            diagnostics: Diagnostics::default(),
            pacing: PacingReport::example(),
            series: TimeSeries {
                interval_ms: 100,
                target_rps: vec![1000.0; 100],
                generated: vec![100; 100],
                completed: vec![100; 100],
                response_p50_ms: (0..100).map(|i| Some(0.2 + i as f64 / 1000.0)).collect(),
                response_p99_ms: (0..100).map(|i| Some(0.6 + i as f64 / 100.0)).collect(),
            },
            warnings: vec![],
            shard: None,
        }
    }
}
