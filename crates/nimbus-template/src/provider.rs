//! The provider's descriptor: everything the facade, the CLI and the conformance suite need
//! to find this cloud. Registering it is one line in the facade (`crates/nimbus/src/registry.rs`)
//! plus its cargo feature; see `docs/adding-a-cloud.md`.

use std::sync::Arc;

use nimbus_core::provider::{always, Provider};
use nimbus_core::{Compute, NetworkService, Storage};

use crate::{TemplateCompute, TemplateConfig, TemplateNetwork, TemplateStorage, SCHEMA};

/// The `template` provider.
pub const PROVIDER: Provider = Provider {
    name: "template",
    summary: "the starting point of a new adapter: declares nothing, every call is typed unsupported",
    schema: SCHEMA,
    // The URL schemes this cloud's storage serves, e.g. `&["tpl"]`: a URL's options become
    // storage settings for the opener below (`url_opener` only when that does not fit).
    url_schemes: &[],
    storage: Some(|s| {
        Box::pin(async move {
            let cfg = TemplateConfig::from_settings(&s)?;
            Ok(Arc::new(TemplateStorage::connect(&cfg)?) as Arc<dyn Storage>)
        })
    }),
    compute: Some(|s| {
        Box::pin(async move {
            let cfg = TemplateConfig::from_settings(&s)?;
            Ok(Arc::new(TemplateCompute::connect(&cfg)?) as Arc<dyn Compute>)
        })
    }),
    network: Some(|s| {
        Box::pin(async move {
            let cfg = TemplateConfig::from_settings(&s)?;
            Ok(Arc::new(TemplateNetwork::connect(&cfg)?) as Arc<dyn NetworkService>)
        })
    }),
    url_opener: None,
    // The emulators CI runs this provider on, with their difference lists.
    emulators: &[],
    live_proof: "template (no cloud)",
    live_differences_apply: always,
    default_emulator: None,
    presign_client: None,
    diag: Some(&crate::diag::DIAG),
};
