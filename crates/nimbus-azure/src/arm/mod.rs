//! A small Azure Resource Manager client: bearer tokens, JSON bodies, `CloudError` mapping
//! and long-running operations.
//!
//! Why hand-written: Microsoft ships no maintained Rust management SDK, and the REST surface
//! Nimbus needs is a few dozen calls. Long-running operations follow ARM's documented
//! protocol (<https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>):
//! a `201`/`202` answer names an `Azure-AsyncOperation` URL (poll until `status` is terminal)
//! or a `Location` URL (poll until it stops answering `202`); `Retry-After` sets the pace.
//!
//! Errors from here carry kind, raw code and request id; the portable contract
//! (`nimbus_core::contract::Contract`) above the compute and network services adds provider,
//! operation and resource.

mod client;
pub mod config;

pub use client::{ArmClient, ArmResponse};
pub use config::{ArmAuth, ArmConfig};

/// API versions, per resource provider operation: the versions Azure's published examples
/// (the replay tests' fixtures) were written for.
pub mod api {
    /// Microsoft.Compute virtual machines (create, get, list, start, power off, …).
    pub const COMPUTE: &str = "2025-11-01";
    /// Microsoft.Compute VM instance view.
    pub const INSTANCE_VIEW: &str = "2025-04-01";
    /// Microsoft.Compute VM delete.
    pub const VM_DELETE: &str = "2024-11-01";
    /// Microsoft.Compute resource SKUs (sizes per region).
    pub const SKUS: &str = "2021-07-01";
    /// Microsoft.Network (VNets, subnets, NSGs, NICs, public IPs).
    pub const NETWORK: &str = "2025-09-01";
}
