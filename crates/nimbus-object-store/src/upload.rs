//! Multipart: `object_store`'s `MultipartUpload` (the writer's parts) and `MultipartStore`
//! (parts by id, across processes).
//!
//! Why part numbers are fixed when `put_part` is called: `object_store` lets a caller start
//! parts and await them in any order (`WriteMultipart` keeps several in flight), and the object
//! must hold them in the order they were started. Each part is one Nimbus `upload_part`, so it
//! is retried and traced on its own by the layers underneath.
//!
//! A `MultipartStore` part id carries `number:size:tag` (the Nimbus completion needs all
//! three); it is opaque to callers, who only hand it back.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use nimbus_core::storage::{
    CompletedPart, MultipartUpload as NimbusUpload, ObjectMeta as NimbusMeta, PutOptions as NimbusPut,
};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, MultipartUpload, PutMultipartOptions, PutPayload, PutResult, UploadPart};

use crate::attributes::{put_options, refused_attributes};
use crate::errors::{map, Asked, STORE};
use crate::NimbusStore;

/// An upload in progress, as `object_store`'s writer drives it.
#[derive(Debug)]
pub(crate) struct Upload {
    store: NimbusStore,
    location: Path,
    handle: NimbusUpload,
    next: u32,
    /// Parts by number − 1; `None` until that part's future has finished.
    done: Arc<Mutex<Vec<Option<CompletedPart>>>>,
}

impl NimbusStore {
    pub(crate) async fn start_upload(&self, location: &Path, options: &NimbusPut) -> object_store::Result<Upload> {
        let key = self.keys.key(location);
        let handle = self
            .storage
            .create_multipart(&self.bucket, &key, options)
            .await
            .map_err(|e| refused_attributes(&e).unwrap_or_else(|| map(e, location.as_ref(), Asked::Plain)))?;
        Ok(Upload {
            store: self.clone(),
            location: location.clone(),
            handle,
            next: 1,
            done: Arc::default(),
        })
    }

    fn handle(&self, location: &Path, id: &MultipartId) -> NimbusUpload {
        NimbusUpload::new(self.bucket.to_string(), self.keys.key(location), id.clone())
    }
}

fn put_result(meta: NimbusMeta) -> PutResult {
    PutResult {
        e_tag: meta.etag,
        version: None,
        #[cfg(not(object_store_013))]
        extensions: Default::default(),
    }
}

fn generic(msg: String) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: msg.into(),
    }
}

#[async_trait]
impl MultipartUpload for Upload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let number = self.next;
        self.next += 1;
        let (storage, handle, done) = (self.store.storage.clone(), self.handle.clone(), self.done.clone());
        let path = self.location.to_string();
        Box::pin(async move {
            let part = storage
                .upload_part(&handle, number, Bytes::from(data))
                .await
                .map_err(|e| map(e, &path, Asked::Plain))?;
            let mut done = done.lock().unwrap_or_else(|p| p.into_inner());
            let i = (number - 1) as usize;
            if done.len() <= i {
                done.resize(i + 1, None);
            }
            done[i] = Some(part);
            Ok(())
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let parts: Vec<CompletedPart> = {
            let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
            let started = (self.next - 1) as usize;
            let mut parts = Vec::with_capacity(started);
            for n in 0..started {
                match done.get(n).cloned().flatten() {
                    Some(p) => parts.push(p),
                    None => {
                        return Err(generic(format!(
                            "part {} of {} has not finished: await every put_part before complete",
                            n + 1,
                            self.location
                        )))
                    }
                }
            }
            parts
        };
        let meta = self
            .store
            .storage
            .complete_multipart(&self.handle, &parts)
            .await
            .map_err(|e| map(e, self.location.as_ref(), Asked::Plain))?;
        Ok(put_result(meta))
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        self.store
            .storage
            .abort_multipart(&self.handle)
            .await
            .map_err(|e| map(e, self.location.as_ref(), Asked::Plain))
    }
}

fn encode(p: &CompletedPart) -> PartId {
    PartId {
        content_id: format!("{}:{}:{}", p.part_number, p.size, p.etag),
    }
}

fn decode(id: &PartId) -> object_store::Result<CompletedPart> {
    let mut it = id.content_id.splitn(3, ':');
    let (n, size, tag) = (it.next(), it.next(), it.next());
    match (n.and_then(|n| n.parse().ok()), size.and_then(|s| s.parse().ok()), tag) {
        (Some(n), Some(size), Some(tag)) => Ok(CompletedPart::new(n, tag, size)),
        _ => Err(generic(format!(
            "`{}` is not a part id this store issued",
            id.content_id.escape_debug()
        ))),
    }
}

impl NimbusStore {
    async fn create_part_upload(&self, path: &Path, opts: PutMultipartOptions) -> object_store::Result<MultipartId> {
        let options = put_options(None, &opts.tags, &opts.attributes)?;
        Ok(self.start_upload(path, &options).await?.handle.upload_id)
    }
}

#[async_trait]
impl MultipartStore for NimbusStore {
    async fn create_multipart(&self, path: &Path) -> object_store::Result<MultipartId> {
        self.create_part_upload(path, PutMultipartOptions::default()).await
    }

    // object_store 0.14 only (the bridge is also built against 0.13: nimbus-object-store-013).
    #[cfg(not(object_store_013))]
    async fn create_multipart_opts(&self, path: &Path, opts: PutMultipartOptions) -> object_store::Result<MultipartId> {
        self.create_part_upload(path, opts).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> object_store::Result<PartId> {
        let number = u32::try_from(part_idx + 1).map_err(|_| generic(format!("part index {part_idx} is too large")))?;
        let part = self
            .storage
            .upload_part(&self.handle(path, id), number, Bytes::from(data))
            .await
            .map_err(|e| map(e, path.as_ref(), Asked::Plain))?;
        Ok(encode(&part))
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> object_store::Result<PutResult> {
        let parts = parts.iter().map(decode).collect::<object_store::Result<Vec<_>>>()?;
        let meta = self
            .storage
            .complete_multipart(&self.handle(path, id), &parts)
            .await
            .map_err(|e| map(e, path.as_ref(), Asked::Plain))?;
        Ok(put_result(meta))
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> object_store::Result<()> {
        self.storage
            .abort_multipart(&self.handle(path, id))
            .await
            .map_err(|e| map(e, path.as_ref(), Asked::Plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ids_round_trip_and_foreign_ones_are_refused() {
        let p = CompletedPart::new(7, "\"a:b\"", 5 << 20);
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        for bad in ["", "x:1:t", "1:y:t", "1:2"] {
            let id = PartId { content_id: bad.into() };
            assert!(decode(&id).is_err(), "{bad}");
        }
    }
}
