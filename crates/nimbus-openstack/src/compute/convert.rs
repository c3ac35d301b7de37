//! Nova server JSON → portable [`Instance`], and Nova's statuses → portable [`State`].
//!
//! Why the task state matters: Nova reports `status` (the VM state, coarse) and
//! `OS-EXT-STS:task_state` (what is happening to it now). Right after `os-stop` a server is
//! still `ACTIVE`, with task state `powering-off`; only the pair says it is stopping. The raw
//! state kept on the instance is therefore `STATUS` or `STATUS/task-state`
//! (`ACTIVE/powering-off`), so nothing Nova said is lost.
//!
//! Why both flavor shapes: below microversion 2.47 a server names its flavor by id
//! (`{"id": "…", "links": …}`); from 2.47 on it carries a copy (`original_name`, `vcpus`,
//! `ram`, …) and no id. The portable size id is the flavor *name* (as `m1.tiny` is what
//! users know and what [`super::flavors`] lists), so the id shape is looked up by id.

use std::collections::BTreeMap;

use nimbus_core::compute::{Instance, InstanceState, State};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|x| !x.is_empty())
}

/// The portable state of a Nova `status` and task state, with the raw `STATUS[/task]`.
///
/// - `BUILD`, `REBUILD`, `REBOOT`, `HARD_REBOOT` → pending (it will run without another call);
/// - `ACTIVE` → running, but stopping while `powering-off` and terminating while `deleting`;
/// - `SHUTOFF` (and the legacy `STOPPED`) → stopped, but pending while `powering-on`;
/// - `SHELVED`, `SHELVED_OFFLOADED` (the portable deallocating stop) → stopped; stopping
///   while a `shelving*` task runs, pending while `unshelving`/`spawning`;
/// - `DELETED`, `SOFT_DELETED` → terminated;
/// - `ERROR` → stopped: the server does not run, still holds its quota and must be
///   terminated; a settled state, so a wait for running ends at once with `Conflict` naming
///   the raw `ERROR` instead of polling until its timeout (the fault itself is reported by
///   `create_instance`, see `compute/mod.rs`);
/// - anything else (`PAUSED`, `SUSPENDED`, `RESIZE`, `MIGRATING`, `RESCUE`, …) →
///   unknown: no portable meaning, the raw state says which.
pub fn state_of(status: &str, task: Option<&str>) -> InstanceState {
    let task = task.filter(|t| !t.is_empty());
    let raw = match task {
        Some(t) => format!("{status}/{t}"),
        None => status.to_string(),
    };
    let state = match (status.to_ascii_uppercase().as_str(), task) {
        (_, Some("deleting" | "soft-deleting")) => State::Terminating,
        ("BUILD" | "REBUILD" | "REBOOT" | "HARD_REBOOT", _) => State::Pending,
        ("ACTIVE", Some("powering-off")) => State::Stopping,
        (_, Some(t)) if t.starts_with("shelving") => State::Stopping,
        (
            "ACTIVE",
            Some(
                "reboot_pending"
                | "reboot_started"
                | "rebooting"
                | "rebooting_hard"
                | "reboot_pending_hard"
                | "reboot_started_hard",
            ),
        ) => State::Pending,
        ("ACTIVE", _) => State::Running,
        ("SHUTOFF" | "STOPPED" | "SHELVED" | "SHELVED_OFFLOADED", Some("powering-on" | "unshelving" | "spawning")) => {
            State::Pending
        }
        ("SHUTOFF" | "STOPPED", _) => State::Stopped,
        // Shelved: stopped with the host released (at once, or after `shelved_offload_time`).
        ("SHELVED" | "SHELVED_OFFLOADED", _) => State::Stopped,
        ("DELETED" | "SOFT_DELETED", _) => State::Terminated,
        ("ERROR", _) => State::Stopped,
        _ => State::Unknown,
    };
    InstanceState::new(state, raw)
}

/// The portable size id of a server's flavor: the inline `original_name` (2.47+), else the
/// name `flavor_name` gives for the flavor id, else the id itself (a deleted flavor).
pub fn size_of(server: &Value, flavor_name: &dyn Fn(&str) -> Option<String>) -> String {
    let f = server.get("flavor").unwrap_or(&Value::Null);
    if let Some(n) = s(f, "original_name") {
        return n.to_string();
    }
    match s(f, "id") {
        Some(id) => flavor_name(id).unwrap_or_else(|| id.to_string()),
        None => String::new(),
    }
}

