//! [`Storage`] on Google Cloud Storage.
//!
//! Object bytes go through Google's `google-cloud-storage` 1.x (buffered uploads, resumable
//! uploads for streams, CRC32C checked, ranged reads); buckets, listings, metadata, rewrite
//! and delete go through the JSON API (that crate offers them over gRPC only, which no
//! emulator serves). How the portable model maps:
//! - the version token is the object's **generation**; create-only is `ifGenerationMatch=0`
//!   and update-if-version is `ifGenerationMatch=G`;
//! - an unconditional whole-object read of an object this client has seen (put, head, read)
//!   asks for the bytes alone and uses the metadata kept, when the download's answer names
//!   the same generation and metageneration (`meta_cache.rs`: one request, as the raw
//!   crate); of an object not seen, it asks for the metadata and the bytes concurrently and
//!   accepts them only when both name the same generation; a ranged or conditional read (or
//!   a read that raced with a replace) reads the metadata first, then the bytes pinned to
//!   that generation. Either way metadata and body match; `if_match` / `if_none_match`
//!   compare the ETag of the metadata. A read whose generation is replaced before its bytes
//!   are fetched starts again (3 attempts, then `Conflict`), never a false `NotFound`;
//! - there is no S3-style multipart upload in the JSON API: `multipart` is undeclared (the
//!   typed unsupported error), and `put_stream` is one resumable upload in constant memory;
//! - `delete` of a missing object succeeds; `startOffset` is inclusive, so the key equal to
//!   `start_after` is dropped;
//! - presign is a V4 signed URL (path style, only `host` signed, `UNSIGNED-PAYLOAD`) made by
//!   the crate's `SignedUrlBuilder` with a service-account key signing locally. The key is
//!   separate from the request credentials (`GcsConfig::signing_key_file`): Application
//!   Default Credentials on a VM cannot sign without the IAM `signBlob` API, so presign is
//!   declared only when a key is configured.
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.

mod class;
mod json;
mod meta_cache;

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use google_cloud_storage::builder::storage::{SignedUrlBuilder, WriteObject};
use google_cloud_storage::client::Storage as GcsClient;
use google_cloud_storage::model_ext::ReadRange;
use google_cloud_storage::streaming_source::StreamingSource;
use nimbus_core::storage::*;
use nimbus_core::{Capability, Error, ErrorKind, ListOrdering, Result, StorageCapabilities};
use reqwest::Method;
use serde_json::{json, Value};

use crate::config::GcsConfig;
use crate::error::from_gcs;
use crate::rest::JsonApi;
use json::{meta_of, seg, ObjectList, Resource};
use meta_cache::MetaCache;

const PROVIDER: &str = "gcp-storage";
const MAX_PAGE: usize = 1000;
/// V4 signed URLs live at most 7 days (604,800 s).
const PRESIGN_MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// What Cloud Storage declares over the JSON API (limits from "Quotas & limits": 1,024-byte
/// names, 1,000 results per list page; no batch delete or multipart here). Presign needs a
/// service-account key to sign with (`can_presign`).
pub fn gcs_capabilities(can_presign: bool) -> StorageCapabilities {
    let mut c = StorageCapabilities::none();
    c.put_create_only = true;
    c.put_if_version = true;
    c.conditional_get = true;
    c.ranged_get = true;
    c.copy = true;
    c.copy_if_not_exists = true;
    c.multipart = false;
    c.batch_delete = false;
    c.presign_get = can_presign;
    c.presign_put = can_presign;
    c.presign_max_expiry = if can_presign { PRESIGN_MAX } else { Duration::ZERO };
    c.list_ordering = ListOrdering::Lexicographic;
    c.list_delimiter = true;
    c.list_start_after = true;
    c.list_max_page_size = MAX_PAGE;
    c.user_metadata = true;
    // The JSON API carries names as JSON keys, not header names, and keeps their case.
    c.metadata_case_preserved = true;
    c.http_attributes = true;
    // STANDARD, NEARLINE, COLDLINE and ARCHIVE (class.rs).
    c.storage_class = true;
    c.max_key_len = 1024;
    c
}

