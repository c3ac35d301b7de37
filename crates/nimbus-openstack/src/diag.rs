//! What `nimbus doctor` probes for a profile on this provider: Keystone, from the adapter's
//! own resolution (`auth_url`, `OS_AUTH_URL`, `clouds.yaml`), with the profile's `cacert`
//! added to the roots as the adapter adds it. Swift, Nova and Neutron come from Keystone's
//! catalogue, which needs a token: their endpoints belong to the identity checks.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack};
use nimbus_core::Result;

use crate::OpenStackConfig;

fn endpoints(_service: &str, s: &Settings) -> Result<Vec<Endpoint>> {
    let c = OpenStackConfig::from_settings(s)?;
    let from = if s.get("auth_url").is_some() {
        "setting `auth_url`"
    } else {
        "OS_AUTH_URL or clouds.yaml"
    };
    let mut e = Endpoint::new("keystone", c.auth_url.clone(), from);
    e.ca_file = c.cacert.as_ref().map(|p| p.display().to_string());
    Ok(vec![e])
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: Some("cacert"),
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
};
