//! Compute on Amazon EC2 through the official `aws-sdk-ec2`.
//!
//! Sizes are the region's x86_64 instance types (DescribeInstanceTypes; the portable image
//! aliases are x86_64 AMIs, and requirements must never pick an Arm type for them — Arm types
//! stay reachable by explicit id). Images are found by alias (owner and name pattern, newest
//! first; see `compute/images.rs`). Names and
//! labels are tags. A plain EC2 stop already releases the host and ends compute billing, so
//! the portable `Deallocate` stop is the same call.
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.

mod convert;
pub(crate) mod images;

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_ec2::types::{InstanceType, Placement, ResourceType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use base64::Engine;
use nimbus_core::compute::{
    pick_size, Image, ImageChoice, Instance, InstanceFilter, InstanceSpec, Region, Size, SizeChoice, StopMode,
};
use nimbus_core::{Compute, ComputeCapabilities, Error, Result};

use crate::ec2::{check_labels, filter, tag_spec, Ec2, NAME_TAG};
use crate::error::from_sdk;
use crate::AwsConfig;

const PROVIDER: &str = "aws-ec2";

/// States of instances that still hold their name.
const LIVE: [&str; 4] = ["pending", "running", "stopping", "stopped"];
/// States listed unless terminated instances are asked for: the live ones and those on their
/// way out.
const NOT_TERMINATED: [&str; 5] = ["pending", "running", "stopping", "stopped", "shutting-down"];

/// How long the region's instance-type catalogue is reused: DescribeInstanceTypes is
/// several paged calls (about 800 types) and changes when AWS launches a family, not per
/// request — but a size chosen by requirements must not be stale for days either.
const SIZES_TTL: Duration = Duration::from_secs(15 * 60);

/// EC2 as a [`Compute`]. The native client is `aws_sdk_ec2::Client`.
#[derive(Debug, Clone)]
pub struct Ec2Compute {
    ec2: Ec2,
    sizes: Arc<Mutex<Option<CachedSizes>>>,
}

/// The size catalogue and when it was fetched.
type CachedSizes = (Instant, Vec<Size>);

/// What EC2 can do.
pub fn ec2_capabilities() -> ComputeCapabilities {
    let mut c = ComputeCapabilities::none();
    c.start = true;
    c.stop = true;
    c.stop_keeps_billing = false;
    c.deallocate = true;
    c.reboot = true;
    c.user_data = true;
    c.server_side_label_filter = true;
    c.image_aliases = images::alias_names();
    c
}

impl Ec2Compute {
    /// Connects with the configuration (standard AWS chain unless static keys are set).
    pub async fn connect(cfg: &AwsConfig) -> Self {
        Ec2Compute {
            ec2: Ec2::connect(cfg).await,
            sizes: Arc::default(),
        }
    }

    /// The region the client talks to.
    pub fn region(&self) -> &str {
        &self.ec2.region
    }

    /// Awaits a state-changing call, then describes the instance (the calls answer only
    /// with state transitions, not the whole instance).
    async fn then_describe<T, E>(
        &self,
        id: &str,
        sent: impl std::future::Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<Instance>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        sent.await.map_err(from_sdk)?;
        self.describe(id).await
    }

    async fn describe(&self, id: &str) -> Result<Instance> {
        let out = self
            .ec2
            .client
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(id))
            .map(|i| convert::instance(i, &self.ec2.region))
            .ok_or_else(|| Error::not_found(id))
    }

    async fn named_live(&self, name: &str) -> Result<Vec<String>> {
        let out = self
            .ec2
            .client
            .describe_instances()
            .filters(filter(&format!("tag:{NAME_TAG}"), [name]))
            .filters(filter("instance-state-name", LIVE))
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect())
    }

    async fn resolve_size(&self, choice: &SizeChoice) -> Result<String> {
        match choice {
            // EC2 validates ids itself (and knows Arm types the size list leaves out).
            SizeChoice::Id(id) => Ok(id.clone()),
            other => Ok(pick_size(&self.list_sizes().await?, other)?.id),
        }
    }

    async fn resolve_image(&self, choice: &ImageChoice) -> Result<String> {
        match choice {
            ImageChoice::Alias(a) => images::resolve(&self.ec2, a).await,
            ImageChoice::Id(id) => Ok(id.clone()),
            other => Err(Error::invalid(format!("unsupported image choice {other:?}"))),
        }
    }

    async fn create(&self, spec: &InstanceSpec) -> Result<Instance> {
        // EC2's own tag limits; the contract checks the name.
        check_labels(&spec.labels)?;
        if let Some(z) = &spec.zone {
            self.ec2.check_zone(z).await?;
        }
        if let Some(existing) = self.named_live(&spec.name).await?.first() {
            return Err(Error::new(
                nimbus_core::ErrorKind::AlreadyExists,
                format!("a live instance named `{}` exists: {existing}", spec.name),
            ));
        }
        let size = self.resolve_size(&spec.size).await?;
        let image = self.resolve_image(&spec.image).await?;
        let mut req = self
            .ec2
            .client
            .run_instances()
            .image_id(&image)
            .instance_type(InstanceType::from(size.as_str()))
            .min_count(1)
            .max_count(1)
            .tag_specifications(tag_spec(ResourceType::Instance, &spec.name, &spec.labels));
        if let Some(z) = &spec.zone {
            req = req.placement(Placement::builder().availability_zone(z).build());
        }
        if let Some(s) = &spec.subnet {
            req = req.subnet_id(s);
        }
        for f in &spec.firewalls {
            req = req.security_group_ids(f);
        }
        if let Some(u) = &spec.user_data {
            req = req.user_data(base64::engine::general_purpose::STANDARD.encode(u));
        }
        // EC2 returns the instance an earlier call with this token made (moto ignores it; the
        // label lookup above the adapter covers that).
        if let Some(t) = &spec.request_id {
            req = req.client_token(t);
        }
        let out = req.send().await.map_err(|e| {
            let e = from_sdk(e);
            // A missing AMI or instance type is bad input to this call, not a missing instance.
            if e.raw_code()
                .is_some_and(|c| c.starts_with("InvalidAMIID") || c.starts_with("InvalidInstanceType"))
            {
                Error::invalid(format!("image `{image}`, size `{size}`: {}", e.message()))
                    .with_raw_code(e.raw_code().unwrap_or_default().to_string())
                    .with_source(e)
            } else {
                e
            }
        })?;
        out.instances()
            .first()
            .map(|i| convert::instance(i, &self.ec2.region))
            .ok_or_else(|| Error::internal("RunInstances returned no instance"))
    }
}

