//! [`NetworkService`] on VPC networks, subnetworks and firewall rules.
//!
//! Google's model differs from the portable one in three ways, and this module owns the
//! mapping (docs/design/0012-gcp-compute.md):
//! - **Networks are global and have no address range** (custom mode). The portable range and
//!   labels are kept in the network's `description` as `nimbus:{"cidr":…,"labels":…}`, so a
//!   subnet outside the range is refused here, before Google is asked. Networks made
//!   elsewhere have no range (`cidr: None`).
//! - **Subnetworks are regional**; a subnet id is `region/name`. Overlap with a sibling in any
//!   region is refused here (`Conflict`), as the other clouds do.
//! - **A firewall rule is one resource** with one direction, action and priority, and it
//!   applies to instances through **network tags**. A portable firewall named `web` is an
//!   *anchor* rule `web` (disabled, so it never matches traffic; it keeps the firewall's
//!   identity even with no rules) plus one rule `web-r0`, `web-r1`, … per portable rule, all
//!   targeting the tag `web`. Attaching adds the tag to the instance; detaching removes it.
//!   Rules without a priority get 1000, 1010, … per direction, so the written order is the
//!   evaluated order. Firewall rules made elsewhere are listed as read-only firewalls.
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.
//! What stays here is Google's own: ids as names before they reach a path or a list filter,
//! firewall name lengths and `-rN` suffixes, ranges, overlaps and regional subnets.

mod rules;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use ipnet::Ipv4Net;
use nimbus_core::capability::{FirewallAttachment, Scope};
use nimbus_core::network::validate::{overlaps, validate_name};
use nimbus_core::network::*;
use nimbus_core::{Error, ErrorKind, NetworkCapabilities, Result};
use reqwest::Method;
use serde_json::{json, Value};

use crate::config::GceConfig;
use crate::gce::{leaf, q, scoped_id, GceClient};
use rules::{anchor_body, firewall_of, is_anchor, is_rule_of, rule_bodies};

const PROVIDER: &str = "gcp-network";
/// The prefix of a Nimbus network description.
const META: &str = "nimbus:";
/// Portable rules per firewall (`-r0` … `-r99`).
const MAX_RULES: usize = 100;

/// What VPC declares.
pub fn gce_network_capabilities() -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.network_scope = Scope::Global;
    c.subnet_scope = Scope::Regional;
    c.firewall_deny_rules = true;
    c.firewall_priorities = true;
    c.firewall_priority_range = Some((0, 65535));
    c.firewall_egress_rules = true;
    c.firewall_attachment = FirewallAttachment::Tag;
    c.network_prefix_range = (8, 29);
    c.subnet_prefix_range = (8, 29);
    c
}

/// VPC networking of one project; new subnetworks go to the configured region.
#[derive(Debug, Clone)]
pub struct GceNetwork {
    gce: GceClient,
}

