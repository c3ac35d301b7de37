//! Portable firewall rules ⇄ security group permissions.
//!
//! Security groups are allow-only and unordered: the capabilities declare neither deny rules nor
//! priorities, so the contract refuses them before any call with the typed unsupported error.
//! One permission may hold several CIDRs; it becomes one portable rule per CIDR. Permissions
//! that reference other security groups or prefix lists have no portable form and are not
//! listed as rules.

use aws_sdk_ec2::types::{IpPermission, IpRange, SecurityGroup};
use ipnet::Ipv4Net;
use nimbus_core::network::{Action, Direction, FirewallRule, PortRange, Protocol};

/// The permission for one portable rule (direction is the caller's: ingress or egress call).
pub(crate) fn permission(r: &FirewallRule) -> IpPermission {
    let (proto, ports) = match r.protocol {
        // No ports = every port: 0-65535, which reads back as `None`.
        Protocol::Tcp | Protocol::Udp => (
            if r.protocol == Protocol::Tcp { "tcp" } else { "udp" },
            Some(r.ports.map_or((0, 65535), |p| (i32::from(p.from), i32::from(p.to)))),
        ),
        // ICMP: type and code -1 = every type.
        Protocol::Icmp => ("icmp", Some((-1, -1))),
        Protocol::All => ("-1", None),
    };
    let mut b = IpPermission::builder()
        .ip_protocol(proto)
        .ip_ranges(IpRange::builder().cidr_ip(r.peer.to_string()).build());
    if let Some((from, to)) = ports {
        b = b.from_port(from).to_port(to);
    }
    b.build()
}

/// The portable rules of a security group (ingress then egress).
pub(crate) fn rules_of(g: &SecurityGroup) -> Vec<FirewallRule> {
    let mut out = Vec::new();
    for (dir, perms) in [
        (Direction::Ingress, g.ip_permissions()),
        (Direction::Egress, g.ip_permissions_egress()),
    ] {
        for p in perms {
            let Some(protocol) = protocol(p.ip_protocol().unwrap_or("-1")) else {
                tracing::debug!(protocol = ?p.ip_protocol(), "security group rule with a protocol that has no portable form");
                continue;
            };
            let ports = match (protocol, p.from_port(), p.to_port()) {
                (Protocol::Tcp | Protocol::Udp, Some(from), Some(to)) if !(from <= 0 && to >= 65535) => {
                    match (u16::try_from(from), u16::try_from(to)) {
                        (Ok(from), Ok(to)) => Some(PortRange { from, to }),
                        _ => None,
                    }
                }
                _ => None,
            };
            for range in p.ip_ranges() {
                let Some(peer) = range.cidr_ip().and_then(|c| c.parse::<Ipv4Net>().ok()) else {
                    continue;
                };
                // Security groups only allow, and have no priorities.
                out.push(
                    FirewallRule::allow_tcp_in(0, peer)
                        .direction(dir)
                        .protocol(protocol)
                        .ports(ports)
                        .action(Action::Allow),
                );
            }
        }
    }
    out
}

fn protocol(p: &str) -> Option<Protocol> {
    Some(match p {
        "tcp" | "6" => Protocol::Tcp,
        "udp" | "17" => Protocol::Udp,
        "icmp" | "1" => Protocol::Icmp,
        "-1" | "all" => Protocol::All,
        _ => return None,
    })
}

/// Whether two rules mean the same permission.
pub(crate) fn same(a: &FirewallRule, b: &FirewallRule) -> bool {
    a.direction == b.direction && a.protocol == b.protocol && a.ports == b.ports && a.peer == b.peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(r: FirewallRule) -> Vec<FirewallRule> {
        let p = permission(&r);
        let g = match r.direction {
            Direction::Ingress => SecurityGroup::builder().ip_permissions(p).build(),
            Direction::Egress => SecurityGroup::builder().ip_permissions_egress(p).build(),
        };
        rules_of(&g)
    }

    #[test]
    fn rules_round_trip_through_permissions() {
        let net: Ipv4Net = "10.0.0.0/8".parse().unwrap();
        for r in [
            FirewallRule::allow_tcp_in(22, net),
            FirewallRule::allow_tcp_in(22, net).ports(Some(PortRange { from: 8000, to: 8080 })),
            FirewallRule::allow_tcp_in(53, net).protocol(Protocol::Udp),
            FirewallRule::allow_tcp_in(0, net).protocol(Protocol::Icmp).ports(None),
            FirewallRule::allow_tcp_in(0, net).protocol(Protocol::All).ports(None),
            FirewallRule::allow_tcp_in(0, net).ports(None),
            FirewallRule::allow_tcp_in(443, net).direction(Direction::Egress),
        ] {
            assert_eq!(round_trip(r.clone()), vec![r]);
        }
    }

    #[test]
    fn one_permission_with_two_ranges_is_two_rules_and_group_refs_are_skipped() {
        let p = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .ip_ranges(IpRange::builder().cidr_ip("192.168.0.0/16").build())
            .build();
        let self_ref = IpPermission::builder().ip_protocol("-1").build();
        let g = SecurityGroup::builder()
            .ip_permissions(p)
            .ip_permissions(self_ref)
            .build();
        assert_eq!(rules_of(&g).len(), 2);
    }
}
