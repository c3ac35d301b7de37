//! How a product team unit-tests its own code against Nimbus without any cloud: the
//! `mock` feature gives mockall mocks of every trait.

use nimbus::prelude::*;
use nimbus::storage::MockStorage;
use nimbus::{Error, ErrorKind};
use nimbus_examples::archive_report;

#[tokio::test]
async fn archive_writes_when_absent_and_skips_when_present() {
    let mut m = MockStorage::new();
    m.expect_put()
        .withf(|b, k, body, o| {
            b == "bkt" && k == "reports/q4.csv" && body.as_ref() == b"a,b" && o.mode == PutMode::Create
        })
        .times(1)
        .returning(|_, k, body, _| Ok(nimbus::storage::ObjectMeta::new(k, body.len() as u64)));
    assert!(archive_report(&m, "bkt", "q4", "a,b").await.unwrap());

    let mut m = MockStorage::new();
    m.expect_put()
        .returning(|_, _, _, _| Err(Error::new(ErrorKind::AlreadyExists, "exists")));
    assert!(!archive_report(&m, "bkt", "q4", "a,b").await.unwrap());

    let mut m = MockStorage::new();
    m.expect_put()
        .returning(|_, _, _, _| Err(Error::new(ErrorKind::PermissionDenied, "no")));
    assert_eq!(
        archive_report(&m, "bkt", "q4", "a,b").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

#[test]
fn compute_and_network_mocks_exist() {
    let mut c = nimbus::compute::MockCompute::new();
    c.expect_provider().return_const("mock");
    assert_eq!(c.provider(), "mock");
    let mut n = nimbus::network::MockNetworkService::new();
    n.expect_provider().return_const("mock");
    assert_eq!(n.provider(), "mock");
}
