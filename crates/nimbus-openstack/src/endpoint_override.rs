//! A service URL set by the profile instead of taken from Keystone's catalog.
//!
//! Why: the catalog lists what the cloud's operators registered, and that is not always what
//! a customer's network can reach. A deployment inside a customer's network often goes
//! through an egress proxy, a load balancer with another name, or a port forward; and the
//! catalog's `public` URL may be a name only the cloud's own network resolves. openstacksdk
//! and the `openstack` CLI answer this with `<service>_endpoint_override` (in `clouds.yaml`,
//! or `OS_<SERVICE>_ENDPOINT_OVERRIDE`); Nimbus reads the same names from the same places,
//! and from the profile. Our own fault tests use it to put a fault proxy in front of Swift
//! while Keystone stays direct.
//!
//! As in Keystone's catalog templates, `%(project_id)s` (or `$(project_id)s`) stands for the
//! token's project id: Swift's account is `AUTH_<project id>`, which a profile written before
//! the first token cannot know. The override replaces the URL only; the token, the region
//! and the interface still come from Keystone (the region and interface pick nothing for an
//! overridden service).

use std::collections::BTreeMap;

use nimbus_core::{Error, Result};

/// The keys, with the catalog service type each replaces.
pub const KEYS: &[(&str, &str)] = &[
    ("object_store_endpoint_override", "object-store"),
    ("compute_endpoint_override", "compute"),
    ("network_endpoint_override", "network"),
    ("image_endpoint_override", "image"),
];

const PLACEHOLDERS: &[&str] = &["%(project_id)s", "$(project_id)s"];

/// `url` with every project placeholder replaced by `id` (a stand-in id to check the syntax).
fn with_project(url: &str, id: &str) -> String {
    PLACEHOLDERS.iter().fold(url.to_string(), |s, p| s.replace(p, id))
}

/// The overrides among `get`'s values, by catalog service type, checked: an http(s) URL
/// without a trailing slash, credentials or query.
pub fn from_values(get: impl Fn(&str) -> Option<String>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, service) in KEYS {
        if let Some(v) = get(key) {
            out.insert(service.to_string(), check(key, &v)?);
        }
    }
    Ok(out)
}

fn check(key: &str, raw: &str) -> Result<String> {
    let v = raw.trim().trim_end_matches('/');
    // The placeholder is not URL syntax: check the URL with a stand-in id.
    let probe = with_project(v, "0");
    let fail = |why: &str| Err(Error::invalid(format!("`{key}` = `{}`: {why}", raw.escape_debug())));
    let u = match url::Url::parse(&probe) {
        Ok(u) => u,
        Err(e) => return fail(&e.to_string()),
    };
    if !matches!(u.scheme(), "http" | "https") {
        return fail("expected an http(s) URL");
    }
    if !u.username().is_empty() || u.password().is_some() {
        // A password in a URL ends up in logs; the token is the credential here.
        return fail("must not hold credentials (the Keystone token is sent instead)");
    }
    if u.query().is_some() || u.fragment().is_some() {
        return fail("must not have a query or fragment (paths are appended to it)");
    }
    Ok(v.to_string())
}

/// `url` with the project placeholder replaced by `project_id`.
pub fn expand(service: &str, url: &str, project_id: Option<&str>) -> Result<String> {
    if !PLACEHOLDERS.iter().any(|p| url.contains(p)) {
        return Ok(url.to_string());
    }
    let id = project_id.ok_or_else(|| {
        Error::invalid(format!(
            "the `{service}` endpoint override names the project id, and the token has no project scope"
        ))
    })?;
    Ok(with_project(url, id))
}

/// Scheme, host and port of an override, for probes that run before any token exists.
pub fn origin(url: &str) -> Option<String> {
    let probe = with_project(url, "0");
    let u = url::Url::parse(&probe).ok()?;
    Some(u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Result<BTreeMap<String, String>> {
        from_values(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn overrides_are_checked_urls_by_service_type() {
        let o = values(&[
            (
                "object_store_endpoint_override",
                "http://127.0.0.1:9000/v1/AUTH_%(project_id)s/",
            ),
            ("compute_endpoint_override", "https://nova.internal:8774/v2.1"),
        ])
        .unwrap();
        assert_eq!(o["object-store"], "http://127.0.0.1:9000/v1/AUTH_%(project_id)s");
        assert_eq!(o["compute"], "https://nova.internal:8774/v2.1");
        assert!(!o.contains_key("network"));
        for bad in [
            "ftp://x/v1",
            "not a url",
            "http://user:planted-pw-31337@x/v1",
            "http://x/v1?a=b",
            "http://x/v1#f",
        ] {
            let e = values(&[("network_endpoint_override", bad)]).unwrap_err();
            assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput, "{bad}");
            assert!(e.message().contains("network_endpoint_override"), "{}", e.message());
        }
    }

    #[test]
    fn the_project_placeholder_is_the_tokens_project() {
        for url in ["http://h/v1/AUTH_%(project_id)s", "http://h/v1/AUTH_$(project_id)s"] {
            assert_eq!(
                expand("object-store", url, Some("abc123")).unwrap(),
                "http://h/v1/AUTH_abc123"
            );
        }
        assert_eq!(expand("compute", "http://h/v2.1", None).unwrap(), "http://h/v2.1");
        let e = expand("object-store", "http://h/v1/AUTH_%(project_id)s", None).unwrap_err();
        assert!(e.message().contains("project scope"), "{}", e.message());
        assert_eq!(
            origin("http://127.0.0.1:9000/v1/AUTH_%(project_id)s").as_deref(),
            Some("http://127.0.0.1:9000")
        );
    }
}
