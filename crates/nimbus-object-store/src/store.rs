//! `object_store::ObjectStore` for [`NimbusStore`]: puts, gets, deletes and copies.
//!
//! Why each call is one Nimbus call (two only for an ETag-only update): the Nimbus service
//! underneath already validates, gates capabilities, retries, traces and times out, so the
//! bridge adds no second policy. Listing is in `list.rs`, multipart in `upload.rs`.

use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use nimbus_core::storage::{
    CopyOptions as NimbusCopy, GetOptions as NimbusGet, GetRange as NimbusRange, PutMode as NimbusMode,
};
use nimbus_core::{Capability, ErrorKind};
use object_store::path::Path;
use object_store::{
    CopyMode, CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use crate::attributes::{attributes_of, meta_of, put_options, refused_attributes};
use crate::errors::{map, not_supported, Asked};
use crate::NimbusStore;

/// Payloads above this go up as a stream (part by part where the provider needs parts), so a
/// large `put` never meets a provider's single-request limit (S3: 5 GiB).
const SINGLE_PUT_MAX: usize = 64 * 1024 * 1024;

/// Keys per batch delete when the provider can delete in batches.
const DELETE_BATCH: usize = 1000;

impl NimbusStore {
    /// The Nimbus version token an `object_store` update names. `UpdateVersion::version` is
    /// never one this bridge handed out (its metadata has none), so an ETag is turned into the
    /// current token by a head: if the ETag still matches, the put then swaps on that token.
    /// That is S3's own compare (on the ETag), made atomic by the version swap.
    async fn update_token(&self, location: &Path, key: &str, mode: &PutMode) -> object_store::Result<Option<String>> {
        let PutMode::Update(v) = mode else { return Ok(None) };
        if let Some(version) = &v.version {
            return Ok(Some(version.clone()));
        }
        let Some(etag) = &v.e_tag else {
            return Err(object_store::Error::Precondition {
                path: location.to_string(),
                source: "an update needs the ETag or version of the object it replaces".into(),
            });
        };
        let head = self
            .storage
            .head(&self.bucket, key)
            .await
            .map_err(|e| map(e, location.as_ref(), Asked::Update))?;
        if head.etag.as_deref() != Some(etag.as_str()) {
            return Err(object_store::Error::Precondition {
                path: location.to_string(),
                source: format!("the object's ETag is no longer {etag}").into(),
            });
        }
        Ok(Some(head.version.or(head.etag).unwrap_or_default()))
    }

    async fn head_get(&self, location: &Path, key: &str, options: &GetOptions) -> object_store::Result<GetResult> {
        let head = self
            .storage
            .head(&self.bucket, key)
            .await
            .map_err(|e| map(e, location.as_ref(), Asked::Plain))?;
        let meta = meta_of(location.clone(), &head);
        // One response: its own metadata decides every condition, as a server would.
        options.check_preconditions(&meta)?;
        Ok(GetResult {
            payload: GetResultPayload::Stream(stream::empty().boxed()),
            range: 0..meta.size,
            attributes: attributes_of(&head),
            meta,
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        })
    }

    fn deletes(&self, paths: Vec<object_store::Result<Path>>) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        stream::once(async move {
            let batch = this.storage.capabilities().batch_delete;
            let keys: Vec<String> = paths
                .iter()
                .filter_map(|p| p.as_ref().ok().map(|p| this.keys.key(p)))
                .collect();
            let mut outcomes = if batch && !keys.is_empty() {
                match this.storage.delete_many(&this.bucket, &keys).await {
                    Ok(o) => o.into_iter().map(|o| o.result).collect::<Vec<_>>(),
                    Err(e) => {
                        let kind = e.kind();
                        let msg = e.to_string();
                        keys.iter()
                            .map(|_| Err(nimbus_core::Error::new(kind, msg.clone())))
                            .collect()
                    }
                }
            } else {
                let this = this.clone();
                stream::iter(keys.clone())
                    .map(|k| {
                        let this = this.clone();
                        async move { this.storage.delete(&this.bucket, &k).await }
                    })
                    .buffered(8)
                    .collect::<Vec<_>>()
                    .await
            }
            .into_iter();
            let out: Vec<object_store::Result<Path>> = paths
                .into_iter()
                .map(|p| {
                    let p = p?;
                    match outcomes.next() {
                        Some(Ok(())) => Ok(p),
                        Some(Err(e)) => Err(map(e, p.as_ref(), Asked::Plain)),
                        None => Err(object_store::Error::Generic {
                            store: crate::errors::STORE,
                            source: "the batch delete answered for fewer keys than sent".into(),
                        }),
                    }
                })
                .collect();
            stream::iter(out)
        })
        .flatten()
        .boxed()
    }
}

