//! What a presented certificate says, for messages and evidence: subject, issuer, validity,
//! names, and whether it points at its issuer's certificate (AIA), which public CAs' leaves
//! do and an intercepting proxy's usually do not. Certificates are public: their PEM goes
//! into the evidence so support can see the chain the customer's network presents.

use std::time::SystemTime;

use rustls::pki_types::CertificateDer;
use serde::Serialize;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// `id-pe-authorityInfoAccess`.
const AIA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

/// One certificate, summarised.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Not before (HTTP date, UTC).
    pub not_before: String,
    /// Not after (HTTP date, UTC).
    pub not_after: String,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// Subject equals issuer (a root or a self-signed leaf).
    pub self_signed: bool,
    /// Carries an Authority Information Access extension.
    pub has_aia: bool,
    /// Its PEM (public).
    pub pem: String,
}

fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Summarises a DER certificate; `None` when it does not parse.
pub fn summarise(der: &CertificateDer<'_>) -> Option<CertSummary> {
    let c = Certificate::from_der(der.as_ref()).ok()?;
    let tbs = &c.tbs_certificate;
    let names = match tbs.get::<SubjectAltName>() {
        Ok(Some((_, san))) => san
            .0
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(d) => Some(d.to_string()),
                GeneralName::IpAddress(ip) => match ip.as_bytes().len() {
                    4 => {
                        let b: [u8; 4] = ip.as_bytes().try_into().ok()?;
                        Some(std::net::Ipv4Addr::from(b).to_string())
                    }
                    16 => {
                        let b: [u8; 16] = ip.as_bytes().try_into().ok()?;
                        Some(std::net::Ipv6Addr::from(b).to_string())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let has_aia = tbs
        .extensions
        .as_ref()
        .is_some_and(|exts| exts.iter().any(|e| e.extn_id == AIA));
    let der_bytes = c.to_der().ok()?;
    Some(CertSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        not_before: http_date(SystemTime::UNIX_EPOCH + tbs.validity.not_before.to_date_time().unix_duration()),
        not_after: http_date(SystemTime::UNIX_EPOCH + tbs.validity.not_after.to_date_time().unix_duration()),
        names,
        self_signed: tbs.subject == tbs.issuer,
        has_aia,
        pem: pem(&der_bytes),
    })
}

fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or(""));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
