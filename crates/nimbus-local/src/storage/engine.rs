//! The semantics of local storage, shared by the filesystem and memory backends.
//!
//! Conditional writes are check-and-commit under a lock: the data is staged first (streamed to
//! a temp file, outside the lock, so a slow upload never blocks other writers), then the
//! condition is checked and the staged data renamed into place while holding the in-process
//! mutex and the backend's cross-process lock.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use md5::{Digest, Md5};
use nimbus_core::storage::validate::{validate_bucket_name, validate_key, validate_prefix};
use nimbus_core::storage::*;
use nimbus_core::{Capability, Error, ErrorKind, ListOrdering, Result, StorageCapabilities};
use tokio::sync::Mutex;

use super::backend::{past_prefix, Backend, Decide, Pick, Staged, StoredMeta};
use super::presign;

/// Tunables of a local store.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StorageOptions {
    /// Smallest part (except the last) of a multipart upload. S3's 5 MiB by default.
    pub min_part_size: u64,
    /// Whether a write is on disk before it returns (`fdatasync` of the data before it is
    /// renamed into place). On by default: private deployments run on this store. Test suites
    /// that want speed over surviving a power cut turn it off (`durability = "none"`).
    pub durable: bool,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            min_part_size: 5 * 1024 * 1024,
            durable: true,
        }
    }
}

struct Upload {
    bucket: String,
    key: String,
    options: PutOptions,
    parts: BTreeMap<u32, Staged>,
}

/// A local store over a backend.
pub struct Engine<B: Backend> {
    pub(crate) backend: B,
    options: StorageOptions,
    commit_lock: Mutex<()>,
    uploads: Mutex<HashMap<String, Upload>>,
    generation: AtomicU64,
    self_ref: std::sync::Weak<Engine<B>>,
}

impl<B: Backend> std::fmt::Debug for Engine<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStorage")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

impl<B: Backend> Engine<B> {
    pub(crate) fn new(backend: B, options: StorageOptions) -> Arc<Self> {
        Arc::new_cyclic(|w| Engine {
            backend,
            options,
            commit_lock: Mutex::new(()),
            uploads: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            self_ref: w.clone(),
        })
    }

    fn name(&self) -> &'static str {
        self.backend.name()
    }

    fn err(&self, e: Error, op: &'static str, res: impl FnOnce() -> String) -> Error {
        e.context(self.name(), op, res)
    }

    fn check(&self, bucket: &str, key: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        validate_key(key)?;
        self.backend.check_key(key)
    }

    async fn require_bucket(&self, bucket: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        if self.backend.bucket_exists(bucket).await? {
            Ok(())
        } else {
            Err(
                Error::new(ErrorKind::NotFound, format!("bucket `{bucket}` does not exist"))
                    .with_raw_code("NoSuchBucket")
                    .with_resource(bucket),
            )
        }
    }

    /// A version token unique within this store and increasing: nanoseconds since the epoch,
    /// bumped past the last one handed out.
    fn next_version(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let mut cur = self.generation.load(Ordering::Relaxed);
        loop {
            let next = now.max(cur + 1);
            match self
                .generation
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => return next.to_string(),
                Err(v) => cur = v,
            }
        }
    }

    fn check_mode(mode: &PutMode, existing: Option<&StoredMeta>, res: &str) -> Result<()> {
        match (mode, existing) {
            (PutMode::Overwrite, _) => Ok(()),
            (PutMode::Create, None) => Ok(()),
            (PutMode::Create, Some(_)) => Err(Error::new(ErrorKind::AlreadyExists, "object exists (create-only put)")
                .with_raw_code("PreconditionFailed")
                .with_resource(res)),
            (PutMode::Update(v), Some(m)) if &m.version == v => Ok(()),
            (PutMode::Update(v), Some(m)) => Err(Error::new(
                ErrorKind::PreconditionFailed,
                format!("version is {}, not {v}", m.version),
            )
            .with_raw_code("PreconditionFailed")
            .with_resource(res)),
            (PutMode::Update(_), None) => Err(Error::new(ErrorKind::PreconditionFailed, "object does not exist")
                .with_raw_code("PreconditionFailed")
                .with_resource(res)),
            (other, _) => Err(Error::invalid(format!(
                "put mode {other:?} is not known to local storage"
            ))),
        }
    }

    /// Checks the mode and commits staged data under the locks.
    async fn commit_staged(
        &self,
        bucket: &str,
        key: &str,
        staged: Staged,
        options: &PutOptions,
        etag: String,
    ) -> Result<ObjectMeta> {
        let res = format!("{bucket}/{key}");
        if let Err(e) = self.require_bucket(bucket).await {
            self.backend.discard(staged).await;
            return Err(e);
        }
        let _local = self.commit_lock.lock().await;
        let _global = self.backend.lock().await?;
        let meta = StoredMeta {
            size: staged.size,
            etag,
            version: self.next_version(),
            modified_ms: now_ms(),
            content_type: options.content_type.clone(),
            user_metadata: options.user_metadata.clone(),
            cache_control: options.attributes.cache_control.clone(),
            content_disposition: options.attributes.content_disposition.clone(),
            content_encoding: options.attributes.content_encoding.clone(),
            content_language: options.attributes.content_language.clone(),
            ino: None,
        };
        let mode = options.mode.clone();
        let decide: Decide = Box::new(move |existing| {
            Self::check_mode(&mode, existing, &res)?;
            Ok(meta)
        });
        let meta = self.backend.commit_checked(bucket, key, staged, decide).await?;
        Ok(meta.to_meta(key))
    }

    async fn meta_or_not_found(&self, bucket: &str, key: &str) -> Result<StoredMeta> {
        self.require_bucket(bucket).await?;
        self.backend
            .read_meta(bucket, key)
            .await?
            .ok_or_else(|| no_such_key(bucket, key))
    }

    async fn put_inner(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        self.check(bucket, key)?;
        self.require_bucket(bucket).await?;
        let staged = self.backend.stage(body).await?;
        let etag = staged.md5_hex()?;
        self.commit_staged(bucket, key, staged, options, etag).await
    }

    /// Reads a presigned URL made by this store.
    pub async fn fetch_presigned(&self, url: &str) -> Result<Bytes> {
        let (bucket, key) = presign::verify(self.backend.presign_key(), url, PresignMethod::Get)?;
        self.get(&bucket, &key, &GetOptions::default()).await?.bytes().await
    }

    /// Writes through a presigned URL made by this store.
    pub async fn upload_presigned(&self, url: &str, body: Bytes) -> Result<ObjectMeta> {
        let (bucket, key) = presign::verify(self.backend.presign_key(), url, PresignMethod::Put)?;
        self.put(&bucket, &key, body, &PutOptions::default()).await
    }

    /// Multipart uploads in progress (for tests and `nimbus storage` diagnostics).
    pub async fn uploads_in_progress(&self) -> usize {
        self.uploads.lock().await.len()
    }
}

