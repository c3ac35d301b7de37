//! Targets for Azure Blob storage (Azurite in CI, real accounts by profile).

use std::sync::Arc;

use nimbus_azure::{AzureBlobStorage, AzureStorageConfig};
use nimbus_core::Result;

use crate::http::HttpPresign;
use crate::{Difference, Target};

/// Blob storage of the account `cfg` names, storage rows proven by `proof`
/// (e.g. `emulator: Azurite 3.35.0`).
pub fn blob_target(provider: &str, cfg: &AzureStorageConfig, proof: &str) -> Result<Target> {
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(AzureBlobStorage::connect(cfg)?));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Differences of Azure Blob storage and of Azurite 3.35.0 (emulator differences marked).
pub fn azurite_differences() -> Vec<Difference> {
    crate::registry::declared("azurite")
}
