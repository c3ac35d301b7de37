//! The main job on the embedded `local` cloud: a bucket with objects, a network with a subnet
//! and a firewall, and an instance launched, waited for, stopped and terminated.
//!
//! Run: `cargo run -p nimbus-examples --example quickstart`
//! State goes to a temporary directory unless NIMBUS_HOME is set.

use std::time::Duration;

use futures::StreamExt;
use nimbus::local::{open_fs, SimCloud, SimOptions};
use nimbus::network::validate::parse_cidr;
use nimbus::prelude::*;

#[tokio::main]
async fn main() -> Result<()> {
    let tmp = tempfile::tempdir().map_err(Error::from)?;
    let home = std::env::var_os("NIMBUS_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    println!(
        "== Nimbus quickstart on the embedded `local` cloud (state in {})",
        home.display()
    );

    // Storage: a filesystem store; the same code runs on S3, GCS or Azure Blob.
    let storage: std::sync::Arc<dyn Storage> =
        nimbus::with_standard_layers(open_fs(home.join("storage"), Default::default())?);
    let bucket = "quickstart";
    if !storage.bucket_exists(bucket).await? {
        storage.create_bucket(bucket, &Default::default()).await?;
    }
    println!("-- created bucket `{bucket}`");
    for (key, body) in [
        ("hello.txt", "hello, world\n"),
        ("reports/2026-q3.csv", "a,b\n1,2\n"),
        ("reports/2026-q4.csv", "a,b\n3,4\n"),
    ] {
        let m = storage
            .put(
                bucket,
                key,
                body.into(),
                &PutOptions::default().content_type("text/plain"),
            )
            .await?;
        println!(
            "   put {key:<22} {:>3} bytes  etag {}",
            m.size,
            m.etag.unwrap_or_default()
        );
    }
    let hello = storage.get_bytes(bucket, "hello.txt").await?;
    println!("-- got hello.txt: {:?}", String::from_utf8_lossy(&hello));
    let mut listing = storage.list(bucket, ListOptions::default().delimiter("/"));
    println!("-- listing `{bucket}` by `/`:");
    while let Some(e) = listing.next().await {
        match e? {
            ListEntry::Object(o) => println!("   {:<22} {:>3} bytes", o.key, o.size),
            ListEntry::Prefix(p) => println!("   {p:<22} (prefix)"),
        }
    }
    let again = storage
        .put(
            bucket,
            "hello.txt",
            "overwrite?".into(),
            &PutOptions::with_mode(PutMode::Create),
        )
        .await;
    println!(
        "-- create-only put of an existing key: {}",
        again.err().map(|e| e.kind().to_string()).unwrap_or_default()
    );

    // Compute and network: the simulator, with realistic (shortened) transition times.
    let sim = SimCloud::open(
        home.join("sim"),
        SimOptions::default().with_transition_time(Duration::from_millis(400)),
    )?;
    let (net, compute) = (sim.network(), sim.compute());
    let suffix = format!("{:x}", std::process::id());
    let vpc = net
        .create_network(&NetworkSpec::new(
            format!("qs-net-{suffix}"),
            parse_cidr("10.42.0.0/16")?,
        ))
        .await?;
    println!(
        "-- network {} {}",
        vpc.id,
        vpc.cidr.map(|c| c.to_string()).unwrap_or_default()
    );
    let subnet = net
        .create_subnet(&SubnetSpec::new(&vpc.id, "web", parse_cidr("10.42.1.0/24")?))
        .await?;
    println!(
        "-- subnet  {} {} in {}",
        subnet.id,
        subnet.cidr,
        subnet.zone.clone().unwrap_or_default()
    );
    let rules = vec![
        FirewallRule::allow_tcp_in(22, parse_cidr("10.0.0.0/8")?),
        FirewallRule::allow_tcp_in(443, parse_cidr("0.0.0.0/0")?),
    ];
    let fw = net
        .create_firewall(&FirewallSpec::new(&vpc.id, "web-fw", rules))
        .await?;
    println!(
        "-- firewall {} with {} rules (ssh from 10/8, https from anywhere)",
        fw.id,
        fw.rules.len()
    );

    let spec = InstanceSpec::new(
        format!("qs-vm-{suffix}"),
        SizeChoice::Requirements {
            min_vcpus: 2,
            min_memory_mib: 2048,
        },
        ImageChoice::Alias("ubuntu-22.04".into()),
    )
    .subnet(&subnet.id)
    .firewall(&fw.id)
    .label("app", "quickstart");
    let vm = compute.create_instance(&spec).await?;
    println!(
        "-- launched {} ({}, {}) state {} (raw `{}`)",
        vm.id, vm.size, vm.image, vm.state.state, vm.state.raw
    );
    let wait = WaitOptions::timeout(Duration::from_secs(30)).interval(Duration::from_millis(100));
    let vm = compute
        .wait_for_state_with(&vm.id, State::Running, wait.clone(), |i| {
            println!("   … {} ({})", i.state.state, i.state.raw)
        })
        .await?;
    println!(
        "-- {} is running at {}",
        vm.id,
        vm.private_ip.clone().unwrap_or_default()
    );
    compute.stop_instance(&vm.id, StopMode::Stop).await?;
    let vm = compute.wait_for_state(&vm.id, State::Stopped, wait.clone()).await?;
    println!("-- stopped {} (raw `{}`)", vm.id, vm.state.raw);
    compute.terminate_instance(&vm.id).await?;
    let vm = compute.wait_for_state(&vm.id, State::Terminated, wait).await?;
    println!("-- terminated {} (raw `{}`)", vm.id, vm.state.raw);

    // Clean up the network in dependency order; a network with subnets cannot go first.
    let early = net.delete_network(&vpc.id).await;
    println!(
        "-- deleting the network before its subnet: {}",
        early.err().map(|e| e.kind().to_string()).unwrap_or_default()
    );
    net.delete_firewall(&fw.id).await?;
    net.delete_subnet(&subnet.id).await?;
    net.delete_network(&vpc.id).await?;
    println!("== done: storage, network and compute all ran on `local`");
    Ok(())
}
