//! The simulator's persisted state and its time-driven state machine.
//!
//! Transitions are computed from timestamps, not from a background task: an instance that
//! entered `pending` at t₀ *is* `running` at any read after t₀ + boot time. That keeps the
//! simulator deterministic for a given clock, survives process restarts (the CLI is one
//! process per command), and needs no daemon.

use std::collections::BTreeMap;
use std::time::Duration;

use ipnet::Ipv4Net;
use nimbus_core::compute::{Instance, InstanceState, State};
use nimbus_core::network::{Firewall, Network, Subnet};
use serde::{Deserialize, Serialize};

/// How long transitions take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// pending → running.
    pub boot: Duration,
    /// stopping → stopped.
    pub stop: Duration,
    /// rebooting → running.
    pub reboot: Duration,
    /// shutting-down → terminated.
    pub terminate: Duration,
}

/// Phases with the local provider's raw state names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Phase {
    Provisioning,
    Starting,
    Running,
    Rebooting,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
}

impl Phase {
    pub fn raw(self) -> &'static str {
        match self {
            Phase::Provisioning => "provisioning",
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Rebooting => "rebooting",
            Phase::Stopping => "stopping",
            Phase::Stopped => "stopped",
            Phase::ShuttingDown => "shutting-down",
            Phase::Terminated => "terminated",
        }
    }
    pub fn portable(self) -> State {
        match self {
            Phase::Provisioning | Phase::Starting | Phase::Rebooting => State::Pending,
            Phase::Running => State::Running,
            Phase::Stopping => State::Stopping,
            Phase::Stopped => State::Stopped,
            Phase::ShuttingDown => State::Terminating,
            Phase::Terminated => State::Terminated,
        }
    }
    /// Where a transitional phase goes, and after how long.
    fn next(self, t: &Timings) -> Option<(Phase, Duration)> {
        match self {
            Phase::Provisioning | Phase::Starting => Some((Phase::Running, t.boot)),
            Phase::Rebooting => Some((Phase::Running, t.reboot)),
            Phase::Stopping => Some((Phase::Stopped, t.stop)),
            Phase::ShuttingDown => Some((Phase::Terminated, t.terminate)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstanceRec {
    pub id: String,
    pub name: String,
    pub phase: Phase,
    pub since_ms: u64,
    pub size: String,
    pub vcpus: u32,
    pub image: String,
    pub zone: String,
    pub subnet: Option<String>,
    pub firewalls: Vec<String>,
    pub private_ip: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub user_data: Option<String>,
    pub created_ms: u64,
}

impl InstanceRec {
    pub fn live(&self) -> bool {
        self.phase != Phase::Terminated
    }
    pub fn to_instance(&self, region: &str) -> Instance {
        let mut i = Instance::new(
            &self.id,
            &self.name,
            InstanceState::new(self.phase.portable(), self.phase.raw()),
        );
        i.size = self.size.clone();
        i.image = self.image.clone();
        i.region = region.to_string();
        i.zone = Some(self.zone.clone());
        i.subnet = self.subnet.clone();
        i.firewalls = self.firewalls.clone();
        i.private_ip = self.private_ip.clone();
        i.labels = self.labels.clone();
        i.created = Some(std::time::UNIX_EPOCH + Duration::from_millis(self.created_ms));
        i
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SimState {
    pub next_id: u64,
    pub instances: BTreeMap<String, InstanceRec>,
    pub networks: BTreeMap<String, Network>,
    pub subnets: BTreeMap<String, Subnet>,
    pub firewalls: BTreeMap<String, Firewall>,
}

impl SimState {
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:08x}", self.next_id)
    }

    /// Applies every transition due by `now_ms`.
    pub fn advance(&mut self, now_ms: u64, t: &Timings) {
        for i in self.instances.values_mut() {
            while let Some((next, after)) = i.phase.next(t) {
                let due = i.since_ms + after.as_millis() as u64;
                if now_ms < due {
                    break;
                }
                i.phase = next;
                i.since_ms = due;
            }
        }
    }

    /// The first free address of a subnet, skipping the network address, the next three
    /// (reserved, as on AWS) and the broadcast address.
    pub fn allocate_ip(&self, subnet: &Subnet) -> Option<String> {
        let used: std::collections::HashSet<&str> = self
            .instances
            .values()
            .filter(|i| i.live() && i.subnet.as_deref() == Some(&subnet.id))
            .filter_map(|i| i.private_ip.as_deref())
            .collect();
        let net: Ipv4Net = subnet.cidr;
        net.hosts()
            .skip(3)
            .take_while(|ip| *ip != net.broadcast())
            .map(|ip| ip.to_string())
            .find(|ip| !used.contains(ip.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Timings {
        Timings {
            boot: Duration::from_millis(100),
            stop: Duration::from_millis(50),
            reboot: Duration::from_millis(10),
            terminate: Duration::from_millis(20),
        }
    }

    #[test]
    fn transitions_follow_the_clock() {
        let mut s = SimState::default();
        s.instances.insert(
            "i".into(),
            InstanceRec {
                id: "i".into(),
                name: "n".into(),
                phase: Phase::Provisioning,
                since_ms: 1000,
                size: "s".into(),
                vcpus: 1,
                image: "img".into(),
                zone: "z".into(),
                subnet: None,
                firewalls: vec![],
                private_ip: None,
                labels: Default::default(),
                user_data: None,
                created_ms: 1000,
            },
        );
        s.advance(1099, &t());
        assert_eq!(s.instances["i"].phase, Phase::Provisioning);
        s.advance(1100, &t());
        assert_eq!(s.instances["i"].phase, Phase::Running);
        let i = s.instances.get_mut("i").unwrap();
        i.phase = Phase::ShuttingDown;
        i.since_ms = 2000;
        s.advance(5000, &t());
        assert_eq!(s.instances["i"].phase, Phase::Terminated);
        assert_eq!(s.instances["i"].to_instance("r").state.raw, "terminated");
    }
}
