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
pub mod registry;
mod report;
mod target;

pub use cases::{all_cases, Case, Service};
pub use ctx::{Ctx, Observed};
pub use report::{CaseResult, Outcome, Report, Summary};
pub use target::{Difference, PresignClient, Target};

#[cfg(feature = "local")]
pub mod local;

#[cfg(feature = "aws")]
pub mod aws;

#[cfg(feature = "azure")]
pub mod azure;

#[cfg(feature = "gcp")]
pub mod gcp;

#[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
mod http;

use std::time::Instant;

/// Runs every case whose id contains `filter` (all when `None`) against `target`.
pub async fn run(target: &Target, filter: Option<&str>) -> Report {
    let run_id = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            % 0xffff_ffff
    );
    let unimplemented = unimplemented_services(target).await;
    let mut results = Vec::new();
    for (n, case) in all_cases().into_iter().enumerate() {
        if filter.is_some_and(|f| !case.id.contains(f)) {
            continue;
        }
        let service_present = match case.service {
            Service::Storage => target.storage.is_some(),
            Service::Compute => target.compute.is_some(),
            Service::Network => target.network.is_some(),
        };
        if !service_present {
            continue;
        }
        if let Some((_, why)) = unimplemented.iter().find(|(s, _)| *s == case.service) {
            results.push(report::not_implemented(target, &case, why));
            continue;
        }
        let ctx = Ctx::new(target.clone(), format!("{run_id}-{n}"));
        let start = Instant::now();
        let observed = (case.run)(ctx.clone()).await;
        ctx.cleanup().await;
        results.push(report::judge(target, &case, observed, start.elapsed()));
    }
    Report::new(target, results)
}

/// Services whose adapter answers its cheapest read (`list_buckets`, `list_regions`,
/// `list_networks`) with the typed unsupported error naming no capability: the service is
/// not implemented yet (the template adapter's state). Their cases are reported
/// `unsupported`, with the reason, instead of each failing on its first call.
async fn unimplemented_services(target: &Target) -> Vec<(Service, String)> {
    let mut out = Vec::new();
    let mut note = |svc: Service, r: Option<nimbus_core::Error>| {
        if let Some(e) = r.filter(|e| e.kind() == nimbus_core::ErrorKind::Unsupported && e.capability().is_none()) {
            out.push((svc, e.to_string()));
        }
    };
    if let Some(s) = &target.storage {
        note(Service::Storage, s.list_buckets().await.err());
    }
    if let Some(c) = &target.compute {
        note(Service::Compute, c.list_regions().await.err());
    }
    if let Some(n) = &target.network {
        note(Service::Network, n.list_networks().await.err());
    }
    out
}
