//! [`Compute`] on libvirt: domains as instances.
//!
//! - Sizes come from a declared catalogue bounded by the host (`sizes.rs`); images are
//!   volumes of the configured pool and each instance boots from its own qcow2 overlay
//!   (`volumes.rs`); user data reaches the guest as a NoCloud seed, an ISO labelled
//!   `cidata` attached as a CD-ROM, which is where cloud-init's NoCloud datasource looks
//!   (`nocloud.rs`).
//! - Stop asks the guest to shut down through ACPI and pulls the power when the guest has
//!   not finished within `shutdown_timeout`; reboot is the hypervisor's default (ACPI on
//!   QEMU). Terminate pulls the power, undefines the domain and deletes its overlay, seed and
//!   filter; it succeeds when the domain is already gone (volumes are found by name).
//! - States map from `virDomainState`; the raw state keeps libvirt's state, its reason and
//!   the accelerator (`running/booted (tcg)`), so an operator sees when a host runs guests
//!   without KVM.
//! - Instance ids are domain UUIDs: a name can be reused after terminate, a UUID never is.

pub mod domain;
pub mod nocloud;
pub mod sizes;
pub mod volumes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use nimbus_core::compute::*;
use nimbus_core::{Capability, ComputeCapabilities, Error, ErrorKind, Result};

use crate::config::LibvirtConfig;
use crate::conn::{Conn, Handle, Kind};
use crate::error::{kind_for, map};
use crate::host::{fail, Host};
use crate::network::netxml::{free_address, parse_network};
use crate::network::{self, filters::instance_filter_name};
use domain::{now_secs, parse_domain, state_of, to_instance, DomainDef};

pub(crate) const PROVIDER: &str = "libvirt-compute";

/// Virtual machines of one libvirt host.
#[derive(Debug, Clone)]
pub struct LibvirtCompute {
    host: Arc<Host>,
    aliases: Vec<String>,
}

fn m(op: &'static str) -> impl Fn(crate::conn::LvError) -> Error {
    move |e| map(e, PROVIDER, op)
}

fn zone_of(region: &str) -> String {
    format!("{region}-1")
}

fn domain(conn: &Conn, id: &str, op: &'static str) -> Result<Handle> {
    conn.by_uuid(Kind::Domain, id)
        .map_err(m(op))?
        .ok_or_else(|| Error::not_found(format!("instance `{id}`")))
}

/// Reads an instance: definition, state, lease address, firewalls.
fn read(host: &Host, conn: &Conn, h: &Handle, op: &'static str) -> Result<Instance> {
    let info = parse_domain(&conn.xml(Kind::Domain, h, 0).map_err(m(op))?)?;
    let (s, r) = conn.domain_state(h).map_err(m(op))?;
    let facts = host.facts();
    // The address the subnet reserved for the interface's MAC, else the DHCP lease (the
    // operator's own networks).
    let mut ip = None;
    for (net, mac, _) in &info.nics {
        if let Some(nh) = conn.by_name(Kind::Network, net).map_err(m(op))? {
            let ni = parse_network(&conn.xml(Kind::Network, &nh, 0).map_err(m(op))?)?;
            ip = ni.hosts.iter().find(|(hm, _)| hm == mac).map(|(_, a)| a.to_string());
            // A network that is not running has no leases; that is not an error here.
            if ip.is_none() && facts.leases {
                if let Ok(leases) = conn.dhcp_leases(&nh) {
                    ip = leases.into_iter().find(|(lm, _)| lm == mac).map(|(_, a)| a);
                }
            }
        }
        if ip.is_some() {
            break;
        }
    }
    let firewalls = if facts.nwfilter {
        network::instance_firewalls(conn, &instance_filter_name(&info.uuid), op)?
    } else {
        Vec::new()
    };
    Ok(to_instance(
        &info,
        state_of(s, r, facts.accel_label()),
        &facts.region,
        &zone_of(&facts.region),
        ip,
        firewalls,
    ))
}

/// The NoCloud `meta-data` of an instance.
fn meta_data(uuid: &str, name: &str) -> String {
    format!("instance-id: {uuid}\nlocal-hostname: {name}\n")
}

impl LibvirtCompute {
    /// Connects to the host (shared with the network service of the same URI) and reads
    /// its images for the declared aliases.
    pub async fn connect(cfg: &LibvirtConfig) -> Result<Self> {
        let host = Host::open(cfg, PROVIDER).await?;
        if let Some(seed) = cfg.test_seed_image.clone() {
            host.run(move |host, conn| {
                let _w = host.write_lock();
                let p = volumes::pool(conn, &host.config().pool, "connect")?;
                if conn.volume(&p, &seed).map_err(m("connect"))?.is_none() {
                    volumes::import(conn, &p, &seed, "qcow2", 64 << 20, None)?;
                }
                Ok(())
            })
            .await?;
        }
        let pool = cfg.pool.clone();
        // A missing pool is reported by the calls that need it, with the fix; the
        // service still opens so that the host can be inspected.
        let images = host
            .run(move |_, conn| Ok(volumes::list_images(conn, &pool).unwrap_or_default()))
            .await?;
        Ok(LibvirtCompute {
            host,
            aliases: images.into_iter().flat_map(|i| i.aliases).collect(),
        })
    }

