//! Targets for Google Cloud Storage (fake-gcs-server in CI, real projects by profile).

use std::sync::Arc;

use nimbus_core::Result;
use nimbus_gcp::{GcsConfig, GcsStorage};

use crate::{Difference, Target};

/// Cloud Storage through `cfg`, storage rows proven by `proof`
/// (e.g. `emulator: fake-gcs-server 1.54.0`).
pub async fn gcs_target(provider: &str, cfg: &GcsConfig, proof: &str) -> Result<Target> {
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(GcsStorage::connect(cfg).await?));
    t.presign = Some(Arc::new(crate::http::HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    Ok(t)
}

/// Differences of fake-gcs-server 1.54.0 (emulator differences: upstream fixed several
/// after that release) and of Cloud Storage itself.
pub fn fake_gcs_differences() -> Vec<Difference> {
    crate::registry::declared("fake-gcs-server")
}
