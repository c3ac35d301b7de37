//! Portable firewall rules ⇄ Neutron security group rules, and the plan that converges a
//! group onto a list of portable rules.
//!
//! Why a plan over *every* rule of the group and not only the portable ones: a group must
//! hold exactly the rules it was given. Neutron gives each new group two egress rules (allow
//! all IPv4, allow all IPv6); the IPv6 one has no portable form, and a rule someone added
//! outside Nimbus (a remote group, an ICMP type, IPv6) would otherwise allow traffic that
//! `get_firewall` never shows. So the plan deletes every Neutron rule that is not exactly one
//! of the wanted portable rules, and creates the wanted rules that are missing. The AWS
//! adapter revokes EC2's allow-all egress rule for the same reason.
//!
//! The mapping (ethertype is always `IPv4`, as the portable peers are IPv4):
//! - protocol `tcp`/`udp`/`icmp` by name (numbers `6`/`17`/`1` are read too); `All` is no
//!   protocol (`null`, read also as `any`);
//! - ports of TCP/UDP rules are `port_range_min`/`port_range_max`; none means every port;
//!   ICMP rules have none (Neutron would read them as ICMP type and code, which have no
//!   portable form);
//! - the peer is `remote_ip_prefix` (`null` reads as `0.0.0.0/0`);
//! - security groups only allow and have no priorities: the capabilities say so, and the
//!   contract refuses deny rules and priorities before any request.
//!
//! A Neutron rule with a remote group or address group, an IPv6 ethertype, another
//! protocol, an ICMP type or half a port range is not listed as a portable rule (and is
//! removed by the next `set_firewall_rules`).

use ipnet::Ipv4Net;
use nimbus_core::network::{Action, Direction, FirewallRule, PortRange, Protocol};
use serde_json::{json, Map, Value};

/// The portable form of one Neutron rule (`None`: it has none, see the module docs).
pub(crate) fn portable(r: &Value) -> Option<FirewallRule> {
    let s = |k: &str| r.get(k).and_then(Value::as_str);
    let set = |k: &str| r.get(k).is_some_and(|v| !v.is_null());
    if s("ethertype") != Some("IPv4") || set("remote_group_id") || set("remote_address_group_id") {
        return None;
    }
    let direction = match s("direction")? {
        "ingress" => Direction::Ingress,
        "egress" => Direction::Egress,
        _ => return None,
    };
    let protocol = match r.get("protocol") {
        None | Some(Value::Null) => Protocol::All,
        Some(p) => match p.as_str()? {
            "any" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            _ => return None,
        },
    };
    let port = |k: &str| -> Option<Option<u16>> {
        match r.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(v) => Some(Some(u16::try_from(v.as_u64()?).ok()?)),
        }
    };
    let ports = match (port("port_range_min")?, port("port_range_max")?) {
        (None, None) => None,
        (Some(from), Some(to)) if matches!(protocol, Protocol::Tcp | Protocol::Udp) && from >= 1 && from <= to => {
            Some(PortRange { from, to })
        }
        _ => return None,
    };
    let peer = match s("remote_ip_prefix") {
        None => Ipv4Net::default(),
        Some(p) => p.parse::<Ipv4Net>().ok()?.trunc(),
    };
    Some(
        FirewallRule::allow_tcp_in(0, peer)
            .direction(direction)
            .protocol(protocol)
            .ports(ports)
            .action(Action::Allow),
    )
}

/// The portable rules of a security group (its `security_group_rules`), in Neutron's order.
pub(crate) fn rules_of(group: &Value) -> Vec<FirewallRule> {
    neutron_rules(group)
        .iter()
        .filter_map(|r| {
            let p = portable(r);
            if p.is_none() {
                tracing::debug!(rule = %r, "security group rule without a portable form");
            }
            p
        })
        .collect()
}

