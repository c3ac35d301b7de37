//! What `nimbus doctor` probes for a profile on this provider: the Blob endpoint for storage
//! (the adapter's resolution: connection string, `endpoint`, else
//! `https://ACCOUNT.blob.core.windows.net`) and Resource Manager for compute and network.

use nimbus_core::config::Settings;
use nimbus_core::diag::{
    Diag, Endpoint, Explained, HttpStack, Identity, IdentityFuture, Permission, PermissionsFuture, ProviderVariables,
    AZURE_STORAGE_SKEW,
};
use nimbus_core::Result;

use crate::config::{AzureStorageConfig, Credential};

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

/// The value of `key` in a SAS query string (the colons of its times percent-decoded).
fn sas_param(sas: &str, key: &str) -> Option<String> {
    sas.split('&')
        .find_map(|p| p.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .map(|v| v.replace("%3A", ":").replace("%3a", ":"))
}

/// What a SAS token grants, read from its own query: `sp` letters named (the service SAS and
/// account SAS permission letters of learn.microsoft.com/rest/api/storageservices/
/// create-account-sas), `se` as the expiry. Offline: the token says what it grants; whether
/// the account still honours it is for the access and data-plane checks.
pub fn sas_identity(account: &str, sas: &str) -> Identity {
    let param = |k: &str| sas_param(sas, k);
    let roles = param("sp")
        .unwrap_or_default()
        .chars()
        .map(|c| {
            match c {
                'r' => "read",
                'a' => "add",
                'c' => "create",
                'w' => "write",
                'd' => "delete",
                'x' => "delete version",
                'y' => "permanent delete",
                'l' => "list",
                't' => "tags",
                'f' => "filter",
                'i' => "set immutability",
                'u' => "update",
                'p' => "process",
                _ => "unknown",
            }
            .to_string()
        })
        .collect();
    let expires = param("se").and_then(|se| {
        let full = if se.contains('T') {
            se
        } else {
            format!("{se}T00:00:00Z")
        };
        nimbus_core::time::parse_rfc3339(&full)
    });
    Identity {
        principal: format!("SAS token for storage account {account}"),
        account: Some(account.to_string()),
        roles,
        expires,
        how: "the SAS token's own fields (sp, se)".into(),
        ..Default::default()
    }
}

/// The claims of an Entra ID access token (a JWT; read, not verified: the service verifies
/// it): the principal (`upn` for a user, else the application and object ids), the tenant
/// (`tid`) as the account, and the expiry (`exp`).
#[cfg(feature = "identity")]
pub fn token_identity(jwt: &str, how: &str) -> Result<Identity> {
    use base64::Engine;
    let bad = |why: &str| nimbus_core::Error::invalid(format!("the access token is not a JWT ({why})"));
    let payload = jwt.split('.').nth(1).ok_or_else(|| bad("no payload"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("payload is not base64url"))?;
    let c: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("payload is not JSON"))?;
    let get = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let principal = get("upn").or_else(|| get("unique_name")).unwrap_or_else(|| {
        format!(
            "application {} (object {})",
            get("appid").or_else(|| get("azp")).unwrap_or_else(|| "?".into()),
            get("oid").unwrap_or_else(|| "?".into())
        )
    });
    Ok(Identity {
        principal,
        account: get("tid"),
        roles: c
            .get("roles")
            .and_then(|r| r.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        expires: c
            .get("exp")
            .and_then(|v| v.as_u64())
            .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s)),
        how: how.into(),
        proven: true,
        project: None,
    })
}

/// An Entra ID token for Storage (`storage`) or Resource Manager, and its claims.
#[cfg(feature = "identity")]
async fn entra(storage: bool) -> Result<Identity> {
    use crate::identity::{ARM_SCOPE, STORAGE_SCOPE};
    let cred = crate::identity::credential_from_env()?;
    let t = cred
        .get_token(&[if storage { STORAGE_SCOPE } else { ARM_SCOPE }], None)
        .await
        .map_err(|e| {
            nimbus_core::Error::new(
                nimbus_core::ErrorKind::Unauthenticated,
                crate::identity::redact(&e.to_string()),
            )
        })?;
    token_identity(t.token.secret(), "Entra ID access token's claims")
}

#[cfg(not(feature = "identity"))]
async fn entra(_storage: bool) -> Result<Identity> {
    Err(nimbus_core::Error::new(
        nimbus_core::ErrorKind::Unsupported,
        "Entra ID needs the adapter's `storage` or `compute` feature",
    ))
}

