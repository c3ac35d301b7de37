//! Buckets and objects.
//!
//! [`Storage`] is the small, object-safe *driver* trait every adapter implements (Go CDK's
//! driver idea): each method is one provider round trip, so layers (retry, timeout, tracing)
//! can wrap it one call at a time. Conveniences built from those calls — a listing as a
//! `Stream`, whole-object reads, a streaming multipart writer — live in [`StorageExt`], so new
//! conveniences never break adapters.

pub mod checksum;
mod class;
mod ext;
mod types;
pub mod validate;
mod writer;

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::capability::StorageCapabilities;
use crate::Result;

pub use class::StorageClass;
pub use ext::StorageExt;
pub use types::*;
pub use writer::{ObjectWriter, WriterOptions, DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE};

/// Object storage: buckets and objects.
///
/// Semantics every adapter must keep (the conformance suite checks them):
/// - `delete` of a missing key succeeds (idempotent), as on S3;
/// - `list_page` returns keys in UTF-8 byte order where
///   [`StorageCapabilities::list_ordering`] says `Lexicographic`, and `start_after` is exclusive;
/// - a call the provider cannot make fails with [`crate::ErrorKind::Unsupported`] naming the
///   [`crate::Capability`], never with a silent approximation.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Provider name, e.g. `local-fs`, `aws-s3`.
    fn provider(&self) -> &'static str;

    /// Declared capabilities.
    fn capabilities(&self) -> StorageCapabilities;

    /// The native client for provider-specific work (Go CDK's `As`). See
    /// [`StorageExt::native_as`]; layers pass it through.
    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        None
    }

    /// Creates a bucket; `AlreadyExists` if it exists.
    async fn create_bucket(&self, bucket: &str, options: &CreateBucketOptions) -> Result<()>;

    /// Deletes an empty bucket; `Conflict` if it holds objects, `NotFound` if absent.
    async fn delete_bucket(&self, bucket: &str) -> Result<()>;

    /// Whether a bucket exists.
    async fn bucket_exists(&self, bucket: &str) -> Result<bool>;

    /// Lists buckets.
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>>;

    /// Stores a whole object from memory.
    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta>;

    /// Stores an object from a stream without buffering it whole. The stream is consumed,
    /// so layers never retry this call.
    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta>;

    /// Reads an object (whole or ranged, optionally conditional) as a stream.
    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult>;

    /// Reads an object's metadata; `NotFound` if absent.
    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta>;

    /// Deletes an object; succeeds if it is already absent.
    async fn delete(&self, bucket: &str, key: &str) -> Result<()>;

    /// Deletes many objects; one outcome per key, in order. At most
    /// [`StorageCapabilities::batch_delete_max`] keys per call.
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>>;

    /// One page of a listing. `token` is the previous page's `next_token`.
    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage>;

    /// Server-side copy.
    async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
    ) -> Result<ObjectMeta>;

    /// Starts a multipart upload. `options.mode` is checked at completion.
    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload>;

    /// Uploads one part (1-based `part_number`).
    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart>;

    /// Assembles the parts, in part-number order, into the object.
    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta>;

    /// Abandons an upload and frees its parts.
    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()>;

    /// A URL that lets its holder GET or PUT one object until it expires.
    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String>;
}
