//! Where ARM calls go: subscription, resource group, location and credentials.

use std::time::Duration;

use nimbus_core::config::{Secret, Settings};
use nimbus_core::{Error, Result};

/// How ARM requests are authorised. `Debug` never shows a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArmAuth {
    /// Entra ID through azure_identity (see [`crate::identity`]).
    EntraId,
    /// A bearer token obtained elsewhere (`az account get-access-token`), or a test token.
    Token(Secret),
}

/// A resolved ARM target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArmConfig {
    /// `https://management.azure.com`, without a trailing slash.
    pub endpoint: String,
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Location (region).
    pub location: String,
    /// Default subnet id for new instances.
    pub subnet: Option<String>,
    /// SSH public key for new Linux VMs.
    pub ssh_public_key: Option<String>,
    /// Administrator login of new VMs.
    pub admin_username: String,
    /// Whether new VMs get a public IP.
    pub public_ip: bool,
    /// Credentials.
    pub auth: ArmAuth,
    /// Poll interval of long-running operations when the service sends no `Retry-After`.
    pub poll_interval: Duration,
}

impl ArmConfig {
    /// A target with the given names, Entra ID credentials and the public endpoint.
    pub fn new(
        subscription: impl Into<String>,
        resource_group: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        ArmConfig {
            endpoint: "https://management.azure.com".into(),
            subscription: subscription.into(),
            resource_group: resource_group.into(),
            location: location.into(),
            subnet: None,
            ssh_public_key: None,
            admin_username: "nimbus".into(),
            public_ip: false,
            auth: ArmAuth::EntraId,
            poll_interval: Duration::from_secs(2),
        }
    }

    /// From resolved settings, then `AZURE_SUBSCRIPTION_ID`, `AZURE_RESOURCE_GROUP`,
    /// `AZURE_LOCATION` and `AZURE_ACCESS_TOKEN`. Missing names are `InvalidInput` naming
    /// the key and the variable.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Self::from_parts(s, |n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`ArmConfig::from_settings`] with the environment given as a function.
    pub fn from_parts(s: &Settings, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let need = |key: &str, var: &str| {
            s.get(key)
                .map(str::to_string)
                .or_else(|| env(var))
                .ok_or_else(|| Error::invalid(format!("azure compute/network needs `{key}` (or {var})")))
        };
        let mut c = ArmConfig::new(
            need("subscription_id", "AZURE_SUBSCRIPTION_ID")?,
            need("resource_group", "AZURE_RESOURCE_GROUP")?,
            need("location", "AZURE_LOCATION")?,
        );
        if let Some(e) = s.get("arm_endpoint") {
            c.endpoint = e.trim_end_matches('/').to_string();
        }
        c.subnet = s.get("subnet").map(str::to_string);
        c.ssh_public_key = s.get("ssh_public_key").map(str::to_string);
        if let Some(u) = s.get("admin_username") {
            c.admin_username = u.to_string();
        }
        c.public_ip = s.get("public_ip").is_some_and(|v| v == "true");
        if let Some(t) = s
            .get_secret("access_token")
            .or_else(|| env("AZURE_ACCESS_TOKEN").map(Secret::new))
        {
            c.auth = ArmAuth::Token(t);
        }
        Ok(c)
    }

    /// `/subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME`.
    pub fn resource_id(&self, namespace_type: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{namespace_type}/{name}",
            self.subscription, self.resource_group
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_settings_or_standard_variables() {
        let env = |n: &str| match n {
            "AZURE_SUBSCRIPTION_ID" => Some("sub".to_string()),
            "AZURE_RESOURCE_GROUP" => Some("rg".to_string()),
            "AZURE_LOCATION" => Some("westus".to_string()),
            "AZURE_ACCESS_TOKEN" => Some("TOPSECRET".to_string()),
            _ => None,
        };
        let c = ArmConfig::from_parts(&Settings::default(), env).unwrap();
        assert_eq!(
            c.resource_id("Microsoft.Network/virtualNetworks", "v"),
            "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
        );
        assert!(!format!("{c:?}").contains("TOPSECRET"));
        let e = ArmConfig::from_parts(&Settings::default(), |_| None).unwrap_err();
        assert!(e.to_string().contains("AZURE_SUBSCRIPTION_ID"), "{e}");
    }
}
