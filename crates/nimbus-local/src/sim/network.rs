//! [`NetworkService`] on the simulator: regional networks, zonal subnets (as AWS), and
//! instance-attached firewalls with prioritised allow/deny rules in both directions.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use nimbus_core::network::validate::{check_prefix, overlaps, validate_name, validate_rules};
use nimbus_core::network::*;
use nimbus_core::{Error, ErrorKind, FirewallAttachment, NetworkCapabilities, Result, Scope};

use super::SimCloud;

const PROVIDER: &str = "local";

/// Simulated networks, subnets and firewalls.
#[derive(Debug, Clone)]
pub struct LocalNetwork {
    cloud: Arc<SimCloud>,
}

fn caps() -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.network_scope = Scope::Regional;
    c.subnet_scope = Scope::Zonal;
    c.firewall_deny_rules = true;
    c.firewall_priorities = true;
    c.firewall_priority_range = Some((100, 4096));
    c.firewall_egress_rules = true;
    c.firewall_attachment = FirewallAttachment::Instance;
    c.network_prefix_range = (16, 28);
    c.subnet_prefix_range = (16, 28);
    c
}

fn not_found(kind: &str, code: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{kind} `{id}` does not exist"))
        .with_raw_code(code)
        .with_resource(id)
}

fn dependency(what: &str, id: &str, why: String) -> Error {
    Error::new(ErrorKind::Conflict, format!("{what} `{id}` has dependencies: {why}"))
        .with_raw_code("DependencyViolation")
        .with_resource(id)
}

impl LocalNetwork {
    pub(crate) fn new(cloud: Arc<SimCloud>) -> Self {
        LocalNetwork { cloud }
    }

    async fn tx<T: Send + 'static>(
        &self,
        op: &'static str,
        res: String,
        f: impl FnOnce(&mut super::state::SimState, &super::SimOptions) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.cloud
            .transact(move |s, o, _| f(s, o))
            .await
            .map_err(|e| e.context(PROVIDER, op, || res))
    }
}

