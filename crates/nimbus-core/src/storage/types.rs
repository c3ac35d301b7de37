//! Plain data of the storage API: metadata, options, list pages.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
use futures::stream::BoxStream;

use super::StorageClass;
use crate::Result;

/// A stream of body chunks. Streams never buffer the whole object.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A bucket as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BucketInfo {
    /// Bucket name.
    pub name: String,
    /// When it was created, where the provider says.
    pub created: Option<SystemTime>,
    /// Region or location, where the provider says.
    pub region: Option<String>,
}

impl BucketInfo {
    /// A bucket with just a name.
    pub fn new(name: impl Into<String>) -> Self {
        BucketInfo {
            name: name.into(),
            created: None,
            region: None,
        }
    }
}

/// Options to create a bucket.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CreateBucketOptions {
    /// Region or location; the provider's default when `None`.
    pub region: Option<String>,
}

/// What is known of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Entity tag, unquoted. For single-part uploads on most providers the hex MD5 of
    /// the content; multipart ETags differ per provider (a documented difference).
    pub etag: Option<String>,
    /// Opaque version token for [`PutMode::Update`] (S3 ETag, GCS generation, …).
    pub version: Option<String>,
    /// Last modification time.
    pub last_modified: Option<SystemTime>,
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata. Names keep their case where the provider declares
    /// `metadata_case_preserved`; elsewhere the portable contract lower-cases them.
    pub user_metadata: BTreeMap<String, String>,
    /// Cache-Control, Content-Disposition, Content-Encoding, Content-Language, where the
    /// provider keeps them (`storage.http_attributes`): head and get return them; listings
    /// return them only where the provider's listing carries them (local, Cloud Storage).
    pub attributes: HttpAttributes,
    /// The storage class, where the provider reports it (`storage.storage_class`): head and
    /// get always, listings where they carry it (S3, Cloud Storage). `None` where it is not
    /// reported.
    pub storage_class: Option<StorageClass>,
}

impl ObjectMeta {
    /// Metadata with only key and size.
    pub fn new(key: impl Into<String>, size: u64) -> Self {
        ObjectMeta {
            key: key.into(),
            size,
            etag: None,
            version: None,
            last_modified: None,
            content_type: None,
            user_metadata: BTreeMap::new(),
            attributes: HttpAttributes::default(),
            storage_class: None,
        }
    }
}

/// The standard HTTP attributes stored with an object and sent back with it: what a browser,
/// CDN or HTTP client of the object sees. Values are US-ASCII header values (checked by the
/// portable contract: no control characters, so no header injection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpAttributes {
    /// `Cache-Control`, e.g. `max-age=3600`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`, e.g. `attachment; filename="report.csv"`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`, e.g. `gzip`. The body is stored as given; whether a reader gets it
    /// decoded is the provider's (Cloud Storage transcodes `gzip` for clients that do not
    /// accept it; a registered difference).
    pub content_encoding: Option<String>,
    /// `Content-Language`, e.g. `en-US`.
    pub content_language: Option<String>,
}

impl HttpAttributes {
    /// The four attributes, in header order (for adapters that read them from an answer).
    pub fn new(
        cache_control: Option<String>,
        content_disposition: Option<String>,
        content_encoding: Option<String>,
        content_language: Option<String>,
    ) -> Self {
        HttpAttributes {
            cache_control,
            content_disposition,
            content_encoding,
            content_language,
        }
    }

    /// Whether no attribute is set.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    /// Each attribute with its HTTP header name, in a fixed order.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("cache-control", self.cache_control.as_deref()),
            ("content-disposition", self.content_disposition.as_deref()),
            ("content-encoding", self.content_encoding.as_deref()),
            ("content-language", self.content_language.as_deref()),
        ]
    }

    /// Sets the attribute named by its HTTP header (case-insensitive); `false` for another
    /// header. For adapters that read the headers back.
    pub fn set(&mut self, header: &str, value: impl Into<String>) -> bool {
        let slot = match header.to_ascii_lowercase().as_str() {
            "cache-control" => &mut self.cache_control,
            "content-disposition" => &mut self.content_disposition,
            "content-encoding" => &mut self.content_encoding,
            "content-language" => &mut self.content_language,
            _ => return false,
        };
        *slot = Some(value.into());
        true
    }
}

/// How a put treats an existing object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PutMode {
    /// Replace whatever is there.
    #[default]
    Overwrite,
    /// Fail with `AlreadyExists`/`PreconditionFailed` if the object exists.
    Create,
    /// Replace only if the current version token equals this one; otherwise
    /// `PreconditionFailed`.
    Update(String),
}

