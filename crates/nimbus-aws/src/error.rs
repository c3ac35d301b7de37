//! S3/EC2 error codes and HTTP statuses → portable kinds, keeping the raw code and request id.

use nimbus_core::{Error, ErrorKind};

/// The portable kind for an AWS error code, else for the HTTP status.
pub(crate) fn kind_for(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code.unwrap_or("") {
        "NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchUpload" | "NoSuchVersion" => ErrorKind::NotFound,
        "PreconditionFailed" => ErrorKind::PreconditionFailed,
        "NotModified" => ErrorKind::NotModified,
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => ErrorKind::AlreadyExists,
        "BucketNotEmpty" | "ConditionalRequestConflict" | "OperationAborted" => ErrorKind::Conflict,
        "InvalidRange" | "InvalidArgument" | "InvalidBucketName" | "EntityTooSmall" | "EntityTooLarge"
        | "InvalidPart" | "InvalidPartOrder" | "MalformedXML" | "KeyTooLongError" | "InvalidRequest" => {
            ErrorKind::InvalidInput
        }
        "AccessDenied" | "AllAccessDisabled" => ErrorKind::PermissionDenied,
        "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken" | "MissingSecurityHeader" => {
            ErrorKind::Unauthenticated
        }
        "SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequests" => {
            ErrorKind::RateLimited
        }
        "InternalError" | "ServiceUnavailable" => ErrorKind::Unavailable,
        "RequestTimeout" => ErrorKind::Timeout,
        "NotImplemented" => ErrorKind::Unsupported,
        _ => match status {
            Some(404) => ErrorKind::NotFound,
            Some(304) => ErrorKind::NotModified,
            Some(409) => ErrorKind::Conflict,
            Some(412) => ErrorKind::PreconditionFailed,
            Some(416) | Some(400) => ErrorKind::InvalidInput,
            Some(401) => ErrorKind::Unauthenticated,
            Some(403) => ErrorKind::PermissionDenied,
            Some(429) | Some(503) => ErrorKind::RateLimited,
            Some(500) | Some(502) | Some(504) => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        },
    }
}

/// Maps any AWS SDK error.
#[cfg(feature = "storage")]
pub(crate) fn from_sdk<E>(err: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_s3::operation::RequestId;
    let status = match &err {
        SdkError::ServiceError(s) => Some(s.raw().status().as_u16()),
        SdkError::ResponseError(r) => Some(r.raw().status().as_u16()),
        _ => None,
    };
    let (kind, message) = match &err {
        SdkError::TimeoutError(_) => (ErrorKind::Timeout, "request timed out".to_string()),
        SdkError::DispatchFailure(d) => (
            if d.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unavailable
            },
            "could not reach the endpoint".to_string(),
        ),
        SdkError::ConstructionFailure(_) => (ErrorKind::InvalidInput, "request could not be built".to_string()),
        _ => (
            kind_for(err.code(), status),
            err.message().map(str::to_string).unwrap_or_else(|| match status {
                Some(s) => format!("HTTP {s}"),
                None => "request failed".into(),
            }),
        ),
    };
    let mut e = Error::new(kind, message);
    if let Some(c) = err.code() {
        e = e.with_raw_code(c);
    } else if let Some(s) = status {
        e = e.with_raw_code(format!("HTTP{s}"));
    }
    if let Some(id) = err.request_id() {
        e = e.with_request_id(id);
    }
    e.with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_portable_kinds() {
        assert_eq!(kind_for(Some("NoSuchKey"), Some(404)), ErrorKind::NotFound);
        assert_eq!(kind_for(Some("SlowDown"), Some(503)), ErrorKind::RateLimited);
        assert_eq!(kind_for(None, Some(503)), ErrorKind::RateLimited);
        assert_eq!(kind_for(None, Some(412)), ErrorKind::PreconditionFailed);
        assert_eq!(kind_for(Some("BucketNotEmpty"), Some(409)), ErrorKind::Conflict);
        assert_eq!(
            kind_for(Some("SignatureDoesNotMatch"), Some(403)),
            ErrorKind::Unauthenticated
        );
        assert_eq!(kind_for(None, Some(404)), ErrorKind::NotFound);
        assert!(kind_for(Some("InternalError"), Some(500)).is_retryable());
    }
}
