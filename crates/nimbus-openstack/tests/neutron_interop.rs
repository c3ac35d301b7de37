//! Neutron networking against the real stack, checked with the `openstack` CLI: what Nimbus
//! creates is what the CLI shows (names, tags, subnets, rules), refused calls create nothing,
//! deleting what is in use is `Conflict`, and attaching a firewall to a server changes its
//! port's security groups.
//!
//! Everything is created through the portable contract (as the facade opens it) and deleted
//! by a guard that runs the CLI's deletes on drop, so a failing assertion leaves nothing
//! behind.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nimbus_core::contract::Contract;
use nimbus_core::network::{
    Direction, FirewallRule, FirewallSpec, NetworkService, NetworkSpec, PortRange, Protocol, SubnetSpec,
};
use nimbus_core::{ErrorKind, Ipv4Net};
use nimbus_openstack::{NeutronNetwork, OpenStackConfig};
use serde_json::Value;

/// The contract-wrapped adapter, or `None` (with a note) when the stack is not running.
fn open() -> Option<Contract<NeutronNetwork>> {
    let s = common::settings()?;
    let cfg = OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap();
    Some(Contract::new(Arc::new(NeutronNetwork::connect(&cfg).unwrap())))
}

/// A name unique to this process and call.
fn name(what: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("nimbus-it-{what}-{}-{n}", std::process::id())
}

