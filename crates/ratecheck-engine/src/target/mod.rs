//! What the workers send requests to: any `http://` or `https://` URL
//! through hyper — HTTP/1.1 with one keep-alive connection per worker, or
//! HTTP/2 streams over a few shared connections; TLS by rustls; reconnect on
//! error; per-request timeout — or a `null` target that answers at once (or
//! after a fixed delay) to measure the engine alone. Host names are resolved
//! once, when the target is set up; connections try every address.
//!
//! An HTTP target sends one request template, or a weighted mix of them in a
//! fixed order (a deck shuffled once with a fixed seed); a check (status,
//! body substring) can fail a response that HTTP alone would call a success.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, Uri, Version};
use rustls::pki_types::ServerName;

use crate::metrics::collector::{ErrorKind, Outcome};

mod check;
mod conn;
mod tls;
mod url;

pub(crate) use check::ResponseCheck;

pub use conn::{ConnPool, StartError};

/// A target URL or request option the engine refuses. URL errors name the
/// URL; the caller says where it came from (`--url`, a config key).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// Not a URL.
    #[error("{0:?} is not a valid URL; write it like http://127.0.0.1:8080/path")]
    BadUrl(String),
    /// Neither an `http://` nor an `https://` URL.
    #[error("{0:?}: only http:// and https:// are supported")]
    Scheme(String),
    /// The port is 0 or above 65535.
    #[error("{0:?}: the port is not one to connect to (1-65535)")]
    BadPort(String),
    /// The URL holds a user name.
    #[error("{0:?}: user names in URLs are not supported")]
    UserInfo(String),
    /// A header not written `Name: value`, or an invalid name or value.
    #[error("--header {0:?}: write it as 'Name: value'")]
    BadHeader(String),
    /// Not an HTTP method.
    #[error("--method {0:?} is not an HTTP method")]
    BadMethod(String),
    /// Not a path and query starting with `/`.
    #[error("{0:?} is not a request path; write it like /api/items?id=1")]
    BadPath(String),
    /// The CA file could not be read or holds no certificate.
    #[error("cacert {path}: {msg}; give a PEM file of the CA's certificate")]
    CaCert {
        /// The file, as given.
        path: String,
        /// Why it could not be used.
        msg: String,
    },
    /// The TLS client could not be configured.
    #[error("TLS: {0}")]
    Tls(String),
    /// `connections` outside 1..=concurrency, or given without HTTP/2.
    #[error("connections {0}: {1}")]
    Connections(usize, &'static str),
}

/// Where requests go and what they look like.
#[derive(Debug, Clone)]
pub enum Target {
    /// An HTTP server.
    Http(Box<HttpTarget>),
    /// Answers 200 at once, or after the delay.
    Null {
        /// How long each request takes (0: answered at once).
        delay: Duration,
    },
}

impl From<HttpTarget> for Target {
    fn from(t: HttpTarget) -> Self {
        Target::Http(Box::new(t))
    }
}

/// The scheme, host and port of a URL (`https://staging.example.com:443`):
/// which service a run loaded, whatever its path.
pub fn origin(url: &str) -> Result<String, TargetError> {
    let e = url::parse(url)?;
    let scheme = if e.tls { "https" } else { "http" };
    Ok(match e.ip() {
        Some(std::net::IpAddr::V6(ip)) => format!("{scheme}://[{ip}]:{}", e.port),
        _ => format!("{scheme}://{}:{}", e.host.to_ascii_lowercase(), e.port),
    })
}

/// How the client connects: TLS trust, the protocol, HTTP/2's connections.
/// The default is HTTP/1.1 with the system's trust roots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientOptions {
    /// Trust only the CA certificates of this PEM file (`https://`).
    pub cacert: Option<PathBuf>,
    /// Do not verify the server's certificate (`https://`).
    pub insecure: bool,
    /// HTTP/2: h2 by ALPN over TLS, with prior knowledge (h2c) on `http://`.
    pub http2: bool,
    /// HTTP/2 connections the workers' streams share (default 1).
    pub connections: Option<usize>,
}

impl ClientOptions {
    /// Checks `connections` against the run's concurrency (the streams).
    pub fn check(&self, concurrency: usize) -> Result<(), TargetError> {
        match self.connections {
            Some(n) if !self.http2 => Err(TargetError::Connections(
                n,
                "is for HTTP/2 (http2); HTTP/1.1 holds one connection per worker (concurrency)",
            )),
            Some(n) if n == 0 || n > concurrency => Err(TargetError::Connections(
                n,
                "must be from 1 to the concurrency (the streams the connections carry)",
            )),
            _ => Ok(()),
        }
    }
}

