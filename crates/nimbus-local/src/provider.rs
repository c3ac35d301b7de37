//! The `local` provider's descriptor: how the facade, the CLI and the suite find it.
//!
//! `file://` URLs name a path whose root is found by its `.nimbus` marker (or `?root=`);
//! `memory://` URLs share one in-memory store per process.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::future::BoxFuture;
use nimbus_core::config::{Settings, StorageUrl};
use nimbus_core::provider::{url_settings, Emulator, OpenedUrl, PresignClient, Provider};
use nimbus_core::{Error, Result, Storage};

use crate::storage::backend::Backend;
use crate::storage::Engine;
use crate::{LocalStorage, MemoryStorage};

use crate::config::{compute_from_settings, network_from_settings, storage_from_settings, SCHEMA};

/// Settings of both embedded stand-ins: state in a fresh directory, fast transitions, small
/// parts (the limit logic is the same at 1 MiB; the run is faster).
const FS_SETTINGS: &[(&str, &str)] = &[
    ("root", "{tmp}/storage"),
    ("state_dir", "{tmp}/sim"),
    ("min_part_size", "1048576"),
    ("transition_time", "30ms"),
];
const MEMORY_SETTINGS: &[(&str, &str)] = &[
    ("memory", "true"),
    ("state_dir", "{tmp}/sim"),
    ("min_part_size", "1048576"),
    ("transition_time", "30ms"),
];

/// The filesystem store's registered differences do not apply to the memory store.
fn live_differences_apply(s: &Settings) -> bool {
    s.get("memory") != Some("true")
}

/// Presigned `nimbus-local://` URLs are served by the engine that signed them.
fn presign_client(s: &Arc<dyn Storage>) -> Option<Arc<dyn PresignClient>> {
    let native = s.native()?;
    if let Ok(e) = native.clone().downcast::<LocalStorage>() {
        return Some(Arc::new(Presigned(e)));
    }
    native
        .downcast::<MemoryStorage>()
        .ok()
        .map(|e| Arc::new(Presigned(e)) as Arc<dyn PresignClient>)
}

struct Presigned<B: Backend>(Arc<Engine<B>>);

impl<B: Backend> PresignClient for Presigned<B> {
    fn get(&self, url: &str) -> BoxFuture<'_, Result<Bytes>> {
        let url = url.to_string();
        Box::pin(async move { self.0.fetch_presigned(&url).await })
    }
    fn put(&self, url: &str, body: Bytes) -> BoxFuture<'_, Result<()>> {
        let url = url.to_string();
        Box::pin(async move { self.0.upload_presigned(&url, body).await.map(|_| ()) })
    }
}

/// The `local` provider.
pub const PROVIDER: Provider = Provider {
    name: "local",
    summary: "the embedded cloud: filesystem or memory storage, simulated compute and network",
    schema: SCHEMA,
    url_schemes: &["file", "memory"],
    storage: Some(|s| Box::pin(async move { storage_from_settings(&s) })),
    compute: Some(|s| Box::pin(async move { compute_from_settings(&s) })),
    network: Some(|s| Box::pin(async move { network_from_settings(&s) })),
    url_opener: Some(|u| Box::pin(async move { open_url(&u) })),
    emulators: &[
        Emulator {
            name: "fs",
            proof: "embedded: filesystem store, simulator",
            services: &["storage", "compute", "network"],
            differences: &["local-fs"],
            report_as: "local",
            settings: FS_SETTINGS,
            poll_ms: 10,
        },
        Emulator {
            name: "memory",
            proof: "embedded: memory store, simulator",
            services: &["storage", "compute", "network"],
            differences: &[],
            report_as: "local-memory",
            settings: MEMORY_SETTINGS,
            poll_ms: 10,
        },
    ],
    live_proof: "embedded",
    live_differences_apply,
    default_emulator: Some("fs"),
    presign_client: Some(presign_client),
    diag: Some(&crate::diag::DIAG),
};

fn open_url(u: &StorageUrl) -> Result<OpenedUrl> {
    if u.scheme == "memory" {
        url_settings(u, &[])?; // only the common keys (retry, timeouts) are accepted
        static MEMORY: OnceLock<Arc<dyn Storage>> = OnceLock::new();
        let storage = MEMORY
            .get_or_init(|| crate::open_memory(Default::default()) as Arc<dyn Storage>)
            .clone();
        return Ok(OpenedUrl {
            storage,
            bucket: u.bucket.clone(),
            key: u.key.clone(),
        });
    }
    let mut settings = url_settings(u, SCHEMA.storage)?;
    let (root, rest) = match settings.get("root") {
        Some(r) => {
            let root = PathBuf::from(r);
            let rest = Path::new(&u.path)
                .strip_prefix(&root)
                .map_err(|_| Error::invalid(format!("path {} is not under root {}", u.path, root.display())))?
                .to_string_lossy()
                .into_owned();
            (root, rest)
        }
        None => crate::storage::find_root(Path::new(&u.path))?,
    };
    let rest = rest.trim_start_matches('/');
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::invalid("the URL names no bucket below the store root"));
    }
    settings.set("root", root.to_string_lossy(), "url");
    Ok(OpenedUrl {
        storage: storage_from_settings(&settings)?,
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}