/// Options of a put.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PutOptions {
    /// Existing-object behaviour.
    pub mode: PutMode,
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata.
    pub user_metadata: BTreeMap<String, String>,
    /// Cache-Control, Content-Disposition, Content-Encoding, Content-Language
    /// (`storage.http_attributes`).
    pub attributes: HttpAttributes,
    /// The class to store the object in (`storage.storage_class`); the provider's default
    /// (normally [`StorageClass::Standard`]) when `None`.
    pub storage_class: Option<StorageClass>,
}

impl PutOptions {
    /// Options with the given mode.
    pub fn with_mode(mode: PutMode) -> Self {
        PutOptions {
            mode,
            ..Default::default()
        }
    }
    /// Sets the content type.
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = Some(ct.into());
        self
    }
    /// Adds a user metadata entry.
    pub fn metadata(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.user_metadata.insert(k.into(), v.into());
        self
    }

    /// Sets an HTTP attribute by its header name (`cache-control`, `content-disposition`,
    /// `content-encoding`, `content-language`); another name is ignored here and refused by
    /// nothing, so check [`HttpAttributes::set`]'s result where the name comes from input.
    pub fn attribute(mut self, header: &str, value: impl Into<String>) -> Self {
        self.attributes.set(header, value);
        self
    }

    /// Sets the storage class.
    pub fn storage_class(mut self, class: StorageClass) -> Self {
        self.storage_class = Some(class);
        self
    }
}

/// A byte range to read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetRange {
    /// `start..end` (end exclusive).
    Bounded(Range<u64>),
    /// From an offset to the end.
    From(u64),
    /// The last `n` bytes.
    Suffix(u64),
}

impl GetRange {
    /// Resolves against an object size, returning the absolute range or an
    /// `InvalidInput` error when unsatisfiable.
    pub fn resolve(&self, size: u64) -> Result<Range<u64>> {
        let r = match self {
            GetRange::Bounded(r) => {
                if r.start > r.end {
                    return Err(crate::Error::invalid(format!(
                        "range start {} is after end {}",
                        r.start, r.end
                    )));
                }
                r.start..r.end.min(size)
            }
            GetRange::From(s) => *s..size,
            GetRange::Suffix(n) => size.saturating_sub(*n)..size,
        };
        if r.start >= size && !(size == 0 && r.start == 0) {
            return Err(crate::Error::invalid(format!(
                "range starts at {} but the object has {size} bytes",
                r.start
            )));
        }
        Ok(r)
    }
}

/// Options of a get or head.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct GetOptions {
    /// Only part of the object.
    pub range: Option<GetRange>,
    /// Fail with `PreconditionFailed` unless the ETag matches.
    pub if_match: Option<String>,
    /// Fail with `NotModified` if the ETag matches.
    pub if_none_match: Option<String>,
    /// Fail with `NotModified` unless the object changed after this time (ignored when
    /// `if_none_match` is set, as HTTP says). Compared in whole seconds, as HTTP dates are.
    pub if_modified_since: Option<SystemTime>,
    /// Fail with `PreconditionFailed` if the object changed after this time (ignored when
    /// `if_match` is set). Compared in whole seconds.
    pub if_unmodified_since: Option<SystemTime>,
}

impl GetOptions {
    /// Checks the date conditions against the metadata of the object being read, in HTTP's
    /// order (RFC 9110 §13.2.2): `if_unmodified_since` only without `if_match`,
    /// `if_modified_since` only without `if_none_match`. The portable contract calls it on
    /// the metadata of the very response whose body follows, so the answer is exact on every
    /// provider.
    pub fn check_dates(&self, meta: &ObjectMeta) -> crate::Result<()> {
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        let modified = meta.last_modified.map(secs);
        if self.if_match.is_none() {
            if let Some(since) = self.if_unmodified_since {
                // Unknown modification time: the condition is false (RFC 9110 §13.1.4).
                if modified.is_none_or(|m| m > secs(since)) {
                    return Err(crate::Error::new(
                        crate::ErrorKind::PreconditionFailed,
                        "the object was modified after the if-unmodified-since time",
                    )
                    .with_resource(meta.key.clone()));
                }
            }
        }
        if self.if_none_match.is_none() {
            if let (Some(since), Some(m)) = (self.if_modified_since, modified) {
                if m <= secs(since) {
                    return Err(crate::Error::new(
                        crate::ErrorKind::NotModified,
                        "the object was not modified after the if-modified-since time",
                    )
                    .with_resource(meta.key.clone()));
                }
            }
        }
        Ok(())
    }