/// Cloud Storage of one project.
#[derive(Clone)]
pub struct GcsStorage {
    client: GcsClient,
    api: JsonApi,
    project: Option<String>,
    signer: Option<google_cloud_auth::signer::Signer>,
    /// Metadata already seen, checked against every download's answer (`meta_cache.rs`).
    seen: Arc<MetaCache>,
}

impl std::fmt::Debug for GcsStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsStorage")
            .field("endpoint", &self.api.endpoint)
            .field("project", &self.project)
            .field("signs_urls", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

fn bucket_path(bucket: &str) -> String {
    format!("projects/_/buckets/{bucket}")
}

/// How often a read starts again when the object is replaced under it.
const GET_ATTEMPTS: usize = 3;

fn generation(v: &str) -> Result<i64> {
    v.parse().map_err(|_| {
        Error::invalid(format!(
            "`{v}` is not a Cloud Storage generation (use ObjectMeta::version)"
        ))
    })
}

/// A portable body stream as google-cloud-storage's upload source (which must be `Sync`;
/// the mutex is never contended: `next` takes `&mut self`).
struct Source(tokio::sync::Mutex<ByteStream>);

impl StreamingSource for Source {
    type Error = Error;
    async fn next(&mut self) -> Option<std::result::Result<Bytes, Error>> {
        self.0.get_mut().next().await
    }
}

impl GcsStorage {
    /// Connects (no request is made yet).
    pub async fn connect(cfg: &GcsConfig) -> Result<Self> {
        crate::rest::ensure_tls_provider();
        let creds = crate::rest::credentials(&cfg.auth)?;
        let native_creds = creds
            .clone()
            .unwrap_or_else(|| google_cloud_auth::credentials::anonymous::Builder::new().build());
        // The client's own retries are off: the retry layer above every adapter is the one
        // policy (it honours `Retry-After` and knows which calls are idempotent). Interrupted
        // reads are resumed by the portable contract (and by the client, pinned to the
        // generation).
        let client = GcsClient::builder()
            .with_endpoint(cfg.endpoint.clone())
            .with_credentials(native_creds)
            .with_retry_policy(google_cloud_gax::retry_policy::NeverRetry)
            .build()
            .await
            .map_err(|e| Error::invalid(format!("Cloud Storage client: {e}")))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        let signer = match &cfg.signing_key_file {
            Some(p) => {
                let signer = crate::rest::signer(p)?;
                // Signing is local: one signature now proves the private key parses.
                signer
                    .sign("nimbus: signing key check")
                    .await
                    .map_err(|e| Error::invalid(format!("signing key file {} cannot sign: {e}", p.display())))?;
                Some(signer)
            }
            None => None,
        };
        Ok(GcsStorage {
            client,
            api: JsonApi::new(http, cfg.endpoint.clone(), creds),
            project: cfg.project.clone(),
            signer,
            seen: Arc::default(),
        })
    }

    /// The signer of V4 signed URLs, when a service-account key is configured.
    pub fn signer(&self) -> Option<&google_cloud_auth::signer::Signer> {
        self.signer.as_ref()
    }

    /// The native storage client (object reads and writes).
    pub fn client(&self) -> &GcsClient {
        &self.client
    }

    /// The HTTP client used for the JSON API.
    pub fn http(&self) -> &reqwest::Client {
        &self.api.http
    }

    fn project(&self) -> Result<&str> {
        self.project
            .as_deref()
            .ok_or_else(|| Error::invalid("no Google Cloud project: set `project` or GOOGLE_CLOUD_PROJECT"))
    }

    /// The object's JSON metadata, kept for later reads.
    async fn object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let o: Resource = self
            .api
            .call_as(
                Method::GET,
                &format!("/storage/v1/b/{}/o/{}", seg(bucket), seg(key)),
                None,
            )
            .await?;
        let metageneration = o.metageneration();
        let meta = o.into_meta();
        self.seen.remember(bucket, key, metageneration, &meta);
        Ok(meta)
    }

    /// A whole read of an object whose metadata was seen before: the bytes alone, one
    /// request, when the answer names the generation and metageneration kept; otherwise the
    /// metadata is asked for after all and kept if it is of the answer's generation.
    /// `None`: no answer that can be trusted here (the caller reads the two-step way).
    async fn get_seen(&self, bucket: &str, key: &str) -> Option<GetResult> {
        // Boxed here and below: the crate's request future is large, and the async levels
        // above copied it whole as they started (2,500 of 152,500 instructions a 4 KiB read).
        let resp = match Box::pin(self.client.read_object(bucket_path(bucket), key).send()).await {
            Ok(resp) => resp,
            Err(_) => {
                // Gone, or failed: the two-step read below gives the typed error.
                self.seen.forget(bucket, key);
                return None;
            }
        };
        let answer = resp.object();
        let meta = match self.seen.matching(bucket, key, &answer) {
            Some(meta) => meta,
            None => self
                .object(bucket, key)
                .await
                .ok()
                .filter(|m| m.version.as_deref() == Some(answer.generation.to_string().as_str()))?,
        };
        let range = 0..meta.size;
        Some(GetResult::new(meta, range, body_of(resp)))
    }

    /// One read: metadata and bytes of the same generation. An unconditional whole-object
    /// read asks for both at once (one round trip of latency instead of two) and keeps the
    /// bytes only when they carry the metadata's generation. Ranged and conditional reads
    /// (and a whole read whose two answers disagree) read the metadata first, check the
    /// conditions, then the bytes pinned to that generation: a failed condition never starts
    /// a download. `None`: the pinned generation was gone by the time its bytes were asked for.
    async fn get_once(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<Option<GetResult>> {
        let whole = options.range.is_none() && options.if_match.is_none() && options.if_none_match.is_none();
        if whole && self.seen.knows(bucket, key) {
            if let Some(r) = self.get_seen(bucket, key).await {
                return Ok(Some(r));
            }
        } else if whole {
            let read = Box::pin(self.client.read_object(bucket_path(bucket), key).send());
            let (meta, read) = futures::future::join(self.object(bucket, key), read).await;
            let meta = meta?;
            if meta.size == 0 {
                return Ok(Some(GetResult::new(meta, 0..0, Box::pin(futures::stream::empty()))));
            }
            if let Ok(resp) = read {
                if meta.version.as_deref() == Some(resp.object().generation.to_string().as_str()) {
                    let range = 0..meta.size;
                    return Ok(Some(GetResult::new(meta, range, body_of(resp))));
                }
            }
        }
        let meta = self.object(bucket, key).await?;
        check_conditions(&meta, options)?;
        let range = match &options.range {
            Some(r) => r.resolve(meta.size)?,
            None => 0..meta.size,
        };
        if range.end == range.start {
            return Ok(Some(GetResult::new(meta, range, Box::pin(futures::stream::empty()))));
        }
        let gen = meta.version.as_deref().map(generation).transpose()?;
        let mut r = self.client.read_object(bucket_path(bucket), key);
        if let Some(g) = gen {
            r = r.set_generation(g);
        }
        if range.start > 0 || range.end < meta.size {
            r = r.set_read_range(ReadRange::segment(range.start, range.end - range.start));
        }
        match Box::pin(r.send()).await.map_err(from_gcs) {
            Ok(resp) => Ok(Some(GetResult::new(meta, range, body_of(resp)))),
            Err(e) if e.kind() == ErrorKind::NotFound && gen.is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A written object's metadata, kept for the reads that follow.
    fn kept(&self, bucket: &str, key: &str, o: &google_cloud_storage::model::Object) -> ObjectMeta {
        let meta = meta_from_model(o);
        self.seen.remember(bucket, key, o.metageneration, &meta);
        meta
    }

    fn refused_create(create: bool, e: Error) -> Error {
        if create && e.kind() == ErrorKind::PreconditionFailed {
            return Error::new(ErrorKind::AlreadyExists, "object exists (create-only put)")
                .with_raw_code(e.raw_code().unwrap_or("conditionNotMet").to_string());
        }
        e
    }
}

#[async_trait]
impl Storage for GcsStorage {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        gcs_capabilities(self.signer.is_some())
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.client.clone()))
    }

    async fn create_bucket(&self, bucket: &str, options: &CreateBucketOptions) -> Result<()> {
        let project = self.project()?;
        let mut body = json!({ "name": bucket });
        if let Some(r) = &options.region {
            body["location"] = json!(r);
        }
        self.api
            .call(
                Method::POST,
                &format!("/storage/v1/b?project={}", seg(project)),
                Some(&body),
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                // A duplicate name is 409 `conflict` on Cloud Storage.
                if e.kind() == ErrorKind::Conflict {
                    Error::new(ErrorKind::AlreadyExists, "the bucket exists")
                        .with_raw_code(e.raw_code().unwrap_or("conflict").to_string())
                } else {
                    e
                }
            })
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.api
            .call(Method::DELETE, &format!("/storage/v1/b/{}", seg(bucket)), None)
            .await
            .map(|_| ())
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        match self
            .api
            .call(Method::GET, &format!("/storage/v1/b/{}", seg(bucket)), None)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let project = self.project()?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = format!("/storage/v1/b?project={}", seg(project));
            if let Some(t) = &token {
                q.push_str(&format!("&pageToken={}", seg(t)));
            }
            let page = self.api.call(Method::GET, &q, None).await?;
            for b in page.get("items").and_then(Value::as_array).into_iter().flatten() {
                if let Some(n) = b.get("name").and_then(Value::as_str) {
                    let mut i = BucketInfo::new(n);
                    i.created = b
                        .get("timeCreated")
                        .and_then(Value::as_str)
                        .and_then(nimbus_core::time::parse_rfc3339);
                    i.region = b.get("location").and_then(Value::as_str).map(str::to_lowercase);
                    out.push(i);
                }
            }
            token = page.get("nextPageToken").and_then(Value::as_str).map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let w = with_options(self.client.write_object(bucket_path(bucket), key, body), options)?;
        let o = w
            .send_buffered()
            .await
            .map_err(|e| Self::refused_create(options.mode == PutMode::Create, from_gcs(e)))?;
        Ok(self.kept(bucket, key, &o))
    }

    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        let w = self
            .client
            .write_object(bucket_path(bucket), key, Source(tokio::sync::Mutex::new(body)))
            // Always resumable: memory stays at one buffer whatever the size.
            .with_resumable_upload_threshold(0usize);
        let o = with_options(w, options)?
            .send_buffered()
            .await
            .map_err(|e| Self::refused_create(options.mode == PutMode::Create, from_gcs(e)))?;
        Ok(self.kept(bucket, key, &o))
    }

    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        // A read that races with a replace can see the metadata of a generation that is gone
        // by the time its bytes are asked for (404 for that generation): it starts again.
        for _ in 0..GET_ATTEMPTS {
            if let Some(r) = self.get_once(bucket, key, options).await? {
                return Ok(r);
            }
        }
        Err(Error::new(
            ErrorKind::Conflict,
            "the object was replaced during every read attempt",
        ))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.object(bucket, key).await
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.seen.forget(bucket, key);
        match self
            .api
            .call(
                Method::DELETE,
                &format!("/storage/v1/b/{}/o/{}", seg(bucket), seg(key)),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            // A missing object is deleted already; a missing bucket is NotFound.
            Err(e) if e.kind() == ErrorKind::NotFound => match self.bucket_exists(bucket).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(e),
                Err(e2) => Err(e2),
            },
            Err(e) => Err(e),
        }
    }

    /// Undeclared (the JSON API has no batch delete): the contract refuses it first; a raw
    /// call gets the same typed error.
    async fn delete_many(&self, _bucket: &str, _keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        Err(Error::unsupported(Capability::BatchDelete))
    }

    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        let mut q = format!(
            "/storage/v1/b/{}/o?maxResults={}",
            seg(bucket),
            options.page_size.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
        );
        if let Some(p) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
            q.push_str(&format!("&prefix={}", seg(p)));
        }
        if let Some(d) = options.delimiter.as_deref().filter(|d| !d.is_empty()) {
            q.push_str(&format!("&delimiter={}", seg(d)));
        }
        if let Some(s) = &options.start_after {
            q.push_str(&format!("&startOffset={}", seg(s)));
        }
        if let Some(t) = &token {
            q.push_str(&format!("&pageToken={}", seg(t)));
        }
        let page: ObjectList = self.api.call_as(Method::GET, &q, None).await?;
        let after = options.start_after.as_deref();
        let mut out = ListPage::default();
        out.objects.reserve(page.items.len());
        for o in page.items {
            let m = o.into_meta();
            if after.is_some_and(|a| m.key.as_str() <= a) {
                continue;
            }
            out.objects.push(m);
        }
        for p in page.prefixes {
            if after.is_some_and(|a| p.as_str() < a && !a.starts_with(p.as_str())) {
                continue;
            }
            out.common_prefixes.push(p);
        }
        out.next_token = page.next_page_token;
        Ok(out)
    }

    async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
    ) -> Result<ObjectMeta> {
        // The destination resource: only its class is set; the rest comes from the source.
        let destination = match class::to_gcs(options.storage_class.as_ref()) {
            Some(c) => json!({ "storageClass": c }),
            None => json!({}),
        };
        let mut token: Option<String> = None;
        loop {
            let mut q = format!(
                "/storage/v1/b/{}/o/{}/rewriteTo/b/{}/o/{}?",
                seg(src_bucket),
                seg(src_key),
                seg(dst_bucket),
                seg(dst_key)
            );
            if options.if_not_exists {
                q.push_str("ifGenerationMatch=0&");
            }
            if let Some(t) = &token {
                q.push_str(&format!("rewriteToken={}", seg(t)));
            }
            let r = self
                .api
                .call(Method::POST, &q, Some(&destination))
                .await
                .map_err(|e| Self::refused_create(options.if_not_exists, e))?;
            if r.get("done").and_then(Value::as_bool) == Some(true) {
                return Ok(r
                    .get("resource")
                    .map(meta_of)
                    .unwrap_or_else(|| ObjectMeta::new(dst_key, 0)));
            }
            token = r.get("rewriteToken").and_then(Value::as_str).map(str::to_string);
            if token.is_none() {
                return Err(Error::internal("rewrite answered neither done nor a token"));
            }
        }
    }

    /// Undeclared (no S3-style multipart in the JSON API), as are the three below: the
    /// contract refuses them first; a raw call gets the same typed error.
    async fn create_multipart(&self, _bucket: &str, _key: &str, _options: &PutOptions) -> Result<MultipartUpload> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn upload_part(&self, _upload: &MultipartUpload, _part: u32, _body: Bytes) -> Result<CompletedPart> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn complete_multipart(&self, _upload: &MultipartUpload, _parts: &[CompletedPart]) -> Result<ObjectMeta> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn abort_multipart(&self, _upload: &MultipartUpload) -> Result<()> {
        Err(Error::unsupported(Capability::Multipart))
    }

    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        let (cap, verb) = match method {
            PresignMethod::Get => (Capability::PresignGet, http::Method::GET),
            PresignMethod::Put => (Capability::PresignPut, http::Method::PUT),
        };
        // Presign is declared only with a signer, so the contract refuses first; a raw call
        // without a key gets the same typed error, saying why.
        let Some(signer) = &self.signer else {
            return Err(Error::unsupported(cap).with_raw_code("NeedsServiceAccountKey"));
        };
        // The expiry (X-Goog-Expires, whole seconds 1..=604800 = `PRESIGN_MAX`, declared as
        // `presign_max_expiry`) is checked by the contract.
        SignedUrlBuilder::for_object(bucket_path(bucket), key)
            .with_method(verb)
            .with_expiration(expires_in)
            .with_endpoint(self.api.endpoint.clone())
            .sign_with(signer)
            .await
            .map_err(|e| Error::new(ErrorKind::Unauthenticated, format!("V4 signing: {e}")))
    }
}

