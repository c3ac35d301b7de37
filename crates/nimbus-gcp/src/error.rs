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
        "notFound" => ErrorKind::NotFound,
        "alreadyExists" => ErrorKind::AlreadyExists,
        "conditionNotMet" => ErrorKind::PreconditionFailed,
        "conflict" | "resourceInUseByAnotherResource" | "resourceNotReady" => ErrorKind::Conflict,
        "invalid" | "invalidArgument" | "required" | "badRequest" | "invalidParameter" | "parseError" => {
            ErrorKind::InvalidInput
        }
        "rateLimitExceeded" | "userRateLimitExceeded" => ErrorKind::RateLimited,
        "quotaExceeded" => ErrorKind::QuotaExceeded,
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

/// A google-cloud-storage error as a portable one.
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
    }
}
