//! The same measurements on Azure Blob (Azurite): Nimbus vs raw `azure_storage_blob` vs
//! `object_store` (MicrosoftAzure) vs `opendal` (azblob).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use azure_core::http::{RequestContent, Url};
use azure_storage_blob::models::{BlobClientDownloadOptions, BlockLookupList};
use azure_storage_blob::BlobContainerClient;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use nimbus_azure::config::{DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use nimbus_azure::{AzureBlobStorage, AzureStorageConfig};

use crate::{chunks, Bench, DalB, NimbusB, ObjB, PART};

/// The emulator account at `endpoint` (`http://127.0.0.1:PORT`).
pub fn config(endpoint: &str) -> Result<AzureStorageConfig> {
    Ok(AzureStorageConfig::from_connection_string(&format!(
        "UseDevelopmentStorage=true;DevelopmentStorageProxyUri={endpoint}"
    ))?)
}

/// Raw azure_storage_blob, authorised the way Nimbus is (an account SAS in the URL: the SDK
/// has no shared-key signing).
pub struct SdkB(BlobContainerClient);

#[async_trait::async_trait]
impl Bench for SdkB {
    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.0
            .blob_client(key)
            .upload(RequestContent::from(body.to_vec()), None)
            .await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<usize> {
        Ok(self
            .0
            .blob_client(key)
            .download(None)
            .await?
            .body
            .collect()
            .await?
            .len())
    }
    async fn put_stream(&self, key: &str, total: usize) -> Result<()> {
        let bb = self.0.blob_client(key).block_blob_client();
        let mut s = Box::pin(chunks(total));
        let mut buf = Vec::with_capacity(PART);
        let mut ids = Vec::new();
        loop {
            let next = s.next().await;
            if let Some(c) = &next {
                buf.extend_from_slice(c);
            }
            if buf.len() >= PART || (next.is_none() && !buf.is_empty()) {
                let id = format!("block-{:06}", ids.len()).into_bytes();
                let body = std::mem::replace(&mut buf, Vec::with_capacity(PART));
                let len = body.len() as u64;
                bb.stage_block(&id, len, RequestContent::from(body), None).await?;
                ids.push(id);
            }
            if next.is_none() {
                break;
            }
        }
        let list = BlockLookupList {
            latest: Some(ids),
            ..Default::default()
        };
        bb.commit_block_list(list.try_into()?, None).await?;
        Ok(())
    }
    async fn get_stream(&self, key: &str) -> Result<usize> {
        let opts = BlobClientDownloadOptions {
            parallel: std::num::NonZero::new(2),
            ..Default::default()
        };
        let mut body = self.0.blob_client(key).download(Some(opts)).await?.body;
        let mut n = 0;
        while let Some(c) = body.try_next().await? {
            n += c.len();
        }
        Ok(n)
    }
    async fn list(&self, prefix: &str) -> Result<usize> {
        let opts = azure_storage_blob::models::BlobContainerClientListBlobsOptions {
            prefix: Some(prefix.to_string()),
            ..Default::default()
        };
        let mut pager = self.0.list_blobs(Some(opts))?;
        let mut n = 0;
        while let Some(_b) = pager.try_next().await? {
            n += 1;
        }
        Ok(n)
    }
}

/// One implementation, by name.
pub async fn bench(imp: &str, endpoint: &str, bucket: &str) -> Result<Box<dyn Bench>> {
    let cfg = config(endpoint)?;
    Ok(match imp {
        "nimbus" => Box::new(NimbusB(Arc::new(AzureBlobStorage::connect(&cfg)?), bucket.to_string())),
        "sdk" => {
            let key = nimbus_core::config::Secret::new(DEV_ACCOUNT_KEY);
            let sas = nimbus_azure::sas::account_sas(
                DEV_ACCOUNT,
                &key,
                Duration::from_secs(7200),
                std::time::SystemTime::now(),
            )?;
            let mut url = Url::parse(&format!("{}/{bucket}", cfg.endpoint))?;
            url.set_query(Some(&sas));
            Box::new(SdkB(BlobContainerClient::new(url, None, None)?))
        }
        "object_store" => {
            // object_store reads the emulator's address from this variable.
            std::env::set_var("AZURITE_BLOB_STORAGE_URL", endpoint);
            Box::new(ObjB(Arc::new(
                object_store::azure::MicrosoftAzureBuilder::new()
                    .with_use_emulator(true)
                    .with_allow_http(true)
                    .with_container_name(bucket)
                    .build()?,
            )))
        }
        "opendal" => Box::new(DalB(
            opendal::Operator::new(
                opendal::services::Azblob::default()
                    .endpoint(&cfg.endpoint)
                    .account_name(DEV_ACCOUNT)
                    .account_key(DEV_ACCOUNT_KEY)
                    .container(bucket),
            )?
            .finish(),
        )),
        other => bail!("unknown implementation {other}"),
    })
}
