//! [`NetworkService`] on libvirt: networks (bridges) carrying one subnet each, firewalls as
//! network filters.
//!
//! What libvirt does not enforce and the adapter does, to keep the portable contract (see
//! `docs/design/0016-libvirt-adapter.md`):
//! - libvirt destroys a network a guest still uses, and undefines it; the clouds refuse.
//!   Deleting a network with a subnet, a firewall or an attached instance is `Conflict`;
//!   deleting a subnet an instance uses is `Conflict`.
//! - Two libvirt networks whose address ranges overlap cannot both run on one host; the
//!   clash is a `Conflict` naming the other network, found before anything is changed.
//! - One subnet per network: libvirt's DHCP serves one IPv4 range per network. A second
//!   subnet is `Conflict`, a registered difference (`libvirt-one-subnet-per-network`).
//!
//! Every read-modify-write of a definition runs under the host's write lock.

pub mod filters;
pub mod netxml;

use std::sync::Arc;

use async_trait::async_trait;
use nimbus_core::network::validate::overlaps;
use nimbus_core::network::*;
use nimbus_core::{Capability, Error, ErrorKind, NetworkCapabilities, Result};

use crate::compute::domain::{parse_domain, DomainInfo};
use crate::config::LibvirtConfig;
use crate::conn::{Conn, Handle, Kind};
use crate::error::map;
use crate::host::Host;
use filters::{
    firewall_filter_name, firewall_xml, instance_filter_name, instance_xml, parse_filter, split_firewall_name,
    split_instance_name,
};
use netxml::{parse_network, NetDef, NetInfo};

pub(crate) const PROVIDER: &str = "libvirt-network";

/// What libvirt networks offer.
pub fn libvirt_network_capabilities(nwfilter: bool) -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.firewalls = nwfilter;
    c.firewall_deny_rules = nwfilter;
    c.firewall_priorities = nwfilter;
    c.firewall_priority_range = nwfilter.then_some((1, 499));
    c.firewall_egress_rules = nwfilter;
    c
}

/// Networking of one libvirt host.
#[derive(Debug, Clone)]
pub struct LibvirtNetwork {
    host: Arc<Host>,
}

fn m(op: &'static str) -> impl Fn(crate::conn::LvError) -> Error {
    move |e| map(e, PROVIDER, op)
}

/// Every network with its parsed XML.
pub(crate) fn all_networks(conn: &Conn, op: &'static str) -> Result<Vec<(Handle, NetInfo)>> {
    let mut out = Vec::new();
    for h in conn.list_all(Kind::Network).map_err(m(op))? {
        let info = parse_network(&conn.xml(Kind::Network, &h, 0).map_err(m(op))?)?;
        out.push((h, info));
    }
    Ok(out)
}

/// A network by portable id (its UUID).
pub(crate) fn network(conn: &Conn, id: &str, op: &'static str) -> Result<(Handle, NetInfo)> {
    let h = conn
        .by_uuid(Kind::Network, id)
        .map_err(m(op))?
        .ok_or_else(|| Error::not_found(format!("network `{id}`")))?;
    let info = parse_network(&conn.xml(Kind::Network, &h, 0).map_err(m(op))?)?;
    Ok((h, info))
}

/// The subnet id of a network's subnet.
pub(crate) fn subnet_id(net_uuid: &str, name: &str) -> String {
    format!("{net_uuid}/{name}")
}

/// The network (handle, facts) of a subnet id; `NotFound` when either is gone.
pub(crate) fn subnet(conn: &Conn, id: &str, op: &'static str) -> Result<(Handle, NetInfo)> {
    let missing = || Error::not_found(format!("subnet `{id}`"));
    let (net, name) = id.split_once('/').ok_or_else(missing)?;
    let (h, info) = network(conn, net, op).map_err(|e| if e.kind() == ErrorKind::NotFound { missing() } else { e })?;
    match &info.subnet {
        Some((n, _)) if n == name => Ok((h, info)),
        _ => Err(missing()),
    }
}

/// Every domain's parsed XML.
pub(crate) fn all_domains(conn: &Conn, op: &'static str) -> Result<Vec<DomainInfo>> {
    let mut out = Vec::new();
    for h in conn.list_all(Kind::Domain).map_err(m(op))? {
        out.push(parse_domain(&conn.xml(Kind::Domain, &h, 0).map_err(m(op))?)?);
    }
    Ok(out)
}

