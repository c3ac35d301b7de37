//! [`NetworkService`] for the new cloud. Say in [`network_capabilities`] what the
//! cloud's model is (network and subnet scope, how firewalls attach, deny rules, priorities),
//! and check rules with `nimbus_core::network::validate::validate_rules` before any request,
//! so that a refused call changes nothing.

use async_trait::async_trait;
use nimbus_core::network::*;
use nimbus_core::{Error, NetworkCapabilities, Result};

use crate::client::Session;
use crate::config::OpenStackConfig;
use crate::error::not_implemented;

const PROVIDER: &str = "openstack-neutron";

/// What the template declares: the default model with no optional feature.
pub fn network_capabilities() -> NetworkCapabilities {
    NetworkCapabilities::none()
}

/// Networking of the new cloud.
#[derive(Debug, Clone)]
pub struct NeutronNetwork {
    session: Session,
}

impl NeutronNetwork {
    /// From a resolved config.
    pub fn connect(cfg: &OpenStackConfig) -> Result<Self> {
        Ok(NeutronNetwork {
            session: Session::shared(cfg)?,
        })
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

fn todo(op: &'static str) -> Error {
    not_implemented(PROVIDER, op)
}

#[async_trait]
impl NetworkService for NeutronNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        network_capabilities()
    }

    async fn create_network(&self, _spec: &NetworkSpec) -> Result<Network> {
        Err(todo("create_network"))
    }
    async fn get_network(&self, _id: &str) -> Result<Network> {
        Err(todo("get_network"))
    }
    async fn list_networks(&self) -> Result<Vec<Network>> {
        Err(todo("list_networks"))
    }
    async fn delete_network(&self, _id: &str) -> Result<()> {
        Err(todo("delete_network"))
    }
    async fn create_subnet(&self, _spec: &SubnetSpec) -> Result<Subnet> {
        Err(todo("create_subnet"))
    }
    async fn get_subnet(&self, _id: &str) -> Result<Subnet> {
        Err(todo("get_subnet"))
    }
    async fn list_subnets(&self, _network: Option<String>) -> Result<Vec<Subnet>> {
        Err(todo("list_subnets"))
    }
    async fn delete_subnet(&self, _id: &str) -> Result<()> {
        Err(todo("delete_subnet"))
    }
    async fn create_firewall(&self, _spec: &FirewallSpec) -> Result<Firewall> {
        Err(todo("create_firewall"))
    }
    async fn get_firewall(&self, _id: &str) -> Result<Firewall> {
        Err(todo("get_firewall"))
    }
    async fn list_firewalls(&self, _network: Option<String>) -> Result<Vec<Firewall>> {
        Err(todo("list_firewalls"))
    }
    async fn set_firewall_rules(&self, _id: &str, _rules: &[FirewallRule]) -> Result<Firewall> {
        Err(todo("set_firewall_rules"))
    }
    async fn delete_firewall(&self, _id: &str) -> Result<()> {
        Err(todo("delete_firewall"))
    }
    async fn attach_firewall(&self, _firewall: &str, _instance: &str) -> Result<()> {
        Err(todo("attach_firewall"))
    }
    async fn detach_firewall(&self, _firewall: &str, _instance: &str) -> Result<()> {
        Err(todo("detach_firewall"))
    }
}
