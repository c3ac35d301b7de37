//! One error type for every provider and service.
//!
//! Why one type: product code written once must be able to branch on *what went wrong*
//! (`kind()`), not on which cloud said it. The provider's own words are kept, not thrown away:
//! the raw error code, the request id and the source error travel with the portable kind so
//! that an on-call engineer can still search the vendor's documentation for them.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::capability::Capability;

/// A boxed error source.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with the Nimbus [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, independent of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bucket, object, instance, network, … does not exist.
    NotFound,
    /// The resource to create exists already.
    AlreadyExists,
    /// A condition (if-match, create-only, update-if-version) did not hold.
    PreconditionFailed,
    /// A conditional read found the object unchanged (`If-None-Match` matched).
    NotModified,
    /// The provider cannot do this; [`Error::capability`] names what is missing.
    Unsupported,
    /// The caller passed a value that is not valid (bad name, key, CIDR, range, config …).
    InvalidInput,
    /// No or invalid credentials.
    Unauthenticated,
    /// Credentials are valid but not allowed to do this.
    PermissionDenied,
    /// The provider throttled the request. Retryable.
    RateLimited,
    /// An account quota or limit would be exceeded (instances, vCPUs, …).
    QuotaExceeded,
    /// The provider has no capacity for this request right now (zone exhausted).
    CapacityUnavailable,
    /// The request conflicts with the resource's current state (wrong instance state,
    /// network still has subnets, firewall still attached, …).
    Conflict,
    /// The call did not finish in time.
    Timeout,
    /// The service is unavailable or the failure is transient. Retryable.
    Unavailable,
    /// Anything else: a bug, an unexpected answer.
    Internal,
}

impl ErrorKind {
    /// A stable snake_case name, used in reports and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::PreconditionFailed => "precondition_failed",
            ErrorKind::NotModified => "not_modified",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::CapacityUnavailable => "capacity_unavailable",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind an HTTP status means when the service gave no more specific code: 404
    /// not found, 409 conflict, 412 precondition failed, 400/416 invalid input, 401, 403,
    /// 429 rate limited, 500/502/503 unavailable, 504 timeout, 304 not modified; anything
    /// else is internal. (S3 answers throttling with 503, so the AWS adapter maps it itself.)
    pub fn from_http_status(status: u16) -> ErrorKind {
        match status {
            304 => ErrorKind::NotModified,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            412 => ErrorKind::PreconditionFailed,
            400 | 416 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            429 => ErrorKind::RateLimited,
            500 | 502 | 503 => ErrorKind::Unavailable,
            504 => ErrorKind::Timeout,
            _ => ErrorKind::Internal,
        }
    }

