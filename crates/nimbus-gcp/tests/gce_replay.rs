//! Compute Engine and VPC adapters against Google's own material, through a local mock (see
//! `gce/mod.rs`): recorded Compute Engine traffic where Google's logs cover the call
//! (networks, subnetworks, firewalls, images, operations), and the discovery document's
//! schemas where they do not (instances, machine types, regions: no recorded log exists).
//! There is no Compute Engine emulator; these tests prove that what Nimbus sends is what the
//! API documents and what `gcloud` sent, and that Nimbus reads Google's answers, operations
//! and errors correctly.
#![cfg(feature = "compute")]

mod gce;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gce::{fixtures_dir, Discovery, Exchange, Log, Logged, Mock};
use nimbus_core::compute::{
    ComputeExt, ImageChoice, InstanceFilter, InstanceSpec, SizeChoice, State, StopMode, WaitOptions,
};
use nimbus_core::contract::Contract;
use nimbus_core::network::{Action, FirewallRule, FirewallSpec, NetworkSpec, SubnetSpec};
use nimbus_core::{Compute, ErrorKind, NetworkService};
use nimbus_gcp::{GceClient, GceCompute, GceConfig, GceNetwork, GcsAuth};
use serde_json::{json, Value};

const P: &str = "nimbus-test";
const ZONE: &str = "us-central1-a";

fn client(m: &Mock) -> GceClient {
    let mut c = GceConfig::new(P, ZONE);
    c.endpoint = m.endpoint.clone();
    c.auth = GcsAuth::Anonymous;
    c.poll_interval = Duration::from_millis(1);
    GceClient::new(&c).unwrap()
}

fn subst<'a>(network: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("projectId", P), ("networkID", network), ("operationID", "operation-1")];
    v.extend_from_slice(extra);
    v
}

fn path(rest: &str) -> String {
    format!("/projects/{P}/{rest}")
}

/// A logged operation answer (RUNNING or DONE), served for another call of the same scope.
fn op_as(log: &Log, e: &Logged, method: &str, rest: &str) -> Exchange {
    let mut x = Exchange::logged(log, e);
    x.method = method.into();
    x.path = path(rest);
    x.logged_request = None;
    x
}

/// The network the recorded logs return, carrying the description Nimbus writes.
fn nimbus_network(log: &Log, name: &str, cidr: &str) -> Exchange {
    let e = log.nth("GET", &path(&format!("global/networks/{name}")), 0);
    let mut body = e.response.clone();
    body["description"] = json!(format!("nimbus:{}", json!({"cidr": cidr, "labels": {"team": "a"}})));
    Exchange::logged(log, &e).answer(body)
}

/// A Compute Engine instance as `instances.get` documents it (schema `Instance`).
fn instance(name: &str, status: &str, tags: &[&str]) -> Value {
    let base = "https://www.googleapis.com/compute/v1";
    json!({
        "kind": "compute#instance",
        "id": "4567890123456789012",
        "creationTimestamp": "2026-11-25T10:00:00.000-08:00",
        "name": name,
        "zone": format!("{base}/projects/{P}/zones/{ZONE}"),
        "machineType": format!("{base}/projects/{P}/zones/{ZONE}/machineTypes/e2-small"),
        "status": status,
        "networkInterfaces": [{
            "kind": "compute#networkInterface",
            "name": "nic0",
            "network": format!("{base}/projects/{P}/global/networks/net-1"),
            "subnetwork": format!("{base}/projects/{P}/regions/us-central1/subnetworks/sub-1"),
            "networkIP": "10.0.0.2",
            "fingerprint": "abcdef0123A="
        }],
        "disks": [{ "kind": "compute#attachedDisk", "boot": true, "autoDelete": true, "deviceName": "persistent-disk-0",
            "source": format!("{base}/projects/{P}/zones/{ZONE}/disks/{name}") }],
        "tags": { "items": tags, "fingerprint": "42WmSpB8rSM=" },
        "labels": { "team": "a" },
        "labelFingerprint": "abcdef0123A=",
        "selfLink": format!("{base}/projects/{P}/zones/{ZONE}/instances/{name}")
    })
}

fn aggregated_instances(items: Vec<Value>) -> Value {
    json!({
        "kind": "compute#instanceAggregatedList",
        "id": format!("projects/{P}/aggregated/instances"),
        "items": { format!("zones/{ZONE}"): { "instances": items } },
        "selfLink": format!("https://www.googleapis.com/compute/v1/projects/{P}/aggregated/instances")
    })
}

