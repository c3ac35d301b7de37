//! The provider's settings and where they come from.
//!
//! Why three sources: customers on OpenStack already have credentials in the form the
//! `openstack` CLI and openstacksdk read, and asking them to retype those into a Nimbus
//! profile is where mistakes start. So, as those tools do:
//! - when a cloud is named (`cloud` key or `OS_CLOUD`), its `clouds.yaml` entry is the base;
//! - otherwise the `OS_*` variables are the base;
//! - keys set in the Nimbus profile (or `NIMBUS_*`) override either.
//!
//! Secrets (password, application-credential secret, token, TempURL key) are held as
//! [`Secret`] from the moment they are read, so `Debug` never shows them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nimbus_core::config::{KeyDef, KeyKind, ProviderSchema, Secret, Settings};
use nimbus_core::{Error, Result};

use crate::clouds;

macro_rules! key {
    ($name:literal, [$($alias:literal),*], $kind:ident, $doc:literal) => {
        KeyDef { name: $name, aliases: &[$($alias),*], kind: KeyKind::$kind, doc: $doc }
    };
}

/// The keys of one service: the identity keys (every service authenticates the same way),
/// then the service's own.
macro_rules! with_identity_keys {
    ($($extra:expr),* $(,)?) => {
        &[
        key!("cloud", ["os_cloud"], String, "Entry of clouds.yaml to read (else OS_CLOUD)."),
        key!("clouds_file", ["os_client_config_file"], String, "Path of clouds.yaml (else OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)."),
        key!("auth_url", ["os_auth_url"], String, "Keystone URL, with or without /v3 (else OS_AUTH_URL)."),
        key!("region", ["region_name", "os_region_name"], String, "Region of the service catalog to use (else OS_REGION_NAME; the only one when the catalog has one)."),
        key!("interface", ["endpoint_type", "os_interface"], String, "Catalog interface: public (default), internal or admin (else OS_INTERFACE)."),
        key!("username", ["os_username"], String, "User name for password auth (else OS_USERNAME)."),
        key!("user_id", ["os_user_id"], String, "User id for password auth (else OS_USER_ID)."),
        key!("password", ["os_password"], Secret, "Password (else OS_PASSWORD)."),
        key!("user_domain_name", ["os_user_domain_name"], String, "Domain of the user (else OS_USER_DOMAIN_NAME; default `Default`)."),
        key!("user_domain_id", ["os_user_domain_id"], String, "Domain id of the user (else OS_USER_DOMAIN_ID)."),
        key!("project_name", ["tenant_name", "os_project_name"], String, "Project to scope to (else OS_PROJECT_NAME)."),
        key!("project_id", ["tenant_id", "os_project_id"], String, "Project id to scope to (else OS_PROJECT_ID)."),
        key!("project_domain_name", ["os_project_domain_name"], String, "Domain of the project (else OS_PROJECT_DOMAIN_NAME; default `Default`)."),
        key!("project_domain_id", ["os_project_domain_id"], String, "Domain id of the project (else OS_PROJECT_DOMAIN_ID)."),
        key!("application_credential_id", ["os_application_credential_id"], String, "Application credential id (else OS_APPLICATION_CREDENTIAL_ID)."),
        key!("application_credential_name", ["os_application_credential_name"], String, "Application credential name, with username and user domain (else OS_APPLICATION_CREDENTIAL_NAME)."),
        key!("application_credential_secret", ["os_application_credential_secret"], Secret, "Application credential secret (else OS_APPLICATION_CREDENTIAL_SECRET)."),
        key!("token", ["os_token"], Secret, "An existing Keystone token to rescope (else OS_TOKEN)."),
        key!("cacert", ["os_cacert", "ca_bundle"], String, "PEM file of the CA that signed the cloud's certificates (else OS_CACERT)."),
        key!("insecure", ["os_insecure"], Bool, "Skip TLS verification (test clouds only; else OS_INSECURE)."),
            $($extra),*
        ]
    };
}

