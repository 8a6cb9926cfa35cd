//! The check of a target URL: `http://` or `https://`, any host.

use std::time::Duration;

/// Checks a target URL is `http://` or `https://` with a host, an optional
/// non-zero port and a path; returns it trimmed. The host is not resolved
/// here: validating a configuration sends nothing anywhere.
pub fn validate_url(s: &str) -> Result<String, String> {
    let t = s.trim();
    // The engine's own parser, so config and `--url` accept the same URLs.
    ratecheck_engine::target::HttpTarget::new(t, Duration::from_secs(1))
        .map(|_| t.to_string())
        .map_err(|e| e.to_string())
}