/// `if_match` / `if_none_match` of a read, compared with the object's ETag.
fn check_conditions(meta: &ObjectMeta, options: &GetOptions) -> Result<()> {
    let etag = meta.etag.as_deref().unwrap_or_default();
    if options.if_match.as_deref().is_some_and(|m| m.trim_matches('"') != etag) {
        return Err(
            Error::new(ErrorKind::PreconditionFailed, "the ETag does not match").with_raw_code("conditionNotMet")
        );
    }
    if options
        .if_none_match
        .as_deref()
        .is_some_and(|m| m.trim_matches('"') == etag)
    {
        return Err(Error::new(ErrorKind::NotModified, "the ETag matches"));
    }
    Ok(())
}

/// The bytes of a read as the portable stream.
fn body_of(resp: google_cloud_storage::read_object::ReadObjectResponse) -> ByteStream {
    Box::pin(futures::stream::unfold(resp, |mut resp| async move {
        resp.next().await.map(|c| {
            (
                c.map_err(|e| Error::new(ErrorKind::Unavailable, "reading the object failed").with_source(from_gcs(e))),
                resp,
            )
        })
    }))
}

/// Content type, metadata and the put mode's generation precondition on an upload.
fn with_options<T>(mut w: WriteObject<T>, options: &PutOptions) -> Result<WriteObject<T>> {
    w = w.set_metadata(options.user_metadata.clone());
    if let Some(ct) = &options.content_type {
        w = w.set_content_type(ct.clone());
    }
    let a = &options.attributes;
    if let Some(v) = &a.cache_control {
        w = w.set_cache_control(v.clone());
    }
    if let Some(v) = &a.content_disposition {
        w = w.set_content_disposition(v.clone());
    }
    if let Some(v) = &a.content_encoding {
        w = w.set_content_encoding(v.clone());
    }
    if let Some(v) = &a.content_language {
        w = w.set_content_language(v.clone());
    }
    if let Some(c) = class::to_gcs(options.storage_class.as_ref()) {
        w = w.set_storage_class(c);
    }
    Ok(match &options.mode {
        PutMode::Create => w.set_if_generation_match(0),
        PutMode::Update(v) => w.set_if_generation_match(generation(v)?),
        _ => w,
    })
}

/// Metadata from the crate's object model.
fn meta_from_model(o: &google_cloud_storage::model::Object) -> ObjectMeta {
    let mut m = ObjectMeta::new(o.name.clone(), o.size.max(0) as u64);
    m.etag = Some(o.etag.clone()).filter(|e| !e.is_empty());
    m.version = Some(o.generation.to_string());
    m.content_type = Some(o.content_type.clone()).filter(|c| !c.is_empty());
    let some = |v: &String| Some(v.clone()).filter(|v| !v.is_empty());
    m.attributes.cache_control = some(&o.cache_control);
    m.attributes.content_disposition = some(&o.content_disposition);
    m.attributes.content_encoding = some(&o.content_encoding);
    m.attributes.content_language = some(&o.content_language);
    m.user_metadata = o.metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    m.storage_class = class::from_gcs(&o.storage_class);
    m.last_modified = o
        .update_time
        .as_ref()
        .and_then(|t| std::time::SystemTime::try_from(*t).ok());
    m
}
