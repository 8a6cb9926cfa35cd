//! A weighted request mix and a response check over the wire: a recording
//! loopback server sees each request of the mix in its weight's share, with
//! its method, headers and body (one read from a file), and a check fails
//! the responses whose status or body is not the one required, counted as
//! `check-failed`. The counts come from the engine's time-free request path
//! ([`cost::drive`]), so they are exact; one short real run shows the kind
//! in the report.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use ratecheck_engine::clock::SystemClock;
use ratecheck_engine::cost;
use ratecheck_engine::load::traffic::{Body, CheckSpec, RequestSpec, Traffic};
use ratecheck_engine::run::{run, RunConfig};
use ratecheck_engine::target::Target;
use tokio_util::sync::CancellationToken;

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    header: Option<String>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A loopback HTTP/1.1 server that records every request and answers 200
/// with `you asked for PATH`; it runs until the runtime ends.
async fn recording_server() -> (SocketAddr, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let method = req.method().to_string();
                        let path = req.uri().to_string();
                        let header = req
                            .headers()
                            .get("x-mix")
                            .map(|v| v.to_str().unwrap_or("").to_string());
                        let body = req.into_body().collect().await.map(|b| b.to_bytes());
                        seen.lock().unwrap().push(Seen {
                            method,
                            path: path.clone(),
                            header,
                            body: body.unwrap_or_default().to_vec(),
                        });
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!(
                            "you asked for {path}"
                        )))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, log)
}

fn request(method: &str, path: &str, body: Body, weight: u32) -> RequestSpec {
    RequestSpec {
        method: method.into(),
        path: Some(path.into()),
        headers: vec![format!("X-Mix: {path}")],
        body,
        weight,
    }
}

/// `traffic` driven through the engine's request path, `n` requests, on a
/// current-thread runtime (as [`cost::drive`] requires): what it counted
/// and what the server saw.
fn drive(traffic: &Traffic, n: u64) -> (cost::CostOutcome, Vec<Seen>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (addr, log) = recording_server().await;
        let target = traffic
            .http_target(&format!("http://{addr}/default"), Duration::from_secs(5))
            .unwrap();
        let outcome = cost::drive(Target::from(target), n).await;
        let seen = log.lock().unwrap().clone();
        (outcome, seen)
    })
}

#[test]
fn each_request_of_the_mix_is_sent_in_its_share_with_its_body() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("order.json"), br#"{"item":7}"#).unwrap();
    let traffic = Traffic {
        requests: vec![
            request("GET", "/items?page=2", Body::Empty, 3),
            request("POST", "/orders", Body::File("order.json".into()), 1),
            RequestSpec {
                path: None,
                ..request("PUT", "-", Body::Text("text".into()), 2)
            },
        ],
        check: CheckSpec::default(),
        client: Default::default(),
    }
    .rooted(dir.path());
    let (outcome, seen) = drive(&traffic, 600);
    assert_eq!((outcome.succeeded, outcome.failed), (600, 0));
    assert_eq!(seen.len(), 600);
    let count = |m: &str, p: &str| seen.iter().filter(|s| s.method == m && s.path == p).count();
    assert_eq!(count("GET", "/items?page=2"), 300);
    assert_eq!(count("POST", "/orders"), 100);
    // No path of its own: the target URL's.
    assert_eq!(count("PUT", "/default"), 200);
    let post = seen.iter().find(|s| s.method == "POST").unwrap();
    assert_eq!(post.body, br#"{"item":7}"#);
    assert_eq!(post.header.as_deref(), Some("/orders"));
    assert!(seen
        .iter()
        .filter(|s| s.method == "GET")
        .all(|s| s.body.is_empty()));

    // The same order every time, interleaved rather than in blocks.
    let (_, again) = drive(&traffic, 600);
    let sorted = |s: &[Seen]| {
        let mut v: Vec<(String, String)> = s
            .iter()
            .map(|x| (x.method.clone(), x.path.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&seen), sorted(&again));
    let first_six: Vec<&str> = seen[..6].iter().map(|s| s.method.as_str()).collect();
    assert_ne!(first_six, ["GET", "GET", "GET", "POST", "PUT", "PUT"]);
}

#[test]
fn a_response_that_fails_the_check_is_a_failed_request() {
    let mix = |check: CheckSpec| Traffic {
        requests: vec![
            request("GET", "/a", Body::Empty, 3),
            request("GET", "/b", Body::Empty, 1),
        ],
        check,
        client: Default::default(),
    };
    // Only /a's answers hold "for /a".
    let body = mix(CheckSpec {
        status: None,
        body_contains: Some("for /a".into()),
    });
    let (outcome, _) = drive(&body, 400);
    assert_eq!((outcome.succeeded, outcome.failed), (300, 100));
    // The server answers 200, never 201.
    let status = mix(CheckSpec {
        status: Some(201),
        body_contains: None,
    });
    let (outcome, _) = drive(&status, 400);
    assert_eq!((outcome.succeeded, outcome.failed), (0, 400));
    let both = mix(CheckSpec {
        status: Some(200),
        body_contains: Some("you asked".into()),
    });
    let (outcome, _) = drive(&both, 400);
    assert_eq!((outcome.succeeded, outcome.failed), (400, 0));
}

#[test]
fn failed_checks_show_in_the_report_as_check_failed() {
    let _serial = common::serial();
    let rt = common::runtime();
    let r = rt.block_on(async {
        let (addr, _) = recording_server().await;
        let traffic = Traffic {
            requests: vec![
                request("GET", "/a", Body::Empty, 1),
                request("GET", "/b", Body::Empty, 1),
            ],
            check: CheckSpec {
                status: None,
                body_contains: Some("for /a".into()),
            },
            client: Default::default(),
        };
        let target = traffic
            .http_target(&format!("http://{addr}/"), Duration::from_secs(5))
            .unwrap();
        let cfg = RunConfig::steady(200.0, Duration::from_secs(1), 4, target.into());
        run(&cfg, SystemClock::shared(), CancellationToken::new(), None)
            .await
            .unwrap()
    });
    let failed = r.errors.get("check-failed").copied().unwrap_or(0);
    assert_eq!(failed, r.requests.failed, "{:?}", r.errors);
    // Half the deck is /b; whatever was dropped, about half failed.
    let share = failed as f64 / r.requests.completed as f64;
    assert!((0.4..=0.6).contains(&share), "{share} of {:?}", r.requests);
    assert!(r.target.ends_with("(2 requests)"), "{}", r.target);
}
