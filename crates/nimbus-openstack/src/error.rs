//! OpenStack fault bodies → portable errors.
//!
//! Why per service: every OpenStack service writes faults its own way, and the status alone
//! says too little (Nova answers 403 both for a missing permission and for an exhausted
//! quota; Neutron answers 409 both for "in use" and for "over quota"):
//! - Nova: `{"itemNotFound": {"code": 404, "message": "…"}}` (the key is the fault name);
//! - Neutron: `{"NeutronError": {"type": "NetworkInUse", "message": "…", "detail": ""}}`;
//! - Keystone: `{"error": {"code": 401, "title": "Unauthorized", "message": "…"}}`;
//! - Glance: `{"message": "…", "code": "404 Not Found", "title": "Not Found"}` or HTML;
//! - Swift: a short HTML or plain-text body.
//!
//! The raw code kept on the error is the fault name, Neutron type or Keystone title; the
//! request id is `X-Openstack-Request-Id` (or Nova's `X-Compute-Request-Id`, Swift's
//! `X-Trans-Id`).

use std::time::Duration;

use nimbus_core::{Error, ErrorKind};
use serde_json::Value;

/// A failed answer, before mapping.
#[derive(Debug)]
pub struct Fault<'a> {
    /// HTTP status.
    pub status: u16,
    /// Response body (may be empty, HTML or JSON).
    pub body: &'a str,
    /// Request id header.
    pub request_id: Option<String>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
}

/// The portable error of a fault.
pub fn from_fault(f: &Fault<'_>) -> Error {
    let (code, message) = parse_body(f.status, f.body);
    let kind = kind_for(code.as_deref(), f.status, &message);
    let mut e = Error::new(kind, message);
    if let Some(c) = code {
        e = e.with_raw_code(c);
    }
    if let Some(r) = &f.request_id {
        e = e.with_request_id(r.clone());
    }
    if let Some(s) = f.retry_after {
        e = e.with_retry_after(Duration::from_secs(s));
    }
    e
}

/// The fault's code (fault name, Neutron type, Keystone title) and message.
fn parse_body(status: u16, body: &str) -> (Option<String>, String) {
    let fallback = || {
        let text = strip_html(body);
        if text.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {text}")
        }
    };
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return (None, fallback());
    };
    let msg = |o: &Value| o.get("message").and_then(Value::as_str).map(str::to_string);
    if let Some(n) = v.get("NeutronError") {
        let code = n.get("type").and_then(Value::as_str).map(str::to_string);
        return (code, msg(n).unwrap_or_else(fallback));
    }
    if let Some(k) = v.get("error").filter(|e| e.is_object()) {
        let code = k.get("title").and_then(Value::as_str).map(str::to_string);
        return (code, msg(k).unwrap_or_else(fallback));
    }
    if let Some(m) = msg(&v) {
        // Glance and some Neutron plugins: a flat object.
        let code = v.get("title").and_then(Value::as_str).map(str::to_string);
        return (code, m);
    }
    // Nova: one key, the fault name, holding { code, message }.
    if let Some((name, inner)) = v.as_object().and_then(|o| o.iter().next()) {
        if let Some(m) = msg(inner) {
            return (Some(name.clone()), m);
        }
    }
    (None, fallback())
}

fn strip_html(body: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(300).collect()
}

/// Fault code (and message where the code is shared) → portable kind; else the status.
pub fn kind_for(code: Option<&str>, status: u16, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    if code == Some("OverQuota") || lower.contains("quota exceeded") || lower.contains("exceeds quota") {
        return ErrorKind::QuotaExceeded;
    }
    match code {
        Some(
            "NetworkInUse" | "SubnetInUse" | "SecurityGroupInUse" | "PortInUse" | "IpAddressInUse" | "InUse"
            | "conflictingRequest",
        ) => ErrorKind::Conflict,
        Some("SecurityGroupRuleExists" | "DuplicateName") => ErrorKind::AlreadyExists,
        Some("itemNotFound" | "NetworkNotFound" | "SubnetNotFound" | "SecurityGroupNotFound" | "PortNotFound") => {
            ErrorKind::NotFound
        }
        // Nova's (pre-Newton) API rate limits.
        Some("overLimit") => ErrorKind::RateLimited,
        _ => match status {
            // Swift: object or segment too large.
            413 => ErrorKind::InvalidInput,
            411 | 422 => ErrorKind::InvalidInput,
            s => ErrorKind::from_http_status(s),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(status: u16, body: &str) -> Error {
        from_fault(&Fault {
            status,
            body,
            request_id: Some("req-1".into()),
            retry_after: None,
        })
    }

    #[test]
    fn nova_neutron_keystone_and_swift_faults() {
        let e = fault(
            404,
            r#"{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}"#,
        );
        assert_eq!(
            (e.kind(), e.raw_code(), e.request_id()),
            (ErrorKind::NotFound, Some("itemNotFound"), Some("req-1"))
        );
        let e = fault(
            403,
            r#"{"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
        let e = fault(
            409,
            r#"{"NeutronError": {"type": "NetworkInUse", "message": "Unable to complete operation on network n. There are one or more ports still in use on the network.", "detail": ""}}"#,
        );
        assert_eq!((e.kind(), e.raw_code()), (ErrorKind::Conflict, Some("NetworkInUse")));
        let e = fault(
            409,
            r#"{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['network'].", "detail": ""}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
        let e = fault(
            401,
            r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#,
        );
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::Unauthenticated, Some("Unauthorized"))
        );
        let e = fault(
            404,
            "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>",
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.message(), "HTTP 404: Not Found The resource could not be found.");
        assert_eq!(fault(409, "").message(), "HTTP 409");
    }
}
