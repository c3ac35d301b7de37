//! [`Storage`] on OpenStack Swift, through Swift's own API (not its S3 emulation: `s3api`
//! is optional middleware, and S3 keys are EC2 credentials a Keystone user may not have;
//! for clusters that do run it, `nimbus-aws` has the `swift` preset).
//!
//! The endpoint is the catalog's `object-store` URL (`…/v1/AUTH_<project_id>`); the
//! Keystone token of the shared [`Session`] authenticates every call. How the portable
//! model maps:
//! - a bucket is a **container**. Swift answers a PUT of an existing container with 202,
//!   not an error, so `create_bucket` asks with HEAD first and answers `AlreadyExists`
//!   (two racing creators can both succeed: Swift has no create-only container PUT);
//! - objects carry an MD5 `Etag` on PUT, so Swift verifies the bytes (422 on a mismatch);
//!   create-only is `If-None-Match: *` (412 → `AlreadyExists`); there is no conditional
//!   *update* (`If-Match` on PUT), so `put_if_version` is not declared; user metadata is
//!   `X-Object-Meta-*`, read back lower-cased (`meta.rs`);
//! - `delete` of a missing object succeeds, as the portable contract says (Swift answers
//!   404; the container is checked so that a missing bucket is still `NotFound`). A Static
//!   Large Object is deleted with its segments (`?multipart-manifest=delete`), so `delete`
//!   reads the object's headers first, as the `swift` CLI does;
//! - `delete_many` is the `bulk` middleware when `/info` names it (`bulk.rs`); SLO
//!   manifests in the batch are deleted with their segments;
//! - listings (`list.rs`): `marker` is `start_after` and the page token;
//! - copy is `PUT` with `X-Copy-From`; an SLO source is copied as its assembled bytes (a
//!   plain object that shares no segments with the source);
//! - multipart is SLO (`slo.rs`: the layout, segments in `<container>_segments`;
//!   `multipart.rs`: the requests); streamed puts are
//!   written part by part by the contract (each segment retried alone, objects above
//!   `max_file_size` possible), or as one chunked PUT in constant memory where SLO is not
//!   known;
//! - presign is TempURL (`tempurl.rs`), declared only with a key and the middleware.
//!
//! Features and limits come from `/info` (`cluster.rs`), read once per client on its first
//! call. Until then only the core API is declared (no multipart, batch delete or presign):
//! a program that needs those declared before its first call awaits
//! [`SwiftStorage::discover`].
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error
//! context.

mod bulk;
mod cluster;
mod list;
mod meta;
mod multipart;
mod path;
mod slo;
mod tempurl;

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest as _, Md5};
use nimbus_core::config::Secret;
use nimbus_core::storage::checksum::{md5_from_hex, md5_verified};
use nimbus_core::storage::*;
use nimbus_core::{Capability, Error, ErrorKind, Result, StorageCapabilities};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, Response};

use crate::client::{json_of, request_id, Service, Session};
use crate::config::OpenStackConfig;
pub use cluster::Cluster;
use meta::{from_headers, is_slo, unquote, with_headers};

const PROVIDER: &str = "openstack-swift";
const OS: Service = Service::ObjectStore;
/// Page size of a listing when none is asked (the portable default elsewhere).
const DEFAULT_PAGE: usize = 1000;
/// HEADs in flight while `delete_many` sorts manifests from plain objects.
const HEAD_CONCURRENCY: usize = 8;

/// What was learnt of the cluster: its `/info` and the TempURL key found.
#[derive(Debug)]
struct Discovered {
    cluster: Cluster,
    temp_url_key: Option<Secret>,
}

/// Swift object storage of one project.
#[derive(Debug, Clone)]
pub struct SwiftStorage {
    session: Session,
    discovered: Arc<tokio::sync::OnceCell<Discovered>>,
}

