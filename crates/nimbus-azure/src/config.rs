//! Where an Azure storage account is and how to authenticate: settings, connection strings
//! and the standard `AZURE_STORAGE_*` variables that other Azure tools read.

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Secret, Settings};
use nimbus_core::{Error, Result};

/// The compute and network keys of the `azure` provider.
pub const ARM_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "subscription_id",
        aliases: &["subscription"],
        kind: KeyKind::String,
        doc: "Subscription id (else AZURE_SUBSCRIPTION_ID).",
    },
    KeyDef {
        name: "resource_group",
        aliases: &["rg", "resource_group_name"],
        kind: KeyKind::String,
        doc: "Resource group every resource is created in and listed from (else AZURE_RESOURCE_GROUP).",
    },
    KeyDef {
        name: "location",
        aliases: &["region"],
        kind: KeyKind::String,
        doc: "Azure location, e.g. `westeurope` (else AZURE_LOCATION).",
    },
    KeyDef {
        name: "subnet",
        aliases: &["default_subnet"],
        kind: KeyKind::String,
        doc: "Subnet id for instances created without one.",
    },
    KeyDef {
        name: "ssh_public_key",
        aliases: &["ssh_key"],
        kind: KeyKind::String,
        doc: "OpenSSH public key installed for `admin_username` (Azure Linux VMs need one).",
    },
    KeyDef {
        name: "admin_username",
        aliases: &["admin_user"],
        kind: KeyKind::String,
        doc: "Administrator login of new VMs (default `nimbus`).",
    },
    KeyDef {
        name: "public_ip",
        aliases: &[],
        kind: KeyKind::Bool,
        doc: "Give new VMs a public IP address (default false).",
    },
    KeyDef {
        name: "arm_endpoint",
        aliases: &["management_endpoint"],
        kind: KeyKind::String,
        doc: "Resource Manager endpoint (default https://management.azure.com; sovereign clouds differ).",
    },
    KeyDef {
        name: "access_token",
        aliases: &["bearer_token"],
        kind: KeyKind::Secret,
        doc: "A bearer token to use instead of azure_identity (else AZURE_ACCESS_TOKEN).",
    },
];

const STORAGE_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "account",
        aliases: &["account_name", "storage_account"],
        kind: KeyKind::String,
        doc: "Storage account name (else AZURE_STORAGE_ACCOUNT or the connection string).",
    },
    KeyDef {
        name: "account_key",
        aliases: &["access_key", "key"],
        kind: KeyKind::Secret,
        doc: "Account key: Nimbus signs short-lived SAS tokens with it (else AZURE_STORAGE_KEY).",
    },
    KeyDef {
        name: "sas_token",
        aliases: &["sas", "shared_access_signature"],
        kind: KeyKind::Secret,
        doc: "A SAS token to use as is (else AZURE_STORAGE_SAS_TOKEN).",
    },
    KeyDef {
        name: "connection_string",
        aliases: &["conn_str"],
        kind: KeyKind::Secret,
        doc: "A connection string, including `UseDevelopmentStorage=true` (else AZURE_STORAGE_CONNECTION_STRING).",
    },
    KeyDef {
        name: "endpoint",
        aliases: &["blob_endpoint", "url"],
        kind: KeyKind::String,
        doc: "Blob endpoint (default https://ACCOUNT.blob.core.windows.net).",
    },
];

/// The keys of the `azure` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "azure",
    storage: STORAGE_KEYS,
    compute: ARM_KEYS,
    network: ARM_KEYS,
};

/// The account of the storage emulator, published by Microsoft for Azurite.
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
/// The emulator's published account key (not a secret: it is in Microsoft's documentation).
pub const DEV_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How requests are authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// An account key; Nimbus signs SAS tokens with it.
    AccountKey(Secret),
    /// A SAS token, used as is.
    Sas(Secret),
    /// Entra ID (azure_identity's chain); needs an https endpoint.
    EntraId,
}

