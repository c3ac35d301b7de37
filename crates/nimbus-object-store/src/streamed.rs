//! `object_store`'s writer on a provider without multipart uploads (Cloud Storage through
//! Nimbus): the parts become one streamed put.
//!
//! Why: `WriteMultipart` (how DataFusion and Parquet writers upload) asks every store for
//! `put_multipart`. Where the provider has no part API but streams a body natively (GCS
//! resumable uploads), the parts are queued in the order `put_part` was called and fed to one
//! Nimbus `put_stream` running in the background. A part's future finishes when the upload
//! has taken its bytes, so memory stays at the parts in flight, as with real parts.
//!
//! Nothing is committed unless `complete` is called: `abort`, or dropping the writer, ends
//! the body with an error, so the streamed put fails and the provider keeps nothing (an
//! unfinalised resumable upload is never visible).

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use nimbus_core::storage::{ObjectMeta as NimbusMeta, PutOptions as NimbusPut};
use nimbus_core::{Error, ErrorKind};
use object_store::path::Path;
use object_store::{MultipartUpload, PutPayload, PutResult, UploadPart};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::errors::{map, Asked, STORE};
use crate::NimbusStore;

/// A queued part and who waits for it to be taken; `Err` ends the body (abort).
type Item = Result<(Bytes, oneshot::Sender<()>), ()>;

/// A writer whose parts stream into one put.
#[derive(Debug)]
pub(crate) struct StreamedUpload {
    location: Path,
    tx: Option<mpsc::UnboundedSender<Item>>,
    task: Option<JoinHandle<nimbus_core::Result<NimbusMeta>>>,
}

impl NimbusStore {
    /// Starts the background put; the caller's runtime runs it (object_store needs tokio).
    pub(crate) fn start_streamed(&self, location: &Path, options: NimbusPut) -> StreamedUpload {
        let (tx, rx) = mpsc::unbounded_channel::<Item>();
        // State: the receiver, dropped after an abort's error so the body ends there.
        let body = futures::stream::unfold(Some(rx), |state| async move {
            let mut rx = state?;
            match rx.recv().await? {
                Ok((bytes, taken)) => {
                    let _ = taken.send(());
                    Some((Ok(bytes), Some(rx)))
                }
                Err(()) => Some((
                    Err(Error::new(
                        ErrorKind::Conflict,
                        "the upload was aborted before completion",
                    )),
                    None,
                )),
            }
        })
        .boxed();
        let (storage, bucket, key) = (self.storage.clone(), self.bucket.clone(), self.keys.key(location));
        let task = tokio::spawn(async move { storage.put_stream(&bucket, &key, body, &options).await });
        StreamedUpload {
            location: location.clone(),
            tx: Some(tx),
            task: Some(task),
        }
    }
}

fn stopped(location: &Path, why: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: format!("the streamed upload of {location} {why}").into(),
    }
}

impl StreamedUpload {
    async fn finish(&mut self) -> object_store::Result<NimbusMeta> {
        self.tx = None;
        let Some(task) = self.task.take() else {
            return Err(stopped(&self.location, "was already completed or aborted"));
        };
        match task.await {
            Ok(r) => r.map_err(|e| map(e, self.location.as_ref(), Asked::Plain)),
            Err(e) => Err(stopped(&self.location, &format!("task failed: {e}"))),
        }
    }
}

#[async_trait]
impl MultipartUpload for StreamedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let (taken_tx, taken) = oneshot::channel();
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(Ok((Bytes::from(data), taken_tx))).is_ok());
        let location = self.location.clone();
        Box::pin(async move {
            if !sent {
                return Err(stopped(&location, "is no longer running"));
            }
            // Dropped untaken: the put failed; `complete` returns its error.
            taken
                .await
                .map_err(|_| stopped(&location, "stopped: complete() returns the cause"))
        })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let meta = self.finish().await?;
        Ok(PutResult {
            e_tag: meta.etag,
            version: None,
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        })
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(()));
        }
        match self.finish().await {
            // The put failed on the abort, as it must: nothing was stored.
            Err(_) => Ok(()),
            Ok(_) => Err(stopped(&self.location, "completed before the abort reached it")),
        }
    }
}

impl Drop for StreamedUpload {
    fn drop(&mut self) {
        // Dropped without `complete`: end the body with an error so nothing is committed.
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(()));
        }
    }
}
