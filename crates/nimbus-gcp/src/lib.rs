//! # nimbus-gcp — Nimbus on Google Cloud
//!
//! - `storage` feature: [`GcsStorage`], Cloud Storage with object bytes on Google's
//!   `google-cloud-storage` 1.x and buckets, listings, metadata, rewrite and delete on the
//!   JSON API. Configured from settings, `STORAGE_EMULATOR_HOST` (which Google's own clients
//!   honour), `GOOGLE_CLOUD_PROJECT` and `GOOGLE_APPLICATION_CREDENTIALS`.
//! - Compute Engine and VPC are issue 5's next step (docs/handoff/issue-5-status.md).
#![deny(missing_docs)]

pub mod config;
#[cfg(feature = "storage")]
pub mod error;
#[cfg(feature = "storage")]
pub mod storage;

pub use config::{GcsAuth, GcsConfig};
#[cfg(feature = "storage")]
pub use storage::{gcs_capabilities, GcsStorage};
