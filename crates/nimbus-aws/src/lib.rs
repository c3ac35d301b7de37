//! # nimbus-aws — Nimbus on Amazon Web Services and S3-compatible clouds
//!
//! Storage on Amazon S3 (and S3-compatible endpoints) through the official `aws-sdk-s3`,
//! behind the `storage` feature, which never compiles `aws-sdk-ec2`. Compute (EC2) and network
//! (VPC) are planned behind a separate `compute` feature (see issue 3's note).
//!
//! Credentials come from the standard AWS chain (`aws-config`: environment, shared profile,
//! SSO, web identity, IMDS) unless static keys are configured; `AWS_ENDPOINT_URL`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` work as in other AWS tools. An IP
//! or `localhost` endpoint implies path-style addressing.
#![deny(missing_docs)]

pub mod config;
mod error;
#[cfg(feature = "storage")]
pub mod storage;

pub use config::AwsConfig;

/// The SDK crate behind the escape hatch (`storage.native_as::<aws_sdk_s3::Client>()`), so
/// callers name the same version.
#[cfg(feature = "storage")]
pub use aws_sdk_s3;
#[cfg(feature = "storage")]
pub use storage::S3Storage;
