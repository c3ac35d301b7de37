//! Network XML: a portable network is a libvirt network (a bridge); its one subnet is the
//! network's IPv4 `<ip>` element with a DHCP range, added when the subnet is created.
//!
//! The portable range and labels, and the subnet's name, are kept in the network's
//! `<metadata>`; a network without a subnet is an address-less isolated bridge.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::config::Forward;
use crate::xml::{self, esc, NS};

/// A network definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetDef {
    /// UUID (None: libvirt picks one).
    pub uuid: Option<String>,
    /// Name.
    pub name: String,
    /// Portable range.
    pub cidr: Ipv4Net,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The subnet: its name and range.
    pub subnet: Option<(String, Ipv4Net)>,
    /// Forward mode once it has a subnet.
    pub forward: Forward,
    /// Bridge name (kept across redefinitions).
    pub bridge: Option<String>,
}

/// The gateway (host side) address and DHCP range of a subnet.
pub fn addresses(cidr: Ipv4Net) -> (Ipv4Addr, Ipv4Addr, Ipv4Addr) {
    let base = u32::from(cidr.network());
    let last = u32::from(cidr.broadcast());
    let gw = Ipv4Addr::from(base + 1);
    let start = Ipv4Addr::from((base + 2).min(last.saturating_sub(1)));
    let end = Ipv4Addr::from(last.saturating_sub(1));
    (gw, start, end)
}

impl NetDef {
    /// The network XML.
    pub fn to_xml(&self) -> String {
        let uuid = self
            .uuid
            .as_ref()
            .map(|u| format!("<uuid>{}</uuid>", esc(u)))
            .unwrap_or_default();
        let mut meta = format!("<nimbus:cidr>{}</nimbus:cidr>", self.cidr);
        for (k, v) in &self.labels {
            meta.push_str(&format!("<nimbus:label key=\"{}\">{}</nimbus:label>", esc(k), esc(v)));
        }
        let bridge = match &self.bridge {
            Some(b) => format!("<bridge name=\"{}\" stp=\"on\" delay=\"0\"/>", esc(b)),
            None => "<bridge stp=\"on\" delay=\"0\"/>".to_string(),
        };
        let mut ip = String::new();
        let mut forward = String::new();
        if let Some((name, cidr)) = &self.subnet {
            meta.push_str(&format!("<nimbus:subnet name=\"{}\">{cidr}</nimbus:subnet>", esc(name)));
            let (gw, start, end) = addresses(*cidr);
            ip = format!(
                "<ip address=\"{gw}\" prefix=\"{}\"><dhcp><range start=\"{start}\" end=\"{end}\"/></dhcp></ip>",
                cidr.prefix_len()
            );
            if self.forward == Forward::Nat {
                forward = "<forward mode=\"nat\"/>".into();
            }
        }
        format!(
            "<network><name>{}</name>{uuid}<metadata><nimbus:network xmlns:nimbus=\"{NS}\">{meta}</nimbus:network></metadata>{forward}{bridge}{ip}</network>",
            esc(&self.name)
        )
    }
}

/// What the adapter reads from a network's XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetInfo {
    /// UUID.
    pub uuid: String,
    /// Name.
    pub name: String,
    /// Portable range (None for networks Nimbus did not create: then their first IPv4 range).
    pub cidr: Option<Ipv4Net>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The Nimbus subnet, if any.
    pub subnet: Option<(String, Ipv4Net)>,
    /// Every IPv4 range the network's bridge holds (for clash checks).
    pub ranges: Vec<Ipv4Net>,
    /// Bridge name.
    pub bridge: Option<String>,
    /// Static DHCP entries (MAC, IPv4 address) of its IPv4 ranges.
    pub hosts: Vec<(String, std::net::Ipv4Addr)>,
    /// Whether Nimbus created it.
    pub managed: bool,
}

fn ip_range(ip: roxmltree::Node<'_, '_>) -> Option<Ipv4Net> {
    if ip.attribute("family").is_some_and(|f| f != "ipv4") {
        return None;
    }
    let addr: Ipv4Addr = ip.attribute("address")?.parse().ok()?;
    let prefix: u8 = match (ip.attribute("prefix"), ip.attribute("netmask")) {
        (Some(p), _) => p.parse().ok()?,
        (None, Some(m)) => u32::from(m.parse::<Ipv4Addr>().ok()?).count_ones() as u8,
        (None, None) => 24,
    };
    Ipv4Net::new(addr, prefix).ok().map(|n| n.trunc())
}