impl Target {
    /// The HTTP target, unless it is the null one.
    pub fn http(&self) -> Option<&HttpTarget> {
        match self {
            Target::Http(h) => Some(h),
            Target::Null { .. } => None,
        }
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Target::Http(h) => {
                let mut notes = Vec::new();
                if h.request_count() > 1 {
                    notes.push(format!("{} requests", h.request_count()));
                }
                if h.client.http2 {
                    let n = h.connections();
                    let s = if n == 1 { "" } else { "s" };
                    notes.push(format!("HTTP/2, {n} connection{s}"));
                }
                if h.tls() == Some(false) {
                    notes.push("TLS verification off".to_string());
                }
                match notes.is_empty() {
                    true => h.url.clone(),
                    false => format!("{} ({})", h.url, notes.join(", ")),
                }
            }
            Target::Null { delay } if delay.is_zero() => "null".to_string(),
            Target::Null { delay } => format!("null (delay {delay:?})"),
        }
    }
}

/// One request: method, path (and query), headers, body.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    method: Method,
    path: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl RequestTemplate {
    /// A request with no headers or body; `path` starts with `/`.
    pub fn new(method: &str, path: &str) -> Result<Self, TargetError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| TargetError::BadMethod(method.to_string()))?;
        let bad_path = || TargetError::BadPath(path.to_string());
        if !path.starts_with('/') {
            return Err(bad_path());
        }
        let path: Uri = path.parse().map_err(|_| bad_path())?;
        if path.scheme().is_some() || path.authority().is_some() {
            return Err(bad_path());
        }
        Ok(RequestTemplate {
            method,
            path,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    /// Adds a header written as `Name: value`.
    pub fn with_header(mut self, header: &str) -> Result<Self, TargetError> {
        let bad = || TargetError::BadHeader(header.to_string());
        let (name, value) = header.split_once(':').ok_or_else(bad)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
        self.headers.push((name, value));
        Ok(self)
    }

    pub(crate) fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
}

/// TLS for an `https://` target: the client configuration and the name
/// the server's certificate must hold (from the URL).
#[derive(Debug, Clone)]
struct TlsClient {
    config: Arc<rustls::ClientConfig>,
    server_name: ServerName<'static>,
}

/// Where HTTP requests go and which ones: the URL's host (resolved by
/// [`HttpTarget::resolve`]), the requests (one, or a mix in the order of
/// `deck`), the check on each response, and how the client connects.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// The URL as given.
    pub url: String,
    /// The addresses connections try, in order: the URL's literal IP, or
    /// what its host name resolved to.
    addrs: Arc<[SocketAddr]>,
    endpoint: url::Endpoint,
    host: HeaderValue,
    /// `Some` for `https://`.
    tls: Option<TlsClient>,
    client: ClientOptions,
    requests: Box<[RequestTemplate]>,
    /// What each of `requests` is sent to, made once rather than per
    /// request: its path (HTTP/1.1, beside a `Host` header), or the
    /// absolute URI whose scheme and authority HTTP/2 sends as `:scheme`
    /// and `:authority`.
    uris: Box<[Uri]>,
    /// Indices into `requests` ([`super::deck::shuffled`]); empty when
    /// there is one request.
    deck: Box<[u32]>,
    check: ResponseCheck,
    pub(crate) timeout: Duration,
}

