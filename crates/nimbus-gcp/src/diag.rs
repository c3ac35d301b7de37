//! What `nimbus doctor` probes for a profile on this provider: Cloud Storage for storage
//! (`endpoint`, `STORAGE_EMULATOR_HOST`, else `https://storage.googleapis.com`), the Compute
//! Engine API for compute and network, and Google's token endpoint when credentials are
//! exchanged for tokens. The adapter's own config types resolve them.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack};
use nimbus_core::Result;

use crate::config::{GceConfig, GcsAuth, GcsConfig};

const TOKEN: &str = "https://oauth2.googleapis.com";

fn endpoints(service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let (label, url, auth, from) = if service == "storage" {
        let c = GcsConfig::from_settings(s)?;
        let from = if s.get("endpoint").is_some() {
            "setting `endpoint`"
        } else if std::env::var("STORAGE_EMULATOR_HOST").is_ok_and(|v| !v.is_empty()) {
            "env STORAGE_EMULATOR_HOST"
        } else {
            "default"
        };
        ("gcs", c.endpoint, c.auth, from)
    } else {
        let c = GceConfig::from_settings(s)?;
        let from = if s.get("compute_endpoint").is_some() {
            "setting `compute_endpoint`"
        } else {
            "default"
        };
        ("gce", c.endpoint, c.auth, from)
    };
    let mut out = vec![Endpoint::new(label, url, from)];
    if !matches!(auth, GcsAuth::Anonymous) {
        out.push(Endpoint::new(
            "oauth2",
            TOKEN,
            "Google's token endpoint (credentials are exchanged there)",
        ));
    }
    Ok(out)
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
};
