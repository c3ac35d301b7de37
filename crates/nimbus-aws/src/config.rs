//! Configuration of the AWS adapter: the provider's keys, and the SDK config built from them.

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Secret, Settings};
use nimbus_core::Result;

const STORAGE_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "region",
        aliases: &["aws_region", "default_region"],
        kind: KeyKind::String,
        doc: "AWS region (default: the AWS chain, else us-east-1).",
    },
    KeyDef {
        name: "endpoint",
        aliases: &["endpoint_url", "aws_endpoint_url"],
        kind: KeyKind::String,
        doc: "Custom endpoint (emulators, S3-compatible clouds).",
    },
    KeyDef {
        name: "access_key_id",
        aliases: &["aws_access_key_id", "access_key"],
        kind: KeyKind::Secret,
        doc: "Static access key id (otherwise the AWS chain).",
    },
    KeyDef {
        name: "secret_access_key",
        aliases: &["aws_secret_access_key", "secret_key"],
        kind: KeyKind::Secret,
        doc: "Static secret access key.",
    },
    KeyDef {
        name: "session_token",
        aliases: &["aws_session_token", "token"],
        kind: KeyKind::Secret,
        doc: "Session token for temporary credentials.",
    },
    KeyDef {
        name: "force_path_style",
        aliases: &["path_style", "virtual_hosted_style_request"],
        kind: KeyKind::Bool,
        doc: "Path-style addressing (implied by IP/localhost endpoints).",
    },
    KeyDef {
        name: "profile",
        aliases: &["aws_profile"],
        kind: KeyKind::String,
        doc: "Shared config profile of the AWS chain.",
    },
    KeyDef {
        name: "preset",
        aliases: &["s3_preset", "flavor"],
        kind: KeyKind::String,
        doc:
            "S3-compatible cloud: minio, ceph-rgw, r2, oss, cos, obs, b2 (endpoint, region, addressing, capabilities).",
    },
    KeyDef {
        name: "account_id",
        aliases: &["r2_account_id"],
        kind: KeyKind::String,
        doc: "Account id in the preset's endpoint (Cloudflare R2).",
    },
    KeyDef {
        name: "verify_etag_md5",
        aliases: &[],
        kind: KeyKind::Bool,
        doc: "Check whole reads of single-part objects stored without an S3 checksum against their ETag (an MD5 on S3 and most compatible stores); default true. Set false for a store whose ETags are not MD5 digests.",
    },
];

/// EC2 and VPC keys: the storage keys without path-style addressing.
const EC2_KEYS: &[KeyDef] = &[
    STORAGE_KEYS[0],
    STORAGE_KEYS[1],
    STORAGE_KEYS[2],
    STORAGE_KEYS[3],
    STORAGE_KEYS[4],
    STORAGE_KEYS[6],
];

/// The keys of the `aws` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "aws",
    storage: STORAGE_KEYS,
    compute: EC2_KEYS,
    network: EC2_KEYS,
};

/// Which AWS service a configuration is for: selects the service-specific endpoint variable
/// (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_EC2`) that AWS tools read before
/// `AWS_ENDPOINT_URL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Service {
    /// S3.
    S3,
    /// EC2 (instances and VPC networking).
    Ec2,
}

/// Settings of the AWS adapter. Secrets are [`Secret`]s: never printed.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AwsConfig {
    /// Region.
    pub region: Option<String>,
    /// Endpoint URL.
    pub endpoint: Option<String>,
    /// Static access key id.
    pub access_key_id: Option<Secret>,
    /// Static secret access key.
    pub secret_access_key: Option<Secret>,
    /// Session token.
    pub session_token: Option<Secret>,
    /// Path-style addressing; `None` = implied by the endpoint.
    pub force_path_style: Option<bool>,
    /// Shared config profile.
    pub profile: Option<String>,
    /// S3-compatible preset name (see [`crate::presets`]).
    pub preset: Option<String>,
    /// Account id for the preset's endpoint (R2).
    pub account_id: Option<String>,
    /// Check single-part whole reads against the ETag's MD5 (`None`: yes).
    pub verify_etag_md5: Option<bool>,
}

