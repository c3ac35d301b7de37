//! Nimbus errors as `object_store` errors.
//!
//! Why by kind and by call: `object_store`'s callers match on its variants (`NotFound`,
//! `AlreadyExists`, `Precondition`, `NotModified`, `NotSupported`), and some meanings depend on
//! the call: a create-only put or copy that finds the object answers `AlreadyExists` whether
//! the provider said 409 or 412, and an update of an object that is gone is a failed
//! precondition. The Nimbus error stays the `source`, with its provider, operation and resource
//! (secrets are never in it).

use nimbus_core::{Error, ErrorKind};

/// The store name in `object_store::Error::Generic`.
pub(crate) const STORE: &str = "Nimbus";

/// What the failed call asked for, where that changes the error's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asked {
    /// Anything else.
    Plain,
    /// Create only if absent (put `Create`, copy `Create`).
    Create,
    /// Replace only a given version.
    Update,
}

/// Maps a Nimbus error for the object at `path`.
pub(crate) fn map(e: Error, path: &str, asked: Asked) -> object_store::Error {
    let path = path.to_string();
    let kind = e.kind();
    let source = Box::new(e);
    match (kind, asked) {
        (ErrorKind::AlreadyExists | ErrorKind::PreconditionFailed, Asked::Create) => {
            object_store::Error::AlreadyExists { path, source }
        }
        (ErrorKind::NotFound, Asked::Update) => object_store::Error::Precondition { path, source },
        (ErrorKind::NotFound, _) => object_store::Error::NotFound { path, source },
        (ErrorKind::AlreadyExists, _) => object_store::Error::AlreadyExists { path, source },
        (ErrorKind::PreconditionFailed, _) => object_store::Error::Precondition { path, source },
        (ErrorKind::NotModified, _) => object_store::Error::NotModified { path, source },
        (ErrorKind::Unsupported, _) => object_store::Error::NotSupported { source },
        (ErrorKind::PermissionDenied, _) => object_store::Error::PermissionDenied { path, source },
        (ErrorKind::Unauthenticated, _) => object_store::Error::Unauthenticated { path, source },
        _ => object_store::Error::Generic { store: STORE, source },
    }
}

/// A call `object_store` has and Nimbus does not, named.
pub(crate) fn not_supported(what: impl Into<String>) -> object_store::Error {
    object_store::Error::NotSupported {
        source: what.into().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaning_follows_the_call() {
        let pre = || Error::new(ErrorKind::PreconditionFailed, "412");
        assert!(matches!(
            map(pre(), "k", Asked::Create),
            object_store::Error::AlreadyExists { .. }
        ));
        assert!(matches!(
            map(pre(), "k", Asked::Update),
            object_store::Error::Precondition { .. }
        ));
        let gone = || Error::new(ErrorKind::NotFound, "404");
        assert!(matches!(
            map(gone(), "k", Asked::Update),
            object_store::Error::Precondition { .. }
        ));
        assert!(matches!(
            map(gone(), "k", Asked::Plain),
            object_store::Error::NotFound { .. }
        ));
        let e = map(Error::new(ErrorKind::Unavailable, "503"), "k", Asked::Plain);
        assert!(matches!(e, object_store::Error::Generic { store: STORE, .. }));
        assert!(e.to_string().contains("503"), "{e}");
    }
}
