//! # nimbus-template — the starting point of a new cloud
//!
//! Copy this crate to `crates/nimbus-<cloud>`, rename it, and follow
//! `docs/adding-a-cloud.md`. As it stands it compiles, declares **no** capabilities, and
//! passes the conformance suite because every call answers with the typed unsupported error:
//! - calls behind a capability (`copy`, multipart, presign, batch delete, start/stop/reboot,
//!   deny rules, …) answer [`nimbus_core::Error::unsupported`] naming that capability, which
//!   is what the finished adapter must keep doing for whatever the cloud cannot do;
//! - every other call answers [`error::not_implemented`] (kind `Unsupported`, no
//!   capability). The suite reports a service whose cheapest read answers that way as "not
//!   implemented" instead of failing each case, so the matrix column is honest from day one.
//!
//! The layout is the one every adapter uses: `config.rs` (the provider's settings schema and
//! resolved config), `error.rs` (vendor error → portable kind), and one module per service.
#![deny(missing_docs)]

pub mod compute;
pub mod config;
pub mod diag;
pub mod error;
pub mod network;
mod provider;
pub mod storage;

pub use compute::TemplateCompute;
pub use config::{TemplateConfig, SCHEMA};
pub use network::TemplateNetwork;
pub use provider::PROVIDER;
pub use storage::TemplateStorage;
