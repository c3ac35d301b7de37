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
        | "RESOURCE_NOT_READY"
        | "RESOURCE_OPERATION_RATE_EXCEEDED" => ErrorKind::Conflict,
        "invalid"
        | "invalidArgument"
        | "required"
        | "badRequest"
        | "invalidParameter"
        | "parseError"
        | "INVALID_FIELD_VALUE"
        | "INVALID_USAGE" => ErrorKind::InvalidInput,
        "rateLimitExceeded" | "userRateLimitExceeded" => ErrorKind::RateLimited,
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
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
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
            from_json_error(status, &body)
        }
        None if e.is_timeout() => Error::new(ErrorKind::Timeout, e.to_string()),
        None if e.is_authentication() => Error::new(ErrorKind::Unauthenticated, e.to_string()),
        None if e.is_io() => Error::new(ErrorKind::Unavailable, e.to_string()),
        None => Error::new(ErrorKind::Internal, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
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
}
