//! # nimbus-conformance — one suite, every provider
//!
//! The same named cases run against every adapter and expose what an adapter cannot hide:
//!
//! - a case that needs a capability runs both ways: declared ⇒ it must work; undeclared ⇒
//!   the call must fail with the typed unsupported error naming that capability;
//! - a case whose portable expectation a provider does not meet passes only as a *declared*
//!   difference (`differs`, with the difference id); an undeclared difference fails, and a
//!   declared difference that is no longer observed fails as stale;
//! - every resource a case creates is labelled/named with the run id and removed afterwards,
//!   also when the case fails.
//!
//! Go CDK's `drivertest` is the model: adapters do not write their own behaviour tests, they
//! build a [`Target`] and call [`run`].
#![deny(missing_docs)]

mod cases;
pub mod ctx;
mod guest;
mod http;
pub mod matrix;
pub mod mock_http;
mod open;
pub mod registry;
mod report;
mod target;
mod trials;

pub use cases::{all_cases, Case, Service};
pub use ctx::{Ctx, Observed};
pub use guest::{GuestAccess, Reach};
pub use http::HttpPresign;
pub use open::{open_target, OpenedTarget, TargetSpec};
pub use report::{CaseResult, Outcome, Report, Summary};
pub use target::{Difference, PresignClient, Target};
pub use trials::Trials;

use std::sync::Arc;
use std::time::Instant;

use nimbus_core::contract::Contract;
use nimbus_core::{ComputeCapabilities, Error, ErrorKind, NetworkCapabilities, StorageCapabilities};

/// The target's services held to the portable contract (`nimbus_core::contract`): the
/// suite judges what a user of the facade gets, validation and capability gates included,
/// whichever way the target was built. Wrapping twice is harmless.
pub fn under_contract(target: &Target) -> Target {
    let mut t = target.clone();
    t.storage = t.storage.map(|s| Arc::new(Contract::new(s)) as _);
    t.compute = t.compute.map(|s| Arc::new(Contract::new(s)) as _);
    t.network = t.network.map(|s| Arc::new(Contract::new(s)) as _);
    t
}

/// A run id for resource names (`nc-RUN-N`): milliseconds since the epoch, in hex.
fn run_id() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            % 0xffff_ffff
    )
}

/// Whether `case` applies to `target` (its service is present).
fn present(target: &Target, case: &Case) -> bool {
    match case.service {
        Service::Storage => target.storage.is_some(),
        Service::Compute => target.compute.is_some(),
        Service::Network => target.network.is_some(),
    }
}

/// Runs one case against a target already under contract and judges it.
async fn run_case(target: &Target, case: &Case, name: String, unimplemented: &[(Service, String)]) -> CaseResult {
    if let Some((_, why)) = unimplemented.iter().find(|(s, _)| *s == case.service) {
        return report::not_implemented(target, case, why);
    }
    let ctx = Ctx::new(target.clone(), name);
    let start = Instant::now();
    let observed = (case.run)(ctx.clone()).await;
    ctx.cleanup().await;
    report::judge(target, case, observed, start.elapsed())
}

/// Runs every case whose id contains `filter` (all when `None`) against `target`.
pub async fn run(target: &Target, filter: Option<&str>) -> Report {
    let target = &under_contract(target);
    let run_id = run_id();
    let unimplemented = unimplemented_services(target).await;
    let mut results = Vec::new();
    for (n, case) in all_cases().into_iter().enumerate() {
        if filter.is_some_and(|f| !case.id.contains(f)) || !present(target, &case) {
            continue;
        }
        results.push(run_case(target, &case, format!("{run_id}-{n}"), &unimplemented).await);
    }
    Report::new(target, results)
}

/// Services that say they are not implemented yet: their cheapest read answers
/// [`Error::not_implemented`] (raw code `NotImplemented`) and they declare no capability
/// (the template adapter's state). Their cases are reported `unsupported` with the reason.
/// Any other answer, an unsupported error without a capability included, leaves the cases
/// to run and be judged one by one.
async fn unimplemented_services(target: &Target) -> Vec<(Service, String)> {
    fn says_so(r: Option<Error>, declares_nothing: bool) -> Option<String> {
        r.filter(|e| {
            e.kind() == ErrorKind::Unsupported
                && e.capability().is_none()
                && e.raw_code() == Some("NotImplemented")
                && declares_nothing
        })
        .map(|e| e.to_string())
    }
    let mut out = Vec::new();
    if let Some(s) = &target.storage {
        let nothing = s.capabilities() == StorageCapabilities::none();
        out.extend(says_so(s.list_buckets().await.err(), nothing).map(|w| (Service::Storage, w)));
    }
    if let Some(c) = &target.compute {
        let nothing = c.capabilities() == ComputeCapabilities::none();
        out.extend(says_so(c.list_regions().await.err(), nothing).map(|w| (Service::Compute, w)));
    }
    if let Some(n) = &target.network {
        let nothing = n.capabilities() == NetworkCapabilities::none();
        out.extend(says_so(n.list_networks().await.err(), nothing).map(|w| (Service::Network, w)));
    }
    out
}