/// The keys of the `openstack` provider.
pub const SCHEMA: ProviderSchema = ProviderSchema {
    provider: "openstack",
    storage: with_identity_keys![
        key!(
            "temp_url_key",
            ["os_temp_url_key"],
            Secret,
            "Swift TempURL key used to presign; read from the account metadata when not set."
        ),
        key!(
            "object_store_endpoint_override",
            [],
            String,
            "Swift URL to use instead of the catalog's (a proxy, an internal name); `%(project_id)s` stands for the token's project (else clouds.yaml or OS_OBJECT_STORE_ENDPOINT_OVERRIDE)."
        ),
    ],
    compute: with_identity_keys![
        key!(
            "compute_endpoint_override",
            [],
            String,
            "Nova URL to use instead of the catalog's (else clouds.yaml or OS_COMPUTE_ENDPOINT_OVERRIDE)."
        ),
        key!(
            "image_endpoint_override",
            [],
            String,
            "Glance URL to use instead of the catalog's (else clouds.yaml or OS_IMAGE_ENDPOINT_OVERRIDE)."
        ),
        key!(
            "network_endpoint_override",
            [],
            String,
            "Neutron URL (for servers' ports) to use instead of the catalog's (else clouds.yaml or OS_NETWORK_ENDPOINT_OVERRIDE)."
        ),
        key!(
            "key_name",
            ["os_key_name"],
            String,
            "Nova keypair injected into new servers."
        ),
        key!(
            "network",
            ["os_network"],
            String,
            "Network (id or name) for servers created without a subnet; `auto`: Nova picks; unset or `none`: no network interface."
        ),
        key!(
            "max_microversion",
            [],
            String,
            "Highest compute microversion to use (e.g. 2.79); default: the highest both sides know."
        ),
    ],
    network: with_identity_keys![key!(
        "network_endpoint_override",
        [],
        String,
        "Neutron URL to use instead of the catalog's (else clouds.yaml or OS_NETWORK_ENDPOINT_OVERRIDE)."
    )],
};

/// The catalog interface to pick endpoints from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Interface {
    /// `public` (the default, as in the `openstack` CLI).
    #[default]
    Public,
    /// `internal`: for workloads inside the cloud.
    Internal,
    /// `admin`.
    Admin,
}

impl Interface {
    /// Keystone's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Public => "public",
            Interface::Internal => "internal",
            Interface::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        // Keystone v2 names (`publicURL`) are still common in old openrc files.
        match s.trim().to_ascii_lowercase().trim_end_matches("url") {
            "public" => Ok(Interface::Public),
            "internal" => Ok(Interface::Internal),
            "admin" => Ok(Interface::Admin),
            other => Err(Error::invalid(format!(
                "interface `{other}`: expected public, internal or admin"
            ))),
        }
    }
}

/// How to authenticate to Keystone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// User name or id with a password, scoped to a project.
    Password {
        /// User name (with its domain) or id.
        user: UserRef,
        /// Password.
        password: Secret,
    },
    /// An application credential (already scoped to its project).
    ApplicationCredential {
        /// Id, or name with the owning user.
        credential: AppCredRef,
        /// Secret.
        secret: Secret,
    },
    /// An existing token, re-scoped to the project.
    Token(Secret),
}

/// A user, by id or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// By id.
    Id(String),
    /// By name within a domain.
    Name {
        /// Name.
        name: String,
        /// Domain.
        domain: DomainRef,
    },
}

/// An application credential, by id or by name of its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCredRef {
    /// By id.
    Id(String),
    /// By name, with its user.
    Name {
        /// Credential name.
        name: String,
        /// Owner.
        user: UserRef,
    },
}

/// A domain, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    /// By id.
    Id(String),
    /// By name.
    Name(String),
}

/// The project to scope to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    /// By id.
    Id(String),
    /// By name within a domain.
    Name {
        /// Name.
        name: String,
        /// Domain.
        domain: DomainRef,
    },
}

/// A resolved OpenStack target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenStackConfig {
    /// Keystone v3 URL, ending in `/v3`.
    pub auth_url: String,
    /// Catalog region (`None`: the catalog must have exactly one per service).
    pub region: Option<String>,
    /// Catalog interface.
    pub interface: Interface,
    /// Credentials.
    pub auth: Auth,
    /// Project scope (`None` with application credentials).
    pub project: Option<ProjectRef>,
    /// Extra CA bundle (PEM).
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification.
    pub insecure: bool,
    /// Swift TempURL key.
    pub temp_url_key: Option<Secret>,
    /// Nova keypair for new servers.
    pub key_name: Option<String>,
    /// Default network for servers created without a subnet.
    pub network: Option<String>,
    /// Highest compute microversion to negotiate (`(2, 79)`).
    pub max_microversion: Option<(u32, u32)>,
    /// Service URLs used instead of the catalog's, by catalog service type
    /// (`<service>_endpoint_override`; see `endpoint_override`).
    pub endpoint_overrides: BTreeMap<String, String>,
    /// Where the base values came from (`clouds.yaml entry NAME`, `OS_* variables`), for
    /// error messages and `nimbus doctor`.
    pub origin: String,
}

