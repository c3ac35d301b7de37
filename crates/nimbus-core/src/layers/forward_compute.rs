//! [`Compute`] for [`Layered`].

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;

use super::{CallInfo, Interceptor, Layered};
use crate::compute::*;
use crate::{ComputeCapabilities, Result};

#[async_trait]
impl<T: Compute + ?Sized, I: Interceptor> Compute for Layered<T, I> {
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
        call!("compute", self, "list_regions", String::new(), true, |s| s
            .list_regions())
    }
    async fn list_sizes(&self) -> Result<Vec<Size>> {
        call!("compute", self, "list_sizes", String::new(), true, |s| s.list_sizes())
    }
    async fn list_images(&self) -> Result<Vec<Image>> {
        call!("compute", self, "list_images", String::new(), true, |s| s.list_images())
    }
    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        call!("compute", self, "create_instance", spec.name.clone(), false, |s| s
            .create_instance(spec))
    }
    async fn get_instance(&self, id: &str) -> Result<Instance> {
        call!("compute", self, "get_instance", id.to_string(), true, |s| s
            .get_instance(id))
    }
    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        call!("compute", self, "list_instances", String::new(), true, |s| s
            .list_instances(filter))
    }
    async fn start_instance(&self, id: &str) -> Result<Instance> {
        call!("compute", self, "start_instance", id.to_string(), false, |s| s
            .start_instance(id))
    }
    async fn stop_instance(&self, id: &str, mode: StopMode) -> Result<Instance> {
        call!("compute", self, "stop_instance", id.to_string(), false, |s| s
            .stop_instance(id, mode))
    }
    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        call!("compute", self, "reboot_instance", id.to_string(), false, |s| s
            .reboot_instance(id))
    }
    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        call!("compute", self, "terminate_instance", id.to_string(), true, |s| s
            .terminate_instance(id))
    }
}