/// The zonal operation answers of the recorded disks log (insert → RUNNING, wait → DONE).
fn zonal_ops(dir: &Path) -> (Log, Logged, Logged) {
    let log = Log::load(
        dir,
        "mockcompute-computedisks-crud",
        &subst("net-1", &[("uniqueId", "1")]),
    );
    let running = log.nth("POST", &path(&format!("zones/{ZONE}/disks")), 0);
    let done = log.nth("POST", &path(&format!("zones/{ZONE}/operations/operation-1/wait")), 0);
    (log, running, done)
}

/// `POST …/{verb}` then `wait`, answered with the recorded zonal operation.
/// An idempotency token, as the contract makes them.
const TOKEN: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn zonal_action(m: &Mock, ops: &(Log, Logged, Logged), method: &str, rest: &str) {
    m.expect(op_as(&ops.0, &ops.1, method, rest));
    m.expect(op_as(
        &ops.0,
        &ops.2,
        "POST",
        &format!("zones/{ZONE}/operations/operation-1/wait"),
    ));
}

/// `POST …/{verb}` whose operation then fails with Google's error `code` (HTTP `status`),
/// answered with the recorded zonal operation carrying that error.
fn zonal_action_failing(m: &Mock, ops: &(Log, Logged, Logged), rest: &str, code: &str, message: &str, status: u16) {
    let mut failed = ops.2.clone();
    failed.response["error"] = json!({"errors": [{"code": code, "message": message}]});
    failed.response["httpErrorStatusCode"] = json!(status);
    m.expect(op_as(&ops.0, &ops.1, "POST", rest));
    let mut x = op_as(
        &ops.0,
        &failed,
        "POST",
        &format!("zones/{ZONE}/operations/operation-1/wait"),
    );
    x.strict_response = false;
    m.expect(x);
}

