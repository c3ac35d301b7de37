//! Keystone v3: the token request for each auth method, and the token's catalog.
//!
//! Why our own: it is two JSON shapes (`POST /v3/auth/tokens` and its answer), and owning
//! them lets the session re-issue a token before it expires and pick endpoints by region and
//! interface exactly as openstacksdk does, with errors that name what is missing.

use std::time::SystemTime;

use nimbus_core::config::Secret;
use nimbus_core::{Error, ErrorKind, Result};
use serde_json::{json, Value};

use crate::config::{AppCredRef, Auth, DomainRef, Interface, OpenStackConfig, ProjectRef, UserRef};

/// The body of `POST /v3/auth/tokens` for the configured method and scope.
pub fn auth_body(cfg: &OpenStackConfig) -> Value {
    let identity = match &cfg.auth {
        Auth::Password { user, password } => json!({
            "methods": ["password"],
            "password": { "user": with_password(user_json(user), password) },
        }),
        Auth::ApplicationCredential { credential, secret } => {
            let mut c = match credential {
                AppCredRef::Id(id) => json!({ "id": id }),
                AppCredRef::Name { name, user } => json!({ "name": name, "user": user_json(user) }),
            };
            c["secret"] = json!(secret.expose());
            json!({ "methods": ["application_credential"], "application_credential": c })
        }
        Auth::Token(t) => json!({ "methods": ["token"], "token": { "id": t.expose() } }),
    };
    let mut auth = json!({ "identity": identity });
    // An application credential carries its own scope; Keystone refuses another one.
    if !matches!(cfg.auth, Auth::ApplicationCredential { .. }) {
        if let Some(p) = &cfg.project {
            auth["scope"] = json!({ "project": project_json(p) });
        }
    }
    json!({ "auth": auth })
}

fn with_password(mut user: Value, password: &Secret) -> Value {
    user["password"] = json!(password.expose());
    user
}

fn domain_json(d: &DomainRef) -> Value {
    match d {
        DomainRef::Id(id) => json!({ "id": id }),
        DomainRef::Name(n) => json!({ "name": n }),
    }
}

fn user_json(u: &UserRef) -> Value {
    match u {
        UserRef::Id(id) => json!({ "id": id }),
        UserRef::Name { name, domain } => json!({ "name": name, "domain": domain_json(domain) }),
    }
}

fn project_json(p: &ProjectRef) -> Value {
    match p {
        ProjectRef::Id(id) => json!({ "id": id }),
        ProjectRef::Name { name, domain } => json!({ "name": name, "domain": domain_json(domain) }),
    }
}

/// One endpoint of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Service type (`compute`, `network`, `image`, `object-store`, …).
    pub service_type: String,
    /// Interface (`public`, `internal`, `admin`).
    pub interface: String,
    /// Region id.
    pub region: String,
    /// Base URL.
    pub url: String,
}

/// An issued token with what it says about the caller.
#[derive(Clone)]
pub struct Token {
    /// The `X-Subject-Token` value.
    pub value: Secret,
    /// When Keystone stops accepting it.
    pub expires: SystemTime,
    /// When it was issued (to re-issue at a share of its lifetime).
    pub issued: SystemTime,
    /// Project id of the scope.
    pub project_id: Option<String>,
    /// Project name of the scope.
    pub project_name: Option<String>,
    /// User id.
    pub user_id: String,
    /// User name.
    pub user_name: String,
    /// Role names in the scope.
    pub roles: Vec<String>,
    /// The service catalog.
    pub catalog: Vec<Endpoint>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("expires", &self.expires)
            .field("project_id", &self.project_id)
            .field("user_name", &self.user_name)
            .field("endpoints", &self.catalog.len())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// From the `X-Subject-Token` header and the answer's body.
    pub fn parse(value: Secret, body: &Value) -> Result<Token> {
        let t = body
            .get("token")
            .ok_or_else(|| Error::new(ErrorKind::Internal, "Keystone answered without a `token`"))?;
        let s = |p: &str| t.pointer(p).and_then(Value::as_str).map(str::to_string);
        let expires = s("/expires_at")
            .and_then(|e| nimbus_core::time::parse_rfc3339(&e))
            .ok_or_else(|| Error::new(ErrorKind::Internal, "Keystone token without a readable `expires_at`"))?;
        let issued = s("/issued_at")
            .and_then(|e| nimbus_core::time::parse_rfc3339(&e))
            .unwrap_or_else(SystemTime::now);
        let mut catalog = Vec::new();
        for svc in t.get("catalog").and_then(Value::as_array).into_iter().flatten() {
            let ty = svc.get("type").and_then(Value::as_str).unwrap_or_default();
            for e in svc.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
                let f = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let region = Some(f("region_id"))
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| f("region"));
                catalog.push(Endpoint {
                    service_type: ty.to_string(),
                    interface: f("interface"),
                    region,
                    url: f("url"),
                });
            }
        }
        Ok(Token {
            value,
            expires,
            issued,
            project_id: s("/project/id"),
            project_name: s("/project/name"),
            user_id: s("/user/id").unwrap_or_default(),
            user_name: s("/user/name").unwrap_or_default(),
            roles: t
                .get("roles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
                .collect(),
            catalog,
        })
    }

    /// Whether the token should be re-issued now: less than a quarter of its lifetime (at
    /// most five minutes) is left, so no request starts with a token about to expire.
    pub fn needs_refresh(&self, now: SystemTime) -> bool {
        let life = self.expires.duration_since(self.issued).unwrap_or_default();
        let margin = (life / 4).min(std::time::Duration::from_secs(300));
        self.expires.duration_since(now).map_or(true, |left| left <= margin)
    }

    /// The URL of `service_type` for `interface` in `region` (any region when the catalog
    /// has only one for that service).
    pub fn endpoint(&self, service_type: &str, interface: Interface, region: Option<&str>) -> Result<String> {
        let of_type: Vec<&Endpoint> = self
            .catalog
            .iter()
            .filter(|e| e.service_type == service_type || aliases(service_type).contains(&e.service_type.as_str()))
            .collect();
        if of_type.is_empty() {
            let mut types: Vec<&str> = self.catalog.iter().map(|e| e.service_type.as_str()).collect();
            types.sort_unstable();
            types.dedup();
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the service catalog has no `{service_type}` service (it has: {})",
                    types.join(", ")
                ),
            )
            .with_raw_code("EndpointNotFound"));
        }
        let mut regions: Vec<&str> = of_type.iter().map(|e| e.region.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        let region = match region {
            Some(r) => {
                if !regions.contains(&r) {
                    return Err(Error::invalid(format!(
                        "region `{r}` has no `{service_type}` endpoint (regions: {})",
                        regions.join(", ")
                    ))
                    .with_raw_code("EndpointNotFound"));
                }
                r
            }
            None if regions.len() == 1 => regions[0],
            None => {
                return Err(Error::invalid(format!(
                    "`{service_type}` is offered in several regions ({}): set `region`",
                    regions.join(", ")
                )))
            }
        };
        of_type
            .iter()
            .find(|e| e.region == region && e.interface == interface.as_str())
            .map(|e| e.url.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "`{service_type}` in region `{region}` has no `{}` endpoint",
                    interface.as_str()
                ))
                .with_raw_code("EndpointNotFound")
            })
    }

    /// Regions of the catalog, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self.catalog.iter().map(|e| e.region.clone()).collect();
        r.sort();
        r.dedup();
        r
    }
}

