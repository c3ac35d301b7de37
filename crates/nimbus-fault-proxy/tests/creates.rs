//! Creates that are safe to retry (issue 17, item 5): on moto behind the fault proxy, 200
//! `create_instance` calls with a fifth of all requests' answers lost end with exactly 200
//! instances, and 50 `create_network` calls with exactly 50 VPCs, counted by a clean client
//! straight at moto.
//!
//! What makes this hold: the contract gives each create a request id (EC2 `ClientToken`,
//! which moto ignores, and the label `nimbus-request-id`), so the retry layer may repeat it,
//! and each attempt after the first looks for the instance an earlier one made before
//! creating again (`nimbus_core::compute::request_id`). Without that, a lost answer to a
//! create is either not retried (a failed call, an instance the caller does not know of) or
//! retried blindly (two instances).
//!
//! Skipped without `NIMBUS_TEST_MOTO_ENDPOINT`, unless `NIMBUS_REQUIRE_EMULATORS=1`.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{backend, endpoint, open_compute, open_network, upstream};
use futures::StreamExt;
use nimbus::compute::{ImageChoice, InstanceFilter, InstanceSpec, SizeChoice, REQUEST_ID_LABEL};
use nimbus::network::NetworkSpec;
use nimbus_fault_proxy::{Fault, FaultProxy, Plan};

const CREATES: usize = 200;

/// moto's EC2. Ten attempts: each attempt is a lookup and a create, both faulted, so one
/// succeeds with probability 0.64 and four would leave about one call in sixty failed.
fn profile(ep: &str) -> String {
    profile_for("compute", ep)
}

fn profile_for(service: &str, ep: &str) -> String {
    format!(
        "provider = \"aws\"\n[{service}]\nendpoint = \"{ep}\"\nregion = \"us-east-1\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nretry_attempts = 10\nretry_base_delay = \"5ms\"\nretry_max_delay = \"50ms\"\n"
    )
}

/// `count` creates, 8 at a time, with a fifth of all answers lost (seeded): each must succeed
/// and return its own id (at least `min_lost` answers were lost, or nothing was proven).
async fn with_lost_answers<F, Fut>(
    proxy: &FaultProxy,
    count: usize,
    seed: u64,
    min_lost: u64,
    create: F,
) -> BTreeSet<String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = nimbus::Result<String>>,
{
    proxy.set_plan(Plan::new(0.2, vec![Fault::LostResponse], 10_000, seed));
    let results: Vec<_> = futures::stream::iter(0..count)
        .map(create)
        .buffer_unordered(8)
        .collect()
        .await;
    proxy.set_plan(Plan::none());
    let lost = proxy.stats().counts().get("lost_response").copied().unwrap_or(0);
    eprintln!("{lost} answers lost; proxy counts {:?}", proxy.stats().counts());
    assert!(lost >= min_lost, "too few lost answers to prove anything: {lost}");
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{} creates failed, e.g. {}", failed.len(), failed[0]);
    let returned: BTreeSet<String> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(returned.len(), count, "each call returned its own resource");
    returned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_creates_with_lost_answers_make_two_hundred_instances() {
    let Some(ep) = endpoint(backend("moto")) else { return };
    let proxy = FaultProxy::start(upstream(&ep), Plan::none())
        .await
        .expect("proxy starts");
    let clean = open_compute(&profile(&ep)).await;
    let faulty = open_compute(&profile(&proxy.url())).await;
    let image = clean
        .list_images()
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("moto lists images")
        .id;
    let run = format!("creates-{}", std::process::id());
    let spec = |n: usize| {
        InstanceSpec::new(
            format!("{run}-{n:03}"),
            SizeChoice::Id("t2.micro".into()),
            ImageChoice::Id(image.clone()),
        )
        .label("fault-run", run.clone())
    };

    let returned = with_lost_answers(&proxy, CREATES, 17, 40, |n| {
        let (c, s) = (Arc::clone(&faulty), spec(n));
        async move { c.create_instance(&s).await.map(|i| i.id) }
    })
    .await;

    // Counted by a client that never went through the proxy.
    let listed = clean
        .list_instances(&InstanceFilter::default().label("fault-run", run.clone()))
        .await
        .unwrap();
    let names: BTreeSet<&str> = listed.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        listed.len(),
        CREATES,
        "instances made: {} for {CREATES} creates",
        listed.len()
    );
    assert_eq!(names.len(), CREATES, "one instance per name");
    assert_eq!(
        listed.iter().map(|i| i.id.clone()).collect::<BTreeSet<_>>(),
        returned,
        "the instances listed are those the calls returned"
    );
    assert!(listed.iter().all(|i| i.labels.contains_key(REQUEST_ID_LABEL)));
    for i in &listed {
        clean.terminate_instance(&i.id).await.unwrap();
    }
}

const NETWORKS: usize = 50;

/// The same for networks: EC2's CreateVpc takes no `ClientToken`, so the token lives only as
/// the label (a VPC tag), and the look-up before a repeated attempt is all there is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_network_creates_with_lost_answers_make_fifty_networks() {
    let Some(ep) = endpoint(backend("moto")) else { return };
    let proxy = FaultProxy::start(upstream(&ep), Plan::none())
        .await
        .expect("proxy starts");
    let clean = open_network(&profile_for("network", &ep)).await;
    let faulty = open_network(&profile_for("network", &proxy.url())).await;
    let run = format!("netcreates-{}", std::process::id());
    let spec = |n: usize| {
        NetworkSpec::new(format!("{run}-{n:02}"), format!("10.{n}.0.0/16").parse().unwrap())
            .label("fault-run", run.clone())
    };

    let returned = with_lost_answers(&proxy, NETWORKS, 23, 10, |n| {
        let (c, s) = (Arc::clone(&faulty), spec(n));
        async move { c.create_network(&s).await.map(|net| net.id) }
    })
    .await;

    let listed: Vec<_> = clean
        .list_networks()
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.labels.get("fault-run") == Some(&run))
        .collect();
    assert_eq!(
        listed.len(),
        NETWORKS,
        "networks made: {} for {NETWORKS} creates",
        listed.len()
    );
    assert_eq!(
        listed.iter().map(|n| n.id.clone()).collect::<BTreeSet<_>>(),
        returned,
        "the networks listed are those the calls returned"
    );
    assert!(listed.iter().all(|n| n.labels.contains_key(REQUEST_ID_LABEL)));
    for n in &listed {
        clean.delete_network(&n.id).await.unwrap();
    }
}
