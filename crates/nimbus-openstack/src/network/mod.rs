//! Networking on Neutron (`/v2.0`): networks, IPv4 subnets, and security groups as
//! firewalls (`firewalls.rs`), with the portable range of a network, the network of a
//! firewall and labels kept in tags (`tags.rs`), and rules converged by diff (`rules.rs`).
//!
//! Why the adapter does more than forward calls, where Neutron and the portable contract
//! differ:
//! - a Neutron network has no range; its portable range is the `nimbus-cidr` tag, and a
//!   subnet outside it is `InvalidInput` before anything is sent (a network created outside
//!   Nimbus has no such tag: its `cidr` is `None` and its subnets are only Neutron's to
//!   check);
//! - Neutron allows networks of the same name; the portable contract does not, so a name
//!   already visible is `AlreadyExists` (checked with a filtered list before the create: two
//!   racing creates can both pass the check);
//! - Neutron deletes a network together with its subnets; the portable contract refuses to
//!   delete a network while it has subnets or firewalls, so both are listed first and either
//!   one is `Conflict`. Ports still in use are Neutron's own 409 `NetworkInUse` (`Conflict`);
//! - an overlapping subnet is Neutron's 400 `InvalidInput`; the adapter checks the siblings
//!   first and answers `Conflict`, the portable kind (Neutron's own answer, should a racing
//!   create slip through, is mapped to `Conflict` too).
//!
//! Scope: one Neutron endpoint serves one region, so networks and subnets are regional and
//! carry the configured region (or the catalog's only one). Subnets have no zone: a zone is
//! `InvalidInput`. A subnet is created with IPv4, DHCP on, Neutron's default gateway (the
//! first address) and allocation pool (the rest); the portable `Subnet` does not show them.
//!
//! Prefix bounds: Neutron takes any subnet prefix but /0, yet a /30 or longer leaves at most
//! one address once the network, gateway and broadcast addresses are taken, so subnets are
//! /8../29 as on Azure and GCP; networks (a tag only) take the same bounds.
//!
//! Listing shows what the project sees: its own networks and shared ones (a shared network
//! made outside Nimbus has no range), IPv4 subnets only.
//!
//! `nimbus_core::contract::Contract` is above it: validation of names, ranges and rules,
//! capability gates, error context.

mod firewalls;
mod rules;
mod tags;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use ipnet::Ipv4Net;
use nimbus_core::network::validate::overlaps;
use nimbus_core::network::*;
use nimbus_core::{Error, ErrorKind, FirewallAttachment, NetworkCapabilities, Result, Scope};
use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{Service, Session};
use crate::config::OpenStackConfig;

const PROVIDER: &str = "openstack-neutron";

/// What Neutron networking does, in portable terms.
pub fn network_capabilities() -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.network_scope = Scope::Regional;
    c.subnet_scope = Scope::Regional;
    // Security groups: stateful, allow-only, unordered, with egress rules.
    // https://docs.openstack.org/api-ref/network/v2/index.html#security-group-rules-security-group-rules
    c.firewall_deny_rules = false;
    c.firewall_priorities = false;
    c.firewall_priority_range = None;
    c.firewall_egress_rules = true;
    // A server's Neutron ports list the groups.
    c.firewall_attachment = FirewallAttachment::Instance;
    c.network_prefix_range = (8, 29);
    c.subnet_prefix_range = (8, 29);
    c
}

