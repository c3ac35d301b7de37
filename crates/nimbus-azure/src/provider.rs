//! The `azure` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! Services this build lacks (the `storage` and `compute` features) are `None`, so the
//! facade's error names the feature to enable.

#[cfg(any(feature = "storage", feature = "compute"))]
use std::sync::Arc;

use nimbus_core::provider::{always, Emulator, Opener, Provider};
use nimbus_core::{Compute, NetworkService, Storage};

use crate::config::SCHEMA;

#[cfg(feature = "storage")]
const STORAGE: Option<Opener<dyn Storage>> = Some(|s| {
    Box::pin(async move {
        let cfg = crate::AzureStorageConfig::from_settings(&s)?;
        Ok(Arc::new(crate::AzureBlobStorage::connect(&cfg)?) as Arc<dyn Storage>)
    })
});
#[cfg(not(feature = "storage"))]
const STORAGE: Option<Opener<dyn Storage>> = None;

#[cfg(feature = "compute")]
const COMPUTE: Option<Opener<dyn Compute>> = Some(|s| {
    Box::pin(async move {
        let cfg = crate::ArmConfig::from_settings(&s)?;
        Ok(Arc::new(crate::AzureCompute::connect(&cfg)?) as Arc<dyn Compute>)
    })
});
#[cfg(not(feature = "compute"))]
const COMPUTE: Option<Opener<dyn Compute>> = None;

#[cfg(feature = "compute")]
const NETWORK: Option<Opener<dyn NetworkService>> = Some(|s| {
    Box::pin(async move {
        let cfg = crate::ArmConfig::from_settings(&s)?;
        Ok(Arc::new(crate::AzureNetwork::connect(&cfg)?) as Arc<dyn NetworkService>)
    })
});
#[cfg(not(feature = "compute"))]
const NETWORK: Option<Opener<dyn NetworkService>> = None;

/// The `azure` provider: Blob storage, VMs, VNets and NSGs.
pub const PROVIDER: Provider = Provider {
    name: "azure",
    summary: "Azure Blob storage, virtual machines, virtual networks and NSGs",
    schema: SCHEMA,
    url_schemes: &["az", "azure"],
    storage: STORAGE,
    compute: COMPUTE,
    network: NETWORK,
    // s3:// etc.: the URL's options are storage settings (`Provider::open_url`).
    url_opener: None,
    emulators: &[Emulator {
        name: "azurite",
        proof: "emulator: Azurite 3.35.0",
        services: &["storage"],
        differences: &["azurite"],
        report_as: "azure",
        settings: &[],
        poll_ms: 200,
    }],
    live_proof: "live: Azure",
    live_differences_apply: always,
    default_emulator: None,
    presign_client: None,
    diag: Some(&crate::diag::DIAG),
};
