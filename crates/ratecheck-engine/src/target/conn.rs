//! Opening connections: TCP to each of the target's addresses in turn,
//! TLS when `https://` (ALPN h2 or http/1.1), then hyper's HTTP/1.1 or
//! HTTP/2 handshake. The run's [`ConnPool`] holds the HTTP/2 connections
//! the workers share (worker *i* on connection *i* mod N) and tallies where
//! set-up time went (connect, TLS handshake, first byte). The start-up
//! check ([`HttpTarget::check_reachable`]) opens one connection before a
//! run and says in one line why it could not.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::HandshakeKind;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::{tls, HttpTarget};
use crate::clock::{SharedClock, SystemClock};
use crate::metrics::collector::ErrorKind;
use crate::metrics::snapshot::ConnectionReport;

/// An HTTP/1.1 connection's sender.
pub(crate) type H1 = http1::SendRequest<Full<Bytes>>;
/// An HTTP/2 connection's sender (cloned by every worker sharing it).
pub(crate) type H2 = http2::SendRequest<Full<Bytes>>;

/// A target that cannot be loaded: found at start, before any request.
/// One line naming the URL and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot load {url}: {cause}")]
pub struct StartError {
    /// The URL, as given.
    pub url: String,
    /// Why: the name does not resolve, the connection failed, the
    /// certificate, no HTTP/2.
    pub cause: String,
}

/// Why a connection could not be opened: the kind a request that needed
/// it fails with, and the words for the start-up check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenError {
    kind: ErrorKind,
    cause: String,
}

impl OpenError {
    fn new(kind: ErrorKind, cause: String) -> OpenError {
        OpenError { kind, cause }
    }

    /// The kind of a request that failed for it.
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// Connection set-up counts and times (ns), shared by the workers.
/// Relaxed: tallies read once the workers have ended.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    opened: AtomicU64,
    connect_ns: AtomicU64,
    tls_handshakes: AtomicU64,
    tls_resumed: AtomicU64,
    tls_ns: AtomicU64,
    first_bytes: AtomicU64,
    first_byte_ns: AtomicU64,
}

impl Tally {
    fn connected(&self, ns: u64) {
        self.opened.fetch_add(1, Relaxed);
        self.connect_ns.fetch_add(ns, Relaxed);
    }

    fn handshaken(&self, ns: u64, resumed: bool) {
        self.tls_handshakes.fetch_add(1, Relaxed);
        self.tls_resumed.fetch_add(u64::from(resumed), Relaxed);
        self.tls_ns.fetch_add(ns, Relaxed);
    }

    /// A new connection's first response head came `ns` after its request.
    pub(crate) fn first_byte(&self, ns: u64) {
        self.first_bytes.fetch_add(1, Relaxed);
        self.first_byte_ns.fetch_add(ns, Relaxed);
    }

    /// The counts and mean times (ms); the caller fills in the protocol.
    pub(super) fn report(&self) -> ConnectionReport {
        let mean_ms = |sum: &AtomicU64, n: u64| match n {
            0 => 0.0,
            n => sum.load(Relaxed) as f64 / n as f64 / 1e6,
        };
        let opened = self.opened.load(Relaxed);
        let handshakes = self.tls_handshakes.load(Relaxed);
        ConnectionReport {
            opened,
            tls_handshakes: handshakes,
            tls_resumed: self.tls_resumed.load(Relaxed),
            connect_ms_mean: mean_ms(&self.connect_ns, opened),
            tls_handshake_ms_mean: mean_ms(&self.tls_ns, handshakes),
            first_byte_ms_mean: mean_ms(&self.first_byte_ns, self.first_bytes.load(Relaxed)),
            ..ConnectionReport::default()
        }
    }
}

/// One HTTP/2 connection's slot: its number and sender, once opened.
type Slot = Mutex<Option<(u64, H2)>>;

/// A run's connections: the shared HTTP/2 ones and the tallies.
pub struct ConnPool {
    pub(crate) clock: SharedClock,
    pub(crate) tally: Tally,
    /// `connections` slots for an HTTP/2 target, none otherwise.
    h2: Box<[Slot]>,
    /// The next HTTP/2 connection's number.
    next: AtomicU64,
}

impl ConnPool {
    /// The pool of a run against `target` (`None`: the null target).
    pub(crate) fn new(target: Option<&HttpTarget>, clock: SharedClock) -> Arc<ConnPool> {
        let slots = match target {
            Some(h) if h.client.http2 => h.connections(),
            _ => 0,
        };
        Arc::new(ConnPool {
            clock,
            tally: Tally::default(),
            h2: (0..slots).map(|_| Mutex::new(None)).collect(),
            next: AtomicU64::new(0),
        })
    }

    /// The connections' counts and mean set-up times.
    pub(crate) fn report(&self) -> ConnectionReport {
        self.tally.report()
    }

    /// Worker `index`'s shared HTTP/2 connection and its number: the open
    /// one, unless it is closed or is `failed` (the one this worker saw
    /// fail), in which case a new one replaces it. Workers asking while it
    /// opens wait for it.
    pub(crate) async fn h2(
        &self,
        h: &HttpTarget,
        index: usize,
        failed: Option<u64>,
    ) -> Result<(u64, H2), OpenError> {
        if self.h2.is_empty() {
            return Err(OpenError::new(ErrorKind::Other, "not an HTTP/2 run".into()));
        }
        let mut slot = self.h2[index % self.h2.len()].lock().await;
        if let Some((n, s)) = slot.as_ref() {
            if Some(*n) != failed && !s.is_closed() {
                return Ok((*n, s.clone()));
            }
        }
        *slot = None;
        let s = match open(h, self).await? {
            Stream::Tcp(s) => h2_over(s).await?,
            Stream::Tls(s) => h2_over(s).await?,
        };
        let n = self.next.fetch_add(1, Relaxed);
        *slot = Some((n, s.clone()));
        Ok((n, s))
    }
}

