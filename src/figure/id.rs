//! The name of every figure, once. Rows are matched across a baseline and a
//! run by these names, so a figure renamed here is renamed everywhere, and
//! no other module writes a figure name as a string literal (a test in this
//! module reads the sources to hold that).

/// Completed ÷ expected over the whole run.
pub const EFFICIENCY: &str = "efficiency";
/// Failed ÷ completed.
pub const ERROR_RATE: &str = "error_rate";
/// Generated ÷ expected (shown).
pub const GENERATION_EFFICIENCY: &str = "generation_efficiency";
/// The worst window's efficiency in steady state (shown).
pub const MIN_WINDOW_EFFICIENCY: &str = "min_window_efficiency";
/// Median response time (coordinated-omission corrected), ms.
pub const RESPONSE_P50_MS: &str = "response_p50_ms";
/// Median schedule lag (actual − intended send time, an early send as 0), µs.
pub const SCHEDULE_LAG_P50_US: &str = "schedule_lag_p50_us";
/// 99th-percentile response time, ms (shown).
pub const RESPONSE_P99_MS: &str = "response_p99_ms";
/// Requests the generator could not hand to a worker (shown).
pub const DROPPED: &str = "dropped";
/// Engine CPU per request, flat out against the null target, µs.
pub const CPU_US_PER_REQUEST_NULL: &str = "cpu_us_per_request_null";
/// Engine (and in-process server) CPU per request over HTTP, flat out, µs.
pub const CPU_US_PER_REQUEST_HTTP: &str = "cpu_us_per_request_http";
/// The limiter's own CPU, % of a core (shown).
pub const LIMITER_CPU_PERCENT: &str = "limiter_cpu_percent";
/// Peak resident set of the memory bench's short run, bytes.
pub const PEAK_RSS_BYTES: &str = "peak_rss_bytes";
/// Peak RSS of the long run ÷ the short run's (shown).
pub const PEAK_RSS_GROWTH: &str = "peak_rss_growth";
/// A started service's CPU per request of the steady phase, µs.
pub const SERVICE_CPU_US_PER_REQUEST: &str = "service_cpu_us_per_request";
/// A started service's highest sampled RSS, bytes.
pub const SERVICE_PEAK_RSS_BYTES: &str = "service_peak_rss_bytes";
/// A started service's CPU, % of a core (shown).
pub const SERVICE_CPU_PERCENT: &str = "service_cpu_percent";
/// A started service stayed up through its scenario (1) or exited (0).
pub const SERVICE_ALIVE: &str = "service_alive";

/// Prefix of a phase's efficiency (`efficiency_steady`, `efficiency_ramp_up`).
const EFFICIENCY_OF_PHASE: &str = "efficiency_";
/// Prefix of the instruction figures (`instructions_per_request_http`).
const INSTRUCTIONS_PER_REQUEST: &str = "instructions_per_request_";
/// Prefix of the counted allocations (`allocs_per_request_http`).
const ALLOCS_PER_REQUEST_OF: &str = "allocs_per_request_";
/// Prefix of the engine's CPU at a fixed rate (`cpu_percent_null_at_10k`).
const CPU_PERCENT_NULL_AT: &str = "cpu_percent_null_at_";
/// Prefix of the engine's CPU per second of schedule at a fixed rate, null
/// target (`cpu_ms_per_schedule_s_null_at_10k`).
const CPU_MS_PER_SCHEDULE_S_NULL_AT: &str = "cpu_ms_per_schedule_s_null_at_";

/// The efficiency of the phase named `phase` (`ramp-up` → `efficiency_ramp_up`).
pub fn efficiency_of_phase(phase: &str) -> String {
    format!("{EFFICIENCY_OF_PHASE}{}", phase.replace('-', "_"))
}

/// Instructions per request of the cost workload against `target` (`null`, `http`).
pub fn instructions_per_request(target: &str) -> String {
    format!("{INSTRUCTIONS_PER_REQUEST}{target}")
}

/// Heap allocations per request of the cost workload against `target`
/// (`null`, `http`), counted in the same deterministic run as the
/// instructions.
pub fn allocs_per_request(target: &str) -> String {
    format!("{ALLOCS_PER_REQUEST_OF}{target}")
}

/// The engine's CPU at the rate labelled `rate` (`10k`), null target.
pub fn cpu_percent_null_at(rate: &str) -> String {
    format!("{CPU_PERCENT_NULL_AT}{rate}")
}

/// The engine's CPU per second of schedule at the rate labelled `rate`
/// (`10k`), null target: what pacing and the request path cost at a rate.
pub fn cpu_ms_per_schedule_s_null_at(rate: &str) -> String {
    format!("{CPU_MS_PER_SCHEDULE_S_NULL_AT}{rate}")
}

/// Every fixed figure name, for checks that no other module spells one.
pub const ALL: [&str; 17] = [
    EFFICIENCY,
    ERROR_RATE,
    GENERATION_EFFICIENCY,
    MIN_WINDOW_EFFICIENCY,
    RESPONSE_P50_MS,
    SCHEDULE_LAG_P50_US,
    RESPONSE_P99_MS,
    DROPPED,
    CPU_US_PER_REQUEST_NULL,
    CPU_US_PER_REQUEST_HTTP,
    LIMITER_CPU_PERCENT,
    PEAK_RSS_BYTES,
    PEAK_RSS_GROWTH,
    SERVICE_CPU_US_PER_REQUEST,
    SERVICE_PEAK_RSS_BYTES,
    SERVICE_CPU_PERCENT,
    SERVICE_ALIVE,
];

/// The prefixes of the figure names made from a phase, target or rate.
pub const PREFIXES: [&str; 5] = [
    EFFICIENCY_OF_PHASE,
    INSTRUCTIONS_PER_REQUEST,
    ALLOCS_PER_REQUEST_OF,
    CPU_PERCENT_NULL_AT,
    CPU_MS_PER_SCHEDULE_S_NULL_AT,
];

/// The self-test's one judged figure: 1 when it passed.
pub const PASSED: &str = "passed";

/// The names of the built-in scenarios that are not load scenarios.
pub mod scenario {
    /// The start-up self-test.
    pub const SELF_TEST: &str = "self-test";
    /// The CPU bench.
    pub const CPU: &str = "cpu";
    /// The memory bench.
    pub const MEMORY: &str = "memory";
    /// The instruction-count bench.
    pub const INSTRUCTIONS: &str = "instructions";
}
