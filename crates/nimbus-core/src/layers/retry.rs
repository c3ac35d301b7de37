//! Retry with exponential backoff and full jitter.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{CallInfo, Interceptor};
use crate::{ErrorKind, Result};

/// Retries retryable errors (rate limited, unavailable, timeout).
///
/// Rules: a call that is not replayable is never repeated; a call that is not idempotent
/// (create an instance, create-only put, …) is repeated only after
/// [`ErrorKind::RateLimited`], which means the provider refused it before doing anything,
/// because after a timeout or a lost answer it may already have happened. The delay is
/// `random(0, min(max_delay, base × 2^attempt))` (full jitter), and never less than the
/// provider's retry-after hint.
#[derive(Debug)]
pub struct Retry {
    /// Most attempts in all (first call included).
    pub max_attempts: u32,
    /// Base delay.
    pub base_delay: Duration,
    /// Cap of the backoff (a retry-after hint may exceed it).
    pub max_delay: Duration,
    rng: Mutex<SmallRng>,
}

impl Default for Retry {
    fn default() -> Self {
        Retry::new(4, Duration::from_millis(100), Duration::from_secs(10))
    }
}

impl Retry {
    /// A retry policy.
    pub fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Retry {
            max_attempts: max_attempts.max(1),
            base_delay,
            max_delay,
            rng: Mutex::new(SmallRng::from_entropy()),
        }
    }

    /// Uses a seeded random source for the jitter (reproducible tests).
    pub fn seeded(mut self, seed: u64) -> Self {
        self.rng = Mutex::new(SmallRng::seed_from_u64(seed));
        self
    }

    /// Whether an error on this call may be retried.
    pub fn should_retry(info: &CallInfo, e: &crate::Error) -> bool {
        info.replayable && e.is_retryable() && (info.idempotent || e.kind() == ErrorKind::RateLimited)
    }

    /// The delay before attempt `attempt + 1`.
    pub fn delay(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let jittered = {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            cap.mul_f64(rng.gen::<f64>())
        };
        jittered.max(hint.unwrap_or_default())
    }
}

impl Interceptor for Retry {
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, mut make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a,
    {
        async move {
            let mut attempt = 0;
            loop {
                match make().await {
                    Ok(v) => return Ok(v),
                    Err(e) if attempt + 1 < self.max_attempts && Retry::should_retry(info, &e) => {
                        let d = self.delay(attempt, e.retry_after());
                        tracing::debug!(operation = info.operation, resource = %info.resource, attempt, delay_ms = d.as_millis() as u64, error = %e, "retrying");
                        tokio::time::sleep(d).await;
                        attempt += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ErrorKind};
    use std::sync::atomic::{AtomicU32, Ordering};

    fn info(idempotent: bool, replayable: bool) -> CallInfo {
        CallInfo {
            service: "storage",
            provider: "test",
            operation: "op",
            resource: "r".into(),
            idempotent,
            replayable,
        }
    }

    async fn run(info: CallInfo, kind: ErrorKind, fail_times: u32) -> (Result<u32>, u32) {
        let r = Retry::new(5, Duration::from_millis(1), Duration::from_millis(2)).seeded(1);
        let n = AtomicU32::new(0);
        let res = r
            .around(&info, || {
                let i = n.fetch_add(1, Ordering::SeqCst);
                async move {
                    if i < fail_times {
                        Err(Error::new(kind, "x"))
                    } else {
                        Ok(i)
                    }
                }
            })
            .await;
        (res, n.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn retries_transient_then_succeeds() {
        let (r, calls) = run(info(true, true), ErrorKind::Unavailable, 3).await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let (r, calls) = run(info(true, true), ErrorKind::Unavailable, 100).await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::Unavailable);
        assert_eq!(calls, 5);
    }

    #[tokio::test]
    async fn never_retries_permanent_errors() {
        let (r, calls) = run(info(true, true), ErrorKind::NotFound, 1).await;
        assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn non_idempotent_only_after_rate_limit() {
        let (r, calls) = run(info(false, true), ErrorKind::Unavailable, 1).await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
        let (r, calls) = run(info(false, true), ErrorKind::RateLimited, 1).await;
        assert!(r.is_ok());
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn never_replays_consumed_stream() {
        let (r, calls) = run(info(true, false), ErrorKind::RateLimited, 1).await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn delay_honours_retry_after_and_cap() {
        let r = Retry::new(5, Duration::from_millis(100), Duration::from_millis(400)).seeded(7);
        for a in 0..10 {
            assert!(r.delay(a, None) <= Duration::from_millis(400));
        }
        assert!(r.delay(0, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }
}
