//! A target URL taken apart: `http://` or `https://`, any host (a name, an
//! IPv4 address or a bracketed IPv6 one), an optional port (80 or 443 by
//! default), the path and query. Nothing is resolved here.

use std::net::IpAddr;

use hyper::Uri;

use super::TargetError;

/// The parts of a URL the client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Endpoint {
    /// `https://`.
    pub(super) tls: bool,
    /// The host as written, without an IPv6 address's brackets: what the
    /// certificate must name (SNI), and what is resolved.
    pub(super) host: String,
    pub(super) port: u16,
    /// The path and query, `/` when the URL has none.
    pub(super) path: String,
    /// `host[:port]` as written: the `Host` header and `:authority`.
    pub(super) authority: String,
}

impl Endpoint {
    /// The host when it is an IP address (nothing to resolve).
    pub(super) fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

/// Takes `url` apart; errors name it.
pub(super) fn parse(url: &str) -> Result<Endpoint, TargetError> {
    let bad = || TargetError::BadUrl(url.to_string());
    let uri: Uri = url.parse().map_err(|_| bad())?;
    let tls = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => false,
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(_) => return Err(TargetError::Scheme(url.to_string())),
        None => return Err(bad()),
    };
    let authority = uri.authority().ok_or_else(bad)?.as_str();
    if authority.contains('@') {
        return Err(TargetError::UserInfo(url.to_string()));
    }
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    // The authority's text after the host: empty or `:PORT`. (`Uri::port`
    // is `None` for a port that does not fit in 16 bits.)
    let after_host = authority.strip_prefix(host).unwrap_or("");
    let port = match after_host.strip_prefix(':') {
        None | Some("") => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(TargetError::BadPort(url.to_string())),
        },
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(Endpoint {
        tls,
        host: host.to_string(),
        port,
        path: uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
        authority: authority.to_string(),
    })
}
