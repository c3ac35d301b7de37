//! # nimbus-azure — Nimbus on Microsoft Azure
//!
//! - `storage` feature: [`AzureBlobStorage`], Blob storage on Microsoft's `azure_storage_blob`
//!   1.x. Accounts are resolved from settings, connection strings (including
//!   `UseDevelopmentStorage=true`) and the standard `AZURE_STORAGE_*` variables; account keys
//!   become short-lived SAS tokens signed here ([`sas`]), because that SDK accepts only Entra ID
//!   tokens, and only over https.
//! - `compute` feature: [`AzureCompute`] (virtual machines) and [`AzureNetwork`] (VNets,
//!   subnets, network security groups) on the Azure Resource Manager REST API ([`arm`]), with
//!   bearer tokens from azure_identity.
//!
//! Errors keep Azure's error code (`x-ms-error-code`) and request id; SAS signatures are
//! scrubbed from anything printed ([`identity::redact`]).
#![deny(missing_docs)]

#[cfg(feature = "compute")]
pub mod arm;
#[cfg(feature = "compute")]
pub mod compute;
pub mod config;
pub mod diag;
pub mod error;
#[cfg(feature = "identity")]
pub mod identity;
#[cfg(feature = "compute")]
pub mod network;
mod provider;
pub mod sas;
#[cfg(feature = "storage")]
pub mod storage;
#[cfg(feature = "upload-id")]
pub mod upload_id;

#[cfg(feature = "compute")]
pub use arm::{ArmClient, ArmConfig};
#[cfg(feature = "compute")]
pub use compute::AzureCompute;
pub use config::{AzureStorageConfig, Credential};
#[cfg(feature = "compute")]
pub use network::AzureNetwork;
pub use provider::PROVIDER;
#[cfg(feature = "storage")]
pub use storage::{azure_capabilities, AzureBlobStorage};
