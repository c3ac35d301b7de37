//! Per-call deadline.

use std::future::Future;
use std::time::Duration;

use super::{CallInfo, Interceptor};
use crate::{Error, ErrorKind, Result};

/// Fails a call with [`ErrorKind::Timeout`] when one attempt takes longer than the limit.
/// Put it *inside* [`super::Retry`] to bound each attempt, outside to bound the whole call.
///
/// A call that consumes a stream (`put_stream`: `replayable` is false) is not bounded: how
/// long it may take depends on the size of its body, which no fixed deadline fits (a 10 GB
/// upload at 20 MB/s takes eight minutes). Streams are bounded where they stall instead
/// (the contract's `read_idle_timeout`), and a split upload's parts are bounded one by one.
#[derive(Debug, Clone, Copy)]
pub struct Timeout(pub Duration);

impl Interceptor for Timeout {
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, mut make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a,
    {
        async move {
            if !info.replayable {
                return make().await;
            }
            match tokio::time::timeout(self.0, make()).await {
                Ok(r) => r,
                Err(_) => Err(Error::new(ErrorKind::Timeout, format!("no answer within {:?}", self.0))
                    .with_provider(info.provider)
                    .with_operation(info.operation)
                    .with_resource(info.resource.clone())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn times_out_slow_calls_only() {
        let info = CallInfo {
            service: "storage",
            provider: "p",
            operation: "get",
            resource: "b/k".into(),
            idempotent: true,
            replayable: true,
        };
        let t = Timeout(Duration::from_millis(20));
        let e = t
            .around(&info, || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.resource(), Some("b/k"));
        assert!(t.around(&info, || async { Ok(1) }).await.is_ok());
        // A streamed call is not cut off by a fixed deadline.
        let streamed = CallInfo {
            replayable: false,
            ..info.clone()
        };
        let slow = t
            .around(&streamed, || async {
                tokio::time::sleep(Duration::from_millis(60)).await;
                Ok(2)
            })
            .await;
        assert_eq!(slow.unwrap(), 2);
    }
}
