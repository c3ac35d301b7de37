//! # nimbus-doctor — diagnose a customer's deployment from the outside
//!
//! The library behind `nimbus doctor`, so that a product's own installer can run the same
//! checks as a preflight. Modelled on Replicated troubleshoot's preflights (checks with
//! pass/warn/fail outcomes and a message a customer's operator can act on; its exit codes
//! 1 error, 2 spec problem, 3 fail, 4 warnings) and GitLab's `gitlab:check` ("Try fixing
//! it"): every check has a stable id, a status, a one-line message, a fix, a docs anchor,
//! its evidence and its duration.
//!
//! Checks run in layers, and a check whose precondition failed is `skip` with the reason,
//! never attempted:
//! 1. **configuration** ([`config_layer`], [`endpoints`]): the profile validates; every
//!    effective setting with where it came from, secrets shown only by their last four
//!    characters; the endpoints each service contacts, from the provider's own resolution;
//! 2. **environment** ([`env_layer`]): proxy and CA variables, whether the providers' HTTP
//!    stacks honour them, and the route to each endpoint;
//! 3. **network** ([`net`]): DNS, TCP, proxy tunnel, TLS (classified failures), HTTP;
//! 4. **clock** ([`clock`]): skew from each server's `Date`;
//! 5. **access** ([`access_layer`]): one harmless authenticated read per service, through the
//!    provider's registered opener: credentials accepted, rejected or not allowed;
//! 6. **identity** ([`identity_layer`]): who the credentials belong to (the provider's
//!    who-am-i hook), compared with the profile's `expect` table;
//! 7. **permissions** ([`perm_layer`]): what the credentials may do, checked without doing it
//!    (EC2 `DryRun`, Keystone roles, SAS letters);
//! 8. **data plane** ([`data_layer`]): list and read probes on the product's bucket, and with
//!    `--write-probe` a sentinel object put, read back and deleted.
//!
//! [`bundle`] assembles a redacted support bundle around a doctor run (status of the work:
//! `handoff/issue-16-status.md`).
#![deny(missing_docs)]

pub mod access_layer;
pub mod analyze;
pub mod bundle;
pub mod clock;
pub mod config_layer;
pub mod data_layer;
pub mod endpoints;
pub mod env_layer;
pub mod identity_layer;
pub mod net;
pub mod perm_layer;
pub mod proxy;
pub mod report;

pub use report::{CheckResult, Layer, Report, Status};

use std::collections::BTreeMap;

use nimbus_core::config::{ConfigFile, ProviderSchema};
use nimbus_core::provider::Provider;

/// What a diagnosis starts from: the providers compiled in, the profile file, the
/// environment, and the profile asked for.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Schemas of the providers in this build (`nimbus::schemas()`).
    pub schemas: Vec<ProviderSchema>,
    /// The providers of this build (`nimbus::registry().all()`), for their diagnosis hooks.
    pub providers: Vec<Provider>,
    /// The profile file, if there is one.
    pub file: Option<ConfigFile>,
    /// The environment (all of it: `NIMBUS_*` are read as settings, the proxy and CA
    /// variables by the environment and network layers).
    pub env: BTreeMap<String, String>,
    /// The profile asked for (`None`: `NIMBUS_PROFILE`, the file's default, `default`).
    pub profile: Option<String>,
    /// Services to diagnose (empty: all three).
    pub services: Vec<String>,
    /// Stop after the environment layer (no connection is made).
    pub offline: bool,
    /// The bucket the data-plane probes use (`None`: the profile's `expect.bucket`).
    pub bucket: Option<String>,
    /// Put, read back and delete one sentinel object under `.nimbus-doctor/` in the bucket.
    pub write_probe: bool,
}

impl Inputs {
    /// Whether `service` is diagnosed.
    pub fn wants(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

/// Runs every layer of this build against one profile.
pub async fn diagnose(inputs: &Inputs) -> Report {
    let report = layers(inputs).await;
    // Into whatever log the caller keeps (a bundle's logs/nimbus.log): messages hold no secret.
    for r in &report.results {
        tracing::debug!(id = %r.id, status = r.status.as_str(), ms = r.duration_ms, "{}", r.message);
    }
    report
}

async fn layers(inputs: &Inputs) -> Report {
    let mut report = Report::new(config_layer::profile_name(inputs));
    let (checks, profile) = config_layer::run(inputs);
    report.results.extend(checks);
    let Some(profile) = profile else {
        for (layer, id) in [
            (Layer::Environment, "env"),
            (Layer::Network, "net"),
            (Layer::Clock, "clock"),
        ] {
            report
                .results
                .push(CheckResult::skipped(layer, id, "config.profile failed"));
        }
        return report;
    };
    let (checks, targets) = endpoints::resolve(inputs, &profile);
    report.results.extend(checks);
    // The trusted roots, read once: the environment layer counts them, every TLS probe uses them.
    let roots = net::tls::Roots::load(&inputs.env);
    report.results.extend(env_layer::run(&inputs.env, &roots, &targets));
    if inputs.offline {
        return report;
    }
    let probes = futures::future::join_all(targets.iter().map(|t| net::probe(&inputs.env, &roots, t))).await;
    for p in &probes {
        report.results.extend(p.results.iter().cloned());
    }
    report.results.extend(clock::run(&probes));
    let access = access_layer::run(inputs, &profile, &targets, &report.results).await;
    report.results.extend(access);
    let identity = identity_layer::run(inputs, &profile, &targets, &report.results).await;
    report.results.extend(identity);
    let perms = perm_layer::run(inputs, &profile, &targets, &report.results).await;
    report.results.extend(perms);
    let data = data_layer::run(inputs, &profile, &targets, &report.results).await;
    report.results.extend(data);
    report
}