impl SwiftStorage {
    /// From a resolved config. Makes no request: the token, the endpoint and `/info` are
    /// fetched on the first call.
    pub fn connect(cfg: &OpenStackConfig) -> Result<Self> {
        Ok(SwiftStorage {
            session: Session::shared(cfg)?,
            discovered: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// The Keystone session (the escape hatch: token, catalog, HTTP client).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Reads the cluster's `/info` (and, with TempURL there and no `temp_url_key`
    /// configured, the account's key) once; afterwards [`Storage::capabilities`] declares
    /// what the cluster has. Every call does this first; await it to have the full
    /// capabilities before any other call.
    pub async fn discover(&self) -> Result<&Cluster> {
        let d = self.discovered.get_or_try_init(|| self.read_cluster()).await?;
        Ok(&d.cluster)
    }

    async fn state(&self) -> Result<&Discovered> {
        self.discovered.get_or_try_init(|| self.read_cluster()).await
    }

    async fn read_cluster(&self) -> Result<Discovered> {
        let endpoint = self.session.endpoint(OS).await?;
        let info_url = match endpoint.find("/v1/") {
            Some(i) => format!("{}/info", &endpoint[..i]),
            None => format!("{}/info", endpoint.trim_end_matches('/')),
        };
        let cluster = match self.session.get_json(OS, &info_url, |r| r).await {
            Ok(v) => Cluster::from_info(&v),
            // `expose_info = false` (403/404…): nothing beyond the core API is declared.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::NotFound | ErrorKind::InvalidInput
                ) =>
            {
                tracing::info!(error = %e, "swift: /info is not available; declaring the core API only");
                let mut c = Cluster::core();
                c.discovered = true;
                c
            }
            Err(e) => return Err(e),
        };
        let mut temp_url_key = self.session.config().temp_url_key.clone();
        if temp_url_key.is_none() && cluster.tempurl_digests.is_some() {
            // Only the account's operators see it; anyone else: no key, no presign.
            if let Ok(resp) = self.session.send(OS, Method::HEAD, "", |r| r).await {
                temp_url_key = ["x-account-meta-temp-url-key", "x-account-meta-temp-url-key-2"]
                    .iter()
                    .find_map(|h| resp.headers().get(*h))
                    .and_then(|v| v.to_str().ok())
                    .filter(|s| !s.is_empty())
                    .map(Secret::new);
            }
        }
        Ok(Discovered { cluster, temp_url_key })
    }

    async fn container_exists(&self, bucket: &str) -> Result<bool> {
        match self
            .session
            .send(OS, Method::HEAD, &path::container(bucket), |r| r)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `NotFound` naming the bucket unless it exists (after an object call's 404).
    async fn object_missing(&self, bucket: &str) -> Result<()> {
        if self.container_exists(bucket).await? {
            Ok(())
        } else {
            Err(Error::not_found(bucket))
        }
    }

    /// Deletes a manifest and its segments; the summary decides.
    async fn delete_slo(&self, bucket: &str, key: &str) -> Result<()> {
        let resp = self
            .session
            .send(
                OS,
                Method::DELETE,
                &format!("{}?multipart-manifest=delete", path::object(bucket, key)),
                |r| r.header("accept", "application/json"),
            )
            .await?;
        let request_id = request_id(&resp);
        let summary = json_of(resp).await?;
        let failed = bulk::failures(&summary)?;
        match failed.into_iter().next() {
            None => Ok(()),
            Some((p, e)) => {
                let e = Error::new(e.kind(), format!("deleting the large object's `{p}`: {}", e.message()));
                Err(match request_id {
                    Some(id) => e.with_request_id(id),
                    None => e,
                })
            }
        }
    }

    /// One bulk-delete request for `keys` of `bucket`: the error of each key that failed.
    async fn bulk_delete(&self, bucket: &str, keys: &[String]) -> Result<Vec<(String, Error)>> {
        let body = bulk::body(bucket, keys);
        let resp = self
            .session
            .send(OS, Method::POST, "?bulk-delete", |r| {
                r.header("accept", "application/json")
                    .header(CONTENT_TYPE, "text/plain")
                    .body(body.clone())
            })
            .await?;
        bulk::failures(&json_of(resp).await?)
    }

    /// Every object name under `prefix` of a container (all pages).
    async fn names_under(&self, container: &str, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut q = format!(
                "{}?format=json&limit={DEFAULT_PAGE}&prefix={}",
                path::container(container),
                crate::encode::segment(prefix)
            );
            if let Some(m) = &marker {
                q.push_str(&format!("&marker={}", crate::encode::segment(m)));
            }
            let entries = match self.session.get_as(OS, &q, |r| r).await {
                Ok(v) => v,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out),
                Err(e) => return Err(e),
            };
            let page = list::object_page(entries, DEFAULT_PAGE, None);
            out.extend(page.objects.into_iter().map(|o| o.key));
            match page.next_token {
                Some(t) => marker = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// Deletes names of one container: by bulk delete where the cluster has it, else one
    /// by one. Missing names are fine.
    async fn delete_names(&self, container: &str, names: &[String]) -> Result<()> {
        let bulk_max = self.state().await?.cluster.bulk_delete_max;
        match bulk_max {
            Some(max) if max > 0 => {
                for chunk in names.chunks(max) {
                    if let Some((p, e)) = self.bulk_delete(container, chunk).await?.into_iter().next() {
                        return Err(Error::new(e.kind(), format!("deleting `{p}`: {}", e.message())));
                    }
                }
            }
            _ => {
                for n in names {
                    match self
                        .session
                        .send(OS, Method::DELETE, &path::object(container, n), |r| r)
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }
}

/// A 412 of a create-only write is the portable `AlreadyExists`.
fn refused_create(create: bool, e: Error) -> Error {
    if create && e.kind() == ErrorKind::PreconditionFailed {
        let mut out = Error::new(ErrorKind::AlreadyExists, "the object exists (create-only put)")
            .with_raw_code("PreconditionFailed");
        if let Some(id) = e.request_id() {
            out = out.with_request_id(id.to_string());
        }
        return out;
    }
    e
}

fn refuse_update(options: &PutOptions) -> Result<()> {
    match options.mode {
        PutMode::Update(_) => Err(Error::unsupported(Capability::PutIfVersion)),
        _ => Ok(()),
    }
}

/// A quoted entity tag for `If-Match` / `If-None-Match`.
fn quoted(etag: &str) -> String {
    if etag == "*" || etag.starts_with('"') || etag.starts_with("W/") {
        etag.to_string()
    } else {
        format!("\"{etag}\"")
    }
}

/// Metadata of what a PUT stored: the answer's ETag and date, the request's type and
/// metadata (the answer's `Content-Type` is that of its own empty body).
fn put_meta(key: &str, size: u64, resp: &Response, options: &PutOptions) -> ObjectMeta {
    let mut m = ObjectMeta::new(key, size);
    m.etag = resp.headers().get("etag").and_then(|v| v.to_str().ok()).map(unquote);
    m.version = m.etag.clone();
    m.last_modified = resp
        .headers()
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .and_then(meta::http_date);
    m.content_type = options.content_type.clone();
    m.attributes = options.attributes.clone();
    m.user_metadata = options
        .user_metadata
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    m
}

/// The bytes of an answer as the portable stream.
fn body_of(resp: Response) -> ByteStream {
    resp.bytes_stream()
        .map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("reading the object: {}", e.without_url()),
            )
        })
        .boxed()
}

#[async_trait]
impl Storage for SwiftStorage {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> StorageCapabilities {
        match self.discovered.get() {
            Some(d) => d.cluster.capabilities(d.temp_url_key.is_some()),
            None => Cluster::core().capabilities(false),
        }
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.session.clone()))
    }

    async fn create_bucket(&self, bucket: &str, options: &CreateBucketOptions) -> Result<()> {
        // A region is a catalog endpoint (the `region` setting), not a property of a
        // container: a container asked for elsewhere would silently land here.
        if let (Some(want), Some(here)) = (&options.region, &self.session.config().region) {
            if want != here {
                return Err(Error::invalid(format!(
                    "container region `{want}`: this client writes to region `{here}` of the catalog; open storage with `region = \"{want}\"` instead"
                )));
            }
        }
        self.state().await?;
        if self.container_exists(bucket).await? {
            return Err(Error::new(ErrorKind::AlreadyExists, "the container exists").with_raw_code("Accepted"));
        }
        self.session
            .send(OS, Method::PUT, &path::container(bucket), |r| r)
            .await
            .map(|_| ())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.state().await?;
        // Swift: 409 while it holds objects, 404 when absent.
        self.session
            .send(OS, Method::DELETE, &path::container(bucket), |r| r)
            .await?;
        // Its segment container goes too when empty (segments of unfinished uploads stay).
        let seg = slo::segment_container(bucket);
        if let Err(e) = self
            .session
            .send(OS, Method::DELETE, &path::container(&seg), |r| r)
            .await
        {
            if !matches!(e.kind(), ErrorKind::NotFound | ErrorKind::Conflict) {
                tracing::warn!(container = %seg, error = %e, "swift: the segment container was not deleted");
            }
        }
        Ok(())
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        self.state().await?;
        self.container_exists(bucket).await
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let limit = self
            .state()
            .await?
            .cluster
            .container_listing_limit
            .min(DEFAULT_PAGE * 10);
        let region = self.session.config().region.clone();
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut q = format!("?format=json&limit={limit}");
            if let Some(m) = &marker {
                q.push_str(&format!("&marker={}", crate::encode::segment(m)));
            }
            let v = self.session.get_json(OS, &q, |r| r).await?;
            let (page, next) = list::bucket_page(&v, limit, region.as_deref());
            out.extend(page);
            match next {
                Some(n) => marker = Some(n),
                None => return Ok(out),
            }
        }
    }

    async fn put(&self, bucket: &str, key: &str, body: Bytes, options: &PutOptions) -> Result<ObjectMeta> {
        self.state().await?;
        refuse_update(options)?;
        let headers = meta::object_headers(options)?;
        let md5 = hex::encode(Md5::digest(&body));
        let create = options.mode == PutMode::Create;
        let resp = self
            .session
            .send(OS, Method::PUT, &path::object(bucket, key), |r| {
                // An explicit length: an empty body would otherwise go without one (Swift: 411).
                let r = r.header("etag", &md5).header(CONTENT_LENGTH, body.len());
                let mut r = with_headers(r.body(body.clone()), &headers);
                if let Some(ct) = &options.content_type {
                    r = r.header(CONTENT_TYPE, ct);
                }
                if create {
                    r = r.header("if-none-match", "*");
                }
                r
            })
            .await
            .map_err(|e| refused_create(create, e))?;
        Ok(put_meta(key, body.len() as u64, &resp, options))
    }

    /// One chunked PUT in constant memory (the contract uses it only where SLO is not
    /// declared). The MD5 is computed on the way and compared with Swift's ETag.
    async fn put_stream(&self, bucket: &str, key: &str, body: ByteStream, options: &PutOptions) -> Result<ObjectMeta> {
        self.state().await?;
        refuse_update(options)?;
        let headers = meta::object_headers(options)?;
        let create = options.mode == PutMode::Create;
        struct Seen {
            md5: Md5,
            size: u64,
            error: Option<Error>,
        }
        let seen = Arc::new(Mutex::new(Seen {
            md5: Md5::new(),
            size: 0,
            error: None,
        }));
        let tap = seen.clone();
        let stream = body.map(move |chunk| {
            let mut s = tap.lock().unwrap_or_else(|p| p.into_inner());
            match chunk {
                Ok(c) => {
                    s.md5.update(&c);
                    s.size += c.len() as u64;
                    Ok(c)
                }
                Err(e) => {
                    let msg = e.to_string();
                    s.error = Some(e);
                    Err(std::io::Error::other(msg))
                }
            }
        });
        let sent = self
            .session
            .send_once(OS, Method::PUT, &path::object(bucket, key), |r| {
                let mut r = with_headers(r.body(reqwest::Body::wrap_stream(stream)), &headers);
                if let Some(ct) = &options.content_type {
                    r = r.header(CONTENT_TYPE, ct);
                }
                if create {
                    r = r.header("if-none-match", "*");
                }
                r
            })
            .await;
        let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let resp = sent.map_err(|e| refused_create(create, e))?;
        let meta = put_meta(key, s.size, &resp, options);
        let md5 = hex::encode(std::mem::take(&mut s.md5).finalize());
        if meta.etag.as_deref().is_some_and(|e| e != md5) {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("Swift stored ETag {:?} but the bytes sent have MD5 {md5}", meta.etag),
            ));
        }
        Ok(meta)
    }

