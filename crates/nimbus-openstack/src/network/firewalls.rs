//! Firewalls as Neutron security groups, and their attachment to servers through ports.
//!
//! What differs from the portable model, and how it is bridged:
//! - a security group belongs to the project, not to a network: the firewall's network is
//!   the group's `nimbus-network=<id>` tag (see `tags.rs`), checked to exist at creation
//!   (`NotFound` otherwise), filtered on by `list_firewalls(Some(network))`, and used by
//!   `delete_network` to refuse a network that still has firewalls. A group made outside
//!   Nimbus has no such tag: its `network` is empty and it is listed only without a filter;
//! - Neutron gives every new group two allow-all egress rules (IPv4 and IPv6). They are
//!   deleted, as the AWS adapter revokes EC2's, so that a firewall holds exactly the rules it
//!   was given: an instance whose firewalls have no egress rule sends nothing (on GCP and
//!   Azure egress is open by default). `set_firewall_rules` converges by diff (`rules.rs`);
//! - each project has a group named `default` (Nova puts servers in it when none is asked
//!   for). It is not a Nimbus firewall: it is not listed, its rules are not replaced, and
//!   Neutron refuses to delete it or to create another group of that name (`AlreadyExists`);
//! - a firewall is attached to a server by adding the group to the server's Neutron ports on
//!   the firewall's network (`PUT /v2.0/ports/{id}` with the new `security_groups`, guarded
//!   by the port's `revision_number` so that two concurrent attaches do not lose one). A
//!   server without a port there is `InvalidInput`; a missing server is `NotFound` (asked of
//!   Nova, as a server may have no port). Detach removes the group from every port of the
//!   server. Neutron lets a port keep no group at all (unlike EC2): detaching the last one is
//!   allowed, and such a port (port security on) passes no traffic;
//! - deleting a group still on a port is Neutron's 409 `SecurityGroupInUse` (`Conflict`).
//!
//! Firewall names are not checked for uniqueness (Neutron allows duplicates, and the
//! portable contract asks it only of networks).

