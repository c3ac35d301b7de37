//! Entra ID credentials (azure_identity) chosen from the standard environment, and the one
//! place that scrubs SAS signatures out of anything we print.
//!
//! azure_identity 1.0 has no `DefaultAzureCredential`; this picks the credential the same
//! variables select in Azure's other SDKs, in this order:
//! 1. `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET`: a service principal;
//! 2. `AZURE_FEDERATED_TOKEN_FILE`: workload identity (Kubernetes, GitHub OIDC);
//! 3. `IDENTITY_ENDPOINT` or `MSI_ENDPOINT`: the managed identity of the host;
//! 4. otherwise the developer tools (`az login`, `azd auth login`).

use std::sync::Arc;

use azure_core::credentials::{Secret as AzSecret, TokenCredential};
use nimbus_core::{Error, ErrorKind, Result};

/// The token scope of Azure Storage.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";
/// The token scope of Azure Resource Manager.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The Entra ID credential the environment selects (see the module docs).
pub fn credential_from_env() -> Result<Arc<dyn TokenCredential>> {
    credential_from(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// Like [`credential_from_env`] with the environment given as a function.
pub fn credential_from(env: impl Fn(&str) -> Option<String>) -> Result<Arc<dyn TokenCredential>> {
    let wrap = |what: &str, e: azure_core::Error| {
        Error::new(
            ErrorKind::Unauthenticated,
            format!("Entra ID {what}: {}", redact(&e.to_string())),
        )
    };
    if let (Some(t), Some(c), Some(s)) = (
        env("AZURE_TENANT_ID"),
        env("AZURE_CLIENT_ID"),
        env("AZURE_CLIENT_SECRET"),
    ) {
        let cred = azure_identity::ClientSecretCredential::new(&t, c, AzSecret::new(s), None)
            .map_err(|e| wrap("service principal", e))?;
        return Ok(cred);
    }
    if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        let cred = azure_identity::WorkloadIdentityCredential::new(None).map_err(|e| wrap("workload identity", e))?;
        return Ok(cred);
    }
    if env("IDENTITY_ENDPOINT").is_some() || env("MSI_ENDPOINT").is_some() {
        let cred = azure_identity::ManagedIdentityCredential::new(None).map_err(|e| wrap("managed identity", e))?;
        return Ok(cred);
    }
    let cred = azure_identity::DeveloperToolsCredential::new(None).map_err(|e| wrap("developer tools", e))?;
    Ok(cred)
}

/// Replaces the value of every `sig=` query parameter (SAS signatures) with `REDACTED`, so
/// URLs and SDK messages can be shown.
pub fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("sig=") {
        let boundary = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        if boundary {
            let end = rest
                .find(['&', ' ', '"', '\'', ';', '>', '<', ')'])
                .unwrap_or(rest.len());
            out.push_str("REDACTED");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_redacted() {
        let u = "http://h/c/b?sv=2021-10-04&sig=abc%2Fdef%3D&se=x and ?sig=zzz";
        assert_eq!(
            redact(u),
            "http://h/c/b?sv=2021-10-04&sig=REDACTED&se=x and ?sig=REDACTED"
        );
        assert_eq!(redact("design=1"), "design=1");
        assert_eq!(redact("(sig=abc)"), "(sig=REDACTED)");
    }

    #[test]
    fn service_principal_is_chosen_from_its_variables() {
        let env = |n: &str| match n {
            "AZURE_TENANT_ID" => Some("72f988bf-86f1-41af-91ab-2d7cd011db47".to_string()),
            "AZURE_CLIENT_ID" => Some("00000000-0000-0000-0000-000000000001".to_string()),
            "AZURE_CLIENT_SECRET" => Some("TOPSECRET".to_string()),
            _ => None,
        };
        let c = credential_from(env).unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("ClientSecretCredential"), "{d}");
        assert!(!d.contains("TOPSECRET"), "{d}");
    }
}
