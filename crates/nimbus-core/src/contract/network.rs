//! [`NetworkService`] held to the portable contract.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use super::{check_id, ctx, Contract};
use crate::network::validate::{check_prefix, validate_name, validate_rules};
use crate::network::*;
use crate::request_id::with_token;
use crate::{Capability, Error, NetworkCapabilities, Result};

/// Every firewall call needs firewalls at all: the typed unsupported error otherwise, before
/// any round trip.
fn firewalls(caps: &NetworkCapabilities) -> Result<()> {
    if caps.firewalls {
        Ok(())
    } else {
        Err(Error::unsupported(Capability::Firewalls))
    }
}

#[async_trait]
impl<T: NetworkService + ?Sized> NetworkService for Contract<T> {
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
        let r = async {
            validate_name("network", &spec.name)?;
            check_prefix("network", spec.cidr, self.capabilities().network_prefix_range)?;
            // As for instances (contract/compute.rs): a token the caller chose may have been
            // used by an earlier call; a token made here is new.
            let supplied = spec.request_id.is_some();
            let spec = with_token(spec)?;
            if supplied {
                if let Some(n) = find_created(&*self.inner, &spec).await? {
                    return Ok(n);
                }
            }
            self.inner.create_network(&spec).await
        };
        ctx(self.provider(), "create_network", || spec.name.clone(), r.await)
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        let r = async {
            check_id("network", id)?;
            self.inner.get_network(id).await
        };
        ctx(self.provider(), "get_network", || id.into(), r.await)
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        ctx(
            self.provider(),
            "list_networks",
            String::new,
            self.inner.list_networks().await,
        )
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        let r = async {
            check_id("network", id)?;
            self.inner.delete_network(id).await
        };
        ctx(self.provider(), "delete_network", || id.into(), r.await)
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        let r = async {
            check_id("network", &spec.network)?;
            validate_name("subnet", &spec.name)?;
            check_prefix("subnet", spec.cidr, self.capabilities().subnet_prefix_range)?;
            self.inner.create_subnet(spec).await
        };
        ctx(self.provider(), "create_subnet", || spec.name.clone(), r.await)
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let r = async {
            check_id("subnet", id)?;
            self.inner.get_subnet(id).await
        };
        ctx(self.provider(), "get_subnet", || id.into(), r.await)
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        let res = network.clone().unwrap_or_default();
        let r = async {
            if let Some(n) = &network {
                check_id("network", n)?;
            }
            self.inner.list_subnets(network).await
        };
        ctx(self.provider(), "list_subnets", || res, r.await)
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        let r = async {
            check_id("subnet", id)?;
            self.inner.delete_subnet(id).await
        };
        ctx(self.provider(), "delete_subnet", || id.into(), r.await)
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("network", &spec.network)?;
            validate_name("firewall", &spec.name)?;
            validate_rules(&spec.rules, &self.capabilities())?;
            self.inner.create_firewall(spec).await
        };
        ctx(self.provider(), "create_firewall", || spec.name.clone(), r.await)
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("firewall", id)?;
            self.inner.get_firewall(id).await
        };
        ctx(self.provider(), "get_firewall", || id.into(), r.await)
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        let res = network.clone().unwrap_or_default();
        let r = async {
            firewalls(&self.capabilities())?;
            if let Some(n) = &network {
                check_id("network", n)?;
            }
            self.inner.list_firewalls(network).await
        };
        ctx(self.provider(), "list_firewalls", || res, r.await)
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("firewall", id)?;
            validate_rules(rules, &self.capabilities())?;
            self.inner.set_firewall_rules(id, rules).await
        };
        ctx(self.provider(), "set_firewall_rules", || id.into(), r.await)
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("firewall", id)?;
            self.inner.delete_firewall(id).await
        };
        ctx(self.provider(), "delete_firewall", || id.into(), r.await)
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("firewall", firewall)?;
            check_id("instance", instance)?;
            self.inner.attach_firewall(firewall, instance).await
        };
        ctx(
            self.provider(),
            "attach_firewall",
            || format!("{firewall} -> {instance}"),
            r.await,
        )
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let r = async {
            firewalls(&self.capabilities())?;
            check_id("firewall", firewall)?;
            check_id("instance", instance)?;
            self.inner.detach_firewall(firewall, instance).await
        };
        ctx(
            self.provider(),
            "detach_firewall",
            || format!("{firewall} -> {instance}"),
            r.await,
        )
    }
}