    /// Whether an error of this kind may succeed if the same call is made again later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Unavailable | ErrorKind::Timeout
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Nimbus error: a portable kind plus everything the provider told us.
///
/// Build one with [`Error::new`] and the `with_*` methods. Messages must never contain
/// secrets; adapters pass credentials only through [`crate::config::Secret`].
///
/// The fields live behind one box so that `Result<T, Error>` stays one pointer wide on the
/// happy path (as object_store and reqwest do).
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    provider: Cow<'static, str>,
    operation: Cow<'static, str>,
    resource: Option<String>,
    message: String,
    capability: Option<Capability>,
    raw_code: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            provider: Cow::Borrowed(""),
            operation: Cow::Borrowed(""),
            resource: None,
            message: message.into(),
            capability: None,
            raw_code: None,
            request_id: None,
            retry_after: None,
            source: None,
        }))
    }

    /// The typed "this provider cannot do that" error, naming the capability.
    pub fn unsupported(capability: Capability) -> Self {
        let mut e = Error::new(
            ErrorKind::Unsupported,
            format!("capability `{}` is not supported", capability.name()),
        );
        e.0.capability = Some(capability);
        e
    }

    /// The typed "not implemented yet" error of an adapter under construction: kind
    /// `Unsupported`, no capability, raw code `NotImplemented`. The conformance suite reports
    /// a service whose cheapest read answers this (and that declares no capability) as not
    /// implemented; any other unsupported error without a capability fails its case.
    pub fn not_implemented(what: impl std::fmt::Display) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            format!("{what} is not implemented by this adapter yet"),
        )
        .with_raw_code("NotImplemented")
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for an [`ErrorKind::NotFound`] error on `resource`.
    pub fn not_found(resource: impl Into<String>) -> Self {
        let resource = resource.into();
        Error::new(ErrorKind::NotFound, format!("`{resource}` does not exist")).with_resource(resource)
    }

    /// Shorthand for an [`ErrorKind::Internal`] error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// Sets the provider (e.g. `local-fs`, `aws-s3`).
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        self.0.provider = provider.into();
        self
    }
    /// Sets the operation (e.g. `put`, `create_instance`).
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.0.operation = operation.into();
        self
    }
    /// Sets the resource (bucket/key, instance id, …).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.0.resource = Some(resource.into());
        self
    }
    /// Sets the provider's raw error code (e.g. `NoSuchKey`, `DependencyViolation`).
    pub fn with_raw_code(mut self, code: impl Into<String>) -> Self {
        self.0.raw_code = Some(code.into());
        self
    }
    /// Sets the provider's request id.
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.0.request_id = Some(id.into());
        self
    }
    /// Sets the retry-after hint the provider gave.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.0.retry_after = Some(after);
        self
    }
    /// Sets the source error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }
    /// Fills provider, operation and resource only where they are still empty.
    ///
    /// Adapters call this at their boundary so that errors raised deep inside helper
    /// functions still say where they came from.
    pub fn context(
        mut self,
        provider: &'static str,
        operation: &'static str,
        resource: impl FnOnce() -> String,
    ) -> Self {
        if self.0.provider.is_empty() {
            self.0.provider = Cow::Borrowed(provider);
        }
        if self.0.operation.is_empty() {
            self.0.operation = Cow::Borrowed(operation);
        }
        if self.0.resource.is_none() {
            let r = resource();
            if !r.is_empty() {
                self.0.resource = Some(r);
            }
        }
        self
    }

    /// The portable kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// The provider that raised the error (empty when raised by portable code).
    pub fn provider(&self) -> &str {
        &self.0.provider
    }
    /// The operation that failed.
    pub fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The resource the operation was about.
    pub fn resource(&self) -> Option<&str> {
        self.0.resource.as_deref()
    }
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The capability that is missing, for [`ErrorKind::Unsupported`].
    pub fn capability(&self) -> Option<Capability> {
        self.0.capability
    }
    /// The provider's raw error code.
    pub fn raw_code(&self) -> Option<&str> {
        self.0.raw_code.as_deref()
    }
    /// The provider's request id.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// The provider's retry-after hint.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// Whether the same call may succeed if made again (rate limited, unavailable, timeout).
    pub fn is_retryable(&self) -> bool {
        self.0.kind.is_retryable()
    }
    /// Whether this is the typed unsupported error for `capability`.
    pub fn is_unsupported(&self, capability: Capability) -> bool {
        self.0.kind == ErrorKind::Unsupported && self.0.capability == Some(capability)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prefix = Vec::new();
        if !self.0.provider.is_empty() {
            prefix.push(self.0.provider.as_ref());
        }
        if !self.0.operation.is_empty() {
            prefix.push(self.0.operation.as_ref());
        }
        if !prefix.is_empty() {
            write!(f, "{}", prefix.join(" "))?;
            if let Some(r) = &self.0.resource {
                write!(f, " `{r}`")?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{}: {}", self.0.kind, self.0.message)?;
        let mut extra = Vec::new();
        if let Some(c) = &self.0.raw_code {
            extra.push(format!("code={c}"));
        }
        if let Some(r) = &self.0.request_id {
            extra.push(format!("request_id={r}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind);
        if !self.0.provider.is_empty() {
            d.field("provider", &self.0.provider);
        }
        if !self.0.operation.is_empty() {
            d.field("operation", &self.0.operation);
        }
        if let Some(r) = &self.0.resource {
            d.field("resource", r);
        }
        d.field("message", &self.0.message);
        if let Some(c) = &self.0.capability {
            d.field("capability", &c.name());
        }
        if let Some(c) = &self.0.raw_code {
            d.field("raw_code", c);
        }
        if let Some(r) = &self.0.request_id {
            d.field("request_id", r);
        }
        if let Some(r) = &self.0.retry_after {
            d.field("retry_after", r);
        }
        if let Some(s) = &self.0.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::InvalidInput | Io::InvalidData => ErrorKind::InvalidInput,
            Io::TimedOut => ErrorKind::Timeout,
            Io::Interrupted | Io::WouldBlock => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        Error::new(kind, e.to_string()).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_provider_operation_resource_and_raw_code() {
        let e = Error::new(ErrorKind::NotFound, "no such key")
            .with_provider("aws-s3")
            .with_operation("get")
            .with_resource("b/k")
            .with_raw_code("NoSuchKey")
            .with_request_id("R1");
        assert_eq!(
            e.to_string(),
            "aws-s3 get `b/k`: not_found: no such key (code=NoSuchKey, request_id=R1)"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryable_kinds() {
        for k in [ErrorKind::RateLimited, ErrorKind::Unavailable, ErrorKind::Timeout] {
            assert!(Error::new(k, "x").is_retryable(), "{k}");
        }
        for k in [ErrorKind::Conflict, ErrorKind::QuotaExceeded, ErrorKind::Internal] {
            assert!(!Error::new(k, "x").is_retryable(), "{k}");
        }
    }

    #[test]
    fn unsupported_names_capability() {
        let e = Error::unsupported(Capability::CopyIfNotExists);
        assert!(e.is_unsupported(Capability::CopyIfNotExists));
        assert!(e.to_string().contains("storage.copy_if_not_exists"));
    }

    #[test]
    fn context_does_not_overwrite() {
        let e = Error::invalid("bad")
            .with_provider("p1")
            .context("p2", "op", || "r".into());
        assert_eq!(e.provider(), "p1");
        assert_eq!(e.operation(), "op");
        assert_eq!(e.resource(), Some("r"));
    }
}
