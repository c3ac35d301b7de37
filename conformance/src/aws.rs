//! Targets for AWS S3 and S3-compatible endpoints (emulators in CI, real accounts by profile).

use std::sync::Arc;

use nimbus_aws::{AwsConfig, Ec2Compute, S3Storage, VpcNetwork};
use nimbus_core::Result;

use crate::http::HttpPresign;
use crate::{Difference, Target};

/// S3 through `cfg`, storage rows proven by `proof` (e.g. `emulator: moto 5.2.5`).
pub async fn s3_target(provider: &str, cfg: &AwsConfig, proof: &str) -> Result<Target> {
    let s3 = S3Storage::connect(cfg).await?;
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(s3));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Adds EC2 compute and VPC network through `cfg` to a target, rows proven by `proof`.
pub async fn add_ec2(t: &mut Target, cfg: &AwsConfig, proof: &str) {
    t.compute = Some(Arc::new(Ec2Compute::connect(cfg).await));
    t.network = Some(Arc::new(VpcNetwork::connect(cfg).await));
    t.proof.insert("compute".into(), proof.into());
    t.proof.insert("network".into(), proof.into());
}

/// Differences observed on moto 5.2.5 (emulator differences marked as such) and on S3 in
/// us-east-1.
pub fn moto_differences() -> Vec<Difference> {
    crate::registry::declared("aws-moto-s3")
}

/// Differences of s3s-fs 0.14.1, a filesystem-backed sample S3 server that verifies SigV4
/// strictly but implements few preconditions. All are emulator differences.
pub fn s3s_differences() -> Vec<Difference> {
    crate::registry::declared("s3s-fs")
}

/// Differences of moto 5.2.5's EC2 and VPC emulation, all emulator differences: moto skips
/// the dependency and state checks EC2 makes, and its image catalogue is a fixed snapshot.
/// Each source is the EC2 API reference page that documents the real behaviour.
pub fn moto_ec2_differences() -> Vec<Difference> {
    crate::registry::declared("aws-moto-ec2")
}
