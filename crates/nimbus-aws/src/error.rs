//! S3/EC2 error codes and HTTP statuses → portable kinds, keeping the raw code and request id.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;
use nimbus_core::{Error, ErrorKind};

/// The portable kind for an AWS error code, else for the HTTP status.
pub(crate) fn kind_for(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code.unwrap_or("") {
        "NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchUpload" | "NoSuchVersion" => ErrorKind::NotFound,
        "PreconditionFailed" => ErrorKind::PreconditionFailed,
        "NotModified" => ErrorKind::NotModified,
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" | "FileAlreadyExists" => ErrorKind::AlreadyExists,
        "BucketNotEmpty" | "ConditionalRequestConflict" | "OperationAborted" => ErrorKind::Conflict,
        // A get or copy of an archived object that has not been restored.
        "InvalidObjectState" | "ObjectNotInActiveTierError" => ErrorKind::Conflict,
        "InvalidRange" | "InvalidArgument" | "InvalidBucketName" | "EntityTooSmall" | "EntityTooLarge"
        | "InvalidPart" | "InvalidPartOrder" | "MalformedXML" | "KeyTooLongError" | "InvalidRequest" => {
            ErrorKind::InvalidInput
        }
        "AccessDenied" | "AllAccessDisabled" => ErrorKind::PermissionDenied,
        // A request time outside the window is a rejected signature, as a wrong key is.
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "MissingSecurityHeader"
        | "RequestTimeTooSkewed"
        | "RequestExpired" => ErrorKind::Unauthenticated,
        "SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequests" => {
            ErrorKind::RateLimited
        }
        "InternalError" | "ServiceUnavailable" => ErrorKind::Unavailable,
        "RequestTimeout" => ErrorKind::Timeout,
        "NotImplemented" => ErrorKind::Unsupported,
        // EC2 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
        c if c.ends_with(".NotFound") || c.ends_with(".NotFoundException") => ErrorKind::NotFound,
        c if c.ends_with(".Duplicate") => ErrorKind::AlreadyExists,
        c if c.ends_with(".Malformed") => ErrorKind::InvalidInput,
        "DependencyViolation"
        | "IncorrectInstanceState"
        | "IncorrectState"
        | "InvalidSubnet.Conflict"
        | "InvalidVpc.Range.Conflict"
        | "ResourceInUse"
        | "InvalidGroup.InUse" => ErrorKind::Conflict,
        "InvalidParameterValue"
        | "InvalidParameter"
        | "InvalidParameterCombination"
        | "MissingParameter"
        | "InvalidVpcRange"
        | "InvalidSubnet.Range"
        | "InvalidAMIID.Unavailable"
        | "Unsupported"
        | "InvalidInstanceType"
        | "InvalidAvailabilityZone"
        | "ValidationError" => ErrorKind::InvalidInput,
        "InsufficientInstanceCapacity"
        | "InsufficientHostCapacity"
        | "InsufficientReservedInstanceCapacity"
        | "InsufficientCapacity" => ErrorKind::CapacityUnavailable,
        "InstanceLimitExceeded"
        | "VcpuLimitExceeded"
        | "VpcLimitExceeded"
        | "SubnetLimitExceeded"
        | "SecurityGroupLimitExceeded"
        | "RulesPerSecurityGroupLimitExceeded"
        | "MaxIOPSLimitExceeded"
        | "ResourceLimitExceeded" => ErrorKind::QuotaExceeded,
        "UnauthorizedOperation" | "OptInRequired" | "Blocked" => ErrorKind::PermissionDenied,
        "AuthFailure" | "IncompleteSignature" | "InvalidClientTokenId" => ErrorKind::Unauthenticated,
        "Unavailable" | "ServiceUnavailableException" | "InternalFailure" => ErrorKind::Unavailable,
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

/// Maps any AWS SDK error (S3 and EC2 share the smithy runtime's error type).
pub(crate) fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
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
    // `Retry-After` in delta-seconds (S3 sends it with 503 SlowDown; proxies with 429/503).
    let headers = match &err {
        SdkError::ServiceError(s) => Some(s.raw().headers()),
        SdkError::ResponseError(r) => Some(r.raw().headers()),
        _ => None,
    };
    if let Some(secs) = headers
        .and_then(|h| h.get("retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        e = e.with_retry_after(std::time::Duration::from_secs(secs.min(300)));
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

    #[test]
    fn ec2_codes_map_to_portable_kinds() {
        let k = |c: &str| kind_for(Some(c), Some(400));
        assert_eq!(k("InvalidInstanceID.NotFound"), ErrorKind::NotFound);
        assert_eq!(k("InvalidVpcID.NotFound"), ErrorKind::NotFound);
        assert_eq!(k("InvalidInstanceID.Malformed"), ErrorKind::InvalidInput);
        assert_eq!(k("DependencyViolation"), ErrorKind::Conflict);
        assert_eq!(k("IncorrectInstanceState"), ErrorKind::Conflict);
        assert_eq!(k("InvalidSubnet.Conflict"), ErrorKind::Conflict);
        assert_eq!(k("InvalidParameterValue"), ErrorKind::InvalidInput);
        assert_eq!(k("InsufficientInstanceCapacity"), ErrorKind::CapacityUnavailable);
        assert_eq!(k("InstanceLimitExceeded"), ErrorKind::QuotaExceeded);
        assert_eq!(k("VcpuLimitExceeded"), ErrorKind::QuotaExceeded);
        assert_eq!(k("RequestLimitExceeded"), ErrorKind::RateLimited);
        assert!(k("RequestLimitExceeded").is_retryable());
        assert_eq!(k("InvalidPermission.Duplicate"), ErrorKind::AlreadyExists);
        assert_eq!(k("UnauthorizedOperation"), ErrorKind::PermissionDenied);
        assert_eq!(k("AuthFailure"), ErrorKind::Unauthenticated);
    }
}
