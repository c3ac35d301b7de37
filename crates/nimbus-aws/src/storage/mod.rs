//! [`Storage`] on Amazon S3 and S3-compatible endpoints.
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.
//!
//! Portable semantics on S3: the version token is the ETag (S3's `If-Match` compares ETags),
//! create-only puts send `If-None-Match: *` and a 412 becomes `AlreadyExists`, `delete` of a
//! missing key is S3's own idempotent delete, listings are S3's lexicographic ListObjectsV2
//! pages, and a streamed put is written as a multipart upload so memory stays at one part.
//! S3's CopyObject has no destination precondition, so copy-if-not-exists is a multipart upload
//! of copied parts completed under `If-None-Match: *` (`copy_create_only`); it is declared for
//! S3 itself, and for the presets only where the vendor documents that precondition.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream as AwsBody;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CompletedMultipartUpload, CreateBucketConfiguration, Delete, ObjectIdentifier,
};
use aws_sdk_s3::Client;
use bytes::Bytes;
use nimbus_core::storage::checksum::{md5_from_hex, md5_verified};
use nimbus_core::storage::*;
use nimbus_core::{Error, ErrorKind, Result, StorageCapabilities, StorageExt};

/// Part size of a create-only copy (UploadPartCopy copies at most 5 GiB per part).
const COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

use crate::config::AwsConfig;

mod class;
use crate::error::from_sdk;
use crate::presets::{self, CreateOnly};

const PROVIDER: &str = "aws-s3";

/// S3 storage.
#[derive(Clone)]
pub struct S3Storage {
    client: Client,
    region: String,
    caps: StorageCapabilities,
    create_only: CreateOnly,
    preset: Option<&'static str>,
    /// Whole reads of single-part objects without an S3 checksum are checked against the
    /// ETag's MD5 (`verify_etag_md5`).
    etag_md5: bool,
}

impl std::fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Storage")
            .field("region", &self.region)
            .field("preset", &self.preset)
            .finish_non_exhaustive()
    }
}

pub use crate::capabilities::s3_capabilities;

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

fn quote(s: &str) -> String {
    if s.starts_with('"') || s == "*" {
        s.to_string()
    } else {
        format!("\"{s}\"")
    }
}

fn to_systime(t: &aws_sdk_s3::primitives::DateTime) -> Option<std::time::SystemTime> {
    std::time::SystemTime::try_from(*t).ok()
}

impl S3Storage {
    /// Connects with the given settings (no network call is made until the first request).
    /// A `preset` fills endpoint, region, addressing and capabilities; an unknown preset or
    /// one missing its region/account is `InvalidInput`.
    pub async fn connect(cfg: &AwsConfig) -> Result<Self> {
        let cfg = cfg.resolved()?;
        let preset = cfg.preset.as_deref().map(presets::preset).transpose()?;
        let sdk = cfg.sdk_config().await;
        let conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(cfg.path_style())
            .build();
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        Ok(S3Storage {
            client: Client::from_conf(conf),
            region,
            caps: preset.map_or_else(s3_capabilities, |p| p.capabilities()),
            create_only: preset.map_or(CreateOnly::IfNoneMatch, |p| p.create_only),
            preset: preset.map(|p| p.name),
            etag_md5: cfg.verify_etag_md5.unwrap_or(true),
        })
    }

    /// With other declared capabilities (S3-compatible presets).
    pub fn with_capabilities(mut self, caps: StorageCapabilities) -> Self {
        self.caps = caps;
        self
    }

