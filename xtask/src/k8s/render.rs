//! The manifests of `deploy/kubernetes/` made into one run's manifest,
//! pure: every `{{key}}` of the templates replaced by a checked value, and
//! the shards' JSON read back out of their logs. No clock, no kubectl.

use std::time::Duration;

use anyhow::{bail, Result};

/// The ConfigMap template (the run's settings).
pub const CONFIGMAP: &str = include_str!("../../../deploy/kubernetes/configmap.yaml");
/// The Indexed Job template.
pub const JOB: &str = include_str!("../../../deploy/kubernetes/job.yaml");

/// The most shards a run is split into (`completions` of the Job).
pub const MAX_SHARDS: usize = 64;

/// Time the Job gets past the end of the schedule before Kubernetes stops
/// it: the drain, writing the JSON, a slow pod start.
const DEADLINE_MARGIN: Duration = Duration::from_secs(180);

/// One sharded run's settings, as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The Job's and ConfigMap's name (a DNS label).
    pub name: String,
    /// The container image built from this repository's Dockerfile.
    pub image: String,
    pub shards: usize,
    /// Requests per second of the whole run (all shards together).
    pub rps: String,
    pub duration: String,
    pub ramp_up: String,
    pub ramp_down: String,
    /// Workers per shard.
    pub concurrency: usize,
    /// The service every shard loads (`http://` or `https://`).
    pub url: String,
    /// CPU and memory of each shard's container (Kubernetes quantities).
    pub cpu: String,
    pub memory: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            name: "ratecheck".into(),
            image: "cargo-ratecheck:latest".into(),
            shards: 2,
            rps: "1000".into(),
            duration: "30s".into(),
            ramp_up: "0s".into(),
            ramp_down: "0s".into(),
            concurrency: 50,
            url: String::new(),
            cpu: "2".into(),
            memory: "512Mi".into(),
        }
    }
}

impl Settings {
    /// How long a shard loads: the ramps and the steady phase.
    pub fn run_time(&self) -> Result<Duration> {
        Ok(duration(&self.ramp_up)? + duration(&self.duration)? + duration(&self.ramp_down)?)
    }
}

