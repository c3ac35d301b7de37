//! One libvirt host as both services see it: the shared connection, what the host offers
//! (read once when a service is opened), and the lock that serialises read-modify-write
//! changes of definitions.
//!
//! Why one connection per URI for the whole process: libvirt's `test:///default` driver
//! keeps its state inside the connections that are open to it, so compute and network must
//! share one to see each other's objects; for a real daemon, one socket per process is
//! also what `virsh` and libvirt's own tools use. A dead connection (daemon restarted) is
//! replaced on the next call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use nimbus_core::{Error, ErrorKind, Result};

use crate::config::{Accelerator, LibvirtConfig};
use crate::conn::{Conn, Kind, LvResult};
use crate::error::{is_no_support, map};
use crate::xml;

/// What the host offers, read when a service is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Region name (configured, else the host name).
    pub region: String,
    /// Active host CPUs.
    pub cpus: u32,
    /// Host memory in MiB.
    pub memory_mib: u64,
    /// Guest architecture (`x86_64`; `i686` on the test driver).
    pub arch: String,
    /// Domain type for new guests (`kvm`, `qemu`, `test`), or why none fits.
    pub domain_type: std::result::Result<String, String>,
    /// Whether the driver has network filters (the test driver has none).
    pub nwfilter: bool,
    /// Whether volumes can be uploaded (user data seeds; not on the test driver).
    pub upload: bool,
    /// Whether DHCP leases can be read (not on the test driver).
    pub leases: bool,
}

impl Facts {
    /// The accelerator a guest gets, as reported in raw states.
    pub fn accel_label(&self) -> &str {
        match self.domain_type.as_deref() {
            Ok("kvm") => "kvm",
            Ok("qemu") => "tcg",
            Ok(other) => other,
            Err(_) => "none",
        }
    }
}

/// A libvirt host.
#[derive(Debug)]
pub struct Host {
    cfg: LibvirtConfig,
    conn: Mutex<Arc<Conn>>,
    write: Mutex<()>,
    facts: Facts,
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Conn>>> {
    static CONNS: OnceLock<Mutex<HashMap<String, Arc<Conn>>>> = OnceLock::new();
    CONNS.get_or_init(Default::default)
}

fn shared_conn(uri: &str) -> LvResult<Arc<Conn>> {
    let mut conns = cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = conns.get(uri).filter(|c| c.is_alive()) {
        return Ok(c.clone());
    }
    let c = Arc::new(Conn::open(uri)?);
    conns.insert(uri.to_string(), c.clone());
    Ok(c)
}

impl Host {
    /// Connects (blocking; call from the blocking pool) and reads the host's facts.
    pub fn open_blocking(cfg: &LibvirtConfig, provider: &'static str) -> Result<Host> {
        let conn = shared_conn(&cfg.uri).map_err(|e| connect_error(e, &cfg.uri, provider))?;
        let facts = read_facts(&conn, cfg).map_err(|e| map(e, provider, "connect"))?;
        Ok(Host {
            cfg: cfg.clone(),
            conn: Mutex::new(conn),
            write: Mutex::new(()),
            facts,
        })
    }

    /// Connects on the blocking pool.
    pub async fn open(cfg: &LibvirtConfig, provider: &'static str) -> Result<Arc<Host>> {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || Host::open_blocking(&cfg, provider).map(Arc::new))
            .await
            .map_err(|e| Error::internal(format!("libvirt connect task: {e}")))?
    }

    /// The configuration.
    pub fn config(&self) -> &LibvirtConfig {
        &self.cfg
    }

    /// What the host offers.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The live connection (reopened when the daemon went away).
    pub fn conn(&self) -> Result<Arc<Conn>> {
        let mut c = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if !c.is_alive() {
            *c = shared_conn(&self.cfg.uri).map_err(|e| map(e, "libvirt", "reconnect"))?;
        }
        Ok(c.clone())
    }

    /// Serialises read-modify-write changes of definitions (held inside blocking calls).
    pub fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs blocking libvirt work on tokio's blocking pool.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Host, &Conn) -> Result<T> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let c = me.conn()?;
            f(&me, &c)
        })
        .await
        .map_err(|e| Error::internal(format!("libvirt task: {e}")))?
    }
}