/// Storage: an account key names its account (offline; `auth.storage` proves it), a SAS says
/// what it grants, Entra ID answers with a token. Resource Manager: the token's claims.
fn identity(service: &str, s: &Settings) -> IdentityFuture {
    if service == "storage" {
        let c = AzureStorageConfig::from_settings(s);
        return Box::pin(async move {
            let c = c?;
            match &c.credential {
                Credential::AccountKey(k) => Ok(Identity {
                    principal: format!("account key {} of storage account {}", k.hint(), c.account),
                    account: Some(c.account.clone()),
                    how: "the settings: an account key belongs to its account".into(),
                    ..Default::default()
                }),
                Credential::Sas(t) => Ok(sas_identity(&c.account, t.expose())),
                Credential::EntraId => entra(true).await,
            }
        });
    }
    arm_identity(s)
}

#[cfg(feature = "compute")]
fn arm_identity(s: &Settings) -> IdentityFuture {
    let c = crate::arm::ArmConfig::from_settings(s);
    Box::pin(async move {
        match c?.auth {
            crate::arm::ArmAuth::Token(t) => {
                token_identity(t.expose(), "the claims of the `token` setting").or_else(|_| {
                    Ok(Identity {
                        principal: format!("bearer token {}", t.hint()),
                        how: "the settings: an opaque bearer token".into(),
                        ..Default::default()
                    })
                })
            }
            _ => entra(false).await,
        }
    })
}

#[cfg(not(feature = "compute"))]
fn arm_identity(_: &Settings) -> IdentityFuture {
    Box::pin(async {
        Err(nimbus_core::Error::new(
            nimbus_core::ErrorKind::Unsupported,
            "compute and network need the adapter's `compute` feature",
        ))
    })
}

/// Azure Storage errors whose fix the portable kind does not say: a SAS used outside its
/// time window (expired, or a clock far enough off that it looks so) and a SAS or role without
/// the permission an operation needs (`AuthorizationPermissionMismatch`; the letters each
/// operation needs are in learn.microsoft.com/rest/api/storageservices/create-service-sas).
pub fn explain(e: &nimbus_core::Error) -> Option<Explained> {
    let msg = e.to_string().to_ascii_lowercase();
    match e.raw_code().unwrap_or("") {
        "AuthenticationFailed" | "AuthorizationFailure"
            if ["time frame", "expired", "date header", "signed expiry"].iter().any(|w| msg.contains(w)) =>
        {
            Some(Explained::clock("the SAS is outside its validity window: renew it (its `se`), or set the local clock if it is off (`timedatectl set-ntp true`)"))
        }
        "AuthorizationPermissionMismatch" | "AuthorizationResourceTypeMismatch" | "AuthorizationServiceMismatch" => Some(Explained::fix(
            "the SAS or role does not grant this operation: a SAS needs `r` to read, `l` to list, `c` and `w` to write, `d` to delete (and `srt=sco` for an account SAS); a role needs Storage Blob Data Contributor to write",
        )),
        _ => None,
    }
}

/// What a SAS's `sp` letters allow (learn.microsoft.com/rest/api/storageservices/
/// create-account-sas, "Permissions"): `r` reads, `l` lists, `w` writes (creates or
/// overwrites), `d` deletes.
pub fn sas_permissions(sas: &str) -> Vec<Permission> {
    let sp = sas_param(sas, "sp").unwrap_or_default();
    [
        ("storage.read", 'r'),
        ("storage.list", 'l'),
        ("storage.write", 'w'),
        ("storage.delete", 'd'),
    ]
    .into_iter()
    .map(|(need, letter)| Permission {
        need: need.into(),
        allowed: Some(sp.contains(letter)),
        grant: format!("SAS permission `{letter}`"),
        how: format!("the SAS's own sp={sp}"),
    })
    .collect()
}