    /// The native client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The vendor header that expresses create-only, where the preset uses one.
    /// A copy that fails when the destination exists, atomically. CopyObject has no
    /// destination precondition, but CompleteMultipartUpload honours `If-None-Match: *`
    /// (S3 conditional writes), so the source is copied in as the parts of an upload and the
    /// upload completed create-only (object_store's method). The parts are pinned to the
    /// source's ETag (`x-amz-copy-source-if-match`), so a source replaced meanwhile fails the
    /// copy instead of mixing versions; the upload carries the source's content type,
    /// metadata and attributes, as CopyObject would. Any failure aborts the upload. The copy's
    /// ETag is a multipart ETag (`…-N`), not the source's.
    async fn copy_create_only(
        &self,
        sb: &str,
        sk: &str,
        db: &str,
        dk: &str,
        class: Option<&StorageClass>,
    ) -> Result<ObjectMeta> {
        let src = self.head(sb, sk).await?;
        let etag = src.etag.clone().unwrap_or_default();
        let mut opts = PutOptions::with_mode(PutMode::Create);
        opts.storage_class = class.cloned();
        opts.content_type = src.content_type.clone();
        opts.user_metadata = src.user_metadata.clone();
        opts.attributes = src.attributes.clone();
        let up = self.create_multipart(db, dk, &opts).await?;
        let parts = async {
            if src.size == 0 {
                return Ok(vec![self.upload_part(&up, 1, Bytes::new()).await?]);
            }
            let (_, id) = split_upload(&up);
            let source = format!("{sb}/{}", encode_key(sk));
            let mut parts = Vec::new();
            let mut start = 0u64;
            while start < src.size {
                let end = (start + COPY_PART).min(src.size);
                let n = parts.len() as u32 + 1;
                let out = self
                    .client
                    .upload_part_copy()
                    .bucket(db)
                    .key(dk)
                    .upload_id(id)
                    .part_number(n as i32)
                    .copy_source(&source)
                    .copy_source_range(format!("bytes={start}-{}", end - 1))
                    .copy_source_if_match(quote(&etag))
                    .send()
                    .await
                    .map_err(from_sdk)?;
                let tag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .map(unquote)
                    .ok_or_else(|| Error::internal("UploadPartCopy answered without an ETag"))?;
                parts.push(CompletedPart::new(n, tag, end - start));
                start = end;
            }
            Ok::<_, Error>(parts)
        }
        .await;
        let done = match parts {
            Ok(parts) => self.complete_multipart(&up, &parts).await,
            Err(e) => Err(e),
        };
        if done.is_err() {
            if let Err(e) = self.abort_multipart(&up).await {
                tracing::warn!(error = %e, "s3: a create-only copy's upload was not aborted");
            }
        }
        done.map_err(|e| {
            if e.kind() == ErrorKind::AlreadyExists {
                Error::new(ErrorKind::AlreadyExists, "destination exists (copy if-not-exists)")
            } else {
                e
            }
        })
    }

    fn create_only_header(&self, mode: &PutMode) -> Option<&'static str> {
        match (mode, self.create_only) {
            (PutMode::Create, CreateOnly::Header(h)) => Some(h),
            _ => None,
        }
    }

    /// Whether an error answers a create-only write whose key exists: 412 for
    /// `If-None-Match`, 409 (`FileAlreadyExists` on OSS) for forbid-overwrite headers.
    fn refused_create(e: &Error, header: Option<&str>) -> bool {
        matches!(e.kind(), ErrorKind::PreconditionFailed | ErrorKind::AlreadyExists)
            || (header.is_some() && e.kind() == ErrorKind::Conflict)
    }
}

/// Sends a request; with `Some(header)`, the vendor header is set to `true` first (the
/// forbid-overwrite headers of OSS and COS). A macro because every operation has its own
/// fluent builder type.
macro_rules! send_with_flag {
    ($req:expr, $header:expr) => {
        match $header {
            Some(h) => {
                $req.customize()
                    .mutate_request(move |r| {
                        r.headers_mut().insert(h, "true");
                    })
                    .send()
                    .await
            }
            None => $req.send().await,
        }
    };
}

fn body_stream(body: AwsBody) -> ByteStream {
    Box::pin(futures::stream::try_unfold(body, |mut b| async move {
        match b.try_next().await {
            Ok(Some(c)) => Ok(Some((c, b))),
            Ok(None) => Ok(None),
            Err(e) => Err(Error::new(ErrorKind::Unavailable, "reading the body failed").with_source(e)),
        }
    }))
}

/// How a failed ETag check names the digest, and the way out for stores whose ETags differ.
const ETAG_CLAIM: &str =
    "the object's ETag (an MD5 of its bytes; set `verify_etag_md5 = false` for a store whose ETags are not)";

/// Whether a whole read's ETag is the MD5 of its bytes and nothing checked them already:
/// - an S3 checksum came with the answer: the SDK validated it (response checksum
///   validation, on by default), so a second hash would only cost time;
/// - SSE-KMS and SSE-C objects' ETags are not MD5 digests, nor are multipart objects' (a
///   `-N` suffix, which `md5_from_hex` refuses). Plain and SSE-S3 objects' are
///   (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html>, `ETag`).
///
/// The AWS SDK for Java 1.x checked GetObject against the ETag the same way.
fn etag_is_md5(out: &aws_sdk_s3::operation::get_object::GetObjectOutput) -> bool {
    let checksummed = out.checksum_crc32().is_some()
        || out.checksum_crc32_c().is_some()
        || out.checksum_crc64_nvme().is_some()
        || out.checksum_sha1().is_some()
        || out.checksum_sha256().is_some();
    let kms = out
        .server_side_encryption()
        .is_some_and(|e| e.as_str().starts_with("aws:kms"));
    !checksummed && !kms && out.sse_customer_algorithm().is_none()
}

