//! What `nimbus doctor` probes for a profile on this provider: Keystone, from the adapter's
//! own resolution (`auth_url`, `OS_AUTH_URL`, `clouds.yaml`), with the profile's `cacert`
//! added to the roots as the adapter adds it. Swift, Nova and Neutron come from Keystone's
//! catalogue, which needs a token: their endpoints belong to the identity checks.

use nimbus_core::config::Settings;
use nimbus_core::diag::{Diag, Endpoint, HttpStack, Identity, IdentityFuture};
use nimbus_core::Result;

use crate::client::Session;
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

/// The Keystone token's owner: issuing one is the password check itself, and its body names
/// the user, the project of its scope and the roles there (what Swift, Nova and Neutron
/// authorise by). A session of its own, so doctor never reuses a token the process cached.
fn identity(_service: &str, s: &Settings) -> IdentityFuture {
    let cfg = OpenStackConfig::from_settings(s);
    Box::pin(async move {
        let t = Session::new(&cfg?)?.token().await?;
        Ok(Identity {
            principal: format!("user {} ({})", t.user_name, t.user_id),
            account: None,
            project: t.project_name.clone().or_else(|| t.project_id.clone()),
            roles: t.roles.clone(),
            expires: Some(t.expires),
            how: "Keystone token".into(),
            proven: true,
        })
    })
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: Some("cacert"),
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
    identity: Some(identity),
    explain: None,
};
