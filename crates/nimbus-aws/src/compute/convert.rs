//! EC2 shapes → portable ones.

use aws_sdk_ec2::types::{Instance as AwsInstance, InstanceStateName};
use nimbus_core::compute::{Instance, InstanceState, State};

use crate::ec2::name_and_labels;

/// EC2's six instance states (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html>)
/// in the portable enum; the raw name is always kept.
pub(crate) fn state(raw: Option<&InstanceStateName>) -> InstanceState {
    let raw = raw.map(|s| s.as_str()).unwrap_or("");
    let state = match raw {
        "pending" => State::Pending,
        "running" => State::Running,
        "stopping" => State::Stopping,
        "stopped" => State::Stopped,
        "shutting-down" => State::Terminating,
        "terminated" => State::Terminated,
        _ => State::Unknown,
    };
    InstanceState::new(state, if raw.is_empty() { "unknown" } else { raw })
}

/// An EC2 instance as a portable one (name = `Name` tag, labels = the other tags).
pub(crate) fn instance(i: &AwsInstance, region: &str) -> Instance {
    let (name, labels) = name_and_labels(i.tags());
    let id = i.instance_id().unwrap_or_default().to_string();
    let mut out = Instance::new(id.clone(), name.unwrap_or(id), state(i.state().and_then(|s| s.name())));
    out.size = i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default();
    out.image = i.image_id().unwrap_or_default().to_string();
    out.region = region.to_string();
    out.zone = i.placement().and_then(|p| p.availability_zone()).map(str::to_string);
    out.subnet = i.subnet_id().map(str::to_string);
    out.firewalls = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    out.private_ip = i.private_ip_address().map(str::to_string);
    out.public_ip = i.public_ip_address().map(str::to_string);
    out.labels = labels;
    out.created = i.launch_time().and_then(|t| std::time::SystemTime::try_from(*t).ok());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ec2_state_maps_and_keeps_its_raw_name() {
        for (raw, want) in [
            ("pending", State::Pending),
            ("running", State::Running),
            ("stopping", State::Stopping),
            ("stopped", State::Stopped),
            ("shutting-down", State::Terminating),
            ("terminated", State::Terminated),
        ] {
            let s = state(Some(&InstanceStateName::from(raw)));
            assert_eq!((s.state, s.raw.as_str()), (want, raw));
        }
        let odd = state(Some(&InstanceStateName::from("hibernating")));
        assert_eq!((odd.state, odd.raw.as_str()), (State::Unknown, "hibernating"));
    }
}
