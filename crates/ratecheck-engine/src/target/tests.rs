//! The target's pure parts (URLs, requests, the check, the tallies) and
//! the failures of opening a connection, on loopback.

use super::*;
use crate::clock::SystemClock;

const T: Duration = Duration::from_secs(1);

#[test]
fn accepts_http_and_https_urls_of_any_host() {
    let t = HttpTarget::new("http://127.0.0.1:8080/a?b=c", T).unwrap();
    assert_eq!(t.addrs(), &["127.0.0.1:8080".parse().unwrap()]);
    assert_eq!(t.url_path(), "/a?b=c");
    assert_eq!(t.host, "127.0.0.1:8080");
    assert_eq!(t.tls(), None);
    let t = HttpTarget::new("http://[::1]:9000", T).unwrap();
    assert_eq!(t.addrs(), &["[::1]:9000".parse().unwrap()]);
    assert_eq!(t.url_path(), "/");
    // A name is kept for resolving at start; nothing is looked up here.
    let t = HttpTarget::new("https://staging.example.com/health", T).unwrap();
    assert!(t.addrs().is_empty());
    assert_eq!(t.tls(), Some(true));
    assert_eq!(
        (t.endpoint.host.as_str(), t.endpoint.port),
        ("staging.example.com", 443)
    );
    assert_eq!(t.host, "staging.example.com");
    assert_eq!(
        HttpTarget::new("http://10.0.0.1/", T).unwrap().addrs(),
        &["10.0.0.1:80".parse().unwrap()]
    );
}

#[test]
fn origins_name_the_scheme_host_and_port() {
    assert_eq!(
        origin("https://Staging.Example.com/health?x=1").unwrap(),
        "https://staging.example.com:443"
    );
    assert_eq!(origin("http://[::1]:81/").unwrap(), "http://[::1]:81");
    assert_eq!(origin("http://127.0.0.1/").unwrap(), "http://127.0.0.1:80");
}