/// An open connection, before HTTP.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects to the target's addresses in turn, the first that answers.
async fn connect(h: &HttpTarget) -> Result<TcpStream, OpenError> {
    let mut failures = Vec::new();
    for addr in h.addrs.iter() {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => failures.push(format!("{addr}: {e}")),
        }
    }
    let cause = match failures.is_empty() {
        true => format!("the host name {:?} is not resolved", h.endpoint.host),
        false => format!("connection failed ({})", failures.join("; ")),
    };
    Err(OpenError::new(ErrorKind::Connect, cause))
}

/// Opens a connection (TLS for `https://`, h2 checked by ALPN when HTTP/2
/// is asked for), tallied in `pool`.
async fn open(h: &HttpTarget, pool: &ConnPool) -> Result<Stream, OpenError> {
    let t0 = pool.clock.now_ns();
    let tcp = connect(h).await?;
    let t1 = pool.clock.now_ns();
    pool.tally.connected(t1.saturating_sub(t0));
    let Some(tls) = &h.tls else {
        return Ok(Stream::Tcp(tcp));
    };
    let s = TlsConnector::from(tls.config.clone())
        .connect(tls.server_name.clone(), tcp)
        .await
        .map_err(|e| {
            OpenError::new(ErrorKind::Tls, tls::handshake_failure(&e, &h.endpoint.host))
        })?;
    let c = s.get_ref().1;
    let resumed = c.handshake_kind() == Some(HandshakeKind::Resumed);
    pool.tally
        .handshaken(pool.clock.now_ns().saturating_sub(t1), resumed);
    if h.client.http2 && c.alpn_protocol() != Some(b"h2") {
        let chose = c.alpn_protocol().map_or("no protocol".to_string(), |p| {
            String::from_utf8_lossy(p).into_owned()
        });
        return Err(OpenError::new(
            ErrorKind::Protocol,
            format!(
                "the server does not offer HTTP/2: its TLS handshake chose {chose} (ALPN); \
                 load it without --http2 (http2)"
            ),
        ));
    }
    Ok(Stream::Tls(Box::new(s)))
}

/// Opens worker's own HTTP/1.1 connection.
pub(crate) async fn open_h1(h: &HttpTarget, pool: &ConnPool) -> Result<H1, OpenError> {
    match open(h, pool).await? {
        Stream::Tcp(s) => h1_over(s).await,
        Stream::Tls(s) => h1_over(s).await,
    }
}

fn handshake_failed(e: hyper::Error) -> OpenError {
    OpenError::new(ErrorKind::Protocol, format!("HTTP handshake failed: {e}"))
}

async fn h1_over<T>(io: T) -> Result<H1, OpenError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(handshake_failed)?;
    // The connection task ends when the sender is dropped or the peer
    // closes; its error, if any, surfaces on the next send.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn h2_over<T>(io: T) -> Result<H2, OpenError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
        .await
        .map_err(handshake_failed)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Whether the server speaks HTTP/2 with prior knowledge: it answers our
/// connection preface with a SETTINGS frame, where an HTTP/1.1 server
/// answers with an error status or closes.
async fn probe_h2c(mut s: TcpStream) -> Result<(), OpenError> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
    let mut head = [0u8; 9];
    let answer = match s.write_all(PREFACE).await {
        Ok(()) => s.read_exact(&mut head).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match answer {
        // A frame header whose type is SETTINGS (4).
        Ok(()) if head[3] == 4 && !head.starts_with(b"HTTP/") => Ok(()),
        Ok(()) => Err(no_h2c(format!(
            "it answered {:?}",
            String::from_utf8_lossy(&head)
        ))),
        Err(e) => Err(no_h2c(format!("it closed the connection ({e})"))),
    }
}

fn no_h2c(what: String) -> OpenError {
    OpenError::new(
        ErrorKind::Protocol,
        format!(
            "the server does not offer HTTP/2 with prior knowledge (h2c): {what}; \
             load it without --http2 (http2), or over https://"
        ),
    )
}

impl HttpTarget {
    /// Opens one connection, as the run will (TLS and its certificate
    /// checked, HTTP/2 checked by ALPN or an h2c preface), and closes it;
    /// an error names the URL and the cause. Call after
    /// [`HttpTarget::resolve`].
    pub async fn check_reachable(&self) -> Result<(), StartError> {
        let pool = ConnPool::new(Some(self), SystemClock::shared());
        let check = async {
            match open(self, &pool).await? {
                Stream::Tcp(tcp) if self.client.http2 => probe_h2c(tcp).await,
                _ => Ok(()),
            }
        };
        let cause = match tokio::time::timeout(self.timeout, check).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.cause,
            Err(_) => format!(
                "no connection within the request timeout ({:?})",
                self.timeout
            ),
        };
        Err(StartError {
            url: self.url.clone(),
            cause,
        })
    }
}
