//! libvirt errors → portable kinds, by `virErrorNumber` (stable across libvirt releases),
//! keeping the number as the raw code (`VIR_ERR_<n>`) and libvirt's message.

use nimbus_core::{Error, ErrorKind};

use crate::conn::LvError;
use crate::sys::code;

/// The portable kind of a libvirt error number.
pub fn kind_for(c: i32) -> ErrorKind {
    match c {
        code::NO_DOMAIN
        | code::NO_NETWORK
        | code::NO_STORAGE_POOL
        | code::NO_STORAGE_VOL
        | code::NO_NWFILTER
        | code::DEVICE_MISSING => ErrorKind::NotFound,
        code::DOM_EXIST | code::NETWORK_EXIST | code::STORAGE_VOL_EXIST => ErrorKind::AlreadyExists,
        code::NO_SUPPORT | code::CONFIG_UNSUPPORTED | code::ARGUMENT_UNSUPPORTED | code::OPERATION_UNSUPPORTED => {
            ErrorKind::Unsupported
        }
        code::INVALID_ARG | code::XML_ERROR | code::XML_DETAIL | code::XML_INVALID_SCHEMA => ErrorKind::InvalidInput,
        code::OPERATION_INVALID | code::RESOURCE_BUSY => ErrorKind::Conflict,
        code::AUTH_FAILED | code::AUTH_CANCELLED | code::AUTH_UNAVAILABLE => ErrorKind::Unauthenticated,
        code::OPERATION_DENIED | code::ACCESS_DENIED => ErrorKind::PermissionDenied,
        code::OPERATION_TIMEOUT => ErrorKind::Timeout,
        code::NO_CONNECT | code::UNKNOWN_HOST | code::RPC | code::SSH | code::LIBSSH => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

/// A libvirt error as a portable error of `provider` in `op`.
pub fn map(e: LvError, provider: &'static str, op: &'static str) -> Error {
    Error::new(kind_for(e.code), e.message)
        .with_raw_code(format!("VIR_ERR_{}", e.code))
        .with_provider(provider)
        .with_operation(op)
}

/// Whether the error is libvirt's "not supported by the connection driver".
pub fn is_no_support(e: &LvError) -> bool {
    kind_for(e.code) == ErrorKind::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_for(code::NO_DOMAIN), ErrorKind::NotFound);
        assert_eq!(kind_for(code::OPERATION_INVALID), ErrorKind::Conflict);
        assert_eq!(kind_for(code::NO_SUPPORT), ErrorKind::Unsupported);
        assert_eq!(kind_for(code::AUTH_FAILED), ErrorKind::Unauthenticated);
        assert_eq!(kind_for(38), ErrorKind::Internal);
        let e = map(
            LvError::new(code::NO_CONNECT, "no daemon"),
            "libvirt-compute",
            "list_instances",
        );
        assert_eq!((e.kind(), e.raw_code()), (ErrorKind::Unavailable, Some("VIR_ERR_5")));
    }
}
