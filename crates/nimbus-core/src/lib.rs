//! # nimbus-core
//!
//! The portable heart of Nimbus: provider-neutral traits for [`Storage`], [`Compute`] and
//! [`NetworkService`], one [`Error`] type with a portable [`ErrorKind`], declared
//! [capabilities](capability), typed [configuration](config), and [layers] (retry, timeout,
//! tracing, fault injection) that wrap any implementation.
//!
//! Product teams normally depend on the `nimbus` facade crate; adapter authors depend on this
//! crate alone. See `docs/architecture.md` for how a call flows through facade → layers →
//! adapter.
#![deny(missing_docs)]

pub mod capability;
pub mod compute;
pub mod config;
pub mod contract;
pub mod diag;
mod error;
pub mod layers;
pub mod network;
pub mod provider;
pub mod request_id;
pub mod storage;
pub mod time;

pub use capability::{
    Capability, ComputeCapabilities, FirewallAttachment, ListOrdering, NetworkCapabilities, Scope, StorageCapabilities,
};
pub use compute::{Compute, ComputeExt};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use network::NetworkService;
pub use storage::{Storage, StorageExt};

/// Re-exported so adapters and users name the same versions.
pub use async_trait::async_trait;
pub use bytes::Bytes;
pub use ipnet::Ipv4Net;