/// A resolved storage account. `Debug` never shows key or SAS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AzureStorageConfig {
    /// Account name.
    pub account: String,
    /// Blob endpoint, without a trailing slash (`https://acct.blob.core.windows.net`,
    /// `http://127.0.0.1:10000/devstoreaccount1`).
    pub endpoint: String,
    /// Credential.
    pub credential: Credential,
}

impl AzureStorageConfig {
    /// From a connection string (`AccountName=…;AccountKey=…`, `BlobEndpoint=…;SharedAccessSignature=…`,
    /// `UseDevelopmentStorage=true`). Unknown keys are ignored, as Azure's own parsers do;
    /// missing parts are `InvalidInput` naming them (never echoing a secret).
    pub fn from_connection_string(cs: &str) -> Result<Self> {
        let mut kv = std::collections::BTreeMap::new();
        for part in cs.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| Error::invalid("connection string: every part must be KEY=VALUE"))?;
            kv.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
        if kv
            .get("usedevelopmentstorage")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let base = kv
                .get("developmentstorageproxyuri")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| "http://127.0.0.1:10000".into());
            return Ok(AzureStorageConfig {
                account: DEV_ACCOUNT.into(),
                endpoint: format!("{base}/{DEV_ACCOUNT}"),
                credential: Credential::AccountKey(Secret::new(DEV_ACCOUNT_KEY)),
            });
        }
        let account = kv.get("accountname").cloned();
        let endpoint = match (kv.get("blobendpoint"), &account) {
            (Some(e), _) => e.trim_end_matches('/').to_string(),
            (None, Some(a)) => {
                let proto = kv.get("defaultendpointsprotocol").map_or("https", String::as_str);
                let suffix = kv.get("endpointsuffix").map_or("core.windows.net", String::as_str);
                format!("{proto}://{a}.blob.{suffix}")
            }
            (None, None) => {
                return Err(Error::invalid(
                    "connection string names neither AccountName nor BlobEndpoint",
                ))
            }
        };
        let account = match account {
            Some(a) => a,
            None => account_from_endpoint(&endpoint)?,
        };
        let credential = if let Some(k) = kv.get("accountkey") {
            Credential::AccountKey(Secret::new(k.clone()))
        } else if let Some(s) = kv.get("sharedaccesssignature") {
            Credential::Sas(Secret::new(s.trim_start_matches('?').to_string()))
        } else {
            Credential::EntraId
        };
        Ok(AzureStorageConfig {
            account,
            endpoint,
            credential,
        })
    }

    /// From resolved settings, then the standard variables `AZURE_STORAGE_CONNECTION_STRING`,
    /// `AZURE_STORAGE_ACCOUNT`, `AZURE_STORAGE_KEY` and `AZURE_STORAGE_SAS_TOKEN`.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Self::from_parts(s, |n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`AzureStorageConfig::from_settings`] with the environment given as a function.
    pub fn from_parts(s: &Settings, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let explicit_account = s.get("account").map(str::to_string);
        if let Some(cs) = s
            .get_secret("connection_string")
            .map(|c| c.expose().to_string())
            .or_else(|| {
                // An explicit account wins over a connection string from the environment.
                explicit_account
                    .is_none()
                    .then(|| env("AZURE_STORAGE_CONNECTION_STRING"))
                    .flatten()
            })
        {
            return Self::from_connection_string(&cs);
        }
        let account = explicit_account
            .or_else(|| env("AZURE_STORAGE_ACCOUNT"))
            .ok_or_else(|| {
                Error::invalid(
                    "no Azure storage account: set `account` (or AZURE_STORAGE_ACCOUNT) or a connection string",
                )
            })?;
        let endpoint = s
            .get("endpoint")
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("https://{account}.blob.core.windows.net"));
        let credential = if let Some(k) = s
            .get_secret("account_key")
            .or_else(|| env("AZURE_STORAGE_KEY").map(Secret::new))
        {
            Credential::AccountKey(k)
        } else if let Some(t) = s
            .get_secret("sas_token")
            .or_else(|| env("AZURE_STORAGE_SAS_TOKEN").map(Secret::new))
        {
            Credential::Sas(Secret::new(t.expose().trim_start_matches('?').to_string()))
        } else {
            Credential::EntraId
        };
        Ok(AzureStorageConfig {
            account,
            endpoint,
            credential,
        })
    }
}