impl OpenStackConfig {
    /// From resolved settings over `clouds.yaml` or the process's `OS_*` variables.
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, v)| k.starts_with("OS_") && !v.is_empty())
            .collect();
        Self::from_parts(s, &env)
    }

    /// From resolved settings over `clouds.yaml` or the given `OS_*` variables (testable
    /// without touching the process environment).
    pub fn from_parts(s: &Settings, env: &BTreeMap<String, String>) -> Result<Self> {
        let cloud = s
            .get("cloud")
            .map(str::to_string)
            .or_else(|| env.get("OS_CLOUD").cloned());
        let (base, origin) = match &cloud {
            Some(name) => {
                let file = s
                    .get("clouds_file")
                    .map(PathBuf::from)
                    .or_else(|| env.get("OS_CLIENT_CONFIG_FILE").map(PathBuf::from));
                let (values, path) = clouds::load(name, file.as_deref())?;
                (values, format!("clouds.yaml entry `{name}` ({})", path.display()))
            }
            None => (clouds::from_env(env), "OS_* variables".to_string()),
        };
        let get = |k: &str| -> Option<String> {
            s.get(k)
                .map(str::to_string)
                .or_else(|| base.get(k).cloned())
                .filter(|v| !v.is_empty())
        };
        let auth_url = get("auth_url").ok_or_else(|| {
            Error::invalid(format!(
                "openstack: no `auth_url` (set it in the profile, OS_AUTH_URL or clouds.yaml; base: {origin})"
            ))
        })?;
        let domain = |id: &str, name: &str| match (get(id), get(name)) {
            (Some(i), _) => DomainRef::Id(i),
            (None, Some(n)) => DomainRef::Name(n),
            (None, None) => DomainRef::Name("Default".into()),
        };
        let user = || match (get("user_id"), get("username")) {
            (Some(id), _) => Some(UserRef::Id(id)),
            (None, Some(name)) => Some(UserRef::Name {
                name,
                domain: domain("user_domain_id", "user_domain_name"),
            }),
            (None, None) => None,
        };
        // An empty value counts as unset, as for every other key.
        let secret = |k: &str| get(k).map(Secret::new);
        let auth = if let Some(secret) = secret("application_credential_secret") {
            let credential = match (get("application_credential_id"), get("application_credential_name")) {
                (Some(id), _) => AppCredRef::Id(id),
                (None, Some(name)) => AppCredRef::Name {
                    name,
                    user: user().ok_or_else(|| {
                        Error::invalid("openstack: an application credential by name needs `username` or `user_id`")
                    })?,
                },
                (None, None) => {
                    return Err(Error::invalid(
                        "openstack: `application_credential_secret` is set but neither `application_credential_id` nor `application_credential_name`",
                    ))
                }
            };
            Auth::ApplicationCredential { credential, secret }
        } else if let Some(password) = secret("password") {
            Auth::Password {
                user: user().ok_or_else(|| Error::invalid("openstack: a password needs `username` or `user_id`"))?,
                password,
            }
        } else if let Some(token) = secret("token") {
            Auth::Token(token)
        } else {
            return Err(Error::invalid(format!(
                "openstack: no credentials: set `password` (with `username`), `application_credential_secret` or `token` (base: {origin})"
            ))
            .with_raw_code("MissingCredentials"));
        };
        let project = match (get("project_id"), get("project_name")) {
            (Some(id), _) => Some(ProjectRef::Id(id)),
            (None, Some(name)) => Some(ProjectRef::Name {
                name,
                domain: domain("project_domain_id", "project_domain_name"),
            }),
            (None, None) => None,
        };
        if project.is_none() && !matches!(auth, Auth::ApplicationCredential { .. }) {
            return Err(Error::invalid(
                "openstack: no project: set `project_name` or `project_id` (compute, network and storage are project-scoped)",
            ));
        }
        let insecure = match s.get_bool("insecure")? {
            Some(b) => b,
            None => base
                .get("insecure")
                .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")),
        };
        let max_microversion = match s.get("max_microversion") {
            None => None,
            Some(v) => Some(crate::client::parse_microversion(v).ok_or_else(|| {
                Error::invalid(format!("`max_microversion` = `{v}`: expected MAJOR.MINOR such as 2.79"))
            })?),
        };
        Ok(OpenStackConfig {
            auth_url: normalise_auth_url(&auth_url)?,
            region: get("region"),
            interface: get("interface")
                .map(|i| Interface::parse(&i))
                .transpose()?
                .unwrap_or_default(),
            auth,
            project,
            cacert: get("cacert").map(PathBuf::from),
            insecure,
            temp_url_key: s.get_secret("temp_url_key"),
            key_name: get("key_name"),
            network: get("network"),
            max_microversion,
            endpoint_overrides: crate::endpoint_override::from_values(get)?,
            origin,
        })
    }
}

