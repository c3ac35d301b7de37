//! The `aws` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! Services this build lacks (the `storage` and `compute` features) are `None`, so the
//! facade's error names the feature to enable.

#[cfg(any(feature = "storage", feature = "compute"))]
use std::sync::Arc;

use nimbus_core::config::Settings;
use nimbus_core::provider::{Emulator, Opener, Provider};
use nimbus_core::{Compute, NetworkService, Storage};

use crate::config::{AwsConfig, SCHEMA};

#[cfg(feature = "storage")]
const STORAGE: Option<Opener<dyn Storage>> = Some(|s| {
    Box::pin(async move {
        let cfg = AwsConfig::from_settings(&s)?;
        Ok(Arc::new(crate::S3Storage::connect(&cfg).await?) as Arc<dyn Storage>)
    })
});
#[cfg(not(feature = "storage"))]
const STORAGE: Option<Opener<dyn Storage>> = None;

#[cfg(feature = "compute")]
const COMPUTE: Option<Opener<dyn Compute>> = Some(|s| {
    Box::pin(async move {
        let cfg = AwsConfig::from_settings_for(&s, crate::Service::Ec2)?;
        Ok(Arc::new(crate::Ec2Compute::connect(&cfg).await) as Arc<dyn Compute>)
    })
});
#[cfg(not(feature = "compute"))]
const COMPUTE: Option<Opener<dyn Compute>> = None;

#[cfg(feature = "compute")]
const NETWORK: Option<Opener<dyn NetworkService>> = Some(|s| {
    Box::pin(async move {
        let cfg = AwsConfig::from_settings_for(&s, crate::Service::Ec2)?;
        Ok(Arc::new(crate::VpcNetwork::connect(&cfg).await) as Arc<dyn NetworkService>)
    })
});
#[cfg(not(feature = "compute"))]
const NETWORK: Option<Opener<dyn NetworkService>> = None;

/// The owned-bucket `200 OK` of S3 (a registered provider difference) is us-east-1's alone.
fn live_differences_apply(s: &Settings) -> bool {
    AwsConfig::from_settings(s).is_ok_and(|c| c.endpoint.is_none() && c.region.as_deref() == Some("us-east-1"))
}

/// The `aws` provider: S3 and S3-compatible clouds, EC2, VPC.
pub const PROVIDER: Provider = Provider {
    name: "aws",
    summary: "Amazon S3 and S3-compatible clouds, EC2 instances, VPC networks",
    schema: SCHEMA,
    url_schemes: &["s3"],
    storage: STORAGE,
    compute: COMPUTE,
    network: NETWORK,
    // s3:// etc.: the URL's options are storage settings (`Provider::open_url`).
    url_opener: None,
    emulators: &[
        Emulator {
            name: "moto",
            proof: "emulator: moto 5.2.5",
            services: &["storage", "compute", "network"],
            differences: &["aws-moto-s3", "aws-moto-ec2"],
            report_as: "aws",
            settings: &[],
            poll_ms: 200,
        },
        Emulator {
            name: "s3s-fs",
            proof: "emulator: s3s-fs 0.14.1 (SigV4-strict)",
            services: &["storage"],
            differences: &["s3s-fs"],
            report_as: "s3-compatible",
            settings: &[],
            poll_ms: 200,
        },
    ],
    live_proof: "live: AWS",
    live_differences_apply,
    default_emulator: None,
    presign_client: None,
    diag: Some(&crate::diag::DIAG),
};
