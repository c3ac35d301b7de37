//! Bad input gets a typed error and leaves nothing behind: an unreachable or malformed URI, a
//! pool or network that does not exist, a size the host cannot hold, a range that clashes
//! with another libvirt network of the host, and a create that fails half-way (everything it
//! made is removed). On libvirt's test driver (in process, needs only `libvirt0`), and the
//! half-way failure also on the real daemon of `scripts/libvirt` when it runs.

use std::collections::BTreeMap;

use nimbus_core::compute::{ImageChoice, InstanceSpec, SizeChoice};
use nimbus_core::config::Settings;
use nimbus_core::contract::Contract;
use nimbus_core::network::{NetworkSpec, SubnetSpec};
use nimbus_core::{Compute, ErrorKind, NetworkService};
use nimbus_libvirt::{LibvirtCompute, LibvirtConfig, LibvirtNetwork};

fn cfg(pairs: &[(&str, &str)]) -> nimbus_core::Result<LibvirtConfig> {
    let mut s = Settings::default();
    for (k, v) in pairs {
        s.set(*k, *v, "test");
    }
    LibvirtConfig::from_parts(&s, &BTreeMap::new())
}

fn test_driver(extra: &[(&str, &str)]) -> LibvirtConfig {
    let mut pairs = vec![
        ("uri", "test:///default"),
        ("pool", "default-pool"),
        ("test_seed_image", "bad-input-base.qcow2"),
    ];
    pairs.extend_from_slice(extra);
    cfg(&pairs).unwrap()
}

