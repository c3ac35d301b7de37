//! Retry with exponential backoff and full jitter, a total deadline per call, and a retry
//! budget per service.
//!
//! Why a budget: against an endpoint that is down, every call would otherwise make all its
//! attempts, multiplying the load exactly when the service can least take it. The budget is
//! shaped like the AWS SDKs' retry quota (rejected: gRPC's throttling, which charges every
//! failure and refunds a fraction per success, so it stops retrying under a steady fault rate
//! of a third or more, and at a fifth after an unlucky run): a service holds 500 tokens; each
//! retry costs 5; a call that succeeds after retrying gives back what it spent, and a call
//! that succeeds at once gives back 1. Random faults therefore cost nothing in the end, while
//! a dead endpoint, whose calls never succeed, gets 100 retries in all and then one attempt
//! per call until something succeeds again.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// No retry starts after this much time since the call began (attempts and waits), so a
    /// call ends within about `deadline` plus one attempt's timeout.
    pub deadline: Duration,
    rng: Mutex<SmallRng>,
    /// Tokens left, out of `budget_max`; `budget_max == 0` turns the budget off.
    budget: Mutex<u32>,
    budget_max: u32,
}

/// Tokens of a full budget by default.
pub const DEFAULT_BUDGET: u32 = 500;
/// What one retry costs.
const RETRY_COST: u32 = 5;
/// What a call that succeeded without retrying gives back.
const SUCCESS_REFUND: u32 = 1;

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
            deadline: Duration::from_secs(600),
            rng: Mutex::new(SmallRng::from_entropy()),
            budget: Mutex::new(DEFAULT_BUDGET),
            budget_max: DEFAULT_BUDGET,
        }
    }

    /// Sets the retry budget's tokens (module docs); 0 turns the budget off, for fault-injection
    /// tests whose failure rate is the point.
    pub fn with_budget(mut self, tokens: u32) -> Self {
        self.budget_max = tokens;
        self.budget = Mutex::new(tokens);
        self
    }

    /// Sets the total deadline of one call's retries.
    pub fn with_deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// Takes the cost of one retry from the budget; whether the retry may be made.
    fn spend(&self) -> bool {
        if self.budget_max == 0 {
            return true;
        }
        let mut b = self.budget.lock().unwrap_or_else(|p| p.into_inner());
        if *b < RETRY_COST {
            return false;
        }
        *b -= RETRY_COST;
        true
    }

    /// Gives tokens back after a success that took `retries` retries.
    fn refund(&self, retries: u32) {
        if self.budget_max == 0 {
            return;
        }
        let back = if retries == 0 {
            SUCCESS_REFUND
        } else {
            retries * RETRY_COST
        };
        let mut b = self.budget.lock().unwrap_or_else(|p| p.into_inner());
        *b = b.saturating_add(back).min(self.budget_max);
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
            let start = Instant::now();
            let mut attempt = 0;
            loop {
                match make().await {
                    Ok(v) => {
                        self.refund(attempt);
                        return Ok(v);
                    }
                    Err(e) if attempt + 1 < self.max_attempts && Retry::should_retry(info, &e) => {
                        let d = self.delay(attempt, e.retry_after());
                        if start.elapsed() + d > self.deadline {
                            tracing::debug!(operation = info.operation, resource = %info.resource, error = %e, "retry deadline reached");
                            return Err(e);
                        }
                        if !self.spend() {
                            tracing::debug!(operation = info.operation, resource = %info.resource, error = %e, "retry budget spent: not retrying");
                            return Err(e);
                        }
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

    #[tokio::test]
    async fn a_dead_endpoint_spends_the_budget_and_successes_refill_it() {
        // 20 tokens: four retries in all.
        let r = Retry::new(4, Duration::from_millis(1), Duration::from_millis(1))
            .seeded(3)
            .with_budget(20);
        let calls = AtomicU32::new(0);
        let failing = || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(Error::new(ErrorKind::Unavailable, "down")) }
        };
        for _ in 0..5 {
            let _ = r.around(&info(true, true), failing).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5 + 4, "five calls, four retries in all");
        for _ in 0..5 {
            r.around(&info(true, true), || async { Ok::<_, Error>(()) })
                .await
                .unwrap();
        }
        let before = calls.load(Ordering::SeqCst);
        let _ = r.around(&info(true, true), failing).await;
        assert_eq!(calls.load(Ordering::SeqCst) - before, 2, "five successes buy one retry");
    }

    #[tokio::test]
    async fn random_faults_do_not_drain_the_budget() {
        // Every other attempt fails, but each call ends in success: its retries are refunded.
        let r = Retry::new(4, Duration::from_millis(1), Duration::from_millis(1))
            .seeded(3)
            .with_budget(10);
        for _ in 0..50 {
            let n = AtomicU32::new(0);
            r.around(&info(true, true), || {
                let first = n.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if first {
                        Err(Error::new(ErrorKind::Unavailable, "blip"))
                    } else {
                        Ok(())
                    }
                }
            })
            .await
            .unwrap();
        }
    }

    #[tokio::test]
    async fn no_retry_starts_past_the_deadline() {
        let r = Retry::new(10, Duration::from_millis(40), Duration::from_millis(40))
            .seeded(5)
            .with_deadline(Duration::from_millis(1));
        let calls = AtomicU32::new(0);
        let res = r
            .around(&info(true, true), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err::<(), _>(Error::new(ErrorKind::Unavailable, "slow").with_retry_after(Duration::from_millis(50)))
                }
            })
            .await;
        assert!(res.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
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
