//! Vendor errors → portable kinds. Map the cloud's error *codes* first (they are stable and
//! say more than the status: AWS's `SlowDown` is a 503, GCP's `ZONE_RESOURCE_POOL_EXHAUSTED`
//! is capacity), then fall back to the HTTP status; keep the raw code and request id on the
//! error.

use nimbus_core::{Error, ErrorKind};

/// The portable kind of a vendor error code, else of the HTTP status.
pub fn kind_for(code: Option<&str>, status: Option<u16>) -> ErrorKind {
    match code {
        // Add the cloud's documented codes here, e.g. Some("NoSuchKey") => ErrorKind::NotFound.
        Some("NotImplemented") => ErrorKind::Unsupported,
        _ => status.map_or(ErrorKind::Internal, ErrorKind::from_http_status),
    }
}

/// The typed "not implemented yet" error: kind `Unsupported`, no capability. Every call of
/// the template answers with it until the adapter implements the call.
pub fn not_implemented(provider: &'static str, op: &'static str) -> Error {
    Error::not_implemented(format_args!("`{op}`"))
        .with_provider(provider)
        .with_operation(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_when_no_code_is_known() {
        assert_eq!(kind_for(None, Some(404)), ErrorKind::NotFound);
        let e = not_implemented("template", "put");
        assert_eq!((e.kind(), e.capability()), (ErrorKind::Unsupported, None));
    }
}
