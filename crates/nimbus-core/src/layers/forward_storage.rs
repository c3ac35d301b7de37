//! [`Storage`] for [`Layered`]: every call goes through the layer.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{CallInfo, Interceptor, Layered};
use crate::storage::*;
use crate::{Result, StorageCapabilities};

#[async_trait]
impl<T: Storage + ?Sized, I: Interceptor> Storage for Layered<T, I> {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }
    fn capabilities(&self) -> StorageCapabilities {
        self.inner.capabilities()
    }
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        self.inner.native()
    }
    async fn create_bucket(&self, bucket: &str, options: &CreateBucketOptions) -> Result<()> {
        call!("storage", self, "create_bucket", bucket.to_string(), false, |s| s
            .create_bucket(bucket, options))
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        call!("storage", self, "delete_bucket", bucket.to_string(), false, |s| s
            .delete_bucket(bucket))
    }
    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        call!("storage", self, "bucket_exists", bucket.to_string(), true, |s| s
            .bucket_exists(bucket))
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        call!("storage", self, "list_buckets", String::new(), true, |s| s
            .list_buckets())
    }
    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let idem = options.mode == PutMode::Overwrite;
        call!("storage", self, "put", format!("{bucket}/{key}"), idem, |s| s.put(
            bucket,
            key,
            body.clone(),
            options
        ))
    }
    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        let info = CallInfo {
            service: "storage",
            provider: self.inner.provider(),
            operation: "put_stream",
            resource: format!("{bucket}/{key}"),
            idempotent: false,
            replayable: false,
        };
        let s = &*self.inner;
        let mut body = Some(body);
        self.layer
            .around(&info, move || {
                let b = body.take();
                async move {
                    match b {
                        Some(b) => s.put_stream(bucket, key, b, options).await,
                        None => Err(crate::Error::internal("a streamed body cannot be sent twice")),
                    }
                }
            })
            .await
    }
    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        call!("storage", self, "get", format!("{bucket}/{key}"), true, |s| s
            .get(bucket, key, options))
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        call!("storage", self, "head", format!("{bucket}/{key}"), true, |s| s
            .head(bucket, key))
    }
    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        call!("storage", self, "delete", format!("{bucket}/{key}"), true, |s| s
            .delete(bucket, key))
    }
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        call!(
            "storage",
            self,
            "delete_many",
            format!("{bucket} ({} keys)", keys.len()),
            true,
            |s| s.delete_many(bucket, keys)
        )
    }
    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        call!("storage", self, "list_page", bucket.to_string(), true, |s| s.list_page(
            bucket,
            options,
            token.clone()
        ))
    }
    async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
    ) -> Result<ObjectMeta> {
        call!(
            "storage",
            self,
            "copy",
            format!("{src_bucket}/{src_key} -> {dst_bucket}/{dst_key}"),
            !options.if_not_exists,
            |s| s.copy(src_bucket, src_key, dst_bucket, dst_key, options)
        )
    }
    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        call!(
            "storage",
            self,
            "create_multipart",
            format!("{bucket}/{key}"),
            false,
            |s| s.create_multipart(bucket, key, options)
        )
    }
    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        call!(
            "storage",
            self,
            "upload_part",
            format!("{}/{} part {part_number}", upload.bucket, upload.key),
            true,
            |s| s.upload_part(upload, part_number, body.clone())
        )
    }
    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        call!(
            "storage",
            self,
            "complete_multipart",
            format!("{}/{}", upload.bucket, upload.key),
            false,
            |s| s.complete_multipart(upload, parts)
        )
    }
    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        call!(
            "storage",
            self,
            "abort_multipart",
            format!("{}/{}", upload.bucket, upload.key),
            true,
            |s| s.abort_multipart(upload)
        )
    }
    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        call!("storage", self, "presign", format!("{bucket}/{key}"), true, |s| s
            .presign(bucket, key, method, expires_in))
    }
}