/// Neutron as a [`NetworkService`]. The native client is the [`Session`].
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

    /// On a session of the caller's (e.g. `Session::new` for a token of its own instead of
    /// the one shared per configuration).
    pub fn with_session(session: Session) -> Self {
        NeutronNetwork { session }
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// GET a Neutron path as JSON.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        let url = with_query(path, query);
        self.session
            .get_json(Service::Network, &url, |r| r)
            .await
            .map_err(refine)
    }

    /// Every item of a Neutron collection (`key`, e.g. `networks`), following `next` links
    /// where the cloud paginates.
    async fn list(&self, path: &str, key: &str, query: &[(&str, &str)]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut page = self.get(path, query).await?;
        loop {
            if let Some(items) = page.get_mut(key).and_then(|v| v.as_array_mut()) {
                out.append(items);
            }
            let next = page
                .get(format!("{key}_links"))
                .and_then(Value::as_array)
                .and_then(|links| {
                    links
                        .iter()
                        .find(|l| l.get("rel").and_then(Value::as_str) == Some("next"))
                })
                .and_then(|l| l.get("href").and_then(Value::as_str))
                .map(str::to_string);
            match next {
                Some(href) => page = self.get(&href, &[]).await?,
                None => return Ok(out),
            }
        }
    }

    /// A request with a JSON body; the answer's JSON.
    async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Value> {
        self.session
            .send_json(Service::Network, method, path, body, |r| r)
            .await
            .map_err(refine)
    }

    async fn delete(&self, path: &str) -> Result<()> {
        self.session
            .send(Service::Network, Method::DELETE, path, |r| r)
            .await
            .map_err(refine)?;
        Ok(())
    }

    /// The region of the resources: the configured one, else the catalog's only region of
    /// the network service.
    async fn region(&self) -> Result<Option<String>> {
        if let Some(r) = &self.session.config().region {
            return Ok(Some(r.clone()));
        }
        let token = self.session.token().await?;
        let mut regions: Vec<&str> = token
            .catalog
            .iter()
            .filter(|e| e.service_type == Service::Network.catalog_type())
            .map(|e| e.region.as_str())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        Ok(match regions.as_slice() {
            [one] => Some((*one).to_string()),
            _ => None,
        })
    }

    async fn neutron_network(&self, id: &str) -> Result<Value> {
        Ok(self.get(&format!("/v2.0/networks/{id}"), &[]).await?["network"].take())
    }

    async fn neutron_subnets(&self, network: Option<&str>) -> Result<Vec<Value>> {
        let mut q = vec![("ip_version", "4")];
        if let Some(n) = network {
            q.push(("network_id", n));
        }
        self.list("/v2.0/subnets", "subnets", &q).await
    }

    async fn create_net(&self, spec: &NetworkSpec) -> Result<Network> {
        tags::check_labels(&spec.labels)?;
        let same = self
            .list(
                "/v2.0/networks",
                "networks",
                &[("name", spec.name.as_str()), ("fields", "id")],
            )
            .await?;
        if let Some(n) = same.first() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "a network named `{}` exists: {}",
                    spec.name,
                    n.get("id").and_then(Value::as_str).unwrap_or_default()
                ),
            ));
        }
        let created = self
            .send(
                Method::POST,
                "/v2.0/networks",
                &json!({"network": {"name": spec.name, "admin_state_up": true}}),
            )
            .await?;
        let id = str_of(&created["network"], "id")
            .ok_or_else(|| Error::internal("Neutron created a network without an id"))?;
        let tag_list = tags::network_tags(spec.cidr, &spec.labels);
        if let Err(e) = self
            .send(
                Method::PUT,
                &format!("/v2.0/networks/{id}/tags"),
                &json!({ "tags": tag_list }),
            )
            .await
        {
            // Leave nothing half-made behind: a network without its range.
            if let Err(cleanup) = self.delete(&format!("/v2.0/networks/{id}")).await {
                tracing::warn!(network = %id, error = %cleanup, "could not delete a network whose tags were refused");
            }
            return Err(e);
        }
        let mut n = Network::new(id, spec.name.clone());
        n.cidr = Some(spec.cidr);
        n.region = self.region().await?;
        n.labels = spec.labels.clone();
        Ok(n)
    }

    async fn create_sub(&self, spec: &SubnetSpec) -> Result<Subnet> {
        if let Some(z) = &spec.zone {
            return Err(Error::invalid(format!(
                "Neutron subnets are regional: a zone (`{}`) cannot be given",
                z.escape_debug()
            )));
        }
        let net = self.neutron_network(&spec.network).await?;
        let (range, _) = tags::read_network_tags(&tags::tags_of(&net));
        if let Some(range) = range {
            if !range.contains(&spec.cidr) {
                return Err(Error::invalid(format!(
                    "subnet {} is not inside the range {range} of network `{}`",
                    spec.cidr, spec.network
                )));
            }
        }
        for s in self.neutron_subnets(Some(&spec.network)).await? {
            if let Some(other) = cidr_of(&s).filter(|c| overlaps(*c, spec.cidr)) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "subnet {} overlaps subnet `{}` ({other}) of network `{}`",
                        spec.cidr,
                        str_of(&s, "id").unwrap_or_default(),
                        spec.network
                    ),
                ));
            }
        }
        let created = self
            .send(
                Method::POST,
                "/v2.0/subnets",
                &json!({"subnet": {
                    "network_id": spec.network,
                    "name": spec.name,
                    "cidr": spec.cidr.to_string(),
                    "ip_version": 4,
                    "enable_dhcp": true,
                }}),
            )
            .await?;
        let region = self.region().await?;
        subnet_of(&created["subnet"], region).ok_or_else(|| Error::internal("Neutron answered without a subnet"))
    }

    async fn delete_net(&self, id: &str) -> Result<()> {
        let subnets = self
            .list("/v2.0/subnets", "subnets", &[("network_id", id), ("fields", "id")])
            .await?;
        if !subnets.is_empty() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "network `{id}` still has {} subnet(s) (e.g. `{}`): delete them first",
                    subnets.len(),
                    str_of(&subnets[0], "id").unwrap_or_default()
                ),
            ));
        }
        let tag = tags::network_tag(id);
        let groups = self
            .list(
                "/v2.0/security-groups",
                "security_groups",
                &[("tags", tag.as_str()), ("fields", "id")],
            )
            .await?;
        if !groups.is_empty() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "network `{id}` still has {} firewall(s) (e.g. `{}`): delete them first",
                    groups.len(),
                    str_of(&groups[0], "id").unwrap_or_default()
                ),
            ));
        }
        self.delete(&format!("/v2.0/networks/{id}")).await
    }
}

