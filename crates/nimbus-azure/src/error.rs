//! Azure Storage and ARM error codes and HTTP statuses → portable kinds, keeping the raw code
//! and request id. Codes from
//! <https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes> and
//! <https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors>.

use nimbus_core::ErrorKind;

/// The portable kind for an Azure error code, else for the HTTP status.
pub fn kind_for(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    // A matching If-None-Match on a read is 304, which Azure labels `ConditionNotMet` too.
    if status == Some(304) {
        return ErrorKind::NotModified;
    }
    match code.unwrap_or("") {
        // Storage.
        "BlobNotFound" | "ContainerNotFound" | "ResourceNotFound" | "CannotVerifyCopySource" => match status {
            Some(404) | None => ErrorKind::NotFound,
            _ => by_status(status),
        },
        "BlobAlreadyExists" | "ContainerAlreadyExists" => ErrorKind::AlreadyExists,
        "ConditionNotMet" | "TargetConditionNotMet" | "SourceConditionNotMet" => ErrorKind::PreconditionFailed,
        "ContainerBeingDeleted" | "BlobBeingRehydrated" | "LeaseIdMissing" | "LeaseAlreadyPresent" => {
            ErrorKind::Conflict
        }
        "InvalidRange"
        | "InvalidBlockList"
        | "InvalidBlockId"
        | "InvalidBlobOrBlock"
        | "InvalidResourceName"
        | "InvalidMetadata"
        | "InvalidHeaderValue"
        | "InvalidQueryParameterValue"
        | "InvalidUri"
        | "MissingRequiredHeader"
        | "OutOfRangeInput"
        | "RequestBodyTooLarge"
        | "InvalidInput" => ErrorKind::InvalidInput,
        "AuthenticationFailed"
        | "InvalidAuthenticationInfo"
        | "InvalidAuthenticationToken"
        | "ExpiredAuthenticationToken"
        | "AuthenticationFailedInvalidHeader" => ErrorKind::Unauthenticated,
        "AuthorizationFailure"
        | "AuthorizationPermissionMismatch"
        | "AuthorizationResourceTypeMismatch"
        | "AuthorizationFailed"
        | "LinkedAuthorizationFailed"
        | "InsufficientAccountPermissions" => ErrorKind::PermissionDenied,
        "ServerBusy" | "TooManyRequests" | "SubscriptionRequestsThrottled" | "RetryableError" => ErrorKind::RateLimited,
        "InternalError" | "InternalServerError" | "ServiceUnavailable" => ErrorKind::Unavailable,
        "OperationTimedOut" => ErrorKind::Timeout,
        // ARM (compute and network).
        "NotFound" | "ResourceGroupNotFound" | "ParentResourceNotFound" | "SubscriptionNotFound" => ErrorKind::NotFound,
        "QuotaExceeded" | "OperationNotAllowed" | "PublicIPCountLimitReached" | "ResourceQuotaExceeded" => {
            ErrorKind::QuotaExceeded
        }
        "SkuNotAvailable"
        | "AllocationFailed"
        | "ZonalAllocationFailed"
        | "OverconstrainedAllocationRequest"
        | "OverconstrainedZonalAllocationRequest" => ErrorKind::CapacityUnavailable,
        "Conflict"
        | "InUseSubnetCannotBeDeleted"
        | "InUseNetworkSecurityGroupCannotBeDeleted"
        | "NicInUse"
        | "OperationNotAllowedOnVMImageAsVMsBeingDeleted"
        | "AnotherOperationInProgress"
        | "ResourceInUse"
        | "SecurityRuleConflict"
        | "PropertyChangeNotAllowed"
        | "InvalidResourceReference" => ErrorKind::Conflict,
        "InvalidParameter"
        | "BadRequest"
        | "InvalidRequestContent"
        | "InvalidRequestFormat"
        | "NetcfgInvalidSubnet"
        | "NetcfgSubnetRangeOutsideVnet"
        | "NetcfgSubnetRangesOverlap"
        | "InvalidTemplate"
        | "InvalidApiVersionParameter"
        | "LocationNotAvailableForResourceType"
        | "ImageNotFound"
        | "PlatformImageNotFound"
        | "SecurityRuleInvalidPortRange"
        | "SecurityRuleParameterContainsUnsupportedValue" => ErrorKind::InvalidInput,
        _ => by_status(status),
    }
}

fn by_status(status: Option<u16>) -> ErrorKind {
    status.map_or(ErrorKind::Internal, ErrorKind::from_http_status)
}

/// An azure_core error as a portable one: status and `x-ms-error-code` decide the kind;
/// the request id is kept; the message is the SDK's with SAS signatures scrubbed.
#[cfg(feature = "identity")]
pub fn from_azure(e: azure_core::Error) -> nimbus_core::Error {
    use azure_core::error::ErrorKind as AzKind;
    use azure_core::http::headers::HeaderName;
    let (status, code, request_id, retry_after) = match e.kind() {
        AzKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let h = raw_response.as_ref().map(|r| r.headers());
            let rid = h.and_then(|h| h.get_optional_string(&HeaderName::from_static("x-ms-request-id")));
            let ra = h
                .and_then(|h| h.get_optional_str(&HeaderName::from_static("retry-after")))
                .and_then(|s| s.trim().parse::<u64>().ok());
            (Some(u16::from(*status)), error_code.clone(), rid, ra)
        }
        _ => (None, None, None, None),
    };
    let kind = match (status, e.kind()) {
        (Some(_), _) => kind_for(code.as_deref(), status),
        (None, AzKind::Connection) | (None, AzKind::Io) => ErrorKind::Unavailable,
        (None, AzKind::Credential) => ErrorKind::Unauthenticated,
        _ => ErrorKind::Internal,
    };
    let message = match (status, &code) {
        (Some(s), Some(c)) => format!("HTTP {s} {c}"),
        (Some(s), None) => format!("HTTP {s}"),
        _ => crate::identity::redact(&e.to_string()),
    };
    let mut out = nimbus_core::Error::new(kind, message);
    if let Some(c) = code {
        out = out.with_raw_code(c);
    }
    if let Some(r) = request_id {
        out = out.with_request_id(r);
    }
    if let Some(s) = retry_after {
        out = out.with_retry_after(std::time::Duration::from_secs(s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_statuses() {
        assert_eq!(kind_for(Some("BlobAlreadyExists"), Some(409)), ErrorKind::AlreadyExists);
        assert_eq!(
            kind_for(Some("ConditionNotMet"), Some(412)),
            ErrorKind::PreconditionFailed
        );
        assert_eq!(kind_for(Some("ConditionNotMet"), Some(304)), ErrorKind::NotModified);
        assert_eq!(
            kind_for(Some("SkuNotAvailable"), Some(409)),
            ErrorKind::CapacityUnavailable
        );
        assert_eq!(kind_for(Some("QuotaExceeded"), Some(409)), ErrorKind::QuotaExceeded);
        assert_eq!(
            kind_for(Some("InUseSubnetCannotBeDeleted"), Some(400)),
            ErrorKind::Conflict
        );
        assert_eq!(kind_for(None, Some(429)), ErrorKind::RateLimited);
        assert_eq!(kind_for(Some("SomethingNew"), Some(404)), ErrorKind::NotFound);
    }
}