/// Older names some clouds still register (`volumev3`, `object-store` is stable).
fn aliases(service_type: &str) -> &'static [&'static str] {
    match service_type {
        "block-storage" => &["volumev3", "volumev2", "volume"],
        "compute" => &["compute_legacy"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::OpenStackConfig;
    use nimbus_core::config::Settings;

    fn cfg(pairs: &[(&str, &str)]) -> OpenStackConfig {
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.set(*k, *v, "test");
        }
        OpenStackConfig::from_parts(&s, &Default::default()).unwrap()
    }

    #[test]
    fn password_body_is_scoped_and_app_credentials_are_not() {
        let c = cfg(&[
            ("auth_url", "http://k/v3"),
            ("username", "u"),
            ("password", "pw"),
            ("project_name", "p"),
            ("project_domain_id", "default"),
        ]);
        let b = auth_body(&c);
        assert_eq!(
            b.pointer("/auth/identity/password/user/domain/name").unwrap(),
            "Default"
        );
        assert_eq!(b.pointer("/auth/scope/project/domain/id").unwrap(), "default");
        let c = cfg(&[
            ("auth_url", "http://k/v3"),
            ("application_credential_id", "id1"),
            ("application_credential_secret", "s"),
            ("project_name", "ignored"),
        ]);
        let b = auth_body(&c);
        assert_eq!(b.pointer("/auth/identity/methods/0").unwrap(), "application_credential");
        assert!(b.pointer("/auth/scope").is_none());
    }

    fn token() -> Token {
        let body = json!({"token": {
        "expires_at": "2030-01-01T01:00:00.000000Z", "issued_at": "2030-01-01T00:00:00.000000Z",
        "project": {"id": "p1", "name": "shop"}, "user": {"id": "u1", "name": "ops"},
        "roles": [{"name": "member"}],
        "catalog": [
            {"type": "compute", "endpoints": [
                {"interface": "public", "region_id": "R1", "region": "R1", "url": "https://nova.r1/v2.1/"},
                {"interface": "internal", "region_id": "R1", "region": "R1", "url": "http://nova.int/v2.1"},
                {"interface": "public", "region_id": "R2", "region": "R2", "url": "https://nova.r2/v2.1"}]},
            {"type": "network", "endpoints": [
                {"interface": "public", "region_id": "R1", "url": "https://neutron.r1"}]}
        ]}});
        Token::parse(Secret::new("t"), &body).unwrap()
    }

    #[test]
    fn endpoints_by_region_and_interface() {
        let t = token();
        assert_eq!(
            t.endpoint("compute", Interface::Public, Some("R2")).unwrap(),
            "https://nova.r2/v2.1"
        );
        assert_eq!(
            t.endpoint("compute", Interface::Internal, Some("R1")).unwrap(),
            "http://nova.int/v2.1"
        );
        assert_eq!(
            t.endpoint("network", Interface::Public, None).unwrap(),
            "https://neutron.r1"
        );
        let e = t.endpoint("compute", Interface::Public, None).unwrap_err();
        assert!(e.message().contains("set `region`"), "{e}");
        let e = t.endpoint("compute", Interface::Public, Some("R9")).unwrap_err();
        assert_eq!(e.raw_code(), Some("EndpointNotFound"));
        let e = t.endpoint("object-store", Interface::Public, Some("R1")).unwrap_err();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::Unsupported, Some("EndpointNotFound"))
        );
        assert_eq!(t.regions(), vec!["R1", "R2"]);
    }

    #[test]
    fn refresh_at_a_quarter_of_the_lifetime() {
        let t = token();
        let start = t.issued;
        assert!(!t.needs_refresh(start + Duration::from_secs(3000)));
        assert!(t.needs_refresh(start + Duration::from_secs(3301)));
        assert!(t.needs_refresh(start + Duration::from_secs(7200)));
    }
}
