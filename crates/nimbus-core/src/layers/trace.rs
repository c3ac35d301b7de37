//! A tracing span per call.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use super::{CallInfo, Interceptor};
use crate::Result;

/// Opens a `nimbus` span per call with service, provider, operation and resource, and logs
/// the outcome and duration. Only names travel in spans: bodies, options and credentials
/// never do (secrets live in [`crate::config::Secret`], whose `Debug` is `***`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Trace;

impl Interceptor for Trace {
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, mut make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a,
    {
        let span = tracing::info_span!(
            "nimbus",
            service = info.service,
            provider = info.provider,
            operation = info.operation,
            resource = %info.resource,
        );
        async move {
            let start = Instant::now();
            let r = make().await;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            match &r {
                Ok(_) => tracing::debug!(elapsed_ms = ms, "ok"),
                Err(e) => tracing::warn!(elapsed_ms = ms, kind = %e.kind(), error = %e, "failed"),
            }
            r
        }
        .instrument(span)
    }
}
