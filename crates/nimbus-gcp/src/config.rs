//! Where Cloud Storage is and how to authenticate: settings, the standard
//! `STORAGE_EMULATOR_HOST` that Google's own clients honour, `GOOGLE_CLOUD_PROJECT` and
//! `GOOGLE_APPLICATION_CREDENTIALS` (Application Default Credentials otherwise).

use std::path::PathBuf;

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Settings};
use nimbus_core::{Error, Result};

/// The key file of both services (storage, and compute/network).
const CREDENTIALS_FILE: KeyDef = KeyDef {
    name: "credentials_file",
    aliases: &["service_account_key", "key_file"],
    kind: KeyKind::String,
    doc: "Service-account key file (else GOOGLE_APPLICATION_CREDENTIALS, else Application Default Credentials).",
};

const STORAGE_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "project",
        aliases: &["project_id"],
        kind: KeyKind::String,
        doc: "Project that owns new buckets and is listed (else GOOGLE_CLOUD_PROJECT).",
    },
    KeyDef {
        name: "endpoint",
        aliases: &["emulator_host", "url"],
        kind: KeyKind::String,
        doc: "Storage endpoint (default https://storage.googleapis.com; STORAGE_EMULATOR_HOST also sets it, with anonymous credentials).",
    },
    CREDENTIALS_FILE,
    KeyDef {
        name: "anonymous",
        aliases: &[],
        kind: KeyKind::Bool,
        doc: "Send no credentials (public buckets, emulators).",
    },
    KeyDef {
        name: "signing_key_file",
        aliases: &["signed_url_key", "signing_credentials_file"],
        kind: KeyKind::String,
        doc: "Service-account key that signs V4 signed URLs (else NIMBUS_GCS_SIGNING_KEY_FILE, else `credentials_file` when it is a service-account key). Without one, presign is undeclared.",
    },
];

/// Keys of Compute Engine and VPC (shared by compute and network).
const GCE_KEYS: &[KeyDef] = &[
    KeyDef {
        name: "project",
        aliases: &["project_id"],
        kind: KeyKind::String,
        doc: "Project (else GOOGLE_CLOUD_PROJECT, else CLOUDSDK_CORE_PROJECT).",
    },
    KeyDef {
        name: "region",
        aliases: &["location"],
        kind: KeyKind::String,
        doc: "Region of new subnetworks (else CLOUDSDK_COMPUTE_REGION, else the zone's region).",
    },
    KeyDef {
        name: "zone",
        aliases: &[],
        kind: KeyKind::String,
        doc: "Zone of new instances (else CLOUDSDK_COMPUTE_ZONE).",
    },
    KeyDef {
        name: "network",
        aliases: &[],
        kind: KeyKind::String,
        doc: "Network of instances created without a subnet (default `default`).",
    },
    KeyDef {
        name: "public_ip",
        aliases: &["external_ip"],
        kind: KeyKind::Bool,
        doc: "Give new instances an ephemeral external IPv4 address (default false).",
    },
    KeyDef {
        name: "operation_timeout",
        aliases: &[],
        kind: KeyKind::Duration,
        doc: "Longest wait for one Compute Engine operation, e.g. `10m` (default 15m).",
    },
    KeyDef {
        name: "compute_endpoint",
        aliases: &["endpoint"],
        kind: KeyKind::String,
        doc: "Compute Engine API root (default https://compute.googleapis.com/compute/v1).",
    },
    CREDENTIALS_FILE,
    KeyDef {
        name: "anonymous",
        aliases: &[],
        kind: KeyKind::Bool,
        doc: "Send no credentials (mock servers).",
    },
];

/// The keys of the `gcp` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "gcp",
    storage: STORAGE_KEYS,
    compute: GCE_KEYS,
    network: GCE_KEYS,
};