/// A failed connect: the host could not be reached (refused, no route, no daemon, SSH
/// failure: libvirt reports these as system or RPC errors) is `Unavailable`; refused
/// credentials stay `Unauthenticated`/`PermissionDenied`. The message names the URI.
fn connect_error(e: crate::conn::LvError, uri: &str, provider: &'static str) -> Error {
    let mut err = map(e, provider, "connect");
    if !matches!(err.kind(), ErrorKind::Unauthenticated | ErrorKind::PermissionDenied) {
        err = Error::new(
            ErrorKind::Unavailable,
            format!("cannot connect to libvirt at `{uri}`: {}", err.message()),
        )
        .with_provider(provider)
        .with_operation("connect")
        .with_raw_code(err.raw_code().unwrap_or_default().to_string());
    }
    err
}

fn read_facts(conn: &Conn, cfg: &LibvirtConfig) -> LvResult<Facts> {
    let (cpus, memory_mib) = conn.node_info()?;
    let region = match &cfg.region {
        Some(r) => r.clone(),
        None => conn.hostname()?,
    };
    let caps = conn.capabilities()?;
    let (arch, domain_type) = pick_domain_type(&caps, cfg.accelerator);
    let nwfilter = match conn.list_all(Kind::Filter) {
        Ok(_) => true,
        Err(e) if is_no_support(&e) => false,
        Err(e) => return Err(e),
    };
    let test = cfg.is_test_driver();
    Ok(Facts {
        region,
        cpus,
        memory_mib,
        arch,
        domain_type,
        nwfilter,
        upload: !test,
        leases: !test,
    })
}

/// The guest architecture (the host's when it can run it) and the domain type the
/// accelerator setting asks for, from the capabilities XML.
pub fn pick_domain_type(caps: &str, accel: Accelerator) -> (String, std::result::Result<String, String>) {
    let Ok(doc) = xml::parse(caps) else {
        return (String::new(), Err("unreadable capabilities".into()));
    };
    let root = doc.root_element();
    let host_arch = xml::find(root, "host")
        .and_then(|h| xml::find(h, "arch"))
        .and_then(|a| a.text())
        .unwrap_or("")
        .to_string();
    // (arch, [domain types]) of every hvm guest.
    let mut guests: Vec<(String, Vec<String>)> = Vec::new();
    for g in root.children().filter(|n| n.has_tag_name("guest")) {
        if xml::child_text(g, "os_type").as_deref() != Some("hvm") {
            continue;
        }
        if let Some(a) = xml::child(g, "arch") {
            let types = a
                .children()
                .filter(|n| n.has_tag_name("domain"))
                .filter_map(|n| n.attribute("type").map(str::to_string))
                .collect();
            guests.push((a.attribute("name").unwrap_or("").to_string(), types));
        }
    }
    let Some((arch, types)) = guests
        .iter()
        .find(|(a, _)| *a == host_arch)
        .or_else(|| guests.first())
        .cloned()
    else {
        return (host_arch, Err("the host offers no hvm guest".into()));
    };
    let has = |t: &str| types.iter().any(|x| x == t);
    let chosen = match accel {
        Accelerator::Kvm if has("kvm") => Ok("kvm".to_string()),
        Accelerator::Kvm => Err(format!(
            "the host offers no KVM for {arch} (domain types: {})",
            types.join(", ")
        )),
        Accelerator::Auto if has("kvm") => Ok("kvm".into()),
        _ if has("qemu") => Ok("qemu".into()),
        _ => types
            .first()
            .cloned()
            .ok_or_else(|| format!("no domain type for {arch}")),
    };
    (arch, chosen)
}

/// An error of kind `kind` with the provider and operation set.
pub fn fail(kind: ErrorKind, provider: &'static str, op: &'static str, msg: impl Into<String>) -> Error {
    Error::new(kind, msg).with_provider(provider).with_operation(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: &str = "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>\
        <guest><os_type>hvm</os_type><arch name='i686'><domain type='qemu'/></arch></guest>\
        <guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>\
        </capabilities>";

    #[test]
    fn kvm_when_offered_tcg_when_asked_or_not() {
        assert_eq!(
            pick_domain_type(CAPS, Accelerator::Auto),
            ("x86_64".into(), Ok("kvm".into()))
        );
        assert_eq!(pick_domain_type(CAPS, Accelerator::Tcg).1, Ok("qemu".into()));
        let no_kvm = CAPS.replace("<domain type='kvm'/>", "");
        assert_eq!(pick_domain_type(&no_kvm, Accelerator::Auto).1, Ok("qemu".into()));
        assert!(pick_domain_type(&no_kvm, Accelerator::Kvm).1.is_err());
        let test = "<capabilities><host><cpu><arch>i686</arch></cpu></host><guest><os_type>hvm</os_type><arch name='i686'><domain type='test'/></arch></guest></capabilities>";
        assert_eq!(
            pick_domain_type(test, Accelerator::Auto),
            ("i686".into(), Ok("test".into()))
        );
    }
}
