//! The check of a target URL: loopback only.

use std::time::Duration;

/// Checks a target URL is `http://` to a loopback host (`127.0.0.1` or any
/// 127.x address, `localhost`, `[::1]`), with an optional non-zero port and
/// path; returns it trimmed. The load generator must not be pointed at other
/// machines by a config file or a typo.
pub fn validate_loopback_url(s: &str) -> Result<String, String> {
    let t = s.trim();
    // The engine's own parser, so config and `--url` accept the same URLs.
    ratecheck_engine::target::HttpTarget::new(t, Duration::from_secs(1))
        .map(|_| t.to_string())
        .map_err(|e| e.to_string())
}
