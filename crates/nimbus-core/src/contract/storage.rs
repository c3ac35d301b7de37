//! [`Storage`] held to the portable contract.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use super::traffic::{self, Direction};
use super::{ctx, Contract};
use crate::storage::validate::{
    validate_attributes, validate_bucket_name, validate_content_type, validate_key, validate_metadata, validate_object,
    validate_prefix,
};
use crate::storage::*;
use crate::{Capability, Error, Result, StorageCapabilities};

/// The typed unsupported error unless `cap` is declared.
fn gate(caps: &StorageCapabilities, cap: Capability) -> Result<()> {
    if caps.supports(cap) {
        Ok(())
    } else {
        Err(Error::unsupported(cap))
    }
}

/// What a put (or the start of a multipart upload) needs declared.
fn gate_put(caps: &StorageCapabilities, options: &PutOptions) -> Result<()> {
    if let Some(t) = &options.content_type {
        validate_content_type(t)?;
    }
    match options.mode {
        PutMode::Create => gate(caps, Capability::PutCreateOnly)?,
        PutMode::Update(_) => gate(caps, Capability::PutIfVersion)?,
        _ => {}
    }
    if !options.user_metadata.is_empty() {
        gate(caps, Capability::UserMetadata)?;
        validate_metadata(&options.user_metadata)?;
    }
    if !options.attributes.is_empty() {
        gate(caps, Capability::HttpAttributes)?;
        validate_attributes(&options.attributes)?;
    }
    gate_class(caps, options.storage_class.as_ref())
}

/// A storage class needs `storage.storage_class`, and only the four portable classes may be
/// asked for: a provider's own string would mean something else on the next cloud.
fn gate_class(caps: &StorageCapabilities, class: Option<&StorageClass>) -> Result<()> {
    let Some(class) = class else { return Ok(()) };
    gate(caps, Capability::StorageClass)?;
    if !class.is_portable() {
        return Err(Error::invalid(format!(
            "storage class `{class}` is not portable: ask for standard, infrequent, cold or archive"
        )));
    }
    Ok(())
}

/// Metadata names as the portable contract returns them: as stored where the provider keeps
/// case (`metadata_case_preserved`), lower-cased everywhere else. Adapters hand on what the
/// wire gave (Swift's `Owner`, S3's `owner`); the fold happens here, once. Names were put
/// case-insensitively unique, so folding never merges two entries.
fn fold_case(caps: &StorageCapabilities, mut meta: ObjectMeta) -> ObjectMeta {
    fold_case_in(caps, &mut meta);
    meta
}

fn fold_case_in(caps: &StorageCapabilities, meta: &mut ObjectMeta) {
    if !caps.metadata_case_preserved
        && meta
            .user_metadata
            .keys()
            .any(|k| k.bytes().any(|b| b.is_ascii_uppercase()))
    {
        meta.user_metadata = std::mem::take(&mut meta.user_metadata)
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
    }
}

/// A key the portable rules accept that is still longer than this provider allows.
fn check_key_len(caps: &StorageCapabilities, key: &str) -> Result<()> {
    if caps.max_key_len > 0 && key.len() > caps.max_key_len {
        return Err(Error::invalid(format!(
            "key is {} bytes long; this provider's limit is {}",
            key.len(),
            caps.max_key_len
        )));
    }
    Ok(())
}

fn check_object(caps: &StorageCapabilities, bucket: &str, key: &str) -> Result<()> {
    validate_object(bucket, key)?;
    check_key_len(caps, key)
}

/// Aborts a multipart upload when dropped while armed: a streamed upload whose future is
/// cancelled (a caller's timeout, a closed connection, Ctrl-C) frees its parts instead of
/// leaving them stored and billed. Needs a tokio runtime to spawn the abort on; without
/// one it logs what was left behind.
struct AbortOnDrop<T: Storage + ?Sized + 'static> {
    store: Arc<T>,
    upload: Option<MultipartUpload>,
}

