//! # nimbus-azure — Nimbus on Microsoft Azure (foundation)
//!
//! This first part holds what every Azure service of Nimbus needs and what the official
//! `azure_storage_blob` 1.x does not do: resolving a storage account from settings, connection
//! strings (including `UseDevelopmentStorage=true`) and the standard `AZURE_STORAGE_*`
//! variables; and signing SAS tokens with an account key (that SDK accepts only Entra ID
//! tokens over https, so account keys become short-lived SAS). The Blob storage adapter, ARM
//! compute and network are issue 4's next steps (docs/handoff/issue-4-status.md).
#![deny(missing_docs)]

pub mod config;
pub mod sas;

pub use config::{AzureStorageConfig, Credential};
