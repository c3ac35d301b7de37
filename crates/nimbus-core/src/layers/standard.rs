//! The safe defaults every service opened the normal way carries.
//!
//! Why one place: before this, `Clouds` and `open_storage_url` handed out bare adapters, and
//! each caller (the CLI's storage commands, the quickstart) had to remember to wrap them; the
//! CLI's compute and network commands never did. Now the facade wraps every service it opens
//! with [`ServiceDefaults::storage`], [`ServiceDefaults::compute`] or
//! [`ServiceDefaults::network`], and a caller that wants the bare adapter asks for it
//! (`Clouds::raw()`).
//!
//! The stack, outermost first:
//!
//! ```text
//! Contract   validation, capability gates, error context; streamed puts split into parts
//!   Trace    one span per driver call (so one per part of a streamed upload)
//!    Metrics calls and latency by provider, service, operation, outcome (feature `metrics`)
//!     Retry  jittered backoff for retryable, replayable calls (see `Retry::should_retry`)
//!       Timeout  a deadline per attempt
//!         adapter
//! ```
//!
//! The contract sits outside retry so that a call it refuses is never sent, and so that a
//! streamed upload it splits sends every part through retry on its own.

use std::sync::Arc;
use std::time::Duration;

use super::{Layered, Retry, Timeout, Trace};
use crate::config::Settings;
use crate::contract::Contract;
use crate::{Compute, NetworkService, Result, Storage};

/// Retry, timeout and read settings of one service (profile keys: `config::COMMON_KEYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceDefaults {
    /// Attempts per call, the first included; 1 turns retry off.
    pub retry_attempts: u32,
    /// First backoff delay.
    pub retry_base_delay: Duration,
    /// Longest backoff delay.
    pub retry_max_delay: Duration,
    /// No retry starts after this long since the call began.
    pub retry_deadline: Duration,
    /// Tokens of the service's retry budget; 0 turns it off.
    pub retry_budget: u32,
    /// Deadline of one attempt.
    pub timeout: Duration,
    /// Storage: a body read fails after this long without data.
    pub read_idle_timeout: Duration,
}

impl ServiceDefaults {
    /// Storage: 4 attempts, 100 ms to 5 s backoff, 5 minutes per attempt, 60 s idle reads.
    pub const STORAGE: ServiceDefaults = ServiceDefaults {
        retry_attempts: 4,
        retry_base_delay: Duration::from_millis(100),
        retry_max_delay: Duration::from_secs(5),
        retry_deadline: Duration::from_secs(600),
        retry_budget: super::retry::DEFAULT_BUDGET,
        timeout: Duration::from_secs(300),
        read_idle_timeout: Duration::from_secs(60),
    };

    /// Compute and network: as storage, but 15 minutes per attempt, because a create on
    /// Azure or Compute Engine waits for its long-running operation inside the call.
    pub const CONTROL: ServiceDefaults = ServiceDefaults {
        timeout: Duration::from_secs(900),
        ..ServiceDefaults::STORAGE
    };

    /// The defaults of `service` (`storage`, `compute`, `network`) overridden by the
    /// common keys in `settings`.
    pub fn from_settings(service: &str, settings: &Settings) -> Result<Self> {
        let mut d = if service == "storage" {
            Self::STORAGE
        } else {
            Self::CONTROL
        };
        if let Some(n) = settings.get_u64("retry_attempts")? {
            d.retry_attempts = (n as u32).max(1);
        }
        if let Some(v) = settings.get_duration("retry_base_delay")? {
            d.retry_base_delay = v;
        }
        if let Some(v) = settings.get_duration("retry_max_delay")? {
            d.retry_max_delay = v;
        }
        if let Some(v) = settings.get_duration("retry_deadline")? {
            d.retry_deadline = v;
        }
        if let Some(n) = settings.get_u64("retry_budget")? {
            d.retry_budget = n.min(u32::MAX as u64) as u32;
        }
        if let Some(v) = settings.get_duration("timeout")? {
            d.timeout = v;
        }
        if let Some(v) = settings.get_duration("read_idle_timeout")? {
            d.read_idle_timeout = v;
        }
        Ok(d)
    }

    fn retry(&self) -> Retry {
        Retry::new(self.retry_attempts, self.retry_base_delay, self.retry_max_delay)
            .with_deadline(self.retry_deadline)
            .with_budget(self.retry_budget)
    }