/// `https://keystone:5000`, `…/v3`, `…/v3/` and `…/identity/v3` → the v3 root without a
/// trailing slash. A `/v2.0` URL is refused: Keystone v2 is gone since Queens.
fn normalise_auth_url(raw: &str) -> Result<String> {
    let u = url::Url::parse(raw.trim()).map_err(|e| Error::invalid(format!("auth_url `{raw}`: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(Error::invalid(format!("auth_url `{raw}`: expected an http(s) URL")));
    }
    let s = u.as_str().trim_end_matches('/');
    if s.ends_with("/v2.0") {
        return Err(Error::invalid(format!(
            "auth_url `{raw}` is Keystone v2.0, which OpenStack removed in Queens: use the /v3 URL"
        )));
    }
    Ok(if s.ends_with("/v3") {
        s.to_string()
    } else {
        format!("{s}/v3")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.set(*k, *v, "test");
        }
        s
    }

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn os_variables_are_the_base_and_the_profile_overrides() {
        let e = env(&[
            ("OS_AUTH_URL", "http://127.0.0.1:5000"),
            ("OS_USERNAME", "alice"),
            ("OS_PASSWORD", "planted-password-1234"),
            ("OS_PROJECT_NAME", "p1"),
            ("OS_REGION_NAME", "RegionOne"),
            ("OS_INTERFACE", "internalURL"),
        ]);
        let c = OpenStackConfig::from_parts(&settings(&[("project_name", "p2")]), &e).unwrap();
        assert_eq!(c.auth_url, "http://127.0.0.1:5000/v3");
        assert_eq!(c.interface, Interface::Internal);
        assert_eq!(c.region.as_deref(), Some("RegionOne"));
        assert_eq!(
            c.project,
            Some(ProjectRef::Name {
                name: "p2".into(),
                domain: DomainRef::Name("Default".into())
            })
        );
        assert!(!format!("{c:?}").contains("planted-password-1234"));
    }

    #[test]
    fn endpoint_overrides_come_from_os_variables_and_the_profile() {
        let e = env(&[
            ("OS_AUTH_URL", "http://127.0.0.1:5000"),
            ("OS_USERNAME", "alice"),
            ("OS_PASSWORD", "pw"),
            ("OS_PROJECT_NAME", "p1"),
            (
                "OS_OBJECT_STORE_ENDPOINT_OVERRIDE",
                "http://127.0.0.1:1/v1/AUTH_%(project_id)s",
            ),
        ]);
        let c = OpenStackConfig::from_parts(&Settings::default(), &e).unwrap();
        assert_eq!(
            c.endpoint_overrides.get("object-store").map(String::as_str),
            Some("http://127.0.0.1:1/v1/AUTH_%(project_id)s")
        );
        let p = settings(&[("object_store_endpoint_override", "http://proxy:8080/v1/AUTH_x/")]);
        let c = OpenStackConfig::from_parts(&p, &e).unwrap();
        assert_eq!(c.endpoint_overrides["object-store"], "http://proxy:8080/v1/AUTH_x");
        let bad = settings(&[("compute_endpoint_override", "nova:8774")]);
        let err = OpenStackConfig::from_parts(&bad, &e).unwrap_err();
        assert!(err.message().contains("compute_endpoint_override"), "{err}");
    }

    #[test]
    fn application_credentials_need_no_project() {
        let e = env(&[
            ("OS_AUTH_URL", "https://id.example/v3/"),
            ("OS_APPLICATION_CREDENTIAL_ID", "ac1"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "planted-appcred-5678"),
        ]);
        let c = OpenStackConfig::from_parts(&Settings::default(), &e).unwrap();
        assert!(matches!(c.auth, Auth::ApplicationCredential { credential: AppCredRef::Id(ref i), .. } if i == "ac1"));
        assert_eq!(c.auth_url, "https://id.example/v3");
        assert!(!format!("{c:?}").contains("planted-appcred-5678"));
    }

    #[test]
    fn missing_pieces_are_typed_and_clear() {
        let e = env(&[("OS_AUTH_URL", "http://k/v3"), ("OS_USERNAME", "a")]);
        let err = OpenStackConfig::from_parts(&Settings::default(), &e).unwrap_err();
        assert_eq!(err.raw_code(), Some("MissingCredentials"));
        let err = OpenStackConfig::from_parts(&settings(&[("password", "x")]), &e).unwrap_err();
        assert!(err.message().contains("project"), "{err}");
        let err = OpenStackConfig::from_parts(
            &settings(&[("auth_url", "http://k/v2.0"), ("password", "x"), ("project_id", "p")]),
            &e,
        )
        .unwrap_err();
        assert!(err.message().contains("v2.0"), "{err}");
        let err = OpenStackConfig::from_parts(
            &settings(&[("password", "x"), ("project_id", "p"), ("interface", "private")]),
            &e,
        )
        .unwrap_err();
        assert!(err.message().contains("public, internal or admin"), "{err}");
    }
}