use nimbus_core::network::{Firewall, FirewallRule, FirewallSpec};
use nimbus_core::{Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::{json, Value};

use super::{refine, rules, str_of, tags, NeutronNetwork};
use crate::client::Service;

/// The name of the project's own group, which Nimbus neither lists nor changes.
const DEFAULT_GROUP: &str = "default";

/// How often a port update is retried after another writer changed the port.
const PORT_RETRIES: usize = 3;

/// The portable firewall of a Neutron security group.
pub(super) fn firewall_of(g: &Value) -> Firewall {
    Firewall::new(
        str_of(g, "id").unwrap_or_default(),
        str_of(g, "name").unwrap_or_default(),
        tags::read_network_tag(&tags::tags_of(g)).unwrap_or_default(),
        rules::rules_of(g),
    )
}

fn is_default(g: &Value) -> bool {
    str_of(g, "name") == Some(DEFAULT_GROUP)
}

fn groups_of(port: &Value) -> Vec<String> {
    port.get("security_groups")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

impl NeutronNetwork {
    /// One security group with its rules.
    pub(super) async fn group(&self, id: &str) -> Result<Value> {
        Ok(self.get(&format!("/v2.0/security-groups/{id}"), &[]).await?["security_group"].take())
    }

    /// Deletes and creates rules so that `group` holds exactly `want`. Deletes first: a
    /// rule Neutron considers a duplicate of one being replaced would otherwise be refused.
    async fn converge(&self, group: &Value, want: &[FirewallRule]) -> Result<()> {
        let id = str_of(group, "id").unwrap_or_default();
        let plan = rules::plan(group, want);
        if plan.is_empty() {
            return Ok(());
        }
        for rule in &plan.delete {
            match self.delete(&format!("/v2.0/security-group-rules/{rule}")).await {
                // Deleted meanwhile: what we wanted.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                r => r?,
            }
        }
        if !plan.create.is_empty() {
            // One request, one transaction in Neutron: all the rules or none.
            let bodies: Vec<Value> = plan.create.iter().map(|r| rules::body(id, r)).collect();
            self.send(
                Method::POST,
                "/v2.0/security-group-rules",
                &json!({ "security_group_rules": bodies }),
            )
            .await?;
        }
        Ok(())
    }

    pub(super) async fn create_fw(&self, spec: &FirewallSpec) -> Result<Firewall> {
        // The network must exist (NotFound otherwise), as on every provider.
        self.neutron_network(&spec.network).await?;
        let created = self
            .send(
                Method::POST,
                "/v2.0/security-groups",
                &json!({"security_group": {
                    "name": spec.name,
                    "description": format!("Nimbus firewall of network {}", spec.network),
                }}),
            )
            .await?;
        let group = &created["security_group"];
        let id = str_of(group, "id")
            .ok_or_else(|| Error::internal("Neutron created a security group without an id"))?
            .to_string();
        let finish = async {
            self.send(
                Method::PUT,
                &format!("/v2.0/security-groups/{id}/tags"),
                &json!({ "tags": [tags::network_tag(&spec.network)] }),
            )
            .await?;
            self.converge(group, &spec.rules).await?;
            self.group(&id).await
        };
        match finish.await {
            Ok(g) => Ok(firewall_of(&g)),
            Err(e) => {
                // Leave nothing half-made behind.
                if let Err(cleanup) = self.delete(&format!("/v2.0/security-groups/{id}")).await {
                    tracing::warn!(group = %id, error = %cleanup, "could not delete a half-created security group");
                }
                Err(e)
            }
        }
    }

    pub(super) async fn list_fw(&self, network: Option<&str>) -> Result<Vec<Firewall>> {
        let tag = network.map(tags::network_tag);
        let query: Vec<(&str, &str)> = tag.iter().map(|t| ("tags", t.as_str())).collect();
        let all = self.list("/v2.0/security-groups", "security_groups", &query).await?;
        Ok(all.iter().filter(|g| !is_default(g)).map(firewall_of).collect())
    }

    pub(super) async fn set_rules(&self, id: &str, want: &[FirewallRule]) -> Result<Firewall> {
        let g = self.group(id).await?;
        if is_default(&g) {
            return Err(Error::invalid(format!(
                "`{id}` is the project's `default` security group, which Nimbus does not manage"
            )));
        }
        self.converge(&g, want).await?;
        Ok(firewall_of(&self.group(id).await?))
    }

    /// The Neutron ports of a server; `NotFound` when Nova does not know the server.
    async fn server_ports(&self, instance: &str) -> Result<Vec<Value>> {
        let ports = self.list("/v2.0/ports", "ports", &[("device_id", instance)]).await?;
        if ports.is_empty() {
            // No port: a server without network, or no server at all. Nova knows which.
            self.session
                .send(Service::Compute, Method::GET, &format!("/servers/{instance}"), |r| r)
                .await?;
        }
        Ok(ports)
    }

    /// Sets the groups of a port, guarded by the revision it was read at; re-reads and
    /// re-applies `change` when another writer came first.
    async fn update_port(&self, mut port: Value, change: impl Fn(&mut Vec<String>) -> bool) -> Result<()> {
        let id = str_of(&port, "id").unwrap_or_default().to_string();
        for attempt in 0.. {
            let mut groups = groups_of(&port);
            if !change(&mut groups) {
                return Ok(());
            }
            let revision = port.get("revision_number").and_then(Value::as_u64);
            let body = json!({"port": {"security_groups": groups}});
            let r = self
                .session
                .send_json(
                    Service::Network,
                    Method::PUT,
                    &format!("/v2.0/ports/{id}"),
                    &body,
                    |r| match revision {
                        Some(n) => r.header("if-match", format!("revision_number={n}")),
                        None => r,
                    },
                )
                .await
                .map_err(refine);
            match r {
                Err(e) if e.kind() == ErrorKind::PreconditionFailed && attempt < PORT_RETRIES => {
                    port = self.get(&format!("/v2.0/ports/{id}"), &[]).await?["port"].take();
                }
                r => return r.map(drop),
            }
        }
        unreachable!("the loop returns")
    }

    pub(super) async fn attach(&self, firewall: &str, instance: &str) -> Result<()> {
        let g = self.group(firewall).await?;
        let network = tags::read_network_tag(&tags::tags_of(&g));
        let ports = self.server_ports(instance).await?;
        let on_network: Vec<Value> = ports
            .into_iter()
            .filter(|p| network.is_none() || str_of(p, "network_id") == network.as_deref())
            .collect();
        if on_network.is_empty() {
            return Err(Error::invalid(format!(
                "instance `{instance}` has no port on network `{}` of firewall `{firewall}`",
                network.unwrap_or_default()
            )));
        }
        for port in on_network {
            self.update_port(port, |groups| {
                if groups.iter().any(|x| x == firewall) {
                    return false;
                }
                groups.push(firewall.to_string());
                true
            })
            .await?;
        }
        Ok(())
    }

    pub(super) async fn detach(&self, firewall: &str, instance: &str) -> Result<()> {
        self.group(firewall).await?;
        for port in self.server_ports(instance).await? {
            self.update_port(port, |groups| {
                let before = groups.len();
                groups.retain(|x| x != firewall);
                groups.len() != before
            })
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_becomes_a_firewall_of_its_tagged_network() {
        let g = json!({"id": "g1", "name": "web", "tags": ["nimbus-network=n1"], "security_group_rules": [
            {"id": "r1", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
             "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"},
            {"id": "r2", "direction": "egress", "ethertype": "IPv6", "protocol": null},
        ]});
        let f = firewall_of(&g);
        assert_eq!(
            (f.id.as_str(), f.name.as_str(), f.network.as_str()),
            ("g1", "web", "n1")
        );
        assert_eq!(f.rules.len(), 1);
        assert!(!is_default(&g));
        assert!(is_default(&json!({"name": "default"})));
        assert_eq!(
            groups_of(&json!({"security_groups": ["a", "b"]})),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