#[async_trait]
impl NetworkService for LocalNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        caps()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(self.cloud.clone())
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        let spec = spec.clone();
        self.tx("create_network", spec.name.clone(), move |s, o| {
            validate_name("network", &spec.name)?;
            check_prefix("network", spec.cidr, caps().network_prefix_range)?;
            if s.networks.values().any(|n| n.name == spec.name) {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a network named `{}` exists", spec.name),
                )
                .with_raw_code("NetworkNameInUse"));
            }
            let mut n = Network::new(s.new_id("net"), spec.name.clone());
            n.cidr = Some(spec.cidr);
            n.region = Some(o.region.clone());
            n.labels = spec.labels.clone();
            s.networks.insert(n.id.clone(), n.clone());
            Ok(n)
        })
        .await
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        let id = id.to_string();
        self.tx("get_network", id.clone(), move |s, _| {
            s.networks
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found("network", "InvalidVpcID.NotFound", &id))
        })
        .await
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        self.tx("list_networks", String::new(), |s, _| {
            Ok(s.networks.values().cloned().collect())
        })
        .await
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.tx("delete_network", id.clone(), move |s, _| {
            if !s.networks.contains_key(&id) {
                return Err(not_found("network", "InvalidVpcID.NotFound", &id));
            }
            let subnets: Vec<&str> = s
                .subnets
                .values()
                .filter(|x| x.network == id)
                .map(|x| x.id.as_str())
                .collect();
            if !subnets.is_empty() {
                return Err(dependency("network", &id, format!("subnets {}", subnets.join(", "))));
            }
            let fws: Vec<&str> = s
                .firewalls
                .values()
                .filter(|x| x.network == id)
                .map(|x| x.id.as_str())
                .collect();
            if !fws.is_empty() {
                return Err(dependency("network", &id, format!("firewalls {}", fws.join(", "))));
            }
            s.networks.remove(&id);
            Ok(())
        })
        .await
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        let spec = spec.clone();
        self.tx("create_subnet", spec.name.clone(), move |s, o| {
            validate_name("subnet", &spec.name)?;
            let net = s
                .networks
                .get(&spec.network)
                .cloned()
                .ok_or_else(|| not_found("network", "InvalidVpcID.NotFound", &spec.network))?;
            check_prefix("subnet", spec.cidr, caps().subnet_prefix_range)?;
            let ncidr = net.cidr.expect("local networks have a CIDR");
            if !ncidr.contains(&spec.cidr) {
                return Err(Error::invalid(format!(
                    "subnet CIDR {} is not inside network {} ({ncidr})",
                    spec.cidr, net.id
                ))
                .with_raw_code("InvalidSubnet.Range"));
            }
            if let Some(other) = s
                .subnets
                .values()
                .find(|x| x.network == net.id && overlaps(x.cidr, spec.cidr))
            {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "subnet CIDR {} overlaps subnet {} ({})",
                        spec.cidr, other.id, other.cidr
                    ),
                )
                .with_raw_code("InvalidSubnet.Conflict"));
            }
            if s.subnets.values().any(|x| x.network == net.id && x.name == spec.name) {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a subnet named `{}` exists", spec.name),
                ));
            }
            let zone = match &spec.zone {
                Some(z) if !o.zones.contains(z) => {
                    return Err(Error::invalid(format!(
                        "unknown zone `{z}`; zones here: {}",
                        o.zones.join(", ")
                    )))
                }
                Some(z) => z.clone(),
                // As AWS CreateSubnet: the provider picks a zone.
                None => o.zones[0].clone(),
            };
            let mut sn = Subnet::new(s.new_id("subnet"), spec.name.clone(), net.id.clone(), spec.cidr);
            sn.region = Some(o.region.clone());
            sn.zone = Some(zone);
            s.subnets.insert(sn.id.clone(), sn.clone());
            Ok(sn)
        })
        .await
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let id = id.to_string();
        self.tx("get_subnet", id.clone(), move |s, _| {
            s.subnets
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found("subnet", "InvalidSubnetID.NotFound", &id))
        })
        .await
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        self.tx("list_subnets", network.clone().unwrap_or_default(), move |s, _| {
            Ok(s.subnets
                .values()
                .filter(|x| network.as_ref().is_none_or(|n| &x.network == n))
                .cloned()
                .collect())
        })
        .await
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.tx("delete_subnet", id.clone(), move |s, _| {
            if !s.subnets.contains_key(&id) {
                return Err(not_found("subnet", "InvalidSubnetID.NotFound", &id));
            }
            let users: Vec<&str> = s
                .instances
                .values()
                .filter(|i| i.live() && i.subnet.as_deref() == Some(id.as_str()))
                .map(|i| i.id.as_str())
                .collect();
            if !users.is_empty() {
                return Err(dependency("subnet", &id, format!("instances {}", users.join(", "))));
            }
            s.subnets.remove(&id);
            Ok(())
        })
        .await
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        let spec = spec.clone();
        self.tx("create_firewall", spec.name.clone(), move |s, _| {
            validate_name("firewall", &spec.name)?;
            if !s.networks.contains_key(&spec.network) {
                return Err(not_found("network", "InvalidVpcID.NotFound", &spec.network));
            }
            validate_rules(&spec.rules, &caps())?;
            if s.firewalls
                .values()
                .any(|f| f.network == spec.network && f.name == spec.name)
            {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("a firewall named `{}` exists", spec.name),
                )
                .with_raw_code("InvalidGroup.Duplicate"));
            }
            let fw = Firewall::new(
                s.new_id("fw"),
                spec.name.clone(),
                spec.network.clone(),
                dedup(spec.rules.clone())?,
            );
            s.firewalls.insert(fw.id.clone(), fw.clone());
            Ok(fw)
        })
        .await
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let id = id.to_string();
        self.tx("get_firewall", id.clone(), move |s, _| {
            s.firewalls
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found("firewall", "InvalidGroup.NotFound", &id))
        })
        .await
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        self.tx("list_firewalls", network.clone().unwrap_or_default(), move |s, _| {
            Ok(s.firewalls
                .values()
                .filter(|x| network.as_ref().is_none_or(|n| &x.network == n))
                .cloned()
                .collect())
        })
        .await
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        let id = id.to_string();
        let rules = rules.to_vec();
        self.tx("set_firewall_rules", id.clone(), move |s, _| {
            validate_rules(&rules, &caps())?;
            let rules = dedup(rules)?;
            let fw = s
                .firewalls
                .get_mut(&id)
                .ok_or_else(|| not_found("firewall", "InvalidGroup.NotFound", &id))?;
            fw.rules = rules;
            Ok(fw.clone())
        })
        .await
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.tx("delete_firewall", id.clone(), move |s, _| {
            if !s.firewalls.contains_key(&id) {
                return Err(not_found("firewall", "InvalidGroup.NotFound", &id));
            }
            let users: Vec<&str> = s
                .instances
                .values()
                .filter(|i| i.live() && i.firewalls.contains(&id))
                .map(|i| i.id.as_str())
                .collect();
            if !users.is_empty() {
                return Err(dependency(
                    "firewall",
                    &id,
                    format!("attached to instances {}", users.join(", ")),
                ));
            }
            s.firewalls.remove(&id);
            Ok(())
        })
        .await
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let (fw, inst) = (firewall.to_string(), instance.to_string());
        self.tx("attach_firewall", format!("{fw} -> {inst}"), move |s, _| {
            let f = s
                .firewalls
                .get(&fw)
                .cloned()
                .ok_or_else(|| not_found("firewall", "InvalidGroup.NotFound", &fw))?;
            let subnets = s.subnets.clone();
            let i = s
                .instances
                .get_mut(&inst)
                .filter(|i| i.live())
                .ok_or_else(|| not_found("instance", "InvalidInstanceID.NotFound", &inst))?;
            let net = i
                .subnet
                .as_ref()
                .and_then(|sn| subnets.get(sn))
                .map(|sn| sn.network.clone());
            if net.as_deref() != Some(f.network.as_str()) {
                return Err(Error::invalid(format!(
                    "firewall `{fw}` is in network `{}`, instance `{inst}` is not",
                    f.network
                )));
            }
            if !i.firewalls.contains(&fw) {
                i.firewalls.push(fw);
            }
            Ok(())
        })
        .await
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        let (fw, inst) = (firewall.to_string(), instance.to_string());
        self.tx("detach_firewall", format!("{fw} -> {inst}"), move |s, _| {
            let i = s
                .instances
                .get_mut(&inst)
                .ok_or_else(|| not_found("instance", "InvalidInstanceID.NotFound", &inst))?;
            i.firewalls.retain(|f| f != &fw);
            Ok(())
        })
        .await
    }
}

/// Rejects the same rule twice (as AWS's `InvalidPermission.Duplicate`) and two rules with the
/// same priority and direction (as Azure's NSGs).
fn dedup(rules: Vec<FirewallRule>) -> Result<Vec<FirewallRule>> {
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[..i] {
            if a == b {
                return Err(Error::invalid(format!("rule {} duplicates an earlier rule", i + 1))
                    .with_raw_code("InvalidPermission.Duplicate"));
            }
            if a.priority.is_some() && a.priority == b.priority && a.direction == b.direction {
                return Err(Error::invalid(format!(
                    "rule {}: priority {} is already used by another {:?} rule",
                    i + 1,
                    a.priority.unwrap_or_default(),
                    a.direction
                ))
                .with_raw_code("SecurityRuleConflict"));
            }
        }
    }
    Ok(rules)
}
