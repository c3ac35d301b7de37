//! The same measurements on Cloud Storage (fake-gcs-server): Nimbus vs raw
//! `google-cloud-storage` vs `object_store` (GoogleCloudStorage) vs `opendal` (gcs).
//!
//! The raw crate has no listing over HTTP (its `StorageControl` is gRPC-only, which the
//! emulator does not serve), so its list column is empty and the table's list ratios are
//! against Nimbus instead.

use std::sync::Arc;

use anyhow::{bail, Result};
use bytes::Bytes;
use futures::StreamExt;
use google_cloud_storage::client::Storage as GcsClient;
use google_cloud_storage::streaming_source::StreamingSource;
use nimbus_gcp::{GcsConfig, GcsStorage};

use crate::{chunks, Bench, DalB, NimbusB, ObjB};

/// Raw google-cloud-storage, anonymous against the emulator (as Nimbus is).
pub struct SdkB(GcsClient, String);

/// A chunk stream as the crate's upload source.
struct Chunks(std::pin::Pin<Box<dyn futures::Stream<Item = Bytes> + Send + Sync>>);

impl StreamingSource for Chunks {
    type Error = std::io::Error;
    async fn next(&mut self) -> Option<std::result::Result<Bytes, Self::Error>> {
        self.0.next().await.map(Ok)
    }
}

impl SdkB {
    fn bucket(&self) -> String {
        format!("projects/_/buckets/{}", self.1)
    }
    async fn read_all(&self, key: &str) -> Result<usize> {
        let mut r = self.0.read_object(self.bucket(), key).send().await?;
        let mut n = 0;
        while let Some(c) = r.next().await {
            n += c?.len();
        }
        Ok(n)
    }
}

#[async_trait::async_trait]
impl Bench for SdkB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0.write_object(self.bucket(), key, body).send_buffered().await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        self.read_all(key).await
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        self.0
            .write_object(self.bucket(), key, Chunks(Box::pin(chunks(total))))
            .with_resumable_upload_threshold(0usize)
            .send_buffered()
            .await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        self.read_all(key).await
    }
    async fn list(&self, _prefix: &str) -> Result<usize> {
        bail!("google-cloud-storage lists over gRPC only")
    }
}

/// One implementation, by name.
pub async fn bench(imp: &str, endpoint: &str, bucket: &str) -> Result<Box<dyn Bench>> {
    let cfg = GcsConfig::emulator(endpoint);
    Ok(match imp {
        "nimbus" => Box::new(NimbusB(Arc::new(GcsStorage::connect(&cfg).await?), bucket.to_string())),
        "sdk" => {
            let client = GcsClient::builder()
                .with_endpoint(endpoint)
                .with_credentials(google_cloud_auth::credentials::anonymous::Builder::new().build())
                .build()
                .await?;
            Box::new(SdkB(client, bucket.to_string()))
        }
        "object_store" => {
            // object_store's documented emulator hook: the base URL and no OAuth, in the key.
            let key = format!(
                r#"{{"gcs_base_url": "{endpoint}", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}}"#
            );
            Box::new(ObjB(Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::new()
                    .with_service_account_key(key)
                    .with_bucket_name(bucket)
                    .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
                    .build()?,
            )))
        }
        "opendal" => Box::new(DalB(
            opendal::Operator::new(
                opendal::services::Gcs::default()
                    .endpoint(endpoint)
                    .bucket(bucket)
                    .allow_anonymous()
                    .disable_vm_metadata()
                    .disable_config_load(),
            )?
            .finish(),
        )),
        other => bail!("unknown implementation {other}"),
    })
}
