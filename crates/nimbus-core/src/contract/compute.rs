//! [`Compute`] held to the portable contract.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use super::{check_id, ctx, Contract};
use crate::compute::*;
use crate::network::validate::validate_name;
use crate::request_id::with_token;
use crate::{Capability, ComputeCapabilities, Error, Result};

fn gate(caps: &ComputeCapabilities, cap: Capability) -> Result<()> {
    if caps.supports(cap) {
        Ok(())
    } else {
        Err(Error::unsupported(cap))
    }
}

#[async_trait]
impl<T: Compute + ?Sized> Compute for Contract<T> {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }
    fn capabilities(&self) -> ComputeCapabilities {
        self.inner.capabilities()
    }
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        self.inner.native()
    }

    async fn list_regions(&self) -> Result<Vec<Region>> {
        ctx(
            self.provider(),
            "list_regions",
            String::new,
            self.inner.list_regions().await,
        )
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        ctx(
            self.provider(),
            "list_sizes",
            String::new,
            self.inner.list_sizes().await,
        )
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        ctx(
            self.provider(),
            "list_images",
            String::new,
            self.inner.list_images().await,
        )
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        let r = async {
            validate_name("instance", &spec.name)?;
            if spec.user_data.is_some() {
                gate(&self.capabilities(), Capability::UserData)?;
            }
            if let Some(s) = &spec.subnet {
                check_id("subnet", s)?;
            }
            for f in &spec.firewalls {
                check_id("firewall", f)?;
            }
            // A token the caller chose may have been used by an earlier call (a restarted
            // job): its instance is the answer. A token made here is new, so nothing to find.
            let supplied = spec.request_id.is_some();
            let spec = with_token(spec)?;
            if supplied {
                if let Some(i) = find_created(&*self.inner, &spec).await? {
                    return Ok(i);
                }
            }
            self.inner.create_instance(&spec).await
        };
        ctx(self.provider(), "create_instance", || spec.name.clone(), r.await)
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        let r = async {
            check_id("instance", id)?;
            self.inner.get_instance(id).await
        };
        ctx(self.provider(), "get_instance", || id.into(), r.await)
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        ctx(
            self.provider(),
            "list_instances",
            String::new,
            self.inner.list_instances(filter).await,
        )
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        let r = async {
            gate(&self.capabilities(), Capability::InstanceStart)?;
            check_id("instance", id)?;
            self.inner.start_instance(id).await
        };
        ctx(self.provider(), "start_instance", || id.into(), r.await)
    }

    async fn stop_instance(&self, id: &str, mode: StopMode) -> Result<Instance> {
        let r = async {
            let caps = self.capabilities();
            match mode {
                StopMode::Deallocate => gate(&caps, Capability::InstanceDeallocate)?,
                _ => gate(&caps, Capability::InstanceStop)?,
            }
            check_id("instance", id)?;
            self.inner.stop_instance(id, mode).await
        };
        ctx(self.provider(), "stop_instance", || id.into(), r.await)
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        let r = async {
            gate(&self.capabilities(), Capability::InstanceReboot)?;
            check_id("instance", id)?;
            self.inner.reboot_instance(id).await
        };
        ctx(self.provider(), "reboot_instance", || id.into(), r.await)
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        let r = async {
            check_id("instance", id)?;
            self.inner.terminate_instance(id).await
        };
        ctx(self.provider(), "terminate_instance", || id.into(), r.await)
    }
}
