//! Firewalls as libvirt network filters (nwfilter).
//!
//! - A firewall is a filter named `nimbus-fw.<network uuid>.<name>` holding only its own
//!   rules; the name carries the network because filters have no metadata.
//! - Each instance's interface references its own filter, `nimbus-i-<instance uuid>`, which
//!   includes the filters of the firewalls attached to it and, when there is at least one,
//!   lets DHCP through and drops everything else in both directions (the portable model:
//!   only what some attached firewall allows). With none attached it holds nothing, and the
//!   host's default (everything passes) applies.
//! - Attach and detach redefine the instance's filter; libvirt re-applies a redefined filter
//!   to running guests at once, so no device update is needed.
//! - nwfilter's rules on tcp/udp/icmp/all are stateful (replies of allowed traffic pass),
//!   like security groups. Priorities: lower runs first, as in the portable model; rules
//!   without one are written without a priority and get nwfilter's default (500), after
//!   every explicit priority (1–499).

use ipnet::Ipv4Net;
use nimbus_core::network::{Action, Direction, FirewallRule, PortRange, Protocol};

use crate::xml::{self, esc};

/// Prefix of firewall filter names.
pub const FW_PREFIX: &str = "nimbus-fw.";

/// The filter name of a firewall.
pub fn firewall_filter_name(network_uuid: &str, name: &str) -> String {
    format!("{FW_PREFIX}{network_uuid}.{name}")
}

/// (network uuid, firewall name) of a firewall filter name.
pub fn split_firewall_name(filter: &str) -> Option<(&str, &str)> {
    filter.strip_prefix(FW_PREFIX)?.split_once('.')
}

/// Prefix of instance filter names.
const INSTANCE_PREFIX: &str = "nimbus-i-";

/// The filter name of an instance.
pub fn instance_filter_name(instance_uuid: &str) -> String {
    format!("{INSTANCE_PREFIX}{instance_uuid}")
}

/// The instance UUID of an instance filter name.
pub fn split_instance_name(filter: &str) -> Option<&str> {
    filter.strip_prefix(INSTANCE_PREFIX)
}

/// nwfilter's default rule priority; rules written without one read back as `None`.
const DEFAULT_PRIORITY: i32 = 500;

fn rule_xml(r: &FirewallRule) -> String {
    let action = match r.action {
        Action::Allow => "accept",
        Action::Deny => "drop",
    };
    let (direction, side) = match r.direction {
        Direction::Ingress => ("in", "src"),
        Direction::Egress => ("out", "dst"),
    };
    let proto = match r.protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        Protocol::All => "all",
    };
    let prio = r.priority.map(|p| format!(" priority=\"{p}\"")).unwrap_or_default();
    let ports = r
        .ports
        .map(|p| format!(" dstportstart=\"{}\" dstportend=\"{}\"", p.from, p.to))
        .unwrap_or_default();
    format!(
        "<rule action=\"{action}\" direction=\"{direction}\"{prio}><{proto} {side}ipaddr=\"{}\" {side}ipmask=\"{}\"{ports}/></rule>",
        r.peer.network(),
        r.peer.prefix_len()
    )
}

/// The filter of a firewall.
pub fn firewall_xml(name: &str, uuid: Option<&str>, rules: &[FirewallRule]) -> String {
    let uuid = uuid.map(|u| format!("<uuid>{}</uuid>", esc(u))).unwrap_or_default();
    let rules: String = rules.iter().map(rule_xml).collect();
    format!("<filter name=\"{}\" chain=\"root\">{uuid}{rules}</filter>", esc(name))
}

/// The filter of an instance, including the firewalls' filters.
pub fn instance_xml(name: &str, uuid: Option<&str>, firewall_filters: &[String]) -> String {
    let uuid = uuid.map(|u| format!("<uuid>{}</uuid>", esc(u))).unwrap_or_default();
    let mut body: String = firewall_filters
        .iter()
        .map(|f| format!("<filterref filter=\"{}\"/>", esc(f)))
        .collect();
    if !firewall_filters.is_empty() {
        body.push_str(
            "<rule action=\"accept\" direction=\"out\" priority=\"-500\"><udp srcportstart=\"68\" dstportstart=\"67\"/></rule>\
<rule action=\"accept\" direction=\"in\" priority=\"-500\"><udp srcportstart=\"67\" dstportstart=\"68\"/></rule>\
<rule action=\"drop\" direction=\"in\" priority=\"1000\"><all/></rule>\
<rule action=\"drop\" direction=\"out\" priority=\"1000\"><all/></rule>",
        );
    }
    format!("<filter name=\"{}\" chain=\"root\">{uuid}{body}</filter>", esc(name))
}