/// Every network filter with its parsed XML (one listing; the firewall and instance
/// filters are told apart by name).
pub(crate) fn all_filters(conn: &Conn, op: &'static str) -> Result<Vec<filters::FilterInfo>> {
    let mut out = Vec::new();
    for h in conn.list_all(Kind::Filter).map_err(m(op))? {
        out.push(parse_filter(&conn.xml(Kind::Filter, &h, 0).map_err(m(op))?)?);
    }
    Ok(out)
}

/// A firewall's filter by portable id (its UUID); `NotFound` when it is not a Nimbus firewall.
pub(crate) fn firewall(conn: &Conn, id: &str, op: &'static str) -> Result<(Handle, filters::FilterInfo)> {
    let missing = || Error::not_found(format!("firewall `{id}`"));
    let h = conn.by_uuid(Kind::Filter, id).map_err(m(op))?.ok_or_else(missing)?;
    let f = parse_filter(&conn.xml(Kind::Filter, &h, 0).map_err(m(op))?)?;
    if split_firewall_name(&f.name).is_none() {
        return Err(missing());
    }
    Ok((h, f))
}

fn to_firewall(f: &filters::FilterInfo) -> Firewall {
    let (net, name) = split_firewall_name(&f.name).unwrap_or(("", &f.name));
    Firewall::new(f.uuid.clone(), name, net, f.rules.clone())
}

/// The firewall ids an instance's filter includes.
pub(crate) fn instance_firewalls(conn: &Conn, filter: &str, op: &'static str) -> Result<Vec<String>> {
    let Some(h) = conn.by_name(Kind::Filter, filter).map_err(m(op))? else {
        return Ok(Vec::new());
    };
    let f = parse_filter(&conn.xml(Kind::Filter, &h, 0).map_err(m(op))?)?;
    let mut ids = Vec::new();
    for inc in f.includes {
        if let Some(h) = conn.by_name(Kind::Filter, &inc).map_err(m(op))? {
            ids.push(parse_filter(&conn.xml(Kind::Filter, &h, 0).map_err(m(op))?)?.uuid);
        }
    }
    Ok(ids)
}

/// Writes an instance's filter (creating or redefining it) with these firewall filters.
pub(crate) fn write_instance_filter(
    conn: &Conn,
    instance_uuid: &str,
    firewall_filters: &[String],
    op: &'static str,
) -> Result<()> {
    let name = instance_filter_name(instance_uuid);
    let uuid = match conn.by_name(Kind::Filter, &name).map_err(m(op))? {
        Some(h) => Some(parse_filter(&conn.xml(Kind::Filter, &h, 0).map_err(m(op))?)?.uuid),
        None => None,
    };
    conn.define(Kind::Filter, &instance_xml(&name, uuid.as_deref(), firewall_filters))
        .map_err(m(op))?;
    Ok(())
}

/// Removes an instance's filter (absent is fine).
pub(crate) fn delete_instance_filter(conn: &Conn, instance_uuid: &str, op: &'static str) -> Result<()> {
    if let Some(h) = conn
        .by_name(Kind::Filter, &instance_filter_name(instance_uuid))
        .map_err(m(op))?
    {
        conn.undefine(Kind::Filter, &h).map_err(m(op))?;
    }
    Ok(())
}

/// Checks firewalls for an instance on `net_uuid` and returns their filter names.
pub(crate) fn firewall_filters_for(
    conn: &Conn,
    ids: &[String],
    net_uuid: Option<&str>,
    op: &'static str,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for id in ids {
        let (_, f) = firewall(conn, id, op).map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                Error::invalid(format!("firewall `{id}` does not exist"))
            } else {
                e
            }
        })?;
        let (fw_net, _) = split_firewall_name(&f.name).unwrap_or_default();
        if Some(fw_net) != net_uuid {
            return Err(Error::invalid(format!(
                "firewall `{id}` belongs to network `{fw_net}`, and the instance is not on that network"
            )));
        }
        names.push(f.name);
    }
    Ok(names)
}

/// Stops (when running), redefines and starts a network.
fn redefine(conn: &Conn, h: &Handle, def: &NetDef, op: &'static str) -> Result<()> {
    if conn.network_active(h).map_err(m(op))? {
        conn.destroy(Kind::Network, h).map_err(m(op))?;
    }
    let h = conn.define(Kind::Network, &def.to_xml()).map_err(m(op))?;
    conn.create(Kind::Network, &h).map_err(m(op))
}