impl AwsConfig {
    /// From resolved settings (profile, env, explicit). Unset region and endpoint fall back
    /// to the standard `AWS_REGION` / `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` variables,
    /// as other AWS tools read them.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Self::from_settings_for(s, Service::S3)
    }

    /// Like [`AwsConfig::from_settings`] for `service`: the endpoint falls back to
    /// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`.
    pub fn from_settings_for(s: &Settings, service: Service) -> Result<Self> {
        let service_var = match service {
            Service::S3 => "AWS_ENDPOINT_URL_S3",
            Service::Ec2 => "AWS_ENDPOINT_URL_EC2",
        };
        let env = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        Ok(AwsConfig {
            region: s
                .get("region")
                .map(str::to_string)
                .or_else(|| env(&["AWS_REGION", "AWS_DEFAULT_REGION"])),
            endpoint: s
                .get("endpoint")
                .map(str::to_string)
                .or_else(|| env(&[service_var, "AWS_ENDPOINT_URL"])),
            access_key_id: s.get_secret("access_key_id"),
            secret_access_key: s.get_secret("secret_access_key"),
            session_token: s.get_secret("session_token"),
            force_path_style: if service == Service::S3 {
                s.get_bool("force_path_style")?
            } else {
                None
            },
            profile: s.get("profile").map(str::to_string),
            preset: if service == Service::S3 {
                s.get("preset").map(str::to_string)
            } else {
                None
            },
            account_id: s.get("account_id").map(str::to_string),
            verify_etag_md5: if service == Service::S3 {
                s.get_bool("verify_etag_md5")?
            } else {
                None
            },
        })
    }

    /// Static credentials and an endpoint, for emulators and S3-compatible clouds.
    pub fn with_static(endpoint: &str, region: &str, key: &str, secret: &str) -> Self {
        AwsConfig {
            region: Some(region.into()),
            endpoint: Some(endpoint.into()),
            access_key_id: Some(Secret::new(key)),
            secret_access_key: Some(Secret::new(secret)),
            ..Default::default()
        }
    }

    /// Whether path-style addressing is used: explicit, else implied by an endpoint whose host
    /// is an IP address or `localhost` (virtual-hosted names cannot resolve there).
    pub fn path_style(&self) -> bool {
        let preset = self.preset_path_style();
        self.force_path_style.unwrap_or_else(|| {
            preset
                || self.endpoint.as_deref().is_some_and(|e| {
                    let host = e
                        .split("://")
                        .nth(1)
                        .unwrap_or(e)
                        .split(['/', ':'])
                        .next()
                        .unwrap_or("");
                    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[')
                })
        })
    }

    #[cfg(feature = "storage")]
    fn preset_path_style(&self) -> bool {
        self.preset
            .as_deref()
            .and_then(|p| crate::presets::preset(p).ok())
            .is_some_and(|p| p.path_style)
    }

    #[cfg(not(feature = "storage"))]
    fn preset_path_style(&self) -> bool {
        false
    }

    /// Fills endpoint and region from the preset where they are not set; checks the preset
    /// name. Without a preset, returns the configuration unchanged.
    #[cfg(feature = "storage")]
    pub fn resolved(&self) -> Result<AwsConfig> {
        let Some(name) = &self.preset else {
            return Ok(self.clone());
        };
        let p = crate::presets::preset(name)?;
        let mut c = self.clone();
        if c.region.is_none() {
            c.region = p.default_region.map(str::to_string);
        }
        if c.endpoint.is_none() {
            c.endpoint = Some(p.endpoint_for(c.region.as_deref(), c.account_id.as_deref())?);
        }
        if c.region.is_none() {
            return Err(nimbus_core::Error::invalid(format!(
                "{} needs `region` (the signing region of your endpoint)",
                p.title
            )));
        }
        Ok(c)
    }

    /// The SDK configuration: the standard chain, overridden by what is set here.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        // The SDK's own retries are off: the retry layer above every adapter is the one policy
        // (it honours `Retry-After`, which the SDK's standard mode does not, and knows which
        // calls are idempotent); two stacked policies made up to 3 × 4 attempts per call.
        let mut l = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled());
        if let Some(p) = &self.profile {
            l = l.profile_name(p);
        }
        if let Some(r) = &self.region {
            l = l.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &self.endpoint {
            l = l.endpoint_url(e);
        }
        if let (Some(k), Some(s)) = (&self.access_key_id, &self.secret_access_key) {
            l = l.credentials_provider(aws_credential_types::Credentials::new(
                k.expose(),
                s.expose(),
                self.session_token.as_ref().map(|t| t.expose().to_string()),
                None,
                "nimbus-static",
            ));
        }
        let mut cfg = l.load().await;
        if cfg.region().is_none() {
            cfg = cfg.into_builder().region(aws_config::Region::new("us-east-1")).build();
        }
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_localhost_endpoints_imply_path_style() {
        let mut c = AwsConfig::with_static("http://127.0.0.1:9000", "us-east-1", "AK", "SK");
        assert!(c.path_style());
        c.endpoint = Some("http://localhost:4566".into());
        assert!(c.path_style());
        c.endpoint = Some("https://s3.eu-west-1.amazonaws.com".into());
        assert!(!c.path_style());
        c.force_path_style = Some(true);
        assert!(c.path_style());
    }

    #[test]
    fn the_etag_check_is_on_unless_turned_off() {
        let mut s = Settings::default();
        assert_eq!(AwsConfig::from_settings(&s).unwrap().verify_etag_md5, None);
        s.set("verify_etag_md5", "false", "test");
        assert_eq!(AwsConfig::from_settings(&s).unwrap().verify_etag_md5, Some(false));
        let ec2 = AwsConfig::from_settings_for(&s, Service::Ec2).unwrap();
        assert_eq!(ec2.verify_etag_md5, None);
    }

    #[test]
    fn secrets_never_in_debug() {
        let c = AwsConfig::with_static(
            "http://127.0.0.1:9000",
            "us-east-1",
            "AKIAEXAMPLE",
            "wJalrXUtnFEMI/SECRET",
        );
        let d = format!("{c:?}");
        assert!(!d.contains("AKIAEXAMPLE") && !d.contains("SECRET"), "{d}");
    }
}
