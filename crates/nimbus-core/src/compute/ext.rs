//! Waits and size resolution on top of the [`Compute`] calls.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::time::Instant;

use super::{Compute, Instance, Size, SizeChoice, State};
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
                let inst = self.get_instance(id).await?;
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

/// Whether a settled state can still become `target` without a call: only a settled state
/// that is the target counts, so any other settled state ends the wait.
fn reachable(from: State, target: State) -> bool {
    from == target
}

#[cfg(test)]
mod tests {
    use super::*;

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
