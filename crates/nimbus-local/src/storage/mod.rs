//! Local object storage on the filesystem ([`LocalStorage`]) and in memory ([`MemoryStorage`]).
//!
//! The backend types are deliberately sealed (crate-private): users name the two aliases,
//! and new behaviour goes into the shared engine, never into one backend.

#[doc(hidden)]
pub mod backend;
mod engine;
#[doc(hidden)]
pub mod fs;
#[doc(hidden)]
pub mod mem;
pub mod presign;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nimbus_core::{Error, Result};

pub use engine::{Engine, StorageOptions};
pub use fs::MARKER;

/// Filesystem-backed storage: `ROOT/BUCKET/KEY` files.
pub type LocalStorage = Engine<fs::FsBackend>;
/// In-memory storage.
pub type MemoryStorage = Engine<mem::MemBackend>;

/// Opens (creating) a filesystem store under `root`.
pub fn open_fs(root: impl AsRef<Path>, options: StorageOptions) -> Result<Arc<LocalStorage>> {
    let root = root.as_ref();
    let backend = fs::FsBackend::open(root, options.durable)
        .map_err(|e| e.context("local-fs", "open", || root.display().to_string()))?;
    Ok(Engine::new(backend, options))
}

/// A new, empty in-memory store.
pub fn open_memory(options: StorageOptions) -> Arc<MemoryStorage> {
    Engine::new(mem::MemBackend::new(), options)
}

impl LocalStorage {
    /// The root directory.
    pub fn root(&self) -> &Path {
        self.backend.root()
    }
}

/// Finds the store root for a `file://` path: the nearest ancestor holding the
/// [`MARKER`] directory. Returns the root and the rest of the path (`bucket/key…`).
pub fn find_root(path: &Path) -> Result<(PathBuf, String)> {
    let mut cur = path.parent();
    while let Some(dir) = cur {
        if dir.join(MARKER).is_dir() {
            let rest = path
                .strip_prefix(dir)
                .map_err(|_| Error::internal("ancestor is not a prefix"))?
                .to_string_lossy()
                .replace('\\', "/");
            return Ok((dir.to_path_buf(), rest));
        }
        cur = dir.parent();
    }
    Err(Error::invalid(format!(
        "no local store root above {}: create one with `nimbus storage init DIR`, or say where it is with ?root=DIR, NIMBUS_STORAGE_ROOT or the profile's storage.root",
        path.display()
    )))
}
