//! What the store targets share (pulled in with `#[path]`; not a target of its own): a
//! single-threaded runtime and local stores behind the portable contract, without fsync
//! (the fuzzer checks paths and order, not durability).
// Each target uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use nimbus_core::contract::Contract;
use nimbus_core::Storage;
use nimbus_local::StorageOptions;

/// Store options without fsync.
pub fn quick() -> StorageOptions {
    let mut o = StorageOptions::default();
    o.durable = false;
    o
}

/// The runtime every call of a target runs on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A store behind the portable contract, as a caller gets it.
pub fn contract(raw: Arc<dyn Storage>) -> Arc<dyn Storage> {
    Arc::new(Contract::new(raw))
}

/// The filesystem store rooted at `root`, behind the contract.
pub fn fs_store(root: &Path) -> Arc<dyn Storage> {
    contract(nimbus_local::open_fs(root, quick()).unwrap())
}

/// The memory store, behind the contract.
pub fn memory_store() -> Arc<dyn Storage> {
    contract(nimbus_local::open_memory(quick()))
}
