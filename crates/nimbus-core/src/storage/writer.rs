//! A streaming multipart writer with bounded memory.
//!
//! Why in the core and not in each adapter: the buffering rule (fill one part, upload it,
//! reuse the buffer) and the part-size arithmetic against the provider's declared limits are
//! the same everywhere; only `create_multipart`/`upload_part`/`complete_multipart` differ.
//! An object smaller than one part is written with a single `put`, so small writes never pay
//! for a multipart round trip.
//!
//! Up to [`WriterOptions::concurrency`] parts (default [`DEFAULT_CONCURRENCY`]) are in flight
//! at once, as object_store's `WriteMultipart` and the AWS transfer manager do: the next part
//! fills while the last uploads (or, on the embedded store, is hashed on another core). Memory
//! stays bounded by `(concurrency + 1) × part size`, whatever the object's size. The in-flight
//! uploads are futures owned by the writer (it borrows the store, so it cannot spawn them):
//! each is polled once when queued, which starts work handed to another thread (the embedded
//! store's blocking-pool task), and otherwise advances only while the writer is awaited
//! (`write`, `finish`, `abort`). A failed part poisons the writer: every later call fails, so
//! an object never completes with a part missing.

use bytes::{Bytes, BytesMut};

use super::{CompletedPart, MultipartUpload, ObjectMeta, PutOptions, Storage};
use crate::{Capability, Error, Result};

/// Default part size when the provider's minimum is smaller.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Parts in flight at once unless [`WriterOptions::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 2;

/// Options of an [`ObjectWriter`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WriterOptions {
    /// Put options applied when the object is completed.
    pub put: PutOptions,
    /// Part size; defaults to 8 MiB or the provider's minimum, whichever is larger.
    pub part_size: Option<u64>,
    /// Expected total size, if known: the part size grows so that the upload stays within
    /// the provider's maximum part count.
    pub size_hint: Option<u64>,
    /// Parts uploaded at once; `None` is [`DEFAULT_CONCURRENCY`], `Some(1)` one at a time.
    pub concurrency: Option<usize>,
}

impl WriterOptions {
    /// Sets the part size.
    pub fn part_size(mut self, n: u64) -> Self {
        self.part_size = Some(n);
        self
    }
    /// Sets the put options.
    pub fn put(mut self, put: PutOptions) -> Self {
        self.put = put;
        self
    }
    /// Sets the expected size.
    pub fn size_hint(mut self, n: u64) -> Self {
        self.size_hint = Some(n);
        self
    }
    /// Sets how many parts may be in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }
}

/// A part on its way: resolves to the completed part.
type InFlight<'a> = futures::future::BoxFuture<'a, Result<CompletedPart>>;

/// Writes an object part by part; see the module docs.
pub struct ObjectWriter<'a, S: Storage + ?Sized> {
    store: &'a S,
    bucket: &'a str,
    key: &'a str,
    options: WriterOptions,
    part_size: Option<u64>,
    buf: BytesMut,
    upload: Option<MultipartUpload>,
    parts: Vec<CompletedPart>,
    /// Parts sent so far (numbered from 1), finished or not.
    sent: u32,
    in_flight: futures::stream::FuturesUnordered<InFlight<'a>>,
    written: u64,
    /// A part failed (or its body was lost with an error): every later `write` and `finish`
    /// fails too, so an object can never complete with a part missing.
    failed: Option<(crate::ErrorKind, String)>,
}

impl<'a, S: Storage + ?Sized> std::fmt::Debug for ObjectWriter<'a, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("parts", &self.parts.len())
            .field("in_flight", &self.in_flight.len())
            .field("written", &self.written)
            .finish()
    }
}

impl<'a, S: Storage + ?Sized> ObjectWriter<'a, S> {
    pub(crate) fn new(store: &'a S, bucket: &'a str, key: &'a str, options: WriterOptions) -> Self {
        ObjectWriter {
            store,
            bucket,
            key,
            options,
            part_size: None,
            buf: BytesMut::new(),
            upload: None,
            parts: Vec::new(),
            sent: 0,
            in_flight: futures::stream::FuturesUnordered::new(),
            written: 0,
            failed: None,
        }
    }

