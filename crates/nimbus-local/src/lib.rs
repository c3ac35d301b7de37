//! # nimbus-local — the embedded cloud
//!
//! Everything Nimbus does, with no account and no network: object storage on the filesystem
//! or in memory, and a deterministic compute and network simulator whose state lives in a
//! directory (so several `nimbus` processes share it safely). It is the default provider, the
//! reference column of the conformance matrix, and what product teams develop against.
#![deny(missing_docs)]

pub mod config;
pub mod diag;
pub mod provider;
pub mod sim;
pub mod storage;

pub use provider::PROVIDER;
pub use sim::{LocalCompute, LocalNetwork, SimCloud, SimOptions};
pub use storage::{open_fs, open_memory, LocalStorage, MemoryStorage, StorageOptions};
