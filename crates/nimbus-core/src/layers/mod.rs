//! Layers that wrap any storage, compute or network implementation (OpenDAL's layers).
//!
//! Why one [`Interceptor`] trait and one [`Layered`] wrapper instead of a wrapper per layer
//! per service: each service trait has a dozen methods, so four layers × three services would
//! be ~150 hand-written forwarding methods. Here the forwarding is written once per service
//! (in `forward_*.rs`), and a layer is a single `around` function that sees a [`CallInfo`]
//! (service, provider, operation, resource, whether the call is idempotent and replayable) and
//! a closure that makes the call again. Retry can only repeat a call through that closure, so
//! a call whose body cannot be replayed (a consumed stream) is never repeated.

// Layer impls spell out `-> impl Future + Send` because the trait requires `Send`.
#![allow(clippy::manual_async_fn)]

/// Runs one forwarded call through the layer: builds the [`CallInfo`] and hands the layer a
/// closure that makes the inner call again on each invocation.
macro_rules! call {
    ($svc:literal, $self:ident, $op:literal, $res:expr, $idem:expr, |$inner:ident| $body:expr) => {{
        let info = CallInfo {
            service: $svc,
            provider: $self.inner.provider(),
            operation: $op,
            resource: $res,
            idempotent: $idem,
            replayable: true,
        };
        let $inner = &*$self.inner;
        $self.layer.around(&info, move || $body).await
    }};
}

mod fault;
mod forward_compute;
mod forward_network;
mod forward_storage;
#[cfg(feature = "metrics")]
mod metrics;
mod retry;
mod standard;
mod timeout;
mod trace;

use std::future::Future;
use std::sync::Arc;

use crate::Result;

pub use fault::{FaultConfig, FaultInjection};
#[cfg(feature = "metrics")]
pub use metrics::Metrics;
pub use retry::Retry;
pub use standard::ServiceDefaults;
pub use timeout::Timeout;
pub use trace::Trace;

/// What a layer knows about one call.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// `storage`, `compute` or `network`.
    pub service: &'static str,
    /// Provider name.
    pub provider: &'static str,
    /// Operation (`put`, `create_instance`, …).
    pub operation: &'static str,
    /// Resource (bucket/key, instance id, …). Never a secret.
    pub resource: String,
    /// Making the call twice has the same effect as once.
    pub idempotent: bool,
    /// The closure can make the call again (false for consumed streams).
    pub replayable: bool,
}

/// A layer: runs a call, possibly several times, possibly not at all.
pub trait Interceptor: Send + Sync + std::fmt::Debug + 'static {
    /// Runs `call`. `make` performs the underlying call each time it is invoked.
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a;
}

/// A service wrapped in a layer. Implements [`crate::Storage`], [`crate::Compute`] and
/// [`crate::NetworkService`] whenever the inner value does.
#[derive(Debug)]
pub struct Layered<T: ?Sized, I> {
    inner: Arc<T>,
    layer: I,
}

impl<T: ?Sized, I> Layered<T, I> {
    /// Wraps `inner` in `layer`.
    pub fn new(inner: Arc<T>, layer: I) -> Self {
        Layered { inner, layer }
    }
    /// The wrapped service.
    pub fn inner(&self) -> &Arc<T> {
        &self.inner
    }
}