#[async_trait]
impl Storage for S3Storage {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        self.caps.clone()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.client.clone()))
    }

    async fn create_bucket(&self, bucket: &str, options: &CreateBucketOptions) -> Result<()> {
        let region = options.region.clone().unwrap_or_else(|| self.region.clone());
        let mut req = self.client.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        req.send().await.map(|_| ()).map_err(from_sdk)
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(from_sdk)
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = from_sdk(e);
                if e.kind() == ErrorKind::NotFound {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let out = self.client.list_buckets().send().await.map_err(from_sdk)?;
        Ok(out
            .buckets()
            .iter()
            .filter_map(|b| {
                let mut i = BucketInfo::new(b.name()?);
                i.created = b.creation_date().and_then(to_systime);
                i.region = b.bucket_region().map(str::to_string);
                Some(i)
            })
            .collect())
    }

    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let size = body.len() as u64;
        let mut req = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(AwsBody::from(body))
            .set_content_type(options.content_type.clone())
            .set_cache_control(options.attributes.cache_control.clone())
            .set_content_disposition(options.attributes.content_disposition.clone())
            .set_content_encoding(options.attributes.content_encoding.clone())
            .set_content_language(options.attributes.content_language.clone())
            .set_storage_class(class::to_s3(options.storage_class.as_ref()));
        for (k, v) in &options.user_metadata {
            req = req.metadata(k, v);
        }
        let header = self.create_only_header(&options.mode);
        req = match &options.mode {
            PutMode::Create if header.is_none() => req.if_none_match("*"),
            PutMode::Update(v) => req.if_match(quote(v)),
            _ => req,
        };
        let sent = send_with_flag!(req, header);
        let out = sent.map_err(|e| {
            let mut e = from_sdk(e);
            if options.mode == PutMode::Create && Self::refused_create(&e, header) {
                e = Error::new(ErrorKind::AlreadyExists, "object exists (create-only put)")
                    .with_raw_code(e.raw_code().unwrap_or("PreconditionFailed").to_string());
            }
            e
        })?;
        let mut m = ObjectMeta::new(key, size);
        m.etag = out.e_tag().map(unquote);
        m.version = m.etag.clone();
        m.content_type = options.content_type.clone();
        m.attributes = options.attributes.clone();
        m.user_metadata = options.user_metadata.clone();
        m.storage_class = options.storage_class.clone();
        // PutObject's answer carries no Last-Modified, and no conformance case reads it from
        // a put (`head_metadata` checks the HEAD's), so it stays `None` rather than a HEAD
        // per put or this client's clock passed off as the server's.
        Ok(m)
    }

    /// A fallback for raw use: through the contract (S3 declares multipart and no native
    /// streamed put), the stream is split into parts above the retry and trace layers and
    /// this method is not called. Here the portable writer sends it as a multipart upload
    /// on this bare adapter.
    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        let opts = WriterOptions::default().put(options.clone());
        self.upload_stream(bucket, key, body, opts).await
    }

    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        let mut req = self.client.get_object().bucket(bucket).key(key);
        if let Some(r) = &options.range {
            let header = match r {
                // The contract refuses an empty range; `saturating_sub` only keeps raw use
                // from underflowing.
                GetRange::Bounded(r) => format!("bytes={}-{}", r.start, r.end.saturating_sub(1)),
                GetRange::From(s) => format!("bytes={s}-"),
                GetRange::Suffix(n) => format!("bytes=-{n}"),
                // `GetRange` is non-exhaustive and the contract does not check the form.
                _ => return Err(Error::invalid("unknown range form")),
            };
            req = req.range(header);
        }
        if let Some(m) = &options.if_match {
            req = req.if_match(quote(m));
        }
        if let Some(m) = &options.if_none_match {
            req = req.if_none_match(quote(m));
        }
        let out = req.send().await.map_err(from_sdk)?;
        let len = out.content_length().unwrap_or(0).max(0) as u64;
        let (range, total) = match out.content_range() {
            // "bytes START-END/TOTAL"
            Some(cr) => {
                let (span, total) = cr.trim_start_matches("bytes ").split_once('/').unwrap_or(("", ""));
                let start = span.split('-').next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
                (start..start + len, total.parse::<u64>().unwrap_or(len))
            }
            None => (0..len, len),
        };
        let mut meta = ObjectMeta::new(key, total);
        meta.etag = out.e_tag().map(unquote);
        meta.version = meta.etag.clone();
        meta.last_modified = out.last_modified().and_then(to_systime);
        meta.content_type = out.content_type().map(str::to_string);
        meta.user_metadata = out.metadata().cloned().unwrap_or_default().into_iter().collect();
        meta.attributes = HttpAttributes::new(
            out.cache_control().map(str::to_string),
            out.content_disposition().map(str::to_string),
            out.content_encoding().map(str::to_string),
            out.content_language().map(str::to_string),
        );
        meta.storage_class = Some(class::from_s3(out.storage_class().map(|c| c.as_str())));
        let md5 = (self.etag_md5 && options.range.is_none() && etag_is_md5(&out))
            .then(|| meta.etag.as_deref().and_then(md5_from_hex))
            .flatten();
        Ok(GetResult::new(
            meta,
            range,
            md5_verified(body_stream(out.body), md5, ETAG_CLAIM),
        ))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let out = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(from_sdk)?;
        let mut meta = ObjectMeta::new(key, out.content_length().unwrap_or(0).max(0) as u64);
        meta.etag = out.e_tag().map(unquote);
        meta.version = meta.etag.clone();
        meta.last_modified = out.last_modified().and_then(to_systime);
        meta.content_type = out.content_type().map(str::to_string);
        meta.user_metadata = out.metadata().cloned().unwrap_or_default().into_iter().collect();
        meta.attributes = HttpAttributes::new(
            out.cache_control().map(str::to_string),
            out.content_disposition().map(str::to_string),
            out.content_encoding().map(str::to_string),
            out.content_language().map(str::to_string),
        );
        meta.storage_class = Some(class::from_s3(out.storage_class().map(|c| c.as_str())));
        Ok(meta)
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(from_sdk)
    }

    /// One quiet DeleteObjects (only failures are answered), one outcome per key in order.
    /// The contract checks the batch first and puts `bucket/key` on each failed outcome.
    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        if keys.is_empty() {
            // S3 refuses an empty Delete (MalformedXML); nothing to send.
            return Ok(Vec::new());
        }
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(e.to_string()))?;
        let del = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::internal(e.to_string()))?;
        let resp = self
            .client
            .delete_objects()
            .bucket(bucket)
            .delete(del)
            .send()
            .await
            .map_err(from_sdk)?;
        let mut failed = std::collections::HashMap::new();
        for e in resp.errors() {
            let kind = crate::error::kind_for(e.code(), None);
            let mut err = Error::new(kind, e.message().unwrap_or("delete failed").to_string());
            if let Some(c) = e.code() {
                err = err.with_raw_code(c);
            }
            failed.insert(e.key().unwrap_or_default().to_string(), err);
        }
        Ok(keys
            .iter()
            .map(|k| DeleteOutcome::new(k.clone(), failed.remove(k).map_or(Ok(()), Err)))
            .collect())
    }

    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(options.prefix.clone())
            .set_delimiter(options.delimiter.clone())
            .set_start_after(if token.is_none() {
                options.start_after.clone()
            } else {
                None
            })
            .set_continuation_token(token)
            .max_keys(options.page_size.unwrap_or(1000).clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(from_sdk)?;
        let mut page = ListPage::default();
        page.common_prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_string))
            .collect();
        page.next_token = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        // The SDK's strings are moved, not copied: a listing is mostly this loop (issue 19,
        // docs/benchmarks.md "every provider").
        let contents = out.contents.unwrap_or_default();
        page.objects.reserve(contents.len());
        for o in contents {
            let Some(k) = o.key else { continue };
            let mut m = ObjectMeta::new(k, o.size.unwrap_or(0).max(0) as u64);
            m.etag = o.e_tag.as_deref().map(unquote);
            m.version = m.etag.clone();
            m.last_modified = o.last_modified.as_ref().and_then(to_systime);
            m.storage_class = Some(class::from_s3(o.storage_class.as_ref().map(|c| c.as_str())));
            page.objects.push(m);
        }
        Ok(page)
    }

    async fn copy(&self, sb: &str, sk: &str, db: &str, dk: &str, options: &CopyOptions) -> Result<ObjectMeta> {
        if options.if_not_exists {
            return self
                .copy_create_only(sb, sk, db, dk, options.storage_class.as_ref())
                .await;
        }
        let source = format!("{sb}/{}", encode_key(sk));
        self.client
            .copy_object()
            .bucket(db)
            .key(dk)
            .copy_source(source)
            .set_storage_class(class::to_s3(options.storage_class.as_ref()))
            .send()
            .await
            .map_err(from_sdk)?;
        self.head(db, dk).await
    }

    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_content_type(options.content_type.clone())
            .set_cache_control(options.attributes.cache_control.clone())
            .set_content_disposition(options.attributes.content_disposition.clone())
            .set_content_encoding(options.attributes.content_encoding.clone())
            .set_content_language(options.attributes.content_language.clone())
            .set_storage_class(class::to_s3(options.storage_class.as_ref()));
        for (k, v) in &options.user_metadata {
            req = req.metadata(k, v);
        }
        // A forbid-overwrite header is documented on multipart initiation (OSS, COS).
        let sent = send_with_flag!(req, self.create_only_header(&options.mode));
        let out = sent.map_err(from_sdk)?;
        let id = out
            .upload_id()
            .ok_or_else(|| Error::internal("no upload id in the answer"))?;
        // The put mode is applied at completion; remember it in the handle.
        let mode = match &options.mode {
            PutMode::Create => "create".to_string(),
            PutMode::Update(v) => format!("update:{v}"),
            _ => "overwrite".to_string(),
        };
        Ok(MultipartUpload::new(bucket, key, format!("{mode}|{id}")))
    }

    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        let (_, id) = split_upload(upload);
        let size = body.len() as u64;
        let out = self
            .client
            .upload_part()
            .bucket(&upload.bucket)
            .key(&upload.key)
            .upload_id(id)
            .part_number(part_number as i32)
            .body(AwsBody::from(body))
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(CompletedPart::new(
            part_number,
            out.e_tag().map(unquote).unwrap_or_default(),
            size,
        ))
    }

    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        let (mode, id) = split_upload(upload);
        let done = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|p| {
                        aws_sdk_s3::types::CompletedPart::builder()
                            .part_number(p.part_number as i32)
                            .e_tag(quote(&p.etag))
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let mut req = self
            .client
            .complete_multipart_upload()
            .bucket(&upload.bucket)
            .key(&upload.key)
            .upload_id(id)
            .multipart_upload(done);
        let header = if mode == "create" {
            self.create_only_header(&PutMode::Create)
        } else {
            None
        };
        if mode == "create" && header.is_none() {
            req = req.if_none_match("*");
        } else if let Some(v) = mode.strip_prefix("update:") {
            req = req.if_match(quote(v));
        }
        let sent = send_with_flag!(req, header);
        sent.map_err(|e| {
            let mut e = from_sdk(e);
            if mode == "create" && Self::refused_create(&e, header) {
                e = Error::new(ErrorKind::AlreadyExists, "object exists (create-only put)");
            }
            e
        })?;
        self.head(&upload.bucket, &upload.key).await
    }

    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        let (_, id) = split_upload(upload);
        self.client
            .abort_multipart_upload()
            .bucket(&upload.bucket)
            .key(&upload.key)
            .upload_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(from_sdk)
    }

    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        // The contract bounds the expiry by the declared maximum; the SDK's own refusal
        // (above seven days) still maps to `InvalidInput` for raw use.
        let cfg = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires_in)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let req = match method {
            PresignMethod::Get => self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(from_sdk),
            PresignMethod::Put => self
                .client
                .put_object()
                .bucket(bucket)
                .key(key)
                .presigned(cfg)
                .await
                .map_err(from_sdk),
        }?;
        Ok(req.uri().to_string())
    }
}

