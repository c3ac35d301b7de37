//! A real guest's life on the real `libvirtd` that `scripts/libvirt start` runs (its
//! `NIMBUS_TEST_LIBVIRT_*` variables select it; skipped without them, failed without them
//! when `NIMBUS_REQUIRE_EMULATORS=1`): it boots from its overlay, takes the address the
//! subnet reserved for it over DHCP, reads its user data from the NoCloud seed the way
//! cloud-init does (the test image serves what it read on port 8082), stops on ACPI (a
//! graceful shutdown, not a power pull), starts again, and after terminate no volume, filter
//! or DHCP reservation of it is left.
//!
//! What the guest serves is read over HTTP from inside the namespace the daemon's bridges
//! live in, on a thread of its own that enters it (`setns`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::FutureExt;
use nimbus_core::compute::{ImageChoice, InstanceSpec, SizeChoice, State, StopMode, WaitOptions};
use nimbus_core::config::Settings;
use nimbus_core::contract::Contract;
use nimbus_core::network::{NetworkSpec, SubnetSpec};
use nimbus_core::{Compute, ComputeExt, NetworkService};
use nimbus_libvirt::{LibvirtCompute, LibvirtConfig, LibvirtNetwork};

fn env() -> Option<(String, String, String)> {
    let get = |k: &str| std::env::var(k).ok();
    match (
        get("NIMBUS_TEST_LIBVIRT_URI"),
        get("NIMBUS_TEST_LIBVIRT_POOL"),
        get("NIMBUS_TEST_LIBVIRT_NETNS"),
    ) {
        (Some(u), Some(p), Some(n)) => Some((u, p, n)),
        _ if get("NIMBUS_REQUIRE_EMULATORS").as_deref() == Some("1") => {
            panic!("NIMBUS_TEST_LIBVIRT_* not set: run `eval \"$(bash scripts/libvirt start)\"`")
        }
        _ => None,
    }
}

/// GET `path` from `ip:port` inside `netns`; the body, or None while nothing answers.
fn http_get(netns: &str, ip: Ipv4Addr, port: u16, path: &str) -> Option<String> {
    let (ns, path) = (format!("/run/netns/{netns}"), path.to_string());
    std::thread::spawn(move || {
        let f = std::fs::File::open(&ns).expect("namespace");
        // SAFETY: a namespace fd; this thread ends with the request.
        assert_eq!(
            unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&f), libc::CLONE_NEWNET) },
            0
        );
        let mut s = TcpStream::connect_timeout(&SocketAddr::from((ip, port)), Duration::from_secs(2)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
    })
    .join()
    .ok()
    .flatten()
}