#[tokio::test]
async fn network_and_subnet_lifecycle_replays_the_recorded_log() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let log = Log::load(
        &dir,
        "mockcompute-computesubnets",
        &subst("net-1", &[("subnetworkID", "sub-1")]),
    );
    let others = Log::load(
        &dir,
        "mockcompute-computenetworks-subnetmode-custom",
        &subst("other", &[("uniqueId", "1")]),
    );
    let e = |method: &str, rest: &str| Exchange::logged(&log, &log.nth(method, &path(rest), 0));
    // create_network: insert (with the request id as `requestId`), wait on the global
    // operation, read back.
    m.expect(e("POST", "global/networks").query(&format!("requestId={TOKEN}")));
    m.expect(e("POST", "global/operations/operation-1/wait"));
    m.expect(nimbus_network(&log, "net-1", "10.0.0.0/16"));
    // create_subnet: the network (range), every subnetwork (overlap), insert, wait, read.
    m.expect(nimbus_network(&log, "net-1", "10.0.0.0/16"));
    m.expect(
        Exchange::logged(&others, &others.nth("GET", &path("aggregated/subnetworks"), 0))
            .query("returnPartialSuccess=true"),
    );
    m.expect(e("POST", "regions/us-central1/subnetworks"));
    m.expect(e("POST", "regions/us-central1/operations/operation-1/wait"));
    m.expect(e("GET", "regions/us-central1/subnetworks/sub-1"));
    // delete_subnet, delete_network.
    m.expect(e("DELETE", "regions/us-central1/subnetworks/sub-1"));
    m.expect(Exchange::logged(
        &log,
        &log.nth("POST", &path("regions/us-central1/operations/operation-1/wait"), 1),
    ));
    m.expect(e("DELETE", "global/networks/net-1"));
    m.expect(Exchange::logged(
        &log,
        &log.nth("POST", &path("global/operations/operation-1/wait"), 1),
    ));

    let net = GceNetwork::with_client(client(&m));
    let spec = NetworkSpec::new("net-1", "10.0.0.0/16".parse().unwrap())
        .label("team", "a")
        .request_id(TOKEN);
    let n = net.create_network(&spec).await.unwrap();
    assert_eq!(
        (n.id.as_str(), n.region.as_deref()),
        ("net-1", None),
        "networks are global"
    );
    assert_eq!(n.cidr.unwrap().to_string(), "10.0.0.0/16");
    assert_eq!(n.labels.get("team").map(String::as_str), Some("a"));
    let s = net
        .create_subnet(&SubnetSpec::new("net-1", "sub-1", "10.0.0.0/24".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(s.id, "us-central1/sub-1");
    assert_eq!(
        (s.network.as_str(), s.region.as_deref(), s.zone.as_deref()),
        ("net-1", Some("us-central1"), None)
    );
    assert_eq!(s.cidr.to_string(), "10.0.0.0/24");
    net.delete_subnet(&s.id).await.unwrap();
    net.delete_network("net-1").await.unwrap();
    m.verify_as("network.network_and_subnet_lifecycle", "network");
    // The insert carried the portable range and labels, and made a custom-mode network.
    let sent = &m.seen.lock().unwrap()[0].2;
    assert_eq!(sent["autoCreateSubnetworks"], false);
    assert!(sent["description"].as_str().unwrap().contains("10.0.0.0/16"));
}

#[tokio::test]
async fn subnets_outside_the_range_or_overlapping_are_refused_before_any_insert() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let log = Log::load(
        &dir,
        "mockcompute-computesubnets",
        &subst("net-1", &[("subnetworkID", "sub-1")]),
    );
    let defaults = Log::load(
        &dir,
        "mockcompute-computenetworks-subnetmode-custom",
        &subst("other", &[("uniqueId", "1")]),
    );
    m.expect(nimbus_network(&log, "net-1", "10.0.0.0/16"));
    // The `default` network of the recorded project: auto mode, us-central1 at 10.128.0.0/20.
    let mut default_net = log.nth("GET", &path("global/networks/net-1"), 0);
    default_net.path = path("global/networks/default");
    let mut x = Exchange::logged(&log, &default_net);
    x.body["name"] = json!("default");
    m.expect(x);
    m.expect(Exchange::logged(
        &defaults,
        &defaults.nth("GET", &path("aggregated/subnetworks"), 0),
    ));
    let net = GceNetwork::with_client(client(&m));
    let e = net
        .create_subnet(&SubnetSpec::new("net-1", "sub-1", "10.9.0.0/24".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = net
        .create_subnet(&SubnetSpec::new("default", "sub-2", "10.128.4.0/24".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("us-central1/default"), "{e}");
    let mut zonal = SubnetSpec::new("net-1", "sub-3", "10.0.1.0/24".parse().unwrap());
    zonal.zone = Some(ZONE.into());
    let e = net.create_subnet(&zonal).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "subnetworks are regional: {e}");
    m.verify_as("network.subnet_outside_or_overlapping_rejected", "network");
}

#[tokio::test]
async fn firewall_lifecycle_replays_the_recorded_firewall_calls() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let log = Log::load(
        &dir,
        "mockcompute-firewall-crud",
        &subst("net-1", &[("firewallID", "web")]),
    );
    let insert = log.nth("POST", &path("global/firewalls"), 0);
    let wait = log.nth("POST", &path("global/operations/operation-1/wait"), 1);
    let got = log.nth("GET", &path("global/firewalls/web"), 0);
    // The anchor: the recorded firewall as Nimbus shapes it (disabled, deny-all, tag `web`).
    let mut anchor = got.response.clone();
    anchor["description"] = json!("nimbus firewall (anchor; its rules are NAME-rN)");
    anchor["disabled"] = json!(true);
    anchor["priority"] = json!(65535);
    anchor["denied"] = json!([{"IPProtocol": "all"}]);
    anchor.as_object_mut().unwrap().remove("allowed");
    anchor["targetTags"] = json!(["web"]);
    let mut member = got.response.clone();
    member["name"] = json!("web-r0");
    member["targetTags"] = json!(["web"]);
    let list = |items: Vec<Value>| {
        let mut x = Exchange::schema(
            "GET",
            path("global/firewalls"),
            json!({"kind": "compute#firewallList", "id": format!("projects/{P}/global/firewalls"), "items": items}),
        )
        .query("filter=name eq \"web-r[0-9]+\"");
        x.strict_response = false; // the items are recorded answers
        x.source = "http-log mockcompute-firewall-crud".into();
        x
    };

    // create_firewall: network, anchor insert + wait, rule insert + wait, read back.
    m.expect(Exchange::logged(
        &log,
        &log.nth("GET", &path("global/networks/net-1"), 0),
    ));
    m.expect(Exchange::logged(&log, &insert));
    m.expect(Exchange::logged(&log, &wait));
    m.expect(Exchange::logged(&log, &insert));
    m.expect(Exchange::logged(&log, &wait));
    m.expect(Exchange::logged(&log, &got).answer(anchor.clone()));
    m.expect(list(vec![member.clone()]));
    // set_firewall_rules: read, replace rule 0, add rule 1, read back.
    m.expect(Exchange::logged(&log, &got).answer(anchor.clone()));
    m.expect(list(vec![member.clone()]));
    let patch = log.nth("PATCH", &path("global/firewalls/web"), 0);
    m.expect(op_as(&log, &patch, "PUT", "global/firewalls/web-r0"));
    m.expect(Exchange::logged(&log, &wait));
    m.expect(Exchange::logged(&log, &insert));
    m.expect(Exchange::logged(&log, &wait));
    let mut member1 = member.clone();
    member1["name"] = json!("web-r1");
    member1["denied"] = json!([{"IPProtocol": "tcp", "ports": ["443"]}]);
    member1.as_object_mut().unwrap().remove("allowed");
    member1["priority"] = json!(900);
    m.expect(Exchange::logged(&log, &got).answer(anchor.clone()));
    m.expect(list(vec![member.clone(), member1.clone()]));
    // delete_firewall: read, no tagged instance, delete the rules, then the anchor.
    m.expect(Exchange::logged(&log, &got).answer(anchor.clone()));
    m.expect(list(vec![member.clone(), member1.clone()]));
    m.expect(Exchange::schema(
        "GET",
        path("aggregated/instances"),
        aggregated_instances(vec![]),
    ));
    let delete = log.nth("DELETE", &path("global/firewalls/web"), 0);
    m.expect(op_as(&log, &delete, "DELETE", "global/firewalls/web-r0"));
    m.expect(Exchange::logged(&log, &wait));
    m.expect(op_as(&log, &delete, "DELETE", "global/firewalls/web-r1"));
    m.expect(Exchange::logged(&log, &wait));
    m.expect(Exchange::logged(&log, &delete));
    m.expect(Exchange::logged(&log, &wait));

    let net = GceNetwork::with_client(client(&m));
    let any = "0.0.0.0/0".parse().unwrap();
    let f = net
        .create_firewall(&FirewallSpec::new(
            "net-1",
            "web",
            vec![FirewallRule::allow_tcp_in(80, any)],
        ))
        .await
        .unwrap();
    assert_eq!((f.id.as_str(), f.network.as_str()), ("web", "net-1"));
    assert_eq!(f.rules.len(), 1, "the anchor is not a rule: {:?}", f.rules);
    assert_eq!(f.rules[0].ports.unwrap().from, 80);
    let f = net
        .set_firewall_rules(
            "web",
            &[
                FirewallRule::allow_tcp_in(80, any),
                FirewallRule::allow_tcp_in(443, any).action(Action::Deny).priority(900),
            ],
        )
        .await
        .unwrap();
    assert_eq!(f.rules.len(), 2);
    assert_eq!((f.rules[1].action, f.rules[1].priority), (Action::Deny, Some(900)));
    net.delete_firewall("web").await.unwrap();
    m.verify_as("network.firewall_lifecycle", "network");
    let seen = m.seen.lock().unwrap();
    // The anchor never matches traffic; the rule targets the firewall's tag.
    assert_eq!(seen[1].2["disabled"], true);
    assert_eq!(seen[3].2["name"], "web-r0");
    assert_eq!(seen[3].2["targetTags"], json!(["web"]));
    assert_eq!(
        seen[3].2["allowed"], insert.request["allowed"],
        "the recorded rule body"
    );
    assert_eq!(seen[11].2["denied"][0]["ports"], json!(["443"]));
}

#[tokio::test]
async fn attach_is_a_network_tag_and_an_attached_firewall_cannot_be_deleted() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let ops = zonal_ops(&dir);
    let anchor = json!({"kind": "compute#firewall", "name": "web", "network":
        format!("https://www.googleapis.com/compute/v1/projects/{P}/global/networks/net-1"),
        "description": "nimbus firewall (anchor; its rules are NAME-rN)", "disabled": true, "direction": "INGRESS",
        "priority": 65535, "denied": [{"IPProtocol": "all"}], "sourceRanges": ["0.0.0.0/0"], "targetTags": ["web"]});
    let list = json!({"kind": "compute#firewallList", "items": []});
    let inst = format!("zones/{ZONE}/instances/vm-1");
    // attach: the firewall, the instance's tags and fingerprint, setTags, wait.
    m.expect(Exchange::schema("GET", path("global/firewalls/web"), anchor.clone()));
    m.expect(Exchange::schema(
        "GET",
        path(&inst),
        instance("vm-1", "RUNNING", &["ssh"]),
    ));
    zonal_action(&m, &ops, "POST", &format!("{inst}/setTags"));
    // delete while attached: Conflict, nothing deleted.
    m.expect(Exchange::schema("GET", path("global/firewalls/web"), anchor.clone()));
    m.expect(Exchange::schema("GET", path("global/firewalls"), list.clone()));
    m.expect(Exchange::schema(
        "GET",
        path("aggregated/instances"),
        aggregated_instances(vec![instance("vm-1", "RUNNING", &["ssh", "web"])]),
    ));
    // detach: setTags without the tag.
    m.expect(Exchange::schema(
        "GET",
        path(&inst),
        instance("vm-1", "RUNNING", &["ssh", "web"]),
    ));
    zonal_action(&m, &ops, "POST", &format!("{inst}/setTags"));

    let net = GceNetwork::with_client(client(&m));
    net.attach_firewall("web", &format!("{ZONE}/vm-1")).await.unwrap();
    let e = net.delete_firewall("web").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("vm-1"), "{e}");
    net.detach_firewall("web", "vm-1").await.unwrap();
    m.verify_as("network.attach_detach_firewall", "network");
    let seen = m.seen.lock().unwrap();
    assert_eq!(
        seen[2].2,
        json!({"items": ["ssh", "web"], "fingerprint": "42WmSpB8rSM="})
    );
    assert_eq!(seen[8].2["items"], json!(["ssh"]));
}