    /// The multipart upload in progress, once the first part is sent (a caller that may be
    /// cancelled keeps it, to abort the upload if this writer is dropped unfinished).
    pub fn upload(&self) -> Option<&MultipartUpload> {
        self.upload.as_ref()
    }

    /// Bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The part size in use, resolved against the provider's limits.
    pub fn part_size(&mut self) -> Result<u64> {
        if let Some(p) = self.part_size {
            return Ok(p);
        }
        let caps = self.store.capabilities();
        let mut size = self
            .options
            .part_size
            .unwrap_or(DEFAULT_PART_SIZE.max(caps.multipart_min_part_size));
        if caps.multipart {
            if size < caps.multipart_min_part_size {
                return Err(Error::invalid(format!(
                    "part size {size} is below the provider's minimum of {}",
                    caps.multipart_min_part_size
                )));
            }
            if let (Some(hint), true) = (self.options.size_hint, caps.multipart_max_parts > 0) {
                size = size.max(hint.div_ceil(caps.multipart_max_parts as u64));
            }
            if caps.multipart_max_part_size > 0 && size > caps.multipart_max_part_size {
                return Err(Error::invalid(format!(
                    "part size {size} is above the provider's maximum of {}",
                    caps.multipart_max_part_size
                )));
            }
        }
        self.part_size = Some(size);
        Ok(size)
    }