fn def_of(info: &NetInfo, host: &Host) -> NetDef {
    NetDef {
        uuid: Some(info.uuid.clone()),
        name: info.name.clone(),
        cidr: info.cidr.unwrap_or_else(|| "0.0.0.0/0".parse().expect("literal")),
        labels: info.labels.clone(),
        subnet: info.subnet.clone(),
        forward: host.config().forward,
        bridge: info.bridge.clone(),
    }
}

fn to_network(info: &NetInfo, region: &str) -> Network {
    let mut n = Network::new(info.uuid.clone(), info.name.clone());
    n.cidr = info.cidr;
    n.region = Some(region.to_string());
    n.labels = info.labels.clone();
    n
}

fn to_subnet(info: &NetInfo, region: &str) -> Option<Subnet> {
    let (name, cidr) = info.subnet.as_ref()?;
    let mut s = Subnet::new(subnet_id(&info.uuid, name), name.clone(), info.uuid.clone(), *cidr);
    s.region = Some(region.to_string());
    Some(s)
}

/// The typed error of a firewall call on a driver without network filters (the contract
/// answers it first; this keeps the adapter honest when called directly).
fn no_filters(op: &'static str) -> Error {
    Error::unsupported(Capability::Firewalls)
        .with_provider(PROVIDER)
        .with_operation(op)
}

impl LibvirtNetwork {
    /// Connects to the host (shared with the compute service of the same URI).
    pub async fn connect(cfg: &LibvirtConfig) -> Result<Self> {
        Ok(LibvirtNetwork {
            host: Host::open(cfg, PROVIDER).await?,
        })
    }

    /// The host.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    async fn filters_run<T, F>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Host, &Conn) -> Result<T> + Send + 'static,
    {
        if !self.host.facts().nwfilter {
            return Err(no_filters(op));
        }
        self.host.run(f).await
    }
}