fn range_of(r: &GetRange) -> NimbusRange {
    match r {
        GetRange::Bounded(r) => NimbusRange::Bounded(r.clone()),
        GetRange::Offset(o) => NimbusRange::From(*o),
        GetRange::Suffix(n) => NimbusRange::Suffix(*n),
    }
}

#[async_trait]
impl ObjectStore for NimbusStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if matches!(opts.mode, PutMode::Update(_)) && !self.storage.capabilities().put_if_version {
            // object_store's answer for a store without compare-and-swap.
            return Err(object_store::Error::NotImplemented {
                operation: "put with PutMode::Update".into(),
                implementer: format!(
                    "Nimbus on {} (capability storage.put_if_version)",
                    self.storage.provider()
                ),
            });
        }
        let key = self.keys.key(location);
        let mut options = put_options(Some(&opts.mode), &opts.tags, &opts.attributes)?;
        let asked = match &opts.mode {
            PutMode::Overwrite => Asked::Plain,
            PutMode::Create => Asked::Create,
            PutMode::Update(_) => Asked::Update,
        };
        if let Some(token) = self.update_token(location, &key, &opts.mode).await? {
            options.mode = NimbusMode::Update(token);
        }
        let meta = if payload.content_length() > SINGLE_PUT_MAX {
            let chunks: Vec<nimbus_core::Result<Bytes>> = payload.into_iter().map(Ok).collect();
            self.storage
                .put_stream(&self.bucket, &key, stream::iter(chunks).boxed(), &options)
                .await
        } else {
            self.storage
                .put(&self.bucket, &key, Bytes::from(payload), &options)
                .await
        }
        .map_err(|e| refused_attributes(&e).unwrap_or_else(|| map(e, location.as_ref(), asked)))?;
        Ok(PutResult {
            e_tag: meta.etag,
            version: None,
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        })
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let options = put_options(None, &opts.tags, &opts.attributes)?;
        if self.storage.capabilities().multipart {
            Ok(Box::new(self.start_upload(location, &options).await?))
        } else {
            // No part API (Cloud Storage through Nimbus): the parts stream into one put.
            Ok(Box::new(self.start_streamed(location, options)))
        }
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        if options.version.is_some() {
            return Err(not_supported(
                "reading an older version of an object (no portable Nimbus call)",
            ));
        }
        let key = self.keys.key(location);
        if options.head {
            return self.head_get(location, &key, &options).await;
        }
        let mut get = NimbusGet::default();
        get.range = options.range.as_ref().map(range_of);
        get.if_match = options.if_match.clone();
        get.if_none_match = options.if_none_match.clone();
        get.if_modified_since = options.if_modified_since.map(SystemTime::from);
        get.if_unmodified_since = options.if_unmodified_since.map(SystemTime::from);
        let got = self
            .storage
            .get(&self.bucket, &key, &get)
            .await
            .map_err(|e| map(e, location.as_ref(), Asked::Plain))?;
        let meta = meta_of(location.clone(), &got.meta);
        let path = location.to_string();
        let body = got.body.map_err(move |e| map(e, &path, Asked::Plain)).boxed();
        Ok(GetResult {
            payload: GetResultPayload::Stream(body),
            range: got.range,
            attributes: attributes_of(&got.meta),
            meta,
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        let batch = self.storage.capabilities().batch_delete_max.clamp(1, DELETE_BATCH);
        // Fused: `ready_chunks` polls its input again after the input has ended.
        locations
            .fuse()
            .ready_chunks(batch)
            .map(move |chunk| this.deletes(chunk))
            .flatten()
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_from(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_from(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.list_dir(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        let mut copy = NimbusCopy::default();
        copy.if_not_exists = matches!(options.mode, CopyMode::Create);
        let asked = if copy.if_not_exists {
            Asked::Create
        } else {
            Asked::Plain
        };
        let (src, dst) = (self.keys.key(from), self.keys.key(to));
        match self.storage.copy(&self.bucket, &src, &self.bucket, &dst, &copy).await {
            Ok(_) => Ok(()),
            // A missing source is named by its own path; a refused destination by its.
            Err(e) if e.kind() == ErrorKind::NotFound => Err(map(e, from.as_ref(), Asked::Plain)),
            Err(e) if e.is_unsupported(Capability::CopyIfNotExists) => Err(map(e, to.as_ref(), Asked::Plain)),
            Err(e) => Err(map(e, to.as_ref(), asked)),
        }
    }
}
