//! # nimbus-aws — Nimbus on Amazon Web Services and S3-compatible clouds
//!
//! - `storage` feature: Amazon S3 and S3-compatible endpoints through the official
//!   `aws-sdk-s3` ([`S3Storage`]); never compiles `aws-sdk-ec2`. Named S3-compatible clouds
//!   (MinIO, Ceph RGW, Cloudflare R2, Aliyun OSS, Tencent COS, Huawei OBS, Backblaze B2) are
//!   [`presets`]: endpoint pattern, region, addressing and their documented differences.
//! - `compute` feature: EC2 instances ([`Ec2Compute`]) and VPC networking ([`VpcNetwork`])
//!   through the official `aws-sdk-ec2`.
//!
//! Credentials come from the standard AWS chain (`aws-config`: environment, shared profile,
//! SSO, web identity, IMDS) unless static keys are configured; `AWS_ENDPOINT_URL` (and the
//! service-specific `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_EC2`), `AWS_REGION`,
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` work as in other AWS tools. An IP or
//! `localhost` endpoint implies path-style addressing.
#![deny(missing_docs)]

#[cfg(feature = "storage")]
mod capabilities;
#[cfg(feature = "compute")]
pub mod compute;
pub mod config;
pub mod diag;
#[cfg(feature = "compute")]
mod dry_run;
#[cfg(feature = "compute")]
mod ec2;
mod error;
#[cfg(feature = "compute")]
pub mod network;
#[cfg(feature = "storage")]
pub mod presets;
mod provider;
#[cfg(feature = "storage")]
pub mod storage;

pub use config::{AwsConfig, Service};
pub use provider::PROVIDER;

/// The SDK crate behind the compute and network escape hatch
/// (`compute.native_as::<aws_sdk_ec2::Client>()`).
#[cfg(feature = "compute")]
pub use aws_sdk_ec2;
/// The SDK crate behind the storage escape hatch (`storage.native_as::<aws_sdk_s3::Client>()`),
/// so callers name the same version.
#[cfg(feature = "storage")]
pub use aws_sdk_s3;
#[cfg(feature = "compute")]
pub use compute::Ec2Compute;
#[cfg(feature = "compute")]
pub use network::VpcNetwork;
#[cfg(feature = "storage")]
pub use storage::S3Storage;
