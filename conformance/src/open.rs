//! A target built from a provider's registry descriptor: what `nimbus conformance` runs, for
//! any provider, without naming one.
//!
//! Emulator runs take the emulator's settings (and the provider's standard environment
//! variables, which `scripts/emulators` sets); live runs take the profile's settings. The
//! services carry the safe defaults (`ServiceDefaults`), as every service a user opens does.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::config::Settings;
use nimbus_core::provider::Provider;
use nimbus_core::{Error, Result};

use crate::http::HttpPresign;
use crate::registry;
use crate::Target;

/// What to build a target from.
#[derive(Debug, Clone)]
pub struct TargetSpec<'a> {
    /// The provider.
    pub provider: &'a Provider,
    /// The emulator (`None`: the provider's default stand-in if it has one, else live).
    pub emulator: Option<String>,
    /// Services asked for (empty: all the provider and the emulator have).
    pub services: Vec<String>,
    /// Settings per service (`storage`, `compute`, `network`), e.g. from a profile.
    pub settings: BTreeMap<String, Settings>,
}

/// A target, and the scratch directory its stand-ins keep their state in (removed on drop).
#[derive(Debug)]
pub struct OpenedTarget {
    /// The target.
    pub target: Target,
    /// Scratch directory (`{tmp}` in an emulator's settings).
    pub scratch: tempfile::TempDir,
}

/// Builds the target `spec` describes: opens each service through the descriptor, declares
/// the emulator's difference lists (or the provider's live differences), and names what
/// proves each service's rows.
pub async fn open_target(spec: TargetSpec<'_>) -> Result<OpenedTarget> {
    let p = spec.provider;
    let emulator = match spec.emulator.as_deref().or(p.default_emulator) {
        Some(name) => Some(p.emulator(name)?),
        None => None,
    };
    for s in &spec.services {
        if !["storage", "compute", "network"].contains(&s.as_str()) {
            return Err(Error::invalid(format!(
                "unknown service `{s}` (known: storage, compute, network)"
            )));
        }
    }
    let scratch = tempfile::tempdir().map_err(Error::from)?;
    let tmp = scratch.path().to_string_lossy().into_owned();
    let wanted = |svc: &str| {
        (spec.services.is_empty() || spec.services.iter().any(|s| s == svc))
            && emulator.is_none_or(|e| e.services.contains(&svc))
            && p.services().contains(&svc)
    };
    let settings_of = |svc: &str| {
        let mut s = spec.settings.get(svc).cloned().unwrap_or_default();
        for (k, v) in emulator.map_or(&[][..], |e| e.settings) {
            s.set(*k, v.replace("{tmp}", &tmp), "emulator");
        }
        s
    };
    let mut t = Target::new(emulator.map_or(p.name, |e| e.report_as));
    let proof = emulator.map_or(p.live_proof, |e| e.proof);
    if wanted("storage") {
        let storage = p.storage_with_defaults(settings_of("storage")).await?;
        // `native()` passes through the layers, so the client is found on the layered store.
        t.presign = match p.presign_client {
            Some(make) => make(&storage),
            None => Some(Arc::new(HttpPresign::default())),
        };
        t.storage = Some(storage);
    }
    if wanted("compute") {
        t.compute = Some(p.compute_with_defaults(settings_of("compute")).await?);
    }
    if wanted("network") {
        t.network = Some(p.network_with_defaults(settings_of("network")).await?);
    }
    if t.storage.is_none() && t.compute.is_none() && t.network.is_none() {
        return Err(Error::invalid(format!(
            "nothing to test: provider `{}`{} has none of the services asked for in this build",
            p.name,
            emulator.map(|e| format!(" on {}", e.name)).unwrap_or_default()
        )));
    }
    for svc in ["storage", "compute", "network"] {
        if wanted(svc) {
            t.proof.insert(svc.into(), proof.into());
        }
    }
    match emulator {
        Some(e) => {
            t.differences = e.differences.iter().flat_map(|l| registry::declared(l)).collect();
            t.poll_interval = Duration::from_millis(e.poll_ms);
            t.wait_timeout = Duration::from_secs(300);
        }
        None => {
            if (p.live_differences_apply)(&settings_of("storage")) {
                t.differences = registry::live(p.name);
            }
            // Real instances take minutes to boot, stop and delete.
            t.wait_timeout = Duration::from_secs(900);
        }
    }
    Ok(OpenedTarget { target: t, scratch })
}