/// The ConfigMap and the Job of one run, as one multi-document YAML, with
/// every shard starting at `start_at` (RFC 3339) and `lead` before it
/// (the Job's deadline counts from its creation).
pub fn render(s: &Settings, start_at: &str, lead: Duration) -> Result<String> {
    check(s)?;
    if !is_rfc3339(start_at) {
        bail!("start time `{start_at}`: not an RFC 3339 instant (2026-12-06T12:00:00Z)");
    }
    let deadline = (lead + s.run_time()? + DEADLINE_MARGIN)
        .as_secs_f64()
        .ceil() as u64;
    let values: [(&str, String); 12] = [
        ("name", s.name.clone()),
        ("image", s.image.clone()),
        ("shards", s.shards.to_string()),
        ("rps", s.rps.clone()),
        ("duration", s.duration.clone()),
        ("ramp_up", s.ramp_up.clone()),
        ("ramp_down", s.ramp_down.clone()),
        ("concurrency", s.concurrency.to_string()),
        ("url", s.url.clone()),
        ("cpu", s.cpu.clone()),
        ("memory", s.memory.clone()),
        ("start_at", start_at.to_string()),
    ];
    let mut out = format!("{}---\n{}", CONFIGMAP, JOB);
    for (key, value) in values.iter().chain(&[("deadline_s", deadline.to_string())]) {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    if let Some(at) = out.find("{{") {
        let rest: String = out[at..].chars().take(30).collect();
        bail!("a template key has no value: {rest}");
    }
    Ok(out)
}

/// Refuses a setting that would make a broken or unsafe manifest, naming
/// the option.
fn check(s: &Settings) -> Result<()> {
    let label = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if s.name.is_empty()
        || s.name.len() > 50
        || !s.name.chars().all(label)
        || s.name.starts_with('-')
        || s.name.ends_with('-')
    {
        bail!("--name {}: 1 to 50 lowercase letters, digits and '-', not at either end (a Kubernetes name)", s.name);
    }
    if !(1..=MAX_SHARDS).contains(&s.shards) {
        bail!("--shards {}: from 1 to {MAX_SHARDS}", s.shards);
    }
    let plain = |v: &str| {
        !v.is_empty()
            && !v
                .chars()
                .any(|c| c.is_whitespace() || "\"\\'$`{}".contains(c))
    };
    if !plain(&s.image) {
        bail!(
            "--image {}: an image reference, without spaces or quotes",
            s.image
        );
    }
    match s.rps.parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() && plain(&s.rps) => {}
        _ => bail!(
            "--rps {}: a rate above 0 (requests per second, all shards together)",
            s.rps
        ),
    }
    for (flag, d) in [
        ("--duration", &s.duration),
        ("--ramp-up", &s.ramp_up),
        ("--ramp-down", &s.ramp_down),
    ] {
        if duration(d).is_err() {
            bail!("{flag} {d}: a duration such as 500ms, 30s, 2m");
        }
    }
    if s.concurrency == 0 || s.concurrency > 10_000 {
        bail!(
            "--concurrency {}: from 1 to 10000 workers per shard",
            s.concurrency
        );
    }
    let host = ["http://", "https://"]
        .iter()
        .find_map(|scheme| s.url.strip_prefix(scheme))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    if !plain(&s.url) || host.is_none_or(|h| h.is_empty() || h.contains('@')) {
        bail!(
            "--url `{}`: the service every shard loads, an http:// or https:// URL with a host (required)",
            s.url
        );
    }
    let digits = s.cpu.strip_suffix('m').unwrap_or(&s.cpu);
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        || digits.parse::<f64>().map_or(true, |v| v <= 0.0)
    {
        bail!("--cpu {}: a CPU quantity such as 2 or 1500m", s.cpu);
    }
    let unit = ["Ki", "Mi", "Gi", "K", "M", "G"]
        .iter()
        .find(|u| s.memory.ends_with(**u));
    let digits = unit.map_or(s.memory.as_str(), |u| &s.memory[..s.memory.len() - u.len()]);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        bail!(
            "--memory {}: a memory quantity such as 512Mi or 1Gi",
            s.memory
        );
    }
    Ok(())
}

/// A duration as the command line writes it (`250us`, `500ms`, `5s`,
/// `1.5s`, `2m`, `1h`).
pub fn duration(s: &str) -> Result<Duration> {
    let units = [
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    for (unit, secs) in units {
        if let Some(n) = s.strip_suffix(unit) {
            let plain = !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.');
            if let (true, Ok(v)) = (plain, n.parse::<f64>()) {
                return Ok(Duration::from_secs_f64(v * secs));
            }
        }
    }
    bail!("`{s}`: a duration such as 500ms, 30s, 2m")
}

/// `YYYY-MM-DDTHH:MM:SS[.frac]Z`, as `humantime` writes it.
fn is_rfc3339(s: &str) -> bool {
    humantime::parse_rfc3339(s).is_ok()
}

/// The marker lines a shard writes around its JSON on standard output.
pub fn markers(index: usize) -> (String, String) {
    (
        format!("----- ratecheck part {index} begin -----"),
        format!("----- ratecheck part {index} end -----"),
    )
}

/// Shard `index`'s JSON, out of its log (`kubectl logs`): the lines
/// between its markers.
pub fn part_from_log(log: &str, index: usize) -> Result<String> {
    let (begin, end) = markers(index);
    let lines: Vec<&str> = log.lines().collect();
    let Some(b) = lines.iter().position(|l| l.trim_end() == begin) else {
        bail!("shard {index}: its log has no `{begin}` line: the shard did not finish (kubectl logs shows why)");
    };
    let Some(e) = lines[b + 1..].iter().position(|l| l.trim_end() == end) else {
        bail!("shard {index}: its log ends before `{end}`: the JSON is truncated");
    };
    let json = lines[b + 1..b + 1 + e].join("\n");
    if json.trim().is_empty() {
        bail!("shard {index}: no JSON between its markers: the run wrote none (kubectl logs shows why)");
    }
    Ok(json + "\n")
}

#[cfg(test)]
mod tests;