    /// Appends data; uploads a part whenever one is full.
    pub async fn write(&mut self, mut data: Bytes) -> Result<()> {
        self.check_failed()?;
        let part = self.part_size()? as usize;
        self.written += data.len() as u64;
        while !data.is_empty() {
            if !self.buf.is_empty() && self.buf.capacity() < part {
                // The object spans more than one write: one allocation for the part, not a
                // doubling series with a copy at each step. A single small write allocates
                // only its own size.
                self.buf.reserve(part - self.buf.len());
            }
            let room = part - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data.split_to(take));
            if self.buf.len() == part {
                if let Err(e) = self.flush_part().await {
                    self.failed = Some((e.kind(), e.to_string()));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn check_failed(&self) -> Result<()> {
        match &self.failed {
            None => Ok(()),
            Some((kind, msg)) => Err(Error::new(
                *kind,
                format!("an earlier part of this upload failed, so the object cannot be completed: {msg}"),
            )),
        }
    }

    /// The buffered bytes as a body, copied into an allocation of their own size when the
    /// buffer is mostly empty (a store that keeps the body, like the memory store, would
    /// otherwise pin a whole part's allocation for a small object).
    fn take_buf(&mut self) -> Bytes {
        if self.buf.capacity() > 2 * self.buf.len() {
            let b = Bytes::copy_from_slice(&self.buf);
            self.buf = BytesMut::new();
            b
        } else {
            self.buf.split().freeze()
        }
    }

    async fn flush_part(&mut self) -> Result<()> {
        let body = self.take_buf();
        if self.upload.is_none() {
            if !self.store.capabilities().multipart {
                return Err(Error::unsupported(Capability::Multipart)
                    .with_provider(self.store.provider())
                    .with_resource(format!("{}/{}", self.bucket, self.key)));
            }
            let up = self
                .store
                .create_multipart(self.bucket, self.key, &self.options.put)
                .await?;
            self.upload = Some(up);
        }
        let caps = self.store.capabilities();
        let number = self.sent + 1;
        if caps.multipart_max_parts > 0 && number > caps.multipart_max_parts {
            return Err(Error::invalid(format!(
                "the upload needs more than {} parts; set a larger part size or a size hint",
                caps.multipart_max_parts
            )));
        }
        // Room for this part first: at most `concurrency` in flight.
        let limit = self.options.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1);
        while self.in_flight.len() >= limit {
            self.next_done().await?;
        }
        let up = self.upload.clone().expect("upload created above");
        let store = self.store;
        self.sent = number;
        self.in_flight
            .push(Box::pin(async move { store.upload_part(&up, number, body).await }));
        // Poll it once now (which starts a blocking-pool task) and collect any part that is
        // already done, without waiting.
        while let Some(done) = futures::FutureExt::now_or_never(futures::StreamExt::next(&mut self.in_flight)) {
            match done {
                Some(part) => self.parts.push(part?),
                None => break,
            }
        }
        Ok(())
    }

    /// Waits for one part in flight and records it.
    async fn next_done(&mut self) -> Result<()> {
        if let Some(part) = futures::StreamExt::next(&mut self.in_flight).await {
            self.parts.push(part?);
        }
        Ok(())
    }

    /// Waits for every part in flight; the first error wins, but all are awaited, so no part
    /// is left half-sent when the upload is then completed or aborted.
    async fn drain(&mut self) -> Result<()> {
        let mut first = Ok(());
        while let Some(part) = futures::StreamExt::next(&mut self.in_flight).await {
            match part {
                Ok(p) => self.parts.push(p),
                Err(e) if first.is_ok() => first = Err(e),
                Err(_) => {}
            }
        }
        first
    }

    /// Writes a whole stream and completes the object, aborting the upload when a chunk, a
    /// part or the completion fails. `on_upload` sees the open upload after every chunk (none
    /// until the first part is sent): a caller whose future may be dropped keeps it, to abort
    /// the upload then.
    pub(crate) async fn write_stream(
        mut self,
        mut body: super::ByteStream,
        mut on_upload: impl FnMut(Option<&MultipartUpload>),
    ) -> Result<ObjectMeta> {
        use futures::StreamExt;
        while let Some(chunk) = body.next().await {
            let r = match chunk {
                Ok(c) => self.write(c).await,
                Err(e) => Err(e),
            };
            on_upload(self.upload.as_ref());
            if let Err(e) = r {
                let _ = self.abort().await;
                return Err(e);
            }
        }
        self.finish().await
    }

    /// Uploads what is left and completes the object.
    pub async fn finish(mut self) -> Result<ObjectMeta> {
        if self.upload.is_none() {
            self.check_failed()?;
            let body = self.take_buf();
            return self.store.put(self.bucket, self.key, body, &self.options.put).await;
        }
        let last = match self.check_failed() {
            Err(e) => Err(e),
            Ok(()) if self.buf.is_empty() => Ok(()),
            Ok(()) => self.flush_part().await,
        };
        // Every part in flight is awaited (drain) even when the last one failed.
        let drained = self.drain().await;
        if let Err(e) = last.and(drained) {
            let up = self.upload.take().expect("checked above");
            let _ = self.store.abort_multipart(&up).await;
            return Err(e);
        }
        let up = self.upload.take().expect("checked above");
        // Parts finish in any order; the completion lists them by number.
        self.parts.sort_by_key(|p| p.part_number);
        match self.store.complete_multipart(&up, &self.parts).await {
            Ok(meta) => Ok(meta),
            Err(e) => {
                // A refused completion (a create-only precondition, a bad part) leaves the
                // parts stored and billed: free them. If the completion did happen and only
                // its answer was lost, the abort finds no upload, which is harmless.
                let _ = self.store.abort_multipart(&up).await;
                Err(e)
            }
        }
    }

    /// Abandons the upload and frees the parts uploaded so far. A writer dropped without
    /// `finish` or `abort` cannot abort by itself (it borrows the store and `Drop` cannot
    /// wait): it logs a warning naming the upload left behind. `put_stream` through the
    /// facade's contract does abort on cancellation.
    pub async fn abort(mut self) -> Result<()> {
        // Parts still in flight finish first, so the abort frees them too.
        let _ = self.drain().await;
        if let Some(up) = self.upload.take() {
            self.store.abort_multipart(&up).await?;
        }
        Ok(())
    }
}

impl<'a, S: Storage + ?Sized> Drop for ObjectWriter<'a, S> {
    fn drop(&mut self) {
        if let Some(up) = &self.upload {
            tracing::warn!(
                bucket = %up.bucket,
                key = %up.key,
                "an object writer was dropped with its multipart upload open: call abort() (parts stay billed until the provider's lifecycle removes them)"
            );
        }
    }
}
