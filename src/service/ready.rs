//! The ready check: one `GET` of the service's ready path on its loopback
//! port, answered with the response's status code. Plain blocking sockets
//! with timeouts: it runs between polls, never on the measured path.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Most bytes read looking for the status line.
const MAX_HEAD: usize = 8192;

/// `GET http://127.0.0.1:{port}{path}` with `Connection: close`; the
/// status code, or why there is none (one line: `connection refused`,
/// `timed out`, `no HTTP status line`).
pub fn get_status(port: u16, path: &str, timeout: Duration) -> Result<u16, String> {
    let timeout = timeout.max(Duration::from_millis(1));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| io_line(&e))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| io_line(&e))?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| io_line(&e))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: cargo-ratecheck\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).map_err(|e| io_line(&e))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 1024];
    while head.len() < MAX_HEAD && !head.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_line(&e)),
        }
    }
    parse_status_line(&head).ok_or_else(|| {
        if head.is_empty() {
            "the connection closed without a response".to_string()
        } else {
            "no HTTP status line in the response".to_string()
        }
    })
}

/// The status code of a response's first line (`HTTP/1.1 200 OK`).
pub fn parse_status_line(head: &[u8]) -> Option<u16> {
    let end = head.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&head[..end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (100..=999).contains(c))
}

/// An IO error as a short lower-case line (`connection refused`).
fn io_line(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".to_string(),
        TimedOut | WouldBlock => "timed out".to_string(),
        ConnectionReset => "connection reset".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            parse_status_line(b"HTTP/1.0 503 Service Unavailable\r\nX: y\r\n"),
            Some(503)
        );
        assert_eq!(parse_status_line(b"HTTP/1.1 204\r\n"), Some(204));
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 OK"),
            None,
            "not a whole line yet"
        );
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 20 OK\r\n"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 abc OK\r\n"), None);
        assert_eq!(parse_status_line(b""), None);
    }

    #[test]
    fn a_real_server_and_a_closed_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut req = [0u8; 1024];
            let n = c.read(&mut req).unwrap();
            let head = String::from_utf8_lossy(&req[..n]).to_string();
            c.write_all(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            head
        });
        assert_eq!(get_status(port, "/health", Duration::from_secs(5)), Ok(503));
        let head = server.join().unwrap();
        assert!(head.starts_with("GET /health HTTP/1.1\r\n"), "{head}");
        // Nothing listens there any more.
        assert_eq!(
            get_status(port, "/", Duration::from_secs(5)),
            Err("connection refused".to_string())
        );
    }
}
