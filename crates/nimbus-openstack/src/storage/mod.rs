//! [`Storage`] for the new cloud. Replace each `not_implemented` with the real call, and set
//! the matching flag in [`storage_capabilities`] when a capability-gated call works.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use nimbus_core::storage::*;
use nimbus_core::{Capability, Error, Result, StorageCapabilities};

use crate::client::Session;
use crate::config::OpenStackConfig;
use crate::error::not_implemented;

const PROVIDER: &str = "openstack-swift";

/// What Swift declares (nothing until implemented).
pub fn storage_capabilities() -> StorageCapabilities {
    StorageCapabilities::none()
}

/// Object storage of the new cloud.
#[derive(Debug, Clone)]
pub struct SwiftStorage {
    session: Session,
}

impl SwiftStorage {
    /// From a resolved config (make no request here; connect lazily).
    pub fn connect(cfg: &OpenStackConfig) -> Result<Self> {
        Ok(SwiftStorage {
            session: Session::shared(cfg)?,
        })
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

fn todo(op: &'static str) -> Error {
    not_implemented(PROVIDER, op)
}

#[async_trait]
impl Storage for SwiftStorage {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        storage_capabilities()
    }

    async fn create_bucket(&self, _bucket: &str, _options: &CreateBucketOptions) -> Result<()> {
        Err(todo("create_bucket"))
    }

    async fn delete_bucket(&self, _bucket: &str) -> Result<()> {
        Err(todo("delete_bucket"))
    }

    async fn bucket_exists(&self, _bucket: &str) -> Result<bool> {
        Err(todo("bucket_exists"))
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Err(todo("list_buckets"))
    }

    async fn put(&self, _bucket: &str, _key: &str, _body: Bytes, _options: &PutOptions) -> Result<ObjectMeta> {
        Err(todo("put"))
    }

    async fn put_stream(
        &self,
        _bucket: &str,
        _key: &str,
        _body: ByteStream,
        _options: &PutOptions,
    ) -> Result<ObjectMeta> {
        Err(todo("put_stream"))
    }

    async fn get(&self, _bucket: &str, _key: &str, _options: &GetOptions) -> Result<GetResult> {
        Err(todo("get"))
    }

    async fn head(&self, _bucket: &str, _key: &str) -> Result<ObjectMeta> {
        Err(todo("head"))
    }

    async fn delete(&self, _bucket: &str, _key: &str) -> Result<()> {
        Err(todo("delete"))
    }

    async fn delete_many(&self, _bucket: &str, _keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        Err(Error::unsupported(Capability::BatchDelete))
    }

    async fn list_page(&self, _bucket: &str, _options: &ListOptions, _token: Option<String>) -> Result<ListPage> {
        Err(todo("list_page"))
    }

    async fn copy(
        &self,
        _src_bucket: &str,
        _src_key: &str,
        _dst_bucket: &str,
        _dst_key: &str,
        _options: &CopyOptions,
    ) -> Result<ObjectMeta> {
        Err(Error::unsupported(Capability::Copy))
    }

    async fn create_multipart(&self, _bucket: &str, _key: &str, _options: &PutOptions) -> Result<MultipartUpload> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn upload_part(&self, _upload: &MultipartUpload, _part_number: u32, _body: Bytes) -> Result<CompletedPart> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn complete_multipart(&self, _upload: &MultipartUpload, _parts: &[CompletedPart]) -> Result<ObjectMeta> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn abort_multipart(&self, _upload: &MultipartUpload) -> Result<()> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn presign(&self, _bucket: &str, _key: &str, method: PresignMethod, _expires_in: Duration) -> Result<String> {
        Err(Error::unsupported(match method {
            PresignMethod::Put => Capability::PresignPut,
            _ => Capability::PresignGet,
        }))
    }
}