fn neutron_rules(group: &Value) -> &[Value] {
    group
        .get("security_group_rules")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The body of one rule of `group` for `POST /v2.0/security-group-rules`.
pub(crate) fn body(group: &str, r: &FirewallRule) -> Value {
    let mut m = Map::new();
    m.insert("security_group_id".into(), json!(group));
    m.insert(
        "direction".into(),
        json!(match r.direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }),
    );
    m.insert("ethertype".into(), json!("IPv4"));
    let proto = match r.protocol {
        Protocol::Tcp => Some("tcp"),
        Protocol::Udp => Some("udp"),
        Protocol::Icmp => Some("icmp"),
        Protocol::All => None,
    };
    if let Some(p) = proto {
        m.insert("protocol".into(), json!(p));
    }
    if let Some(p) = r.ports {
        m.insert("port_range_min".into(), json!(p.from));
        m.insert("port_range_max".into(), json!(p.to));
    }
    m.insert("remote_ip_prefix".into(), json!(r.peer.to_string()));
    Value::Object(m)
}

/// Whether two portable rules are the same Neutron rule (security groups only allow and
/// have no priorities, so action and priority do not take part).
pub(crate) fn same(a: &FirewallRule, b: &FirewallRule) -> bool {
    a.direction == b.direction && a.protocol == b.protocol && a.ports == b.ports && a.peer == b.peer
}

/// What to do to a group so that it holds exactly the wanted rules.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Plan {
    /// Ids of the Neutron rules to delete.
    pub delete: Vec<String>,
    /// Portable rules to create (each once: Neutron refuses a duplicate in one request).
    pub create: Vec<FirewallRule>,
}

impl Plan {
    /// Whether the group already holds exactly the wanted rules.
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.create.is_empty()
    }
}

