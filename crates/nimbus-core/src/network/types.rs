//! Plain data of the network API.

use std::collections::BTreeMap;
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

/// A virtual network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Network {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address range (None where the provider's networks have none, e.g. GCP custom mode).
    pub cidr: Option<Ipv4Net>,
    /// Region for regional networks; None for global ones.
    pub region: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

impl Network {
    /// A network with id and name; set the other fields.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Network {
            id: id.into(),
            name: name.into(),
            cidr: None,
            region: None,
            labels: BTreeMap::new(),
        }
    }
}

/// What network to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NetworkSpec {
    /// Name.
    pub name: String,
    /// Address range.
    pub cidr: Ipv4Net,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Idempotency token, a UUID: calls carrying the same token create at most one network
    /// (outside the window ADR 0021 states). The contract makes one per call when this is
    /// `None`, so its retries are safe; set it to make a call safe to repeat across processes.
    /// Sent as Compute Engine's `requestId` and kept on the network as the label
    /// [`REQUEST_ID_LABEL`](crate::request_id::REQUEST_ID_LABEL).
    #[serde(default)]
    pub request_id: Option<String>,
}

impl NetworkSpec {
    /// A spec from a name and CIDR.
    pub fn new(name: impl Into<String>, cidr: Ipv4Net) -> Self {
        NetworkSpec {
            name: name.into(),
            cidr,
            labels: BTreeMap::new(),
            request_id: None,
        }
    }
    /// Adds a label.
    pub fn label(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.labels.insert(k.into(), v.into());
        self
    }
    /// Sets the idempotency token (a UUID; see the field).
    pub fn request_id(mut self, token: impl Into<String>) -> Self {
        self.request_id = Some(token.into());
        self
    }
}

/// A subnet of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subnet {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Network id.
    pub network: String,
    /// Address range.
    pub cidr: Ipv4Net,
    /// Region.
    pub region: Option<String>,
    /// Zone, for zonal subnets.
    pub zone: Option<String>,
}

impl Subnet {
    /// A subnet from its parts; set region and zone.
    pub fn new(id: impl Into<String>, name: impl Into<String>, network: impl Into<String>, cidr: Ipv4Net) -> Self {
        Subnet {
            id: id.into(),
            name: name.into(),
            network: network.into(),
            cidr,
            region: None,
            zone: None,
        }
    }
}

/// What subnet to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubnetSpec {
    /// Network id.
    pub network: String,
    /// Name.
    pub name: String,
    /// Address range, inside the network's.
    pub cidr: Ipv4Net,
    /// Zone. On providers whose subnets are zonal the provider picks one when `None` (as
    /// AWS CreateSubnet does); on regional providers a zone is `InvalidInput`.
    pub zone: Option<String>,
}

impl SubnetSpec {
    /// A spec from network, name and CIDR.
    pub fn new(network: impl Into<String>, name: impl Into<String>, cidr: Ipv4Net) -> Self {
        SubnetSpec {
            network: network.into(),
            name: name.into(),
            cidr,
            zone: None,
        }
    }
}

/// Traffic direction of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Into the instance.
    Ingress,
    /// Out of the instance.
    Egress,
}

/// IP protocol of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// Every protocol.
    All,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Allow matching traffic.
    Allow,
    /// Deny matching traffic (not on AWS security groups).
    Deny,
}

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
}

impl PortRange {
    /// One port.
    pub fn single(p: u16) -> Self {
        PortRange { from: p, to: p }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// One firewall rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FirewallRule {
    /// Direction.
    pub direction: Direction,
    /// Protocol.
    pub protocol: Protocol,
    /// Ports (TCP/UDP only; None = all ports).
    pub ports: Option<PortRange>,
    /// The other side: source for ingress, destination for egress.
    pub peer: Ipv4Net,
    /// Allow or deny.
    pub action: Action,
    /// Priority; lower wins. Only where `firewall_priorities` is declared.
    pub priority: Option<u32>,
}

impl FirewallRule {
    /// An allow rule for TCP ingress on one port from `peer`.
    pub fn allow_tcp_in(port: u16, peer: Ipv4Net) -> Self {
        FirewallRule {
            direction: Direction::Ingress,
            protocol: Protocol::Tcp,
            ports: Some(PortRange::single(port)),
            peer,
            action: Action::Allow,
            priority: None,
        }
    }
    /// Sets the direction.
    pub fn direction(mut self, d: Direction) -> Self {
        self.direction = d;
        self
    }
    /// Sets the protocol.
    pub fn protocol(mut self, p: Protocol) -> Self {
        self.protocol = p;
        self
    }
    /// Sets the ports.
    pub fn ports(mut self, p: Option<PortRange>) -> Self {
        self.ports = p;
        self
    }
    /// Sets the action.
    pub fn action(mut self, a: Action) -> Self {
        self.action = a;
        self
    }
    /// Sets the priority.
    pub fn priority(mut self, p: u32) -> Self {
        self.priority = Some(p);
        self
    }
}

/// A named set of rules that instances are attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Firewall {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Network id.
    pub network: String,
    /// Rules.
    pub rules: Vec<FirewallRule>,
}

impl Firewall {
    /// A firewall from its parts.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        network: impl Into<String>,
        rules: Vec<FirewallRule>,
    ) -> Self {
        Firewall {
            id: id.into(),
            name: name.into(),
            network: network.into(),
            rules,
        }
    }
}

/// What firewall to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FirewallSpec {
    /// Network id.
    pub network: String,
    /// Name.
    pub name: String,
    /// Rules.
    pub rules: Vec<FirewallRule>,
}

impl FirewallSpec {
    /// A spec from network, name and rules.
    pub fn new(network: impl Into<String>, name: impl Into<String>, rules: Vec<FirewallRule>) -> Self {
        FirewallSpec {
            network: network.into(),
            name: name.into(),
            rules,
        }
    }
}
