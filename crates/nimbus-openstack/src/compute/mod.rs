//! [`Compute`] for the new cloud: instances, sizes, images, regions. Map the cloud's states to
//! [`State`] keeping the raw state ([`InstanceState::new`]); declare start/stop/reboot/user
//! data in [`compute_capabilities`] as they work.

use async_trait::async_trait;
use nimbus_core::compute::*;
use nimbus_core::{Capability, ComputeCapabilities, Error, Result};

use crate::client::Session;
use crate::config::OpenStackConfig;
use crate::error::not_implemented;

const PROVIDER: &str = "openstack-nova";

/// What Swift declares (nothing until implemented).
pub fn compute_capabilities() -> ComputeCapabilities {
    ComputeCapabilities::none()
}

/// Virtual machines of the new cloud.
#[derive(Debug, Clone)]
pub struct NovaCompute {
    session: Session,
}

impl NovaCompute {
    /// From a resolved config.
    pub fn connect(cfg: &OpenStackConfig) -> Result<Self> {
        Ok(NovaCompute {
            session: Session::shared(cfg)?,
        })
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

fn todo(op: &'static str) -> Error {
    not_implemented(PROVIDER, op)
}

#[async_trait]
impl Compute for NovaCompute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        compute_capabilities()
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        Err(todo("list_regions"))
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        Err(todo("list_sizes"))
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        Err(todo("list_images"))
    }

    async fn create_instance(&self, _spec: &InstanceSpec) -> Result<Instance> {
        Err(todo("create_instance"))
    }

    async fn get_instance(&self, _id: &str) -> Result<Instance> {
        Err(todo("get_instance"))
    }

    async fn list_instances(&self, _filter: &InstanceFilter) -> Result<Vec<Instance>> {
        Err(todo("list_instances"))
    }

    async fn start_instance(&self, _id: &str) -> Result<Instance> {
        Err(Error::unsupported(Capability::InstanceStart))
    }

    async fn stop_instance(&self, _id: &str, mode: StopMode) -> Result<Instance> {
        Err(Error::unsupported(match mode {
            StopMode::Deallocate => Capability::InstanceDeallocate,
            _ => Capability::InstanceStop,
        }))
    }

    async fn reboot_instance(&self, _id: &str) -> Result<Instance> {
        Err(Error::unsupported(Capability::InstanceReboot))
    }

    async fn terminate_instance(&self, _id: &str) -> Result<Instance> {
        Err(todo("terminate_instance"))
    }
}