async fn wait_body(netns: &str, ip: Ipv4Addr, port: u16, path: &str, within: Duration) -> String {
    let end = Instant::now() + within;
    loop {
        let (ns, p) = (netns.to_string(), path.to_string());
        if let Some(b) = tokio::task::spawn_blocking(move || http_get(&ns, ip, port, &p))
            .await
            .unwrap()
        {
            return b;
        }
        assert!(
            Instant::now() < end,
            "{ip}:{port}{path} did not answer within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn virsh(args: &[&str]) -> String {
    let out = Command::new("virsh")
        .args(["-c", "qemu:///system"])
        .args(args)
        .output()
        .expect("virsh");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_guest_boots_reads_its_user_data_stops_on_acpi_and_leaves_nothing() {
    let Some((uri, pool, netns)) = env() else {
        eprintln!("skipped: no NIMBUS_TEST_LIBVIRT_* (scripts/libvirt start)");
        return;
    };
    let mut s = Settings::default();
    for (k, v) in [
        ("uri", uri.as_str()),
        ("pool", pool.as_str()),
        ("accelerator", "tcg"),
        ("network", "none"),
        ("shutdown_timeout", "60s"),
    ] {
        s.set(k, v, "test");
    }
    let cfg = LibvirtConfig::from_settings(&s).unwrap();
    let compute = Contract::new(std::sync::Arc::new(LibvirtCompute::connect(&cfg).await.unwrap()));
    let network = Contract::new(std::sync::Arc::new(LibvirtNetwork::connect(&cfg).await.unwrap()));
    let run = format!("lvg-{}", std::process::id());
    let net = network
        .create_network(&NetworkSpec::new(format!("{run}-net"), "10.61.0.0/16".parse().unwrap()))
        .await
        .unwrap();
    let sub = network
        .create_subnet(&SubnetSpec::new(
            net.id.clone(),
            format!("{run}-sub"),
            "10.61.4.0/24".parse().unwrap(),
        ))
        .await
        .unwrap();

    let planted = format!("#cloud-config\n# nimbus-user-data {run}\n");
    let spec = InstanceSpec::new(
        format!("{run}-vm"),
        SizeChoice::Id("nano".into()),
        ImageChoice::Alias("nimbus-tiny".into()),
    )
    .subnet(sub.id.clone())
    .user_data(planted.clone());
    let created = compute.create_instance(&spec).await.unwrap();
    let id = created.id.clone();
    let outcome = std::panic::AssertUnwindSafe(async {
        let ip: Ipv4Addr = created
            .private_ip
            .as_deref()
            .expect("address reserved at create")
            .parse()
            .unwrap();
        assert!(sub.cidr.contains(&ip), "{ip} outside {}", sub.cidr);
        let wait = WaitOptions::timeout(Duration::from_secs(120));
        let running = compute.wait_for_state(&id, State::Running, wait.clone()).await.unwrap();
        assert!(
            running.state.raw.contains("(tcg)"),
            "raw state names the accelerator: {}",
            running.state.raw
        );

        // The address is the reserved one: the guest answers on it (it asked DHCP for one).
        assert_eq!(
            wait_body(&netns, ip, 8080, "/", Duration::from_secs(120)).await.trim(),
            "nimbus-8080"
        );
        // cloud-init's NoCloud files, as the guest read them from the seed.
        assert_eq!(wait_body(&netns, ip, 8082, "/", Duration::from_secs(30)).await, planted);
        let meta = wait_body(&netns, ip, 8082, "/meta-data", Duration::from_secs(10)).await;
        assert!(meta.contains(&format!("instance-id: {id}")), "{meta}");

        // ACPI: the guest powers itself off (reason `shutdown`, not `destroyed`).
        let t = Instant::now();
        let stopped = compute.stop_instance(&id, StopMode::Stop).await.unwrap();
        assert_eq!(stopped.state.state, State::Stopped);
        assert!(
            stopped.state.raw.starts_with("shutoff/shutdown"),
            "{} after {:?}",
            stopped.state.raw,
            t.elapsed()
        );

        compute.start_instance(&id).await.unwrap();
        compute.wait_for_state(&id, State::Running, wait).await.unwrap();
        assert_eq!(
            wait_body(&netns, ip, 8080, "/", Duration::from_secs(120)).await.trim(),
            "nimbus-8080"
        );
    })
    .catch_unwind()
    .await;
    // Cleanup runs whatever happened above; then the failure, if any, is reported.
    compute.terminate_instance(&id).await.unwrap();
    if let Err(panic) = outcome {
        let _ = network.delete_subnet(&sub.id).await;
        let _ = network.delete_network(&net.id).await;
        std::panic::resume_unwind(panic);
    }
    let vols = virsh(&["vol-list", &pool]);
    assert!(!vols.contains(&id), "volumes of the instance left: {vols}");
    assert!(!virsh(&["nwfilter-list"]).contains(&id), "its filter is left");
    let netxml = virsh(&["net-dumpxml", &format!("{run}-net")]);
    assert!(!netxml.contains("<host "), "its DHCP reservation is left: {netxml}");
    network.delete_subnet(&sub.id).await.unwrap();
    network.delete_network(&net.id).await.unwrap();
}