/// `path?k=v&…`, form-encoded (Neutron's filters: `tags=nimbus-network%3D…`).
fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{path}?{q}")
}

/// A string field.
fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn cidr_of(subnet: &Value) -> Option<Ipv4Net> {
    str_of(subnet, "cidr")?.parse().ok()
}

fn network_of(v: &Value, region: Option<String>) -> Network {
    let id = str_of(v, "id").unwrap_or_default().to_string();
    let name = str_of(v, "name").filter(|n| !n.is_empty()).unwrap_or(&id).to_string();
    let (cidr, labels) = tags::read_network_tags(&tags::tags_of(v));
    let mut n = Network::new(id, name);
    n.cidr = cidr;
    n.region = region;
    n.labels = labels;
    n
}

fn subnet_of(v: &Value, region: Option<String>) -> Option<Subnet> {
    let id = str_of(v, "id")?.to_string();
    let name = str_of(v, "name").filter(|n| !n.is_empty()).unwrap_or(&id).to_string();
    let mut s = Subnet::new(id, name, str_of(v, "network_id")?, cidr_of(v)?);
    s.region = region;
    Some(s)
}

/// Neutron answers whose portable kind is not the one the status gives.
fn refine(e: Error) -> Error {
    let kind = match (e.kind(), e.raw_code()) {
        // 400 for a range that overlaps a sibling subnet.
        (ErrorKind::InvalidInput, _) if e.message().contains("overlaps with another subnet") => ErrorKind::Conflict,
        // 409 for a security group named `default` (the project's own).
        (_, Some("SecurityGroupDefaultAlreadyExists")) => ErrorKind::AlreadyExists,
        _ => return e,
    };
    let mut out = Error::new(kind, e.message().to_string());
    if let Some(c) = e.raw_code() {
        out = out.with_raw_code(c.to_string());
    }
    if let Some(r) = e.request_id() {
        out = out.with_request_id(r.to_string());
    }
    out
}