    /// Storage wrapped in the standard stack (module docs).
    pub fn storage(&self, s: Arc<dyn Storage>) -> Arc<dyn Storage> {
        let s: Arc<dyn Storage> = Arc::new(Layered::new(s, Timeout(self.timeout)));
        let s: Arc<dyn Storage> = Arc::new(Layered::new(s, self.retry()));
        #[cfg(feature = "metrics")]
        let s: Arc<dyn Storage> = Arc::new(Layered::new(s, super::Metrics));
        let s: Arc<dyn Storage> = Arc::new(Layered::new(s, Trace));
        // An interrupted body read resumes within the retry budget (contract/resume.rs).
        Arc::new(
            Contract::new(s)
                .read_idle_timeout(self.read_idle_timeout)
                .read_resumes(self.retry_attempts.saturating_sub(1)),
        )
    }

    /// Compute wrapped in the standard stack.
    pub fn compute(&self, c: Arc<dyn Compute>) -> Arc<dyn Compute> {
        let c: Arc<dyn Compute> = Arc::new(Layered::new(c, Timeout(self.timeout)));
        let c: Arc<dyn Compute> = Arc::new(Layered::new(c, self.retry()));
        #[cfg(feature = "metrics")]
        let c: Arc<dyn Compute> = Arc::new(Layered::new(c, super::Metrics));
        let c: Arc<dyn Compute> = Arc::new(Layered::new(c, Trace));
        Arc::new(Contract::new(c))
    }

    /// Network wrapped in the standard stack.
    pub fn network(&self, n: Arc<dyn NetworkService>) -> Arc<dyn NetworkService> {
        let n: Arc<dyn NetworkService> = Arc::new(Layered::new(n, Timeout(self.timeout)));
        let n: Arc<dyn NetworkService> = Arc::new(Layered::new(n, self.retry()));
        #[cfg(feature = "metrics")]
        let n: Arc<dyn NetworkService> = Arc::new(Layered::new(n, super::Metrics));
        let n: Arc<dyn NetworkService> = Arc::new(Layered::new(n, Trace));
        Arc::new(Contract::new(n))
    }
}

#[cfg(all(test, feature = "mock"))]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::storage::{CompletedPart, MockStorage, MultipartUpload, ObjectMeta, PutOptions};
    use crate::{Error, ErrorKind, StorageCapabilities};

    /// A streamed upload through the standard stack goes part by part, and a part that fails
    /// with a transient error is sent again on its own (the rest of the stream is not lost).
    #[tokio::test]
    async fn a_streamed_upload_retries_a_failed_part() {
        let mut caps = StorageCapabilities::none();
        caps.multipart = true;
        caps.multipart_min_part_size = 5 * 1024 * 1024;
        caps.multipart_max_parts = 100;
        let mut m = MockStorage::new();
        m.expect_provider().return_const("mock");
        m.expect_capabilities().returning(move || caps.clone());
        m.expect_put_stream().never();
        m.expect_create_multipart()
            .times(1)
            .returning(|b, k, _| Ok(MultipartUpload::new(b, k, "u1")));
        // Part 2 fails once with a transient error, then succeeds.
        m.expect_upload_part()
            .withf(|_, n, _| *n == 2)
            .times(1)
            .returning(|_, _, _| Err(Error::new(ErrorKind::Unavailable, "connection reset")));
        m.expect_upload_part()
            .times(3)
            .returning(|_, n, b| Ok(CompletedPart::new(n, format!("e{n}"), b.len() as u64)));
        m.expect_complete_multipart()
            .times(1)
            .withf(|_, parts| parts.iter().map(|p| p.part_number).collect::<Vec<_>>() == [1, 2, 3])
            .returning(|u, _| Ok(ObjectMeta::new(&u.key, 10)));
        m.expect_abort_multipart().never();
        let mut d = ServiceDefaults::STORAGE;
        d.retry_base_delay = Duration::from_millis(1);
        let s = d.storage(Arc::new(m));
        // Two full parts of the default size and a short last one.
        let part = crate::storage::DEFAULT_PART_SIZE as usize;
        let chunks = [part, part, 1024].map(|n| Ok(bytes::Bytes::from(vec![7u8; n])));
        let body = futures::stream::iter(chunks).boxed();
        let meta = s.put_stream("bkt", "k", body, &PutOptions::default()).await.unwrap();
        assert_eq!(meta.size, 10);
    }
}
