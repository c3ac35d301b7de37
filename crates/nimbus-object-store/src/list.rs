//! Listings: the `ObjectStore` streams, `list_with_delimiter` and `PaginatedListStore`.
//!
//! Why pages on demand: a listing is a stream that asks for the next Nimbus page only when the
//! consumer has used the last one, so listing a million keys holds one page in memory. The
//! offset is the provider's exclusive `start_after` (the Nimbus contract makes it exclusive
//! everywhere); where a provider cannot start after a key, the stream skips up to it.

use async_trait::async_trait;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use nimbus_core::storage::ListOptions;
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::path::Path;
use object_store::{ListResult, ObjectMeta};

use crate::attributes::meta_of;
use crate::errors::{map, Asked};
use crate::NimbusStore;

const DELIMITER: &str = "/";

impl NimbusStore {
    /// Every object under `prefix` (whole segments), after `offset` when given.
    pub(crate) fn list_from(
        &self,
        prefix: Option<&Path>,
        offset: Option<&Path>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let this = self.clone();
        let mut options = ListOptions::prefix(self.keys.dir(prefix));
        let native_offset = self.storage.capabilities().list_start_after;
        let skip_to = match offset {
            Some(o) if native_offset => {
                options.start_after = Some(self.keys.key(o));
                None
            }
            Some(o) => Some(o.clone()),
            None => None,
        };
        // State: the next page's token; `None` once the last page has been read.
        stream::try_unfold(Some(None::<String>), move |state| {
            let (this, options) = (this.clone(), options.clone());
            async move {
                let Some(token) = state else {
                    return Ok::<_, object_store::Error>(None);
                };
                let page = this
                    .storage
                    .list_page(&this.bucket, &options, token)
                    .await
                    .map_err(|e| map(e, options.prefix.as_deref().unwrap_or(""), Asked::Plain))?;
                let metas: Vec<object_store::Result<ObjectMeta>> = page
                    .objects
                    .iter()
                    .map(|m| Ok(meta_of(this.keys.path(&m.key)?, m)))
                    .collect();
                let next = page.next_token.map(Some);
                Ok(Some((stream::iter(metas), next)))
            }
        })
        .try_flatten()
        .try_filter(move |m| futures::future::ready(skip_to.as_ref().is_none_or(|o| m.location > *o)))
        .boxed()
    }

    /// One directory level under `prefix`: its objects and its sub-directories.
    pub(crate) async fn list_dir(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let options = ListOptions::prefix(self.keys.dir(prefix)).delimiter(DELIMITER);
        let mut out = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        };
        let mut token = None;
        loop {
            let page = self
                .storage
                .list_page(&self.bucket, &options, token)
                .await
                .map_err(|e| map(e, options.prefix.as_deref().unwrap_or(""), Asked::Plain))?;
            for p in &page.common_prefixes {
                out.common_prefixes.push(self.keys.prefix_path(p, DELIMITER)?);
            }
            for m in &page.objects {
                out.objects.push(meta_of(self.keys.path(&m.key)?, m));
            }
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl PaginatedListStore for NimbusStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> object_store::Result<PaginatedListResult> {
        let mut options = ListOptions::prefix(self.keys.raw(prefix));
        options.delimiter = opts.delimiter.as_ref().map(|d| d.to_string());
        options.start_after = opts.offset.as_ref().map(|o| format!("{}{o}", self.keys.root()));
        options.page_size = opts.max_keys;
        let page = self
            .storage
            .list_page(&self.bucket, &options, opts.page_token.clone())
            .await
            .map_err(|e| map(e, options.prefix.as_deref().unwrap_or(""), Asked::Plain))?;
        let delimiter = options.delimiter.as_deref().unwrap_or(DELIMITER);
        let mut result = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            #[cfg(not(object_store_013))]
            extensions: Default::default(),
        };
        for p in &page.common_prefixes {
            result.common_prefixes.push(self.keys.prefix_path(p, delimiter)?);
        }
        for m in &page.objects {
            result.objects.push(meta_of(self.keys.path(&m.key)?, m));
        }
        Ok(PaginatedListResult {
            result,
            page_token: page.next_token,
        })
    }
}