#[async_trait]
impl NetworkService for NeutronNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        network_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.session.clone()))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        self.create_net(spec).await
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        let v = self.neutron_network(id).await?;
        Ok(network_of(&v, self.region().await?))
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        let all = self.list("/v2.0/networks", "networks", &[]).await?;
        let region = self.region().await?;
        Ok(all.iter().map(|v| network_of(v, region.clone())).collect())
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        self.delete_net(id).await
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        self.create_sub(spec).await
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let v = self.get(&format!("/v2.0/subnets/{id}"), &[]).await?;
        subnet_of(&v["subnet"], self.region().await?).ok_or_else(|| Error::not_found(format!("IPv4 subnet `{id}`")))
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        let all = self.neutron_subnets(network.as_deref()).await?;
        let region = self.region().await?;
        Ok(all.iter().filter_map(|v| subnet_of(v, region.clone())).collect())
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        self.delete(&format!("/v2.0/subnets/{id}")).await
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        self.create_fw(spec).await
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        Ok(firewalls::firewall_of(&self.group(id).await?))
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        self.list_fw(network.as_deref()).await
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        self.set_rules(id, rules).await
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        self.delete(&format!("/v2.0/security-groups/{id}")).await
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        self.attach(firewall, instance).await
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        self.detach(firewall, instance).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_form_encoded() {
        assert_eq!(
            with_query(
                "/v2.0/security-groups",
                &[("tags", "nimbus-network=a b"), ("fields", "id")]
            ),
            "/v2.0/security-groups?tags=nimbus-network%3Da+b&fields=id"
        );
        assert_eq!(with_query("/v2.0/networks", &[]), "/v2.0/networks");
    }

    #[test]
    fn neutron_objects_become_portable_ones() {
        let n = network_of(
            &json!({"id": "n1", "name": "", "tags": ["nimbus-cidr=10.1.0.0/16", "team=core"]}),
            Some("RegionOne".into()),
        );
        assert_eq!(n.name, "n1", "a nameless network is named by its id");
        assert_eq!(n.cidr, Some("10.1.0.0/16".parse().unwrap()));
        assert_eq!(n.labels.get("team").map(String::as_str), Some("core"));
        let s = subnet_of(
            &json!({"id": "s1", "name": "a", "network_id": "n1", "cidr": "10.1.2.0/24"}),
            None,
        )
        .unwrap();
        assert_eq!((s.network.as_str(), s.cidr.to_string()), ("n1", "10.1.2.0/24".into()));
        assert!(subnet_of(&json!({"id": "s6", "network_id": "n1", "cidr": "fd00::/64"}), None).is_none());
    }

    #[test]
    fn overlap_and_default_group_answers_get_their_portable_kind() {
        let overlap = Error::new(
            ErrorKind::InvalidInput,
            "Invalid input for operation: Requested subnet with cidr: 10.0.0.0/24 for network: n overlaps with another subnet.",
        )
        .with_raw_code("InvalidInput");
        assert_eq!(refine(overlap).kind(), ErrorKind::Conflict);
        let default = Error::new(ErrorKind::Conflict, "Default security group already exists.")
            .with_raw_code("SecurityGroupDefaultAlreadyExists");
        let d = refine(default);
        assert_eq!(
            (d.kind(), d.raw_code()),
            (ErrorKind::AlreadyExists, Some("SecurityGroupDefaultAlreadyExists"))
        );
        let other = Error::new(ErrorKind::InvalidInput, "bad").with_raw_code("InvalidInput");
        assert_eq!(refine(other).kind(), ErrorKind::InvalidInput);
    }
}
