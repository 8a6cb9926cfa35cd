//! What the workers send requests to: real HTTP/1.1 through hyper (one
//! keep-alive connection per worker, reconnect on error, per-request
//! timeout), or a `null` target that answers at once (or after a fixed delay)
//! to measure the engine alone. Only loopback URLs are accepted: load goes to
//! 127.0.0.1 / localhost / ::1 only.
//!
//! An HTTP target sends one request template, or a weighted mix of them in a
//! fixed order (a deck shuffled once with a fixed seed); a check (status,
//! body substring) can fail a response that HTTP alone would call a success.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use memchr::memmem::Finder;
use tokio::net::TcpStream;

use crate::metrics::collector::{ErrorKind, Outcome};

/// A target URL or request option the engine refuses. URL errors name the
/// URL; the caller says where it came from (`--url`, a config key).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// Not a URL.
    #[error("{0:?} is not a valid URL; write it like http://127.0.0.1:8080/path")]
    BadUrl(String),
    /// Not an `http://` URL.
    #[error("{0:?}: only http:// is supported")]
    Scheme(String),
    /// The host is not 127.0.0.0/8, ::1 or localhost.
    #[error("{0:?}: the host is not a loopback address; load may only go to this machine (127.0.0.1, localhost or [::1])")]
    NotLoopback(String),
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
}

/// Where requests go and what they look like.
#[derive(Debug, Clone)]
pub enum Target {
    /// HTTP/1.1 to a loopback server.
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

impl Target {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Target::Http(h) if h.request_count() > 1 => {
                format!("{} ({} requests)", h.url, h.request_count())
            }
            Target::Http(h) => h.url.clone(),
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

/// What a response must be, beyond HTTP success (a status below 400), to
/// count as succeeded: this exact status, and a body holding this text.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseCheck {
    status: Option<u16>,
    body_contains: Option<Finder<'static>>,
}

impl ResponseCheck {
    pub(crate) fn new(status: Option<u16>, body_contains: Option<&str>) -> ResponseCheck {
        ResponseCheck {
            status,
            body_contains: body_contains
                .filter(|s| !s.is_empty())
                .map(|s| Finder::new(s.as_bytes()).into_owned()),
        }
    }

    /// A scanner for one response body, when the check reads bodies.
    fn body_scan(&self) -> Option<BodyScan<'_>> {
        self.body_contains.as_ref().map(|finder| BodyScan {
            finder,
            window: Vec::new(),
            found: false,
        })
    }

    /// The outcome of a whole response: HTTP failures keep their status
    /// (tallied as such); a success that fails the check is `check-failed`.
    fn judge(&self, status: u16, body_ok: bool) -> Outcome {
        let wrong_status = self.status.is_some_and(|s| s != status);
        if status < 400 && (wrong_status || !body_ok) {
            Outcome::Error(ErrorKind::Check)
        } else {
            Outcome::Status(status)
        }
    }
}

/// Looks for the check's text in a body that arrives frame by frame,
/// keeping only the text that could still start a match (one needle's
/// length less a byte), so memory stays bounded however long the body.
struct BodyScan<'a> {
    finder: &'a Finder<'static>,
    window: Vec<u8>,
    found: bool,
}

impl BodyScan<'_> {
    fn feed(&mut self, data: &[u8]) {
        if self.found {
            return;
        }
        self.window.extend_from_slice(data);
        if self.finder.find(&self.window).is_some() {
            self.found = true;
            self.window = Vec::new();
            return;
        }
        let keep = self.finder.needle().len() - 1;
        let cut = self.window.len().saturating_sub(keep);
        self.window.drain(..cut);
    }
}

/// Where HTTP requests go and which ones: a loopback address, the requests
/// (one, or a mix in the order of `deck`) and the check on each response.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// The URL as given.
    pub url: String,
    /// The loopback address connected to.
    pub addr: SocketAddr,
    host: HeaderValue,
    /// The URL's path and query: the path of a request that names none.
    url_path: String,
    requests: Box<[RequestTemplate]>,
    /// Indices into `requests` ([`super::deck::shuffled`]); empty when
    /// there is one request.
    deck: Box<[u32]>,
    check: ResponseCheck,
    pub(crate) timeout: Duration,
}

