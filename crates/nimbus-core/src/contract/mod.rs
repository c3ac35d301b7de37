//! The portable contract, checked once above every adapter (Go CDK's `blob.Bucket` over its
//! driver; OpenDAL's correctness-check and error-context layers).
//!
//! Why here and not in each adapter: the rules a portable call must obey (valid bucket names,
//! keys and prefixes, declared capabilities, well-formed ranges, expiries and CIDRs) and the
//! context an error must carry (provider, operation, resource) are the same for every cloud.
//! Written in each adapter they drift: one adapter forgets a gate and silently approximates,
//! another reports a bare error with no resource. [`Contract`] wraps any [`crate::Storage`],
//! [`crate::Compute`] or [`crate::NetworkService`] and, for every call:
//!
//! 1. validates the input with the portable rules (`storage::validate`, `network::validate`);
//! 2. gates the call on the declared capabilities: an undeclared capability fails with the
//!    typed [`crate::Error::unsupported`] *before any request is made*;
//! 3. fills the error context (provider, operation, resource) once, on the way out.
//!
//! It also decides, once, how a streamed upload is sent (part by part through the layers
//! below it, when the adapter has no native streamed put), bounds a stalled body read, and
//! checks every body read against the range it announced, resuming one that breaks off.
//!
//! An adapter behind a `Contract` keeps only its round trips and its error-kind mapping.
//! Services opened through the facade, the CLI and every conformance target pass through it.

mod compute;
mod idle;
mod network;
mod resume;
mod storage;
#[cfg(all(test, feature = "mock"))]
mod tests;
mod traffic;

use std::sync::Arc;
use std::time::Duration;

use crate::{Error, Result};

/// A service held to the portable contract; see the module docs.
#[derive(Debug)]
pub struct Contract<T: ?Sized> {
    inner: Arc<T>,
    read_idle_timeout: Option<Duration>,
    read_resumes: u32,
}

impl<T: ?Sized> Contract<T> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<T>) -> Self {
        Contract {
            inner,
            read_idle_timeout: None,
            read_resumes: 0,
        }
    }

    /// Continues a body read interrupted by a retryable error, or cut short, from the byte
    /// it reached, pinned to the version first read, at most `n` times per read (the
    /// standard stack gives it the retry budget). Without it, an interrupted read is still
    /// an error, never a short body. See `contract/resume.rs`.
    pub fn read_resumes(mut self, n: u32) -> Self {
        self.read_resumes = n;
        self
    }

    /// Fails a body read with `ErrorKind::Timeout` when no chunk arrives for `d` (a stalled
    /// connection after `get` returned; layers only see the call until its headers).
    pub fn read_idle_timeout(mut self, d: Duration) -> Self {
        self.read_idle_timeout = Some(d);
        self
    }

    /// The wrapped service.
    pub fn inner(&self) -> &Arc<T> {
        &self.inner
    }
}

/// Fills the context of an error with the call's provider, operation and resource.
fn ctx<R>(provider: &'static str, op: &'static str, resource: impl FnOnce() -> String, r: Result<R>) -> Result<R> {
    r.map_err(|e: Error| e.context(provider, op, resource))
}

/// `InvalidInput` unless `id` is a plausible identifier (not empty, no control characters):
/// the smallest rule that holds for ids on every cloud.
fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(format!("{what} id must not be empty")));
    }
    if id.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{what} id `{}` contains a control character",
            id.escape_debug()
        )));
    }
    Ok(())
}