#[async_trait]
impl NetworkService for LibvirtNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        libvirt_network_capabilities(self.host.facts().nwfilter)
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        let spec = spec.clone();
        self.host
            .run(move |host, conn| {
                let op = "create_network";
                let _w = host.write_lock();
                if conn.by_name(Kind::Network, &spec.name).map_err(m(op))?.is_some() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("a libvirt network named `{}` exists", spec.name),
                    ));
                }
                let def = NetDef {
                    uuid: None,
                    name: spec.name.clone(),
                    cidr: spec.cidr,
                    labels: spec.labels.clone(),
                    subnet: None,
                    forward: host.config().forward,
                    bridge: None,
                };
                let h = conn.define(Kind::Network, &def.to_xml()).map_err(m(op))?;
                if let Err(e) = conn.create(Kind::Network, &h) {
                    let _ = conn.undefine(Kind::Network, &h);
                    return Err(m(op)(e));
                }
                let info = parse_network(&conn.xml(Kind::Network, &h, 0).map_err(m(op))?)?;
                Ok(to_network(&info, &host.facts().region))
            })
            .await
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| Ok(to_network(&network(conn, &id, "get_network")?.1, &host.facts().region)))
            .await
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        self.host
            .run(move |host, conn| {
                Ok(all_networks(conn, "list_networks")?
                    .iter()
                    .map(|(_, i)| to_network(i, &host.facts().region))
                    .collect())
            })
            .await
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let op = "delete_network";
                let _w = host.write_lock();
                let (h, info) = network(conn, &id, op)?;
                let conflict = |why: String| Err(Error::new(ErrorKind::Conflict, format!("network `{id}` {why}")));
                if let Some((name, cidr)) = &info.subnet {
                    return conflict(format!("still has subnet `{name}` ({cidr}); delete it first"));
                }
                if let Some(d) = all_domains(conn, op)?
                    .iter()
                    .find(|d| d.nics.iter().any(|n| n.0 == info.name))
                {
                    return conflict(format!("is used by instance `{}`", d.uuid));
                }
                if host.facts().nwfilter {
                    for fi in all_filters(conn, op)? {
                        if split_firewall_name(&fi.name).is_some_and(|(n, _)| n == info.uuid) {
                            return conflict(format!("still has firewall `{}`; delete it first", fi.uuid));
                        }
                    }
                }
                if conn.network_active(&h).map_err(m(op))? {
                    conn.destroy(Kind::Network, &h).map_err(m(op))?;
                }
                conn.undefine(Kind::Network, &h).map_err(m(op))
            })
            .await
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        if let Some(z) = &spec.zone {
            return Err(Error::invalid(format!(
                "libvirt subnets belong to the host: a zone (`{}`) cannot be given",
                z.escape_debug()
            )));
        }
        let spec = spec.clone();
        self.host
            .run(move |host, conn| {
                let op = "create_subnet";
                let _w = host.write_lock();
                let (h, info) = network(conn, &spec.network, op)?;
                if !info.managed {
                    return Err(Error::invalid(format!(
                        "network `{}` was not created by Nimbus; its addressing is the operator's",
                        spec.network
                    )));
                }
                if let Some(range) = info.cidr.filter(|r| !r.contains(&spec.cidr)) {
                    return Err(Error::invalid(format!(
                        "subnet {} is not inside the range {range} of network `{}`",
                        spec.cidr, spec.network
                    )));
                }
                if let Some((name, cidr)) = &info.subnet {
                    let why = if overlaps(*cidr, spec.cidr) {
                        format!(
                            "subnet {} overlaps subnet `{name}` ({cidr}) of network `{}`",
                            spec.cidr, spec.network
                        )
                    } else {
                        format!(
                            "network `{}` already has subnet `{name}` ({cidr}): a libvirt network serves one subnet",
                            spec.network
                        )
                    };
                    return Err(Error::new(ErrorKind::Conflict, why));
                }
                for (_, other) in all_networks(conn, op)? {
                    if let Some(r) = other.ranges.iter().find(|r| overlaps(**r, spec.cidr)) {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "subnet {} clashes with {r} of libvirt network `{}` on this host",
                                spec.cidr, other.name
                            ),
                        ));
                    }
                }
                let mut def = def_of(&info, host);
                def.subnet = Some((spec.name.clone(), spec.cidr));
                redefine(conn, &h, &def, op)?;
                let (_, info) = network(conn, &spec.network, op)?;
                to_subnet(&info, &host.facts().region).ok_or_else(|| Error::internal("the subnet did not persist"))
            })
            .await
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let (_, info) = subnet(conn, &id, "get_subnet")?;
                to_subnet(&info, &host.facts().region).ok_or_else(|| Error::not_found(format!("subnet `{id}`")))
            })
            .await
    }

    async fn list_subnets(&self, net: Option<String>) -> Result<Vec<Subnet>> {
        self.host
            .run(move |host, conn| {
                let op = "list_subnets";
                let nets = match &net {
                    Some(id) => vec![network(conn, id, op)?],
                    None => all_networks(conn, op)?,
                };
                Ok(nets
                    .iter()
                    .filter_map(|(_, i)| to_subnet(i, &host.facts().region))
                    .collect())
            })
            .await
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let op = "delete_subnet";
                let _w = host.write_lock();
                let (h, info) = subnet(conn, &id, op)?;
                if let Some(d) = all_domains(conn, op)?
                    .iter()
                    .find(|d| d.nics.iter().any(|n| n.0 == info.name))
                {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!("subnet `{id}` is used by instance `{}`", d.uuid),
                    ));
                }
                let mut def = def_of(&info, host);
                def.subnet = None;
                redefine(conn, &h, &def, op)
            })
            .await
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        let spec = spec.clone();
        self.filters_run("create_firewall", move |host, conn| {
            let op = "create_firewall";
            let _w = host.write_lock();
            let (_, net) = network(conn, &spec.network, op)?;
            let name = firewall_filter_name(&net.uuid, &spec.name);
            if conn.by_name(Kind::Filter, &name).map_err(m(op))?.is_some() {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "network `{}` already has a firewall named `{}`",
                        spec.network, spec.name
                    ),
                ));
            }
            let h = conn
                .define(Kind::Filter, &firewall_xml(&name, None, &spec.rules))
                .map_err(m(op))?;
            Ok(to_firewall(&parse_filter(
                &conn.xml(Kind::Filter, &h, 0).map_err(m(op))?,
            )?))
        })
        .await
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        let id = id.to_string();
        self.filters_run("get_firewall", move |_, conn| {
            Ok(to_firewall(&firewall(conn, &id, "get_firewall")?.1))
        })
        .await
    }

    async fn list_firewalls(&self, net: Option<String>) -> Result<Vec<Firewall>> {
        self.filters_run("list_firewalls", move |_, conn| {
            let op = "list_firewalls";
            if let Some(n) = &net {
                network(conn, n, op)?;
            }
            Ok(all_filters(conn, op)?
                .iter()
                .filter(|f| {
                    split_firewall_name(&f.name).is_some_and(|(fw_net, _)| net.as_deref().is_none_or(|n| n == fw_net))
                })
                .map(to_firewall)
                .collect())
        })
        .await
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        let (id, rules) = (id.to_string(), rules.to_vec());
        self.filters_run("set_firewall_rules", move |host, conn| {
            let op = "set_firewall_rules";
            let _w = host.write_lock();
            let (_, f) = firewall(conn, &id, op)?;
            let h = conn
                .define(Kind::Filter, &firewall_xml(&f.name, Some(&f.uuid), &rules))
                .map_err(m(op))?;
            Ok(to_firewall(&parse_filter(
                &conn.xml(Kind::Filter, &h, 0).map_err(m(op))?,
            )?))
        })
        .await
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.filters_run("delete_firewall", move |host, conn| {
            let op = "delete_firewall";
            let _w = host.write_lock();
            let (h, f) = firewall(conn, &id, op)?;
            // Attached = included by some instance's filter: one listing of the filters.
            if let Some(inst) = all_filters(conn, op)?
                .iter()
                .find(|i| i.includes.contains(&f.name))
                .and_then(|i| split_instance_name(&i.name).map(str::to_string))
            {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("firewall `{id}` is attached to instance `{inst}`"),
                ));
            }
            conn.undefine(Kind::Filter, &h).map_err(m(op))
        })
        .await
    }

    async fn attach_firewall(&self, fw: &str, instance: &str) -> Result<()> {
        self.change_attachment(fw, instance, true).await
    }

    async fn detach_firewall(&self, fw: &str, instance: &str) -> Result<()> {
        self.change_attachment(fw, instance, false).await
    }
}

