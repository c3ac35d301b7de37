//! The TLS probe: one handshake with the verification the providers' stacks do (rustls with
//! aws-lc-rs, WebPKI over the system roots that `SSL_CERT_FILE` / `SSL_CERT_DIR` replace,
//! plus an adapter's extra CA file), through a verifier that also **records the chain the
//! server presented**. One handshake gives both the verdict and the evidence; doctor never
//! needs a connection that skips verification.
//!
//! Classification (gcloud's diagnosis and rustls's error variants): an issuer not in the
//! store is an *unknown root* when the chain ends in a self-signed certificate, a *likely
//! interception* when the endpoint is reached through a proxy, and otherwise "unknown CA or
//! missing intermediate" (a leaf with an AIA pointer, as public CAs issue, points at the
//! missing intermediate); a name mismatch shows the names the certificate has; an expired
//! certificate shows its date, next to this machine's clock.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};

use super::cert::{summarise, CertSummary};

/// The roots the providers' stacks trust in an environment: `SSL_CERT_FILE` / `SSL_CERT_DIR`
/// when either is set (they replace the system store, as rustls-native-certs does), else the
/// system store. Loaded once per diagnosis and shared by the environment layer (which counts
/// them) and every TLS probe.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    /// The certificates.
    pub certs: Vec<CertificateDer<'static>>,
    /// What could not be read or parsed.
    pub errors: Vec<String>,
    /// Whether `SSL_CERT_FILE` / `SSL_CERT_DIR` replaced the system store.
    pub from_env: bool,
}

impl Roots {
    /// Loads the roots of `env`.
    pub fn load(env: &BTreeMap<String, String>) -> Self {
        let file = env.get("SSL_CERT_FILE").filter(|v| !v.is_empty());
        let dir = env.get("SSL_CERT_DIR").filter(|v| !v.is_empty());
        let from_env = file.is_some() || dir.is_some();
        let res = if from_env {
            rustls_native_certs::load_certs_from_paths(file.map(Path::new), dir.map(Path::new))
        } else {
            rustls_native_certs::load_native_certs()
        };
        Roots {
            certs: res.certs,
            errors: res.errors.iter().map(|e| e.to_string()).collect(),
            from_env,
        }
    }

    /// A store of these roots plus `extra` (a PEM file: an adapter's CA setting).
    pub fn store(&self, extra: Option<&str>) -> Result<RootCertStore, String> {
        use rustls::pki_types::pem::PemObject;
        let mut store = RootCertStore::empty();
        if let Some(path) = extra {
            let pem = std::fs::read(path).map_err(|e| format!("CA file {path}: {e}"))?;
            for c in CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok) {
                store.add(c).map_err(|e| format!("CA file {path}: {e}"))?;
            }
        }
        store.add_parsable_certificates(self.certs.iter().cloned());
        if store.is_empty() {
            return Err("no CA certificates were loaded (SSL_CERT_FILE / SSL_CERT_DIR or the system store)".into());
        }
        Ok(store)
    }
}

/// Delegates every decision to WebPKI and keeps the presented chain.
#[derive(Debug)]
pub struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl Recording {
    /// A recording verifier over `roots`.
    pub fn new(roots: RootCertStore, provider: Arc<rustls::crypto::CryptoProvider>) -> Result<Arc<Self>, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Recording {
            inner,
            chain: Mutex::new(Vec::new()),
        }))
    }

    /// The chain the server presented, leaf first.
    pub fn chain(&self) -> Vec<CertSummary> {
        self.chain
            .lock()
            .map(|c| c.iter().filter_map(summarise).collect())
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        if let Ok(mut c) = self.chain.lock() {
            *c = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|d| d.clone().into_owned())
                .collect();
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A failed handshake, classified: the message, the fix.
pub fn classify(err: &TlsError, host: &str, chain: &[CertSummary], via_proxy: Option<&str>) -> (String, String) {
    let top = chain.last();
    let leaf = chain.first();
    match err {
        TlsError::InvalidCertificate(ce) => match ce {
            CertificateError::UnknownIssuer => {
                let issuer = top.map_or("?".to_string(), |c| {
                    if c.self_signed {
                        c.subject.clone()
                    } else {
                        c.issuer.clone()
                    }
                });
                let fix = format!(
                    "if `{issuer}` is your organisation's CA, add it to a bundle with the system roots: cat /etc/ssl/certs/ca-certificates.crt our-ca.pem > bundle.pem; export SSL_CERT_FILE=$PWD/bundle.pem"
                );
                let msg = if let Some(p) = via_proxy {
                    format!("likely TLS interception by proxy {p}: the certificate for {host} is issued by `{issuer}`, which this machine does not trust")
                } else if top.is_some_and(|c| c.self_signed) {
                    format!("unknown root: the chain {host} presents ends at `{issuer}`, which this machine does not trust")
                } else if leaf.is_some_and(|c| c.has_aia) && chain.len() == 1 {
                    format!("missing intermediate: {host} sends only its own certificate, issued by `{issuer}`, and not the intermediate that links it to a trusted root")
                } else {
                    format!("unknown CA: {host}'s certificate is issued by `{issuer}`, which this machine does not trust (a private CA, or an intermediate the server does not send)")
                };
                let fix = if leaf.is_some_and(|c| c.has_aia) && chain.len() == 1 && via_proxy.is_none() {
                    format!("configure the server to send its full chain (leaf + intermediates); or {fix}")
                } else {
                    fix
                };
                (msg, fix)
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                let names = leaf.map(|c| c.names.join(", ")).unwrap_or_default();
                (
                    format!("name mismatch: asked for {host}, the certificate is for [{names}]"),
                    "use a host name the certificate covers in the endpoint; for S3 bucket names with dots, set force_path_style = true".into(),
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                format!(
                    "the certificate of {host} expired on {} (this machine's clock says {})",
                    leaf.map_or("?", |c| c.not_after.as_str()),
                    httpdate::fmt_http_date(std::time::SystemTime::now())
                ),
                "renew the server's certificate; if it is valid, this machine's clock is wrong: timedatectl set-ntp true".into(),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                format!(
                    "the certificate of {host} is valid only from {} (this machine's clock says {})",
                    leaf.map_or("?", |c| c.not_before.as_str()),
                    httpdate::fmt_http_date(std::time::SystemTime::now())
                ),
                "this machine's clock is probably behind: timedatectl set-ntp true".into(),
            ),
            other => (
                format!("{host}'s certificate was rejected: {other:?}"),
                "show the evidence (--evidence) to whoever runs the endpoint".into(),
            ),
        },
        TlsError::InvalidMessage(_) => (
            format!("{host} does not speak TLS on this port (plain HTTP?)"),
            "use http:// in the endpoint, or the port that serves TLS".into(),
        ),
        TlsError::AlertReceived(a) => (
            format!("{host} refused the handshake (alert {a:?})"),
            "the server may require a client certificate or a TLS version this client does not offer".into(),
        ),
        TlsError::General(g) => (format!("TLS failed: {g}"), "check SSL_CERT_FILE / SSL_CERT_DIR".into()),
        other => (format!("TLS failed: {other}"), "show the evidence (--evidence) to whoever runs the endpoint".into()),
    }
}
