//! [`Storage`] for [`Layered`]: every call goes through the layer.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{CallInfo, Interceptor, Layered};
use crate::storage::*;
use crate::{Result, StorageCapabilities};

/// Runs one forwarded call through the layer.
macro_rules! call {
    ($self:ident, $op:literal, $res:expr, $idem:expr, |$inner:ident| $body:expr) => {{
        let info = CallInfo {
            service: "storage",
            provider: $self.inner.provider(),
            operation: $op,
            resource: $res,
            idempotent: $idem,
            replayable: true,
        };
        let $inner = &*$self.inner;
        $self.layer.around(&info, move || $body).await
    }};
}

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
        call!(self, "create_bucket", bucket.to_string(), false, |s| s
            .create_bucket(bucket, options))
    }
    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        call!(self, "delete_bucket", bucket.to_string(), false, |s| s
            .delete_bucket(bucket))
    }
    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        call!(self, "bucket_exists", bucket.to_string(), true, |s| s
            .bucket_exists(bucket))
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        call!(self, "list_buckets", String::new(), true, |s| s.list_buckets())
    }
    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let idem = options.mode == PutMode::Overwrite;
        call!(self, "put", format!("{bucket}/{key}"), idem, |s| s.put(
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
        call!(self, "get", format!("{bucket}/{key}"), true, |s| s
            .get(bucket, key, options))
    }
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        call!(self, "head", format!("{bucket}/{key}"), true, |s| s.head(bucket, key))
    }
    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        call!(self, "delete", format!("{bucket}/{key}"), true, |s| s
            .delete(bucket, key))
    }
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        call!(
            self,
            "delete_many",
            format!("{bucket} ({} keys)", keys.len()),
            true,
            |s| s.delete_many(bucket, keys)
        )
    }
    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        call!(self, "list_page", bucket.to_string(), true, |s| s.list_page(
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
            self,
            "copy",
            format!("{src_bucket}/{src_key} -> {dst_bucket}/{dst_key}"),
            !options.if_not_exists,
            |s| s.copy(src_bucket, src_key, dst_bucket, dst_key, options)
        )
    }
    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        call!(self, "create_multipart", format!("{bucket}/{key}"), false, |s| s
            .create_multipart(bucket, key, options))
    }
    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        call!(
            self,
            "upload_part",
            format!("{}/{} part {part_number}", upload.bucket, upload.key),
            true,
            |s| s.upload_part(upload, part_number, body.clone())
        )
    }
    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        call!(
            self,
            "complete_multipart",
            format!("{}/{}", upload.bucket, upload.key),
            false,
            |s| s.complete_multipart(upload, parts)
        )
    }
    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        call!(
            self,
            "abort_multipart",
            format!("{}/{}", upload.bucket, upload.key),
            true,
            |s| s.abort_multipart(upload)
        )
    }
    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        call!(self, "presign", format!("{bucket}/{key}"), true, |s| s
            .presign(bucket, key, method, expires_in))
    }
}
