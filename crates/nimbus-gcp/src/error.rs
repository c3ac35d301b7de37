//! Google API errors → portable kinds, keeping the reason and status. Reasons from
//! <https://cloud.google.com/storage/docs/json_api/v1/status-codes> and
//! <https://cloud.google.com/compute/docs/troubleshooting/troubleshooting-resource-availability>.

use nimbus_core::{Error, ErrorKind};

/// The portable kind for a Google error reason, else for the HTTP status.
pub fn kind_for(reason: Option<&str>, status: Option<u16>) -> ErrorKind {
    if status == Some(304) {
        return ErrorKind::NotModified;
    }
    match reason.unwrap_or("") {
        "notFound" | "RESOURCE_NOT_FOUND" | "NOT_FOUND" => ErrorKind::NotFound,
        "alreadyExists" | "RESOURCE_ALREADY_EXISTS" | "ALREADY_EXISTS" => ErrorKind::AlreadyExists,
        "conditionNotMet" | "CONDITION_NOT_MET" => ErrorKind::PreconditionFailed,
        "conflict"
        | "resourceInUseByAnotherResource"
        | "resourceNotReady"
        | "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
        | "RESOURCE_NOT_READY" => ErrorKind::Conflict,
        // Too many operations on one resource at once: waiting and retrying is the cure, as
        // for the per-project rate limits, so it is not a conflict of states.
        "rateLimitExceeded" | "userRateLimitExceeded" | "RESOURCE_OPERATION_RATE_EXCEEDED" => ErrorKind::RateLimited,
        "invalid"
        | "invalidArgument"
        | "required"
        | "badRequest"
        | "invalidParameter"
        | "parseError"
        | "INVALID_FIELD_VALUE"
        | "INVALID_USAGE" => ErrorKind::InvalidInput,
        "quotaExceeded" | "QUOTA_EXCEEDED" => ErrorKind::QuotaExceeded,
        "ZONE_RESOURCE_POOL_EXHAUSTED" | "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS" => ErrorKind::CapacityUnavailable,
        "forbidden" | "insufficientPermissions" | "accessNotConfigured" => ErrorKind::PermissionDenied,
        "authError" | "unauthorized" | "required_credentials" => ErrorKind::Unauthenticated,
        "backendError" | "internalError" => ErrorKind::Unavailable,
        _ => status.map_or(ErrorKind::Internal, ErrorKind::from_http_status),
    }
}

/// A JSON API error body (`{"error": {"code", "message", "errors": [{"reason"}]}}`), or any
/// other body, as a portable error.
pub fn from_json_error(status: u16, body: &str) -> Error {
    from_json_response(status, body, &ResponseHeaders::default())
}

/// What an error answer's headers say beyond its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders {
    /// An id Google support can trace the request by: `x-goog-request-id` when sent, else
    /// Cloud Storage's `x-guploader-uploadid` (on every GCS answer, uploads or not).
    pub request_id: Option<String>,
    /// `Retry-After`, as delta-seconds.
    pub retry_after: Option<String>,
}

impl ResponseHeaders {
    /// The headers of interest from a header lookup (`name` is lowercase).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        ResponseHeaders {
            request_id: get("x-goog-request-id").or_else(|| get("x-guploader-uploadid")),
            retry_after: get("retry-after"),
        }
    }
}

/// `google.rpc.RetryInfo.retryDelay` as JSON writes a `Duration` (`"30s"`, `"1.5s"`).
fn proto_duration(s: &str) -> Option<std::time::Duration> {
    let secs: f64 = s.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs))
}

/// The first `details` entry of a `google.rpc` type (`RequestInfo`, `RetryInfo`).
fn detail<'a>(err: &'a serde_json::Value, ty: &str) -> Option<&'a serde_json::Value> {
    err["details"].as_array()?.iter().find(|d| {
        d["@type"]
            .as_str()
            .is_some_and(|t| t == format!("type.googleapis.com/google.rpc.{ty}"))
    })
}

/// [`from_json_error`] with the answer's headers: the request id (header, else the body's
/// `google.rpc.RequestInfo.requestId`) and when to retry (`Retry-After` in seconds, else the
/// body's `google.rpc.RetryInfo.retryDelay`). Compute Engine often sends neither; what is
/// present is kept.
pub fn from_json_response(status: u16, body: &str, headers: &ResponseHeaders) -> Error {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let mut e = from_json_value(status, &v);
    let err = &v["error"];
    let request_id = headers.request_id.clone().or_else(|| {
        detail(err, "RequestInfo")
            .and_then(|d| d["requestId"].as_str())
            .map(str::to_string)
    });
    if let Some(id) = request_id.filter(|s| !s.is_empty()) {
        e = e.with_request_id(id);
    }
    let retry_after = headers
        .retry_after
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs)
        .or_else(|| {
            detail(err, "RetryInfo")
                .and_then(|d| d["retryDelay"].as_str())
                .and_then(proto_duration)
        });
    if let Some(d) = retry_after {
        e = e.with_retry_after(d);
    }
    e
}

