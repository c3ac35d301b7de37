//! # nimbus-openstack — private and regional clouds on OpenStack
//!
//! Keystone v3 identity (password, application credential, token; `clouds.yaml` and `OS_*`
//! as the `openstack` CLI reads them), Nova servers with Glance images as compute, Neutron
//! networks, subnets and security groups as network, Swift containers and objects as
//! storage.
//!
//! Why a small client of our own and not `openstack_sdk`: see
//! `docs/design/0015-openstack-adapter.md` (rust-version 1.91 and ~70 new crates against a
//! few dozen JSON calls, and per-service fault bodies we must map ourselves anyway).
//!
//! Layout, as every adapter: `config.rs` (keys, `clouds.yaml`/`OS_*` resolution),
//! `error.rs` (fault bodies → portable kinds), `client.rs` (the shared Keystone session),
//! `identity.rs` (token request and catalog), and one module per service. The portable
//! contract (`nimbus_core::contract`) sits above: validation, capability gates, error
//! context.
#![deny(missing_docs)]

pub mod client;
pub mod clouds;
pub mod compute;
pub mod config;
pub mod diag;
pub mod encode;
pub mod endpoint_override;
pub mod error;
pub mod identity;
pub mod network;
mod provider;
pub mod storage;

pub use client::{Service, Session};
pub use compute::NovaCompute;
pub use config::{OpenStackConfig, SCHEMA};
pub use network::NeutronNetwork;
pub use provider::PROVIDER;
pub use storage::SwiftStorage;
