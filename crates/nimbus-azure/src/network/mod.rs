//! [`NetworkService`] on Azure virtual networks, subnets and network security groups (ARM).
//!
//! The model: a VNet is regional (the configured location) and holds address prefixes;
//! subnets are regional too (AWS subnets are zonal); an NSG is a standalone resource with
//! prioritised allow/deny rules in both directions, bound to network interfaces. The portable
//! firewall belongs to a network, so Nimbus records the network in the NSG's
//! `nimbus-network` tag. Attaching a firewall to an instance sets the NSG of the instance's
//! primary NIC: Azure allows **one NSG per NIC**, so a second, different firewall is a
//! `Conflict` naming the one attached. Ids are full ARM resource ids.
//!
//! The portable contract (`nimbus_core::contract::Contract`) sits above this adapter: it
//! validates names, ids, CIDR prefix lengths and firewall rules, gates the declared
//! capabilities and fills the error context; Azure's own rules (regional subnets, priorities
//! assigned per direction, one NSG per NIC) stay here.

mod rules;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use ipnet::Ipv4Net;
use nimbus_core::network::validate::overlaps;
use nimbus_core::network::*;
use nimbus_core::{Error, ErrorKind, FirewallAttachment, NetworkCapabilities, Result, Scope};
use serde_json::{json, Value};

use crate::arm::{api, ArmClient, ArmConfig};

const PROVIDER: &str = "azure-network";
/// Tag holding the portable network of an NSG.
const NETWORK_TAG: &str = "nimbus-network";
const VNET: &str = "Microsoft.Network/virtualNetworks";
const NSG: &str = "Microsoft.Network/networkSecurityGroups";

/// What Azure networking declares: regional VNets and subnets; NSGs with allow and deny
/// rules, priorities 100–4096 and egress rules, bound to network interfaces. Address spaces
/// from /8 to /29 (Azure's smallest subnet is a /29; 5 addresses of each are reserved).
pub fn azure_network_capabilities() -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.network_scope = Scope::Regional;
    c.subnet_scope = Scope::Regional;
    c.firewall_deny_rules = true;
    c.firewall_priorities = true;
    c.firewall_priority_range = Some((100, 4096));
    c.firewall_egress_rules = true;
    c.firewall_attachment = FirewallAttachment::NetworkInterface;
    c.network_prefix_range = (8, 29);
    c.subnet_prefix_range = (8, 29);
    c
}

/// Azure networking in one resource group.
#[derive(Debug, Clone)]
pub struct AzureNetwork {
    arm: ArmClient,
}

fn str_at<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

