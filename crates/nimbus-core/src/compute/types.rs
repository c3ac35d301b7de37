//! Plain data of the compute API (Libcloud's nodes, sizes, images, locations).

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Portable lifecycle state of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Being created or started.
    Pending,
    /// Running.
    Running,
    /// Being stopped.
    Stopping,
    /// Stopped (may still bill; see `ComputeCapabilities::stop_keeps_billing`).
    Stopped,
    /// Being terminated.
    Terminating,
    /// Gone.
    Terminated,
    /// A provider state with no portable meaning; see [`InstanceState::raw`].
    Unknown,
}

impl State {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Terminating => "terminating",
            State::Terminated => "terminated",
            State::Unknown => "unknown",
        }
    }

    /// Whether no further transition happens without a call.
    pub fn is_settled(self) -> bool {
        matches!(self, State::Running | State::Stopped | State::Terminated)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for State {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        Ok(match s {
            "pending" => State::Pending,
            "running" => State::Running,
            "stopping" => State::Stopping,
            "stopped" => State::Stopped,
            "terminating" => State::Terminating,
            "terminated" => State::Terminated,
            "unknown" => State::Unknown,
            other => {
                return Err(crate::Error::invalid(format!(
                "unknown state `{other}`; expected one of pending, running, stopping, stopped, terminating, terminated"
            )))
            }
        })
    }
}

/// The portable state plus the provider's own state string, always kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceState {
    /// Portable state.
    pub state: State,
    /// The provider's raw state (`running`, `PowerState/deallocated`, `TERMINATED`, …).
    pub raw: String,
}

impl InstanceState {
    /// A state from its parts.
    pub fn new(state: State, raw: impl Into<String>) -> Self {
        InstanceState { state, raw: raw.into() }
    }
}

/// How an instance is stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopMode {
    /// The provider's plain stop. On Azure this is power-off, which keeps billing.
    #[default]
    Stop,
    /// Stop and release the host so that compute billing ends (Azure deallocate; on AWS and
    /// GCP a plain stop already does this).
    Deallocate,
}

/// A machine size (Libcloud's NodeSize).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Size {
    /// Provider id (`t3.micro`, `e2-small`, `Standard_B1s`).
    pub id: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u64,
}

impl Size {
    /// A size from its parts.
    pub fn new(id: impl Into<String>, vcpus: u32, memory_mib: u64) -> Self {
        Size {
            id: id.into(),
            vcpus,
            memory_mib,
        }
    }
}

/// A bootable image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Image {
    /// Provider id (AMI id, image self link, URN).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Portable aliases that resolve to it (e.g. `ubuntu-22.04`).
    pub aliases: Vec<String>,
}

impl Image {
    /// An image from its parts.
    pub fn new(id: impl Into<String>, name: impl Into<String>, aliases: Vec<String>) -> Self {
        Image {
            id: id.into(),
            name: name.into(),
            aliases,
        }
    }
}

/// A region and its zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Region {
    /// Region id.
    pub id: String,
    /// Zone ids.
    pub zones: Vec<String>,
}

impl Region {
    /// A region from its parts.
    pub fn new(id: impl Into<String>, zones: Vec<String>) -> Self {
        Region { id: id.into(), zones }
    }
}

/// How to choose the size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SizeChoice {
    /// A provider size id.
    Id(String),
    /// The smallest size with at least this much (fewest vCPUs, then least memory, then id).
    Requirements {
        /// Minimum vCPUs.
        min_vcpus: u32,
        /// Minimum memory in MiB.
        min_memory_mib: u64,
    },
}

