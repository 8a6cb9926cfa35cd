//! The embedded HTTP/1.1 target (hyper): something real to aim the engine at,
//! on the same machine, bound to loopback only. Options shape its behaviour:
//! fixed latency plus jitter, an error rate, a response size, and the
//! misbehaviours the reliability tests need (resetting connections, never
//! answering, closing keep-alive connections after each response).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How the server (mis)behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behaviour {
    /// Answer every request.
    #[default]
    Normal,
    /// Close the connection after each response (no keep-alive).
    CloseAfterResponse,
    /// Accept connections, read requests, never answer.
    Hang,
    /// Reset each connection as soon as a request arrives.
    Reset,
}

/// Server settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerOptions {
    /// Must be a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Delay before each response.
    pub latency: Duration,
    /// Extra uniformly random delay in `[0, jitter)`.
    pub jitter: Duration,
    /// Fraction of requests answered with 500, in `[0, 1]`.
    pub error_rate: f64,
    /// Response body size, bytes.
    pub response_size: usize,
    /// How it (mis)behaves.
    pub behaviour: Behaviour,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            error_rate: 0.0,
            response_size: 2,
            behaviour: Behaviour::Normal,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address is not a loopback one.
    #[error(
        "--addr {0}: the embedded server binds loopback only; use 127.0.0.1:PORT or [::1]:PORT"
    )]
    NotLoopback(SocketAddr),
    /// The error rate is outside 0..=1.
    #[error("server error rate must be between 0 and 1 (got {0})")]
    BadErrorRate(f64),
    /// The address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
}

/// A running server. Dropping the handle does not stop it; call `shutdown`.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: CancellationToken,
    /// Requests received. Relaxed: a tally for tests and diagnostics that
    /// orders no other memory.
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// The address it listens on (with the port chosen when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// True for 127.0.0.0/8 and ::1.
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(opts: ServerOptions) -> Result<ServerHandle, ServerError> {
    if !is_loopback(opts.addr.ip()) {
        return Err(ServerError::NotLoopback(opts.addr));
    }
    if !(0.0..=1.0).contains(&opts.error_rate) {
        return Err(ServerError::BadErrorRate(opts.error_rate));
    }
    let listener = TcpListener::bind(opts.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: opts.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: opts.addr,
        source,
    })?;
    let stop = CancellationToken::new();
    let requests = Arc::new(AtomicU64::new(0));
    let body = Bytes::from(vec![b'x'; opts.response_size]);
    let task = tokio::spawn(accept_loop(
        listener,
        Arc::new(opts),
        body,
        stop.clone(),
        requests.clone(),
    ));
    Ok(ServerHandle {
        addr,
        stop,
        requests,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    opts: Arc<ServerOptions>,
    body: Bytes,
    stop: CancellationToken,
    requests: Arc<AtomicU64>,
) {
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(conn) => conn,
                // Out of file descriptors and the like: back off briefly
                // rather than spin; the loop ends with `stop`.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (opts, body, stop, requests) =
            (opts.clone(), body.clone(), stop.clone(), requests.clone());
        tokio::spawn(async move {
            if opts.behaviour == Behaviour::Reset {
                reset_on_first_bytes(stream, &requests).await;
                return;
            }
            let service = service_fn(move |req: Request<Incoming>| {
                let (opts, body, requests) = (opts.clone(), body.clone(), requests.clone());
                async move { Ok::<_, Infallible>(answer(req, &opts, body, &requests).await) }
            });
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.cancelled() => {}
            }
        });
    }
}

async fn answer(
    req: Request<Incoming>,
    opts: &ServerOptions,
    body: Bytes,
    requests: &AtomicU64,
) -> Response<Full<Bytes>> {
    // Relaxed: a tally for tests and diagnostics.
    requests.fetch_add(1, Ordering::Relaxed);
    drop(req);
    if opts.behaviour == Behaviour::Hang {
        std::future::pending::<()>().await;
    }
    let mut delay = opts.latency;
    if !opts.jitter.is_zero() {
        delay += opts.jitter.mul_f64(fastrand::f64());
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = if opts.error_rate > 0.0 && fastrand::f64() < opts.error_rate {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    if opts.behaviour == Behaviour::CloseAfterResponse {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    resp
}

/// Reads the first bytes of a request, then closes with SO_LINGER 0 (an RST).
async fn reset_on_first_bytes(stream: tokio::net::TcpStream, requests: &AtomicU64) {
    use tokio::io::AsyncReadExt;
    let mut stream = stream;
    let mut buf = [0u8; 1024];
    if let Ok(n) = stream.read(&mut buf).await {
        if n > 0 {
            requests.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = stream.set_zero_linger();
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_non_loopback_addresses() {
        let opts = ServerOptions {
            addr: "0.0.0.0:0".parse().unwrap(),
            ..Default::default()
        };
        assert!(matches!(
            start(opts).await,
            Err(ServerError::NotLoopback(_))
        ));
        let opts = ServerOptions {
            error_rate: 1.5,
            ..Default::default()
        };
        assert!(matches!(
            start(opts).await,
            Err(ServerError::BadErrorRate(_))
        ));
    }

    #[tokio::test]
    async fn binds_loopback_on_a_free_port() {
        let s = start(ServerOptions::default()).await.unwrap();
        assert!(s.addr().ip().is_loopback());
        assert_ne!(s.addr().port(), 0);
        assert!(s.url().starts_with("http://127.0.0.1:"));
        s.shutdown().await;
    }
}
