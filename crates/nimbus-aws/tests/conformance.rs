//! The conformance suite on the AWS adapter, every case a named test
//! (`cargo nextest list -p nimbus-aws` shows `moto::storage.put_get_round_trip`, …):
//! S3, EC2 and VPC on moto; S3 on s3s-fs (SigV4-strict); the `swift` preset on the real
//! Swift (s3api middleware) of the OpenStack stack `scripts/openstack start` runs.

use std::sync::Arc;

use nimbus_aws::{AwsConfig, Ec2Compute, S3Storage, VpcNetwork};
use nimbus_conformance::registry::declared;
use nimbus_conformance::{HttpPresign, Target, Trials};

mod common;
use common::endpoint;

async fn s3(cfg: &AwsConfig, name: &str, proof: &str, lists: &[&str]) -> Target {
    let mut t = Target::new(name);
    t.storage = Some(Arc::new(S3Storage::connect(cfg).await.unwrap()));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    t.differences = lists.iter().flat_map(|l| declared(l)).collect();
    t
}

fn main() {
    Trials::new()
        .target("moto", || async {
            let ep = endpoint("NIMBUS_TEST_MOTO_ENDPOINT")?;
            let cfg = AwsConfig::with_static(&ep, "us-east-1", "testing", "testing");
            let proof = "emulator: moto 5.2.5";
            let mut t = s3(&cfg, "aws", proof, &["aws-moto-s3", "aws-moto-ec2"]).await;
            t.compute = Some(Arc::new(Ec2Compute::connect(&cfg).await));
            t.network = Some(Arc::new(VpcNetwork::connect(&cfg).await));
            t.proof.insert("compute".into(), proof.into());
            t.proof.insert("network".into(), proof.into());
            Some(t)
        })
        .target("s3s-fs", || async {
            let ep = endpoint("NIMBUS_TEST_S3S_ENDPOINT")?;
            let cfg = AwsConfig::with_static(&ep, "us-east-1", "AKNIMBUSTEST", "SKNIMBUSTEST");
            Some(
                s3(
                    &cfg,
                    "s3-compatible",
                    "emulator: s3s-fs 0.14.1 (SigV4-strict)",
                    &["s3s-fs"],
                )
                .await,
            )
        })
        .target("swift-s3api", || async {
            // The real Swift 2.30 proxy of the single-node OpenStack, through its `s3api`
            // middleware with tempauth's S3 keys.
            let ep = endpoint("NIMBUS_TEST_OPENSTACK_S3_ENDPOINT")?;
            let var = |n: &str| std::env::var(format!("NIMBUS_TEST_OPENSTACK_S3_{n}")).ok();
            let region = var("REGION").unwrap_or_else(|| "us-east-1".into());
            let mut cfg = AwsConfig::with_static(&ep, &region, &var("ACCESS_KEY")?, &var("SECRET_KEY")?);
            cfg.preset = Some("swift".into());
            cfg.force_path_style = Some(true);
            let proof = "real OpenStack Swift 2.30.1 (Zed), s3api middleware, preset `swift`";
            Some(s3(&cfg, "s3-compatible", proof, &["swift-s3api"]).await)
        })
        .main()
}