/// A network resource as a portable network (range and labels from a Nimbus description).
fn network_of(v: &Value) -> Network {
    let name = v["name"].as_str().unwrap_or_default();
    let mut n = Network::new(name, name);
    if let Some(meta) = v["description"]
        .as_str()
        .and_then(|d| d.strip_prefix(META))
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    {
        n.cidr = meta["cidr"].as_str().and_then(|c| c.parse().ok());
        n.labels = meta["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
    }
    n
}

/// A subnetwork resource as a portable subnet.
fn subnet_of(v: &Value) -> Result<Subnet> {
    let cidr: Ipv4Net = v["ipCidrRange"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Error::internal("a subnetwork without an IPv4 range"))?;
    let region = v["region"].as_str().map(leaf).unwrap_or_default().to_string();
    let name = v["name"].as_str().unwrap_or_default();
    let mut s = Subnet::new(
        format!("{region}/{name}"),
        name,
        v["network"].as_str().map(leaf).unwrap_or_default(),
        cidr,
    );
    s.region = Some(region);
    Ok(s)
}

impl GceNetwork {
    /// Networking through `cfg` (no request is made yet).
    pub fn connect(cfg: &GceConfig) -> Result<Self> {
        Ok(Self::with_client(GceClient::new(cfg)?))
    }

    /// From a client shared with compute.
    pub fn with_client(gce: GceClient) -> Self {
        GceNetwork { gce }
    }

    /// The REST client (escape hatch).
    pub fn client(&self) -> &GceClient {
        &self.gce
    }

    /// `region/name` (or a bare name in the configured region) → (region, name); a malformed
    /// id is `InvalidInput` before any request.
    fn split_subnet<'a>(&'a self, id: &'a str) -> Result<(&'a str, &'a str)> {
        scoped_id("subnet", id, &self.gce.config().region)
    }

    /// A network by name or link (its last segment).
    async fn network_resource(&self, id: &str) -> Result<Value> {
        validate_name("network", leaf(id))?;
        self.gce.get(&format!("global/networks/{}", leaf(id))).await
    }

    /// Every subnetwork of the project (all regions), optionally of one network.
    async fn subnetworks(&self, network: Option<&str>) -> Result<Vec<Value>> {
        let all = self
            .gce
            .aggregated("aggregated/subnetworks?returnPartialSuccess=true", "subnetworks")
            .await?;
        Ok(all
            .into_iter()
            .filter(|s| network.is_none_or(|n| s["network"].as_str().map(leaf) == Some(leaf(n))))
            .collect())
    }

    /// The anchor of a Nimbus firewall (or a foreign rule), and the rules of its group.
    async fn firewall_parts(&self, id: &str) -> Result<(Value, Vec<Value>)> {
        // Also keeps the id out of the list filter below as anything but a name.
        validate_name("firewall", id)?;
        let anchor = self.gce.get(&format!("global/firewalls/{id}")).await?;
        if !is_anchor(&anchor) {
            return Ok((anchor, Vec::new()));
        }
        let filter = q(&format!("name eq \"{id}-r[0-9]+\""));
        let mut members: Vec<Value> = self
            .gce
            .list(&format!("global/firewalls?filter={filter}"))
            .await?
            .into_iter()
            .filter(|r| is_rule_of(r, id))
            .collect();
        members.sort_by_key(|r| rules::index_of(r, id));
        Ok((anchor, members))
    }

    /// Instances of any zone carrying the tag `tag`.
    async fn tagged_instances(&self, tag: &str) -> Result<Vec<String>> {
        let all = self
            .gce
            .aggregated("aggregated/instances?returnPartialSuccess=true", "instances")
            .await?;
        Ok(all
            .iter()
            .filter(|i| {
                i.pointer("/tags/items")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|x| x == tag))
            })
            .map(|i| i["name"].as_str().unwrap_or_default().to_string())
            .collect())
    }

    /// Sets an instance's tags with the fingerprint read, adding or removing `tag`.
    async fn retag(&self, instance: &str, tag: &str, add: bool) -> Result<()> {
        let (zone, name) = scoped_id("instance", instance, &self.gce.config().zone)?;
        let path = format!("zones/{zone}/instances/{name}");
        let v = self.gce.get(&path).await?;
        let mut items: Vec<String> = v
            .pointer("/tags/items")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let has = items.iter().any(|t| t == tag);
        if has == add {
            return Ok(());
        }
        if add {
            items.push(tag.to_string());
        } else {
            items.retain(|t| t != tag);
        }
        let body =
            json!({ "items": items, "fingerprint": v.pointer("/tags/fingerprint").cloned().unwrap_or(Value::Null) });
        self.gce
            .operate(Method::POST, &format!("{path}/setTags"), Some(&body))
            .await?;
        Ok(())
    }

    /// Creates, replaces and deletes the member rules of firewall `id` so they are `rules`.
    async fn write_rules(&self, id: &str, network: &str, rules: &[FirewallRule], existing: &[Value]) -> Result<()> {
        let bodies = rule_bodies(id, &self.gce.link(&format!("global/networks/{network}")), rules)?;
        for (i, body) in bodies.iter().enumerate() {
            let name = format!("{id}-r{i}");
            if existing.iter().any(|r| r["name"] == name.as_str()) {
                self.gce
                    .operate(Method::PUT, &format!("global/firewalls/{name}"), Some(body))
                    .await?;
            } else {
                self.gce.operate(Method::POST, "global/firewalls", Some(body)).await?;
            }
        }
        for r in existing {
            let name = r["name"].as_str().unwrap_or_default();
            if rules::index_of(r, id) >= bodies.len() {
                self.gce
                    .operate(Method::DELETE, &format!("global/firewalls/{name}"), None)
                    .await?;
            }
        }
        Ok(())
    }

    /// Google's limits on a firewall beyond the portable ones (which the contract checks:
    /// the name on create, the rules). `set_firewall_rules`'s id is checked as a name by
    /// `firewall_parts` before any request.
    fn check_firewall(&self, name: &str, rules: &[FirewallRule]) -> Result<()> {
        if name.len() > 59 {
            return Err(Error::invalid(format!(
                "firewall name `{name}`: at most 59 characters on Google Cloud (its rules are named `{name}-rN`)"
            )));
        }
        if rules::looks_like_member(name) {
            return Err(Error::invalid(format!(
                "firewall name `{name}` ends like a rule of another firewall (`-rN`); choose another"
            )));
        }
        if rules.len() > MAX_RULES {
            return Err(Error::invalid(format!("at most {MAX_RULES} rules per firewall")));
        }
        Ok(())
    }
}