/// Whether libvirt0 is here (skip otherwise, unless the emulators are required).
async fn have_libvirt() -> bool {
    match LibvirtCompute::connect(&test_driver(&[])).await {
        Ok(_) => true,
        Err(e) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() != Ok("1") => {
            eprintln!("skipped: {e}");
            false
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn unreachable_and_malformed_uris_are_typed() {
    assert_eq!(
        cfg(&[("uri", "qemu:/system")]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        cfg(&[("uri", "vmware:///system")]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    if !have_libvirt().await {
        return;
    }
    // Nothing listens on 127.0.0.1:1: refused at once.
    let e = LibvirtCompute::connect(&cfg(&[("uri", "qemu+tcp://127.0.0.1:1/system")]).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
}

#[tokio::test]
async fn a_missing_pool_or_network_and_an_oversized_size_are_named() {
    if !have_libvirt().await {
        return;
    }
    let compute = Contract::new(std::sync::Arc::new(
        LibvirtCompute::connect(&test_driver(&[])).await.unwrap(),
    ));
    let spec = InstanceSpec::new(
        "bad-input-1",
        SizeChoice::Id("nano".into()),
        ImageChoice::Alias("bad-input-base".into()),
    );

    let no_pool = Contract::new(std::sync::Arc::new(
        LibvirtCompute::connect(&cfg(&[("uri", "test:///default"), ("pool", "no-such-pool")]).unwrap())
            .await
            .unwrap(),
    ));
    let e = no_pool.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("no-such-pool"), "{e}");

    let e = compute
        .create_instance(&spec.clone().subnet("00000000-0000-4000-8000-000000000000/x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

    let huge = Contract::new(std::sync::Arc::new(
        LibvirtCompute::connect(&test_driver(&[("sizes", "nano=1/128,huge=4096/67108864")]))
            .await
            .unwrap(),
    ));
    let mut big = spec.clone();
    big.size = SizeChoice::Id("huge".into());
    let e = huge.create_instance(&big).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CapacityUnavailable, "{e}");
    assert!(e.to_string().contains("4096 vCPUs"), "{e}");
    assert!(!huge.list_sizes().await.unwrap().iter().any(|s| s.id == "huge"));
    assert!(compute
        .list_instances(&Default::default())
        .await
        .unwrap()
        .iter()
        .all(|i| i.name != "bad-input-1"));
}

#[tokio::test]
async fn a_range_that_clashes_with_another_libvirt_network_is_a_conflict_naming_it() {
    if !have_libvirt().await {
        return;
    }
    let network = Contract::new(std::sync::Arc::new(
        LibvirtNetwork::connect(&test_driver(&[])).await.unwrap(),
    ));
    // The test driver's host has the network `default` on 192.168.122.0/24.
    let n = network
        .create_network(&NetworkSpec::new("bad-input-net", "192.168.0.0/16".parse().unwrap()))
        .await
        .unwrap();
    let e = network
        .create_subnet(&SubnetSpec::new(
            n.id.clone(),
            "clash",
            "192.168.122.0/24".parse().unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("`default`"), "{e}");
    assert!(network.list_subnets(Some(n.id.clone())).await.unwrap().is_empty());
    let e = network
        .create_network(&NetworkSpec::new("bad-input-net", "10.9.0.0/16".parse().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    network.delete_network(&n.id).await.unwrap();
}

/// On the real daemon: a machine type QEMU does not have makes the domain definition fail
/// after the overlay, the filter and the address reservation were made; all three go.
#[tokio::test]
async fn a_create_that_fails_half_way_removes_what_it_made() {
    let (Ok(uri), Ok(pool)) = (
        std::env::var("NIMBUS_TEST_LIBVIRT_URI"),
        std::env::var("NIMBUS_TEST_LIBVIRT_POOL"),
    ) else {
        eprintln!("skipped: no NIMBUS_TEST_LIBVIRT_* (scripts/libvirt start)");
        return;
    };
    let base = [
        ("uri", uri.as_str()),
        ("pool", pool.as_str()),
        ("accelerator", "tcg"),
        ("network", "none"),
    ];
    let network = Contract::new(std::sync::Arc::new(
        LibvirtNetwork::connect(&cfg(&base).unwrap()).await.unwrap(),
    ));
    let mut broken = base.to_vec();
    broken.push(("machine", "nimbus-no-such-machine"));
    let compute = Contract::new(std::sync::Arc::new(
        LibvirtCompute::connect(&cfg(&broken).unwrap()).await.unwrap(),
    ));
    let run = format!("lvb-{}", std::process::id());
    let n = network
        .create_network(&NetworkSpec::new(format!("{run}-net"), "10.62.0.0/16".parse().unwrap()))
        .await
        .unwrap();
    let s = network
        .create_subnet(&SubnetSpec::new(n.id.clone(), "s", "10.62.1.0/24".parse().unwrap()))
        .await
        .unwrap();
    let fw = network
        .create_firewall(&nimbus_core::network::FirewallSpec::new(n.id.clone(), "fw", Vec::new()))
        .await
        .unwrap();
    let spec = InstanceSpec::new(
        format!("{run}-vm"),
        SizeChoice::Id("nano".into()),
        ImageChoice::Alias("nimbus-tiny".into()),
    )
    .subnet(s.id.clone())
    .firewall(fw.id.clone())
    .user_data("#cloud-config\n");
    let e = compute.create_instance(&spec).await.unwrap_err();
    let virsh = |args: &[&str]| {
        let o = std::process::Command::new("virsh")
            .args(["-c", uri.as_str()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let leftovers = (
        virsh(&["list", "--all", "--name"]),
        virsh(&["vol-list", &pool]),
        virsh(&["nwfilter-list"]),
        virsh(&["net-dumpxml", &format!("{run}-net")]),
    );
    network.delete_firewall(&fw.id).await.unwrap();
    network.delete_subnet(&s.id).await.unwrap();
    network.delete_network(&n.id).await.unwrap();
    // libvirt refuses the definition (QEMU has no such machine, so no PCI bus either).
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(!leftovers.0.contains(&run), "domain left: {}", leftovers.0);
    assert!(
        !leftovers.1.contains("nimbus-disk") && !leftovers.1.contains("nimbus-seed"),
        "volumes left: {}",
        leftovers.1
    );
    assert!(
        !leftovers.2.contains("nimbus-i-"),
        "instance filter left: {}",
        leftovers.2
    );
    assert!(
        !leftovers.3.contains("<host "),
        "address reservation left: {}",
        leftovers.3
    );
}
