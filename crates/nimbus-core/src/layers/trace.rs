//! A tracing span per call.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use super::{CallInfo, Interceptor};
use crate::Result;

/// Opens a `nimbus` span per call with service, provider, operation and resource, and logs
/// the outcome and duration. Only names travel in spans: bodies, options and credentials
/// never do (secrets live in [`crate::config::Secret`], whose `Debug` is `***`).
///
/// The span also carries OpenTelemetry's conventions, so a `tracing-opentelemetry` exporter
/// names and classifies it without configuration: `otel.name` (`storage.put`), `otel.kind`
/// (`client`), the RPC attributes `rpc.system` (the provider), `rpc.service`, `rpc.method`,
/// and on failure `otel.status_code = ERROR` with `error.type` (the portable error kind).
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
            "otel.name" = %format_args!("{}.{}", info.service, info.operation),
            "otel.kind" = "client",
            "rpc.system" = info.provider,
            "rpc.service" = info.service,
            "rpc.method" = info.operation,
            "otel.status_code" = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
        );
        async move {
            let start = Instant::now();
            let r = make().await;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            match &r {
                Ok(_) => tracing::debug!(elapsed_ms = ms, "ok"),
                Err(e) => {
                    let span = tracing::Span::current();
                    span.record("otel.status_code", "ERROR");
                    span.record("error.type", e.kind().as_str());
                    tracing::warn!(elapsed_ms = ms, kind = %e.kind(), error = %e, "failed")
                }
            }
            r
        }
        .instrument(span)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::{Error, ErrorKind};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn spans_carry_opentelemetry_names_and_the_error_type() {
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || out.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let info = CallInfo {
            service: "storage",
            provider: "local-memory",
            operation: "head",
            resource: "bkt/missing".into(),
            idempotent: true,
            replayable: true,
        };
        let r: Result<()> = Trace
            .around(&info, || async { Err(Error::new(ErrorKind::NotFound, "no such key")) })
            .await;
        assert!(r.is_err());
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        for want in [
            "otel.name=storage.head",
            "otel.kind=\"client\"",
            "rpc.system=\"local-memory\"",
            "rpc.method=\"head\"",
            "otel.status_code=\"ERROR\"",
            "error.type=\"not_found\"",
        ] {
            assert!(text.contains(want), "{want} missing in: {text}");
        }
    }
}
