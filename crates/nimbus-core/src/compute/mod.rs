//! Virtual machines: instances, sizes, images, regions and zones.
//!
//! The model is Libcloud's (nodes, sizes, images, locations) with a portable [`State`] that
//! always keeps the provider's raw state string, because the portable enum is lossy by design
//! (Azure's `deallocated` and `stopped` are both [`State::Stopped`]).

mod ext;
mod request_id;
mod types;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use crate::capability::ComputeCapabilities;
use crate::Result;

pub use crate::request_id::{check_request_id, new_request_id, REQUEST_ID_LABEL};
pub use ext::{pick_size, ComputeExt, WaitOptions};
pub(crate) use request_id::find_created;
pub use types::*;

/// Compute: one method per provider round trip; waits and size resolution live in
/// [`ComputeExt`].
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Compute: Send + Sync + std::fmt::Debug {
    /// Provider name, e.g. `local`, `aws-ec2`.
    fn provider(&self) -> &'static str;

    /// Declared capabilities.
    fn capabilities(&self) -> ComputeCapabilities;

    /// The native client (Go CDK's `As`).
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }

    /// Regions and their zones.
    async fn list_regions(&self) -> Result<Vec<Region>>;

    /// Sizes offered in the configured region.
    async fn list_sizes(&self) -> Result<Vec<Size>>;

    /// Images, with the portable aliases that resolve to them.
    async fn list_images(&self) -> Result<Vec<Image>>;

    /// Creates (and boots) an instance. Safe to retry only with a request id
    /// ([`InstanceSpec::request_id`]), which the contract adds: the layers then look for the
    /// instance an earlier attempt made before creating again. An adapter sends the token
    /// where its cloud takes one and keeps the spec's labels.
    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance>;

    /// One instance; `NotFound` if absent.
    async fn get_instance(&self, id: &str) -> Result<Instance>;

    /// Instances passing the filter.
    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>>;

    /// Starts a stopped instance; `Conflict` from a state that cannot start.
    async fn start_instance(&self, id: &str) -> Result<Instance>;

    /// Stops a running instance; `Conflict` from a state that cannot stop.
    async fn stop_instance(&self, id: &str, mode: StopMode) -> Result<Instance>;

    /// Reboots a running instance.
    async fn reboot_instance(&self, id: &str) -> Result<Instance>;

    /// Terminates an instance; succeeds if it is already terminated.
    async fn terminate_instance(&self, id: &str) -> Result<Instance>;
}