impl HttpTarget {
    /// Parses and checks a loopback `http://` URL; the target sends `GET`
    /// to its path ([`crate::load::Traffic::http_target`] builds one that
    /// sends a mix and checks the responses).
    pub fn new(url: &str, timeout: Duration) -> Result<Self, TargetError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| TargetError::BadUrl(url.to_string()))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(_) => return Err(TargetError::Scheme(url.to_string())),
            None => return Err(TargetError::BadUrl(url.to_string())),
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| TargetError::BadUrl(url.to_string()))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(TargetError::UserInfo(url.to_string()));
        }
        let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| TargetError::NotLoopback(url.to_string()))?
        };
        if !ip.is_loopback() {
            return Err(TargetError::NotLoopback(url.to_string()));
        }
        // The authority's text after the host: empty or `:PORT`. (`Uri::port`
        // is `None` for a port that does not fit in 16 bits.)
        let after_host = uri
            .authority()
            .and_then(|a| a.as_str().strip_prefix(host))
            .unwrap_or("");
        let port = match after_host.strip_prefix(':') {
            None => 80,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(TargetError::BadPort(url.to_string())),
            },
        };
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
        let url_path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        let get = RequestTemplate::new("GET", &url_path)
            .map_err(|_| TargetError::BadUrl(url.to_string()))?;
        Ok(HttpTarget {
            url: url.to_string(),
            addr: SocketAddr::new(ip, port),
            host: HeaderValue::from_str(authority)
                .map_err(|_| TargetError::BadUrl(url.to_string()))?,
            url_path,
            requests: Box::new([get]),
            deck: Box::new([]),
            check: ResponseCheck::default(),
            timeout,
        })
    }

    /// The URL's path and query, for requests that name no path.
    pub(crate) fn url_path(&self) -> &str {
        &self.url_path
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
        self
    }

    pub(crate) fn with_check(mut self, check: ResponseCheck) -> Self {
        self.check = check;
        self
    }

    /// How many different requests it sends.
    pub(crate) fn request_count(&self) -> usize {
        self.requests.len()
    }

    /// Request `id` of the run: its template from the deck.
    fn request(&self, id: u64) -> Request<Full<Bytes>> {
        let t = match self.deck.len() {
            0 => &self.requests[0],
            n => &self.requests[self.deck[(id % n as u64) as usize] as usize],
        };
        let mut req = Request::new(Full::new(t.body.clone()));
        *req.method_mut() = t.method.clone();
        *req.uri_mut() = t.path.clone();
        let h = req.headers_mut();
        h.insert(HOST, self.host.clone());
        for (k, v) in &t.headers {
            h.append(k.clone(), v.clone());
        }
        req
    }
}

/// One worker's connection state.
#[derive(Default)]
pub(crate) struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened (first one included).
    pub(crate) connects: u64,
}