pub(crate) fn tags_of(v: &Value) -> BTreeMap<String, String> {
    v.get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The last segment of an ARM id.
pub(crate) fn leaf(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

impl AzureNetwork {
    /// Networking through `cfg` (no request is made yet).
    pub fn connect(cfg: &ArmConfig) -> Result<Self> {
        Ok(AzureNetwork {
            arm: ArmClient::new(cfg)?,
        })
    }

    /// From an ARM client shared with compute.
    pub fn with_client(arm: ArmClient) -> Self {
        AzureNetwork { arm }
    }

    /// The ARM client (escape hatch).
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// A full id from an id or a bare name.
    fn id(&self, kind: &str, id_or_name: &str) -> String {
        if id_or_name.starts_with("/subscriptions/") {
            id_or_name.to_string()
        } else {
            self.arm.config().resource_id(kind, id_or_name)
        }
    }

    fn network_of(v: &Value) -> Network {
        let mut n = Network::new(
            str_at(v, "/id").unwrap_or_default(),
            str_at(v, "/name").unwrap_or_default(),
        );
        n.cidr = str_at(v, "/properties/addressSpace/addressPrefixes/0").and_then(|c| c.parse().ok());
        n.region = str_at(v, "/location").map(str::to_string);
        n.labels = tags_of(v);
        n
    }

    fn subnet_of(v: &Value, region: Option<&str>) -> Option<Subnet> {
        let id = str_at(v, "/id")?;
        let network = id.split("/subnets/").next()?.to_string();
        let cidr: Ipv4Net = str_at(v, "/properties/addressPrefix")
            .or_else(|| str_at(v, "/properties/addressPrefixes/0"))?
            .parse()
            .ok()?;
        let mut s = Subnet::new(id, str_at(v, "/name").unwrap_or_default(), network, cidr);
        s.region = region.map(str::to_string);
        Some(s)
    }

    fn firewall_of(v: &Value) -> Firewall {
        Firewall::new(
            str_at(v, "/id").unwrap_or_default(),
            str_at(v, "/name").unwrap_or_default(),
            tags_of(v).remove(NETWORK_TAG).unwrap_or_default(),
            rules::from_nsg(v),
        )
    }

    async fn subnets_of(&self, network_id: &str) -> Result<Vec<Subnet>> {
        Ok(Self::subnets_in(&self.arm.get(network_id, api::NETWORK).await?))
    }

    /// The subnets a VNet resource lists.
    fn subnets_in(vnet: &Value) -> Vec<Subnet> {
        let region = str_at(vnet, "/location");
        vnet.pointer("/properties/subnets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| Self::subnet_of(s, region))
            .collect()
    }

    /// The primary NIC of a VM, as ARM returns it.
    async fn primary_nic(&self, instance: &str) -> Result<Value> {
        let vm_id = self.id("Microsoft.Compute/virtualMachines", instance);
        let vm = self.arm.get(&vm_id, api::COMPUTE).await?;
        let nics = vm
            .pointer("/properties/networkProfile/networkInterfaces")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let nic = nics
            .iter()
            .find(|n| n.pointer("/properties/primary").and_then(Value::as_bool) == Some(true))
            .or(nics.first())
            .and_then(|n| n.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| Error::internal(format!("VM {vm_id} has no network interface")))?;
        self.arm.get(nic, api::NETWORK).await
    }

    async fn put_nic_nsg(&self, mut nic: Value, nsg: Option<&str>) -> Result<()> {
        let id = str_at(&nic, "/id").unwrap_or_default().to_string();
        let props = nic
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Error::internal("network interface without properties"))?;
        match nsg {
            Some(n) => props.insert("networkSecurityGroup".into(), json!({ "id": n })),
            None => props.remove("networkSecurityGroup"),
        };
        self.arm.put(&id, api::NETWORK, &nic).await.map(|_| ())
    }
}

#[async_trait]
impl NetworkService for AzureNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        azure_network_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.arm.clone()))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        let id = self.id(VNET, &spec.name);
        // PUT is create-or-update: refuse to silently replace an existing VNet.
        match self.arm.get(&id, api::NETWORK).await {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a network named `{}` exists: {id}", spec.name),
                ))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let body = json!({
            "location": self.arm.config().location,
            "tags": spec.labels,
            "properties": { "addressSpace": { "addressPrefixes": [spec.cidr.to_string()] } }
        });
        let v = self.arm.put(&id, api::NETWORK, &body).await?;
        Ok(Self::network_of(&v))
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        let v = self.arm.get(&self.id(VNET, id), api::NETWORK).await?;
        Ok(Self::network_of(&v))
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        let c = self.arm.config();
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{VNET}",
            c.subscription, c.resource_group
        );
        let all = self.arm.list(&path, api::NETWORK).await?;
        Ok(all.iter().map(Self::network_of).collect())
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        let id = self.id(VNET, id);
        // Azure deletes a VNet's empty subnets with it; the portable call refuses a network
        // that still has subnets (as AWS does), so check first.
        let subnets = self.subnets_of(&id).await?;
        if let Some(s) = subnets.first() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("the network still has subnet {}", s.name),
            ));
        }
        self.arm.delete(&id, api::NETWORK).await
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        if let Some(z) = &spec.zone {
            return Err(Error::invalid(format!(
                "Azure subnets are regional: they span every zone, so zone `{z}` cannot be chosen (pick the zone per instance)"
            )));
        }
        let network = self.id(VNET, &spec.network);
        let vnet_resource = self.arm.get(&network, api::NETWORK).await?;
        let vnet = Self::network_of(&vnet_resource);
        if let Some(c) = vnet.cidr {
            if !c.contains(&spec.cidr) {
                return Err(Error::invalid(format!(
                    "subnet {} is outside the network's {c}",
                    spec.cidr
                )));
            }
        }
        let existing = Self::subnets_in(&vnet_resource);
        if let Some(s) = existing.iter().find(|s| s.name == spec.name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("subnet `{}` exists: {}", spec.name, s.id),
            ));
        }
        if let Some(s) = existing.iter().find(|s| overlaps(s.cidr, spec.cidr)) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("{} overlaps subnet {} ({})", spec.cidr, s.name, s.cidr),
            ));
        }
        let id = format!("{network}/subnets/{}", spec.name);
        let body = json!({ "properties": { "addressPrefix": spec.cidr.to_string() } });
        let v = self.arm.put(&id, api::NETWORK, &body).await?;
        Self::subnet_of(&v, vnet.region.as_deref())
            .ok_or_else(|| Error::internal("the subnet answer has no address prefix"))
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let v = self.arm.get(id, api::NETWORK).await?;
        Self::subnet_of(&v, Some(&self.arm.config().location))
            .ok_or_else(|| Error::internal("the subnet answer has no address prefix"))
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        let networks = match network {
            Some(n) => vec![self.id(VNET, &n)],
            None => self.list_networks().await?.into_iter().map(|n| n.id).collect(),
        };
        let mut out = Vec::new();
        for n in networks {
            // Names the network whose read failed: the contract only knows the argument,
            // which is none when every network is listed.
            out.extend(self.subnets_of(&n).await.map_err(|e| e.with_resource(n.clone()))?);
        }
        Ok(out)
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        self.arm.delete(id, api::NETWORK).await
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        let network = self.id(VNET, &spec.network);
        // The network must exist, as on AWS (an NSG itself is not bound to a VNet).
        self.arm.get(&network, api::NETWORK).await?;
        let id = self.id(NSG, &spec.name);
        match self.arm.get(&id, api::NETWORK).await {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a firewall named `{}` exists: {id}", spec.name),
                ))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let body = json!({
            "location": self.arm.config().location,
            "tags": { NETWORK_TAG: network },
            "properties": { "securityRules": rules::to_security_rules(&spec.rules)? }
        });
        let v = self.arm.put(&id, api::NETWORK, &body).await?;
        Ok(Self::firewall_of(&v))
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let v = self.arm.get(&self.id(NSG, id), api::NETWORK).await?;
        Ok(Self::firewall_of(&v))
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        let c = self.arm.config();
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{NSG}",
            c.subscription, c.resource_group
        );
        let all = self.arm.list(&path, api::NETWORK).await?;
        let want = network.map(|n| self.id(VNET, &n));
        Ok(all
            .iter()
            .map(Self::firewall_of)
            .filter(|f| want.as_ref().is_none_or(|n| f.network.eq_ignore_ascii_case(n)))
            .collect())
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        let id = self.id(NSG, id);
        let mut nsg = self.arm.get(&id, api::NETWORK).await?;
        let new_rules = rules::to_security_rules(rules)?;
        if let Some(p) = nsg.get_mut("properties").and_then(Value::as_object_mut) {
            p.insert("securityRules".into(), Value::Array(new_rules));
        }
        let v = self.arm.put(&id, api::NETWORK, &nsg).await?;
        Ok(Self::firewall_of(&v))
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        self.arm.delete(&self.id(NSG, id), api::NETWORK).await
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let fw = self.id(NSG, firewall);
        self.arm.get(&fw, api::NETWORK).await?;
        let nic = self.primary_nic(instance).await?;
        match str_at(&nic, "/properties/networkSecurityGroup/id") {
            Some(cur) if cur.eq_ignore_ascii_case(&fw) => Ok(()),
            Some(cur) => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "Azure allows one firewall (NSG) per network interface, and {} is attached",
                    leaf(cur)
                ),
            )),
            None => self.put_nic_nsg(nic, Some(&fw)).await,
        }
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let fw = self.id(NSG, firewall);
        let nic = self.primary_nic(instance).await?;
        match str_at(&nic, "/properties/networkSecurityGroup/id") {
            Some(cur) if cur.eq_ignore_ascii_case(&fw) => self.put_nic_nsg(nic, None).await,
            _ => Err(Error::not_found(format!(
                "firewall {} is not attached to {instance}",
                leaf(&fw)
            ))),
        }
    }
}