impl<T: Storage + ?Sized + 'static> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        let Some(up) = self.upload.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                let store = self.store.clone();
                rt.spawn(async move {
                    if let Err(e) = store.abort_multipart(&up).await {
                        tracing::warn!(bucket = %up.bucket, key = %up.key, error = %e, "aborting a cancelled upload failed");
                    }
                });
            }
            Err(_) => {
                tracing::warn!(bucket = %up.bucket, key = %up.key, "a cancelled upload was left open (no runtime to abort it on)")
            }
        }
    }
}

impl<T: Storage + ?Sized + 'static> Contract<T> {
    /// A stream written part by part through the inner service; the upload is aborted when
    /// a part or the completion fails, and when this future is dropped before it ends.
    async fn write_in_parts(
        &self,
        bucket: &str,
        key: &str,
        body: ByteStream,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut guard = AbortOnDrop {
            store: self.inner.clone(),
            upload: None,
        };
        let opts = WriterOptions::default().put(options.clone());
        let w = self.inner.writer(bucket, key, opts);
        // `write_stream` aborts by itself on a failure; the guard covers a drop.
        let done = w.write_stream(body, |up| guard.upload = up.cloned()).await;
        guard.upload = None;
        done
    }
}

#[async_trait]
impl<T: Storage + ?Sized + 'static> Storage for Contract<T> {
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
        let r = async {
            validate_bucket_name(bucket)?;
            self.inner.create_bucket(bucket, options).await
        };
        ctx(self.provider(), "create_bucket", || bucket.into(), r.await)
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let r = async {
            validate_bucket_name(bucket)?;
            self.inner.delete_bucket(bucket).await
        };
        ctx(self.provider(), "delete_bucket", || bucket.into(), r.await)
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        let r = async {
            validate_bucket_name(bucket)?;
            self.inner.bucket_exists(bucket).await
        };
        ctx(self.provider(), "bucket_exists", || bucket.into(), r.await)
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        ctx(
            self.provider(),
            "list_buckets",
            String::new,
            self.inner.list_buckets().await,
        )
    }

    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let r = async {
            let caps = self.capabilities();
            check_object(&caps, bucket, key)?;
            gate_put(&caps, options)?;
            let n = body.len() as u64;
            let m = self.inner.put(bucket, key, body, options).await?;
            traffic::count(self.provider(), "put", Direction::Sent, n);
            Ok(fold_case(&caps, m))
        };
        ctx(self.provider(), "put", || format!("{bucket}/{key}"), r.await)
    }

    /// Where the adapter has no native streamed put but declares multipart, the stream is
    /// written part by part through the services below this one (so each part is retried and
    /// traced on its own, and a failed upload is aborted); otherwise it is handed on whole.
    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        let r = async {
            let caps = self.capabilities();
            check_object(&caps, bucket, key)?;
            gate_put(&caps, options)?;
            let body = traffic::counted(body, self.provider(), "put_stream", Direction::Sent);
            let m = if caps.multipart && !caps.native_streamed_put {
                self.write_in_parts(bucket, key, body, options).await?
            } else {
                self.inner.put_stream(bucket, key, body, options).await?
            };
            Ok(fold_case(&caps, m))
        };
        ctx(self.provider(), "put_stream", || format!("{bucket}/{key}"), r.await)
    }

    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        let r = async {
            let caps = self.capabilities();
            check_object(&caps, bucket, key)?;
            if let Some(range) = &options.range {
                gate(&caps, Capability::RangedGet)?;
                if let GetRange::Bounded(r) = range {
                    if r.end <= r.start {
                        return Err(Error::invalid(format!("empty range {r:?}")));
                    }
                }
            }
            if options.if_match.is_some() || options.if_none_match.is_some() {
                gate(&caps, Capability::ConditionalGet)?;
            }
            let mut got = self.inner.get(bucket, key, options).await?;
            fold_case_in(&caps, &mut got.meta);
            // Date conditions: checked here on the response's own metadata (the version whose
            // body follows), so they mean the same on every provider; the body is dropped
            // unread when one fails.
            options.check_dates(&got.meta)?;
            // Each body (the first and any resumed one) is bounded by the idle timeout, so a
            // stall is an interruption that resumes like a reset.
            let resume = super::resume::Resume {
                can: caps.ranged_get && caps.conditional_get,
                times: self.read_resumes,
                idle: self.read_idle_timeout,
            };
            resume.checked(self.inner.clone(), bucket, key, &mut got);
            let body = std::mem::replace(&mut got.body, futures::stream::empty().boxed());
            got.body = traffic::counted(body, self.provider(), "get", Direction::Received);
            Ok(got)
        };
        ctx(self.provider(), "get", || format!("{bucket}/{key}"), r.await)
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let r = async {
            let caps = self.capabilities();
            check_object(&caps, bucket, key)?;
            Ok(fold_case(&caps, self.inner.head(bucket, key).await?))
        };
        ctx(self.provider(), "head", || format!("{bucket}/{key}"), r.await)
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        let r = async {
            check_object(&self.capabilities(), bucket, key)?;
            self.inner.delete(bucket, key).await
        };
        ctx(self.provider(), "delete", || format!("{bucket}/{key}"), r.await)
    }

    /// Invalid keys get their own failed outcome and are never sent; the valid ones go to
    /// the adapter in one batch; the outcomes come back in the caller's order.
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        let provider = self.provider();
        let r = async {
            let caps = self.capabilities();
            gate(&caps, Capability::BatchDelete)?;
            if keys.len() > caps.batch_delete_max {
                return Err(Error::invalid(format!(
                    "{} keys in one batch; the limit is {}",
                    keys.len(),
                    caps.batch_delete_max
                )));
            }
            validate_bucket_name(bucket)?;
            let checks: Vec<Result<()>> = keys
                .iter()
                .map(|k| validate_key(k).and_then(|_| check_key_len(&caps, k)))
                .collect();
            let valid: Vec<String> = keys
                .iter()
                .zip(&checks)
                .filter(|(_, c)| c.is_ok())
                .map(|(k, _)| k.clone())
                .collect();
            let mut sent = if valid.is_empty() {
                Vec::new()
            } else {
                self.inner.delete_many(bucket, &valid).await?
            }
            .into_iter();
            let mut out = Vec::with_capacity(keys.len());
            for (k, c) in keys.iter().zip(checks) {
                let result = match c {
                    Err(e) => Err(e),
                    Ok(()) => match sent.next() {
                        Some(o) if &o.key == k => o.result,
                        Some(o) => {
                            return Err(Error::internal(format!(
                                "the adapter answered for `{}` where `{}` was expected",
                                o.key.escape_debug(),
                                k.escape_debug()
                            )))
                        }
                        None => return Err(Error::internal("the adapter answered for fewer keys than sent")),
                    },
                };
                let result = result.map_err(|e| e.context(provider, "delete_many", || format!("{bucket}/{k}")));
                out.push(DeleteOutcome::new(k.clone(), result));
            }
            Ok(out)
        };
        ctx(provider, "delete_many", || bucket.into(), r.await)
    }

    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        let r = async {
            let caps = self.capabilities();
            validate_bucket_name(bucket)?;
            if let Some(p) = &options.prefix {
                validate_prefix(p)?;
            }
            if options.delimiter.is_some() {
                gate(&caps, Capability::ListDelimiter)?;
            }
            if options.start_after.is_some() {
                gate(&caps, Capability::ListStartAfter)?;
            }
            if options.page_size == Some(0) {
                return Err(Error::invalid("page size must be at least 1"));
            }
            let mut page = self.inner.list_page(bucket, options, token).await?;
            page.objects.iter_mut().for_each(|m| fold_case_in(&caps, m));
            Ok(page)
        };
        ctx(self.provider(), "list_page", || bucket.into(), r.await)
    }

    async fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str, options: &CopyOptions) -> Result<ObjectMeta> {
        let r = async {
            let caps = self.capabilities();
            // The most specific capability the call needs is the one named.
            if options.if_not_exists {
                gate(&caps, Capability::CopyIfNotExists)?;
            }
            gate(&caps, Capability::Copy)?;
            gate_class(&caps, options.storage_class.as_ref())?;
            check_object(&caps, sb, sk)?;
            check_object(&caps, db, dk)?;
            Ok(fold_case(&caps, self.inner.copy(sb, sk, db, dk, options).await?))
        };
        ctx(self.provider(), "copy", || format!("{sb}/{sk} -> {db}/{dk}"), r.await)
    }

    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        let r = async {
            let caps = self.capabilities();
            gate(&caps, Capability::Multipart)?;
            check_object(&caps, bucket, key)?;
            gate_put(&caps, options)?;
            self.inner.create_multipart(bucket, key, options).await
        };
        ctx(
            self.provider(),
            "create_multipart",
            || format!("{bucket}/{key}"),
            r.await,
        )
    }

    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        let r = async {
            let caps = self.capabilities();
            gate(&caps, Capability::Multipart)?;
            if part_number == 0 || (caps.multipart_max_parts > 0 && part_number > caps.multipart_max_parts) {
                return Err(Error::invalid(format!(
                    "part number {part_number} is outside 1..={}",
                    caps.multipart_max_parts
                )));
            }
            if caps.multipart_max_part_size > 0 && body.len() as u64 > caps.multipart_max_part_size {
                return Err(Error::invalid(format!(
                    "part of {} bytes is above the provider's maximum of {}",
                    body.len(),
                    caps.multipart_max_part_size
                )));
            }
            let n = body.len() as u64;
            let part = self.inner.upload_part(upload, part_number, body).await?;
            traffic::count(self.provider(), "upload_part", Direction::Sent, n);
            Ok(part)
        };
        let res = || format!("{}/{} part {part_number}", upload.bucket, upload.key);
        ctx(self.provider(), "upload_part", res, r.await)
    }

    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        let r = async {
            let caps = self.capabilities();
            gate(&caps, Capability::Multipart)?;
            let m = if parts.is_empty() {
                // Portable: no parts make an empty object (object_store and Go CDK callers
                // rely on it). S3 and its kin refuse an empty part list (MalformedXML), so
                // one empty part is sent: a last part may be of any size everywhere.
                let empty = self.inner.upload_part(upload, 1, Bytes::new()).await?;
                self.inner.complete_multipart(upload, &[empty]).await?
            } else {
                self.inner.complete_multipart(upload, parts).await?
            };
            Ok(fold_case(&caps, m))
        };
        let res = || format!("{}/{}", upload.bucket, upload.key);
        ctx(self.provider(), "complete_multipart", res, r.await)
    }

    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        let r = async {
            gate(&self.capabilities(), Capability::Multipart)?;
            self.inner.abort_multipart(upload).await
        };
        let res = || format!("{}/{}", upload.bucket, upload.key);
        ctx(self.provider(), "abort_multipart", res, r.await)
    }

    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        let r = async {
            let caps = self.capabilities();
            gate(
                &caps,
                match method {
                    PresignMethod::Get => Capability::PresignGet,
                    PresignMethod::Put => Capability::PresignPut,
                },
            )?;
            check_object(&caps, bucket, key)?;
            if expires_in < Duration::from_secs(1) || expires_in > caps.presign_max_expiry {
                return Err(Error::invalid(format!(
                    "expiry {expires_in:?} is outside 1s..={:?}",
                    caps.presign_max_expiry
                )));
            }
            self.inner.presign(bucket, key, method, expires_in).await
        };
        ctx(self.provider(), "presign", || format!("{bucket}/{key}"), r.await)
    }
}
