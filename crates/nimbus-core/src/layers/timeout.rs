//! Per-call deadline.

use std::future::Future;
use std::time::Duration;

use super::{CallInfo, Interceptor};
use crate::{Error, ErrorKind, Result};

/// Fails a call with [`ErrorKind::Timeout`] when one attempt takes longer than the limit.
/// Put it *inside* [`super::Retry`] to bound each attempt, outside to bound the whole call.
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
    }
}
