//! Portable firewalls ⇄ Compute Engine firewall rules.
//!
//! One portable rule is one Compute Engine rule (`NAME-rI`): direction, `allowed` or
//! `denied` with one protocol entry, the peer as `sourceRanges` (ingress) or
//! `destinationRanges` (egress), a priority, and `targetTags: [NAME]`. The anchor `NAME` is
//! a disabled deny-all rule at the lowest priority that only carries the firewall's identity.

use ipnet::Ipv4Net;
use nimbus_core::network::validate::assign_priorities;
use nimbus_core::network::{Action, Direction, Firewall, FirewallRule, PortRange, Protocol};
use nimbus_core::{Error, Result};
use serde_json::{json, Value};

use crate::gce::leaf;

/// The description that marks an anchor.
pub(crate) const ANCHOR_MARK: &str = "nimbus firewall (anchor; its rules are NAME-rN)";
/// Priority of the first rule without one, and the step between them.
const AUTO_FIRST: u32 = 1000;
const AUTO_STEP: u32 = 10;

/// The anchor of firewall `name`: disabled, so it never matches traffic.
pub(crate) fn anchor_body(name: &str, network_link: &str) -> Value {
    json!({
        "name": name,
        "network": network_link,
        "description": ANCHOR_MARK,
        "direction": "INGRESS",
        "priority": 65535,
        "denied": [{ "IPProtocol": "all" }],
        "sourceRanges": ["0.0.0.0/0"],
        "targetTags": [name],
        "disabled": true,
    })
}

/// Whether a firewall rule is the anchor of a Nimbus firewall.
pub(crate) fn is_anchor(r: &Value) -> bool {
    r["description"].as_str() == Some(ANCHOR_MARK)
}

