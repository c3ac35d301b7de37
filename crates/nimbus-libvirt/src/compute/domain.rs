//! Domain XML: what the adapter defines for an instance and what it reads back.
//!
//! Nimbus's own facts (size, image, subnet, labels, creation time) live in the domain's
//! `<metadata>` under the Nimbus namespace, so an instance is fully described by its libvirt
//! definition: another Nimbus process, or an operator with `virsh dumpxml`, sees the same.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nimbus_core::compute::{Instance, InstanceState, State};

use crate::xml::{self, esc, NS};

/// Everything a new domain is defined from.
#[derive(Debug, Clone)]
pub struct DomainDef {
    /// UUID (chosen by the adapter so volumes can be named before the domain exists).
    pub uuid: String,
    /// Instance name.
    pub name: String,
    /// `kvm`, `qemu` or `test`.
    pub domain_type: String,
    /// Guest architecture.
    pub arch: String,
    /// Machine type.
    pub machine: Option<String>,
    /// Size id.
    pub size: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// Image (base volume) name.
    pub image: String,
    /// Path of the instance's overlay disk.
    pub disk_path: String,
    /// Path of the NoCloud seed (user data), if any.
    pub seed_path: Option<String>,
    /// libvirt network of the interface, if any.
    pub network: Option<String>,
    /// MAC address of the interface (None: libvirt picks one).
    pub mac: Option<String>,
    /// Portable subnet id, if the instance was placed in one.
    pub subnet: Option<String>,
    /// nwfilter the interface references, if the host has filters.
    pub filter: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Creation time (seconds since the epoch).
    pub created: u64,
}

impl DomainDef {
    /// The domain XML.
    pub fn to_xml(&self) -> String {
        let mut labels = String::new();
        for (k, v) in &self.labels {
            labels.push_str(&format!("<nimbus:label key=\"{}\">{}</nimbus:label>", esc(k), esc(v)));
        }
        let subnet = self
            .subnet
            .as_ref()
            .map(|s| format!("<nimbus:subnet>{}</nimbus:subnet>", esc(s)))
            .unwrap_or_default();
        let machine = self
            .machine
            .as_ref()
            .map(|m| format!(" machine=\"{}\"", esc(m)))
            .unwrap_or_default();
        let seed = self
            .seed_path
            .as_ref()
            .map(|p| {
                format!(
                    "<disk type=\"file\" device=\"cdrom\"><driver name=\"qemu\" type=\"raw\"/><source file=\"{}\"/><target dev=\"sda\" bus=\"sata\"/><readonly/></disk>",
                    esc(p)
                )
            })
            .unwrap_or_default();
        let nic = self
            .network
            .as_ref()
            .map(|n| {
                let filter = self.filter.as_ref().map(|f| format!("<filterref filter=\"{}\"/>", esc(f))).unwrap_or_default();
                let mac = self.mac.as_ref().map(|m| format!("<mac address=\"{}\"/>", esc(m))).unwrap_or_default();
                format!(
                    "<interface type=\"network\">{mac}<source network=\"{}\"/><model type=\"virtio\"/>{filter}</interface>",
                    esc(n)
                )
            })
            .unwrap_or_default();
        format!(
            "<domain type=\"{dtype}\">\
<name>{name}</name><uuid>{uuid}</uuid>\
<metadata><nimbus:instance xmlns:nimbus=\"{NS}\">\
<nimbus:size>{size}</nimbus:size><nimbus:image>{image}</nimbus:image>{subnet}\
<nimbus:created>{created}</nimbus:created>{labels}</nimbus:instance></metadata>\
<memory unit=\"MiB\">{mem}</memory><vcpu>{vcpus}</vcpu>\
<os><type arch=\"{arch}\"{machine}>hvm</type><boot dev=\"hd\"/></os>\
<features><acpi/></features>\
<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>\
<devices>\
<disk type=\"file\" device=\"disk\"><driver name=\"qemu\" type=\"qcow2\"/><source file=\"{disk}\"/><target dev=\"vda\" bus=\"virtio\"/></disk>\
{seed}{nic}<serial type=\"pty\"/><console type=\"pty\"/>\
</devices></domain>",
            dtype = esc(&self.domain_type),
            name = esc(&self.name),
            uuid = esc(&self.uuid),
            size = esc(&self.size),
            image = esc(&self.image),
            created = self.created,
            mem = self.memory_mib,
            vcpus = self.vcpus,
            arch = esc(&self.arch),
            disk = esc(&self.disk_path),
        )
    }
}

/// What the adapter reads back from a domain's XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainInfo {
    /// UUID.
    pub uuid: String,
    /// Name.
    pub name: String,
    /// Size id (from the metadata; empty for domains Nimbus did not create).
    pub size: String,
    /// Image name.
    pub image: String,
    /// Portable subnet id.
    pub subnet: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Creation time.
    pub created: Option<u64>,
    /// (network, MAC, filter) of each network interface.
    pub nics: Vec<(String, String, Option<String>)>,
    /// Whether Nimbus created it (has Nimbus metadata).
    pub managed: bool,
}