    /// The host.
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }

    /// Imports an image into the pool: a new volume, filled with `data` where the driver
    /// accepts uploads (not libvirt's test driver: it gets an empty volume of `capacity`
    /// bytes). Images appear in `list_images`; a new service declares their aliases.
    pub async fn import_image(&self, name: &str, format: &str, capacity: u64, data: Option<Vec<u8>>) -> Result<Image> {
        let (name, format) = (name.to_string(), format.to_string());
        self.host
            .run(move |host, conn| {
                let _w = host.write_lock();
                let p = volumes::pool(conn, &host.config().pool, "import_image")?;
                volumes::import(conn, &p, &name, &format, capacity, data.as_deref())
            })
            .await
    }

    fn sizes(&self) -> Vec<Size> {
        let f = self.host.facts();
        sizes::fitting(&self.host.config().sizes, f.cpus, f.memory_mib)
    }

    fn pick(&self, choice: &SizeChoice) -> Result<Size> {
        if let SizeChoice::Id(id) = choice {
            if let Some(s) = self.host.config().sizes.iter().find(|s| &s.name == id) {
                let f = self.host.facts();
                if s.vcpus > f.cpus || s.memory_mib > f.memory_mib {
                    return Err(Error::new(
                        ErrorKind::CapacityUnavailable,
                        format!(
                            "size `{id}` needs {} vCPUs and {} MiB; host `{}` has {} and {} MiB",
                            s.vcpus, s.memory_mib, f.region, f.cpus, f.memory_mib
                        ),
                    ));
                }
            }
        }
        pick_size(&self.sizes(), choice)
    }

    /// Waits for the guest's ACPI shutdown until the deadline, then pulls the power. The
    /// power button is pressed again every few seconds: a guest still booting has no ACPI
    /// handler yet and loses the first press (measured: a press 1 s after start is ignored).
    async fn shut_down(&self, id: &str) -> Result<Instance> {
        let op = "stop_instance";
        let deadline = Instant::now() + self.host.config().shutdown_timeout;
        let mut pressed = Instant::now();
        loop {
            let id2 = id.to_string();
            let press_again = pressed.elapsed() >= Duration::from_secs(3);
            if press_again {
                pressed = Instant::now();
            }
            let (state, forced) = self
                .host
                .run(move |host, conn| {
                    let h = domain(conn, &id2, op)?;
                    let (s, _) = conn.domain_state(&h).map_err(m(op))?;
                    if s == 5 {
                        return Ok((Some(read(host, conn, &h, op)?), false));
                    }
                    if press_again && s == 1 {
                        // Shutting down between the state read and the press is fine.
                        let _ = conn.domain_shutdown(&h);
                    }
                    if Instant::now() >= deadline {
                        match conn.destroy(Kind::Domain, &h) {
                            Ok(()) => {}
                            // It shut off between the two calls.
                            Err(e) if kind_for(e.code) == ErrorKind::Conflict => {}
                            Err(e) => return Err(m(op)(e)),
                        }
                        return Ok((Some(read(host, conn, &h, op)?), true));
                    }
                    Ok((None, false))
                })
                .await?;
            if let Some(i) = state {
                if forced {
                    tracing::warn!(instance = %id, "guest did not shut down within the deadline; powered off");
                }
                return Ok(i);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[async_trait]
impl Compute for LibvirtCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        let mut c = ComputeCapabilities::none();
        c.start = true;
        c.stop = true;
        c.reboot = true;
        c.user_data = self.host.facts().upload;
        c.image_aliases = self.aliases.clone();
        c
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        let r = self.host.facts().region.clone();
        Ok(vec![Region::new(r.clone(), vec![zone_of(&r)])])
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        Ok(self.sizes())
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        self.host
            .run(|host, conn| volumes::list_images(conn, &host.config().pool))
            .await
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        let op = "create_instance";
        let size = self.pick(&spec.size)?;
        let facts = self.host.facts();
        let zone = zone_of(&facts.region);
        if let Some(z) = spec.zone.as_ref().filter(|z| **z != zone) {
            return Err(Error::invalid(format!(
                "unknown zone `{}`: this host has one zone, `{zone}`",
                z.escape_debug()
            )));
        }
        let domain_type = facts
            .domain_type
            .clone()
            .map_err(|why| fail(ErrorKind::Unsupported, PROVIDER, op, why))?;
        if !spec.firewalls.is_empty() && !facts.nwfilter {
            return Err(Error::unsupported(Capability::Firewalls)
                .with_provider(PROVIDER)
                .with_operation(op));
        }
        let spec = spec.clone();
        self.host
            .run(move |host, conn| {
                let _w = host.write_lock();
                if conn.by_name(Kind::Domain, &spec.name).map_err(m(op))?.is_some() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("an instance named `{}` exists on this host", spec.name),
                    ));
                }
                let cfg = host.config();
                let facts = host.facts();
                let pool = volumes::pool(conn, &cfg.pool, op)?;
                let image = volumes::resolve(&volumes::list_images(conn, &cfg.pool)?, &spec.image)?;
                let mut reserve = None;
                let (net_name, net_uuid) = match &spec.subnet {
                    Some(id) => {
                        let (nh, info) = network::subnet(conn, id, op).map_err(|e| {
                            if e.kind() == ErrorKind::NotFound {
                                Error::invalid(format!("subnet `{id}` does not exist"))
                            } else {
                                e
                            }
                        })?;
                        // The address is reserved now, as the clouds allocate one at create:
                        // a static DHCP entry for a MAC of our choosing.
                        let ip = free_address(&info).ok_or_else(|| {
                            Error::new(
                                ErrorKind::CapacityUnavailable,
                                format!("subnet `{id}` has no free address"),
                            )
                        })?;
                        reserve = Some((nh, new_mac(), ip));
                        (Some(info.name), Some(info.uuid))
                    }
                    None => match &cfg.network {
                        Some(n) if conn.by_name(Kind::Network, n).map_err(m(op))?.is_some() => (Some(n.clone()), None),
                        _ => (None, None),
                    },
                };
                let fw_filters = network::firewall_filters_for(conn, &spec.firewalls, net_uuid.as_deref(), op)?;
                let uuid = new_uuid();
                let mut undo = Undo::new(conn, &pool, &uuid);
                if let Some((nh, mac, ip)) = &reserve {
                    conn.dhcp_host(nh, true, &host_xml(mac, *ip)).map_err(m(op))?;
                    undo.dhcp = Some((nh, host_xml(mac, *ip)));
                }
                let disk_path = volumes::create_overlay(conn, &pool, &image.id, &uuid)?;
                let seed_path = match &spec.user_data {
                    Some(ud) => Some(volumes::create_seed(
                        conn,
                        &pool,
                        &uuid,
                        &nocloud::nocloud_seed(ud.as_bytes(), meta_data(&uuid, &spec.name).as_bytes())
                            .map_err(|e| Error::invalid(format!("user data: {e}")))?,
                    )?),
                    None => None,
                };
                let filter = if facts.nwfilter && net_name.is_some() {
                    undo.filter = true;
                    network::write_instance_filter(conn, &uuid, &fw_filters, op)?;
                    Some(instance_filter_name(&uuid))
                } else {
                    None
                };
                let def = DomainDef {
                    uuid: uuid.clone(),
                    name: spec.name.clone(),
                    domain_type: domain_type.clone(),
                    arch: facts.arch.clone(),
                    machine: cfg.machine.clone(),
                    size: size.id.clone(),
                    vcpus: size.vcpus,
                    memory_mib: size.memory_mib,
                    image: image.id.clone(),
                    disk_path,
                    seed_path,
                    network: net_name,
                    mac: reserve.as_ref().map(|(_, mac, _)| mac.clone()),
                    subnet: spec.subnet.clone(),
                    filter,
                    labels: spec.labels.clone(),
                    created: now_secs(),
                };
                let h = conn.define(Kind::Domain, &def.to_xml()).map_err(m(op))?;
                undo.domain = true;
                conn.create(Kind::Domain, &h).map_err(m(op))?;
                undo.done = true;
                read(host, conn, &h, op)
            })
            .await
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| read(host, conn, &domain(conn, &id, "get_instance")?, "get_instance"))
            .await
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        let filter = filter.clone();
        self.host
            .run(move |host, conn| {
                let op = "list_instances";
                let mut out = Vec::new();
                for h in conn.list_all(Kind::Domain).map_err(m(op))? {
                    match read(host, conn, &h, op) {
                        Ok(i) if filter.matches(&i) => out.push(i),
                        Ok(_) => {}
                        // Undefined between the listing and the read.
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(out)
            })
            .await
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let op = "start_instance";
                let h = domain(conn, &id, op)?;
                let (s, _) = conn.domain_state(&h).map_err(m(op))?;
                if s != 1 && s != 2 {
                    conn.create(Kind::Domain, &h).map_err(m(op))?;
                }
                read(host, conn, &h, op)
            })
            .await
    }

    async fn stop_instance(&self, id: &str, _mode: StopMode) -> Result<Instance> {
        let id2 = id.to_string();
        let already = self
            .host
            .run(move |host, conn| {
                let op = "stop_instance";
                let h = domain(conn, &id2, op)?;
                let (s, _) = conn.domain_state(&h).map_err(m(op))?;
                if s == 5 {
                    return Ok(Some(read(host, conn, &h, op)?));
                }
                conn.domain_shutdown(&h).map_err(m(op))?;
                Ok(None)
            })
            .await?;
        match already {
            Some(i) => Ok(i),
            None => self.shut_down(id).await,
        }
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let op = "reboot_instance";
                let h = domain(conn, &id, op)?;
                conn.domain_reboot(&h).map_err(m(op))?;
                read(host, conn, &h, op)
            })
            .await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        let id = id.to_string();
        self.host
            .run(move |host, conn| {
                let op = "terminate_instance";
                let _w = host.write_lock();
                let mut gone = Instance::new(
                    id.clone(),
                    String::new(),
                    InstanceState::new(State::Terminated, "undefined"),
                );
                gone.region = host.facts().region.clone();
                if let Some(h) = conn.by_uuid(Kind::Domain, &id).map_err(m(op))? {
                    let info = parse_domain(&conn.xml(Kind::Domain, &h, 0).map_err(m(op))?)?;
                    let (s, _) = conn.domain_state(&h).map_err(m(op))?;
                    if s != 5 {
                        conn.destroy(Kind::Domain, &h).map_err(m(op))?;
                    }
                    conn.undefine(Kind::Domain, &h).map_err(m(op))?;
                    release_addresses(conn, &info, op)?;
                    gone.name = info.name;
                    gone.labels = info.labels;
                }
                // By name, so that a second terminate (or one after a crash) cleans up too.
                let pool = volumes::pool(conn, &host.config().pool, op)?;
                volumes::delete_instance_volumes(conn, &pool, &id)?;
                if host.facts().nwfilter {
                    network::delete_instance_filter(conn, &id, op)?;
                }
                Ok(gone)
            })
            .await
    }
}

