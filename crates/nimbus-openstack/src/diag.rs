//! What `nimbus doctor` probes for a profile on this provider: Keystone, from the adapter's
//! own resolution (`auth_url`, `OS_AUTH_URL`, `clouds.yaml`), with the profile's `cacert`
//! added to the roots as the adapter adds it. Swift, Nova and Neutron come from Keystone's
//! catalogue, which needs a token: their endpoints belong to the identity checks.

use nimbus_core::config::Settings;
use nimbus_core::diag::{
    Diag, Endpoint, HttpStack, Identity, IdentityFuture, Permission, PermissionsFuture, ProviderVariables,
};
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
    let mut all = vec![e];
    // An overridden service is not in the catalogue's hands: its URL is the profile's, and
    // probed like Keystone's (its origin: the project id is only known with a token).
    for (key, service) in crate::endpoint_override::KEYS {
        let Some(url) = c.endpoint_overrides.get(*service) else {
            continue;
        };
        let Some(origin) = crate::endpoint_override::origin(url) else {
            continue;
        };
        let mut o = Endpoint::new(*service, origin, format!("override `{key}`"));
        o.ca_file = all[0].ca_file.clone();
        all.push(o);
    }
    Ok(all)
}

/// The Keystone token's owner: issuing one is the password check itself, and its body names
/// the user, the project of its scope and the roles there (what Swift, Nova and Neutron
/// authorise by). The profile's shared session: the token the access checks' services were
/// issued is this configuration's, so identity and permissions add no Keystone round trip.
fn identity(_service: &str, s: &Settings) -> IdentityFuture {
    let cfg = OpenStackConfig::from_settings(s);
    Box::pin(async move {
        let t = Session::shared(&cfg?)?.token().await?;
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

/// Roles that create under the default policies: Nova's and Neutron's `member` (and `admin`),
/// and Swift's keystoneauth `operator_roles` (its default is `admin, swiftoperator`; many
/// clouds, and ours, configure `member`).
pub const WRITER_ROLES: &[&str] = &["admin", "member", "_member_", "swiftoperator"];

/// What the token's roles allow under those default policies: `reader` (or a writer role)
/// reads, a writer role creates. A role the defaults do not know leaves the verdict open (a
/// cloud with custom policy files decides by its own rules).
pub fn role_permissions(service: &str, roles: &[String]) -> Vec<Permission> {
    let has = |set: &[&str]| roles.iter().any(|r| set.contains(&r.to_ascii_lowercase().as_str()));
    let writer = has(WRITER_ROLES);
    // No role the default policies know: the cloud's own policy decides, so the verdicts stay
    // open (`None`).
    let reader = writer || has(&["reader"]);
    let how = format!(
        "roles in the Keystone token ({}) against the default policies",
        if roles.is_empty() {
            "none".to_string()
        } else {
            roles.join(", ")
        }
    );
    let (read, write, grant) = match service {
        "storage" => (
            "storage.read",
            "storage.write",
            "a Swift operator role (operator_roles: member or swiftoperator)",
        ),
        "compute" => ("compute.read", "compute.create_instance", "role member in the project"),
        _ => ("network.read", "network.create_network", "role member in the project"),
    };
    vec![
        Permission {
            need: read.into(),
            allowed: reader.then_some(true),
            grant: "role reader (or member) in the project".into(),
            how: how.clone(),
        },
        Permission {
            need: write.into(),
            allowed: reader.then_some(writer),
            grant: grant.into(),
            how,
        },
    ]
}

/// The token's roles, read as [`role_permissions`] does.
fn permissions(service: &str, s: &Settings) -> PermissionsFuture {
    let cfg = OpenStackConfig::from_settings(s);
    let service = service.to_string();
    Box::pin(async move {
        let t = Session::shared(&cfg?)?.token().await?;
        Ok(role_permissions(&service, &t.roles))
    })
}

/// The `OS_*` variables `OpenStackConfig` reads when the profile is silent (`OS_CLOUD` selects
/// a `clouds.yaml` entry instead, whose values `config.endpoints` names by origin).
fn variables(_service: &str) -> Vec<ProviderVariables> {
    vec![
        ("cloud", &["OS_CLOUD"]),
        ("auth_url", &["OS_AUTH_URL"]),
        ("username", &["OS_USERNAME"]),
        ("password", &["OS_PASSWORD"]),
        ("project_name", &["OS_PROJECT_NAME"]),
        ("project_id", &["OS_PROJECT_ID"]),
        ("user_domain_name", &["OS_USER_DOMAIN_NAME"]),
        ("project_domain_name", &["OS_PROJECT_DOMAIN_NAME"]),
        ("region", &["OS_REGION_NAME"]),
        ("interface", &["OS_INTERFACE"]),
        ("application_credential_id", &["OS_APPLICATION_CREDENTIAL_ID"]),
        ("application_credential_secret", &["OS_APPLICATION_CREDENTIAL_SECRET"]),
        ("cacert", &["OS_CACERT"]),
    ]
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: Some("cacert"),
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
    variables,
    identity: Some(identity),
    permissions: Some(permissions),
    explain: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_reads_and_cannot_create_and_an_unknown_role_leaves_it_open() {
        let p = role_permissions("storage", &["reader".into()]);
        assert_eq!((p[0].allowed, p[1].allowed), (Some(true), Some(false)));
        assert!(p[1].grant.contains("operator"));
        let p = role_permissions("compute", &["member".into(), "reader".into()]);
        assert_eq!((p[0].allowed, p[1].allowed), (Some(true), Some(true)));
        let p = role_permissions("network", &["custom-ops".into()]);
        assert_eq!((p[0].allowed, p[1].allowed), (None, None));
    }
}
