//! Nova against the real stack: bad input gets a typed error and leaves nothing behind, a
//! server in a subnet gets its port (deleted with it), older microversions read the same
//! server, and what Nimbus creates is what the `openstack` CLI shows.
//!
//! Skipped with a note unless the stack's variables are set (`scripts/openstack env`);
//! `NIMBUS_REQUIRE_EMULATORS=1` turns a missing stack into a failure. Two tests use the
//! stack's admin account (from `scripts/openstack`) for a short-lived flavor, deleted at the
//! end whether the test passes or not.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use nimbus_core::compute::{ImageChoice, Instance, InstanceSpec, SizeChoice, State, StopMode, WaitOptions};
use nimbus_core::{Compute, ComputeExt, ErrorKind};
use nimbus_openstack::{NovaCompute, OpenStackConfig, Service, Session};
use reqwest::Method;
use serde_json::{json, Value};

fn cfg(overrides: &[(&str, &str)]) -> Option<OpenStackConfig> {
    let mut s = common::settings()?;
    for (k, v) in overrides {
        s.set(*k, *v, "test");
    }
    Some(OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap())
}

/// The client as `PROVIDER` opens it (the token shared with every test of this process).
fn nova(overrides: &[(&str, &str)]) -> Option<NovaCompute> {
    Some(NovaCompute::connect(&cfg(overrides)?).unwrap())
}

/// The stack's admin (test-only credentials of a loopback cloud, as in `scripts/openstack`).
fn admin() -> Session {
    let c = cfg(&[
        ("username", "admin"),
        ("password", "nimbus-admin-secret"),
        ("project_name", "admin"),
    ])
    .unwrap();
    Session::new(&c).unwrap()
}

fn name(tag: &str) -> String {
    format!("nimbus-it-compute-{tag}-{}", std::process::id())
}

fn image() -> ImageChoice {
    ImageChoice::Alias("ubuntu-22.04".into())
}

fn wait() -> WaitOptions {
    WaitOptions::timeout(Duration::from_secs(120)).interval(Duration::from_millis(500))
}

/// Servers of the project named `n` (any state Nova still lists).
async fn named(c: &NovaCompute, n: &str) -> Vec<Instance> {
    let mut f = nimbus_core::compute::InstanceFilter::default();
    f.include_terminated = true;
    c.list_instances(&f)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.name == n)
        .collect()
}

/// A flavor made by the admin for one test, deleted on drop of the returned guard's future.
async fn with_flavor<F, Fut>(vcpus: u32, ram: u64, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let a = admin();
    let fname = name(&format!("flavor-{vcpus}c-{ram}m"));
    let body = json!({"flavor": {"name": fname, "vcpus": vcpus, "ram": ram, "disk": 1}});
    let v = a
        .send_json(Service::Compute, Method::POST, "/flavors", &body, |r| r)
        .await
        .unwrap();
    let id = v["flavor"]["id"].as_str().unwrap().to_string();
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(test(fname))).await;
    a.send(Service::Compute, Method::DELETE, &format!("/flavors/{id}"), |r| r)
        .await
        .unwrap();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

#[tokio::test]
async fn requirements_no_flavor_meets_are_capacity_unavailable_and_create_nothing() {
    let Some(c) = nova(&[]) else { return };
    let n = name("toobig");
    let spec = InstanceSpec::new(
        &n,
        SizeChoice::Requirements {
            min_vcpus: 512,
            min_memory_mib: 1,
        },
        image(),
    );
    let e = c.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CapacityUnavailable, "{e}");
    let spec = InstanceSpec::new(&n, SizeChoice::Id("m9.nonexistent".into()), image());
    let e = c.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.message().contains("m1.tiny"), "names the flavors there are: {e}");
    assert!(named(&c, &n).await.is_empty());
}