/// The `<host>` element of a static DHCP entry.
fn host_xml(mac: &str, ip: std::net::Ipv4Addr) -> String {
    format!("<host mac=\"{mac}\" ip=\"{ip}\"/>")
}

/// Removes the static DHCP entries held for a domain's interfaces.
fn release_addresses(conn: &Conn, info: &domain::DomainInfo, op: &'static str) -> Result<()> {
    for (net, mac, _) in &info.nics {
        let Some(nh) = conn.by_name(Kind::Network, net).map_err(m(op))? else {
            continue;
        };
        let ni = parse_network(&conn.xml(Kind::Network, &nh, 0).map_err(m(op))?)?;
        if let Some((_, ip)) = ni.hosts.iter().find(|(hm, _)| hm == mac) {
            conn.dhcp_host(&nh, false, &host_xml(mac, *ip)).map_err(m(op))?;
        }
    }
    Ok(())
}

/// A random MAC in the range QEMU/KVM guests use (52:54:00, locally administered).
fn new_mac() -> String {
    let b: [u8; 3] = rand::random();
    format!("52:54:00:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
}

/// A random (version 4) UUID.
fn new_uuid() -> String {
    let b: [u8; 16] = rand::random();
    let mut b = b;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Removes what a failed create made, in reverse order; disarmed once the domain runs.
struct Undo<'a> {
    conn: &'a Conn,
    pool: &'a Handle,
    uuid: &'a str,
    domain: bool,
    filter: bool,
    dhcp: Option<(&'a Handle, String)>,
    done: bool,
}

impl<'a> Undo<'a> {
    fn new(conn: &'a Conn, pool: &'a Handle, uuid: &'a str) -> Self {
        Undo {
            conn,
            pool,
            uuid,
            domain: false,
            filter: false,
            dhcp: None,
            done: false,
        }
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.domain {
            if let Ok(Some(h)) = self.conn.by_uuid(Kind::Domain, self.uuid) {
                let _ = self.conn.destroy(Kind::Domain, &h);
                let _ = self.conn.undefine(Kind::Domain, &h);
            }
        }
        if self.filter {
            let _ = network::delete_instance_filter(self.conn, self.uuid, "create_instance");
        }
        if let Some((nh, host)) = &self.dhcp {
            let _ = self.conn.dhcp_host(nh, false, host);
        }
        let _ = volumes::delete_instance_volumes(self.conn, self.pool, self.uuid);
    }
}
