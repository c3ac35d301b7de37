//! # nimbus — write cloud code once, run it in every customer's cloud
//!
//! The facade product teams depend on. It re-exports the portable API of `nimbus-core` and
//! opens services from URLs (`file:///data/bucket/key`, `memory://bucket/key`, `s3://`, `az://`,
//! `gs://`) or from per-customer profiles in `nimbus.toml`. Each cloud is a cargo
//! feature; `local` (the embedded cloud) is on by default. Every service opened here carries
//! the safe defaults: the portable contract (validation, capability gates, error context),
//! tracing, retry and a timeout (`layers::ServiceDefaults`); `Clouds::raw()` opts out.
//!
//! ```no_run
//! use nimbus::prelude::*;
//!
//! # async fn demo() -> nimbus::Result<()> {
//! let clouds = nimbus::Clouds::from_profile(Some("acme"))?;
//! let storage = clouds.storage().await?;
//! storage.create_bucket("reports", &Default::default()).await?;
//! storage.put("reports", "2026/q4.csv", "a,b\n1,2\n".into(), &PutOptions::default()).await?;
//! let body = storage.get_bytes("reports", "2026/q4.csv").await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "object-store")]
mod bridge;
mod open;
mod registry;

pub use nimbus_core::provider::OpenedUrl;
pub use nimbus_core::*;
pub use open::{open_storage_url, open_storage_url_raw, schemas, with_standard_layers, Clouds, RawClouds};
pub use registry::registry;

/// The `object_store` bridge ([`NimbusStore`](nimbus_object_store::NimbusStore)), when the
/// `object-store` feature is on.
#[cfg(feature = "object-store")]
pub use bridge::open_object_store_url;
#[cfg(feature = "object-store")]
pub use nimbus_object_store as object_store;

/// The embedded provider, when the `local` feature is on.
#[cfg(feature = "local")]
pub use nimbus_local as local;

/// The AWS adapter, when the `aws`, `aws-storage` or `aws-compute` feature is on.
#[cfg(any(feature = "aws-storage", feature = "aws-compute"))]
pub use nimbus_aws as aws;

/// The Azure adapter, when the `azure`, `azure-storage` or `azure-compute` feature is on.
#[cfg(any(feature = "azure-storage", feature = "azure-compute"))]
pub use nimbus_azure as azure;

/// The Google Cloud adapter, when the `gcp`, `gcp-storage` or `gcp-compute` feature is on.
#[cfg(any(feature = "gcp-storage", feature = "gcp-compute"))]
pub use nimbus_gcp as gcp;

/// The OpenStack adapter (Swift, Nova, Neutron, its Keystone session), when the `openstack`
/// feature is on.
#[cfg(feature = "openstack")]
pub use nimbus_openstack as openstack;

/// The libvirt adapter (domains, networks, nwfilter firewalls), when the `libvirt` feature
/// is on.
#[cfg(feature = "libvirt")]
pub use nimbus_libvirt as libvirt;

/// The template adapter, when the `template` feature is on.
#[cfg(feature = "template")]
pub use nimbus_template as template;

/// Everything a product team usually needs in scope.
pub mod prelude {
    pub use nimbus_core::compute::{
        Compute, ComputeExt, ImageChoice, Instance, InstanceFilter, InstanceSpec, SizeChoice, State, StopMode,
        WaitOptions,
    };
    pub use nimbus_core::network::{
        Action, Direction, FirewallRule, FirewallSpec, NetworkService, NetworkSpec, PortRange, Protocol, SubnetSpec,
    };
    pub use nimbus_core::storage::{
        GetOptions, GetRange, ListEntry, ListOptions, PutMode, PutOptions, Storage, StorageExt, WriterOptions,
    };
    pub use nimbus_core::{Capability, Error, ErrorKind, Result};
}

/// The README's Rust snippets are compiled as doc tests, so the README cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