/// A resolved Compute Engine target: project, region, zone and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GceConfig {
    /// API root, `https://compute.googleapis.com/compute/v1`, without a trailing slash.
    pub endpoint: String,
    /// Project.
    pub project: String,
    /// Region of new subnetworks.
    pub region: String,
    /// Zone of new instances.
    pub zone: String,
    /// Network of instances created without a subnet.
    pub network: String,
    /// Whether new instances get an ephemeral external address.
    pub public_ip: bool,
    /// Credentials.
    pub auth: GcsAuth,
    /// Pause between `wait` calls on an operation that is not done yet.
    pub poll_interval: std::time::Duration,
    /// Longest total wait for one operation (default 15 minutes); then `Timeout` naming it.
    pub operation_timeout: std::time::Duration,
}

/// Default of [`GceConfig::operation_timeout`]: instance inserts and deletes usually finish
/// in well under a minute, and a stuck operation must not hang the caller forever.
pub(crate) const OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl GceConfig {
    /// A target with Application Default Credentials and the public endpoint; the region
    /// is the zone's (`us-central1-a` → `us-central1`).
    pub fn new(project: impl Into<String>, zone: impl Into<String>) -> Self {
        let zone = zone.into();
        GceConfig {
            endpoint: "https://compute.googleapis.com/compute/v1".into(),
            project: project.into(),
            region: region_of_zone(&zone).to_string(),
            zone,
            network: "default".into(),
            public_ip: false,
            auth: GcsAuth::Adc,
            poll_interval: std::time::Duration::from_secs(1),
            operation_timeout: OPERATION_TIMEOUT,
        }
    }

    /// From resolved settings, then `GOOGLE_CLOUD_PROJECT`, `CLOUDSDK_COMPUTE_ZONE`,
    /// `CLOUDSDK_COMPUTE_REGION` and `GOOGLE_APPLICATION_CREDENTIALS`. A missing project or
    /// zone is `InvalidInput` naming the key and the variable.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Self::from_parts(s, |n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`GceConfig::from_settings`] with the environment given as a function.
    pub fn from_parts(s: &Settings, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let project = s
            .get("project")
            .map(str::to_string)
            .or_else(|| env("GOOGLE_CLOUD_PROJECT"))
            .or_else(|| env("CLOUDSDK_CORE_PROJECT"))
            .ok_or_else(|| Error::invalid("gcp compute/network needs `project` (or GOOGLE_CLOUD_PROJECT)"))?;
        let zone = s
            .get("zone")
            .map(str::to_string)
            .or_else(|| env("CLOUDSDK_COMPUTE_ZONE"))
            .ok_or_else(|| Error::invalid("gcp compute/network needs `zone` (or CLOUDSDK_COMPUTE_ZONE)"))?;
        let mut c = GceConfig::new(project, zone);
        if let Some(r) = s
            .get("region")
            .map(str::to_string)
            .or_else(|| env("CLOUDSDK_COMPUTE_REGION"))
        {
            c.region = r;
        }
        if let Some(n) = s.get("network") {
            c.network = n.to_string();
        }
        c.public_ip = s.get("public_ip") == Some("true");
        if let Some(t) = s.get_duration("operation_timeout")? {
            c.operation_timeout = t;
        }
        if let Some(e) = s.get("compute_endpoint") {
            c.endpoint = e.trim_end_matches('/').to_string();
        }
        url::Url::parse(&c.endpoint).map_err(|e| Error::invalid(format!("compute endpoint `{}`: {e}", c.endpoint)))?;
        c.auth = resolve_auth(s, &env, c.auth)?;
        Ok(c)
    }
}

