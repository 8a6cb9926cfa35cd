//! HTTPS and HTTP/2 targets end to end, on loopback only: a TLS server in
//! this test (certificates made here by rcgen, a CA and a leaf for
//! `localhost`), HTTP/1.1 or h2 by ALPN, and an h2c server. Each start-up
//! failure — refused connection, unknown issuer, host name mismatch,
//! expired certificate, no HTTP/2 when asked for — is exit-2 material: an
//! error from the set-up naming the URL and the cause, before any request.
//! Runs are short and bounded (a few hundred requests, a 5 s timeout).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use ratecheck_engine::clock::SystemClock;
use ratecheck_engine::load::setup::{self, SetupError};
use ratecheck_engine::load::{LoadSpec, TargetSpec, Traffic};
use ratecheck_engine::metrics::snapshot::RunReport;
use ratecheck_engine::run::run;
use ratecheck_engine::target::ClientOptions;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A CA, and a leaf it signed for `names`, valid from `not_before` to
/// `not_after` (years).
struct Pki {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki(names: &[&str], years: (i32, i32)) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    leaf.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    let leaf = leaf.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        leaf: leaf.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

fn valid_for_localhost() -> Pki {
    pki(&["localhost"], (2020, 2100))
}

/// How the test server speaks: TLS with these ALPN protocols, or h2c.
#[derive(Clone, Copy)]
enum Serve {
    /// TLS; h2 when `h2`, else HTTP/1.1 only. `close`: every response
    /// closes its connection (HTTP/1.1), so the client reconnects.
    Tls { h2: bool, close: bool },
    /// HTTP/2 with prior knowledge, no TLS.
    H2c,
}

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

async fn closing(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
    r.headers_mut()
        .insert(hyper::header::CONNECTION, "close".parse().unwrap());
    Ok(r)
}

/// Serves on 127.0.0.1 until the test's runtime ends.
async fn server(how: Serve, pki: Option<&Pki>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = pki.map(|p| {
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            #[allow(deprecated)]
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![p.leaf.clone()], p.key.clone_key())
        .unwrap();
        cfg.alpn_protocols = match how {
            Serve::Tls { h2: true, .. } => vec![b"h2".to_vec()],
            _ => vec![b"http/1.1".to_vec()],
        };
        TlsAcceptor::from(Arc::new(cfg))
    });
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match (how, acceptor) {
                    (Serve::H2c, _) => {
                        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(tcp), service_fn(hello))
                            .await;
                    }
                    (Serve::Tls { h2, close }, Some(a)) => {
                        let Ok(tls) = a.accept(tcp).await else { return };
                        let io = TokioIo::new(tls);
                        if h2 {
                            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, service_fn(hello))
                                .await;
                        } else if close {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, service_fn(closing))
                                .await;
                        } else {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, service_fn(hello))
                                .await;
                        }
                    }
                    (Serve::Tls { .. }, None) => {}
                }
            });
        }
    });
    addr
}

/// The CA's certificate in a PEM file (kept while the directory lives).
fn ca_file(dir: &tempfile::TempDir, pki: &Pki) -> std::path::PathBuf {
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, &pki.ca_pem).unwrap();
    path
}

fn spec(url: String, client: ClientOptions, rps: f64, concurrency: usize) -> LoadSpec {
    let mut s = LoadSpec::steady(rps, Duration::from_millis(500), concurrency);
    s.timeout = TIMEOUT;
    s.target = TargetSpec::Url(url);
    s.traffic = Traffic {
        client,
        ..Traffic::default()
    };
    s
}

/// Sets the target up as `run` does (resolve, the start-up check).
async fn start(s: &LoadSpec) -> Result<setup::Started, SetupError> {
    setup::start(&s.target, s.timeout, &s.traffic).await
}

