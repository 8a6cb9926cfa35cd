//! An example HTTP/1.1 service for the ratecheck gate: `/health`, a list
//! of items (`GET /api/items`), creating one (`POST /api/items`), and a
//! search with a configurable delay (`GET /api/search`, [`SEARCH_DELAY`]).
//! Serves on `127.0.0.1:PORT` (`--port PORT`) until SIGTERM or Ctrl-C.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

/// How long `GET /api/search` takes before it answers: the endpoint whose
/// latency the gate judges.
const SEARCH_DELAY: Duration = Duration::ZERO;

/// The items `GET /api/items` lists.
const ITEMS: &str =
    r#"{"items":[{"id":1,"name":"anvil"},{"id":2,"name":"bellows"},{"id":3,"name":"chisel"}]}"#;

/// Items created so far: a plain counter, read and bumped on its own
/// (Relaxed: it orders nothing else).
static CREATED: AtomicU64 = AtomicU64::new(0);

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/api/items") => text(StatusCode::OK, ITEMS),
        (&Method::POST, "/api/items") => {
            match req.into_body().collect().await.map(|b| b.to_bytes()) {
                Ok(body) if !body.is_empty() => {
                    let id = CREATED.fetch_add(1, Ordering::Relaxed) + 4;
                    text(StatusCode::OK, format!(r#"{{"id":{id},"created":true}}"#))
                }
                _ => text(StatusCode::BAD_REQUEST, "a body is required"),
            }
        }
        (&Method::GET, "/api/search") => {
            if !SEARCH_DELAY.is_zero() {
                tokio::time::sleep(SEARCH_DELAY).await;
            }
            text(StatusCode::OK, r#"{"hits":[1,3],"ok":true}"#)
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    };
    Ok(response)
}

fn port_from_args() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(p)) => p
            .parse()
            .map_err(|_| format!("--port {p}: not a port number")),
        _ => Err("usage: example-service --port PORT".to_string()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = match port_from_args() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let served = Arc::new(AtomicU64::new(0));
    eprintln!("example-service: listening on http://{addr}");
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                served.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(handle))
                        .await;
                });
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    eprintln!(
        "example-service: stopping after {} connections",
        served.load(Ordering::Relaxed)
    );
}
