//! What `nimbus doctor` probes for a profile on this provider: the Blob endpoint for storage
//! (the adapter's resolution: connection string, `endpoint`, else
//! `https://ACCOUNT.blob.core.windows.net`) and Resource Manager for compute and network.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, AZURE_STORAGE_SKEW};
use nimbus_core::Result;

use crate::config::AzureStorageConfig;

fn endpoints(service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    if service == "storage" {
        let c = AzureStorageConfig::from_settings(s)?;
        let from = if s.get("connection_string").is_some() {
            "setting `connection_string`"
        } else if s.get("endpoint").is_some() {
            "setting `endpoint`"
        } else {
            "default for the account (or AZURE_STORAGE_CONNECTION_STRING)"
        };
        return Ok(vec![
            Endpoint::new("blob", c.endpoint, from).tolerance(AZURE_STORAGE_SKEW.0, AZURE_STORAGE_SKEW.1)
        ]);
    }
    arm(s)
}

#[cfg(feature = "compute")]
fn arm(s: &Settings) -> Result<Vec<Endpoint>> {
    let c = crate::arm::ArmConfig::from_settings(s)?;
    let from = if s.get("arm_endpoint").is_some() {
        "setting `arm_endpoint`"
    } else {
        "default (Azure public cloud)"
    };
    let mut out = vec![Endpoint::new("arm", c.endpoint.clone(), from)];
    if matches!(c.auth, crate::arm::ArmAuth::EntraId) {
        // azure_identity asks Entra ID for tokens: its authority host is contacted too.
        let (url, from) = match std::env::var("AZURE_AUTHORITY_HOST").ok().filter(|v| !v.is_empty()) {
            Some(h) => (h, "env AZURE_AUTHORITY_HOST"),
            None => (
                "https://login.microsoftonline.com".to_string(),
                "default Entra ID authority",
            ),
        };
        out.push(Endpoint::new("entra", url, from));
    }
    Ok(out)
}

#[cfg(not(feature = "compute"))]
fn arm(_: &Settings) -> Result<Vec<Endpoint>> {
    Ok(Vec::new())
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
};