/// The first address of the subnet's DHCP range that no static entry holds.
pub fn free_address(info: &NetInfo) -> Option<Ipv4Addr> {
    let (_, cidr) = info.subnet.as_ref()?;
    let (_, start, end) = addresses(*cidr);
    (u32::from(start)..=u32::from(end))
        .map(Ipv4Addr::from)
        .find(|a| !info.hosts.iter().any(|(_, h)| h == a))
}

/// Reads a network's XML.
pub fn parse_network(doc: &str) -> nimbus_core::Result<NetInfo> {
    let d = xml::parse(doc)?;
    let root = d.root_element();
    let ranges: Vec<Ipv4Net> = root
        .children()
        .filter(|n| n.has_tag_name("ip"))
        .filter_map(ip_range)
        .collect();
    let mut info = NetInfo {
        uuid: xml::child_text(root, "uuid").unwrap_or_default(),
        name: xml::child_text(root, "name").unwrap_or_default(),
        cidr: ranges.first().copied(),
        labels: BTreeMap::new(),
        subnet: None,
        ranges,
        bridge: xml::child(root, "bridge")
            .and_then(|b| b.attribute("name"))
            .map(str::to_string),
        hosts: root
            .descendants()
            .filter(|n| n.has_tag_name("host") && n.parent().is_some_and(|p| p.has_tag_name("dhcp")))
            .filter_map(|n| {
                Some((
                    n.attribute("mac")?.to_ascii_lowercase(),
                    n.attribute("ip")?.parse().ok()?,
                ))
            })
            .collect(),
        managed: false,
    };
    if let Some(m) = xml::nimbus_meta(root, "network") {
        info.managed = true;
        info.cidr = xml::child_text(m, "cidr").and_then(|c| c.parse().ok());
        for n in m.children().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "label" => {
                    if let Some(k) = n.attribute("key") {
                        info.labels.insert(k.to_string(), n.text().unwrap_or("").to_string());
                    }
                }
                "subnet" => {
                    if let (Some(name), Some(c)) = (n.attribute("name"), n.text().and_then(|t| t.trim().parse().ok())) {
                        info.subnet = Some((name.to_string(), c));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_with_its_subnet_reads_back() {
        let def = NetDef {
            uuid: Some("9ea88b06-631b-458d-b0fc-bfd7cde09d90".into()),
            name: "blue".into(),
            cidr: "10.20.0.0/16".parse().unwrap(),
            labels: [("env".to_string(), "<qa>".to_string())].into(),
            subnet: Some(("app".into(), "10.20.1.0/24".parse().unwrap())),
            forward: Forward::Nat,
            bridge: Some("virbr7".into()),
        };
        let xml = def.to_xml();
        assert!(
            xml.contains("<range start=\"10.20.1.2\" end=\"10.20.1.254\"/>"),
            "{xml}"
        );
        assert!(xml.contains("<forward mode=\"nat\"/>"));
        let info = parse_network(&xml).unwrap();
        assert!(info.managed);
        assert_eq!(info.cidr, Some("10.20.0.0/16".parse().unwrap()));
        assert_eq!(info.subnet, Some(("app".into(), "10.20.1.0/24".parse().unwrap())));
        assert_eq!(info.ranges, vec!["10.20.1.0/24".parse::<Ipv4Net>().unwrap()]);
        assert_eq!(info.labels["env"], "<qa>");
        assert_eq!(info.bridge.as_deref(), Some("virbr7"));
        assert_eq!(free_address(&info), Some(Ipv4Addr::new(10, 20, 1, 2)));
        let mut taken = info.clone();
        taken
            .hosts
            .push(("52:54:00:00:00:01".into(), Ipv4Addr::new(10, 20, 1, 2)));
        assert_eq!(free_address(&taken), Some(Ipv4Addr::new(10, 20, 1, 3)));
    }

    #[test]
    fn foreign_networks_show_their_range() {
        let info = parse_network("<network><name>default</name><uuid>u</uuid><ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><host mac='52:54:00:AA:00:01' ip='192.168.122.9'/></dhcp></ip></network>").unwrap();
        assert_eq!(
            info.hosts,
            vec![("52:54:00:aa:00:01".to_string(), Ipv4Addr::new(192, 168, 122, 9))]
        );
        assert!(!info.managed);
        assert_eq!(info.cidr, Some("192.168.122.0/24".parse().unwrap()));
        assert_eq!(addresses("10.0.0.0/28".parse().unwrap()).2, Ipv4Addr::new(10, 0, 0, 14));
    }
}
