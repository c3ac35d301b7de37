//! Keystone against the real stack: the token, the catalog, and every way auth can go wrong
//! giving a typed error that names what is wrong (and never the secret).

mod common;

use std::collections::BTreeMap;

use nimbus_core::ErrorKind;
use nimbus_openstack::{OpenStackConfig, Service, Session};

fn cfg(overrides: &[(&str, &str)]) -> Option<OpenStackConfig> {
    let mut s = common::settings()?;
    for (k, v) in overrides {
        s.set(*k, *v, "test");
    }
    Some(OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap())
}

#[tokio::test]
async fn password_auth_gives_a_scoped_token_and_every_endpoint() {
    let Some(c) = cfg(&[]) else { return };
    let s = Session::new(&c).unwrap();
    let t = s.token().await.unwrap();
    assert_eq!(t.project_name.as_deref(), Some("nimbus"));
    assert!(t.roles.iter().any(|r| r == "member"), "{:?}", t.roles);
    for svc in [Service::Compute, Service::Network, Service::Image, Service::ObjectStore] {
        let url = s.endpoint(svc).await.unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    // The same token is reused while fresh.
    assert!(std::sync::Arc::ptr_eq(&t, &s.token().await.unwrap()));
}

#[tokio::test]
async fn a_wrong_password_is_unauthenticated_and_not_echoed() {
    let Some(c) = cfg(&[("password", "planted-wrong-password-4242")]) else {
        return;
    };
    let e = Session::new(&c).unwrap().token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert!(!format!("{e} {e:?}").contains("planted-wrong-password-4242"));
}

#[tokio::test]
async fn an_unknown_region_names_the_regions_there_are() {
    let Some(c) = cfg(&[("region", "RegionNine")]) else {
        return;
    };
    let e = Session::new(&c).unwrap().endpoint(Service::Compute).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::InvalidInput, Some("EndpointNotFound")),
        "{e}"
    );
    assert!(e.message().contains("RegionOne"), "{e}");
}

#[tokio::test]
async fn an_unknown_project_is_refused_by_keystone() {
    let Some(c) = cfg(&[("project_name", "no-such-project")]) else {
        return;
    };
    let e = Session::new(&c).unwrap().token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
}

#[tokio::test]
async fn an_unreachable_keystone_is_unavailable() {
    let Some(c) = cfg(&[("auth_url", "http://127.0.0.1:9/v3")]) else {
        return;
    };
    let e = Session::new(&c).unwrap().token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
}

#[tokio::test]
async fn a_service_missing_from_the_catalog_is_typed_unsupported() {
    let Some(c) = cfg(&[]) else { return };
    let t = Session::new(&c).unwrap().token().await.unwrap();
    // The stack has no Cinder: block storage is not in its catalog.
    let e = t
        .endpoint("block-storage", c.interface, c.region.as_deref())
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::Unsupported, Some("EndpointNotFound")),
        "{e}"
    );
    assert!(e.message().contains("object-store"), "lists what the catalog has: {e}");
}

#[tokio::test]
async fn token_auth_rescopes_an_existing_token() {
    let Some(c) = cfg(&[]) else { return };
    let first = Session::new(&c).unwrap().token().await.unwrap();
    let mut s = common::settings().unwrap();
    s.set("password", "", "test");
    s.set("token", first.value.expose(), "test");
    let c2 = OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap();
    assert!(matches!(c2.auth, nimbus_openstack::config::Auth::Token(_)));
    let t = Session::new(&c2).unwrap().token().await.unwrap();
    assert_eq!(t.project_id, first.project_id);
    assert_eq!(t.user_id, first.user_id);
}

#[tokio::test]
async fn application_credentials_authenticate_without_a_password() {
    let Some(c) = cfg(&[]) else { return };
    let session = Session::new(&c).unwrap();
    let t = session.token().await.unwrap();
    // The user creates its own application credential (Keystone allows that to any user),
    // authenticates with it, and deletes it.
    let name = format!("nimbus-test-{}", std::process::id());
    let url = format!("{}/users/{}/application_credentials", c.auth_url, t.user_id);
    let created: serde_json::Value = session
        .http()
        .post(&url)
        .header("x-auth-token", t.value.expose())
        .json(&serde_json::json!({"application_credential": {"name": name}}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["application_credential"]["id"].as_str().unwrap().to_string();
    let secret = created["application_credential"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let mut s = nimbus_core::config::Settings::default();
    s.set("auth_url", &c.auth_url, "test");
    s.set("application_credential_id", &id, "test");
    s.set("application_credential_secret", &secret, "test");
    let ac = OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap();
    let result = Session::new(&ac).unwrap().token().await;
    session
        .http()
        .delete(format!("{url}/{id}"))
        .header("x-auth-token", t.value.expose())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let scoped = result.unwrap();
    assert_eq!(scoped.project_id, t.project_id);
    assert!(!format!("{ac:?} {scoped:?}").contains(&secret));
}

#[test]
fn shared_sessions_share_the_token_across_runtimes_but_not_connections() {
    let Some(c) = cfg(&[]) else { return };
    // Two runtimes alive at once, as two tests (or a CLI and a library) have: the first
    // opens connections and then shuts down while the second is sending. The second must
    // not be using connections that die with the first.
    async fn images(s: &Session) -> nimbus_core::Result<std::sync::Arc<nimbus_openstack::identity::Token>> {
        let url = s.endpoint(Service::Image).await?;
        let t = s.token().await?;
        s.http()
            .get(format!("{url}/v2/images"))
            .header("x-auth-token", t.value.expose())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| nimbus_core::Error::new(ErrorKind::Unavailable, format!("{e:?}")))?;
        Ok(t)
    }
    let first = tokio::runtime::Runtime::new().unwrap();
    let s1 = Session::shared(&c).unwrap();
    let t1 = first.block_on(async {
        for _ in 0..4 {
            images(&s1).await.unwrap();
        }
        images(&s1).await.unwrap()
    });
    let c2 = c.clone();
    let second = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let s2 = Session::shared(&c2).unwrap();
        rt.block_on(async {
            let mut last = None;
            for _ in 0..40 {
                last = Some(images(&s2).await?);
            }
            Ok::<_, nimbus_core::Error>(last.unwrap())
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    drop(first);
    let t2 = second.join().unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&t1, &t2), "one token for one configuration");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_goes_through() {
    let Some(c) = cfg(&[]) else { return };
    let s = Session::new(&c).unwrap();
    let revoked = s.token().await.unwrap();
    // Revoke it in Keystone before any service has seen (and cached) it.
    s.http()
        .delete(format!("{}/auth/tokens", c.auth_url))
        .header("x-auth-token", revoked.value.expose())
        .header("x-subject-token", revoked.value.expose())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    // Glance answers 401 to the revoked token; the session issues a new one and retries.
    let images = s.get_json(Service::Image, "/v2/images", |r| r).await.unwrap();
    assert!(images["images"].is_array(), "{images}");
    let now = s.token().await.unwrap();
    assert_ne!(now.value.expose(), revoked.value.expose(), "the token was re-issued");
}