    async fn get(&self, bucket: &str, key: &str, options: &GetOptions) -> Result<GetResult> {
        self.state().await?;
        let range = match &options.range {
            None => None,
            Some(GetRange::Bounded(r)) => Some(format!("bytes={}-{}", r.start, r.end.saturating_sub(1))),
            Some(GetRange::From(s)) => Some(format!("bytes={s}-")),
            Some(GetRange::Suffix(n)) => Some(format!("bytes=-{n}")),
            Some(other) => return Err(Error::invalid(format!("range {other:?} is not supported"))),
        };
        let resp = self
            .session
            .send(OS, Method::GET, &path::object(bucket, key), |r| {
                let mut r = r;
                if let Some(v) = &range {
                    r = r.header("range", v);
                }
                if let Some(m) = &options.if_match {
                    r = r.header("if-match", quoted(m));
                }
                if let Some(m) = &options.if_none_match {
                    r = r.header("if-none-match", quoted(m));
                }
                r
            })
            .await?;
        let h = resp.headers();
        let size = meta::object_size(h).unwrap_or(0);
        let meta = from_headers(key, size, h);
        let whole = resp.status().as_u16() != 206;
        let got = if whole {
            0..size
        } else {
            meta::content_range(h).unwrap_or(0..size)
        };
        // An ordinary object's ETag is the MD5 of its bytes; a large object's is not (a static
        // one's is of its segments' ETags, a dynamic one's of theirs at read time).
        let large = h.contains_key("x-static-large-object") || h.contains_key("x-object-manifest");
        let md5 = meta.etag.as_deref().and_then(md5_from_hex).filter(|_| whole && !large);
        let body = md5_verified(body_of(resp), md5, "the object's ETag (the MD5 of its bytes)");
        Ok(GetResult::new(meta, got, body))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.state().await?;
        let resp = self
            .session
            .send(OS, Method::HEAD, &path::object(bucket, key), |r| r)
            .await?;
        let h = resp.headers();
        Ok(from_headers(key, meta::object_size(h).unwrap_or(0), h))
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.state().await?;
        let p = path::object(bucket, key);
        let head = match self.session.send(OS, Method::HEAD, &p, |r| r).await {
            Ok(h) => h,
            Err(e) if e.kind() == ErrorKind::NotFound => return self.object_missing(bucket).await,
            Err(e) => return Err(e),
        };
        if is_slo(head.headers()) {
            return self.delete_slo(bucket, key).await;
        }
        match self.session.send(OS, Method::DELETE, &p, |r| r).await {
            Ok(_) => Ok(()),
            // Deleted by someone else since the HEAD.
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_many(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteOutcome>> {
        let max = match self.state().await?.cluster.bulk_delete_max {
            Some(n) if n > 0 => n,
            _ => return Err(Error::unsupported(Capability::BatchDelete).with_raw_code("NoBulkMiddleware")),
        };
        if keys.len() > max {
            return Err(Error::invalid(format!(
                "{} keys in one batch; the limit is {max}",
                keys.len()
            )));
        }
        // Which keys are manifests (deleted with their segments) and which are missing.
        enum Kind {
            Missing,
            Plain,
            Slo,
        }
        let session = &self.session;
        let paths: Vec<String> = keys.iter().map(|k| path::object(bucket, k)).collect();
        let kinds: Vec<Result<Kind>> = futures::stream::iter(paths)
            .map(|p| async move {
                match session.send(OS, Method::HEAD, &p, |r| r).await {
                    Ok(h) if is_slo(h.headers()) => Ok(Kind::Slo),
                    Ok(_) => Ok(Kind::Plain),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(Kind::Missing),
                    Err(e) => Err(e),
                }
            })
            .buffered(HEAD_CONCURRENCY)
            .collect()
            .await;
        if !keys.is_empty() && kinds.iter().all(|k| matches!(k, Ok(Kind::Missing))) {
            self.object_missing(bucket).await?;
        }
        let plain: Vec<String> = keys
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| matches!(k, Ok(Kind::Plain)))
            .map(|(k, _)| k.clone())
            .collect();
        let mut failed = std::collections::BTreeMap::new();
        if !plain.is_empty() {
            for (p, e) in self.bulk_delete(bucket, &plain).await? {
                failed.insert(p, e);
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for (k, kind) in keys.iter().zip(kinds) {
            let result = match kind {
                Err(e) => Err(e),
                Ok(Kind::Missing) => Ok(()),
                Ok(Kind::Slo) => match self.delete_slo(bucket, k).await {
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                    r => r,
                },
                Ok(Kind::Plain) => match failed.remove(&format!("/{bucket}/{k}")) {
                    Some(e) => Err(e),
                    None => Ok(()),
                },
            };
            out.push(DeleteOutcome::new(k.clone(), result));
        }
        Ok(out)
    }

    async fn list_page(&self, bucket: &str, options: &ListOptions, token: Option<String>) -> Result<ListPage> {
        let max = self.state().await?.cluster.container_listing_limit;
        let limit = options.page_size.unwrap_or(DEFAULT_PAGE).clamp(1, max.max(1));
        // The token is the last name of the previous page, so it is after `start_after`.
        let marker = match (token, &options.start_after) {
            (Some(t), Some(s)) => Some(if t.as_str() > s.as_str() { t } else { s.clone() }),
            (Some(t), None) => Some(t),
            (None, s) => s.clone(),
        };
        let mut q = format!("{}?format=json&limit={limit}", path::container(bucket));
        if let Some(p) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
            q.push_str(&format!("&prefix={}", crate::encode::segment(p)));
        }
        if let Some(d) = options.delimiter.as_deref().filter(|d| !d.is_empty()) {
            q.push_str(&format!("&delimiter={}", crate::encode::segment(d)));
        }
        if let Some(m) = &marker {
            q.push_str(&format!("&marker={}", crate::encode::segment(m)));
        }
        let entries = self.session.get_as(OS, &q, |r| r).await?;
        Ok(list::object_page(entries, limit, marker.as_deref()))
    }

    async fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
    ) -> Result<ObjectMeta> {
        self.state().await?;
        if options.if_not_exists {
            // `If-None-Match` on a copy applies to the source read (304), not the target.
            return Err(Error::unsupported(Capability::CopyIfNotExists));
        }
        let from = path::object(src_bucket, src_key);
        let dst = path::object(dst_bucket, dst_key);
        self.session
            .send(OS, Method::PUT, &dst, |r| {
                r.header("x-copy-from", &from)
                    .header(CONTENT_LENGTH, 0)
                    .body(Bytes::new())
            })
            .await?;
        // The answer has no size: read the new object's metadata.
        self.head(dst_bucket, dst_key).await
    }

    async fn create_multipart(&self, bucket: &str, key: &str, options: &PutOptions) -> Result<MultipartUpload> {
        self.create_upload(bucket, key, options).await
    }

    async fn upload_part(&self, upload: &MultipartUpload, part_number: u32, body: Bytes) -> Result<CompletedPart> {
        self.upload_segment(upload, part_number, body).await
    }

    async fn complete_multipart(&self, upload: &MultipartUpload, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        self.complete_upload(upload, parts).await
    }

    async fn abort_multipart(&self, upload: &MultipartUpload) -> Result<()> {
        self.abort_upload(upload).await
    }

    async fn presign(&self, bucket: &str, key: &str, method: PresignMethod, expires_in: Duration) -> Result<String> {
        let cap = match method {
            PresignMethod::Get => Capability::PresignGet,
            PresignMethod::Put => Capability::PresignPut,
        };
        let d = self.state().await?;
        let Some(digest) = d.cluster.tempurl_digest() else {
            return Err(Error::unsupported(cap).with_raw_code("NoTempUrlMiddleware"));
        };
        let Some(secret) = &d.temp_url_key else {
            return Err(Error::unsupported(cap).with_raw_code("NoTempUrlKey"));
        };
        let endpoint = self.session.endpoint(OS).await?;
        let signed = tempurl::signed_path(&endpoint, bucket, key)
            .ok_or_else(|| Error::invalid(format!("the object-store endpoint {endpoint} has no /v1/ segment")))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::internal("the clock is before 1970"))?;
        let expires = (now + expires_in).as_secs() + u64::from((now + expires_in).subsec_nanos() > 0);
        let sig = tempurl::signature(digest, secret.expose().as_bytes(), method.as_str(), expires, &signed);
        Ok(tempurl::url(&endpoint, bucket, key, &sig, expires))
    }
}