/// The credentials the settings and `GOOGLE_APPLICATION_CREDENTIALS` ask for: a key file
/// (which must exist), overridden by `anonymous`, else `default`.
fn resolve_auth(s: &Settings, env: &impl Fn(&str) -> Option<String>, default: GcsAuth) -> Result<GcsAuth> {
    let auth = match s
        .get("credentials_file")
        .map(str::to_string)
        .or_else(|| env("GOOGLE_APPLICATION_CREDENTIALS"))
    {
        Some(f) if !PathBuf::from(&f).is_file() => {
            return Err(Error::invalid(format!("credentials file `{f}` does not exist")))
        }
        Some(f) => GcsAuth::ServiceAccountFile(PathBuf::from(f)),
        None => default,
    };
    Ok(if s.get("anonymous") == Some("true") {
        GcsAuth::Anonymous
    } else {
        auth
    })
}

/// The key that signs URLs: `signing_key_file`, else `NIMBUS_GCS_SIGNING_KEY_FILE`, else the
/// credentials file when its `type` is `service_account` (an authorized-user or external
/// account file cannot sign). A named file that does not exist is `InvalidInput`.
fn signing_key(s: &Settings, env: &impl Fn(&str) -> Option<String>, auth: &GcsAuth) -> Result<Option<PathBuf>> {
    if let Some(f) = s
        .get("signing_key_file")
        .map(str::to_string)
        .or_else(|| env("NIMBUS_GCS_SIGNING_KEY_FILE"))
    {
        if !PathBuf::from(&f).is_file() {
            return Err(Error::invalid(format!("signing key file `{f}` does not exist")));
        }
        return Ok(Some(PathBuf::from(f)));
    }
    Ok(match auth {
        GcsAuth::ServiceAccountFile(p) if key_type(p).as_deref() == Some("service_account") => Some(p.clone()),
        _ => None,
    })
}

/// The `type` field of a Google credentials file, if it is readable JSON.
fn key_type(p: &std::path::Path) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    v.get("type")?.as_str().map(str::to_string)
}

/// `us-central1-a` → `us-central1`.
pub fn region_of_zone(zone: &str) -> &str {
    zone.rsplit_once('-').map_or(zone, |(r, _)| r)
}

/// How requests to Google APIs are authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GcsAuth {
    /// Application Default Credentials (google-cloud-auth's chain).
    Adc,
    /// A service-account key file (also what V4 signed URLs need).
    ServiceAccountFile(PathBuf),
    /// No credentials.
    Anonymous,
}

/// A resolved Cloud Storage target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcsConfig {
    /// `https://storage.googleapis.com` or an emulator, without a trailing slash.
    pub endpoint: String,
    /// Project (needed to create and list buckets).
    pub project: Option<String>,
    /// Credentials.
    pub auth: GcsAuth,
    /// Service-account key that signs V4 signed URLs; `None`: presign is undeclared.
    /// Separate from `auth` so an emulator can be reached anonymously while URLs are still
    /// signed with a real RSA key.
    pub signing_key_file: Option<PathBuf>,
}

impl GcsConfig {
    /// The public endpoint with Application Default Credentials.
    pub fn new(project: Option<String>) -> Self {
        GcsConfig {
            endpoint: "https://storage.googleapis.com".into(),
            project,
            auth: GcsAuth::Adc,
            signing_key_file: None,
        }
    }

    /// An emulator at `host` (`127.0.0.1:80` or a URL), anonymous, project `test-project`
    /// unless given.
    pub fn emulator(host: &str) -> Self {
        let endpoint = if host.contains("://") {
            host.trim_end_matches('/').to_string()
        } else {
            format!("http://{}", host.trim_end_matches('/'))
        };
        GcsConfig {
            endpoint,
            project: Some("test-project".into()),
            auth: GcsAuth::Anonymous,
            signing_key_file: None,
        }
    }

    /// From resolved settings, then the standard variables.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Self::from_parts(s, |n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    }