fn from_json_value(status: u16, v: &serde_json::Value) -> Error {
    let err = &v["error"];
    let reason = err["errors"][0]["reason"].as_str().or_else(|| err["status"].as_str());
    let message = err["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let mut e = Error::new(kind_for(reason, Some(status)), message);
    if let Some(r) = reason {
        e = e.with_raw_code(r.to_string());
    } else {
        e = e.with_raw_code(status.to_string());
    }
    e
}

/// The error of a finished Compute Engine operation (`error.errors[0].code`, e.g.
/// `ZONE_RESOURCE_POOL_EXHAUSTED`, with `httpErrorStatusCode`), or `None` if it succeeded.
pub fn from_operation(op: &serde_json::Value) -> Option<Error> {
    let first = op.pointer("/error/errors/0")?;
    let code = first["code"].as_str().unwrap_or("UNKNOWN");
    let status = op["httpErrorStatusCode"].as_u64().map(|s| s as u16);
    let message = first["message"]
        .as_str()
        .or_else(|| op["httpErrorMessage"].as_str())
        .unwrap_or(code);
    Some(Error::new(kind_for(Some(code), status), message.to_string()).with_raw_code(code.to_string()))
}

/// A google-cloud-storage error as a portable one.
#[cfg(feature = "storage")]
pub fn from_gcs(e: google_cloud_storage::Error) -> Error {
    match e.http_status_code() {
        Some(status) => {
            let body = e
                .http_payload()
                .map(|b| String::from_utf8_lossy(b).to_string())
                .unwrap_or_default();
            let mut out = from_json_error(status, &body);
            if let Some(secs) = e
                .http_headers()
                .and_then(|h| h.get("retry-after"))
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
            {
                out = out.with_retry_after(std::time::Duration::from_secs(secs.min(300)));
            }
            out
        }
        None if e.is_timeout() => Error::new(ErrorKind::Timeout, e.to_string()),
        None if e.is_authentication() => Error::new(ErrorKind::Unauthenticated, e.to_string()),
        None if e.is_io() => Error::new(ErrorKind::Unavailable, e.to_string()),
        None => Error::new(ErrorKind::Internal, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn reasons_win_over_statuses() {
        let e = from_json_error(
            412,
            r#"{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold.","errors":[{"reason":"conditionNotMet"}]}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::PreconditionFailed);
        assert_eq!(e.raw_code(), Some("conditionNotMet"));
        assert_eq!(
            kind_for(Some("ZONE_RESOURCE_POOL_EXHAUSTED"), Some(503)),
            ErrorKind::CapacityUnavailable
        );
        assert_eq!(from_json_error(404, "not json").kind(), ErrorKind::NotFound);
        let op = serde_json::json!({"status": "DONE", "httpErrorStatusCode": 400,
            "error": {"errors": [{"code": "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE", "message": "in use"}]}});
        let e = from_operation(&op).unwrap();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::Conflict, Some("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"))
        );
        assert!(from_operation(&serde_json::json!({"status": "DONE"})).is_none());
    }

    #[test]
    fn rate_limits_are_retryable_not_conflicts() {
        for reason in [
            "RESOURCE_OPERATION_RATE_EXCEEDED",
            "rateLimitExceeded",
            "userRateLimitExceeded",
        ] {
            for status in [None, Some(403), Some(409), Some(429)] {
                let k = kind_for(Some(reason), status);
                assert_eq!(k, ErrorKind::RateLimited, "{reason} {status:?}");
                assert!(k.is_retryable());
            }
        }
        let op = serde_json::json!({"status": "DONE", "httpErrorStatusCode": 409,
            "error": {"errors": [{"code": "RESOURCE_OPERATION_RATE_EXCEEDED", "message": "Operation rate exceeded"}]}});
        let e = from_operation(&op).unwrap();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::RateLimited, Some("RESOURCE_OPERATION_RATE_EXCEEDED"))
        );
        assert!(e.is_retryable());
        // Still conflicts: the resource is busy or not ready.
        assert_eq!(kind_for(Some("RESOURCE_NOT_READY"), Some(400)), ErrorKind::Conflict);
    }

    #[test]
    fn request_ids_and_retry_delays_from_headers_or_body() {
        let body =
            r#"{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"reason":"rateLimitExceeded"}]}}"#;
        let headers = ResponseHeaders::from_lookup(|n| match n {
            "x-goog-request-id" => Some("req-123".into()),
            "retry-after" => Some("7".into()),
            _ => None,
        });
        let e = from_json_response(403, body, &headers);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.request_id(), Some("req-123"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        // Cloud Storage's upload id when no request id header is sent.
        let h = ResponseHeaders::from_lookup(|n| (n == "x-guploader-uploadid").then(|| "up-1".to_string()));
        assert_eq!(from_json_response(429, body, &h).request_id(), Some("up-1"));
        // The body's google.rpc details when the headers say nothing.
        let body = r#"{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.RequestInfo","requestId":"body-req"},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}"#;
        let e = from_json_response(429, body, &ResponseHeaders::default());
        assert_eq!(e.request_id(), Some("body-req"));
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        // Neither: nothing invented; an HTTP-date Retry-After is not taken for seconds.
        let h =
            ResponseHeaders::from_lookup(|n| (n == "retry-after").then(|| "Wed, 21 Oct 2026 07:28:00 GMT".to_string()));
        let e = from_json_response(503, "{}", &h);
        assert_eq!((e.request_id(), e.retry_after()), (None, None));
    }
}
