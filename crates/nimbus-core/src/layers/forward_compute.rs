//! [`Compute`] for [`Layered`].

use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::{CallInfo, Interceptor, Layered};
use crate::compute::*;
use crate::request_id::carries_token;
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
        // With a token kept as a label (the contract adds one), a create may be made again:
        // each attempt after the first looks for the instance an earlier one made
        // (compute/request_id.rs). Without one it is not idempotent and is not retried.
        let idempotent = carries_token(spec);
        let attempts = &AtomicU32::new(0);
        call!(
            "compute",
            self,
            "create_instance",
            spec.name.clone(),
            idempotent,
            |s| async move {
                if idempotent && attempts.fetch_add(1, Ordering::Relaxed) > 0 {
                    if let Some(i) = find_created(s, spec).await? {
                        return Ok(i);
                    }
                }
                s.create_instance(spec).await
            }
        )
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