#[tokio::test]
async fn network_errors_are_typed() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    m.expect(Exchange::error("POST", path("global/networks"), 409, "alreadyExists"));
    m.expect(Exchange::error(
        "DELETE",
        path("global/networks/net-1"),
        400,
        "resourceInUseByAnotherResource",
    ));
    m.expect(Exchange::error("GET", path("global/networks/gone"), 404, "notFound"));
    let net = GceNetwork::with_client(client(&m));
    // The adapter as the facade opens it: the contract fills the error context.
    let held = Contract::new(Arc::new(net.clone()));
    let e = net
        .create_network(&NetworkSpec::new("net-1", "10.0.0.0/16".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::AlreadyExists, Some("alreadyExists"))
    );
    let e = net.delete_network("net-1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let e = held.get_network("gone").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        (e.provider(), e.operation(), e.resource(), e.raw_code()),
        ("gcp-network", "get_network", Some("gone"), Some("notFound"))
    );
    // Invalid input fails before any request: portable names in the contract above the
    // adapter (as the facade opens it), which also names the call on the error; Google's own
    // limits (a firewall name ending like one of its rules) in the adapter.
    let e = held
        .create_network(&NetworkSpec::new("Bad_Name", "10.0.0.0/16".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        (e.provider(), e.operation(), e.resource()),
        ("gcp-network", "create_network", Some("Bad_Name"))
    );
    let e = net
        .create_firewall(&FirewallSpec::new("net-1", "web-r1", vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // Caller ids reach URL paths (and one list filter) only as names: a malformed id fails
    // before any request (the mock would report an unscripted one). That is the adapter's
    // check, not the contract's (which asks an id only to be non-empty, without control
    // characters), so it holds on the bare adapter and through the contract alike.
    for bad in [
        "../../global/firewalls/x",
        "us-central1/a?b",
        "US-central1/sub",
        "r/a%2Fb",
    ] {
        let e = net.get_subnet(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        let e = held.get_subnet(bad).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.operation()),
            (ErrorKind::InvalidInput, "get_subnet"),
            "{bad}: {e}"
        );
        let e = net.delete_subnet(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
    }
    let e = net.get_firewall("web\" OR name eq \"x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = net.detach_firewall("web", "zone/../../x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = net.get_network("x/../..").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let vm = GceCompute::with_client(client(&m));
    for bad in ["us-central1-a/../../global/networks/x", "vm?alt=json", "zone/VM"] {
        let e = vm.get_instance(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        let e = vm.terminate_instance(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        let e = vm.start_instance(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
    }
    m.verify_as("network.errors_typed", "network");
}

#[tokio::test]
async fn instance_lifecycle_against_the_discovery_schemas() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let ops = zonal_ops(&dir);
    let images = Log::load(
        &dir,
        "mockcompute-computeimages-crud",
        &subst("net-1", &[("imageID", "img")]),
    );
    let debian = images.entries[0].clone();
    let inst = format!("zones/{ZONE}/instances/vm-1");
    // create: image family, firewall, insert, wait, read.
    m.expect(Exchange::logged(&images, &debian));
    m.expect(Exchange::schema(
        "GET",
        path("global/firewalls/web"),
        json!({"kind": "compute#firewall", "name": "web", "targetTags": ["web"], "disabled": true}),
    ));
    // The request id goes as `requestId`, so Compute Engine ignores a repeated insert.
    m.expect(op_as(&ops.0, &ops.1, "POST", &format!("zones/{ZONE}/instances")).query(&format!("requestId={TOKEN}")));
    m.expect(op_as(
        &ops.0,
        &ops.2,
        "POST",
        &format!("zones/{ZONE}/operations/operation-1/wait"),
    ));
    m.expect(Exchange::schema(
        "GET",
        path(&inst),
        instance("vm-1", "RUNNING", &["web"]),
    ));
    // stop, start, reset: action, wait, read.
    for (verb, status) in [("stop", "TERMINATED"), ("start", "RUNNING"), ("reset", "RUNNING")] {
        zonal_action(&m, &ops, "POST", &format!("{inst}/{verb}"));
        m.expect(Exchange::schema("GET", path(&inst), instance("vm-1", status, &["web"])));
    }
    // list by label, server side.
    m.expect(
        Exchange::schema(
            "GET",
            path("aggregated/instances"),
            aggregated_instances(vec![instance("vm-1", "RUNNING", &["web"])]),
        )
        .query("filter=(labels.team = \"a\")"),
    );
    // terminate: read, delete, wait; then it is gone.
    m.expect(Exchange::schema(
        "GET",
        path(&inst),
        instance("vm-1", "RUNNING", &["web"]),
    ));
    zonal_action(&m, &ops, "DELETE", &inst);
    m.expect(Exchange::error("GET", path(&inst), 404, "notFound"));

    let compute = GceCompute::with_client(client(&m));
    let spec = InstanceSpec::new(
        "vm-1",
        SizeChoice::Id("e2-small".into()),
        ImageChoice::Alias("debian-12".into()),
    )
    .subnet("us-central1/sub-1")
    .firewall("web")
    .label("team", "a")
    .user_data("#!/bin/sh\necho hello")
    .request_id(TOKEN);
    let i = compute.create_instance(&spec).await.unwrap();
    assert_eq!(i.id, format!("{ZONE}/vm-1"));
    assert_eq!((i.state.state, i.state.raw.as_str()), (State::Running, "RUNNING"));
    assert_eq!((i.size.as_str(), i.region.as_str()), ("e2-small", "us-central1"));
    assert_eq!(i.subnet.as_deref(), Some("us-central1/sub-1"));
    assert_eq!(i.firewalls, vec!["web".to_string()]);
    assert_eq!(i.private_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!(i.image, debian.response["selfLink"].as_str().unwrap());
    assert!(i.created.is_some());
    let i = compute.stop_instance(&i.id, StopMode::Deallocate).await.unwrap();
    assert_eq!((i.state.state, i.state.raw.as_str()), (State::Stopped, "TERMINATED"));
    compute.start_instance(&i.id).await.unwrap();
    compute.reboot_instance(&i.id).await.unwrap();
    let all = compute
        .list_instances(&InstanceFilter::default().label("team", "a"))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let gone = compute.terminate_instance(&i.id).await.unwrap();
    assert_eq!(gone.state.state, State::Terminated);
    let e = compute.get_instance(&i.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    m.verify_as("compute.instance_lifecycle", "compute");
    let seen = m.seen.lock().unwrap();
    let body = &seen[2].2;
    assert_eq!(body["machineType"], format!("zones/{ZONE}/machineTypes/e2-small"));
    assert_eq!(
        body["disks"][0]["initializeParams"]["sourceImage"],
        debian.response["selfLink"]
    );
    assert_eq!(body["tags"]["items"], json!(["web"]));
    assert_eq!(body["metadata"]["items"][0]["key"], "startup-script");
    assert!(body["networkInterfaces"][0]["subnetwork"]
        .as_str()
        .unwrap()
        .ends_with("/regions/us-central1/subnetworks/sub-1"));
}

#[tokio::test]
async fn sizes_regions_images_and_capacity_errors() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let ops = zonal_ops(&dir);
    let images = Log::load(
        &dir,
        "mockcompute-computeimages-crud",
        &subst("net-1", &[("imageID", "img")]),
    );
    let debian = images.entries[0].clone();
    let mt = |name: &str, cpus: u32, mb: u64| json!({"kind": "compute#machineType", "name": name, "guestCpus": cpus, "memoryMb": mb, "zone": ZONE, "isSharedCpu": false});
    m.expect(
        Exchange::schema(
            "GET",
            path("regions"),
            json!({"kind": "compute#regionList", "items": [{"kind": "compute#region", "name": "us-central1", "status": "UP",
                "zones": [format!("https://www.googleapis.com/compute/v1/projects/{P}/zones/us-central1-b"),
                          format!("https://www.googleapis.com/compute/v1/projects/{P}/zones/us-central1-a")]}]}),
        )
        .query("maxResults=500"),
    );
    m.expect(Exchange::schema(
        "GET",
        path(&format!("zones/{ZONE}/machineTypes")),
        json!({"kind": "compute#machineTypeList", "items": [mt("e2-medium", 2, 4096), mt("e2-small", 2, 2048), mt("n2-standard-2", 2, 8192)],
               "nextPageToken": "page-2"}),
    ));
    m.expect(
        Exchange::schema(
            "GET",
            path(&format!("zones/{ZONE}/machineTypes")),
            json!({"kind": "compute#machineTypeList", "items": [mt("e2-micro", 2, 1024)]}),
        )
        .query("pageToken=page-2"),
    );
    // The three aliases through their image families (the recorded debian-12 lookup; the
    // Ubuntu answers are that image renamed).
    for family in [
        "ubuntu-os-cloud/global/images/family/ubuntu-2204-lts",
        "ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64",
    ] {
        let mut x = Exchange::logged(&images, &debian);
        x.path = format!("/projects/{family}");
        x.body["name"] = json!(format!("{}-v20261101", family.rsplit('/').next().unwrap()));
        m.expect(x);
    }
    m.expect(Exchange::logged(&images, &debian));
    // Create by requirements (cached sizes): insert fails in the operation for capacity.
    m.expect(Exchange::logged(&images, &debian));
    zonal_action_failing(
        &m,
        &ops,
        &format!("zones/{ZONE}/instances"),
        "ZONE_RESOURCE_POOL_EXHAUSTED",
        "The zone does not have enough resources",
        503,
    );

    let compute = GceCompute::with_client(client(&m));
    let regions = compute.list_regions().await.unwrap();
    assert_eq!(
        regions[0].zones,
        vec!["us-central1-a".to_string(), "us-central1-b".to_string()]
    );
    let sizes = compute.list_sizes().await.unwrap();
    assert_eq!(sizes.len(), 4, "both pages");
    let images_seen = compute.list_images().await.unwrap();
    assert_eq!(images_seen.len(), 3);
    assert!(images_seen.iter().any(|i| i.aliases == vec!["debian-12".to_string()]));
    let spec = InstanceSpec::new(
        "vm-2",
        SizeChoice::Requirements {
            min_vcpus: 2,
            min_memory_mib: 2000,
        },
        ImageChoice::Alias("debian-12".into()),
    );
    let e = compute.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CapacityUnavailable, "{e}");
    assert_eq!(e.raw_code(), Some("ZONE_RESOURCE_POOL_EXHAUSTED"));
    m.verify_as("compute.sizes_regions_images_capacity", "compute");
    let seen = m.seen.lock().unwrap();
    let insert = &seen[seen.len() - 2].2;
    assert_eq!(
        insert["machineType"],
        format!("zones/{ZONE}/machineTypes/e2-small"),
        "the smallest fit"
    );
    assert!(seen[3]
        .1
        .contains("/projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"));
}

#[tokio::test]
async fn terminating_an_instance_that_is_gone_succeeds_and_waits_as_terminated() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let inst = format!("zones/{ZONE}/instances/vm-1");
    // Terminate, the wait for terminated, a retried terminate: each reads the instance (404)
    // and sends nothing else.
    for _ in 0..3 {
        m.expect(Exchange::error("GET", path(&inst), 404, "notFound"));
    }
    // Gone between the read and the delete: the delete's 404 is success too.
    m.expect(Exchange::schema("GET", path(&inst), instance("vm-1", "RUNNING", &[])));
    m.expect(Exchange::error("DELETE", path(&inst), 404, "notFound"));

    let compute = GceCompute::with_client(client(&m));
    let id = format!("{ZONE}/vm-1");
    let i = compute.terminate_instance(&id).await.unwrap();
    assert_eq!((i.id.as_str(), i.name.as_str()), (id.as_str(), "vm-1"));
    assert_eq!((i.state.state, i.state.raw.as_str()), (State::Terminated, "not found"));
    let w = compute
        .wait_for_state(&id, State::Terminated, WaitOptions::timeout(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(w.state.state, State::Terminated);
    let again = compute.terminate_instance(&id).await.unwrap();
    assert_eq!(again.state.state, State::Terminated);
    let raced = compute.terminate_instance(&id).await.unwrap();
    assert_eq!(raced.state.state, State::Terminated);
    m.verify_as("compute.terminate_instance (already gone, retried, raced)", "compute");
}

#[tokio::test]
async fn a_list_missing_unreachable_zones_is_unavailable_not_short() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    // One zone answered, one did not (`unreachables`, documented on InstanceAggregatedList),
    // one said so in its scope warning.
    let mut page = aggregated_instances(vec![instance("vm-1", "RUNNING", &[])]);
    page["unreachables"] = json!(["zones/us-east1-d"]);
    page["items"]["zones/europe-west1-b"] = json!({"warning": {"code": "UNREACHABLE",
        "message": "The zone is unreachable", "data": [{"key": "scope", "value": "zones/europe-west1-b"}]}});
    m.expect(Exchange::schema("GET", path("aggregated/instances"), page).query("returnPartialSuccess=true"));
    let compute = GceCompute::with_client(client(&m));
    let e = compute.list_instances(&InstanceFilter::default()).await.unwrap_err();
    m.verify_as("compute.list_instances (unreachable zones)", "compute");
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(e.is_retryable());
    let text = e.to_string();
    assert!(
        text.contains("zones/us-east1-d") && text.contains("zones/europe-west1-b"),
        "{text}"
    );
}

#[tokio::test]
async fn an_operation_still_running_at_the_deadline_is_a_timeout_naming_it() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let ops = zonal_ops(&dir);
    let inst = format!("zones/{ZONE}/instances/vm-1");
    // stop answers RUNNING, the one wait before the deadline answers RUNNING again.
    m.expect(op_as(&ops.0, &ops.1, "POST", &format!("{inst}/stop")));
    m.expect(op_as(
        &ops.0,
        &ops.1,
        "POST",
        &format!("zones/{ZONE}/operations/operation-1/wait"),
    ));
    let mut c = GceConfig::new(P, ZONE);
    c.endpoint = m.endpoint.clone();
    c.auth = GcsAuth::Anonymous;
    c.poll_interval = Duration::from_millis(400);
    c.operation_timeout = Duration::from_millis(200);
    let compute = GceCompute::with_client(GceClient::new(&c).unwrap());
    let started = std::time::Instant::now();
    let e = compute.stop_instance("vm-1", StopMode::Stop).await.unwrap_err();
    m.verify_as("compute.operation deadline", "compute");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("operation-1"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn rate_limits_are_retryable_with_the_request_id_and_retry_after_sent() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let ops = zonal_ops(&dir);
    let inst = format!("zones/{ZONE}/instances/vm-1");
    m.expect(
        Exchange::error("GET", path(&inst), 403, "rateLimitExceeded")
            .header("x-goog-request-id", "req-42")
            .header("Retry-After", "9"),
    );
    // An operation that fails because the instance has too many operations at once.
    zonal_action_failing(
        &m,
        &ops,
        &format!("{inst}/start"),
        "RESOURCE_OPERATION_RATE_EXCEEDED",
        "Operation rate exceeded for resource 'vm-1'.",
        409,
    );
    let compute = GceCompute::with_client(client(&m));
    let e = compute.get_instance("vm-1").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::RateLimited, Some("rateLimitExceeded"))
    );
    assert_eq!(e.request_id(), Some("req-42"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
    let e = compute.start_instance("vm-1").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::RateLimited, Some("RESOURCE_OPERATION_RATE_EXCEEDED"))
    );
    assert!(e.is_retryable());
    m.verify_as("compute.errors (rate limits, request id, retry-after)", "compute");
}

/// The mock is not a rubber stamp: undocumented paths, unknown or mistyped fields, missing
/// required fields and invalid scripted answers are all reported.
#[tokio::test]
async fn the_mock_reports_what_google_does_not_document() {
    let Some(dir) = fixtures_dir() else { return };
    let d = Discovery::load(&dir);
    let m = Mock::start(&d).await;
    let http = reqwest::Client::new();
    m.expect(Exchange::schema(
        "POST",
        path("global/networks"),
        json!({"kind": "compute#operation", "status": "DONE"}),
    ));
    m.expect(Exchange::schema(
        "GET",
        path("global/networks/n"),
        json!({"name": "n", "cidrBlock": "10.0.0.0/16"}),
    ));
    m.expect(Exchange::schema(
        "GET",
        path("global/networks/n"),
        json!({"name": "n", "mtu": "big"}),
    ));
    m.expect(Exchange::schema("GET", path("global/vpcs/n"), json!({})));
    let url = |rest: &str| format!("{}{}", m.endpoint, path(rest));
    // No `name` (required for compute.networks.insert) and an AWS-style field.
    http.post(url("global/networks"))
        .json(&json!({"cidrBlock": "10.0.0.0/16"}))
        .send()
        .await
        .unwrap();
    http.get(url("global/networks/n")).send().await.unwrap();
    http.get(url("global/networks/n")).send().await.unwrap();
    http.get(url("global/vpcs/n")).send().await.unwrap();
    let problems = m.problems();
    let all = problems.join("\n");
    assert_eq!(problems.len(), 4, "{all}");
    assert!(all.contains("required field `name`"), "{all}");
    assert!(all.contains("/cidrBlock: not a field"), "{all}");
    assert!(all.contains("\"big\" is not integer"), "{all}");
    assert!(all.contains("not a documented Compute Engine v1 method"), "{all}");
}
