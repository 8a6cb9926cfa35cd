//! The arguments that make a run one shard of a schedule: `--shard i/N` (or
//! `auto/N`, the index from the `JOB_COMPLETION_INDEX` a Kubernetes
//! Indexed Job sets) and `--start-at` (an RFC 3339 instant, or `+DURATION`
//! from now). Parsing is pure; only [`ShardArg::resolve`] reads the
//! environment.

use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::duration::parse_duration;
use ratecheck_engine::schedule::Stripe;

/// The environment variable a Kubernetes Indexed Job sets to each pod's index.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// `--shard`: an index (or `auto`) and a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardArg {
    /// `None` for `auto`.
    pub index: Option<u64>,
    pub count: u64,
}

/// `--shard i/N` or `auto/N`, with `0 <= i < N <= MAX_SHARDS`.
pub fn parse_shard(s: &str) -> Result<ShardArg, String> {
    let bad = || format!("{s:?}: give i/N (e.g. 0/3) or auto/N, with 0 <= i < N <= {MAX}");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let count: u64 = n.trim().parse().map_err(|_| bad())?;
    let index = match i.trim() {
        "auto" => None,
        i => Some(i.parse::<u64>().map_err(|_| bad())?),
    };
    if count == 0 || count > MAX || index.is_some_and(|i| i >= count) {
        return Err(bad());
    }
    Ok(ShardArg { index, count })
}

const MAX: u64 = ratecheck_engine::schedule::MAX_SHARDS;

impl ShardArg {
    /// The shard's stripe, its index from `env_index` (the value of
    /// [`INDEX_VAR`]) for `auto`.
    pub fn resolve(self, env_index: Option<&str>) -> Result<Stripe, String> {
        let index = match self.index {
            Some(i) => i,
            None => {
                let v = env_index.ok_or_else(|| {
                    format!("--shard auto/{} reads {INDEX_VAR}, which is not set; give the index (--shard i/{})", self.count, self.count)
                })?;
                match v.trim().parse::<u64>() {
                    Ok(i) if i < self.count => i,
                    _ => {
                        return Err(format!(
                            "{INDEX_VAR}={v:?} is not an index below {} (--shard auto/{})",
                            self.count, self.count
                        ))
                    }
                }
            }
        };
        Stripe::new(index, self.count).map_err(|e| format!("--shard: {e}"))
    }
}

/// `--start-at`: an RFC 3339 instant (`2026-12-06T10:30:00Z`), or
/// `+DURATION` from `now`.
pub fn parse_start_at_from(s: &str, now: SystemTime) -> Result<SystemTime, String> {
    if let Some(d) = s.strip_prefix('+') {
        return Ok(now + parse_duration(d)?);
    }
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|e| {
        format!("{s:?}: give an RFC 3339 instant (2026-12-06T10:30:00Z) or +DURATION from now (+10s): {e}")
    })?;
    Ok(SystemTime::from(t))
}

/// [`parse_start_at_from`] now.
pub fn parse_start_at(s: &str) -> Result<SystemTime, String> {
    parse_start_at_from(s, SystemTime::now())
}

/// `t` as RFC 3339, UTC, to the nanosecond.
pub fn format_instant(t: SystemTime) -> String {
    OffsetDateTime::from(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn shards_parse_and_refuse() {
        assert_eq!(
            parse_shard("1/3"),
            Ok(ShardArg {
                index: Some(1),
                count: 3
            })
        );
        assert_eq!(parse_shard("auto/4").unwrap().index, None);
        for bad in ["3/3", "0/0", "1", "a/3", "-1/3", "0/99999", ""] {
            let e = parse_shard(bad).unwrap_err();
            assert!(e.contains("i/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn auto_reads_the_job_index() {
        let auto = parse_shard("auto/3").unwrap();
        assert_eq!(auto.resolve(Some("2")), Ok(Stripe::new(2, 3).unwrap()));
        assert!(auto.resolve(None).unwrap_err().contains(INDEX_VAR));
        assert!(auto
            .resolve(Some("3"))
            .unwrap_err()
            .contains("not an index"));
        assert!(auto.resolve(Some("x")).is_err());
        assert_eq!(
            parse_shard("1/3").unwrap().resolve(Some("2")),
            Ok(Stripe::new(1, 3).unwrap())
        );
    }

    #[test]
    fn start_times_parse() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            parse_start_at_from("+10s", now),
            Ok(now + Duration::from_secs(10))
        );
        let t = parse_start_at_from("2026-12-06T10:30:00.5Z", now).unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_millis(1_796_553_000_500)
        );
        let offset = parse_start_at_from("2026-12-06T11:30:00.5+01:00", now).unwrap();
        assert_eq!(offset, t);
        assert_eq!(format_instant(t), "2026-12-06T10:30:00.5Z");
        for bad in [
            "tomorrow",
            "2026-12-06 10:30",
            "+soon",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(parse_start_at_from(bad, now).is_err(), "{bad}");
        }
    }
}