/// How to choose the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImageChoice {
    /// A portable alias such as `ubuntu-22.04`.
    Alias(String),
    /// A provider image id.
    Id(String),
}

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceSpec {
    /// Name (unique among live instances).
    pub name: String,
    /// Size.
    pub size: SizeChoice,
    /// Image.
    pub image: ImageChoice,
    /// Zone; the provider's default when `None`.
    pub zone: Option<String>,
    /// Subnet id; the provider's default network when `None`.
    pub subnet: Option<String>,
    /// Firewall ids to attach.
    pub firewalls: Vec<String>,
    /// Labels (tags).
    pub labels: BTreeMap<String, String>,
    /// User data / startup script.
    pub user_data: Option<String>,
    /// Idempotency token, a UUID: calls carrying the same token create at most one instance
    /// (outside the window `docs/reliability.md` states). The contract makes one per call when
    /// this is `None`, so its retries are safe; set it to make a call safe to repeat across
    /// processes (a job restarted after a crash). Sent as EC2's `ClientToken` and Compute
    /// Engine's `requestId`, and kept on the instance as the label [`REQUEST_ID_LABEL`](crate::request_id::REQUEST_ID_LABEL).
    pub request_id: Option<String>,
}

impl InstanceSpec {
    /// A spec with a name, size and image; the rest default.
    pub fn new(name: impl Into<String>, size: SizeChoice, image: ImageChoice) -> Self {
        InstanceSpec {
            name: name.into(),
            size,
            image,
            zone: None,
            subnet: None,
            firewalls: Vec::new(),
            labels: BTreeMap::new(),
            user_data: None,
            request_id: None,
        }
    }
    /// Sets the idempotency token (a UUID; see the field).
    pub fn request_id(mut self, token: impl Into<String>) -> Self {
        self.request_id = Some(token.into());
        self
    }
    /// Sets the subnet.
    pub fn subnet(mut self, id: impl Into<String>) -> Self {
        self.subnet = Some(id.into());
        self
    }
    /// Sets the zone.
    pub fn zone(mut self, zone: impl Into<String>) -> Self {
        self.zone = Some(zone.into());
        self
    }
    /// Adds a firewall.
    pub fn firewall(mut self, id: impl Into<String>) -> Self {
        self.firewalls.push(id.into());
        self
    }
    /// Adds a label.
    pub fn label(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.labels.insert(k.into(), v.into());
        self
    }
    /// Sets user data.
    pub fn user_data(mut self, data: impl Into<String>) -> Self {
        self.user_data = Some(data.into());
        self
    }
}

/// A virtual machine (Libcloud's Node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Instance {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// State, portable and raw.
    pub state: InstanceState,
    /// Size id.
    pub size: String,
    /// Image id.
    pub image: String,
    /// Region.
    pub region: String,
    /// Zone.
    pub zone: Option<String>,
    /// Subnet id.
    pub subnet: Option<String>,
    /// Attached firewall ids.
    pub firewalls: Vec<String>,
    /// Private IPv4 address.
    pub private_ip: Option<String>,
    /// Public IPv4 address.
    pub public_ip: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Creation time.
    pub created: Option<SystemTime>,
}

impl Instance {
    /// An instance with id, name and state; set the other fields.
    pub fn new(id: impl Into<String>, name: impl Into<String>, state: InstanceState) -> Self {
        Instance {
            id: id.into(),
            name: name.into(),
            state,
            size: String::new(),
            image: String::new(),
            region: String::new(),
            zone: None,
            subnet: None,
            firewalls: Vec::new(),
            private_ip: None,
            public_ip: None,
            labels: BTreeMap::new(),
            created: None,
        }
    }
}

/// Filter of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstanceFilter {
    /// Every label here must be present with this value.
    pub labels: BTreeMap<String, String>,
    /// Include terminated instances (providers keep them visible for a while).
    pub include_terminated: bool,
}

impl InstanceFilter {
    /// Filter on one label.
    pub fn label(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.labels.insert(k.into(), v.into());
        self
    }

    /// Whether an instance passes the filter.
    pub fn matches(&self, i: &Instance) -> bool {
        (self.include_terminated || i.state.state != State::Terminated)
            && self.labels.iter().all(|(k, v)| i.labels.get(k) == Some(v))
    }
}
