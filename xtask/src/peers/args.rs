//! The command line of `cargo xtask peers`, and how durations and rates are
//! written for the tools.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::Tool;

/// A row set: which server the tools load, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Set {
    /// The embedded server, plain HTTP/1.1: every tool.
    #[default]
    Plain,
    /// nginx, HTTP/1.1 over TLS: ours and oha.
    Https,
    /// nginx, HTTP/2 over TLS: ours and oha.
    H2,
}

impl Set {
    pub fn name(self) -> &'static str {
        match self {
            Set::Plain => "plain",
            Set::Https => "https",
            Set::H2 => "h2",
        }
    }

    /// Whether `tool` has a row in this set.
    pub fn runs(self, tool: Tool) -> bool {
        match self {
            Set::Plain => tool != Tool::Wrk,
            Set::Https | Set::H2 => matches!(tool, Tool::CargoRatecheck | Tool::Oha | Tool::OhaLc),
        }
    }
}

/// Options of `cargo xtask peers`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeersOptions {
    pub rates: Vec<f64>,
    pub duration: Duration,
    pub repeat: u32,
    pub concurrency: u32,
    pub json: Option<PathBuf>,
    /// Use this cargo-ratecheck binary instead of building the release one.
    pub bin: Option<PathBuf>,
    /// The row sets to run.
    pub sets: Vec<Set>,
    /// HTTP/2 connections the streams share (the h2 set).
    pub h2_connections: u32,
}

impl Default for PeersOptions {
    fn default() -> Self {
        PeersOptions {
            rates: vec![1000.0, 10000.0, 50000.0, 70000.0],
            duration: Duration::from_secs(10),
            repeat: 3,
            concurrency: 100,
            json: None,
            bin: None,
            sets: vec![Set::Plain, Set::Https, Set::H2],
            h2_connections: 4,
        }
    }
}

pub const USAGE: &str = "cargo xtask peers [--rates 1000,10000,50000,70000] [--duration 10s] \
[--repeat 3] [--concurrency 100] [--sets plain,https,h2] [--h2-connections 4] [--json PATH] \
[--bin PATH]";

impl PeersOptions {
    pub fn parse(args: &[String]) -> Result<PeersOptions> {
        let mut opts = PeersOptions::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || -> Result<String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it
                        .next()
                        .cloned()
                        .with_context(|| format!("`{flag}` needs a value; usage: {USAGE}")),
                }
            };
            match flag {
                "--rates" => opts.rates = parse_rates(&value()?)?,
                "--duration" => opts.duration = parse_duration(&value()?)?,
                "--repeat" => opts.repeat = parse_positive("--repeat", &value()?)?,
                "--concurrency" => opts.concurrency = parse_positive("--concurrency", &value()?)?,
                "--json" => opts.json = Some(PathBuf::from(value()?)),
                "--bin" => opts.bin = Some(PathBuf::from(value()?)),
                "--sets" => opts.sets = parse_sets(&value()?)?,
                "--h2-connections" => {
                    opts.h2_connections = parse_positive("--h2-connections", &value()?)?
                }
                other => bail!("unknown option `{other}` for peers; usage: {USAGE}"),
            }
        }
        if opts.duration < Duration::from_secs(1) {
            bail!(
                "--duration {} is too short: wrk counts whole seconds, use at least 1s",
                format_duration(opts.duration)
            );
        }
        Ok(opts)
    }
}

/// `plain,https,h2` → the row sets, each once, in that order.
fn parse_sets(s: &str) -> Result<Vec<Set>> {
    let mut sets = Vec::new();
    for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let set = [Set::Plain, Set::Https, Set::H2]
            .into_iter()
            .find(|set| set.name() == word)
            .with_context(|| format!("--sets: `{word}` is not one of plain, https, h2"))?;
        sets.push(set);
    }
    sets.sort();
    sets.dedup();
    if sets.is_empty() {
        bail!("--sets `{s}` names no row set; give e.g. --sets https,h2");
    }
    Ok(sets)
}

fn parse_positive(flag: &str, s: &str) -> Result<u32> {
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{flag} `{s}` is not a positive whole number"),
    }
}

/// `1000,10000,5e4` → rates in requests per second (positive, finite).
pub fn parse_rates(s: &str) -> Result<Vec<f64>> {
    let rates = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.trim().parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
            _ => bail!("--rates: `{p}` is not a positive number of requests per second"),
        })
        .collect::<Result<Vec<_>>>()?;
    if rates.is_empty() {
        bail!("--rates `{s}` lists no rate; give e.g. --rates 1000,10000");
    }
    Ok(rates)
}

/// `10s`, `500ms`, `2m`, `1.5s`, `250us`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let factor = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" => 60.0,
        "h" => 3600.0,
        _ => bail!("duration `{s}` has an unknown unit; write e.g. 500ms, 10s, 2m"),
    };
    match num.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(Duration::from_secs_f64(n * factor)),
        _ => bail!("duration `{s}` is not a number with a unit; write e.g. 500ms, 10s, 2m"),
    }
}

/// A duration as the tools take it: whole seconds as `10s`, else `1500ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A rate without a needless fraction: `1000`, `0.5`, `33.333`.
pub fn format_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        let s = format!("{r:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reject() {
        let args: Vec<String> = [
            "--rates",
            "1000,5e4",
            "--duration=2s",
            "--repeat",
            "2",
            "--json",
            "x.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = PeersOptions::parse(&args).unwrap();
        assert_eq!(o.rates, vec![1000.0, 50000.0]);
        assert_eq!(o.duration, Duration::from_secs(2));
        assert_eq!(o.repeat, 2);
        assert_eq!(o.concurrency, 100);
        assert_eq!(o.json, Some(PathBuf::from("x.json")));
        let bad = |a: &[&str]| {
            let v: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            PeersOptions::parse(&v).unwrap_err().to_string()
        };
        assert!(bad(&["--rates", "1000,-5"]).contains("-5"));
        assert!(bad(&["--duration", "10 parsecs"]).contains("unknown unit"));
        assert!(bad(&["--duration", "500ms"]).contains("at least 1s"));
        assert!(bad(&["--repeat", "0"]).contains("--repeat"));
        assert!(bad(&["--json"]).contains("needs a value"));
        assert!(bad(&["--fast"]).contains("--fast"));
        assert!(bad(&["--sets", "h3"]).contains("h3"));
        let sets = vec!["--sets".to_string(), "h2,https,h2".to_string()];
        assert_eq!(
            PeersOptions::parse(&sets).unwrap().sets,
            [Set::Https, Set::H2]
        );
        let bin = vec!["--bin".to_string(), "/x/cargo-ratecheck".to_string()];
        assert_eq!(
            PeersOptions::parse(&bin).unwrap().bin,
            Some(PathBuf::from("/x/cargo-ratecheck"))
        );
    }

    #[test]
    fn durations_and_rates_render_for_the_tools() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_rate(10000.0), "10000");
        assert_eq!(format_rate(1000.0 / 3.0), "333.333");
        assert_eq!(format_rate(0.5), "0.5");
    }
}