#[test]
fn refuses_other_urls() {
    use TargetError::*;
    type Check = fn(&TargetError) -> bool;
    let cases: [(&str, Check); 9] = [
        ("ftp://127.0.0.1/", |e| matches!(e, Scheme(_))),
        ("not a url", |e| matches!(e, BadUrl(_))),
        ("127.0.0.1:8080", |e| matches!(e, BadUrl(_) | Scheme(_))),
        ("http:///", |e| matches!(e, BadUrl(_))),
        ("http://:8080/", |e| matches!(e, BadUrl(_))),
        ("http://127.0.0.1:0/", |e| matches!(e, BadPort(_))),
        ("https://example.com:0/", |e| matches!(e, BadPort(_))),
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
fn a_missing_or_empty_ca_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    for path in [dir.path().join("missing.pem"), empty] {
        let client = ClientOptions {
            cacert: Some(path.clone()),
            ..ClientOptions::default()
        };
        let err = HttpTarget::with_client("https://127.0.0.1:1/", T, client).unwrap_err();
        assert!(
            matches!(&err, TargetError::CaCert { path: p, .. } if *p == path.display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn connections_need_http2_and_at_most_the_concurrency() {
    let h2 = |n| ClientOptions {
        http2: true,
        connections: Some(n),
        ..ClientOptions::default()
    };
    assert!(h2(4).check(4).is_ok());
    assert!(h2(5).check(4).is_err());
    assert!(h2(0).check(4).is_err());
    let h1 = ClientOptions {
        connections: Some(2),
        ..ClientOptions::default()
    };
    assert!(h1.check(4).is_err());
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
        .with_requests(vec![(post.clone(), 1)]);
    let req = t.request(0);
    assert_eq!(req.method(), Method::POST);
    assert_eq!(req.uri(), "/x?y=1");
    assert_eq!(req.headers()["x-test"], "1");
    assert_eq!(req.headers()[HOST], "127.0.0.1:1");
    // HTTP/2: the scheme and authority in the URI, no Host header.
    let client = ClientOptions {
        http2: true,
        ..ClientOptions::default()
    };
    let t = HttpTarget::with_client("http://localhost:1/x", T, client)
        .unwrap()
        .with_requests(vec![(post, 1)]);
    let req = t.request(0);
    assert_eq!(req.uri(), "http://localhost:1/x?y=1");
    assert_eq!(req.version(), Version::HTTP_2);
    assert!(req.headers().get(HOST).is_none());
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
fn the_description_says_http2_and_verification_off() {
    let client = ClientOptions {
        insecure: true,
        http2: true,
        connections: Some(2),
        ..ClientOptions::default()
    };
    let t = HttpTarget::with_client("https://localhost:1/", T, client).unwrap();
    assert_eq!(t.tls(), Some(false));
    assert_eq!(t.protocol(), "HTTP/2");
    assert_eq!(
        Target::from(t).describe(),
        "https://localhost:1/ (HTTP/2, 2 connections, TLS verification off)"
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
        (s.found, s.kept())
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

#[test]
fn the_tally_reports_mean_times_in_ms() {
    let tally = conn::Tally::default();
    assert_eq!(tally_report(&tally), (0, 0, 0, 0.0, 0.0, 0.0));
    tally.first_byte(3_000_000);
    tally.first_byte(1_000_000);
    let pool = ConnPool::new(None, SystemClock::shared());
    pool.tally.first_byte(2_000_000);
    let r = pool.report();
    assert_eq!((r.opened, r.first_byte_ms_mean), (0, 2.0));
    assert_eq!(tally_report(&tally).5, 2.0);
}

fn tally_report(t: &conn::Tally) -> (u64, u64, u64, f64, f64, f64) {
    let r = t.report();
    (
        r.opened,
        r.tls_handshakes,
        r.tls_resumed,
        r.connect_ms_mean,
        r.tls_handshake_ms_mean,
        r.first_byte_ms_mean,
    )
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn unreachable_target_is_a_connect_error() {
    let t = Target::Http(Box::new(
        HttpTarget::new(&format!("http://127.0.0.1:{}/", closed_port()), T).unwrap(),
    ));
    let pool = ConnPool::new(t.http(), SystemClock::shared());
    let mut c = Connection::new(pool.clone(), 0);
    assert_eq!(c.send(&t, 0).await, Outcome::Error(ErrorKind::Connect));
    assert_eq!(pool.report().opened, 0);
}

#[tokio::test]
async fn open_failures_have_their_kinds() {
    // TLS to a plain TCP listener that closes at once: a TLS failure.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    let kind = |url: String, client: ClientOptions| async move {
        let t = HttpTarget::with_client(&url, T, client).unwrap();
        let pool = ConnPool::new(Some(&t), SystemClock::shared());
        let e = match t.client.http2 {
            true => pool.h2(&t, 0, None).await.map(|_| ()).unwrap_err(),
            false => conn::open_h1(&t, &pool).await.map(|_| ()).unwrap_err(),
        };
        (e.kind(), pool.report().opened)
    };
    let insecure = ClientOptions {
        insecure: true,
        ..ClientOptions::default()
    };
    assert_eq!(
        kind(format!("https://127.0.0.1:{port}/"), insecure).await,
        (ErrorKind::Tls, 1)
    );
    let refused = format!("http://127.0.0.1:{}/", closed_port());
    assert_eq!(
        kind(refused.clone(), ClientOptions::default()).await,
        (ErrorKind::Connect, 0)
    );
    let h2 = ClientOptions {
        http2: true,
        ..ClientOptions::default()
    };
    assert_eq!(kind(refused, h2).await, (ErrorKind::Connect, 0));
    // An unresolved name has no address to try.
    let t = HttpTarget::new("http://ratecheck-test.invalid/", T).unwrap();
    let pool = ConnPool::new(Some(&t), SystemClock::shared());
    let e = conn::open_h1(&t, &pool).await.map(|_| ()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
}

#[tokio::test]
async fn the_start_check_names_the_url_and_a_silent_server_times_out() {
    // A listener that never accepts: connect succeeds (the backlog), TLS
    // never answers, and the check ends at the timeout.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = ClientOptions {
        insecure: true,
        ..ClientOptions::default()
    };
    let url = format!("https://127.0.0.1:{port}/");
    let t = HttpTarget::with_client(&url, Duration::from_millis(200), client).unwrap();
    let e = t.check_reachable().await.unwrap_err();
    assert_eq!(e.url, url);
    assert!(e.cause.contains("within the request timeout"), "{e}");
    assert!(e.to_string().starts_with(&format!("cannot load {url}: ")));
    drop(listener);
}

#[tokio::test]
async fn a_request_future_stays_small() {
    // Opening a connection (TLS and HTTP/2 handshakes) is boxed: held
    // inline it made every request's future kilobytes to move.
    let t = Target::Http(Box::new(HttpTarget::new("http://127.0.0.1:1/", T).unwrap()));
    let pool = ConnPool::new(t.http(), SystemClock::shared());
    let mut c = Connection::new(pool, 0);
    let size = std::mem::size_of_val(&c.send(&t, 0));
    assert!(size <= 1024, "a request's future is {size} bytes");
}
