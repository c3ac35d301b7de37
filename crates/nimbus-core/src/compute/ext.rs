//! Waits and size resolution on top of the [`Compute`] calls.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::time::Instant;

use super::{Compute, Instance, InstanceState, Size, SizeChoice, State};
use crate::{Error, ErrorKind, Result};

/// How [`ComputeExt::wait_for_state`] polls.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long with [`ErrorKind::Timeout`].
    pub timeout: Duration,
    /// First poll interval; grows ×1.5 up to `max_interval`.
    pub interval: Duration,
    /// Longest poll interval.
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(600),
            interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(10),
        }
    }
}

impl WaitOptions {
    /// Options with a timeout.
    pub fn timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout,
            ..Default::default()
        }
    }
    /// Sets the first poll interval.
    pub fn interval(mut self, i: Duration) -> Self {
        self.interval = i;
        self.max_interval = self.max_interval.max(i);
        self
    }
}

/// Picks the size a [`SizeChoice`] means from a catalogue.
///
/// Requirements pick the smallest size that satisfies them: fewest vCPUs, then least memory,
/// then the id, so the choice is deterministic across calls.
pub fn pick_size(sizes: &[Size], choice: &SizeChoice) -> Result<Size> {
    match choice {
        SizeChoice::Id(id) => sizes
            .iter()
            .find(|s| &s.id == id)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("unknown size `{id}`")).with_resource(id.clone())),
        SizeChoice::Requirements {
            min_vcpus,
            min_memory_mib,
        } => sizes
            .iter()
            .filter(|s| s.vcpus >= *min_vcpus && s.memory_mib >= *min_memory_mib)
            .min_by(|a, b| (a.vcpus, a.memory_mib, &a.id).cmp(&(b.vcpus, b.memory_mib, &b.id)))
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::CapacityUnavailable,
                    format!("no size has at least {min_vcpus} vCPUs and {min_memory_mib} MiB"),
                )
            }),
    }
}

/// Conveniences for every [`Compute`].
pub trait ComputeExt: Compute {
    /// Polls until the instance reaches `target`, fails if it settles elsewhere
    /// (`Conflict`), or gives up at the deadline (`Timeout`, naming the last state seen).
    ///
    /// Waiting for [`State::Terminated`], an instance the provider no longer knows
    /// (`get_instance` answers `NotFound`) is terminated: that is the portable rule, because
    /// providers such as Azure and Compute Engine forget a deleted instance at once while
    /// AWS keeps it listed as `terminated` for a while. The instance returned then carries
    /// only the id as given, its last path segment as the name, and the raw state
    /// `not found`. For any other target `NotFound` is an error, as before.
    fn wait_for_state<'a>(
        &'a self,
        id: &'a str,
        target: State,
        options: WaitOptions,
    ) -> BoxFuture<'a, Result<Instance>> {
        self.wait_for_state_with(id, target, options, |_| {})
    }

    /// As [`ComputeExt::wait_for_state`], calling `on_poll` with each state seen (for progress).
    fn wait_for_state_with<'a, F: FnMut(&Instance) + Send + 'a>(
        &'a self,
        id: &'a str,
        target: State,
        options: WaitOptions,
        mut on_poll: F,
    ) -> BoxFuture<'a, Result<Instance>> {
        async move {
            let deadline = Instant::now() + options.timeout;
            let mut interval = options.interval;
            loop {
                let inst = match self.get_instance(id).await {
                    Ok(inst) => inst,
                    Err(e) if target == State::Terminated && e.kind() == ErrorKind::NotFound => gone(id),
                    Err(e) => return Err(e),
                };
                on_poll(&inst);
                let s = inst.state.state;
                if s == target {
                    return Ok(inst);
                }
                if s.is_settled() && !reachable(s, target) {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "instance settled in `{s}` (raw `{}`) while waiting for `{target}`",
                            inst.state.raw
                        ),
                    )
                    .with_provider(self.provider())
                    .with_operation("wait_for_state")
                    .with_resource(id));
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "still `{s}` (raw `{}`) after {:?}, waiting for `{target}`",
                            inst.state.raw, options.timeout
                        ),
                    )
                    .with_provider(self.provider())
                    .with_operation("wait_for_state")
                    .with_resource(id));
                }
                tokio::time::sleep(interval.min(deadline - now)).await;
                interval = (interval.mul_f32(1.5)).min(options.max_interval);
            }
        }
        .boxed()
    }

    /// The size a choice resolves to on this provider.
    fn resolve_size<'a>(&'a self, choice: &'a SizeChoice) -> BoxFuture<'a, Result<Size>> {
        async move { pick_size(&self.list_sizes().await?, choice) }.boxed()
    }

    /// The native client, if of type `T`.
    fn native_as<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.native().and_then(|n| n.downcast::<T>().ok())
    }
}

impl<T: Compute + ?Sized> ComputeExt for T {}

