//! # nimbus-gcp — Nimbus on Google Cloud
//!
//! - `storage` feature: [`GcsStorage`], Cloud Storage with object bytes on Google's
//!   `google-cloud-storage` 1.x and buckets, listings, metadata, rewrite and delete on the
//!   JSON API. Configured from settings, `STORAGE_EMULATOR_HOST` (which Google's own clients
//!   honour), `GOOGLE_CLOUD_PROJECT` and `GOOGLE_APPLICATION_CREDENTIALS`.
//! - `compute` feature: [`GceCompute`] (Compute Engine instances, machine types, image
//!   families, regions and zones) and [`GceNetwork`] (global VPC networks, regional
//!   subnetworks, firewall rules targeting network tags), on the Compute Engine v1 JSON API
//!   with operations waited on through `operations/…/wait`. See docs/design/0012-gcp-compute.md
//!   for why JSON and not `google-cloud-compute-v1`.
#![deny(missing_docs)]

#[cfg(feature = "compute")]
pub mod compute;
pub mod config;
pub mod diag;
#[cfg(any(feature = "storage", feature = "compute"))]
pub mod error;
#[cfg(feature = "compute")]
mod gce;
#[cfg(feature = "compute")]
pub mod network;
mod provider;
#[cfg(any(feature = "storage", feature = "compute"))]
pub mod rest;
#[cfg(feature = "storage")]
pub mod storage;

#[cfg(feature = "compute")]
pub use compute::{gce_compute_capabilities, GceCompute};
pub use config::{GceConfig, GcsAuth, GcsConfig};
#[cfg(feature = "compute")]
pub use gce::GceClient;
#[cfg(feature = "compute")]
pub use network::{gce_network_capabilities, GceNetwork};
pub use provider::PROVIDER;
#[cfg(feature = "storage")]
pub use storage::{gcs_capabilities, GcsStorage};
