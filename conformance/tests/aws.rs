//! The suite against the AWS emulators started by `scripts/emulators`: moto (S3, EC2, VPC)
//! and s3s-fs (SigV4-strict S3).
//! Without `NIMBUS_TEST_MOTO_ENDPOINT` the test says so and passes, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test), where a missing emulator fails.
#![cfg(feature = "aws")]

use bytes::Bytes;
use nimbus_aws::aws_sdk_s3;
use nimbus_aws::{AwsConfig, S3Storage};
use nimbus_conformance::{aws, run};
use nimbus_core::storage::{ListOptions, PutOptions, WriterOptions};
use nimbus_core::{Storage, StorageExt};

fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("{var} is not set but NIMBUS_REQUIRE_EMULATORS=1: start the emulators with scripts/emulators")
        }
        Err(_) => {
            eprintln!("{var} not set: not running the AWS conformance suite (scripts/test runs it)");
            None
        }
    }
}

/// Runs the suite, writes `target/conformance/NAME.md`, and fails on any failed case.
async fn suite(t: nimbus_conformance::Target, name: &str, min_cases: usize) -> nimbus_conformance::Report {
    let r = run(&t, None).await;
    std::fs::create_dir_all("../target/conformance").ok();
    std::fs::write(format!("../target/conformance/{name}.md"), r.to_markdown()).ok();
    let fails = r.failures();
    assert!(
        fails.is_empty(),
        "{} failing case(s):\n{}",
        fails.len(),
        fails.join("\n")
    );
    assert!(r.summary.total >= min_cases, "{:?}", r.summary);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_ec2_and_vpc_on_moto_pass_the_suite() {
    let Some(ep) = endpoint("NIMBUS_TEST_MOTO_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "testing", "testing");
    let mut t = aws::s3_target("aws", &cfg, "emulator: moto 5.2.5").await.unwrap();
    aws::add_ec2(&mut t, &cfg, "emulator: moto 5.2.5").await;
    t.differences = aws::moto_differences();
    t.differences.extend(aws::moto_ec2_differences());
    let r = suite(t, "aws", 100).await;
    for service in ["storage", "compute", "network"] {
        let passed = r
            .cases
            .iter()
            .filter(|c| c.service == service && c.outcome == nimbus_conformance::Outcome::Pass)
            .count();
        assert!(passed >= 20, "only {passed} {service} cases passed on moto");
    }
}

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

/// The generic S3 path against a second, SigV4-strict implementation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_compatible_on_s3s_fs_passes_the_suite() {
    let Some(ep) = endpoint("NIMBUS_TEST_S3S_ENDPOINT") else {
        return;
    };
    let cfg = AwsConfig::with_static(&ep, "us-east-1", "AKNIMBUSTEST", "SKNIMBUSTEST");
    let mut t = aws::s3_target("s3-compatible", &cfg, "emulator: s3s-fs 0.14.1 (SigV4-strict)")
        .await
        .unwrap();
    t.differences = aws::s3s_differences();
    let r = suite(t, "s3-compatible", 50).await;
    // What moto cannot prove: a tampered presigned URL is refused.
    let tampered = r
        .cases
        .iter()
        .find(|c| c.id == "storage.presign_tampered_rejected")
        .unwrap();
    assert_eq!(
        tampered.outcome,
        nimbus_conformance::Outcome::Pass,
        "{}",
        tampered.detail
    );
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
    let mut t = aws::s3_target(
        "s3-compatible",
        &cfg,
        "emulator: s3s-fs 0.14.1 standing in for DigitalOcean Spaces",
    )
    .await
    .unwrap();
    t.differences = aws::s3s_differences();
    let r = suite(t, "spaces", 50).await;
    let mut gated = 0;
    for (cases, cap) in [
        ("storage.put_create_only", "storage.put_create_only"),
        ("storage.put_if_version", "storage.put_if_version"),
        ("storage.delete_many", "storage.batch_delete"),
    ] {
        for row in r.cases.iter().filter(|c| c.id.starts_with(cases)) {
            assert_eq!(
                row.outcome,
                nimbus_conformance::Outcome::Unsupported,
                "{}: {}",
                row.id,
                row.detail
            );
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
