//! [`NetworkService`] for [`Layered`].

use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::{CallInfo, Interceptor, Layered};
use crate::network::*;
use crate::request_id::carries_token;
use crate::{NetworkCapabilities, Result};

#[async_trait]
impl<T: NetworkService + ?Sized, I: Interceptor> NetworkService for Layered<T, I> {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }
    fn capabilities(&self) -> NetworkCapabilities {
        self.inner.capabilities()
    }
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        self.inner.native()
    }
    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        // As create_instance (forward_compute.rs): with the contract's token kept as a label,
        // each attempt after the first looks for the network an earlier one made.
        let idempotent = carries_token(spec);
        let attempts = &AtomicU32::new(0);
        call!(
            "network",
            self,
            "create_network",
            spec.name.clone(),
            idempotent,
            |s| async move {
                if idempotent && attempts.fetch_add(1, Ordering::Relaxed) > 0 {
                    if let Some(n) = find_created(s, spec).await? {
                        return Ok(n);
                    }
                }
                s.create_network(spec).await
            }
        )
    }
    async fn get_network(&self, id: &str) -> Result<Network> {
        call!("network", self, "get_network", id.to_string(), true, |s| s
            .get_network(id))
    }
    async fn list_networks(&self) -> Result<Vec<Network>> {
        call!("network", self, "list_networks", String::new(), true, |s| s
            .list_networks())
    }
    async fn delete_network(&self, id: &str) -> Result<()> {
        call!("network", self, "delete_network", id.to_string(), false, |s| s
            .delete_network(id))
    }
    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        call!("network", self, "create_subnet", spec.name.clone(), false, |s| s
            .create_subnet(spec))
    }
    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        call!("network", self, "get_subnet", id.to_string(), true, |s| s
            .get_subnet(id))
    }
    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        call!(
            "network",
            self,
            "list_subnets",
            network.clone().unwrap_or_default(),
            true,
            |s| s.list_subnets(network.clone())
        )
    }
    async fn delete_subnet(&self, id: &str) -> Result<()> {
        call!("network", self, "delete_subnet", id.to_string(), false, |s| s
            .delete_subnet(id))
    }
    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        call!("network", self, "create_firewall", spec.name.clone(), false, |s| s
            .create_firewall(spec))
    }
    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        call!("network", self, "get_firewall", id.to_string(), true, |s| s
            .get_firewall(id))
    }
    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        call!(
            "network",
            self,
            "list_firewalls",
            network.clone().unwrap_or_default(),
            true,
            |s| s.list_firewalls(network.clone())
        )
    }
    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        call!("network", self, "set_firewall_rules", id.to_string(), true, |s| s
            .set_firewall_rules(id, rules))
    }
    async fn delete_firewall(&self, id: &str) -> Result<()> {
        call!("network", self, "delete_firewall", id.to_string(), false, |s| s
            .delete_firewall(id))
    }
    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        call!(
            "network",
            self,
            "attach_firewall",
            format!("{firewall} -> {instance}"),
            true,
            |s| s.attach_firewall(firewall, instance)
        )
    }
    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        call!(
            "network",
            self,
            "detach_firewall",
            format!("{firewall} -> {instance}"),
            true,
            |s| s.detach_firewall(firewall, instance)
        )
    }
}