/// A parsed filter: its name, UUID, rules and the filters it includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterInfo {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: String,
    /// The portable rules (rules it cannot express are skipped).
    pub rules: Vec<FirewallRule>,
    /// Included filters.
    pub includes: Vec<String>,
}

fn mask_len(m: &str) -> Option<u8> {
    m.parse::<u8>().ok().or_else(|| {
        m.parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| u32::from(a).count_ones() as u8)
    })
}

/// Reads a filter's XML.
pub fn parse_filter(doc: &str) -> nimbus_core::Result<FilterInfo> {
    let d = xml::parse(doc)?;
    let root = d.root_element();
    let mut info = FilterInfo {
        name: root.attribute("name").unwrap_or("").to_string(),
        uuid: xml::child_text(root, "uuid").unwrap_or_default(),
        rules: Vec::new(),
        includes: Vec::new(),
    };
    for n in root.children().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "filterref" => info.includes.extend(n.attribute("filter").map(str::to_string)),
            "rule" => info.rules.extend(parse_rule(n)),
            _ => {}
        }
    }
    Ok(info)
}

fn parse_rule(n: roxmltree::Node<'_, '_>) -> Option<FirewallRule> {
    let action = match n.attribute("action")? {
        "accept" => Action::Allow,
        "drop" | "reject" => Action::Deny,
        _ => return None,
    };
    let (direction, side) = match n.attribute("direction")? {
        "in" => (Direction::Ingress, "src"),
        "out" => (Direction::Egress, "dst"),
        _ => return None,
    };
    let p = n.children().find(|c| c.is_element())?;
    let protocol = match p.tag_name().name() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "icmp" => Protocol::Icmp,
        "all" => Protocol::All,
        _ => return None,
    };
    let addr: std::net::Ipv4Addr = p
        .attribute(format!("{side}ipaddr").as_str())
        .unwrap_or("0.0.0.0")
        .parse()
        .ok()?;
    let len = p
        .attribute(format!("{side}ipmask").as_str())
        .map_or(Some(32), mask_len)?;
    let len = if p.attribute(format!("{side}ipaddr").as_str()).is_none() {
        0
    } else {
        len
    };
    let peer = Ipv4Net::new(addr, len).ok()?;
    let ports = match (p.attribute("dstportstart"), p.attribute("dstportend")) {
        (Some(a), b) => {
            let from: u16 = a.parse().ok()?;
            let to: u16 = b.map_or(Some(from), |b| b.parse().ok())?;
            Some(PortRange { from, to })
        }
        _ => None,
    };
    let priority = n
        .attribute("priority")
        .and_then(|p| p.parse::<i32>().ok())
        .filter(|p| *p != DEFAULT_PRIORITY)
        .and_then(|p| u32::try_from(p).ok());
    let mut r = FirewallRule::allow_tcp_in(0, peer)
        .direction(direction)
        .protocol(protocol)
        .ports(ports)
        .action(action);
    r.priority = priority;
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip() {
        let any: Ipv4Net = "0.0.0.0/0".parse().unwrap();
        let rules = vec![
            FirewallRule::allow_tcp_in(22, "10.1.0.0/16".parse().unwrap()),
            FirewallRule::allow_tcp_in(80, any)
                .ports(Some(PortRange { from: 80, to: 90 }))
                .priority(100),
            FirewallRule::allow_tcp_in(0, any)
                .protocol(Protocol::Icmp)
                .ports(None)
                .action(Action::Deny)
                .priority(7),
            FirewallRule::allow_tcp_in(0, "192.0.2.0/24".parse().unwrap())
                .direction(Direction::Egress)
                .protocol(Protocol::Udp)
                .ports(Some(PortRange::single(53))),
        ];
        let xml = firewall_xml(&firewall_filter_name("u-1", "web"), Some("f-2"), &rules);
        let back = parse_filter(&xml).unwrap();
        assert_eq!(back.rules, rules);
        assert_eq!((back.name.as_str(), back.uuid.as_str()), ("nimbus-fw.u-1.web", "f-2"));
        assert_eq!(split_firewall_name(&back.name), Some(("u-1", "web")));
    }

    #[test]
    fn an_instance_filter_includes_its_firewalls_and_closes_the_rest() {
        let x = instance_xml("nimbus-i-1", None, &["nimbus-fw.n.a".into()]);
        let f = parse_filter(&x).unwrap();
        assert_eq!(f.includes, vec!["nimbus-fw.n.a".to_string()]);
        assert_eq!(split_instance_name(&f.name), Some("1"));
        assert!(x.contains("<all/>") && x.contains("dstportstart=\"67\""));
        assert!(!instance_xml("nimbus-i-1", None, &[]).contains("rule"));
    }
}
