//! Portable firewall rules ⇄ NSG security rules.
//!
//! Azure NSG rules carry a priority (100–4096, unique per direction, lower wins), allow or
//! deny, and a direction. Rules without a priority get 1000, 1010, … in list order per
//! direction, so the order the caller wrote is the order Azure evaluates. Azure's default
//! rules (allow VNet and load-balancer inbound, allow all outbound, deny the rest) sit at
//! 65000+ below every user rule and are not part of the portable rule list.

use ipnet::Ipv4Net;
use nimbus_core::network::validate::assign_priorities;
use nimbus_core::network::{Action, Direction, FirewallRule, PortRange, Protocol};
use nimbus_core::{Error, Result};
use serde_json::{json, Value};

/// Priority of the first rule without one, and the step between them.
const AUTO_FIRST: u32 = 1000;
const AUTO_STEP: u32 = 10;

/// `securityRules` for an NSG body.
pub(crate) fn to_security_rules(rules: &[FirewallRule]) -> Result<Vec<Value>> {
    let priorities = assign_priorities(rules, AUTO_FIRST, AUTO_STEP);
    let mut out = Vec::with_capacity(rules.len());
    for (i, (r, &priority)) in rules.iter().zip(&priorities).enumerate() {
        let d = dir_index(r.direction);
        if priority > 4096 {
            return Err(Error::invalid(format!(
                "rule {}: priority {priority} is above Azure's 4096",
                i + 1
            )));
        }
        let (src, dst) = match r.direction {
            Direction::Ingress => (r.peer.to_string(), "*".to_string()),
            _ => ("*".to_string(), r.peer.to_string()),
        };
        out.push(json!({
            "name": format!("nimbus-{}-{priority}", if d == 0 { "in" } else { "out" }),
            "properties": {
                "protocol": match r.protocol {
                    Protocol::Tcp => "Tcp",
                    Protocol::Udp => "Udp",
                    Protocol::Icmp => "Icmp",
                    _ => "*",
                },
                "sourceAddressPrefix": src,
                "destinationAddressPrefix": dst,
                "sourcePortRange": "*",
                "destinationPortRange": match r.ports {
                    Some(p) if p.from == p.to => p.from.to_string(),
                    Some(p) => format!("{}-{}", p.from, p.to),
                    None => "*".to_string(),
                },
                "access": if r.action == Action::Deny { "Deny" } else { "Allow" },
                "priority": priority,
                "direction": if d == 0 { "Inbound" } else { "Outbound" },
            }
        }));
    }
    Ok(out)
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        _ => 1,
    }
}

fn prefix(s: Option<&str>) -> Option<Ipv4Net> {
    match s? {
        "*" | "Internet" | "0.0.0.0/0" => "0.0.0.0/0".parse().ok(),
        p if p.contains('/') => p.parse().ok(),
        p => format!("{p}/32").parse().ok(),
    }
}

/// The portable rules of an NSG, sorted by direction then priority. Rules Nimbus cannot
/// express (service tags such as `VirtualNetwork`, several prefixes, source ports) are left
/// out rather than misread.
pub(crate) fn from_nsg(nsg: &Value) -> Vec<FirewallRule> {
    let mut rules: Vec<FirewallRule> = nsg
        .pointer("/properties/securityRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let p = r.get("properties")?;
            let s = |k: &str| p.get(k).and_then(Value::as_str);
            let direction = match s("direction")? {
                "Inbound" => Direction::Ingress,
                "Outbound" => Direction::Egress,
                _ => return None,
            };
            if s("sourcePortRange").is_some_and(|x| x != "*") {
                return None;
            }
            let peer = match direction {
                Direction::Ingress => prefix(s("sourceAddressPrefix"))?,
                _ => prefix(s("destinationAddressPrefix"))?,
            };
            let protocol = match s("protocol")? {
                "Tcp" => Protocol::Tcp,
                "Udp" => Protocol::Udp,
                "Icmp" => Protocol::Icmp,
                "*" => Protocol::All,
                _ => return None,
            };
            let ports = match s("destinationPortRange") {
                None | Some("*") => None,
                Some(r) => {
                    let (a, b) = r.split_once('-').unwrap_or((r, r));
                    Some(ports(a.parse().ok()?, b.parse().ok()?))
                }
            };
            let mut rule = rule(direction, protocol, ports, peer);
            rule.action = if s("access")? == "Deny" {
                Action::Deny
            } else {
                Action::Allow
            };
            rule.priority = p.get("priority").and_then(Value::as_u64).map(|x| x as u32);
            Some(rule)
        })
        .collect();
    rules.sort_by_key(|r| (dir_index(r.direction), r.priority));
    rules
}

fn ports(from: u16, to: u16) -> PortRange {
    let mut p = PortRange::single(from);
    p.to = to;
    p
}

fn rule(direction: Direction, protocol: Protocol, ports: Option<PortRange>, peer: Ipv4Net) -> FirewallRule {
    FirewallRule::allow_tcp_in(0, peer)
        .direction(direction)
        .protocol(protocol)
        .ports(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_with_automatic_priorities() {
        let mut deny = rule(
            Direction::Ingress,
            Protocol::Tcp,
            Some(ports(22, 22)),
            "10.0.0.0/8".parse().unwrap(),
        );
        deny.action = Action::Deny;
        deny.priority = Some(1000);
        let web = rule(
            Direction::Ingress,
            Protocol::Tcp,
            Some(ports(80, 443)),
            "0.0.0.0/0".parse().unwrap(),
        );
        let out = rule(Direction::Egress, Protocol::All, None, "10.1.0.0/16".parse().unwrap());
        let body = json!({"properties": {"securityRules": to_security_rules(&[deny.clone(), web.clone(), out.clone()]).unwrap()}});
        let back = from_nsg(&body);
        assert_eq!(back.len(), 3);
        assert_eq!(back[0], deny);
        // The rule without a priority skipped the 1000 taken by the explicit one.
        assert_eq!(back[1].priority, Some(1010));
        assert_eq!(back[1].ports, web.ports);
        assert_eq!(back[2].direction, Direction::Egress);
        assert_eq!(back[2].priority, Some(1000));
    }
}
