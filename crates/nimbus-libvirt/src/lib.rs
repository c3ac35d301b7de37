//! # nimbus-libvirt — plain KVM hosts in a customer's data centre
//!
//! Many private deployments are not a cloud: a few KVM hosts managed with libvirt. This
//! adapter gives them the portable compute and network services:
//! - **compute**: domains as instances, images as volumes of a storage pool with a qcow2
//!   overlay per instance, user data as a NoCloud seed, ACPI stop with a deadline;
//! - **network**: libvirt networks (NAT or isolated bridges) carrying the portable network
//!   and its one subnet with DHCP; firewalls as network filters (nwfilter) that the host
//!   enforces on the guest's interface.
//!
//! libvirt has no object storage, so the provider offers no storage service.
//!
//! How libvirt is bound: `sys.rs` loads `libvirt.so.0` at run time (no `libvirt-dev` at
//! build time, no pinned `libc`); `conn.rs` is the safe layer. Why, and the mapping of every
//! portable object, are in `docs/design/0016-libvirt-adapter.md`.
//!
//! Layout, as every adapter: `config.rs` (keys, URI validation), `error.rs` (libvirt error
//! numbers → portable kinds), `host.rs` (the shared connection and what the host offers),
//! and one module per service. The portable contract (`nimbus_core::contract`) sits above.
#![deny(missing_docs)]

pub mod compute;
pub mod config;
pub mod conn;
pub mod diag;
pub mod error;
pub mod host;
pub mod network;
mod provider;
mod sys;
pub mod xml;

pub use compute::LibvirtCompute;
pub use config::{LibvirtConfig, SCHEMA};
pub use host::Host;
pub use network::LibvirtNetwork;
pub use provider::PROVIDER;