/// Reads a domain's XML.
pub fn parse_domain(doc: &str) -> nimbus_core::Result<DomainInfo> {
    let d = xml::parse(doc)?;
    let root = d.root_element();
    let mut info = DomainInfo {
        uuid: xml::child_text(root, "uuid").unwrap_or_default(),
        name: xml::child_text(root, "name").unwrap_or_default(),
        ..Default::default()
    };
    if let Some(m) = xml::nimbus_meta(root, "instance") {
        info.managed = true;
        info.size = xml::child_text(m, "size").unwrap_or_default();
        info.image = xml::child_text(m, "image").unwrap_or_default();
        info.subnet = xml::child_text(m, "subnet");
        info.created = xml::child_text(m, "created").and_then(|t| t.parse().ok());
        for l in m
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "label")
        {
            if let Some(k) = l.attribute("key") {
                info.labels.insert(k.to_string(), l.text().unwrap_or("").to_string());
            }
        }
    }
    if let Some(devices) = xml::child(root, "devices") {
        for nic in devices.children().filter(|n| n.has_tag_name("interface")) {
            let net = xml::child(nic, "source")
                .and_then(|s| s.attribute("network"))
                .unwrap_or("");
            let mac = xml::child(nic, "mac")
                .and_then(|s| s.attribute("address"))
                .unwrap_or("");
            let filter = xml::child(nic, "filterref")
                .and_then(|f| f.attribute("filter"))
                .map(str::to_string);
            info.nics.push((net.to_string(), mac.to_ascii_lowercase(), filter));
        }
    }
    Ok(info)
}

/// `virDomainState` and its reason → the portable state, keeping libvirt's words.
pub fn state_of(state: i32, reason: i32, accel: &str) -> InstanceState {
    let (portable, name) = match state {
        1 => (State::Running, "running"),
        2 => (State::Running, "blocked"),
        3 => (State::Unknown, "paused"),
        4 => (State::Stopping, "shutdown"),
        5 => (State::Stopped, "shutoff"),
        6 => (State::Unknown, "crashed"),
        7 => (State::Unknown, "pmsuspended"),
        _ => (State::Pending, "nostate"),
    };
    let why = match (state, reason) {
        (1, 1) => "booted",
        (1, 5) => "unpaused",
        (1, 8) => "wakeup",
        (5, 1) => "shutdown",
        (5, 2) => "destroyed",
        (5, 3) => "crashed",
        (5, 6) => "failed",
        (_, 0) => "unknown",
        _ => "",
    };
    let why = if why.is_empty() {
        reason.to_string()
    } else {
        why.to_string()
    };
    InstanceState::new(portable, format!("{name}/{why} ({accel})"))
}

/// The portable instance from a domain's facts.
pub fn to_instance(
    info: &DomainInfo,
    state: InstanceState,
    region: &str,
    zone: &str,
    ip: Option<String>,
    firewalls: Vec<String>,
) -> Instance {
    let mut i = Instance::new(info.uuid.clone(), info.name.clone(), state);
    i.size = info.size.clone();
    i.image = info.image.clone();
    i.region = region.to_string();
    i.zone = Some(zone.to_string());
    i.subnet = info.subnet.clone();
    i.labels = info.labels.clone();
    i.created = info.created.map(|s| UNIX_EPOCH + Duration::from_secs(s));
    i.private_ip = ip;
    i.firewalls = firewalls;
    i
}

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> DomainDef {
        DomainDef {
            uuid: "0ffa92ac-e08e-40e3-8b89-301c332dfb8d".into(),
            name: "web-1".into(),
            domain_type: "qemu".into(),
            arch: "x86_64".into(),
            machine: None,
            size: "nano".into(),
            vcpus: 1,
            memory_mib: 128,
            image: "tiny.qcow2".into(),
            disk_path: "/p/x.qcow2".into(),
            seed_path: Some("/p/x.iso".into()),
            network: Some("n1".into()),
            mac: Some("52:54:00:12:34:56".into()),
            subnet: Some("u/s".into()),
            filter: Some("nimbus-i-x".into()),
            labels: [("team".to_string(), "a<b&\"c\"".to_string())].into(),
            created: 1_700_000_000,
        }
    }

    #[test]
    fn a_definition_reads_back() {
        let info = parse_domain(&def().to_xml()).unwrap();
        assert!(info.managed);
        assert_eq!(
            (info.name.as_str(), info.size.as_str(), info.image.as_str()),
            ("web-1", "nano", "tiny.qcow2")
        );
        assert_eq!(info.subnet.as_deref(), Some("u/s"));
        assert_eq!(info.labels["team"], "a<b&\"c\"");
        assert_eq!(info.created, Some(1_700_000_000));
        assert_eq!(
            info.nics,
            vec![(
                "n1".to_string(),
                "52:54:00:12:34:56".to_string(),
                Some("nimbus-i-x".to_string())
            )]
        );
    }

    #[test]
    fn states_keep_libvirts_words() {
        let s = state_of(5, 1, "tcg");
        assert_eq!((s.state, s.raw.as_str()), (State::Stopped, "shutoff/shutdown (tcg)"));
        assert_eq!(state_of(1, 1, "kvm").state, State::Running);
        assert_eq!(state_of(4, 1, "kvm").state, State::Stopping);
        assert_eq!(state_of(3, 1, "kvm").state, State::Unknown);
    }
}