/// Storage: an account key may do everything; a SAS says what it grants. Entra ID roles and
/// Resource Manager need the Authorization API's permissions list, not made here.
fn permissions(service: &str, s: &Settings) -> PermissionsFuture {
    let c = (service == "storage").then(|| AzureStorageConfig::from_settings(s));
    Box::pin(async move {
        let unsupported = |why: &str| Err(nimbus_core::Error::new(nimbus_core::ErrorKind::Unsupported, why));
        match c {
            Some(c) => match c?.credential {
                Credential::Sas(t) => Ok(sas_permissions(t.expose())),
                Credential::AccountKey(_) => Ok(["storage.read", "storage.list", "storage.write", "storage.delete"]
                    .into_iter()
                    .map(|need| Permission {
                        need: need.into(),
                        allowed: Some(true),
                        grant: "the account key".into(),
                        how: "an account key authorises every operation on its account".into(),
                    })
                    .collect()),
                _ => unsupported("Entra ID roles are listed by Resource Manager's permissions API (Microsoft.Authorization/permissions), which doctor does not call yet: the data-plane probes test storage"),
            },
            None => unsupported("Resource Manager's permissions API (Microsoft.Authorization/permissions) is not called yet: there is no emulator or vendor example to prove it here"),
        }
    })
}

/// What `AzureStorageConfig` and `ArmConfig` read when the profile is silent.
fn variables(service: &str) -> Vec<ProviderVariables> {
    if service == "storage" {
        vec![
            ("connection_string", &["AZURE_STORAGE_CONNECTION_STRING"]),
            ("account", &["AZURE_STORAGE_ACCOUNT"]),
            ("account_key", &["AZURE_STORAGE_KEY"]),
            ("sas_token", &["AZURE_STORAGE_SAS_TOKEN"]),
        ]
    } else {
        vec![
            ("subscription_id", &["AZURE_SUBSCRIPTION_ID"]),
            ("resource_group", &["AZURE_RESOURCE_GROUP"]),
            ("location", &["AZURE_LOCATION"]),
            ("token", &["AZURE_ACCESS_TOKEN"]),
        ]
    }
}

/// The hooks.
pub static DIAG: Diag = Diag {
    endpoints,
    stack: HttpStack::Hyper {
        ca_setting: None,
        proven_by: "crates/nimbus-cli/tests/proxy.rs",
    },
    variables,
    identity: Some(identity),
    permissions: Some(permissions),
    explain: Some(explain),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sas_says_what_it_grants_and_until_when() {
        let sas = "sv=2025-01-05&ss=b&srt=sco&sp=rl&se=2026-12-02T00%3A00%3A00Z&spr=https&sig=abc";
        let id = sas_identity("acct", sas);
        assert_eq!(id.roles, ["read", "list"]);
        assert_eq!(
            id.expires.map(nimbus_core::time::format_rfc3339).as_deref(),
            Some("2026-12-02T00:00:00Z")
        );
        assert!(!id.proven && id.account.as_deref() == Some("acct"));
        let p = sas_permissions(sas);
        let allowed: Vec<(&str, Option<bool>)> = p.iter().map(|p| (p.need.as_str(), p.allowed)).collect();
        assert_eq!(
            allowed,
            [
                ("storage.read", Some(true)),
                ("storage.list", Some(true)),
                ("storage.write", Some(false)),
                ("storage.delete", Some(false))
            ]
        );
        // A date-only expiry is midnight UTC.
        assert!(sas_identity("a", "sp=r&se=2026-12-02").expires.is_some());
    }

    #[cfg(feature = "identity")]
    #[test]
    fn token_claims_name_the_principal_and_tenant() {
        use base64::Engine;
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let jwt = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"RS256"}"#),
            enc(r#"{"appid":"app-1","oid":"obj-2","tid":"tenant-3","exp":1798761600}"#)
        );
        let id = token_identity(&jwt, "claims").unwrap();
        assert_eq!(id.principal, "application app-1 (object obj-2)");
        assert_eq!(id.account.as_deref(), Some("tenant-3"));
        assert!(id.expires.is_some() && id.proven);
        assert!(token_identity("not-a-jwt", "claims").is_err());
    }

    #[test]
    fn permission_and_time_window_errors_get_their_fixes() {
        let e = |code: &str, msg: &str| {
            nimbus_core::Error::new(nimbus_core::ErrorKind::PermissionDenied, msg).with_raw_code(code)
        };
        let x = explain(&e("AuthorizationPermissionMismatch", "no")).unwrap();
        assert!(!x.clock && x.fix.contains("`c` and `w` to write"));
        let x = explain(&e(
            "AuthenticationFailed",
            "Signature not valid in the specified time frame",
        ))
        .unwrap();
        assert!(x.clock);
        assert!(explain(&e("AuthenticationFailed", "Signature did not match")).is_none());
    }
}