    /// A ranged get.
    pub fn range(range: GetRange) -> Self {
        GetOptions {
            range: Some(range),
            ..Default::default()
        }
    }
}

/// A streamed read.
#[non_exhaustive]
pub struct GetResult {
    /// Metadata of the whole object.
    pub meta: ObjectMeta,
    /// Byte range of the object the body holds.
    pub range: Range<u64>,
    /// The body.
    pub body: ByteStream,
}

impl GetResult {
    /// A result from its parts.
    pub fn new(meta: ObjectMeta, range: Range<u64>, body: ByteStream) -> Self {
        GetResult { meta, range, body }
    }

    /// Collects the body into memory.
    pub async fn bytes(self) -> Result<Bytes> {
        use futures::TryStreamExt;
        let chunks: Vec<Bytes> = self.body.try_collect().await?;
        if chunks.len() == 1 {
            return Ok(chunks.into_iter().next().unwrap_or_default());
        }
        let mut out = Vec::with_capacity((self.range.end - self.range.start) as usize);
        for c in chunks {
            out.extend_from_slice(&c);
        }
        Ok(Bytes::from(out))
    }
}

impl std::fmt::Debug for GetResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetResult")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// Options of one list call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only keys that start with this.
    pub prefix: Option<String>,
    /// Group keys by this delimiter into common prefixes (usually `/`).
    pub delimiter: Option<String>,
    /// Only keys strictly after this one (exclusive, as S3's `start-after`).
    pub start_after: Option<String>,
    /// Page size hint; capped by the provider's limit.
    pub page_size: Option<usize>,
}

impl ListOptions {
    /// Lists under a prefix.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        ListOptions {
            prefix: Some(prefix.into()),
            ..Default::default()
        }
    }
    /// Sets the delimiter.
    pub fn delimiter(mut self, d: impl Into<String>) -> Self {
        self.delimiter = Some(d.into());
        self
    }
    /// Sets start-after.
    pub fn start_after(mut self, k: impl Into<String>) -> Self {
        self.start_after = Some(k.into());
        self
    }
    /// Sets the page size.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = Some(n);
        self
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListPage {
    /// Objects in this page.
    pub objects: Vec<ObjectMeta>,
    /// Common prefixes in this page (when a delimiter was given).
    pub common_prefixes: Vec<String>,
    /// Token for the next page; `None` on the last page.
    pub next_token: Option<String>,
}

/// An entry of a flattened listing stream.
// Most entries are objects, and a stream holds one page, so the prefix variant's unused
// bytes cost nothing worth a `Box` in every caller's pattern.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// An object.
    Object(ObjectMeta),
    /// A common prefix ("directory").
    Prefix(String),
}

/// Options of a copy.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Fail with `AlreadyExists`/`PreconditionFailed` if the destination exists.
    pub if_not_exists: bool,
    /// The class to store the copy in (`storage.storage_class`). `None` stores it in the
    /// provider's default class, not the source's: that is what S3's CopyObject, Azure's
    /// Copy Blob and Cloud Storage's rewrite all do, and copying into another class is how an
    /// object changes class on every one of them.
    pub storage_class: Option<StorageClass>,
}

impl CopyOptions {
    /// Stores the copy in `class`.
    pub fn storage_class(mut self, class: StorageClass) -> Self {
        self.storage_class = Some(class);
        self
    }
}

/// Result of deleting one key of a batch.
#[derive(Debug)]
#[non_exhaustive]
pub struct DeleteOutcome {
    /// The key.
    pub key: String,
    /// `Ok` when deleted or already absent.
    pub result: Result<()>,
}

impl DeleteOutcome {
    /// An outcome from its parts.
    pub fn new(key: impl Into<String>, result: Result<()>) -> Self {
        DeleteOutcome {
            key: key.into(),
            result,
        }
    }
}

/// Identifies a multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartUpload {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// The provider's upload id.
    pub upload_id: String,
}

impl MultipartUpload {
    /// An upload handle from its parts.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>, upload_id: impl Into<String>) -> Self {
        MultipartUpload {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
        }
    }
}

/// A part uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// Provider's tag for the part (S3 ETag, Azure block id, …).
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
}

impl CompletedPart {
    /// A part from its parts.
    pub fn new(part_number: u32, etag: impl Into<String>, size: u64) -> Self {
        CompletedPart {
            part_number,
            etag: etag.into(),
            size,
        }
    }
}

/// Method of a presigned URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignMethod {
    /// Download.
    Get,
    /// Upload.
    Put,
}

impl PresignMethod {
    /// `GET` or `PUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            PresignMethod::Get => "GET",
            PresignMethod::Put => "PUT",
        }
    }
}