#[async_trait]
impl NetworkService for GceNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        gce_network_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.gce.clone()))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        let meta = json!({ "cidr": spec.cidr.to_string(), "labels": spec.labels });
        let body = json!({
            "name": spec.name,
            "autoCreateSubnetworks": false,
            "description": format!("{META}{meta}"),
            "routingConfig": { "routingMode": "REGIONAL" },
        });
        if body["description"].as_str().map_or(0, str::len) > 2048 {
            return Err(Error::invalid(
                "the network's labels are too long for Google Cloud (2 KiB with the range)",
            ));
        }
        let query = crate::gce::request_id_query(spec.request_id.as_deref());
        self.gce
            .operate(Method::POST, &format!("global/networks{query}"), Some(&body))
            .await?;
        self.get_network(&spec.name).await
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        Ok(network_of(&self.network_resource(id).await?))
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        let all = self.gce.list("global/networks").await?;
        Ok(all.iter().map(network_of).collect())
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        // Compute Engine refuses while subnetworks or firewall rules use the network
        // (resourceInUseByAnotherResource → Conflict).
        self.gce
            .operate(Method::DELETE, &format!("global/networks/{}", leaf(id)), None)
            .await?;
        Ok(())
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        if let Some(z) = &spec.zone {
            return Err(Error::invalid(format!(
                "Google Cloud subnetworks are regional: pass no zone (got `{z}`); the region is the configured one"
            )));
        }
        let net = network_of(&self.network_resource(&spec.network).await?);
        if let Some(range) = net.cidr {
            if !range.contains(&spec.cidr) {
                return Err(Error::invalid(format!(
                    "subnet {} is outside network {}'s range {range}",
                    spec.cidr, net.name
                )));
            }
        }
        for s in self.subnetworks(Some(&net.name)).await? {
            let sib = subnet_of(&s)?;
            if overlaps(sib.cidr, spec.cidr) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("subnet {} overlaps {} ({})", spec.cidr, sib.id, sib.cidr),
                ));
            }
        }
        let region = self.gce.config().region.clone();
        let body = json!({
            "name": spec.name,
            "network": self.gce.link(&format!("global/networks/{}", net.name)),
            "ipCidrRange": spec.cidr.to_string(),
            "privateIpGoogleAccess": false,
        });
        self.gce
            .operate(Method::POST, &format!("regions/{region}/subnetworks"), Some(&body))
            .await?;
        self.get_subnet(&format!("{region}/{}", spec.name)).await
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let (region, name) = self.split_subnet(id)?;
        subnet_of(&self.gce.get(&format!("regions/{region}/subnetworks/{name}")).await?)
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        if let Some(n) = &network {
            // A missing network is NotFound, not an empty list.
            self.network_resource(n).await?;
        }
        self.subnetworks(network.as_deref())
            .await?
            .iter()
            .map(subnet_of)
            .collect()
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        let (region, name) = self.split_subnet(id)?;
        // Refused by Compute Engine while instances use it (→ Conflict).
        self.gce
            .operate(Method::DELETE, &format!("regions/{region}/subnetworks/{name}"), None)
            .await?;
        Ok(())
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        self.check_firewall(&spec.name, &spec.rules)?;
        let network = leaf(&spec.network).to_string();
        self.network_resource(&network).await?;
        let anchor = anchor_body(&spec.name, &self.gce.link(&format!("global/networks/{network}")));
        self.gce
            .operate(Method::POST, "global/firewalls", Some(&anchor))
            .await?;
        if let Err(e) = self.write_rules(&spec.name, &network, &spec.rules, &[]).await {
            // Leave nothing half made: the rules written so far, then the anchor.
            if let Ok((_, made)) = self.firewall_parts(&spec.name).await {
                for r in made {
                    let n = r["name"].as_str().unwrap_or_default();
                    let _ = self
                        .gce
                        .operate(Method::DELETE, &format!("global/firewalls/{n}"), None)
                        .await;
                }
            }
            let _ = self
                .gce
                .operate(Method::DELETE, &format!("global/firewalls/{}", spec.name), None)
                .await;
            return Err(e);
        }
        self.get_firewall(&spec.name).await
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let (anchor, members) = self.firewall_parts(id).await?;
        firewall_of(&anchor, &members)
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        if let Some(n) = &network {
            self.network_resource(n).await?;
        }
        let all = self.gce.list("global/firewalls").await?;
        let mut groups: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
        for r in &all {
            let name = r["name"].as_str().unwrap_or_default();
            let is_member = all
                .iter()
                .any(|a| is_anchor(a) && is_rule_of(r, a["name"].as_str().unwrap_or_default()));
            if !is_member {
                groups.insert(name.to_string(), (r.clone(), Vec::new()));
            }
        }
        for r in &all {
            for (id, (anchor, members)) in groups.iter_mut() {
                if is_anchor(anchor) && is_rule_of(r, id) {
                    members.push(r.clone());
                }
            }
        }
        let mut out = Vec::new();
        for (id, (anchor, mut members)) in groups {
            members.sort_by_key(|r| rules::index_of(r, &id));
            let f = firewall_of(&anchor, &members)?;
            if network.as_deref().is_none_or(|n| leaf(n) == f.network) {
                out.push(f);
            }
        }
        Ok(out)
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        self.check_firewall(id, rules)?;
        let (anchor, members) = self.firewall_parts(id).await?;
        if !is_anchor(&anchor) {
            return Err(Error::invalid(format!(
                "firewall rule `{id}` was not made by Nimbus; change it with the native client"
            )));
        }
        let network = anchor["network"].as_str().map(leaf).unwrap_or_default().to_string();
        self.write_rules(id, &network, rules, &members).await?;
        self.get_firewall(id).await
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        let (anchor, members) = self.firewall_parts(id).await?;
        if is_anchor(&anchor) {
            // Google would let the rules go while instances carry the tag; the portable
            // contract is Conflict.
            let users = self.tagged_instances(id).await?;
            if !users.is_empty() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("firewall `{id}` is attached to {}", users.join(", ")),
                ));
            }
        }
        for r in &members {
            let n = r["name"].as_str().unwrap_or_default();
            self.gce
                .operate(Method::DELETE, &format!("global/firewalls/{n}"), None)
                .await?;
        }
        self.gce
            .operate(Method::DELETE, &format!("global/firewalls/{id}"), None)
            .await?;
        Ok(())
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        // A firewall id is a rule's name here (and the tag the instance gets).
        validate_name("firewall", firewall)?;
        let anchor = self.gce.get(&format!("global/firewalls/{firewall}")).await?;
        if !is_anchor(&anchor) {
            return Err(Error::invalid(format!(
                "firewall rule `{firewall}` was not made by Nimbus; tag the instance with its target tags instead"
            )));
        }
        self.retag(instance, firewall, true).await
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        self.retag(instance, firewall, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_range_and_labels_live_in_the_description() {
        let v = json!({"name": "n", "description": "nimbus:{\"cidr\":\"10.1.0.0/16\",\"labels\":{\"a\":\"b\"}}"});
        let n = network_of(&v);
        assert_eq!(n.cidr.unwrap().to_string(), "10.1.0.0/16");
        assert_eq!(n.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(network_of(&json!({"name": "default"})).cidr, None);
    }
}
