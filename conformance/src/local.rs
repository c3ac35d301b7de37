//! Targets for the embedded `local` provider.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use nimbus_core::Result;
use nimbus_local::sim::{SimCloud, SimOptions};
use nimbus_local::storage::{open_fs, open_memory, StorageOptions};

use crate::{Difference, PresignClient, Target};

/// Serves presigned URLs of a local store.
struct LocalPresign<E>(Arc<E>);

impl<E: LocalFetch + Send + Sync + 'static> PresignClient for LocalPresign<E> {
    fn get(&self, url: &str) -> BoxFuture<'_, Result<Bytes>> {
        let url = url.to_string();
        Box::pin(async move { self.0.fetch(&url).await })
    }
    fn put(&self, url: &str, body: Bytes) -> BoxFuture<'_, Result<()>> {
        let url = url.to_string();
        Box::pin(async move { self.0.upload(&url, body).await })
    }
}

/// Presigned access on the local engines.
trait LocalFetch {
    fn fetch<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<Bytes>>;
    fn upload<'a>(&'a self, url: &'a str, body: Bytes) -> BoxFuture<'a, Result<()>>;
}

impl LocalFetch for nimbus_local::LocalStorage {
    fn fetch<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<Bytes>> {
        Box::pin(self.fetch_presigned(url))
    }
    fn upload<'a>(&'a self, url: &'a str, body: Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.upload_presigned(url, body).await.map(|_| ()) })
    }
}

impl LocalFetch for nimbus_local::MemoryStorage {
    fn fetch<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<Bytes>> {
        Box::pin(self.fetch_presigned(url))
    }
    fn upload<'a>(&'a self, url: &'a str, body: Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.upload_presigned(url, body).await.map(|_| ()) })
    }
}

/// The differences the filesystem store declares.
pub fn fs_differences() -> Vec<Difference> {
    crate::registry::declared("local-fs")
}

fn small_parts() -> StorageOptions {
    // Conformance uses 1 MiB parts locally to keep the run fast; the limit logic is the same.
    let mut o = StorageOptions::default();
    o.min_part_size = 1024 * 1024;
    o
}

fn with_sim(mut t: Target, sim: Arc<SimCloud>) -> Target {
    t.compute = Some(sim.compute());
    t.network = Some(sim.network());
    t.proof.insert("compute".into(), "embedded simulator".into());
    t.proof.insert("network".into(), "embedded simulator".into());
    t.wait_timeout = Duration::from_secs(30);
    t.poll_interval = Duration::from_millis(10);
    t
}

/// The `local` target: filesystem storage under `dir/storage` and the simulator with its state
/// in `dir/sim` (fast transitions).
pub fn fs_target(dir: &std::path::Path) -> Result<Target> {
    let store = open_fs(dir.join("storage"), small_parts())?;
    let mut t = Target::new("local");
    t.presign = Some(Arc::new(LocalPresign(store.clone())));
    t.storage = Some(store);
    t.differences = fs_differences();
    t.proof.insert("storage".into(), "embedded (filesystem)".into());
    let sim = SimCloud::open(
        dir.join("sim"),
        SimOptions::default().with_transition_time(Duration::from_millis(30)),
    )?;
    Ok(with_sim(t, sim))
}

/// The `local-memory` target: in-memory storage and an in-memory simulator.
pub fn memory_target() -> Target {
    let store = open_memory(small_parts());
    let mut t = Target::new("local-memory");
    t.presign = Some(Arc::new(LocalPresign(store.clone())));
    t.storage = Some(store);
    t.proof.insert("storage".into(), "embedded (memory)".into());
    let sim = SimCloud::in_memory(SimOptions::default().with_transition_time(Duration::from_millis(30)));
    with_sim(t, sim)
}
