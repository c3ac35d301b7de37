//! Conveniences on top of the [`Storage`] driver calls.

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::{
    ByteStream, GetOptions, GetRange, ListEntry, ListOptions, ObjectMeta, ObjectWriter, Storage, WriterOptions,
};
use crate::{Capability, Error, Result};

/// Conveniences for every [`Storage`], including `dyn Storage`.
pub trait StorageExt: Storage {
    /// Every entry of a listing, page after page, as one stream. Within the stream objects
    /// and common prefixes come in key order (where the provider lists lexicographically).
    fn list<'a>(&'a self, bucket: &'a str, options: ListOptions) -> BoxStream<'a, Result<ListEntry>> {
        enum Next {
            Start,
            Token(String),
            Done,
        }
        stream::try_unfold(Next::Start, move |next| {
            let options = options.clone();
            async move {
                let token = match next {
                    Next::Start => None,
                    Next::Token(t) => Some(t),
                    Next::Done => return Ok::<_, Error>(None),
                };
                let page = self.list_page(bucket, &options, token).await?;
                let next = match page.next_token {
                    Some(t) => Next::Token(t),
                    None => Next::Done,
                };
                let mut entries: Vec<ListEntry> = page
                    .objects
                    .into_iter()
                    .map(ListEntry::Object)
                    .chain(page.common_prefixes.into_iter().map(ListEntry::Prefix))
                    .collect();
                entries.sort_by(|a, b| entry_key(a).cmp(entry_key(b)));
                Ok(Some((stream::iter(entries.into_iter().map(Ok)), next)))
            }
        })
        .try_flatten()
        .boxed()
    }

    /// Every object (no prefixes) under `prefix`, collected.
    fn list_objects<'a>(
        &'a self,
        bucket: &'a str,
        options: ListOptions,
    ) -> futures::future::BoxFuture<'a, Result<Vec<ObjectMeta>>> {
        Box::pin(
            self.list(bucket, options)
                .try_filter_map(|e| async move {
                    Ok(match e {
                        ListEntry::Object(o) => Some(o),
                        ListEntry::Prefix(_) => None,
                    })
                })
                .try_collect(),
        )
    }

    /// Reads a whole object into memory.
    fn get_bytes<'a>(&'a self, bucket: &'a str, key: &'a str) -> futures::future::BoxFuture<'a, Result<Bytes>> {
        Box::pin(async move { self.get(bucket, key, &GetOptions::default()).await?.bytes().await })
    }

    /// Reads a byte range into memory.
    fn get_range<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        range: GetRange,
    ) -> futures::future::BoxFuture<'a, Result<Bytes>> {
        Box::pin(async move { self.get(bucket, key, &GetOptions::range(range)).await?.bytes().await })
    }

    /// A streaming multipart writer: memory stays at `concurrency + 1` parts whatever the
    /// object's size ([`WriterOptions::concurrency`]).
    fn writer<'a>(&'a self, bucket: &'a str, key: &'a str, options: WriterOptions) -> ObjectWriter<'a, Self> {
        ObjectWriter::new(self, bucket, key, options)
    }

    /// Uploads a stream of unknown length: multipart where the provider supports it (aborted
    /// on failure), otherwise `put_stream`. Memory stays at `concurrency + 1` parts.
    fn upload_stream<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: ByteStream,
        options: WriterOptions,
    ) -> futures::future::BoxFuture<'a, Result<ObjectMeta>> {
        Box::pin(async move {
            if !self.capabilities().multipart {
                return self.put_stream(bucket, key, body, &options.put).await;
            }
            self.writer(bucket, key, options).write_stream(body, |_| {}).await
        })
    }

    /// Deletes every key, in batches of the provider's limit where batch delete is declared,
    /// one by one otherwise. Fails on the first key that could not be deleted.
    fn delete_all<'a>(&'a self, bucket: &'a str, keys: Vec<String>) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let caps = self.capabilities();
            if caps.batch_delete && caps.batch_delete_max > 0 {
                for chunk in keys.chunks(caps.batch_delete_max) {
                    for outcome in self.delete_many(bucket, chunk).await? {
                        outcome.result?;
                    }
                }
            } else {
                for k in &keys {
                    self.delete(bucket, k).await?;
                }
            }
            Ok(())
        })
    }

    /// The native client, if the adapter exposes one of type `T` (Go CDK's `As`).
    fn native_as<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.native().and_then(|n| n.downcast::<T>().ok())
    }

    /// Fails with the typed unsupported error unless `cap` is declared.
    fn require(&self, cap: Capability) -> Result<()> {
        if self.capabilities().supports(cap) {
            Ok(())
        } else {
            Err(Error::unsupported(cap).with_provider(self.provider()))
        }
    }
}

impl<T: Storage + ?Sized> StorageExt for T {}

fn entry_key(e: &ListEntry) -> &str {
    match e {
        ListEntry::Object(o) => &o.key,
        ListEntry::Prefix(p) => p,
    }
}
