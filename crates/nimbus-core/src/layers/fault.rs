//! Fault injection for tests and chaos runs.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{CallInfo, Interceptor};
use crate::{Error, ErrorKind, Result};

/// What to inject.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FaultConfig {
    /// Fraction of calls (0–1) that fail with a transient error.
    pub error_rate: f64,
    /// Of the failing calls, the fraction that fail *after* the call was made (the answer
    /// is lost): the hardest case for retries.
    pub after_fraction: f64,
    /// Added latency on every call.
    pub latency: Duration,
    /// Seed for reproducible runs; random when `None`.
    pub seed: Option<u64>,
}

impl FaultConfig {
    /// Faults at `rate`.
    pub fn error_rate(rate: f64) -> Self {
        FaultConfig {
            error_rate: rate,
            ..Default::default()
        }
    }
    /// Sets the lost-answer fraction.
    pub fn after_fraction(mut self, f: f64) -> Self {
        self.after_fraction = f;
        self
    }
    /// Sets the latency.
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }
}

/// Injects [`ErrorKind::Unavailable`] errors and latency.
#[derive(Debug)]
pub struct FaultInjection {
    config: FaultConfig,
    rng: Mutex<SmallRng>,
}

impl FaultInjection {
    /// A fault layer.
    pub fn new(config: FaultConfig) -> Self {
        let rng = match config.seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => SmallRng::from_entropy(),
        };
        FaultInjection {
            config,
            rng: Mutex::new(rng),
        }
    }

    fn roll(&self) -> (bool, bool) {
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let fail = rng.gen::<f64>() < self.config.error_rate;
        let after = rng.gen::<f64>() < self.config.after_fraction;
        (fail, after)
    }
}

impl Interceptor for FaultInjection {
    fn around<'a, T, F, Fut>(&'a self, info: &'a CallInfo, mut make: F) -> impl Future<Output = Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: Future<Output = Result<T>> + Send + 'a,
    {
        let (fail, after) = self.roll();
        async move {
            if !self.config.latency.is_zero() {
                tokio::time::sleep(self.config.latency).await;
            }
            let injected = |when: &str| {
                Error::new(ErrorKind::Unavailable, format!("injected fault ({when} the call)"))
                    .with_provider(info.provider)
                    .with_operation(info.operation)
                    .with_resource(info.resource.clone())
                    .with_raw_code("InjectedFault")
            };
            // Only replayable idempotent calls get lost answers: injecting one into a create
            // would make the test, not the code, create things twice.
            if fail && after && info.idempotent && info.replayable {
                let _ = make().await;
                return Err(injected("after"));
            }
            if fail {
                return Err(injected("before"));
            }
            make().await
        }
    }
}
