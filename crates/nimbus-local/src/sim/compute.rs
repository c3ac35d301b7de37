//! [`Compute`] on the simulator.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use nimbus_core::compute::*;
use nimbus_core::network::validate::validate_name;
use nimbus_core::{ComputeCapabilities, Error, ErrorKind, Result};

use super::state::{InstanceRec, Phase};
use super::{catalog, SimCloud};

const PROVIDER: &str = "local";
/// Largest user data accepted (AWS's limit).
pub const MAX_USER_DATA: usize = 16 * 1024;

/// Simulated virtual machines.
#[derive(Debug, Clone)]
pub struct LocalCompute {
    cloud: Arc<SimCloud>,
}

fn incorrect_state(id: &str, op: &str, phase: Phase) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("cannot {op} instance in state `{}`", phase.raw()),
    )
    .with_raw_code("IncorrectInstanceState")
    .with_resource(id)
}

fn instance_not_found(id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("instance `{id}` does not exist"))
        .with_raw_code("InvalidInstanceID.NotFound")
        .with_resource(id)
}

/// Checks labels: keys 1–63 of `a-z0-9_-` starting with a letter, values up to 63 of the
/// same (GCP's rules, the strictest).
pub fn validate_labels(labels: &std::collections::BTreeMap<String, String>) -> Result<()> {
    let ok = |s: &str| {
        s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    for (k, v) in labels {
        if k.is_empty() || !k.as_bytes()[0].is_ascii_lowercase() || !ok(k) {
            return Err(Error::invalid(format!(
                "label key `{}`: use 1-63 of a-z, 0-9, _ and -, starting with a letter",
                k.escape_debug()
            )));
        }
        if !ok(v) {
            return Err(Error::invalid(format!(
                "label `{k}` value `{}`: use up to 63 of a-z, 0-9, _ and -",
                v.escape_debug()
            )));
        }
    }
    Ok(())
}

impl LocalCompute {
    pub(crate) fn new(cloud: Arc<SimCloud>) -> Self {
        LocalCompute { cloud }
    }

    /// The simulator behind this view.
    pub fn cloud(&self) -> &Arc<SimCloud> {
        &self.cloud
    }

    async fn transition(
        &self,
        op: &'static str,
        id: &str,
        f: fn(Phase) -> std::result::Result<Option<Phase>, ()>,
    ) -> Result<Instance> {
        let id = id.to_string();
        let id2 = id.clone();
        self.cloud
            .transact(move |s, o, now| {
                let i = s.instances.get_mut(&id).ok_or_else(|| instance_not_found(&id))?;
                match f(i.phase) {
                    Ok(Some(next)) => {
                        i.phase = next;
                        i.since_ms = now;
                    }
                    Ok(None) => {}
                    Err(()) => return Err(incorrect_state(&id, op.trim_end_matches("_instance"), i.phase)),
                }
                Ok(i.to_instance(&o.region))
            })
            .await
            .map_err(|e| e.context(PROVIDER, op, || id2))
    }
}

#[async_trait]
impl Compute for LocalCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        let o = self.cloud.options();
        let mut c = ComputeCapabilities::none();
        c.start = true;
        c.stop = true;
        c.stop_keeps_billing = false;
        c.deallocate = true;
        c.reboot = true;
        c.user_data = true;
        c.server_side_label_filter = true;
        c.image_aliases = catalog::aliases();
        c.max_instances = Some(o.max_instances);
        c.max_vcpus = Some(o.max_vcpus);
        c
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(self.cloud.clone())
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        let o = self.cloud.options();
        Ok(vec![Region::new(o.region.clone(), o.zones.clone())])
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        Ok(catalog::sizes())
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        Ok(catalog::images())
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        let spec = spec.clone();
        let name = spec.name.clone();
        self.cloud
            .transact(move |s, o, now| {
                validate_name("instance", &spec.name)?;
                validate_labels(&spec.labels)?;
                if spec.user_data.as_ref().is_some_and(|u| u.len() > MAX_USER_DATA) {
                    return Err(Error::invalid(format!(
                        "user data is larger than {MAX_USER_DATA} bytes"
                    )));
                }
                if s.instances.values().any(|i| i.live() && i.name == spec.name) {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("an instance named `{}` exists", spec.name),
                    )
                    .with_raw_code("InstanceNameInUse"));
                }
                let size = pick_size(&catalog::sizes(), &spec.size)?;
                let image = catalog::images()
                    .into_iter()
                    .find(|i| match &spec.image {
                        ImageChoice::Alias(a) => i.aliases.contains(a),
                        ImageChoice::Id(id) => &i.id == id,
                        _ => false,
                    })
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "unknown image {:?}; aliases here: {}",
                            spec.image,
                            catalog::aliases().join(", ")
                        ))
                        .with_raw_code("InvalidAMIID.NotFound")
                    })?;
                let subnet = match &spec.subnet {
                    Some(id) => Some(s.subnets.get(id).cloned().ok_or_else(|| {
                        Error::new(ErrorKind::NotFound, format!("subnet `{id}` does not exist"))
                            .with_raw_code("InvalidSubnetID.NotFound")
                            .with_resource(id.clone())
                    })?),
                    None => None,
                };
                let zone = match (&spec.zone, &subnet) {
                    (Some(z), _) if !o.zones.contains(z) => {
                        return Err(Error::invalid(format!(
                            "unknown zone `{z}`; zones here: {}",
                            o.zones.join(", ")
                        )))
                    }
                    (Some(z), Some(sn)) if sn.zone.as_ref() != Some(z) => {
                        return Err(Error::invalid(format!(
                            "zone `{z}` differs from subnet `{}`'s zone `{}`",
                            sn.id,
                            sn.zone.clone().unwrap_or_default()
                        )))
                    }
                    (Some(z), _) => z.clone(),
                    (None, Some(sn)) => sn.zone.clone().unwrap_or_else(|| o.zones[0].clone()),
                    (None, None) => o.zones[0].clone(),
                };
                for fw in &spec.firewalls {
                    let f = s.firewalls.get(fw).ok_or_else(|| {
                        Error::new(ErrorKind::NotFound, format!("firewall `{fw}` does not exist"))
                            .with_raw_code("InvalidGroup.NotFound")
                            .with_resource(fw.clone())
                    })?;
                    match &subnet {
                        None => return Err(Error::invalid("firewalls need a subnet: give the instance a subnet")),
                        Some(sn) if sn.network != f.network => {
                            return Err(Error::invalid(format!(
                                "firewall `{fw}` belongs to network `{}`, the subnet to `{}`",
                                f.network, sn.network
                            )))
                        }
                        _ => {}
                    }
                }
                let live: Vec<&InstanceRec> = s.instances.values().filter(|i| i.live()).collect();
                if live.len() as u32 >= o.max_instances {
                    return Err(Error::new(
                        ErrorKind::QuotaExceeded,
                        format!("instance quota of {} reached", o.max_instances),
                    )
                    .with_raw_code("InstanceLimitExceeded"));
                }
                let vcpus: u32 = live.iter().map(|i| i.vcpus).sum();
                if vcpus + size.vcpus > o.max_vcpus {
                    return Err(Error::new(
                        ErrorKind::QuotaExceeded,
                        format!(
                            "vCPU quota of {} would be exceeded ({vcpus} in use, {} asked)",
                            o.max_vcpus, size.vcpus
                        ),
                    )
                    .with_raw_code("VcpuLimitExceeded"));
                }
                let private_ip = match &subnet {
                    Some(sn) => Some(s.allocate_ip(sn).ok_or_else(|| {
                        Error::new(
                            ErrorKind::CapacityUnavailable,
                            format!("subnet `{}` has no free address", sn.id),
                        )
                        .with_raw_code("InsufficientFreeAddressesInSubnet")
                    })?),
                    None => None,
                };
                let mut firewalls: Vec<String> = Vec::new();
                for f in &spec.firewalls {
                    if !firewalls.contains(f) {
                        firewalls.push(f.clone());
                    }
                }
                let rec = InstanceRec {
                    id: s.new_id("i"),
                    name: spec.name.clone(),
                    phase: Phase::Provisioning,
                    since_ms: now,
                    size: size.id.clone(),
                    vcpus: size.vcpus,
                    image: image.id.clone(),
                    zone,
                    subnet: subnet.map(|s| s.id),
                    firewalls,
                    private_ip,
                    labels: spec.labels.clone(),
                    user_data: spec.user_data.clone(),
                    created_ms: now,
                };
                let out = rec.to_instance(&o.region);
                s.instances.insert(rec.id.clone(), rec);
                Ok(out)
            })
            .await
            .map_err(|e| e.context(PROVIDER, "create_instance", || name))
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        let id = id.to_string();
        let id2 = id.clone();
        self.cloud
            .transact(move |s, o, _| {
                s.instances
                    .get(&id)
                    .map(|i| i.to_instance(&o.region))
                    .ok_or_else(|| instance_not_found(&id))
            })
            .await
            .map_err(|e| e.context(PROVIDER, "get_instance", || id2))
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        let filter = filter.clone();
        self.cloud
            .transact(move |s, o, _| {
                Ok(s.instances
                    .values()
                    .map(|i| i.to_instance(&o.region))
                    .filter(|i| filter.matches(i))
                    .collect())
            })
            .await
            .map_err(|e| e.context(PROVIDER, "list_instances", String::new))
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        self.transition("start_instance", id, |p| match p {
            Phase::Stopped => Ok(Some(Phase::Starting)),
            Phase::Running | Phase::Starting | Phase::Provisioning | Phase::Rebooting => Ok(None),
            _ => Err(()),
        })
        .await
    }

    async fn stop_instance(&self, id: &str, _mode: StopMode) -> Result<Instance> {
        // Local instances bill nothing, so a plain stop and a deallocation are the same.
        self.transition("stop_instance", id, |p| match p {
            Phase::Running | Phase::Rebooting => Ok(Some(Phase::Stopping)),
            Phase::Stopping | Phase::Stopped => Ok(None),
            _ => Err(()),
        })
        .await
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        self.transition("reboot_instance", id, |p| match p {
            Phase::Running => Ok(Some(Phase::Rebooting)),
            Phase::Rebooting => Ok(None),
            _ => Err(()),
        })
        .await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        self.transition("terminate_instance", id, |p| match p {
            Phase::Terminated | Phase::ShuttingDown => Ok(None),
            _ => Ok(Some(Phase::ShuttingDown)),
        })
        .await
    }
}