/// The plan for `group` (a Neutron security group with its `security_group_rules`).
pub(crate) fn plan(group: &Value, want: &[FirewallRule]) -> Plan {
    let mut kept: Vec<FirewallRule> = Vec::new();
    let mut out = Plan::default();
    for r in neutron_rules(group) {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
        match portable(r) {
            Some(p) if want.iter().any(|w| same(w, &p)) && !kept.iter().any(|k| same(k, &p)) => kept.push(p),
            _ => out.delete.push(id.to_string()),
        }
    }
    for w in want {
        if !kept.iter().any(|k| same(k, w)) && !out.create.iter().any(|c| same(c, w)) {
            out.create.push(w.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    /// A Neutron rule as the API returns it, from the body Nimbus sends.
    fn stored(id: &str, r: &FirewallRule) -> Value {
        let mut v = body("sg", r);
        let o = v.as_object_mut().unwrap();
        o.insert("id".into(), json!(id));
        for k in ["protocol", "port_range_min", "port_range_max"] {
            o.entry(k).or_insert(Value::Null);
        }
        o.insert("remote_group_id".into(), Value::Null);
        v
    }

    fn every_kind() -> Vec<FirewallRule> {
        let n = net("10.0.0.0/8");
        vec![
            FirewallRule::allow_tcp_in(22, n),
            FirewallRule::allow_tcp_in(22, n).ports(Some(PortRange { from: 8000, to: 8080 })),
            FirewallRule::allow_tcp_in(0, n).ports(None),
            FirewallRule::allow_tcp_in(53, n).protocol(Protocol::Udp),
            FirewallRule::allow_tcp_in(0, n).protocol(Protocol::Icmp).ports(None),
            FirewallRule::allow_tcp_in(0, net("0.0.0.0/0"))
                .protocol(Protocol::All)
                .ports(None),
            FirewallRule::allow_tcp_in(443, net("0.0.0.0/0")).direction(Direction::Egress),
        ]
    }

    #[test]
    fn rules_round_trip_through_neutron_bodies() {
        for r in every_kind() {
            assert_eq!(portable(&stored("x", &r)), Some(r));
        }
    }

    #[test]
    fn bodies_are_what_neutron_expects() {
        let b = body("g1", &FirewallRule::allow_tcp_in(22, net("10.0.0.0/8")));
        assert_eq!(
            b,
            json!({"security_group_id": "g1", "direction": "ingress", "ethertype": "IPv4",
                   "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
                   "remote_ip_prefix": "10.0.0.0/8"})
        );
        let all = body(
            "g1",
            &FirewallRule::allow_tcp_in(0, net("0.0.0.0/0"))
                .protocol(Protocol::All)
                .ports(None),
        );
        assert!(all.get("protocol").is_none() && all.get("port_range_min").is_none());
    }

    #[test]
    fn neutron_forms_without_a_portable_one_are_skipped() {
        let base = json!({"id": "r", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                          "port_range_min": null, "port_range_max": null, "remote_ip_prefix": null,
                          "remote_group_id": null});
        // The base itself: every TCP port from anywhere.
        assert_eq!(
            portable(&base),
            Some(FirewallRule::allow_tcp_in(0, Ipv4Net::default()).ports(None))
        );
        for (k, v) in [
            ("ethertype", json!("IPv6")),
            ("remote_group_id", json!("other")),
            ("remote_address_group_id", json!("ag")),
            ("protocol", json!("gre")),
            ("port_range_min", json!(22)),
            ("direction", json!("sideways")),
        ] {
            let mut r = base.clone();
            r[k] = v;
            assert_eq!(portable(&r), None, "{k}");
        }
        let icmp_type = json!({"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp",
                               "port_range_min": 8, "port_range_max": 0});
        assert_eq!(portable(&icmp_type), None);
        let numeric = json!({"direction": "egress", "ethertype": "IPv4", "protocol": "17",
                             "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "10.0.0.1/8"});
        assert_eq!(
            portable(&numeric),
            Some(
                FirewallRule::allow_tcp_in(53, net("10.0.0.0/8"))
                    .protocol(Protocol::Udp)
                    .direction(Direction::Egress)
            )
        );
    }

    /// Neutron's two default egress rules of a new group.
    fn fresh_group() -> Value {
        json!({"id": "sg", "security_group_rules": [
            {"id": "e4", "direction": "egress", "ethertype": "IPv4", "protocol": null,
             "port_range_min": null, "port_range_max": null, "remote_ip_prefix": null, "remote_group_id": null},
            {"id": "e6", "direction": "egress", "ethertype": "IPv6", "protocol": null,
             "port_range_min": null, "port_range_max": null, "remote_ip_prefix": null, "remote_group_id": null},
        ]})
    }

    #[test]
    fn a_new_group_loses_its_default_egress_rules() {
        let ssh = FirewallRule::allow_tcp_in(22, net("10.0.0.0/8"));
        let p = plan(&fresh_group(), std::slice::from_ref(&ssh));
        assert_eq!(p.delete, vec!["e4", "e6"]);
        assert_eq!(p.create, vec![ssh]);
    }

    #[test]
    fn wanting_allow_all_egress_keeps_the_default_ipv4_rule() {
        let all_out = FirewallRule::allow_tcp_in(0, Ipv4Net::default())
            .protocol(Protocol::All)
            .ports(None)
            .direction(Direction::Egress);
        let p = plan(&fresh_group(), &[all_out]);
        assert_eq!(p.delete, vec!["e6"]);
        assert!(p.create.is_empty());
    }

    #[test]
    fn converging_is_a_diff_and_duplicates_are_sent_once() {
        let rules = every_kind();
        let group = json!({"security_group_rules": rules.iter().enumerate()
            .map(|(i, r)| stored(&format!("r{i}"), r)).collect::<Vec<_>>()});
        assert!(plan(&group, &rules).is_empty());
        // Replace: keep r0, drop the rest, add one new rule (asked for twice).
        let new = FirewallRule::allow_tcp_in(8443, net("192.168.0.0/16"));
        let p = plan(&group, &[rules[0].clone(), new.clone(), new.clone()]);
        assert_eq!(p.delete, (1..rules.len()).map(|i| format!("r{i}")).collect::<Vec<_>>());
        assert_eq!(p.create, vec![new]);
        // Down to none.
        assert_eq!(plan(&group, &[]).delete.len(), rules.len());
        // A rule stored twice (possible only outside Nimbus) keeps one copy.
        let twice = json!({"security_group_rules": [stored("a", &rules[0]), stored("b", &rules[0])]});
        assert_eq!(
            plan(&twice, &rules[..1]),
            Plan {
                delete: vec!["b".into()],
                create: vec![]
            }
        );
    }
}