impl HttpTarget {
    /// Parses an `http://` or `https://` URL; the target sends `GET` to
    /// its path over HTTP/1.1, verifying TLS by the system's roots
    /// ([`crate::load::Traffic::http_target`] builds one that sends a mix,
    /// checks the responses and connects as its [`ClientOptions`] say). A
    /// host name is not resolved here.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, TargetError> {
        Self::with_client(url, timeout, ClientOptions::default())
    }

    /// [`HttpTarget::new`], connecting as `client` says (reads the CA
    /// file, if any, for an `https://` URL).
    pub fn with_client(
        url: &str,
        timeout: Duration,
        client: ClientOptions,
    ) -> Result<Self, TargetError> {
        let endpoint = url::parse(url)?;
        let bad = || TargetError::BadUrl(url.to_string());
        let get = RequestTemplate::new("GET", &endpoint.path).map_err(|_| bad())?;
        let addrs: Arc<[SocketAddr]> = match endpoint.ip() {
            Some(ip) => Arc::new([SocketAddr::new(ip, endpoint.port)]),
            None => Arc::new([]),
        };
        let tls = if endpoint.tls {
            Some(TlsClient {
                config: tls::client_config(&client)?,
                server_name: ServerName::try_from(endpoint.host.clone()).map_err(|_| bad())?,
            })
        } else {
            None
        };
        let target = HttpTarget {
            url: url.to_string(),
            addrs,
            host: HeaderValue::from_str(&endpoint.authority).map_err(|_| bad())?,
            endpoint,
            tls,
            client,
            requests: Box::new([get]),
            uris: Box::new([]),
            deck: Box::new([]),
            check: ResponseCheck::default(),
            timeout,
        };
        Ok(target.with_uris())
    }

    /// Sets `uris` for `requests`.
    fn with_uris(mut self) -> Self {
        let uri = |t: &RequestTemplate| {
            if !self.client.http2 {
                return t.path.clone();
            }
            let scheme = if self.tls.is_some() { "https" } else { "http" };
            Uri::builder()
                .scheme(scheme)
                .authority(self.endpoint.authority.as_str())
                .path_and_query(t.path.path_and_query().map_or("/", |p| p.as_str()))
                .build()
                .unwrap_or_else(|_| t.path.clone())
        };
        self.uris = self.requests.iter().map(uri).collect();
        self
    }

    /// Resolves the URL's host name, once (a literal IP needs none); an
    /// error names the URL.
    pub async fn resolve(&mut self) -> Result<(), StartError> {
        if self.endpoint.ip().is_some() {
            return Ok(());
        }
        let e = &self.endpoint;
        let fail = |cause: String| StartError {
            url: self.url.clone(),
            cause,
        };
        let found: Vec<SocketAddr> = tokio::net::lookup_host((e.host.as_str(), e.port))
            .await
            .map_err(|err| {
                fail(format!(
                    "the host name {:?} does not resolve ({err})",
                    e.host
                ))
            })?
            .collect();
        if found.is_empty() {
            return Err(fail(format!("the host name {:?} has no address", e.host)));
        }
        self.addrs = found.into();
        Ok(())
    }

    /// The addresses connections try, in order.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// `https://`, and whether the certificate is verified.
    pub fn tls(&self) -> Option<bool> {
        self.tls.as_ref().map(|_| !self.client.insecure)
    }

    /// The protocol spoken: `HTTP/1.1` or `HTTP/2`.
    pub fn protocol(&self) -> &'static str {
        if self.client.http2 {
            "HTTP/2"
        } else {
            "HTTP/1.1"
        }
    }

    /// HTTP/2 connections the workers share.
    pub(crate) fn connections(&self) -> usize {
        self.client.connections.unwrap_or(1).max(1)
    }

    /// The URL's path and query, for requests that name no path.
    pub(crate) fn url_path(&self) -> &str {
        &self.endpoint.path
    }

    /// Sends `mix` (each request with its weight ≥ 1) instead, in the
    /// order of [`super::deck::shuffled`]; an empty mix changes nothing.
    pub(crate) fn with_requests(mut self, mix: Vec<(RequestTemplate, u32)>) -> Self {
        if mix.is_empty() {
            return self;
        }
        let weights: Vec<u32> = mix.iter().map(|(_, w)| (*w).max(1)).collect();
        self.deck = super::deck::shuffled(&weights, super::deck::SEED).into();
        self.requests = mix.into_iter().map(|(t, _)| t).collect();
        self.with_uris()
    }

    pub(crate) fn with_check(mut self, check: ResponseCheck) -> Self {
        self.check = check;
        self
    }

    /// How many different requests it sends.
    pub(crate) fn request_count(&self) -> usize {
        self.requests.len()
    }

    /// Request `id` of the run: its template from the deck, sent to its
    /// URI (`uris`), with a `Host` header for HTTP/1.1.
    fn request(&self, id: u64) -> Request<Full<Bytes>> {
        let i = match self.deck.len() {
            0 => 0,
            n => self.deck[(id % n as u64) as usize] as usize,
        };
        let t = &self.requests[i];
        let mut req = Request::new(Full::new(t.body.clone()));
        *req.uri_mut() = self.uris[i].clone();
        *req.method_mut() = t.method.clone();
        let h = req.headers_mut();
        for (k, v) in &t.headers {
            h.append(k.clone(), v.clone());
        }
        if self.client.http2 {
            *req.version_mut() = Version::HTTP_2;
        } else {
            req.headers_mut().insert(HOST, self.host.clone());
        }
        req
    }
}

/// One worker's connection: its own for HTTP/1.1, a shared one for HTTP/2.
pub(crate) struct Connection {
    pool: Arc<ConnPool>,
    /// The worker's number: which shared HTTP/2 connection it uses.
    index: usize,
    h1: Option<conn::H1>,
    /// The shared HTTP/2 connection's number and sender.
    h2: Option<(u64, conn::H2)>,
    /// The HTTP/2 connection this worker saw fail: not to be taken again.
    h2_failed: Option<u64>,
    /// The connection was opened for the next request: time its first byte.
    fresh: bool,
}

impl Connection {
    /// Worker `index`'s connection, in the run's `pool`.
    pub(crate) fn new(pool: Arc<ConnPool>, index: usize) -> Connection {
        Connection {
            pool,
            index,
            h1: None,
            h2: None,
            h2_failed: None,
            fresh: false,
        }
    }

