//! The rustls client configuration of an `https://` target — the system's
//! trust roots (read once per process), a CA file (`cacert`), or no
//! verification at all (`insecure`); ALPN offering h2 or http/1.1; session
//! resumption on reconnect (rustls's in-memory session cache) — and the
//! words for a failed handshake.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{ClientOptions, TargetError};

/// The crypto provider: ring.
fn provider() -> Arc<CryptoProvider> {
    #[allow(deprecated)] // ring lacks post-quantum key exchange; fine here.
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's trust roots, read once (reading them takes milliseconds,
/// and every `https://` target, validation's too, needs them).
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            // Unreadable certificates are skipped: a server they would
            // have vouched for fails as "unknown issuer", naming the cure.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            Arc::new(roots)
        })
        .clone()
}

/// The roots of a PEM file of CA certificates.
fn ca_roots(path: &std::path::Path) -> Result<RootCertStore, TargetError> {
    let fail = |msg: String| TargetError::CaCert {
        path: path.display().to_string(),
        msg,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| fail(format!("not PEM ({e})")))?;
        roots
            .add(cert)
            .map_err(|e| fail(format!("not a certificate ({e})")))?;
    }
    if roots.is_empty() {
        return Err(fail("it holds no certificate".into()));
    }
    Ok(roots)
}

/// The client configuration `client` asks for.
pub(super) fn client_config(
    client: &ClientOptions,
) -> Result<Arc<rustls::ClientConfig>, TargetError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TargetError::Tls(e.to_string()))?;
    let mut config = if client.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let roots = match &client.cacert {
            Some(path) => Arc::new(ca_roots(path)?),
            None => system_roots(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    // HTTP/2 offers http/1.1 too, so a server without h2 still completes
    // the handshake and says what it speaks (instead of an alert).
    config.alpn_protocols = if client.http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Arc::new(config))
}

/// `insecure`: any certificate is taken; the handshake's signatures are
/// still checked (the server holds the key of the certificate it sent).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A failed handshake in words, for the start-up error: the certificate's
/// fault and its cure, or rustls's own words.
pub(super) fn handshake_failure(err: &std::io::Error, host: &str) -> String {
    let tls = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(cert)) => certificate_failure(cert, host),
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)) => {
            "the server speaks none of the protocols offered (ALPN)".to_string()
        }
        Some(e) => format!("TLS handshake failed: {e}"),
        None => format!("TLS handshake failed: {err}"),
    }
}

fn certificate_failure(cert: &CertificateError, host: &str) -> String {
    use CertificateError::*;
    match cert {
        UnknownIssuer => "the server's certificate has an unknown issuer \
             (no trusted CA signed it); give its CA with --cacert PATH (cacert), \
             or skip verification with --insecure"
            .to_string(),
        NotValidForName | NotValidForNameContext { .. } => {
            format!("host name mismatch: the server's certificate is not valid for {host:?}")
        }
        Expired | ExpiredContext { .. } => "the server's certificate has expired".to_string(),
        NotValidYet | NotValidYetContext { .. } => {
            "the server's certificate is not valid yet".to_string()
        }
        other => format!("the server's certificate was refused: {other}"),
    }
}
