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