#[tokio::test]
async fn unknown_queued_and_deleted_images_are_invalid_input_and_create_nothing() {
    let Some(c) = nova(&[]) else { return };
    let n = name("noimage");
    let tiny = SizeChoice::Id("m1.tiny".into());
    let unknown = ImageChoice::Id("00000000-0000-4000-8000-000000000000".into());
    let e = c
        .create_instance(&InstanceSpec::new(&n, tiny.clone(), unknown))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::InvalidInput, Some("ImageNotFound")),
        "{e}"
    );
    // An image of our own: queued (no data), then deleted.
    let s = c.session();
    let img = s
        .send_json(
            Service::Image,
            Method::POST,
            "/v2/images",
            &json!({"name": name("queued-image"), "disk_format": "raw", "container_format": "bare"}),
            |r| r,
        )
        .await
        .unwrap();
    let id = img["id"].as_str().unwrap().to_string();
    let e = c
        .create_instance(&InstanceSpec::new(&n, tiny.clone(), ImageChoice::Id(id.clone())))
        .await
        .unwrap_err();
    let deleted = s
        .send(Service::Image, Method::DELETE, &format!("/v2/images/{id}"), |r| r)
        .await;
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::InvalidInput, Some("ImageNotActive")),
        "{e}"
    );
    deleted.unwrap();
    let e = c
        .create_instance(&InstanceSpec::new(&n, tiny, ImageChoice::Id(id)))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::InvalidInput, Some("ImageNotFound")),
        "{e}"
    );
    assert!(named(&c, &n).await.is_empty());
}

