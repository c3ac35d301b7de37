//! [`object_store::ObjectStore`] over any Nimbus storage.
//!
//! Why: our users' products move data with the Rust data stack (DataFusion, Polars, delta-rs,
//! Lance), which speaks `object_store`. With this bridge they point that stack at a customer's
//! storage through the same Nimbus profile or URL the rest of the product uses, instead of
//! configuring every cloud a second time:
//!
//! ```no_run
//! use std::sync::Arc;
//! use nimbus_object_store::NimbusStore;
//!
//! use nimbus_object_store::object_store::ObjectStore;
//!
//! // `storage` from `nimbus::Clouds::from_profile(Some("acme"))?.storage().await?`; or skip this
//! // with `nimbus::open_object_store_url("s3://reports/warehouse/")` (facade feature `object-store`).
//! fn warehouse(storage: Arc<dyn nimbus_core::Storage>) -> Arc<dyn ObjectStore> {
//!     let store = NimbusStore::new(storage, "reports").with_prefix("warehouse");
//!     Arc::new(store)
//! }
//! ```
//!
//! The bridge sits *above* the Nimbus service it is given, so a store opened the normal way
//! keeps the portable contract (validation, capability gates, error context) and the safe
//! defaults (tracing, timeout, retry). It translates calls and nothing else: where Nimbus
//! cannot do what `object_store` asks, the answer is `object_store`'s typed
//! `NotSupported`/`NotImplemented`, never a silent approximation. What it does on the client,
//! and why that is exact, is listed in `docs/design/0018-object-store-bridge.md`:
//!
//! - a head with conditions is evaluated on the head's own metadata (Nimbus's head takes
//!   none); gets pass every condition to Nimbus, whose contract checks dates on the
//!   response's metadata;
//! - `PutMode::Update` with only an ETag reads the current version token first (an S3-style
//!   compare on the ETag, then a compare-and-swap on the version);
//! - a multipart part id carries its part number, size and the provider's tag.
#![deny(missing_docs)]

mod attributes;
mod errors;
mod list;
mod paths;
mod store;
mod streamed;
mod upload;

use std::sync::Arc;

use nimbus_core::provider::OpenedUrl;
use nimbus_core::Storage;

/// The `object_store` this bridge implements (0.14), re-exported so callers name the same
/// version.
pub use object_store;

use paths::Keys;

/// One bucket (optionally under a key prefix) of a Nimbus storage service, as an
/// `object_store` store. Cheap to clone: clones share the service.
#[derive(Clone)]
pub struct NimbusStore {
    storage: Arc<dyn Storage>,
    bucket: Arc<str>,
    keys: Keys,
}

impl NimbusStore {
    /// The whole of `bucket` in `storage`.
    pub fn new(storage: Arc<dyn Storage>, bucket: impl Into<String>) -> Self {
        NimbusStore {
            storage,
            bucket: Arc::from(bucket.into()),
            keys: Keys::new(""),
        }
    }

    /// Only the keys under `prefix` (a "directory": `warehouse` and `warehouse/` are the same).
    /// Paths are relative to it, and nothing outside it is listed or touched.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.keys = Keys::new(prefix);
        self
    }

    /// The store a URL names (`s3://bucket/prefix/`): its bucket, under its key as a prefix.
    pub fn from_opened(opened: OpenedUrl) -> Self {
        NimbusStore::new(opened.storage, opened.bucket).with_prefix(&opened.key)
    }

    /// The Nimbus service underneath (for what `object_store` has no call for: presigned
    /// URLs, capabilities, buckets).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix every path is under (`""`, or ending in `/`).
    pub fn prefix(&self) -> &str {
        self.keys.root()
    }
}

impl std::fmt::Display for NimbusStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Nimbus({}:{}/{})",
            self.storage.provider(),
            self.bucket,
            self.keys.root()
        )
    }
}

impl std::fmt::Debug for NimbusStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NimbusStore")
            .field("provider", &self.storage.provider())
            .field("bucket", &self.bucket)
            .field("prefix", &self.keys.root())
            .finish()
    }
}
