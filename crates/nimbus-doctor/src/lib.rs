//! # nimbus-doctor — diagnose a customer's deployment from the outside
//!
//! The library behind `nimbus doctor`, so that a product's own installer can run the same
//! checks as a preflight. Modelled on Replicated troubleshoot's preflights (checks with
//! pass/warn/fail outcomes and a message a customer's operator can act on; its exit codes
//! 1 error, 2 spec problem, 3 fail, 4 warnings) and GitLab's `gitlab:check` ("Try fixing
//! it"): every check has a stable id, a status, a one-line message, a fix, a docs anchor,
//! its evidence and its duration.
//!
//! Checks run in layers; a check whose precondition failed is `skip` with the reason, never
//! attempted. This first slice has the **configuration** layer (the profile validates; every
//! effective setting with where it came from, secrets shown only by their last four
//! characters). The environment, network, clock, identity, permission and data-plane layers
//! and the support bundle are planned in `handoff/issue-16-research.md`.
#![deny(missing_docs)]

pub mod config_layer;
pub mod report;

pub use report::{CheckResult, Layer, Report, Status};

use std::collections::BTreeMap;

use nimbus_core::config::{ConfigFile, ProviderSchema};

/// What a diagnosis starts from: the provider schemas compiled in, the profile file, the
/// environment, and the profile asked for.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Schemas of the providers in this build (`nimbus::schemas()`).
    pub schemas: Vec<ProviderSchema>,
    /// The profile file, if there is one.
    pub file: Option<ConfigFile>,
    /// The process environment (all of it: `NIMBUS_*` are read as settings).
    pub env: BTreeMap<String, String>,
    /// The profile asked for (`None`: `NIMBUS_PROFILE`, the file's default, `default`).
    pub profile: Option<String>,
}

/// Runs every layer of this build against one profile.
pub fn diagnose(inputs: &Inputs) -> Report {
    let mut report = Report::new(config_layer::profile_name(inputs));
    report.results.extend(config_layer::run(inputs));
    report
}
