//! What a case gets: the target, a unique run id, resource bookkeeping and helpers.

use std::future::Future;
use std::sync::{Arc, Mutex};

use nimbus_core::compute::{State, WaitOptions};
use nimbus_core::storage::ListOptions;
use nimbus_core::{Capability, Compute, ComputeExt, Error, ErrorKind, NetworkService, Storage, StorageExt};

use crate::Target;

/// What a case observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The portable behaviour.
    Pass,
    /// The capability is not declared and the call failed with the typed unsupported error;
    /// or the case does not apply (`None`), with a reason.
    Unsupported(Option<Capability>, String),
    /// A behaviour other than the portable one, named by a difference id.
    Differs {
        /// Difference id.
        id: String,
        /// What was seen.
        detail: String,
    },
}

/// Result of a case body: `Err` is a failure with its reason.
pub type CaseResult = std::result::Result<Observed, String>;

#[derive(Default)]
struct Created {
    buckets: Vec<String>,
    instances: Vec<String>,
    firewalls: Vec<String>,
    subnets: Vec<String>,
    networks: Vec<String>,
}

/// Context of one case.
#[derive(Clone)]
pub struct Ctx {
    /// The target.
    pub target: Target,
    /// Unique per case and run (lower-case hex and `-`).
    pub run: String,
    created: Arc<Mutex<Created>>,
    counter: Arc<Mutex<u32>>,
}

impl Ctx {
    pub(crate) fn new(target: Target, run: String) -> Self {
        Ctx {
            target,
            run,
            created: Arc::default(),
            counter: Arc::default(),
        }
    }

    /// The storage under test.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        self.target.storage.as_ref().expect("storage case without storage")
    }
    /// The compute under test.
    pub fn compute(&self) -> &Arc<dyn Compute> {
        self.target.compute.as_ref().expect("compute case without compute")
    }
    /// The network under test.
    pub fn network(&self) -> &Arc<dyn NetworkService> {
        self.target.network.as_ref().expect("network case without network")
    }

    /// A unique resource name: `nc-RUN-N` (valid as bucket, instance, network name).
    pub fn name(&self) -> String {
        let mut c = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        *c += 1;
        format!("nc-{}-{}", self.run, *c)
    }

    /// Creates a bucket that is removed (with its objects) after the case.
    pub async fn bucket(&self) -> std::result::Result<String, String> {
        let b = self.name();
        self.storage()
            .create_bucket(&b, &Default::default())
            .await
            .map_err(|e| format!("create bucket: {e}"))?;
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .buckets
            .push(b.clone());
        Ok(b)
    }

    /// Records resources for cleanup.
    pub fn track_instance(&self, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .instances
            .push(id.into());
    }
    /// Records a network for cleanup.
    pub fn track_network(&self, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .networks
            .push(id.into());
    }
    /// Records a subnet for cleanup.
    pub fn track_subnet(&self, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .subnets
            .push(id.into());
    }
    /// Records a firewall for cleanup.
    pub fn track_firewall(&self, id: &str) {
        self.created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .firewalls
            .push(id.into());
    }

    /// Wait options of the target.
    pub fn wait(&self) -> WaitOptions {
        WaitOptions::timeout(self.target.wait_timeout).interval(self.target.poll_interval)
    }

    /// Removes everything the case created, in dependency order; errors are ignored
    /// (the resource may already be gone), but every step is tried.
    pub(crate) async fn cleanup(&self) {
        let c = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(s) = &self.target.storage {
            for b in &c.buckets {
                if let Ok(objs) = s.list_objects(b, ListOptions::default()).await {
                    let _ = s.delete_all(b, objs.into_iter().map(|o| o.key).collect()).await;
                }
                let _ = s.delete_bucket(b).await;
            }
        }
        if let Some(comp) = &self.target.compute {
            for i in &c.instances {
                let _ = comp.terminate_instance(i).await;
            }
            for i in &c.instances {
                let _ = comp.wait_for_state(i, State::Terminated, self.wait()).await;
            }
        }
        if let Some(n) = &self.target.network {
            for f in &c.firewalls {
                let _ = n.delete_firewall(f).await;
            }
            for s in &c.subnets {
                let _ = n.delete_subnet(s).await;
            }
            for net in &c.networks {
                let _ = n.delete_network(net).await;
            }
        }
    }
}

/// Fails unless `cond`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// Turns a Nimbus error into a failure reason with context.
pub fn ctx_err(what: &str) -> impl Fn(Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Expects an error of `kind`.
pub fn expect_kind<T: std::fmt::Debug>(
    what: &str,
    r: nimbus_core::Result<T>,
    kind: ErrorKind,
) -> std::result::Result<(), String> {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        Err(e) => Err(format!("{what}: expected {kind}, got {} ({e})", e.kind())),
        Ok(v) => Err(format!("{what}: expected {kind}, but it succeeded ({v:?})")),
    }
}

/// Runs a capability-gated call both ways (see the crate docs). `check` validates the value
/// when the capability is declared.
pub async fn gated<T, F, C>(declared: bool, cap: Capability, call: F, check: C) -> CaseResult
where
    F: Future<Output = nimbus_core::Result<T>>,
    C: AsyncCheck<T>,
{
    match (declared, call.await) {
        (true, Ok(v)) => check.check(v).await.map(|_| Observed::Pass),
        (true, Err(e)) => Err(format!("declares {cap} but the call failed: {e}")),
        (false, Err(e)) if e.is_unsupported(cap) => Ok(Observed::Unsupported(Some(cap), e.message().to_string())),
        (false, Err(e)) => Err(format!(
            "does not declare {cap}, so the call must fail with unsupported({cap}); got {e}"
        )),
        (false, Ok(_)) => Err(format!("does not declare {cap}, but the call succeeded: declare it")),
    }
}

/// Judges a call made although `cap` is not declared: only the typed unsupported error
/// naming `cap` is acceptable.
pub fn undeclared<T>(cap: Capability, r: nimbus_core::Result<T>) -> CaseResult {
    match r {
        Err(e) if e.is_unsupported(cap) => Ok(Observed::Unsupported(Some(cap), e.message().to_string())),
        Err(e) => Err(format!(
            "does not declare {cap}, so the call must fail with unsupported({cap}); got {e}"
        )),
        Ok(_) => Err(format!("does not declare {cap}, but the call succeeded: declare it")),
    }
}

/// A check run on a gated call's value.
pub trait AsyncCheck<T> {
    /// Runs the check.
    fn check(self, v: T) -> futures::future::BoxFuture<'static, std::result::Result<(), String>>;
}

impl<T, F, Fut> AsyncCheck<T> for F
where
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = std::result::Result<(), String>> + Send + 'static,
{
    fn check(self, v: T) -> futures::future::BoxFuture<'static, std::result::Result<(), String>> {
        Box::pin(self(v))
    }
}

/// Compares an observation with the portable expectation: equal ⇒ pass; different ⇒ the
/// difference `id` (declared or not is judged by the runner).
pub fn portable_or_differs(portable: bool, id: &str, detail: impl Into<String>) -> CaseResult {
    if portable {
        Ok(Observed::Pass)
    } else {
        Ok(Observed::Differs {
            id: id.to_string(),
            detail: detail.into(),
        })
    }
}
