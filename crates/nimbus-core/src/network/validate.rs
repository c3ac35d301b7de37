//! Portable checks of CIDRs, names and firewall rules, shared by every adapter so that bad
//! input fails the same way, before anything is sent.

use ipnet::Ipv4Net;

use super::{Direction, FirewallRule, Protocol};
use crate::capability::{Capability, NetworkCapabilities};
use crate::{Error, Result};

/// Parses a CIDR, rejecting host bits (`10.0.0.1/16`), with a clear message.
pub fn parse_cidr(s: &str) -> Result<Ipv4Net> {
    let net: Ipv4Net = s
        .trim()
        .parse()
        .map_err(|_| Error::invalid(format!("`{s}` is not an IPv4 CIDR such as 10.0.0.0/16")))?;
    if net.trunc() != net {
        return Err(Error::invalid(format!(
            "`{s}` has host bits set; did you mean {}?",
            net.trunc()
        )));
    }
    Ok(net)
}

/// Checks a prefix length against an inclusive range.
pub fn check_prefix(what: &str, net: Ipv4Net, (min, max): (u8, u8)) -> Result<()> {
    if net.trunc() != net {
        return Err(Error::invalid(format!(
            "{what} CIDR {net} has host bits set; did you mean {}?",
            net.trunc()
        )));
    }
    if net.prefix_len() < min || net.prefix_len() > max {
        return Err(Error::invalid(format!(
            "{what} CIDR {net}: prefix length must be between /{min} and /{max}"
        )));
    }
    Ok(())
}

/// Whether two ranges share any address.
pub fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Checks a resource name: 1–63 of `a-z`, `0-9`, `-`, starting with a letter (GCP's rule,
/// the strictest of the clouds).
pub fn validate_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.as_bytes()[0].is_ascii_lowercase()
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "invalid {what} name `{}`: use 1 to 63 characters of a-z, 0-9 and -, starting with a letter and not ending with -",
            name.escape_debug()
        )))
    }
}

/// Checks rules against the portable rules and the provider's capabilities: ports only with
/// TCP/UDP and in order, deny/priority/egress only where declared (typed unsupported error
/// otherwise), priorities inside the declared range.
pub fn validate_rules(rules: &[FirewallRule], caps: &NetworkCapabilities) -> Result<()> {
    for (i, r) in rules.iter().enumerate() {
        let n = i + 1;
        if let Some(p) = r.ports {
            if !matches!(r.protocol, Protocol::Tcp | Protocol::Udp) {
                return Err(Error::invalid(format!("rule {n}: ports apply only to tcp and udp")));
            }
            if p.from == 0 || p.from > p.to {
                return Err(Error::invalid(format!(
                    "rule {n}: port range {}-{} is not valid (1-65535, from <= to)",
                    p.from, p.to
                )));
            }
        }
        if r.peer.trunc() != r.peer {
            return Err(Error::invalid(format!(
                "rule {n}: peer {} has host bits set; did you mean {}?",
                r.peer,
                r.peer.trunc()
            )));
        }
        if r.action == super::Action::Deny && !caps.firewall_deny_rules {
            return Err(Error::unsupported(Capability::FirewallDenyRules));
        }
        if r.direction == super::Direction::Egress && !caps.firewall_egress_rules {
            return Err(Error::unsupported(Capability::FirewallEgressRules));
        }
        if let Some(p) = r.priority {
            if !caps.firewall_priorities {
                return Err(Error::unsupported(Capability::FirewallPriorities));
            }
            if let Some((lo, hi)) = caps.firewall_priority_range {
                if p < lo || p > hi {
                    return Err(Error::invalid(format!("rule {n}: priority {p} is outside {lo}..={hi}")));
                }
            }
        }
    }
    Ok(())
}

/// The priority of each rule, in order, for providers whose rules all carry one (Azure NSGs,
/// GCP firewall rules): a rule's own priority, else `first`, `first + step`, … counted per
/// direction and skipping priorities other rules of that direction already use, so that the
/// order the caller wrote is the order the provider evaluates.
pub fn assign_priorities(rules: &[FirewallRule], first: u32, step: u32) -> Vec<u32> {
    let dir = |d: Direction| usize::from(d != Direction::Ingress);
    let mut used: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    for r in rules {
        if let Some(p) = r.priority {
            used[dir(r.direction)].push(p);
        }
    }
    let mut next = [first, first];
    rules
        .iter()
        .map(|r| {
            let d = dir(r.direction);
            r.priority.unwrap_or_else(|| {
                while used[d].contains(&next[d]) {
                    next[d] += step;
                }
                let p = next[d];
                used[d].push(p);
                next[d] += step;
                p
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing() {
        assert_eq!(parse_cidr("10.0.0.0/16").unwrap().to_string(), "10.0.0.0/16");
        let e = parse_cidr("10.0.0.1/16").unwrap_err();
        assert!(e.message().contains("did you mean 10.0.0.0/16"));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("banana").is_err());
    }

    #[test]
    fn overlap() {
        let a = parse_cidr("10.0.0.0/16").unwrap();
        assert!(overlaps(a, parse_cidr("10.0.5.0/24").unwrap()));
        assert!(overlaps(parse_cidr("10.0.0.0/8").unwrap(), a));
        assert!(!overlaps(a, parse_cidr("10.1.0.0/16").unwrap()));
    }

    #[test]
    fn priorities_follow_the_written_order_per_direction() {
        let any = parse_cidr("0.0.0.0/0").unwrap();
        let rules = [
            FirewallRule::allow_tcp_in(22, any),
            FirewallRule::allow_tcp_in(80, any).priority(1000),
            FirewallRule::allow_tcp_in(443, any).direction(Direction::Egress),
            FirewallRule::allow_tcp_in(8080, any),
        ];
        assert_eq!(assign_priorities(&rules, 1000, 10), vec![1010, 1000, 1000, 1020]);
    }

    #[test]
    fn names() {
        validate_name("network", "prod-net-1").unwrap();
        for bad in ["", "1net", "Net", "net-", "a_b", &"a".repeat(64)] {
            assert!(validate_name("network", bad).is_err(), "{bad}");
        }
    }
}