/// Whether a name ends like a member rule (`-r` and digits).
pub(crate) fn looks_like_member(name: &str) -> bool {
    name.rsplit_once("-r")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether rule `r` is a member of firewall `id` (`id-rN`).
pub(crate) fn is_rule_of(r: &Value, id: &str) -> bool {
    r["name"]
        .as_str()
        .and_then(|n| n.strip_prefix(id))
        .and_then(|n| n.strip_prefix("-r"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The `N` of member `id-rN`.
pub(crate) fn index_of(r: &Value, id: &str) -> usize {
    r["name"]
        .as_str()
        .and_then(|n| n.strip_prefix(id))
        .and_then(|n| n.strip_prefix("-r"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The member rule bodies of firewall `id`, in order.
pub(crate) fn rule_bodies(id: &str, network_link: &str, rules: &[FirewallRule]) -> Result<Vec<Value>> {
    let priorities = assign_priorities(rules, AUTO_FIRST, AUTO_STEP);
    let mut out = Vec::with_capacity(rules.len());
    for (i, (r, &priority)) in rules.iter().zip(&priorities).enumerate() {
        let d = dir_index(r.direction);
        let mut entry = json!({ "IPProtocol": match r.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            _ => "all",
        }});
        if let Some(p) = r.ports {
            entry["ports"] = json!([p.to_string()]);
        }
        let mut body = json!({
            "name": format!("{id}-r{i}"),
            "network": network_link,
            "description": format!("rule {} of nimbus firewall {id}", i + 1),
            "direction": if d == 0 { "INGRESS" } else { "EGRESS" },
            "priority": priority,
            "targetTags": [id],
        });
        let key = if r.action == Action::Deny { "denied" } else { "allowed" };
        body[key] = json!([entry]);
        let ranges = if d == 0 { "sourceRanges" } else { "destinationRanges" };
        body[ranges] = json!([r.peer.to_string()]);
        out.push(body);
    }
    Ok(out)
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        _ => 1,
    }
}

/// The portable rules one Compute Engine rule holds (one per protocol entry and range).
fn rules_of(r: &Value) -> Result<Vec<FirewallRule>> {
    let direction = if r["direction"] == "EGRESS" {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    let (entries, action) = match r["denied"].as_array() {
        Some(d) if !d.is_empty() => (d.clone(), Action::Deny),
        _ => (r["allowed"].as_array().cloned().unwrap_or_default(), Action::Allow),
    };
    let ranges_key = if direction == Direction::Egress {
        "destinationRanges"
    } else {
        "sourceRanges"
    };
    let ranges: Vec<Ipv4Net> = r[ranges_key]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let priority = r["priority"].as_u64().unwrap_or(1000) as u32;
    let mut out = Vec::new();
    for e in &entries {
        let protocol = match e["IPProtocol"].as_str().unwrap_or("all") {
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            "all" => Protocol::All,
            other => {
                return Err(Error::invalid(format!(
                    "firewall rule {} uses protocol `{other}`, which has no portable form",
                    r["name"].as_str().unwrap_or("?")
                )))
            }
        };
        let port_list: Vec<Option<PortRange>> = match e["ports"].as_array() {
            Some(p) if !p.is_empty() => p.iter().map(|x| x.as_str().and_then(port_range)).collect(),
            _ => vec![None],
        };
        for ports in port_list {
            for peer in &ranges {
                out.push(
                    FirewallRule::allow_tcp_in(0, *peer)
                        .direction(direction)
                        .protocol(protocol)
                        .ports(ports)
                        .action(action)
                        .priority(priority),
                );
            }
        }
    }
    Ok(out)
}

/// `"22"` or `"8000-8080"`.
fn port_range(s: &str) -> Option<PortRange> {
    match s.split_once('-') {
        Some((a, b)) => Some(PortRange {
            from: a.parse().ok()?,
            to: b.parse().ok()?,
        }),
        None => s.parse().ok().map(PortRange::single),
    }
}

/// A portable firewall from its anchor and members, or from one foreign rule.
pub(crate) fn firewall_of(anchor: &Value, members: &[Value]) -> Result<Firewall> {
    let id = anchor["name"].as_str().unwrap_or_default();
    let network = anchor["network"].as_str().map(leaf).unwrap_or_default();
    let mut rules = Vec::new();
    if is_anchor(anchor) {
        for m in members {
            rules.extend(rules_of(m)?);
        }
    } else {
        rules = rules_of(anchor)?;
    }
    Ok(Firewall::new(id, id, network, rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_with_priorities_in_written_order() {
        let any: Ipv4Net = "0.0.0.0/0".parse().unwrap();
        let rules = vec![
            FirewallRule::allow_tcp_in(22, any),
            FirewallRule::allow_tcp_in(443, any).action(Action::Deny).priority(1000),
            FirewallRule::allow_tcp_in(0, "10.0.0.0/8".parse().unwrap())
                .direction(Direction::Egress)
                .protocol(Protocol::All)
                .ports(None),
        ];
        let bodies = rule_bodies("web", "net", &rules).unwrap();
        assert_eq!(bodies[0]["priority"], 1010, "1000 was taken by the explicit rule");
        assert_eq!(bodies[1]["denied"][0]["ports"][0], "443");
        assert_eq!(bodies[2]["destinationRanges"][0], "10.0.0.0/8");
        assert_eq!(bodies[2]["allowed"][0]["IPProtocol"], "all");
        let back = firewall_of(&anchor_body("web", "x/networks/net"), &bodies).unwrap();
        assert_eq!(back.network, "net");
        assert_eq!(back.rules.len(), 3);
        assert_eq!(back.rules[1].action, Action::Deny);
        assert_eq!(back.rules[2].ports, None);
        assert!(is_rule_of(&bodies[2], "web") && !is_rule_of(&bodies[2], "we"));
        assert_eq!(index_of(&bodies[2], "web"), 2);
        assert!(looks_like_member("web-r12") && !looks_like_member("web-rx") && !looks_like_member("web"));
    }
}