/// `acct` from `https://acct.blob.core.windows.net` or `http://host:port/acct`.
fn account_from_endpoint(endpoint: &str) -> Result<String> {
    let u = url::Url::parse(endpoint).map_err(|e| Error::invalid(format!("blob endpoint `{endpoint}`: {e}")))?;
    let host = u.host_str().unwrap_or_default();
    let from_path = u.path_segments().and_then(|mut p| p.next()).filter(|s| !s.is_empty());
    match (host.split_once(".blob."), from_path) {
        (Some((acct, _)), _) => Ok(acct.to_string()),
        (None, Some(p)) => Ok(p.to_string()),
        _ => Err(Error::invalid(format!(
            "cannot tell the account from blob endpoint `{endpoint}`: add AccountName"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_storage_is_azurite_on_loopback() {
        let c = AzureStorageConfig::from_connection_string("UseDevelopmentStorage=true").unwrap();
        assert_eq!(c.account, "devstoreaccount1");
        assert_eq!(c.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
        assert!(matches!(c.credential, Credential::AccountKey(_)));
        let c = AzureStorageConfig::from_connection_string(
            "UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:41234/",
        )
        .unwrap();
        assert_eq!(c.endpoint, "http://127.0.0.1:41234/devstoreaccount1");
    }

    #[test]
    fn account_key_and_sas_connection_strings() {
        let c = AzureStorageConfig::from_connection_string(
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
        )
        .unwrap();
        assert_eq!(c.endpoint, "https://acme.blob.core.windows.net");
        assert_eq!(c.credential, Credential::AccountKey(Secret::new("c2VjcmV0")));
        let c = AzureStorageConfig::from_connection_string(
            "BlobEndpoint=https://acme.blob.core.windows.net/;SharedAccessSignature=?sv=2021-10-04&sig=abc",
        )
        .unwrap();
        assert_eq!(c.account, "acme");
        assert_eq!(c.credential, Credential::Sas(Secret::new("sv=2021-10-04&sig=abc")));
        let e = AzureStorageConfig::from_connection_string("Foo").unwrap_err();
        assert!(e.to_string().contains("KEY=VALUE"), "{e}");
    }

    #[test]
    fn secrets_never_in_debug_or_errors() {
        let c = AzureStorageConfig::from_connection_string(
            "AccountName=acme;AccountKey=VERYSECRETKEY;SharedAccessSignature=sig=TOPSECRET",
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("VERYSECRETKEY") && !d.contains("TOPSECRET"), "{d}");
        let e = AzureStorageConfig::from_connection_string("AccountKey=VERYSECRETKEY").unwrap_err();
        assert!(!e.to_string().contains("VERYSECRETKEY"), "{e}");
    }

    #[test]
    fn standard_variables_are_read() {
        let env = |n: &str| match n {
            "AZURE_STORAGE_ACCOUNT" => Some("acme".to_string()),
            "AZURE_STORAGE_KEY" => Some("a2V5".to_string()),
            _ => None,
        };
        let c = AzureStorageConfig::from_parts(&Settings::default(), env).unwrap();
        assert_eq!(c.endpoint, "https://acme.blob.core.windows.net");
        assert_eq!(c.credential, Credential::AccountKey(Secret::new("a2V5")));
        let none = AzureStorageConfig::from_parts(&Settings::default(), |_| None).unwrap_err();
        assert!(none.to_string().contains("AZURE_STORAGE_ACCOUNT"), "{none}");
    }
}