    /// Sends request `id` of the run and waits for the whole response.
    pub(crate) async fn send(&mut self, target: &Target, id: u64) -> Outcome {
        match target {
            Target::Null { delay } => {
                if !delay.is_zero() {
                    tokio::time::sleep(*delay).await;
                }
                Outcome::Status(200)
            }
            Target::Http(h) => match tokio::time::timeout(h.timeout, self.send_http(h, id)).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    // The connection may still carry the late response: drop it.
                    self.drop_connection();
                    Outcome::Error(ErrorKind::Timeout)
                }
            },
        }
    }

    fn drop_connection(&mut self) {
        self.h1 = None;
        if let Some((n, _)) = self.h2.take() {
            self.h2_failed = Some(n);
        }
    }

    async fn ready_h1(&mut self, h: &HttpTarget) -> Result<(), ErrorKind> {
        if let Some(s) = self.h1.as_mut() {
            if !s.is_closed() && s.ready().await.is_ok() {
                return Ok(());
            }
        }
        // Closed by the peer (keep-alive ended) or broken: reconnect once.
        // Boxed: opening (TLS included) is a large future, and held inline
        // it would make every request's future that large to move.
        self.h1 = None;
        let mut s = Box::pin(conn::open_h1(h, &self.pool))
            .await
            .map_err(|e| e.kind())?;
        self.fresh = true;
        s.ready().await.map_err(|e| classify(&e))?;
        self.h1 = Some(s);
        Ok(())
    }

    async fn ready_h2(&mut self, h: &HttpTarget) -> Result<(), ErrorKind> {
        if let Some((_, s)) = self.h2.as_mut() {
            if !s.is_closed() && s.ready().await.is_ok() {
                return Ok(());
            }
            self.drop_connection();
        }
        // Boxed, as in `ready_h1`.
        let (n, mut s) = Box::pin(self.pool.h2(h, self.index, self.h2_failed))
            .await
            .map_err(|e| e.kind())?;
        self.fresh = true;
        if let Err(e) = s.ready().await {
            self.h2_failed = Some(n);
            return Err(classify(&e));
        }
        self.h2 = Some((n, s));
        Ok(())
    }

    async fn send_http(&mut self, h: &HttpTarget, id: u64) -> Outcome {
        let ready = if h.client.http2 {
            self.ready_h2(h).await
        } else {
            self.ready_h1(h).await
        };
        if let Err(kind) = ready {
            return Outcome::Error(kind);
        }
        let first_sent = self.fresh.then(|| self.pool.clock.now_ns());
        // The request is built in the call, and the response taken apart
        // before the body is read: each move of a whole `Request` or
        // `Response` is a memcpy per request (callgrind).
        let sent = if let Some(s) = self.h1.as_mut() {
            s.send_request(h.request(id)).await
        } else if let Some((_, s)) = self.h2.as_mut() {
            s.send_request(h.request(id)).await
        } else {
            return Outcome::Error(ErrorKind::Other);
        };
        let result = match sent {
            Ok(resp) => {
                if let Some(t0) = first_sent {
                    self.fresh = false;
                    let ns = self.pool.clock.now_ns().saturating_sub(t0);
                    self.pool.tally.first_byte(ns);
                }
                let status = resp.status().as_u16();
                read_body(h, resp.into_body()).await.map(|ok| (status, ok))
            }
            Err(e) => Err(classify(&e)),
        };
        match result {
            Ok((status, body_ok)) => h.check.judge(status, body_ok),
            Err(kind) => {
                self.drop_connection();
                Outcome::Error(kind)
            }
        }
    }
}

/// Reads a response's body to its end (keep-alive needs it), frame by
/// frame, without collecting it; the check, if it reads bodies, scans
/// each frame. Returns whether the body passed.
async fn read_body(h: &HttpTarget, mut body: hyper::body::Incoming) -> Result<bool, ErrorKind> {
    let mut scan = h.check.body_scan();
    loop {
        match body.frame().await {
            None => break Ok(scan.as_ref().is_none_or(|s| s.found)),
            Some(Ok(frame)) => {
                if let (Some(s), Some(data)) = (scan.as_mut(), frame.data_ref()) {
                    s.feed(data);
                }
            }
            Some(Err(e)) => break Err(classify(&e)),
        }
    }
}

/// Maps a hyper error to an error kind.
fn classify(e: &hyper::Error) -> ErrorKind {
    if e.is_parse() || e.is_parse_status() {
        ErrorKind::Protocol
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        ErrorKind::Reset
    } else {
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                return match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => ErrorKind::Connect,
                    std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
                    _ => ErrorKind::Reset,
                };
            }
            src = s.source();
        }
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests;