fn net(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

/// The `openstack` CLI as the test user (Debian's, not a pyenv python first on PATH).
fn cli(args: &[&str]) -> std::result::Result<String, String> {
    let out = common::os_cli("/usr/bin/openstack")
        .args(args)
        .output()
        .map_err(|e| format!("openstack {args:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "openstack {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The CLI's JSON answer (`-f json` is added).
fn cli_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-f", "json"]);
    serde_json::from_str(&cli(&all).unwrap()).unwrap()
}

/// Deletes what was created, newest first, with the CLI, when dropped (also after a panic).
#[derive(Default)]
struct Cleanup(Mutex<Vec<Vec<String>>>);

impl Cleanup {
    fn add(&self, args: &[&str]) {
        self.0
            .lock()
            .unwrap()
            .push(args.iter().map(|s| s.to_string()).collect());
    }
    fn network(&self, id: &str) {
        self.add(&["network", "delete", id]);
    }
    fn subnet(&self, id: &str) {
        self.add(&["subnet", "delete", id]);
    }
    fn group(&self, id: &str) {
        self.add(&["security", "group", "delete", id]);
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let all = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        for args in all.iter().rev() {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            if let Err(e) = cli(&refs) {
                if !e.contains("No ") && !e.contains("not found") && !e.contains("could not be found") {
                    eprintln!("cleanup: {e}");
                }
            }
        }
    }
}

#[tokio::test]
async fn networks_subnets_and_rules_are_what_the_cli_shows() {
    let Some(n) = open() else { return };
    let done = Cleanup::default();
    let mut spec = NetworkSpec::new(name("net"), net("10.77.0.0/16"));
    spec.labels.insert("team".into(), "core".into());
    spec.labels.insert("nimbus-test".into(), "interop".into());
    // The idempotency token the contract keeps as a tag: chosen here so the tag is known.
    let token = nimbus_core::request_id::new_request_id();
    spec.request_id = Some(token.clone());
    let created = n.create_network(&spec).await.unwrap();
    done.network(&created.id);
    assert_eq!(created.region.as_deref(), common::var("REGION").as_deref());

    let shown = cli_json(&["network", "show", &created.id]);
    assert_eq!(shown["name"], spec.name.as_str());
    let mut tags: Vec<&str> = shown["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort_unstable();
    let token_tag = format!("nimbus-request-id={token}");
    assert_eq!(
        tags,
        [
            "nimbus-cidr=10.77.0.0/16",
            token_tag.as_str(),
            "nimbus-test=interop",
            "team=core"
        ]
    );
    assert_eq!(n.get_network(&created.id).await.unwrap(), created);

    let s = n
        .create_subnet(&SubnetSpec::new(created.id.clone(), name("sub"), net("10.77.1.0/24")))
        .await
        .unwrap();
    done.subnet(&s.id);
    let shown = cli_json(&["subnet", "show", &s.id]);
    assert_eq!(shown["name"], s.name.as_str());
    assert_eq!(shown["cidr"], "10.77.1.0/24");
    assert_eq!(shown["network_id"], created.id.as_str());
    assert_eq!(shown["ip_version"], 4);
    assert_eq!(shown["enable_dhcp"], true);
    assert_eq!(shown["gateway_ip"], "10.77.1.1");

    let rules = vec![
        FirewallRule::allow_tcp_in(22, net("10.0.0.0/8")),
        FirewallRule::allow_tcp_in(0, net("192.168.0.0/16"))
            .protocol(Protocol::Udp)
            .ports(Some(PortRange { from: 5000, to: 5100 })),
        FirewallRule::allow_tcp_in(0, net("0.0.0.0/0"))
            .protocol(Protocol::Icmp)
            .ports(None),
        FirewallRule::allow_tcp_in(443, net("0.0.0.0/0")).direction(Direction::Egress),
    ];
    let f = n
        .create_firewall(&FirewallSpec::new(created.id.clone(), name("fw"), rules.clone()))
        .await
        .unwrap();
    done.group(&f.id);
    assert_eq!(f.network, created.id);
    let shown = cli_json(&["security", "group", "show", &f.id]);
    assert_eq!(shown["name"], f.name.as_str());
    assert_eq!(
        shown["tags"],
        serde_json::json!([format!("nimbus-network={}", created.id)])
    );
    // Exactly the four rules: Neutron's default egress rules (IPv4 and IPv6) are gone.
    let mut listed: Vec<String> = cli_json(&["security", "group", "rule", "list", &f.id])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["Direction"].as_str().unwrap(),
                r["Ethertype"].as_str().unwrap(),
                r["IP Protocol"].as_str().unwrap_or("any"),
                r["IP Range"].as_str().unwrap(),
                r["Port Range"].as_str().unwrap()
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "egress IPv4 tcp 0.0.0.0/0 443:443",
            "ingress IPv4 icmp 0.0.0.0/0 ",
            "ingress IPv4 tcp 10.0.0.0/8 22:22",
            "ingress IPv4 udp 192.168.0.0/16 5000:5100",
        ]
    );

    // Replacing converges by diff: the kept rule keeps its Neutron id.
    let ssh_id = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["Port Range"] == "22:22")
            .map(|r| r["ID"].as_str().unwrap().to_string())
    };
    let before = ssh_id(&cli_json(&["security", "group", "rule", "list", &f.id]));
    let after = n
        .set_firewall_rules(
            &f.id,
            &[rules[0].clone(), FirewallRule::allow_tcp_in(8080, net("10.1.0.0/16"))],
        )
        .await
        .unwrap();
    assert_eq!(after.rules.len(), 2, "{:?}", after.rules);
    let now = cli_json(&["security", "group", "rule", "list", &f.id]);
    assert_eq!(now.as_array().unwrap().len(), 2, "{now}");
    assert_eq!(ssh_id(&now), before);

    // Listing by network finds it; the project's `default` group is never listed.
    let of_net = n.list_firewalls(Some(created.id.clone())).await.unwrap();
    assert_eq!(
        of_net.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        [f.id.as_str()]
    );
    assert!(!n
        .list_firewalls(None)
        .await
        .unwrap()
        .iter()
        .any(|x| x.name == "default"));

    n.delete_firewall(&f.id).await.unwrap();
    n.delete_subnet(&s.id).await.unwrap();
    n.delete_network(&created.id).await.unwrap();
    assert!(cli(&["network", "show", &created.id]).is_err());
}

#[tokio::test]
async fn refused_subnets_are_typed_and_create_nothing() {
    let Some(n) = open() else { return };
    let done = Cleanup::default();
    let created = n
        .create_network(&NetworkSpec::new(name("net"), net("10.78.0.0/16")))
        .await
        .unwrap();
    done.network(&created.id);
    let first = n
        .create_subnet(&SubnetSpec::new(created.id.clone(), name("sub"), net("10.78.0.0/24")))
        .await
        .unwrap();
    done.subnet(&first.id);
    for (cidr, kind) in [
        ("10.78.0.0/24", ErrorKind::Conflict),
        ("10.78.0.128/25", ErrorKind::Conflict),
        ("10.78.0.0/23", ErrorKind::Conflict),
        ("10.79.0.0/24", ErrorKind::InvalidInput),
        ("10.78.0.0/15", ErrorKind::InvalidInput),
    ] {
        let e = n
            .create_subnet(&SubnetSpec::new(created.id.clone(), name("bad"), net(cidr)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{cidr}: {e}");
    }
    let mut zoned = SubnetSpec::new(created.id.clone(), name("zoned"), net("10.78.9.0/24"));
    zoned.zone = Some("nova".into());
    assert_eq!(
        n.create_subnet(&zoned).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let listed = cli_json(&["subnet", "list", "--network", &created.id]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.id.as_str()], "refused subnets were created");

    // The smallest portable subnet works (Neutron's gateway and a pool of five addresses).
    let small = n
        .create_subnet(&SubnetSpec::new(created.id.clone(), name("small"), net("10.78.2.0/29")))
        .await
        .unwrap();
    done.subnet(&small.id);
    let shown = cli_json(&["subnet", "show", &small.id]);
    assert_eq!(shown["allocation_pools"][0]["start"], "10.78.2.2", "{shown}");

    // A label that cannot be a tag is refused before anything is created.
    let mut bad = NetworkSpec::new(name("badlabel"), net("10.79.0.0/16"));
    bad.labels.insert("k".into(), "v".repeat(300));
    assert_eq!(
        n.create_network(&bad).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        cli_json(&["network", "list", "--name", &bad.name]),
        serde_json::json!([])
    );

    // A second network of the same name is refused, and none is created.
    let e = n
        .create_network(&NetworkSpec::new(created.name.clone(), net("10.79.0.0/16")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let same = cli_json(&["network", "list", "--name", &created.name]);
    assert_eq!(same.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn deleting_a_network_in_use_is_conflict() {
    let Some(n) = open() else { return };
    let done = Cleanup::default();
    let created = n
        .create_network(&NetworkSpec::new(name("net"), net("10.80.0.0/16")))
        .await
        .unwrap();
    done.network(&created.id);
    // A port and no subnet: Neutron's own 409 NetworkInUse.
    let port = cli_json(&["port", "create", "--network", &created.id, &name("port")]);
    let port_id = port["id"].as_str().unwrap().to_string();
    done.add(&["port", "delete", &port_id]);
    let e = n.delete_network(&created.id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::Conflict, Some("NetworkInUse")),
        "{e}"
    );
    cli(&["port", "delete", &port_id]).unwrap();
    // A subnet: refused by the adapter (Neutron would delete it with the network).
    let s = n
        .create_subnet(&SubnetSpec::new(created.id.clone(), name("sub"), net("10.80.0.0/24")))
        .await
        .unwrap();
    done.subnet(&s.id);
    assert_eq!(
        n.delete_network(&created.id).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    assert_eq!(cli_json(&["subnet", "show", &s.id])["id"], s.id.as_str());
    n.delete_subnet(&s.id).await.unwrap();
    // A firewall of the network: refused too.
    let f = n
        .create_firewall(&FirewallSpec::new(created.id.clone(), name("fw"), vec![]))
        .await
        .unwrap();
    done.group(&f.id);
    assert_eq!(
        n.delete_network(&created.id).await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    n.delete_firewall(&f.id).await.unwrap();
    n.delete_network(&created.id).await.unwrap();
}

/// The security groups of the server's one port, as the CLI shows them.
fn port_groups(server: &str) -> Vec<String> {
    let ports = cli_json(&["port", "list", "--server", server, "-c", "ID"]);
    let ports = ports.as_array().unwrap();
    assert_eq!(ports.len(), 1, "{ports:?}");
    let port = cli_json(&["port", "show", ports[0]["ID"].as_str().unwrap()]);
    port["security_group_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn attach_and_detach_change_the_server_ports_groups() {
    let Some(n) = open() else { return };
    let done = Cleanup::default();
    let created = n
        .create_network(&NetworkSpec::new(name("net"), net("10.81.0.0/16")))
        .await
        .unwrap();
    done.network(&created.id);
    let s = n
        .create_subnet(&SubnetSpec::new(created.id.clone(), name("sub"), net("10.81.0.0/24")))
        .await
        .unwrap();
    done.subnet(&s.id);
    let f = n
        .create_firewall(&FirewallSpec::new(
            created.id.clone(),
            name("fw"),
            vec![FirewallRule::allow_tcp_in(22, net("10.0.0.0/8"))],
        ))
        .await
        .unwrap();
    done.group(&f.id);
    let flavor = common::var("FLAVOR").unwrap_or_else(|| "m1.tiny".into());
    let image = common::var("IMAGE").unwrap_or_else(|| "nimbus-ubuntu-22.04".into());
    let server = cli_json(&[
        "server",
        "create",
        "--flavor",
        &flavor,
        "--image",
        &image,
        "--network",
        &created.id,
        &name("vm"),
    ]);
    let server_id = server["id"].as_str().unwrap().to_string();
    done.add(&["server", "delete", "--wait", &server_id]);
    let start = Instant::now();
    loop {
        let status = cli_json(&["server", "show", &server_id, "-c", "status"])["status"]
            .as_str()
            .unwrap()
            .to_string();
        match status.as_str() {
            "ACTIVE" => break,
            "ERROR" => panic!("server {server_id} went to ERROR"),
            _ if start.elapsed() > Duration::from_secs(120) => panic!("server {server_id} is still {status}"),
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
    let before = port_groups(&server_id);
    assert!(!before.contains(&f.id));

    n.attach_firewall(&f.id, &server_id).await.unwrap();
    let attached = port_groups(&server_id);
    assert!(attached.contains(&f.id), "{attached:?}");
    assert!(
        before.iter().all(|g| attached.contains(g)),
        "attach removed a group: {attached:?}"
    );
    // Twice is fine.
    n.attach_firewall(&f.id, &server_id).await.unwrap();
    assert_eq!(port_groups(&server_id).len(), attached.len());

    let e = n.delete_firewall(&f.id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_code()),
        (ErrorKind::Conflict, Some("SecurityGroupInUse")),
        "{e}"
    );
    let e = n.delete_subnet(&s.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");

    n.detach_firewall(&f.id, &server_id).await.unwrap();
    assert_eq!(port_groups(&server_id), before);

    // A missing server is NotFound, for attach and detach.
    let missing = "00000000-0000-4000-8000-000000000000";
    for r in [
        n.attach_firewall(&f.id, missing).await,
        n.detach_firewall(&f.id, missing).await,
    ] {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound);
    }
    // A firewall of another network cannot be attached: the server has no port there.
    let other = n
        .create_network(&NetworkSpec::new(name("other"), net("10.82.0.0/16")))
        .await
        .unwrap();
    done.network(&other.id);
    let g = n
        .create_firewall(&FirewallSpec::new(other.id.clone(), name("fw"), vec![]))
        .await
        .unwrap();
    done.group(&g.id);
    assert_eq!(
        n.attach_firewall(&g.id, &server_id).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );

    n.delete_firewall(&f.id).await.unwrap();
}