#[async_trait]
impl Compute for Ec2Compute {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> ComputeCapabilities {
        ec2_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.ec2.client.clone()))
    }

    /// The configured region and its zones: EC2 endpoints are regional, so a client sees
    /// one region (open one per region to span several).
    async fn list_regions(&self) -> Result<Vec<Region>> {
        let zones = self.ec2.zones().await?;
        Ok(vec![Region::new(self.ec2.region.clone(), zones)])
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        if let Some((at, sizes)) = self.sizes.lock().expect("sizes cache").as_ref() {
            if at.elapsed() < SIZES_TTL {
                return Ok(sizes.clone());
            }
        }
        let items: Vec<_> = self
            .ec2
            .client
            .describe_instance_types()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(from_sdk)?;
        let mut sizes: Vec<Size> = items
            .iter()
            .filter(|t| {
                t.processor_info()
                    .is_some_and(|p| p.supported_architectures().iter().any(|a| a.as_str() == "x86_64"))
            })
            .filter_map(|t| {
                let id = t.instance_type()?.as_str().to_string();
                let vcpus = t.v_cpu_info()?.default_v_cpus()?;
                let mem = t.memory_info()?.size_in_mib()?;
                Some(Size::new(id, u32::try_from(vcpus).ok()?, u64::try_from(mem).ok()?))
            })
            .collect();
        sizes.sort_by(|a, b| a.id.cmp(&b.id));
        sizes.dedup_by(|a, b| a.id == b.id);
        *self.sizes.lock().expect("sizes cache") = Some((Instant::now(), sizes.clone()));
        Ok(sizes)
    }

    async fn list_images(&self) -> Result<Vec<Image>> {
        images::list(&self.ec2).await
    }

    async fn create_instance(&self, spec: &InstanceSpec) -> Result<Instance> {
        self.create(spec).await
    }

    async fn get_instance(&self, id: &str) -> Result<Instance> {
        self.describe(id).await
    }

    async fn list_instances(&self, f: &InstanceFilter) -> Result<Vec<Instance>> {
        let mut req = self.ec2.client.describe_instances();
        for (k, v) in &f.labels {
            req = req.filters(filter(&format!("tag:{k}"), [v.as_str()]));
        }
        if !f.include_terminated {
            req = req.filters(filter("instance-state-name", NOT_TERMINATED));
        }
        let pages: Vec<_> = req.into_paginator().send().try_collect().await.map_err(from_sdk)?;
        Ok(pages
            .iter()
            .flat_map(|p| p.reservations())
            .flat_map(|r| r.instances())
            .map(|i| convert::instance(i, &self.ec2.region))
            // The server filtered already; the portable filter is applied again so that
            // emulators without tag filters cannot widen a listing.
            .filter(|i| f.matches(i))
            .collect())
    }

    async fn start_instance(&self, id: &str) -> Result<Instance> {
        self.then_describe(id, self.ec2.client.start_instances().instance_ids(id).send())
            .await
    }

    async fn stop_instance(&self, id: &str, _mode: StopMode) -> Result<Instance> {
        // Both modes are one call: an EC2 stop releases the host (no compute billing).
        self.then_describe(id, self.ec2.client.stop_instances().instance_ids(id).send())
            .await
    }

    async fn reboot_instance(&self, id: &str) -> Result<Instance> {
        self.then_describe(id, self.ec2.client.reboot_instances().instance_ids(id).send())
            .await
    }

    async fn terminate_instance(&self, id: &str) -> Result<Instance> {
        self.then_describe(id, self.ec2.client.terminate_instances().instance_ids(id).send())
            .await
    }
}