impl LibvirtNetwork {
    async fn change_attachment(&self, fw: &str, instance: &str, attach: bool) -> Result<()> {
        let (fw, instance) = (fw.to_string(), instance.to_string());
        let op = if attach { "attach_firewall" } else { "detach_firewall" };
        self.filters_run(op, move |host, conn| {
            let _w = host.write_lock();
            let dom = conn
                .by_uuid(Kind::Domain, &instance)
                .map_err(m(op))?
                .ok_or_else(|| Error::not_found(format!("instance `{instance}`")))?;
            let info = parse_domain(&conn.xml(Kind::Domain, &dom, 0).map_err(m(op))?)?;
            let (_, f) = firewall(conn, &fw, op)?;
            let own = instance_filter_name(&info.uuid);
            if !info.nics.iter().any(|n| n.2.as_deref() == Some(own.as_str())) {
                return Err(Error::invalid(format!(
                    "instance `{instance}` was not created by Nimbus with a network interface; it has no filter to attach to"
                )));
            }
            let (fw_net, _) = split_firewall_name(&f.name).unwrap_or_default();
            let on_net = info.nics.iter().any(|n| {
                conn.by_name(Kind::Network, &n.0)
                    .ok()
                    .flatten()
                    .and_then(|h| conn.xml(Kind::Network, &h, 0).ok())
                    .and_then(|x| parse_network(&x).ok())
                    .is_some_and(|ni| ni.uuid == fw_net)
            });
            if attach && !on_net {
                return Err(Error::invalid(format!("firewall `{fw}` belongs to another network than instance `{instance}`")));
            }
            let current = parse_filter(
                &conn
                    .by_name(Kind::Filter, &own)
                    .map_err(m(op))?
                    .map(|h| conn.xml(Kind::Filter, &h, 0))
                    .transpose()
                    .map_err(m(op))?
                    .unwrap_or_else(|| instance_xml(&own, None, &[])),
            )?;
            let mut includes = current.includes.clone();
            if attach && !includes.contains(&f.name) {
                includes.push(f.name.clone());
            } else if !attach {
                if !includes.contains(&f.name) {
                    return Err(Error::not_found(format!("firewall `{fw}` is not attached to instance `{instance}`")));
                }
                includes.retain(|i| i != &f.name);
            }
            write_instance_filter(conn, &info.uuid, &includes, op)
        })
        .await
    }
}
