//! Networks, subnets and firewalls.
//!
//! The clouds disagree on scope (GCP networks are global, AWS subnets zonal, Azure subnets
//! regional), on rule models (AWS security groups allow-only without priorities; Azure NSGs
//! and GCP firewalls prioritised allow/deny) and on how instances bind to firewalls. The
//! portable types carry the union; [`crate::NetworkCapabilities`] says which parts a
//! provider honours, and the rest fails with the typed unsupported error.

mod request_id;
mod rule_syntax;
mod types;
pub mod validate;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use crate::capability::NetworkCapabilities;
use crate::Result;

pub use crate::request_id::{check_request_id, new_request_id, REQUEST_ID_LABEL};
pub(crate) use request_id::find_created;
pub use types::*;

/// Networking: one method per provider round trip.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait NetworkService: Send + Sync + std::fmt::Debug {
    /// Provider name.
    fn provider(&self) -> &'static str;

    /// Declared capabilities.
    fn capabilities(&self) -> NetworkCapabilities;

    /// The native client (Go CDK's `As`).
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }

    /// Creates a network; `AlreadyExists` for a duplicate name, `InvalidInput` for a bad CIDR.
    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network>;
    /// One network.
    async fn get_network(&self, id: &str) -> Result<Network>;
    /// Every network.
    async fn list_networks(&self) -> Result<Vec<Network>>;
    /// Deletes a network; `Conflict` while it has subnets, firewalls or instances.
    async fn delete_network(&self, id: &str) -> Result<()>;

    /// Creates a subnet inside the network's range, not overlapping its siblings.
    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet>;
    /// One subnet.
    async fn get_subnet(&self, id: &str) -> Result<Subnet>;
    /// Subnets, of one network or all.
    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>>;
    /// Deletes a subnet; `Conflict` while instances use it.
    async fn delete_subnet(&self, id: &str) -> Result<()>;

    /// Creates a firewall with its rules.
    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall>;
    /// One firewall.
    async fn get_firewall(&self, id: &str) -> Result<Firewall>;
    /// Firewalls, of one network or all.
    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>>;
    /// Replaces a firewall's rules.
    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall>;
    /// Deletes a firewall; `Conflict` while instances are attached.
    async fn delete_firewall(&self, id: &str) -> Result<()>;
    /// Attaches a firewall to an instance (security group, network tag or NIC, per provider).
    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()>;
    /// Detaches a firewall from an instance.
    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()>;
}
