//! The `object_store` bridge (feature `object-store`): a customer's storage, opened from the
//! same profile or URL as the rest of the product, for the Rust data stack (DataFusion,
//! Polars, delta-rs, Lance).

use nimbus_object_store::NimbusStore;

use crate::{open_storage_url, Clouds, Result};

/// Opens the bucket (and key prefix) a URL names as an `object_store` store, with the safe
/// defaults: `nimbus::open_object_store_url("s3://reports/warehouse/")`.
pub async fn open_object_store_url(url: &str) -> Result<NimbusStore> {
    Ok(NimbusStore::from_opened(open_storage_url(url).await?))
}

impl Clouds {
    /// `bucket` of this profile's storage (under `prefix`, `""` for the whole bucket) as an
    /// `object_store` store; it shares the storage service the profile opened.
    pub async fn object_store(&self, bucket: &str, prefix: &str) -> Result<NimbusStore> {
        Ok(NimbusStore::new(self.storage().await?, bucket).with_prefix(prefix))
    }
}