#[tokio::test]
async fn a_flavor_over_the_core_quota_is_quota_exceeded_and_creates_nothing() {
    let Some(c) = nova(&[]) else { return };
    // The test project's quota is 20 cores: one server of 32 vCPUs is over it.
    with_flavor(32, 512, |flavor| async move {
        let n = name("quota");
        let e = c
            .create_instance(&InstanceSpec::new(&n, SizeChoice::Id(flavor), image()))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e}");
        assert!(e.request_id().is_some_and(|r| r.starts_with("req-")), "{e:?}");
        assert!(named(&c, &n).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_server_no_host_can_take_is_capacity_unavailable_and_deleted() {
    let Some(c) = nova(&[]) else { return };
    // Within the RAM quota (50 GiB), beyond the fake host (8 GiB × 1.5): "No valid host".
    with_flavor(1, 20480, |flavor| async move {
        let n = name("nohost");
        let e = c
            .create_instance(&InstanceSpec::new(&n, SizeChoice::Id(flavor), image()))
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::CapacityUnavailable, Some("NoValidHost")),
            "{e}"
        );
        // The server in ERROR was deleted by create.
        for _ in 0..40 {
            if named(&c, &n).await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("server `{n}` in ERROR was left behind");
    })
    .await;
}

/// Runs `openstack ARGS -f json` as the test user; `None` when the CLI is not installed.
fn cli(args: &[&str]) -> Option<Value> {
    let out = common::os_cli("openstack").args(args).args(["-f", "json"]).output();
    match out {
        Ok(o) if o.status.success() => Some(serde_json::from_slice(&o.stdout).unwrap()),
        Ok(o) => panic!("openstack {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            eprintln!("`openstack` CLI not runnable ({e}): interop not checked");
            None
        }
    }
}

#[tokio::test]
async fn the_cli_sees_the_server_with_its_labels_old_microversions_read_it_alike_and_a_second_stop_conflicts() {
    let Some(c) = nova(&[]) else { return };
    let n = name("interop");
    let spec = InstanceSpec::new(&n, SizeChoice::Id("m1.tiny".into()), image())
        .label("team", "qa-1")
        .label("nimbus-it", "interop");
    let i = c.create_instance(&spec).await.unwrap();
    let result = std::panic::AssertUnwindSafe(async {
        let running = c.wait_for_state(&i.id, State::Running, wait()).await.unwrap();
        assert_eq!(running.size, "m1.tiny");
        if let Some(show) = cli(&["server", "show", &i.id]) {
            assert_eq!(show["name"], n.as_str());
            assert_eq!(show["status"], "ACTIVE");
            // The CLI calls metadata "properties": a JSON object, or `k='v', …` in old clients.
            let props = &show["properties"];
            let has = |k: &str, v: &str| match props {
                Value::Object(m) => m.get(k).and_then(Value::as_str) == Some(v),
                Value::String(s) => s.contains(&format!("{k}='{v}'")),
                _ => false,
            };
            assert!(has("team", "qa-1") && has("nimbus-it", "interop"), "{props}");
        }
        // Below 2.47 the server names its flavor by id: the same instance comes out.
        let old = nova(&[("max_microversion", "2.46")]).unwrap();
        assert_eq!(old.microversion().await.unwrap().to_string(), "2.46");
        let seen = old.get_instance(&i.id).await.unwrap();
        assert_eq!(
            (seen.size.as_str(), seen.image.as_str()),
            ("m1.tiny", running.image.as_str())
        );
        assert_eq!(seen.labels, running.labels);
        assert_eq!(seen.state, running.state);
        // Stopping a stopped server is Nova's 409: Conflict, with Nova's code and request id.
        c.stop_instance(&i.id, StopMode::Stop).await.unwrap();
        let stopped = c.wait_for_state(&i.id, State::Stopped, wait()).await.unwrap();
        assert_eq!(stopped.state.raw, "SHUTOFF");
        let e = c.stop_instance(&i.id, StopMode::Stop).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.raw_code()),
            (ErrorKind::Conflict, Some("conflictingRequest")),
            "{e}"
        );
        assert!(e.request_id().is_some_and(|r| r.starts_with("req-")), "{e:?}");
        if let Some(show) = cli(&["server", "show", &i.id]) {
            assert_eq!(show["status"], "SHUTOFF");
        }
    });
    let outcome = futures::FutureExt::catch_unwind(result).await;
    c.terminate_instance(&i.id).await.unwrap();
    c.wait_for_state(&i.id, State::Terminated, wait()).await.unwrap();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

/// Neutron: a network with one subnet and a security group, for the subnet test.
async fn make_network(s: &Session, tag: &str) -> (String, String, String) {
    let net = neutron_create(s, "networks", "network", json!({"name": name(tag)})).await;
    let sub = neutron_create(
        s,
        "subnets",
        "subnet",
        json!({"network_id": net, "ip_version": 4, "cidr": "10.203.7.0/24", "name": name(tag)}),
    )
    .await;
    let sg = neutron_create(s, "security-groups", "security_group", json!({"name": name(tag)})).await;
    (net, sub, sg)
}

/// `POST /v2.0/{collection}` with `{kind: body}`; the new resource's id.
async fn neutron_create(s: &Session, collection: &str, kind: &str, body: Value) -> String {
    let v = s
        .send_json(
            Service::Network,
            Method::POST,
            &format!("/v2.0/{collection}"),
            &json!({ kind: body }),
            |r| r,
        )
        .await
        .unwrap();
    v[kind]["id"].as_str().unwrap().to_string()
}

async fn ports_of(s: &Session, device: &str) -> Vec<Value> {
    let v = s
        .get_json(Service::Network, &format!("/v2.0/ports?device_id={device}"), |r| r)
        .await
        .unwrap();
    v["ports"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_server_in_a_subnet_gets_a_port_there_with_its_firewall_and_the_port_goes_with_it() {
    let Some(c) = nova(&[]) else { return };
    let s = c.session().clone();
    let (net, sub, sg) = make_network(&s, "subnet").await;
    let n = name("insubnet");
    let spec = InstanceSpec::new(&n, SizeChoice::Id("m1.tiny".into()), image())
        .subnet(sub.clone())
        .firewall(sg.clone());
    let created = c.create_instance(&spec).await;
    let second = std::sync::Mutex::new(Vec::new());
    let result = std::panic::AssertUnwindSafe(async {
        let i = created.as_ref().unwrap();
        // Known at once, before Nova binds the port.
        assert_eq!(
            i.subnet.as_deref(),
            Some(sub.as_str()),
            "{:?}",
            ports_of(&s, &i.id).await
        );
        assert_eq!(i.firewalls, vec![sg.clone()]);
        let i = c.wait_for_state(&i.id, State::Running, wait()).await.unwrap();
        assert_eq!(i.subnet.as_deref(), Some(sub.as_str()));
        assert_eq!(i.firewalls, vec![sg.clone()]);
        let ip = i.private_ip.clone().unwrap();
        assert!(ip.starts_with("10.203.7."), "{ip}");
        let ports = ports_of(&s, &i.id).await;
        assert_eq!(ports.len(), 1, "{ports:?}");
        let port = ports[0]["id"].as_str().unwrap().to_string();
        let t = c.terminate_instance(&i.id).await.unwrap();
        assert!(
            matches!(t.state.state, State::Terminating | State::Terminated),
            "{:?}",
            t.state
        );
        c.wait_for_state(&i.id, State::Terminated, wait()).await.unwrap();
        let e = s
            .get_json(Service::Network, &format!("/v2.0/ports/{port}"), |r| r)
            .await
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::NotFound,
            "the port made for the server is deleted with it"
        );
        // Again: already gone is success.
        let again = c.terminate_instance(&i.id).await.unwrap();
        assert_eq!(
            (again.state.state, again.state.raw.as_str()),
            (State::Terminated, "not found")
        );
        // Without a subnet, the `network` setting (a name here) places the server, and the
        // firewall goes to Nova by id: Nova's own port carries it.
        let by_setting = nova(&[("network", &name("subnet"))]).unwrap();
        let spec = InstanceSpec::new(name("bysetting"), SizeChoice::Id("m1.tiny".into()), image()).firewall(sg.clone());
        let j = by_setting.create_instance(&spec).await.unwrap();
        second.lock().unwrap().push(j.id.clone());
        let j = c.wait_for_state(&j.id, State::Running, wait()).await.unwrap();
        assert_eq!(
            (j.subnet.as_deref(), j.firewalls.clone()),
            (Some(sub.as_str()), vec![sg.clone()])
        );
        // No subnet, no setting, but a firewall: there is no interface to put it on.
        let spec = InstanceSpec::new(name("nonic"), SizeChoice::Id("m1.tiny".into()), image()).firewall(sg.clone());
        let e = c.create_instance(&spec).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(named(&c, &name("nonic")).await.is_empty());
    });
    let outcome = futures::FutureExt::catch_unwind(result).await;
    let mut ids: Vec<String> = second.lock().unwrap().clone();
    if let Ok(i) = &created {
        ids.push(i.id.clone());
    }
    for id in ids {
        let _ = c.terminate_instance(&id).await;
        let _ = c.wait_for_state(&id, State::Terminated, wait()).await;
    }
    // Neutron may need a moment after the server's port is unbound.
    for path in [format!("/v2.0/security-groups/{sg}"), format!("/v2.0/networks/{net}")] {
        for attempt in 0..20 {
            match s.send(Service::Network, Method::DELETE, &path, |r| r).await {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::NotFound => break,
                Err(e) if attempt == 19 => panic!("cleanup {path}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

#[tokio::test]
async fn an_unknown_subnet_or_labels_nova_cannot_store_are_invalid_input() {
    let Some(c) = nova(&[]) else { return };
    let n = name("badinput");
    let tiny = SizeChoice::Id("m1.tiny".into());
    let spec = InstanceSpec::new(&n, tiny.clone(), image()).subnet("00000000-0000-4000-8000-000000000000");
    let e = c.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let spec = InstanceSpec::new(&n, tiny.clone(), image()).label("k", "v".repeat(256));
    assert_eq!(
        c.create_instance(&spec).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let spec = InstanceSpec::new(&n, tiny, image()).zone("no-such-zone");
    let e = c.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(named(&c, &n).await.is_empty());
}

async fn images_named(s: &Session, n: &str) -> usize {
    let v = s
        .get_json(Service::Image, &format!("/v2/images?name={n}"), |r| r)
        .await
        .unwrap();
    v["images"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_deallocating_stop_shelves_and_terminate_leaves_no_snapshot() {
    let Some(c) = nova(&[]) else { return };
    let n = name("shelve");
    let i = c
        .create_instance(&InstanceSpec::new(&n, SizeChoice::Id("m1.tiny".into()), image()))
        .await
        .unwrap();
    let result = std::panic::AssertUnwindSafe(async {
        c.wait_for_state(&i.id, State::Running, wait()).await.unwrap();
        c.stop_instance(&i.id, StopMode::Deallocate).await.unwrap();
        let s = c.wait_for_state(&i.id, State::Stopped, wait()).await.unwrap();
        assert_eq!(s.state.raw, "SHELVED_OFFLOADED");
        // Nova's snapshot of the shelved server, named after it.
        assert_eq!(images_named(c.session(), &format!("{n}-shelved")).await, 1);
    });
    let outcome = futures::FutureExt::catch_unwind(result).await;
    c.terminate_instance(&i.id).await.unwrap();
    c.wait_for_state(&i.id, State::Terminated, wait()).await.unwrap();
    let mut left = 1;
    for _ in 0..20 {
        left = images_named(c.session(), &format!("{n}-shelved")).await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
    assert_eq!(left, 0, "the shelve snapshot outlived the server");
}