    /// Like [`GcsConfig::from_settings`] with the environment given as a function.
    pub fn from_parts(s: &Settings, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let project = s
            .get("project")
            .map(str::to_string)
            .or_else(|| env("GOOGLE_CLOUD_PROJECT"))
            .or_else(|| env("CLOUDSDK_CORE_PROJECT"));
        let mut c = match (s.get("endpoint"), env("STORAGE_EMULATOR_HOST")) {
            (Some(e), _) => {
                let mut c = GcsConfig::new(project.clone());
                c.endpoint = e.trim_end_matches('/').to_string();
                c
            }
            (None, Some(host)) => {
                let mut c = GcsConfig::emulator(&host);
                if project.is_some() {
                    c.project = project.clone();
                }
                c
            }
            (None, None) => GcsConfig::new(project.clone()),
        };
        c.auth = resolve_auth(s, &env, c.auth)?;
        c.signing_key_file = signing_key(s, &env, &c.auth)?;
        url::Url::parse(&c.endpoint).map_err(|e| Error::invalid(format!("storage endpoint `{}`: {e}", c.endpoint)))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_host_means_anonymous_http() {
        let env = |n: &str| (n == "STORAGE_EMULATOR_HOST").then(|| "127.0.0.1:80".to_string());
        let c = GcsConfig::from_parts(&Settings::default(), env).unwrap();
        assert_eq!(c.endpoint, "http://127.0.0.1:80");
        assert_eq!(c.auth, GcsAuth::Anonymous);
        let c = GcsConfig::from_parts(&Settings::default(), |_| None).unwrap();
        assert_eq!(c.endpoint, "https://storage.googleapis.com");
        assert_eq!(c.auth, GcsAuth::Adc);
    }

    #[test]
    fn compute_needs_a_project_and_zone() {
        let env = |n: &str| match n {
            "GOOGLE_CLOUD_PROJECT" => Some("p".to_string()),
            "CLOUDSDK_COMPUTE_ZONE" => Some("europe-west1-b".to_string()),
            _ => None,
        };
        let c = GceConfig::from_parts(&Settings::default(), env).unwrap();
        assert_eq!((c.region.as_str(), c.zone.as_str()), ("europe-west1", "europe-west1-b"));
        let e = GceConfig::from_parts(&Settings::default(), |_| None).unwrap_err();
        assert!(e.to_string().contains("GOOGLE_CLOUD_PROJECT"), "{e}");
    }

    #[test]
    fn signing_key_comes_from_the_setting_or_a_service_account_credentials_file() {
        let dir = std::env::temp_dir().join(format!("nimbus-gcp-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sa = dir.join("sa.json");
        std::fs::write(&sa, r#"{"type":"service_account"}"#).unwrap();
        let user = dir.join("user.json");
        std::fs::write(&user, r#"{"type":"authorized_user"}"#).unwrap();
        let with = |k: &str, v: &std::path::Path| {
            let mut s = Settings::default();
            s.set(k, v.to_str().unwrap(), "explicit");
            s
        };
        let c = GcsConfig::from_parts(&with("credentials_file", &sa), |_| None).unwrap();
        assert_eq!(c.signing_key_file.as_deref(), Some(sa.as_path()));
        let c = GcsConfig::from_parts(&with("credentials_file", &user), |_| None).unwrap();
        assert_eq!(c.signing_key_file, None, "an authorized-user file cannot sign");
        let env = |n: &str| (n == "STORAGE_EMULATOR_HOST").then(|| "127.0.0.1:80".to_string());
        let c = GcsConfig::from_parts(&with("signing_key_file", &sa), env).unwrap();
        assert_eq!(
            (c.auth, c.signing_key_file.as_deref()),
            (GcsAuth::Anonymous, Some(sa.as_path()))
        );
        let e = GcsConfig::from_parts(&with("signing_key_file", &dir.join("nope.json")), |_| None).unwrap_err();
        assert!(e.to_string().contains("nope.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_key_file_is_named() {
        let env = |n: &str| (n == "GOOGLE_APPLICATION_CREDENTIALS").then(|| "/nonexistent/key.json".to_string());
        let e = GcsConfig::from_parts(&Settings::default(), env).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/key.json"), "{e}");
    }
}
