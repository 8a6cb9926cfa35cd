//! nginx on loopback for the HTTPS and HTTP/2 row sets of `cargo xtask
//! peers`: a temporary prefix holding a CA and a certificate for
//! `127.0.0.1` and `localhost` (made here by rcgen), a configuration with
//! one HTTPS/1.1 server and one HTTP/2-over-TLS server on free ports of
//! 127.0.0.1, and nginx itself, stopped and the prefix removed on drop.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

/// A running nginx and where it serves.
pub struct Nginx {
    child: Child,
    prefix: PathBuf,
    /// `https://127.0.0.1:PORT/`: HTTP/1.1 over TLS (ALPN offers no h2).
    pub https_url: String,
    /// `https://127.0.0.1:PORT/`: HTTP/2 over TLS (and HTTP/1.1).
    pub h2_url: String,
    /// The CA that signed the servers' certificate, PEM.
    pub ca: PathBuf,
}

/// A free port on 127.0.0.1 (bound, read, released).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// The nginx configuration: one worker (the load tool has the other
/// core), no access log, keep-alive for the whole run, a session cache for
/// resumption, both servers answering `200 ok`.
pub fn config(prefix: &Path, https_port: u16, h2_port: u16) -> String {
    let p = prefix.display();
    format!(
        "worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {p}/body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    ssl_certificate {p}/cert.pem;
    ssl_certificate_key {p}/key.pem;
    ssl_session_cache shared:SSL:1m;
    server {{
        listen 127.0.0.1:{https_port} ssl;
        location / {{ return 200 \"ok\\n\"; }}
    }}
    server {{
        listen 127.0.0.1:{h2_port} ssl http2;
        location / {{ return 200 \"ok\\n\"; }}
    }}
}}
"
    )
}

/// Writes `ca.pem`, `cert.pem` (for 127.0.0.1 and localhost, signed by the
/// CA) and `key.pem` into `prefix`.
fn write_certificates(prefix: &Path) -> Result<()> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?
        .signed_by(&key, &ca, &ca_key)?;
    std::fs::write(prefix.join("ca.pem"), ca.pem())?;
    std::fs::write(prefix.join("cert.pem"), leaf.pem())?;
    std::fs::write(prefix.join("key.pem"), key.serialize_pem())?;
    Ok(())
}

impl Nginx {
    /// Starts nginx and waits (up to 10 s) until both ports accept.
    pub fn start() -> Result<Nginx> {
        let prefix =
            std::env::temp_dir().join(format!("ratecheck-peers-nginx-{}", std::process::id()));
        std::fs::create_dir_all(&prefix)
            .with_context(|| format!("cannot create {}", prefix.display()))?;
        write_certificates(&prefix).context("cannot make the test certificates")?;
        let (https_port, h2_port) = (free_port()?, free_port()?);
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config(&prefix, https_port, h2_port))?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .spawn()
            .context("could not start nginx")?;
        let mut nginx = Nginx {
            child,
            https_url: format!("https://127.0.0.1:{https_port}/"),
            h2_url: format!("https://127.0.0.1:{h2_port}/"),
            ca: prefix.join("ca.pem"),
            prefix,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in [https_port, h2_port] {
            let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
            while TcpStream::connect(addr).is_err() {
                if Instant::now() > deadline || !nginx.is_running() {
                    let log =
                        std::fs::read_to_string(nginx.prefix.join("error.log")).unwrap_or_default();
                    bail!("nginx did not listen on {addr} within 10 s: {}", log.trim());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(nginx)
    }

    /// True while nginx has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: nginx's master stops its worker and exits.
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_serves_https_and_h2_on_loopback() {
        let c = config(Path::new("/tmp/x"), 8443, 8444);
        assert!(c.contains("listen 127.0.0.1:8443 ssl;"), "{c}");
        assert!(c.contains("listen 127.0.0.1:8444 ssl http2;"), "{c}");
        assert!(c.contains("ssl_certificate /tmp/x/cert.pem;"), "{c}");
        assert!(!c.contains("0.0.0.0"), "{c}");
    }
}