/// What Neutron says about a server's ports (subnet, security groups), joined in by the
/// caller because the server body has neither ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortInfo {
    /// Subnet of the first fixed IPv4 address.
    pub subnet: Option<String>,
    /// That address.
    pub ip: Option<String>,
    /// Security group ids of the server's ports, in order, without repeats.
    pub security_groups: Vec<String>,
}

/// An instance from a server body (`GET /servers/{id}` or one of `/servers/detail`).
pub fn instance_of(
    server: &Value,
    region: &str,
    flavor_name: &dyn Fn(&str) -> Option<String>,
    ports: Option<&PortInfo>,
) -> Instance {
    let state = state_of(
        s(server, "status").unwrap_or("UNKNOWN"),
        s(server, "OS-EXT-STS:task_state"),
    );
    let mut i = Instance::new(
        s(server, "id").unwrap_or_default(),
        server.get("name").and_then(Value::as_str).unwrap_or_default(),
        state,
    );
    i.size = size_of(server, flavor_name);
    // Boot-from-volume servers have `"image": ""`.
    i.image = server
        .pointer("/image/id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    i.region = region.to_string();
    i.zone = s(server, "OS-EXT-AZ:availability_zone").map(str::to_string);
    i.labels = server
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    i.created = s(server, "created").and_then(nimbus_core::time::parse_rfc3339);
    let (fixed, floating) = addresses(server);
    i.private_ip = ports.and_then(|p| p.ip.clone()).or(fixed);
    i.public_ip = floating;
    if let Some(p) = ports {
        i.subnet = p.subnet.clone();
        i.firewalls = p.security_groups.clone();
    }
    i
}

/// The first fixed and the first floating IPv4 address of `addresses` (networks in name
/// order, as Nova returns them in a JSON object).
pub fn addresses(server: &Value) -> (Option<String>, Option<String>) {
    let mut fixed = None;
    let mut floating = None;
    let all = server.get("addresses").and_then(Value::as_object);
    for a in all
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_array)
        .flatten()
    {
        if a.get("version").and_then(Value::as_u64) != Some(4) {
            continue;
        }
        let addr = s(a, "addr").map(str::to_string);
        match s(a, "OS-EXT-IPS:type") {
            Some("floating") => floating = floating.or(addr),
            _ => fixed = fixed.or(addr),
        }
    }
    (fixed, floating)
}