impl Connection {
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
                    self.sender = None;
                    Outcome::Error(ErrorKind::Timeout)
                }
            },
        }
    }

    async fn connect(&mut self, h: &HttpTarget) -> Result<(), ErrorKind> {
        self.sender = None;
        let stream = TcpStream::connect(h.addr)
            .await
            .map_err(|_| ErrorKind::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| ErrorKind::Connect)?;
        // The connection task ends when the sender is dropped or the peer
        // closes; its error, if any, surfaces on the next send.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.sender = Some(sender);
        self.connects += 1;
        Ok(())
    }

    async fn ready(&mut self, h: &HttpTarget) -> Result<(), ErrorKind> {
        if let Some(s) = self.sender.as_mut() {
            if !s.is_closed() && s.ready().await.is_ok() {
                return Ok(());
            }
        }
        // Closed by the peer (keep-alive ended) or broken: reconnect once.
        self.connect(h).await?;
        let s = self.sender.as_mut().expect("connect sets the sender");
        s.ready().await.map_err(|e| {
            self.sender = None;
            classify(&e)
        })
    }

    async fn send_http(&mut self, h: &HttpTarget, id: u64) -> Outcome {
        if let Err(kind) = self.ready(h).await {
            return Outcome::Error(kind);
        }
        let sender = self.sender.as_mut().expect("ready sets the sender");
        let result = match sender.send_request(h.request(id)).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                // Read the body to its end (keep-alive needs it), frame by
                // frame, without collecting it; the check, if it reads
                // bodies, scans each frame.
                let mut scan = h.check.body_scan();
                let mut body = resp.into_body();
                loop {
                    match body.frame().await {
                        None => break Ok((status, scan.as_ref().is_none_or(|s| s.found))),
                        Some(Ok(frame)) => {
                            if let (Some(s), Some(data)) = (scan.as_mut(), frame.data_ref()) {
                                s.feed(data);
                            }
                        }
                        Some(Err(e)) => break Err(classify(&e)),
                    }
                }
            }
            Err(e) => Err(classify(&e)),
        };
        match result {
            Ok((status, body_ok)) => h.check.judge(status, body_ok),
            Err(kind) => {
                self.sender = None;
                Outcome::Error(kind)
            }
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
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(1);

    #[test]
    fn accepts_loopback_http_urls() {
        let t = HttpTarget::new("http://127.0.0.1:8080/a?b=c", T).unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(t.url_path(), "/a?b=c");
        assert_eq!(t.host, "127.0.0.1:8080");
        let t = HttpTarget::new("http://localhost/", T).unwrap();
        assert_eq!(t.addr, "127.0.0.1:80".parse().unwrap());
        let t = HttpTarget::new("http://[::1]:9000", T).unwrap();
        assert_eq!(t.addr, "[::1]:9000".parse().unwrap());
        assert_eq!(t.url_path(), "/");
        assert!(HttpTarget::new("http://127.1.2.3:1/", T).is_ok());
    }

    #[test]
    fn refuses_other_urls() {
        use TargetError::*;
        type Check = fn(&TargetError) -> bool;
        let cases: [(&str, Check); 9] = [
            ("https://127.0.0.1/", |e| matches!(e, Scheme(_))),
            ("ftp://127.0.0.1/", |e| matches!(e, Scheme(_))),
            ("http://example.com/", |e| matches!(e, NotLoopback(_))),
            ("http://10.0.0.1:80/", |e| matches!(e, NotLoopback(_))),
            ("not a url", |e| matches!(e, BadUrl(_))),
            ("127.0.0.1:8080", |e| matches!(e, BadUrl(_) | Scheme(_))),
            ("http://127.0.0.1:0/", |e| matches!(e, BadPort(_))),
            ("http://127.0.0.1:99999/", |e| {
                matches!(e, BadPort(_) | BadUrl(_))
            }),
            ("http://user@127.0.0.1/", |e| matches!(e, UserInfo(_))),
        ];
        for (url, ok) in cases {
            let err = HttpTarget::new(url, T).unwrap_err();
            assert!(ok(&err), "{url}: {err}");
        }
    }

    #[test]
    fn headers_methods_and_bodies() {
        let post = RequestTemplate::new("POST", "/x?y=1")
            .unwrap()
            .with_header("X-Test: 1")
            .unwrap()
            .with_body("hello");
        let t = HttpTarget::new("http://127.0.0.1:1/x", T)
            .unwrap()
            .with_requests(vec![(post, 1)]);
        let req = t.request(0);
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri(), "/x?y=1");
        assert_eq!(req.headers()["x-test"], "1");
        assert_eq!(req.headers()[HOST], "127.0.0.1:1");
        let get = RequestTemplate::new("GET", "/").unwrap();
        assert!(get.clone().with_header("no colon").is_err());
        assert!(RequestTemplate::new("BAD METHOD", "/").is_err());
        for path in ["x", "", "http://127.0.0.1/x", "/a b"] {
            assert!(
                matches!(
                    RequestTemplate::new("GET", path),
                    Err(TargetError::BadPath(_))
                ),
                "{path:?}"
            );
        }
    }

    #[test]
    fn a_mix_sends_each_request_by_the_deck() {
        let t = HttpTarget::new("http://127.0.0.1:1/default", T).unwrap();
        assert_eq!(t.url_path(), "/default");
        assert_eq!(t.request(7).uri(), "/default");
        let a = RequestTemplate::new("GET", "/a").unwrap();
        let b = RequestTemplate::new("DELETE", "/b").unwrap();
        let t = t.with_requests(vec![(a, 3), (b, 1)]);
        assert_eq!(t.request_count(), 2);
        let paths: Vec<String> = (0..8).map(|id| t.request(id).uri().to_string()).collect();
        // Two passes of a four-card deck: the same order, 3 to 1.
        assert_eq!(paths[..4], paths[4..]);
        assert_eq!(paths.iter().filter(|p| *p == "/b").count(), 2);
        assert_eq!(
            Target::from(t).describe(),
            "http://127.0.0.1:1/default (2 requests)"
        );
    }

    #[test]
    fn the_check_fails_successes_with_the_wrong_status_or_body() {
        let none = ResponseCheck::default();
        assert_eq!(none.judge(200, true), Outcome::Status(200));
        assert_eq!(none.judge(503, true), Outcome::Status(503));
        let check = ResponseCheck::new(Some(201), Some("ok"));
        assert_eq!(check.judge(201, true), Outcome::Status(201));
        assert_eq!(check.judge(200, true), Outcome::Error(ErrorKind::Check));
        assert_eq!(check.judge(201, false), Outcome::Error(ErrorKind::Check));
        // An HTTP failure stays one, tallied by its status.
        assert_eq!(check.judge(500, false), Outcome::Status(500));
    }

    #[test]
    fn the_body_scan_finds_text_split_across_frames() {
        let check = ResponseCheck::new(None, Some("needle"));
        let scan = |frames: &[&str]| {
            let mut s = check.body_scan().unwrap();
            for f in frames {
                s.feed(f.as_bytes());
            }
            (s.found, s.window.len())
        };
        assert!(scan(&["a needle here"]).0);
        assert!(scan(&["nee", "dle"]).0);
        assert!(scan(&["n", "e", "e", "d", "l", "e"]).0);
        assert!(!scan(&["needl", "x", "e"]).0);
        assert!(!scan(&[]).0);
        // What is kept between frames stays under the needle's length.
        let long = "x".repeat(10_000);
        assert_eq!(scan(&[&long, &long]), (false, 5));
        assert!(ResponseCheck::new(None, Some("")).body_scan().is_none());
    }

    #[tokio::test]
    async fn unreachable_target_is_a_connect_error() {
        // Bind then drop a listener to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Target::Http(Box::new(
            HttpTarget::new(&format!("http://127.0.0.1:{port}/"), T).unwrap(),
        ));
        let mut c = Connection::default();
        assert_eq!(c.send(&t, 0).await, Outcome::Error(ErrorKind::Connect));
    }
}
