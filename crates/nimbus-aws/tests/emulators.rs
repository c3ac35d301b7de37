//! The AWS adapter against the emulators `scripts/emulators` starts: moto (S3, EC2, VPC) and
//! s3s-fs (SigV4-strict S3). The whole suite runs from `tests/conformance.rs`; these are the
//! checks the suite cannot make (escape hatches, SDK interop, what a preset declares).
//! Without `NIMBUS_TEST_MOTO_ENDPOINT` a test says so and passes, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test), where a missing emulator fails.

use bytes::Bytes;
use nimbus_aws::aws_sdk_s3;
use nimbus_aws::{AwsConfig, S3Storage};
use nimbus_conformance::{run, Outcome, Target};
use nimbus_core::storage::{ListOptions, PutOptions, WriterOptions};
use nimbus_core::{Storage, StorageExt};

mod common;
use common::endpoint;

/// The typed escape hatch reaches the EC2 client the compute and network adapters use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_escape_hatch_is_the_native_client() {
    use nimbus_aws::{aws_sdk_ec2, Ec2Compute, VpcNetwork};
    use nimbus_core::network::NetworkSpec;
    use nimbus_core::{ComputeExt, NetworkService};
    let Some(ep) = endpoint("NIMBUS_TEST_MOTO_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "testing", "testing");
    let net = VpcNetwork::connect(&cfg).await;
    let n = net
        .create_network(&NetworkSpec::new(
            format!("hatch-{}", std::process::id()),
            "10.77.0.0/16".parse().unwrap(),
        ))
        .await
        .unwrap();
    let compute = Ec2Compute::connect(&cfg).await;
    let ec2 = compute.native_as::<aws_sdk_ec2::Client>().expect("EC2 client");
    let out = ec2.describe_vpcs().vpc_ids(&n.id).send().await.unwrap();
    assert_eq!(out.vpcs()[0].cidr_block(), Some("10.77.0.0/16"));
    net.delete_network(&n.id).await.unwrap();
}

/// What moto cannot prove: a tampered presigned URL is refused (s3s-fs verifies SigV4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_presigned_url_is_refused_by_s3s_fs() {
    let Some(ep) = endpoint("NIMBUS_TEST_S3S_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "AKNIMBUSTEST", "SKNIMBUSTEST");
    let mut t = Target::new("s3-compatible");
    t.storage = Some(std::sync::Arc::new(S3Storage::connect(&cfg).await.unwrap()));
    t.presign = Some(std::sync::Arc::new(nimbus_conformance::HttpPresign::default()));
    t.differences = nimbus_conformance::registry::declared("s3s-fs");
    let r = run(&t, Some("storage.presign_tampered_rejected")).await;
    let row = &r.cases[0];
    assert_eq!(row.outcome, Outcome::Pass, "{}", row.detail);
}

/// The DigitalOcean Spaces preset (added by walking docs/adding-a-cloud.md) on s3s-fs, standing
/// in for Spaces: what the preset declares works against a strict S3 server, and what it
/// leaves undeclared (conditional puts, batch delete) is the typed unsupported error, not an
/// overwrite or a loop of single deletes.
/// Spaces' own answers are not proven here (no account); the preset's rows in
/// docs/s3-compatible.md say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spaces_preset_on_s3s_fs_declares_only_what_works() {
    let Some(ep) = endpoint("NIMBUS_TEST_S3S_ENDPOINT") else {
        return;
    };
    let mut cfg = AwsConfig::with_static(&ep, "nyc3", "AKNIMBUSTEST", "SKNIMBUSTEST");
    cfg.preset = Some("spaces".into());
    // s3s-fs serves path-style only; Spaces itself is virtual-hosted (the preset's default).
    cfg.force_path_style = Some(true);
    let mut t = Target::new("s3-compatible");
    t.storage = Some(std::sync::Arc::new(S3Storage::connect(&cfg).await.unwrap()));
    t.presign = Some(std::sync::Arc::new(nimbus_conformance::HttpPresign::default()));
    t.proof.insert(
        "storage".into(),
        "emulator: s3s-fs 0.14.1 standing in for DigitalOcean Spaces".into(),
    );
    t.differences = nimbus_conformance::registry::declared("s3s-fs");
    let r = run(&t, Some("storage.")).await;
    assert!(r.ok(), "{}", r.failures().join("\n"));
    let mut gated = 0;
    for (cases, cap) in [
        ("storage.put_create_only", "storage.put_create_only"),
        ("storage.put_if_version", "storage.put_if_version"),
        ("storage.delete_many", "storage.batch_delete"),
    ] {
        for row in r.cases.iter().filter(|c| c.id.starts_with(cases)) {
            assert_eq!(row.outcome, Outcome::Unsupported, "{}: {}", row.id, row.detail);
            assert!(row.detail.contains(cap), "{}: {}", row.id, row.detail);
            gated += 1;
        }
    }
    assert!(gated >= 6, "only {gated} gated cases");
}

/// Interop: what Nimbus writes (single put and multipart), the official SDK reads back
/// byte-exact, and what the SDK writes, Nimbus reads and lists — through the typed escape
/// hatch to the native client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nimbus_and_the_official_sdk_read_each_others_objects() {
    let Some(ep) = endpoint("NIMBUS_TEST_MOTO_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "testing", "testing");
    let s3 = S3Storage::connect(&cfg).await.unwrap();
    let raw: std::sync::Arc<aws_sdk_s3::Client> = s3.native_as::<aws_sdk_s3::Client>().expect("escape hatch");
    let bucket = format!("interop-{}", std::process::id());
    s3.create_bucket(&bucket, &Default::default()).await.unwrap();

    let small = Bytes::from((0..100_000u32).map(|i| (i % 253) as u8).collect::<Vec<u8>>());
    s3.put(&bucket, "from-nimbus/small.bin", small.clone(), &PutOptions::default())
        .await
        .unwrap();
    let big: Vec<u8> = (0..(11 * 1024 * 1024 + 123))
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let chunks: Vec<nimbus_core::Result<Bytes>> =
        big.chunks(256 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let meta = s3
        .upload_stream(
            &bucket,
            "from-nimbus/big.bin",
            Box::pin(futures::stream::iter(chunks)),
            WriterOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        meta.etag.unwrap_or_default().ends_with("-2"),
        "the 11 MiB upload used two parts"
    );

    for (key, want) in [
        ("from-nimbus/small.bin", small.to_vec()),
        ("from-nimbus/big.bin", big.clone()),
    ] {
        let got = raw.get_object().bucket(&bucket).key(key).send().await.unwrap();
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(body.as_ref() == want.as_slice(), "{key} differs when read by the SDK");
    }

    raw.put_object()
        .bucket(&bucket)
        .key("from-sdk/x.txt")
        .body(Bytes::from_static(b"written by aws-sdk-s3").into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.get_bytes(&bucket, "from-sdk/x.txt").await.unwrap(),
        "written by aws-sdk-s3"
    );
    let keys: Vec<String> = s3
        .list_objects(&bucket, ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(
        keys,
        vec!["from-nimbus/big.bin", "from-nimbus/small.bin", "from-sdk/x.txt"]
    );
    s3.delete_all(&bucket, keys).await.unwrap();
    s3.delete_bucket(&bucket).await.unwrap();
}
