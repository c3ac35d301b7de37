//! ARM virtual machine JSON → portable types.

use std::time::SystemTime;

use nimbus_core::compute::{Instance, InstanceState, Size, State};
use serde_json::Value;

use crate::network::tags_of;

/// Tags Nimbus sets for itself, hidden from the portable labels.
pub(crate) const INTERNAL_TAGS: &[&str] = &["nimbus-nic", "nimbus-public-ip"];

fn str_at<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

/// The portable state from an instance view's `statuses` (`PowerState/…` and
/// `ProvisioningState/…` codes), keeping the raw code. Stopped covers both `stopped` (still
/// billed) and `deallocated` (not billed); the raw state tells them apart.
pub(crate) fn state_of(view: &Value) -> InstanceState {
    let codes: Vec<&str> = view
        .get("statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("code").and_then(Value::as_str))
        .collect();
    let power = codes.iter().find(|c| c.starts_with("PowerState/"));
    let prov = codes.iter().find(|c| c.starts_with("ProvisioningState/"));
    let state = match (prov.copied(), power.copied()) {
        (Some("ProvisioningState/deleting"), _) => State::Terminating,
        (_, Some("PowerState/starting")) => State::Pending,
        (_, Some("PowerState/running")) => State::Running,
        (_, Some("PowerState/stopping" | "PowerState/deallocating")) => State::Stopping,
        (_, Some("PowerState/stopped" | "PowerState/deallocated")) => State::Stopped,
        (Some("ProvisioningState/creating" | "ProvisioningState/updating"), None) => State::Pending,
        _ => State::Unknown,
    };
    let raw = power.or(prov).copied().unwrap_or("unknown");
    InstanceState::new(state, raw)
}

/// `publisher:offer:sku:version` (the Azure CLI's URN form) or the image resource id.
pub(crate) fn image_of(vm: &Value) -> String {
    let r = vm.pointer("/properties/storageProfile/imageReference");
    match r {
        Some(r) if r.get("publisher").is_some() => format!(
            "{}:{}:{}:{}",
            str_at(r, "/publisher").unwrap_or_default(),
            str_at(r, "/offer").unwrap_or_default(),
            str_at(r, "/sku").unwrap_or_default(),
            str_at(r, "/version").unwrap_or("latest")
        ),
        Some(r) => str_at(r, "/id").unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// An instance from the VM, its instance view and (if known) its primary NIC and public IP.
pub(crate) fn instance_of(vm: &Value, view: &Value, nic: Option<&Value>, public_ip: Option<&Value>) -> Instance {
    let mut labels = tags_of(vm);
    labels.retain(|k, _| !INTERNAL_TAGS.contains(&k.as_str()));
    let mut i = Instance::new(
        str_at(vm, "/id").unwrap_or_default(),
        str_at(vm, "/name").unwrap_or_default(),
        state_of(view),
    );
    i.size = str_at(vm, "/properties/hardwareProfile/vmSize")
        .unwrap_or_default()
        .to_string();
    i.image = image_of(vm);
    i.region = str_at(vm, "/location").unwrap_or_default().to_string();
    i.zone = str_at(vm, "/zones/0").map(str::to_string);
    i.labels = labels;
    i.created = str_at(vm, "/properties/timeCreated")
        .and_then(|t| azure_core::time::parse_rfc3339(t).ok())
        .map(SystemTime::from);
    if let Some(nic) = nic {
        let ipc = nic.pointer("/properties/ipConfigurations/0/properties");
        i.subnet = ipc.and_then(|c| str_at(c, "/subnet/id")).map(str::to_string);
        i.private_ip = ipc.and_then(|c| str_at(c, "/privateIPAddress")).map(str::to_string);
        i.firewalls = str_at(nic, "/properties/networkSecurityGroup/id")
            .map(|f| vec![f.to_string()])
            .unwrap_or_default();
    }
    i.public_ip = public_ip
        .and_then(|p| str_at(p, "/properties/ipAddress"))
        .map(str::to_string);
    i
}

/// A VM size from a resource SKU (`vCPUs`, `MemoryGB` capabilities), unless the SKU is
/// restricted for this subscription in `location`.
pub(crate) fn size_of(sku: &Value, location: &str) -> Option<Size> {
    if str_at(sku, "/resourceType") != Some("virtualMachines") {
        return None;
    }
    let restricted = sku
        .get("restrictions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| {
            str_at(r, "/type") == Some("Location")
                && r.pointer("/restrictionInfo/locations")
                    .and_then(Value::as_array)
                    .is_none_or(|l| {
                        l.iter()
                            .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(location)))
                    })
        });
    if restricted {
        return None;
    }
    let cap = |n: &str| {
        sku.get("capabilities")?
            .as_array()?
            .iter()
            .find(|c| str_at(c, "/name") == Some(n))
            .and_then(|c| str_at(c, "/value"))
    };
    let vcpus: u32 = cap("vCPUs")?.parse().ok()?;
    let mem_gb: f64 = cap("MemoryGB")?.parse().ok()?;
    Some(Size::new(
        str_at(sku, "/name")?,
        vcpus,
        (mem_gb * 1024.0).round() as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_keep_the_raw_code_and_tell_deallocated_apart() {
        let v = |codes: &[&str]| json!({"statuses": codes.iter().map(|c| json!({"code": c})).collect::<Vec<_>>()});
        let s = state_of(&v(&["ProvisioningState/succeeded", "PowerState/deallocated"]));
        assert_eq!((s.state, s.raw.as_str()), (State::Stopped, "PowerState/deallocated"));
        let s = state_of(&v(&["ProvisioningState/succeeded", "PowerState/stopped"]));
        assert_eq!((s.state, s.raw.as_str()), (State::Stopped, "PowerState/stopped"));
        assert_eq!(state_of(&v(&["ProvisioningState/creating"])).state, State::Pending);
        assert_eq!(
            state_of(&v(&["ProvisioningState/deleting", "PowerState/running"])).state,
            State::Terminating
        );
    }
}