/// A terminated instance the provider no longer knows: the id as given, its last path
/// segment as the name (the name on Azure and Compute Engine, the id elsewhere).
fn gone(id: &str) -> Instance {
    let name = id.rsplit('/').next().unwrap_or(id);
    Instance::new(id, name, InstanceState::new(State::Terminated, "not found"))
}

/// Whether a settled state can still become `target` without a call: only a settled state
/// that is the target counts, so any other settled state ends the wait.
fn reachable(from: State, target: State) -> bool {
    from == target
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::capability::ComputeCapabilities;
    use crate::compute::{Image, InstanceFilter, InstanceSpec, Region, StopMode};

    /// A provider whose `get_instance` answers from a script; nothing else is called.
    #[derive(Debug)]
    struct Scripted(Mutex<Vec<Result<Instance>>>);

    fn unused<T>() -> Result<T> {
        Err(Error::internal("not called by wait_for_state"))
    }

    #[async_trait]
    impl Compute for Scripted {
        fn provider(&self) -> &'static str {
            "scripted"
        }
        fn capabilities(&self) -> ComputeCapabilities {
            ComputeCapabilities::none()
        }
        async fn list_regions(&self) -> Result<Vec<Region>> {
            unused()
        }
        async fn list_sizes(&self) -> Result<Vec<Size>> {
            unused()
        }
        async fn list_images(&self) -> Result<Vec<Image>> {
            unused()
        }
        async fn create_instance(&self, _: &InstanceSpec) -> Result<Instance> {
            unused()
        }
        async fn get_instance(&self, _: &str) -> Result<Instance> {
            self.0.lock().unwrap().remove(0)
        }
        async fn list_instances(&self, _: &InstanceFilter) -> Result<Vec<Instance>> {
            unused()
        }
        async fn start_instance(&self, _: &str) -> Result<Instance> {
            unused()
        }
        async fn stop_instance(&self, _: &str, _: StopMode) -> Result<Instance> {
            unused()
        }
        async fn reboot_instance(&self, _: &str) -> Result<Instance> {
            unused()
        }
        async fn terminate_instance(&self, _: &str) -> Result<Instance> {
            unused()
        }
    }

    fn at(state: State, raw: &str) -> Result<Instance> {
        Ok(Instance::new("zone/vm-1", "vm-1", InstanceState::new(state, raw)))
    }

    fn not_found() -> Result<Instance> {
        Err(Error::new(ErrorKind::NotFound, "no such instance"))
    }

    #[tokio::test(start_paused = true)]
    async fn a_vanished_instance_is_terminated_when_waiting_for_terminated() {
        let c = Scripted(Mutex::new(vec![at(State::Terminating, "DEPROVISIONING"), not_found()]));
        let i = c
            .wait_for_state("zone/vm-1", State::Terminated, WaitOptions::default())
            .await
            .unwrap();
        assert_eq!((i.id.as_str(), i.name.as_str()), ("zone/vm-1", "vm-1"));
        assert_eq!((i.state.state, i.state.raw.as_str()), (State::Terminated, "not found"));
        // Gone before the first poll, too.
        let c = Scripted(Mutex::new(vec![not_found()]));
        let i = c
            .wait_for_state("vm-1", State::Terminated, WaitOptions::default())
            .await
            .unwrap();
        assert_eq!((i.id.as_str(), i.state.state), ("vm-1", State::Terminated));
    }

    #[tokio::test(start_paused = true)]
    async fn a_vanished_instance_is_not_found_for_any_other_target() {
        let c = Scripted(Mutex::new(vec![at(State::Pending, "STAGING"), not_found()]));
        let e = c
            .wait_for_state("zone/vm-1", State::Running, WaitOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let c = Scripted(Mutex::new(vec![not_found()]));
        let e = c
            .wait_for_state("zone/vm-1", State::Stopped, WaitOptions::default())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    fn cat() -> Vec<Size> {
        vec![
            Size::new("big", 8, 32768),
            Size::new("small", 1, 1024),
            Size::new("medium", 2, 4096),
            Size::new("medium-mem", 2, 8192),
        ]
    }

    #[test]
    fn picks_smallest_satisfying() {
        let s = pick_size(
            &cat(),
            &SizeChoice::Requirements {
                min_vcpus: 2,
                min_memory_mib: 5000,
            },
        )
        .unwrap();
        assert_eq!(s.id, "medium-mem");
        let s = pick_size(
            &cat(),
            &SizeChoice::Requirements {
                min_vcpus: 1,
                min_memory_mib: 0,
            },
        )
        .unwrap();
        assert_eq!(s.id, "small");
    }

    #[test]
    fn impossible_requirements_and_unknown_id() {
        let e = pick_size(
            &cat(),
            &SizeChoice::Requirements {
                min_vcpus: 64,
                min_memory_mib: 0,
            },
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CapacityUnavailable);
        let e = pick_size(&cat(), &SizeChoice::Id("nope".into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
