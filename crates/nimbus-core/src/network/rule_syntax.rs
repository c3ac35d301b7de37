//! The one-line firewall rule syntax: `DIRECTION PROTO PORTS PEER ACTION [PRIORITY]`, e.g.
//! `ingress tcp 8000-8080 10.0.0.0/8 deny 200`.
//!
//! Why in the core and not in the CLI: it is the form rules take in profiles, scripts and
//! support bundles too, so it has one parser, and a [`Display`](std::fmt::Display) that the
//! parser reads back (a fuzz target holds the two to that: `fuzz/fuzz_targets/firewall_rule.rs`).
//! Parsing checks the syntax and the CIDR; whether a provider can enforce the rule is
//! `validate::validate_rules`' job, with the capabilities at hand.

use std::fmt;
use std::str::FromStr;

use super::validate::parse_cidr;
use super::{Action, Direction, FirewallRule, PortRange, Protocol};
use crate::Error;

impl FromStr for FirewallRule {
    type Err = Error;

    /// PORTS is `N`, `N-M`, or `-`/`all`/`any` for every port; DIRECTION also takes `in` and
    /// `out`, PROTO `any` for `all`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let shown = s.escape_debug();
        let p: Vec<&str> = s.split_ascii_whitespace().collect();
        if p.len() != 5 && p.len() != 6 {
            return Err(Error::invalid(format!(
                "`{shown}`: expected DIRECTION PROTO PORTS PEER ACTION [PRIORITY]"
            )));
        }
        let word = |w: &str| w.escape_debug().to_string();
        let direction = match p[0] {
            "ingress" | "in" => Direction::Ingress,
            "egress" | "out" => Direction::Egress,
            o => {
                return Err(Error::invalid(format!(
                    "direction `{}`: expected ingress or egress",
                    word(o)
                )))
            }
        };
        let protocol = match p[1] {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "icmp" => Protocol::Icmp,
            "all" | "any" => Protocol::All,
            o => {
                return Err(Error::invalid(format!(
                    "protocol `{}`: expected tcp, udp, icmp or all",
                    word(o)
                )))
            }
        };
        let port = |a: &str| {
            a.parse::<u16>()
                .ok()
                .filter(|n| *n > 0 && a.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| Error::invalid(format!("port `{}` is not a number 1-65535", word(a))))
        };
        let ports = match p[2] {
            "-" | "all" | "any" => None,
            r => {
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                let (from, to) = (port(a)?, port(b)?);
                if from > to {
                    return Err(Error::invalid(format!(
                        "port range `{}`: the first port is above the last",
                        word(r)
                    )));
                }
                Some(PortRange { from, to })
            }
        };
        let peer = parse_cidr(p[3])?;
        let action = match p[4] {
            "allow" => Action::Allow,
            "deny" => Action::Deny,
            o => return Err(Error::invalid(format!("action `{}`: expected allow or deny", word(o)))),
        };
        let priority = match p.get(5) {
            Some(pr) => Some(
                pr.parse::<u32>()
                    .ok()
                    .filter(|_| pr.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| Error::invalid(format!("priority `{}` is not a number", word(pr))))?,
            ),
            None => None,
        };
        Ok(FirewallRule {
            direction,
            protocol,
            ports,
            peer,
            action,
            priority,
        })
    }
}

impl fmt::Display for FirewallRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = match self.direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let protocol = match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::All => "all",
        };
        let action = match self.action {
            Action::Allow => "allow",
            Action::Deny => "deny",
        };
        write!(f, "{direction} {protocol} ")?;
        match self.ports {
            None => write!(f, "all")?,
            Some(p) if p.from == p.to => write!(f, "{}", p.from)?,
            Some(p) => write!(f, "{}-{}", p.from, p.to)?,
        }
        write!(f, " {} {action}", self.peer)?;
        if let Some(p) = self.priority {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn rules_parse_print_and_errors_are_clear() {
        let r: FirewallRule = "ingress tcp 8000-8080 10.0.0.0/8 deny 200".parse().unwrap();
        assert_eq!(r.ports, Some(PortRange { from: 8000, to: 8080 }));
        assert_eq!(r.action, Action::Deny);
        assert_eq!(r.priority, Some(200));
        assert_eq!(r.to_string(), "ingress tcp 8000-8080 10.0.0.0/8 deny 200");
        let r: FirewallRule = "out any - 0.0.0.0/0 allow".parse().unwrap();
        assert_eq!(r.to_string(), "egress all all 0.0.0.0/0 allow");
        assert_eq!(r.to_string().parse::<FirewallRule>().unwrap(), r);
        let err = |s: &str| s.parse::<FirewallRule>().unwrap_err();
        assert!(err("sideways tcp 22 0.0.0.0/0 allow").message().contains("direction"));
        assert!(err("ingress tcp 22 10.0.0.1/8 allow")
            .message()
            .contains("did you mean 10.0.0.0/8"));
        for bad in [
            "ingress tcp 0 0.0.0.0/0 allow",
            "ingress tcp 90-80 0.0.0.0/0 allow",
            "ingress tcp +22 0.0.0.0/0 allow",
            "ingress tcp 22 0.0.0.0/0 allow +5",
            "ingress tcp 22 0.0.0.0/0 allow 1 2",
            "ingress tcp 65536 0.0.0.0/0 allow",
        ] {
            assert_eq!(err(bad).kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }
}