async fn load(s: &LoadSpec) -> RunReport {
    let started = start(s).await.expect("the target starts");
    let cfg = s.run_config(started.target.clone(), false);
    let r = run(&cfg, SystemClock::shared(), CancellationToken::new(), None)
        .await
        .unwrap();
    started.shutdown().await;
    r
}

/// The start-up error's line, which must name the URL.
async fn start_error(s: &LoadSpec) -> String {
    let TargetSpec::Url(url) = &s.target else {
        panic!("not a URL")
    };
    match start(s).await {
        Err(e @ SetupError::Start(_)) => {
            let line = e.to_string();
            assert!(line.contains(url.as_str()), "{line}");
            assert!(!line.contains('\n'), "{line}");
            line
        }
        Err(other) => panic!("not a start-up error: {other}"),
        Ok(_) => panic!("started"),
    }
}

fn with_ca(path: std::path::PathBuf) -> ClientOptions {
    ClientOptions {
        cacert: Some(path),
        ..ClientOptions::default()
    }
}

/// `https://localhost:PORT/` of a TLS server started with `pki`'s leaf.
async fn https_localhost(how: Serve, pki: &Pki) -> String {
    let addr = server(how, Some(pki)).await;
    format!("https://localhost:{}/", addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_ca_runs_and_times_the_handshakes() {
    let pki = valid_for_localhost();
    let dir = tempfile::tempdir().unwrap();
    let url = https_localhost(
        Serve::Tls {
            h2: false,
            close: false,
        },
        &pki,
    )
    .await;
    let r = load(&spec(url, with_ca(ca_file(&dir, &pki)), 400.0, 4)).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.requests.completed, 200);
    let c = &r.connections;
    assert_eq!(
        (c.protocol.as_str(), c.tls_verified),
        ("HTTP/1.1", Some(true))
    );
    // One connection per worker that sent a request; each was handshaken.
    assert!((1..=4).contains(&c.opened), "{c:?}");
    assert_eq!(c.tls_handshakes, c.opened);
    assert!(
        c.tls_handshake_ms_mean > 0.0 && c.first_byte_ms_mean > 0.0,
        "{c:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_resume_the_tls_session() {
    let pki = valid_for_localhost();
    let dir = tempfile::tempdir().unwrap();
    let url = https_localhost(
        Serve::Tls {
            h2: false,
            close: true,
        },
        &pki,
    )
    .await;
    let r = load(&spec(url, with_ca(ca_file(&dir, &pki)), 100.0, 1)).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let c = &r.connections;
    // A connection per request, each after the first resuming a session.
    assert!(c.tls_handshakes >= 40, "{c:?}");
    assert!(c.tls_resumed >= c.tls_handshakes / 2, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_issuer_fails_at_start_and_insecure_runs_saying_so() {
    let pki = valid_for_localhost();
    let url = https_localhost(
        Serve::Tls {
            h2: false,
            close: false,
        },
        &pki,
    )
    .await;
    // The system's roots do not hold the test's CA.
    let line = start_error(&spec(url.clone(), ClientOptions::default(), 100.0, 1)).await;
    assert!(line.contains("unknown issuer"), "{line}");
    let insecure = ClientOptions {
        insecure: true,
        ..ClientOptions::default()
    };
    let r = load(&spec(url, insecure, 100.0, 1)).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.connections.tls_verified, Some(false));
    assert!(r.target.contains("TLS verification off"), "{}", r.target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_mismatch_fails_at_start() {
    let pki = pki(&["other.example"], (2020, 2100));
    let dir = tempfile::tempdir().unwrap();
    let url = https_localhost(
        Serve::Tls {
            h2: false,
            close: false,
        },
        &pki,
    )
    .await;
    let line = start_error(&spec(url, with_ca(ca_file(&dir, &pki)), 100.0, 1)).await;
    assert!(line.contains("host name mismatch"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_fails_at_start() {
    let pki = pki(&["localhost"], (2001, 2002));
    let dir = tempfile::tempdir().unwrap();
    let url = https_localhost(
        Serve::Tls {
            h2: false,
            close: false,
        },
        &pki,
    )
    .await;
    let line = start_error(&spec(url, with_ca(ca_file(&dir, &pki)), 100.0, 1)).await;
    assert!(line.contains("expired"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_at_start_naming_every_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let line = start_error(&spec(url, ClientOptions::default(), 100.0, 1)).await;
    assert!(line.contains("connection failed"), "{line}");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_fails_at_start() {
    // A first label of 64 characters, one more than DNS allows: the resolver
    // refuses it without sending a query off this machine.
    let url = format!("http://{}.invalid/", "r".repeat(64));
    let line = start_error(&spec(url, ClientOptions::default(), 100.0, 1)).await;
    assert!(line.contains("does not resolve"), "{line}");
}

fn http2(connections: usize) -> ClientOptions {
    ClientOptions {
        http2: true,
        connections: Some(connections),
        ..ClientOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_over_tls_shares_the_connections_among_the_workers() {
    let pki = valid_for_localhost();
    let dir = tempfile::tempdir().unwrap();
    let url = https_localhost(
        Serve::Tls {
            h2: true,
            close: false,
        },
        &pki,
    )
    .await;
    let client = ClientOptions {
        cacert: Some(ca_file(&dir, &pki)),
        ..http2(2)
    };
    let r = load(&spec(url, client, 400.0, 8)).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.requests.completed, 200);
    assert_eq!(r.connections.protocol, "HTTP/2");
    // Eight workers' streams over two connections.
    assert_eq!(r.connections.opened, 2, "{:?}", r.connections);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_with_prior_knowledge_runs() {
    let addr = server(Serve::H2c, None).await;
    let r = load(&spec(format!("http://{addr}/"), http2(1), 400.0, 4)).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.requests.completed, 200);
    assert_eq!(
        (r.connections.opened, r.connections.tls_verified),
        (1, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_against_an_http1_only_server_fails_at_start() {
    // Over TLS: the server's ALPN offers http/1.1 alone.
    let pki = valid_for_localhost();
    let dir = tempfile::tempdir().unwrap();
    let addr = server(
        Serve::Tls {
            h2: false,
            close: false,
        },
        Some(&pki),
    )
    .await;
    let client = ClientOptions {
        cacert: Some(ca_file(&dir, &pki)),
        ..http2(1)
    };
    let url = format!("https://localhost:{}/", addr.port());
    let line = start_error(&spec(url, client, 100.0, 1)).await;
    assert!(line.contains("does not offer HTTP/2"), "{line}");
    // In the clear: the embedded server speaks HTTP/1.1 only.
    let srv = ratecheck_engine::server::start(Default::default())
        .await
        .unwrap();
    let line = start_error(&spec(srv.url(), http2(1), 100.0, 1)).await;
    assert!(line.contains("does not offer HTTP/2"), "{line}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_and_localhost_are_loaded() {
    // The embedded server binds 127.0.0.1; an IPv6 listener of the test's own.
    let Ok(v6) = TcpListener::bind("[::1]:0").await else {
        return; // no IPv6 loopback on this machine
    };
    let port = v6.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = v6.accept().await {
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(hello)),
            );
        }
    });
    let r = load(&spec(
        format!("http://[::1]:{port}/"),
        ClientOptions::default(),
        200.0,
        2,
    ))
    .await;
    assert!(
        r.errors.is_empty() && r.requests.completed == 100,
        "{:?}",
        r.errors
    );
    let srv = ratecheck_engine::server::start(Default::default())
        .await
        .unwrap();
    let url = format!("http://localhost:{}/", srv.addr().port());
    // `localhost` may resolve to ::1 first, where nothing listens: the
    // next address is tried.
    let r = load(&spec(url, ClientOptions::default(), 200.0, 2)).await;
    assert!(
        r.errors.is_empty() && r.requests.completed == 100,
        "{:?}",
        r.errors
    );
    srv.shutdown().await;
}