fn split_upload(u: &MultipartUpload) -> (&str, &str) {
    u.upload_id
        .split_once('|')
        .unwrap_or(("overwrite", u.upload_id.as_str()))
}

/// Percent-encodes a key for `x-amz-copy-source` (every byte but unreserved ones and `/`).
fn encode_key(k: &str) -> String {
    let mut out = String::with_capacity(k.len());
    for b in k.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_sdk_s3::types::ServerSideEncryption;

    use super::etag_is_md5;

    #[test]
    fn the_etag_is_checked_only_where_it_is_a_digest_nobody_checked() {
        assert!(etag_is_md5(&GetObjectOutput::builder().build()));
        assert!(etag_is_md5(
            &GetObjectOutput::builder()
                .server_side_encryption(ServerSideEncryption::Aes256)
                .build()
        ));
        // The SDK validated the checksum already.
        assert!(!etag_is_md5(
            &GetObjectOutput::builder().checksum_crc32("AAAAAA==").build()
        ));
        assert!(!etag_is_md5(
            &GetObjectOutput::builder().checksum_crc64_nvme("AAAAAAAAAAA=").build()
        ));
        // SSE-KMS and SSE-C ETags are not MD5 digests.
        assert!(!etag_is_md5(
            &GetObjectOutput::builder()
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .build()
        ));
        assert!(!etag_is_md5(
            &GetObjectOutput::builder().sse_customer_algorithm("AES256").build()
        ));
    }
}