#[async_trait]
impl<B: Backend> Storage for Engine<B> {
    fn provider(&self) -> &'static str {
        self.name()
    }

    fn capabilities(&self) -> StorageCapabilities {
        let mut c = StorageCapabilities::none();
        c.put_create_only = true;
        c.put_if_version = true;
        c.conditional_get = true;
        c.ranged_get = true;
        c.copy = true;
        c.copy_if_not_exists = true;
        c.multipart = true;
        c.multipart_min_part_size = self.options.min_part_size;
        c.multipart_max_part_size = 5 * 1024 * 1024 * 1024;
        c.multipart_max_parts = 10_000;
        c.batch_delete = true;
        c.batch_delete_max = 1000;
        c.presign_get = true;
        c.presign_put = true;
        c.presign_max_expiry = Duration::from_secs(7 * 24 * 3600);
        c.list_ordering = ListOrdering::Lexicographic;
        c.list_delimiter = true;
        c.list_start_after = true;
        c.list_max_page_size = 1000;
        c.user_metadata = true;
        c.metadata_case_preserved = true;
        c.http_attributes = true;
        c.max_key_len = nimbus_core::storage::validate::MAX_KEY_LEN;
        // Bodies stream straight into a staged file or buffer: no need to split them.
        c.native_streamed_put = true;
        c
    }

    fn native(&self) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        self.self_ref
            .upgrade()
            .map(|a| a as Arc<dyn std::any::Any + Send + Sync>)
    }

    async fn create_bucket(&self, bucket: &str, _options: &CreateBucketOptions) -> Result<()> {
        validate_bucket_name(bucket).map_err(|e| self.err(e, "create_bucket", || bucket.into()))?;
        self.backend
            .create_bucket(bucket)
            .await
            .map_err(|e| self.err(e, "create_bucket", || bucket.into()))
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        let r: Result<()> = async {
            self.require_bucket(bucket).await?;
            let _local = self.commit_lock.lock().await;
            if !self
                .backend
                .keys_from(bucket, "", &std::ops::Bound::Unbounded, 1)
                .await?
                .is_empty()
            {
                return Err(Error::new(ErrorKind::Conflict, "bucket is not empty").with_raw_code("BucketNotEmpty"));
            }
            self.backend.remove_bucket(bucket).await
        }
        .await;
        r.map_err(|e| self.err(e, "delete_bucket", || bucket.into()))
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        validate_bucket_name(bucket).map_err(|e| self.err(e, "bucket_exists", || bucket.into()))?;
        self.backend.bucket_exists(bucket).await
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.backend
            .list_buckets()
            .await
            .map_err(|e| self.err(e, "list_buckets", String::new))
    }

    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        let r: Result<ObjectMeta> = async {
            // The bucket is checked once, by `commit_staged` after staging: staging a body
            // already in memory is quick, and a missing bucket discards it.
            self.check(bucket, key)?;
            let staged = self.backend.stage_bytes(body).await?;
            let etag = staged.md5_hex()?;
            self.commit_staged(bucket, key, staged, options, etag).await
        }
        .await;
        r.map_err(|e| self.err(e, "put", || format!("{bucket}/{key}")))
    }

    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        self.put_inner(bucket, key, body, options)
            .await
            .map_err(|e| self.err(e, "put_stream", || format!("{bucket}/{key}")))
    }

    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        let r: Result<GetResult> = async {
            self.check(bucket, key)?;
            // The conditions and the range are checked against the metadata inside the
            // backend's one round trip (`open_checked`), so the bytes match that metadata.
            let (if_match, if_none_match) = (options.if_match.clone(), options.if_none_match.clone());
            let want_range = options.range.clone();
            let pick: Pick = Box::new(move |m: &StoredMeta| {
                if let Some(want) = &if_match {
                    if want.trim_matches('"') != m.etag && want != "*" {
                        return Err(Error::new(
                            ErrorKind::PreconditionFailed,
                            format!("ETag is {}, not {want}", m.etag),
                        )
                        .with_raw_code("PreconditionFailed"));
                    }
                }
                if let Some(not) = &if_none_match {
                    if not.trim_matches('"') == m.etag || not == "*" {
                        return Err(Error::new(ErrorKind::NotModified, "ETag matches if-none-match")
                            .with_raw_code("NotModified"));
                    }
                }
                match &want_range {
                    None => Ok(0..m.size),
                    Some(r) => r.resolve(m.size).map_err(|e| e.with_raw_code("InvalidRange")),
                }
            });
            match self.backend.open_checked(bucket, key, pick).await? {
                Some((m, range, body)) => Ok(GetResult::new(m.to_meta(key), range, body)),
                // Which is missing, the bucket or the object: asked only on this path.
                None => {
                    self.require_bucket(bucket).await?;
                    Err(no_such_key(bucket, key))
                }
            }
        }
        .await;
        r.map_err(|e| self.err(e, "get", || format!("{bucket}/{key}")))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let r: Result<ObjectMeta> = async {
            self.check(bucket, key)?;
            Ok(self.meta_or_not_found(bucket, key).await?.to_meta(key))
        }
        .await;
        r.map_err(|e| self.err(e, "head", || format!("{bucket}/{key}")))
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        let r: Result<()> = async {
            self.check(bucket, key)?;
            self.require_bucket(bucket).await?;
            let _local = self.commit_lock.lock().await;
            let _global = self.backend.lock().await?;
            self.backend.remove(bucket, key).await
        }
        .await;
        r.map_err(|e| self.err(e, "delete", || format!("{bucket}/{key}")))
    }

    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        if keys.len() > 1000 {
            return Err(
                Error::invalid(format!("{} keys in one batch; the limit is 1000", keys.len())).context(
                    self.name(),
                    "delete_many",
                    || bucket.into(),
                ),
            );
        }
        self.require_bucket(bucket)
            .await
            .map_err(|e| self.err(e, "delete_many", || bucket.into()))?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let result = self.delete(bucket, k).await;
            out.push(DeleteOutcome::new(k.clone(), result));
        }
        Ok(out)
    }

    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        let r: Result<ListPage> = async {
            self.require_bucket(bucket).await?;
            let prefix = options.prefix.as_deref().unwrap_or("");
            validate_prefix(prefix)?;
            let limit = options.page_size.unwrap_or(1000).clamp(1, 1000);
            let after = match (&token, &options.start_after) {
                (Some(t), _) => Some(t.clone()),
                (None, Some(s)) => Some(s.clone()),
                (None, None) => None,
            };
            // An empty delimiter groups nothing (S3 treats it as absent); grouping every key
            // under "" would never advance.
            let delimiter = options.delimiter.as_deref().filter(|d| !d.is_empty());
            // Resume where the last page stopped: after its last key, or past every key under
            // its last common prefix. The backend finds that point without visiting the keys
            // before it, so a whole listing is linear in its length. `None`: nothing follows.
            let mut from = match &after {
                Some(a) if token.is_some() && delimiter.is_some_and(|d| a.ends_with(d)) => past_prefix(a),
                Some(a) => Some(Bound::Excluded(a.clone())),
                None => Some(Bound::Unbounded),
            };
            let mut page = ListPage::default();
            let mut count = 0;
            let mut last: Option<String> = None;
            let mut more = false;
            // The page's objects, whose metadata is read in one call at the end.
            let mut object_keys: Vec<String> = Vec::new();
            'pages: while let Some(bound) = &from {
                let keys = self.backend.keys_from(bucket, prefix, bound, limit + 1).await?;
                let exhausted = keys.len() <= limit;
                for k in keys {
                    let grouped = delimiter.and_then(|d| {
                        k[prefix.len()..]
                            .find(d)
                            .map(|i| k[..prefix.len() + i + d.len()].to_string())
                    });
                    from = Some(Bound::Excluded(k.clone()));
                    if let Some(p) = grouped {
                        from = past_prefix(&p);
                        if last.as_deref() == Some(p.as_str()) {
                            continue;
                        }
                        if count == limit {
                            more = true;
                            break 'pages;
                        }
                        count += 1;
                        last = Some(p.clone());
                        page.common_prefixes.push(p);
                        // The rest of this batch under `p` is skipped by the check above;
                        // the next batch starts past it.
                        continue;
                    }
                    if count == limit {
                        more = true;
                        break 'pages;
                    }
                    count += 1;
                    object_keys.push(k.clone());
                    last = Some(k);
                }
                if exhausted {
                    break;
                }
            }
            let metas = self.backend.read_metas(bucket, &object_keys).await?;
            // A key removed since it was listed has no metadata and is left out.
            for (k, m) in object_keys.iter().zip(metas) {
                if let Some(m) = m {
                    page.objects.push(m.to_meta(k));
                }
            }
            if more {
                page.next_token = last;
            }
            Ok(page)
        }
        .await;
        r.map_err(|e| self.err(e, "list_page", || bucket.into()))
    }

    async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
    ) -> Result<ObjectMeta> {
        let r: Result<ObjectMeta> = async {
            self.check(src_bucket, src_key)?;
            self.check(dst_bucket, dst_key)?;
            self.require_bucket(dst_bucket).await?;
            let _local = self.commit_lock.lock().await;
            let _global = self.backend.lock().await?;
            let src = self.meta_or_not_found(src_bucket, src_key).await?;
            if options.if_not_exists && self.backend.read_meta(dst_bucket, dst_key).await?.is_some() {
                return Err(
                    Error::new(ErrorKind::AlreadyExists, "destination exists (copy if-not-exists)")
                        .with_resource(format!("{dst_bucket}/{dst_key}")),
                );
            }
            let meta = StoredMeta {
                version: self.next_version(),
                modified_ms: now_ms(),
                ..src
            };
            self.backend
                .copy_object((src_bucket, src_key), (dst_bucket, dst_key), &meta)
                .await?;
            Ok(meta.to_meta(dst_key))
        }
        .await;
        r.map_err(|e| {
            self.err(e, "copy", || {
                format!("{src_bucket}/{src_key} -> {dst_bucket}/{dst_key}")
            })
        })
    }

    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        let r: Result<MultipartUpload> = async {
            self.check(bucket, key)?;
            self.require_bucket(bucket).await?;
            let id = format!("up-{}", self.next_version());
            self.uploads.lock().await.insert(
                id.clone(),
                Upload {
                    bucket: bucket.into(),
                    key: key.into(),
                    options: options.clone(),
                    parts: BTreeMap::new(),
                },
            );
            Ok(MultipartUpload::new(bucket, key, id))
        }
        .await;
        r.map_err(|e| self.err(e, "create_multipart", || format!("{bucket}/{key}")))
    }

    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        let res = || format!("{}/{} part {part_number}", upload.bucket, upload.key);
        if part_number == 0 || part_number > 10_000 {
            return Err(self.err(
                Error::invalid(format!("part number {part_number} is outside 1..=10000")),
                "upload_part",
                res,
            ));
        }
        if !self.uploads.lock().await.contains_key(&upload.upload_id) {
            return Err(self.err(no_upload(upload), "upload_part", res));
        }
        let size = body.len() as u64;
        let staged = self
            .backend
            .stage_part(body)
            .await
            .map_err(|e| self.err(e, "upload_part", res))?;
        let etag = staged.md5_hex().map_err(|e| self.err(e, "upload_part", res))?;
        let mut uploads = self.uploads.lock().await;
        let Some(up) = uploads.get_mut(&upload.upload_id) else {
            drop(uploads);
            self.backend.discard(staged).await;
            return Err(self.err(no_upload(upload), "upload_part", res));
        };
        if let Some(old) = up.parts.insert(part_number, staged) {
            drop(uploads);
            self.backend.discard(old).await;
        }
        Ok(CompletedPart::new(part_number, etag, size))
    }

    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        let res = || format!("{}/{}", upload.bucket, upload.key);
        let up = self.uploads.lock().await.remove(&upload.upload_id);
        let Some(mut up) = up else {
            return Err(self.err(no_upload(upload), "complete_multipart", res));
        };
        let check =
            (|| {
                if parts.is_empty() {
                    return Err(Error::invalid("no parts given").with_raw_code("MalformedXML"));
                }
                for w in parts.windows(2) {
                    if w[0].part_number >= w[1].part_number {
                        return Err(Error::invalid("parts must be in ascending part-number order")
                            .with_raw_code("InvalidPartOrder"));
                    }
                }
                for (i, p) in parts.iter().enumerate() {
                    let Some(s) = up.parts.get(&p.part_number) else {
                        return Err(Error::invalid(format!("part {} was not uploaded", p.part_number))
                            .with_raw_code("InvalidPart"));
                    };
                    if s.md5.map(hex::encode).as_deref() != Some(p.etag.as_str()) {
                        return Err(Error::invalid(format!("part {} has another ETag", p.part_number))
                            .with_raw_code("InvalidPart"));
                    }
                    if i + 1 < parts.len() && s.size < self.options.min_part_size {
                        return Err(Error::invalid(format!(
                            "part {} is {} bytes; every part but the last must be at least {}",
                            p.part_number, s.size, self.options.min_part_size
                        ))
                        .with_raw_code("EntityTooSmall"));
                    }
                }
                Ok(())
            })();
        if let Err(e) = check {
            // Keep the upload so the caller can fix the part list or abort.
            self.uploads.lock().await.insert(upload.upload_id.clone(), up);
            return Err(self.err(e, "complete_multipart", res));
        }
        // The checks above found every chosen part, with its MD5. The parts are joined without
        // another pass over their bytes: S3's multipart ETag is the MD5 of the parts' MD5s.
        let chosen: Vec<Staged> = parts.iter().filter_map(|p| up.parts.remove(&p.part_number)).collect();
        let mut md5s = Vec::with_capacity(16 * chosen.len());
        for s in &chosen {
            md5s.extend_from_slice(&s.md5.unwrap_or_default());
        }
        let etag = format!("{}-{}", hex::encode(Md5::digest(&md5s)), chosen.len());
        let joined = self.backend.concat(chosen).await;
        let leftover = std::mem::take(&mut up.parts);
        for (_, s) in leftover {
            self.backend.discard(s).await;
        }
        let joined = joined.map_err(|e| self.err(e, "complete_multipart", res))?;
        self.commit_staged(&up.bucket, &up.key, joined, &up.options, etag)
            .await
            .map_err(|e| self.err(e, "complete_multipart", res))
    }

    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        let up = self.uploads.lock().await.remove(&upload.upload_id);
        match up {
            Some(up) => {
                for (_, s) in up.parts {
                    self.backend.discard(s).await;
                }
                Ok(())
            }
            None => Err(self.err(no_upload(upload), "abort_multipart", || {
                format!("{}/{}", upload.bucket, upload.key)
            })),
        }
    }

    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        let r: Result<String> = async {
            self.check(bucket, key)?;
            let max = self.capabilities().presign_max_expiry;
            if expires_in.is_zero() || expires_in > max {
                return Err(Error::invalid(format!("expiry {expires_in:?} is outside 1s..={max:?}")));
            }
            let cap = match method {
                PresignMethod::Get => Capability::PresignGet,
                PresignMethod::Put => Capability::PresignPut,
            };
            if !self.capabilities().supports(cap) {
                return Err(Error::unsupported(cap));
            }
            Ok(presign::sign(
                self.backend.presign_key(),
                self.name(),
                bucket,
                key,
                method,
                expires_in,
            ))
        }
        .await;
        r.map_err(|e| self.err(e, "presign", || format!("{bucket}/{key}")))
    }
}

fn no_such_key(bucket: &str, key: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("object `{bucket}/{key}` does not exist"))
        .with_raw_code("NoSuchKey")
        .with_resource(format!("{bucket}/{key}"))
}

fn no_upload(upload: &MultipartUpload) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("no upload `{}` in progress", upload.upload_id),
    )
    .with_raw_code("NoSuchUpload")
}