/// The fault of a server in `ERROR` (`fault.message`, `fault.code`), if any.
pub fn fault_of(server: &Value) -> Option<(u64, String)> {
    let f = server.get("fault")?;
    Some((
        f.get("code").and_then(Value::as_u64).unwrap_or(500),
        s(f, "message").unwrap_or("no fault message").to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_map_with_task_state_and_keep_the_raw_pair() {
        let st = |status: &str, task: Option<&str>| {
            let s = state_of(status, task);
            (s.state, s.raw)
        };
        assert_eq!(
            st("BUILD", Some("scheduling")),
            (State::Pending, "BUILD/scheduling".into())
        );
        assert_eq!(st("ACTIVE", None), (State::Running, "ACTIVE".into()));
        assert_eq!(st("ACTIVE", Some("")), (State::Running, "ACTIVE".into()));
        assert_eq!(
            st("ACTIVE", Some("powering-off")),
            (State::Stopping, "ACTIVE/powering-off".into())
        );
        assert_eq!(st("ACTIVE", Some("deleting")).0, State::Terminating);
        assert_eq!(st("SHUTOFF", None), (State::Stopped, "SHUTOFF".into()));
        assert_eq!(st("SHUTOFF", Some("powering-on")).0, State::Pending);
        assert_eq!(st("REBOOT", Some("reboot_started")).0, State::Pending);
        assert_eq!(st("HARD_REBOOT", None).0, State::Pending);
        assert_eq!(st("DELETED", None).0, State::Terminated);
        assert_eq!(st("SOFT_DELETED", None).0, State::Terminated);
        assert_eq!(st("ERROR", None), (State::Stopped, "ERROR".into()));
        assert_eq!(st("PAUSED", None).0, State::Unknown);
        assert_eq!(st("RESIZE", Some("resize_prep")).0, State::Unknown);
        assert_eq!(st("ACTIVE", Some("shelving_image_uploading")).0, State::Stopping);
        assert_eq!(st("SHUTOFF", Some("shelving_offloading")).0, State::Stopping);
        assert_eq!(
            st("SHELVED_OFFLOADED", None),
            (State::Stopped, "SHELVED_OFFLOADED".into())
        );
        assert_eq!(st("SHELVED", None).0, State::Stopped);
        assert_eq!(st("SHELVED_OFFLOADED", Some("unshelving")).0, State::Pending);
        assert_eq!(st("ACTIVE", Some("reboot_started_hard")).0, State::Pending);
    }

    fn server(flavor: Value) -> Value {
        json!({
            "id": "9168b536-cd40-4630-b43f-b259807c6e87", "name": "web-1",
            "status": "ACTIVE", "OS-EXT-STS:task_state": null,
            "OS-EXT-AZ:availability_zone": "nova",
            "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": []},
            "flavor": flavor,
            "metadata": {"team": "qa-1", "nimbus-conformance": "run1"},
            "created": "2026-12-01T12:00:00Z",
            "addresses": {"private": [
                {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed"},
                {"addr": "10.42.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
                {"addr": "203.0.113.9", "version": 4, "OS-EXT-IPS:type": "floating"}
            ]}
        })
    }

    #[test]
    fn server_bodies_of_both_flavor_shapes_convert() {
        let names = |id: &str| (id == "1").then(|| "m1.tiny".to_string());
        // Before 2.47: the flavor by id.
        let old = instance_of(&server(json!({"id": "1", "links": []})), "RegionOne", &names, None);
        // 2.47 and later: the flavor inline, no id.
        let new = instance_of(
            &server(json!({"original_name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "extra_specs": {}})),
            "RegionOne",
            &|_: &str| None,
            None,
        );
        assert_eq!(old, new);
        assert_eq!(new.size, "m1.tiny");
        assert_eq!(new.image, "70a599e0-31e7-49b7-b260-868f441e862b");
        assert_eq!((new.region.as_str(), new.zone.as_deref()), ("RegionOne", Some("nova")));
        assert_eq!(new.labels.get("team").map(String::as_str), Some("qa-1"));
        assert_eq!(new.private_ip.as_deref(), Some("10.42.0.5"));
        assert_eq!(new.public_ip.as_deref(), Some("203.0.113.9"));
        assert!(new.created.is_some());
        assert_eq!(new.state.state, State::Running);
        // An unknown (deleted) flavor id stays the id.
        let gone = instance_of(&server(json!({"id": "42"})), "R", &names, None);
        assert_eq!(gone.size, "42");
        // Ports add the subnet and the security group ids.
        let p = PortInfo {
            subnet: Some("sub-1".into()),
            ip: Some("10.42.0.5".into()),
            security_groups: vec!["sg-1".into()],
        };
        let with = instance_of(&server(json!({"id": "1"})), "R", &names, Some(&p));
        assert_eq!(
            (with.subnet.as_deref(), with.firewalls.clone()),
            (Some("sub-1"), vec!["sg-1".to_string()])
        );
    }

    #[test]
    fn building_servers_and_faults() {
        let b = json!({"id": "x", "name": "n", "status": "BUILD", "OS-EXT-STS:task_state": "scheduling",
                       "OS-EXT-AZ:availability_zone": "", "image": "", "flavor": {"original_name": "m1.tiny"},
                       "metadata": {}, "addresses": {}});
        let i = instance_of(&b, "R", &|_: &str| None, None);
        assert_eq!(
            (i.state.state, i.zone.clone(), i.image.clone()),
            (State::Pending, None, String::new())
        );
        let e = json!({"status": "ERROR", "fault": {"code": 500, "message": "No valid host was found. "}});
        assert_eq!(fault_of(&e), Some((500, "No valid host was found. ".into())));
        assert_eq!(fault_of(&b), None);
    }
}
