//! What the workers send requests to: real HTTP/1.1 through hyper (one
//! keep-alive connection per worker, reconnect on error, per-request
//! timeout), or a `null` target that answers at once (or after a fixed delay)
//! to measure the engine alone. Only loopback URLs are accepted: load goes to
//! 127.0.0.1 / localhost / ::1 only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::metrics::collector::{ErrorKind, Outcome};

/// A target URL or request option the engine refuses. URL errors name the
/// URL; the caller says where it came from (`--url`, a config key).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("{0:?} is not a valid URL; write it like http://127.0.0.1:8080/path")]
    BadUrl(String),
    #[error("{0:?}: only http:// is supported")]
    Scheme(String),
    #[error("{0:?}: the host is not a loopback address; load may only go to this machine (127.0.0.1, localhost or [::1])")]
    NotLoopback(String),
    #[error("{0:?}: the port is not one to connect to (1-65535)")]
    BadPort(String),
    #[error("{0:?}: user names in URLs are not supported")]
    UserInfo(String),
    #[error("--header {0:?}: write it as 'Name: value'")]
    BadHeader(String),
    #[error("--method {0:?} is not an HTTP method")]
    BadMethod(String),
}

/// Where requests go and what they look like.
#[derive(Debug, Clone)]
pub enum Target {
    Http(Box<HttpTarget>),
    /// Answers 200 at once, or after the delay.
    Null {
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
            Target::Http(h) => h.url.clone(),
            Target::Null { delay } if delay.is_zero() => "null".to_string(),
            Target::Null { delay } => format!("null (delay {delay:?})"),
        }
    }
}

/// An HTTP/1.1 request template.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    pub url: String,
    pub addr: SocketAddr,
    host: HeaderValue,
    path: Uri,
    pub method: Method,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub timeout: Duration,
}

impl HttpTarget {
    /// Parses and checks a loopback `http://` URL.
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
        let path: Uri = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .parse()
            .map_err(|_| TargetError::BadUrl(url.to_string()))?;
        Ok(HttpTarget {
            url: url.to_string(),
            addr: SocketAddr::new(ip, port),
            host: HeaderValue::from_str(authority)
                .map_err(|_| TargetError::BadUrl(url.to_string()))?,
            path,
            method: Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
            timeout,
        })
    }

    pub fn with_method(mut self, method: &str) -> Result<Self, TargetError> {
        self.method = Method::from_bytes(method.as_bytes())
            .map_err(|_| TargetError::BadMethod(method.to_string()))?;
        Ok(self)
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

    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.path.clone();
        let h = req.headers_mut();
        h.insert(HOST, self.host.clone());
        for (k, v) in &self.headers {
            h.append(k.clone(), v.clone());
        }
        req
    }
}

/// One worker's connection state.
#[derive(Default)]
pub struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened (first one included).
    pub connects: u64,
}

impl Connection {
    /// Sends one request and waits for the whole response.
    pub async fn send(&mut self, target: &Target) -> Outcome {
        match target {
            Target::Null { delay } => {
                if !delay.is_zero() {
                    tokio::time::sleep(*delay).await;
                }
                Outcome::Status(200)
            }
            Target::Http(h) => match tokio::time::timeout(h.timeout, self.send_http(h)).await {
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

    async fn send_http(&mut self, h: &HttpTarget) -> Outcome {
        if let Err(kind) = self.ready(h).await {
            return Outcome::Error(kind);
        }
        let sender = self.sender.as_mut().expect("ready sets the sender");
        let result = match sender.send_request(h.request()).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                // Read the body to its end (keep-alive needs it), frame by
                // frame, without collecting it.
                let mut body = resp.into_body();
                loop {
                    match body.frame().await {
                        None => break Ok(status),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break Err(classify(&e)),
                    }
                }
            }
            Err(e) => Err(classify(&e)),
        };
        match result {
            Ok(status) => Outcome::Status(status),
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
        assert_eq!(t.path, "/a?b=c");
        assert_eq!(t.host, "127.0.0.1:8080");
        let t = HttpTarget::new("http://localhost/", T).unwrap();
        assert_eq!(t.addr, "127.0.0.1:80".parse().unwrap());
        let t = HttpTarget::new("http://[::1]:9000", T).unwrap();
        assert_eq!(t.addr, "[::1]:9000".parse().unwrap());
        assert_eq!(t.path, "/");
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
        let t = HttpTarget::new("http://127.0.0.1:1/x", T)
            .unwrap()
            .with_method("POST")
            .unwrap()
            .with_header("X-Test: 1")
            .unwrap()
            .with_body("hello");
        let req = t.request();
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.headers()["x-test"], "1");
        assert_eq!(req.headers()[HOST], "127.0.0.1:1");
        assert!(t.clone().with_header("no colon").is_err());
        assert!(t.with_method("BAD METHOD").is_err());
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
        assert_eq!(c.send(&t).await, Outcome::Error(ErrorKind::Connect));
    }
}
