//! The filesystem backend: objects are plain files under `ROOT/BUCKET/KEY`, so other tools
//! can read them; metadata lives in `ROOT/.nimbus/meta/BUCKET/<sha256(key)>.json`, named by
//! hash so that no key can collide with another key's metadata.
//!
//! Writes go to `ROOT/.nimbus/tmp` first (same filesystem) and are renamed into place, so a
//! reader sees the old object or the new one, never half of one. Keys are checked by the
//! portable rules (no `..`, no absolute paths, no NUL, no backslash) *and* the final path is
//! checked to stay under the bucket directory, so traversal out of the root is impossible.
//!
//! Filesystem limit (a documented difference, `local-fs-key-prefix-collision`): a key cannot
//! be both an object and the parent "directory" of another key (`a` and `a/b`), and keys
//! cannot end in `/`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::{Bound, Range};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use nimbus_core::storage::{BucketInfo, ByteStream};
use nimbus_core::{Error, ErrorKind, Result};
use sha2::Sha256;

use super::backend::{Backend, Decide, LockGuard, Pick, Staged, StagedData, StoredMeta, TempFile};

/// Marker directory that makes a directory a local store root.
pub const MARKER: &str = ".nimbus";
/// The slice a staged body is hashed and written in (well inside a core's L2 cache).
const HASH_SLICE: usize = 256 * 1024;
/// A read of at most this many bytes is done in the trip that opens the file.
const SMALL_READ: u64 = 256 * 1024;
/// The chunk a larger read yields per trip to the blocking pool.
const READ_CHUNK: usize = 1024 * 1024;

/// The filesystem backend.
#[derive(Clone)]
/// The filesystem backend (sealed: reach it only through [`super::LocalStorage`]).
pub struct FsBackend {
    root: PathBuf,
    secret: Vec<u8>,
    dirs: std::sync::Arc<DirCache>,
    /// `fdatasync` staged data before it becomes visible ([`super::StorageOptions::durable`]).
    durable: bool,
    /// The cross-process lock file, opened on first use and kept.
    lock_file: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<std::fs::File>>>>,
}

/// The cross-process lock, held until dropped.
struct HeldLock(std::sync::Arc<std::fs::File>);

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl std::fmt::Debug for FsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsBackend")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("blocking task failed: {e}")))?
}

fn conflict_collision(key: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "`{key}` collides with another key on the filesystem: a key cannot be both an object and a prefix of another object on local-fs"
        ),
    )
    .with_raw_code("KeyPrefixCollision")
}

impl FsBackend {
    /// Stages a body held in memory in one trip to the blocking pool: a temp file, synced when
    /// `sync`, and the body's MD5.
    async fn stage_in_memory(&self, body: Bytes, sync: bool) -> Result<Staged> {
        let path = TempFile::new(self.tmp_path());
        blocking(move || {
            // Hashed and written a slice at a time, so the write reads bytes the hash just
            // brought into the cache: a part is larger than the cache, and this machine's memory
            // bandwidth, not the CPU, bounds two separate passes.
            let mut md5 = Md5::new();
            let write = |md5: &mut Md5| -> Result<()> {
                let mut f = std::fs::File::create(path.path())?;
                for slice in body.chunks(HASH_SLICE) {
                    md5.update(slice);
                    f.write_all(slice)?;
                }
                if sync {
                    f.sync_data()?;
                }
                Ok(())
            };
            // On an error the guard removes the file.
            write(&mut md5)?;
            Ok(Staged {
                size: body.len() as u64,
                md5: Some(md5.finalize().into()),
                data: StagedData::File(path),
            })
        })
        .await
    }

    /// Opens (creating if needed) a store rooted at `root`.
    pub(crate) fn open(root: &Path, durable: bool) -> Result<Self> {
        let meta = root.join(MARKER);
        for d in [meta.join("tmp"), meta.join("meta")] {
            std::fs::create_dir_all(&d).map_err(|e| Error::from(e).with_resource(d.display().to_string()))?;
        }
        let root = root.canonicalize()?;
        let key_path = root.join(MARKER).join("presign.key");
        let secret = match std::fs::read(&key_path) {
            Ok(k) if k.len() == 32 => k,
            _ => {
                let k: [u8; 32] = rand::random();
                let tmp = root
                    .join(MARKER)
                    .join("tmp")
                    .join(format!("key-{}", rand::random::<u64>()));
                {
                    let mut f = std::fs::File::create(&tmp)?;
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                    }
                    f.write_all(&k)?;
                    f.sync_all()?;
                }
                // First writer wins; everyone then reads the same key.
                if std::fs::hard_link(&tmp, &key_path).is_err() {
                    let _ = std::fs::remove_file(&tmp);
                    std::fs::read(&key_path)?
                } else {
                    let _ = std::fs::remove_file(&tmp);
                    k.to_vec()
                }
            }
        };
        Ok(FsBackend {
            root,
            secret,
            dirs: Default::default(),
            durable,
            lock_file: Default::default(),
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// The data path, proven to stay below the bucket directory.
    fn data_path(&self, bucket: &str, key: &str) -> Result<PathBuf> {
        let rel = Path::new(key);
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(Error::invalid(format!(
                "key `{}` does not map to a path below the bucket",
                key.escape_debug()
            )));
        }
        Ok(self.bucket_dir(bucket).join(rel))
    }

    fn meta_path(&self, bucket: &str, key: &str) -> PathBuf {
        // Every listed key names its sidecar: one allocation for the path, and hex without
        // `hex`'s char-by-char iterator (measured: 5 % of a listing's instructions).
        let h = hex_lower(&Sha256::digest(key.as_bytes()));
        self.root.join(format!("{MARKER}/meta/{bucket}/{h}.json"))
    }

    fn tmp_path(&self) -> PathBuf {
        self.root
            .join(MARKER)
            .join("tmp")
            .join(format!("t-{:016x}", rand::random::<u64>()))
    }

    /// Writes the sidecar of the data file at inode `ino` (from [`Self::place`]).
    fn write_meta(&self, bucket: &str, key: &str, meta: &StoredMeta, ino: u64) -> Result<()> {
        let p = self.meta_path(bucket, key);
        std::fs::create_dir_all(p.parent().expect("meta path has a parent"))?;
        let tmp = TempFile::new(self.tmp_path());
        let mut meta = meta.clone();
        meta.ino = Some(ino);
        std::fs::write(
            tmp.path(),
            serde_json::to_vec(&meta).map_err(|e| Error::internal(e.to_string()))?,
        )?;
        std::fs::rename(tmp.path(), &p)?;
        tmp.keep();
        Ok(())
    }

    /// Moves a file into the data path, mapping file/directory collisions to `Conflict`.
    /// Returns its inode, which the sidecar written next records.
    /// On an error the staged file is removed (its guard is dropped).
    fn place(&self, bucket: &str, key: &str, from: TempFile) -> Result<u64> {
        let dest = self.data_path(bucket, key)?;
        if let Some(parent) = dest.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return Err(match e.kind() {
                    std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory => conflict_collision(key),
                    _ => e.into(),
                });
            }
        }
        if dest.is_dir() {
            return Err(conflict_collision(key));
        }
        let ino = std::fs::symlink_metadata(from.path())?.ino();
        std::fs::rename(from.path(), &dest)?;
        from.keep();
        Ok(ino)
    }

    fn prune_empty_dirs(&self, bucket: &str, mut dir: Option<&Path>) {
        let top = self.bucket_dir(bucket);
        while let Some(d) = dir {
            if d == top || !d.starts_with(&top) || std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

/// One directory entry in key order: a directory sorts as its name plus `/`, which is where
/// its keys sort among its siblings (`a-b` < `a/…` < `a0`).
#[derive(Debug)]
struct Entry {
    sort: String,
    dir: bool,
}

/// Sorted entries of recently listed directories, each valid while the directory's mtime is
/// unchanged (adding or removing a child changes it, whichever process does it), so the pages
/// of one listing read and sort a large directory once.
///
/// Only directories that had been unchanged for a while ([`settled`]) when they were read are
/// kept: the kernel stamps times from a coarse clock (a tick of a few milliseconds), so two
/// changes within one tick can leave the same mtime; once a directory has been still for
/// longer than a tick, any later change gives it a new one.
#[derive(Debug, Default)]
struct DirCache {
    dirs: std::sync::Mutex<std::collections::HashMap<PathBuf, Cached>>,
}

/// A directory's mtime when its entries were read, and the entries in key order.
type Cached = (SystemTime, std::sync::Arc<Vec<Entry>>);

/// Directories kept; beyond this the cache starts over (listings touch few at once).
const DIR_CACHE_MAX: usize = 256;

/// How long a directory must have been unchanged, when its entries are read, for them to be
/// cached: well over one tick of the clock that stamped its mtime. A filesystem with
/// sub-second times (ext4, XFS, btrfs, tmpfs: a tick of 1–10 ms) settles after 50 ms, so
/// the pages of a listing of a directory written just before share one read; a time with no
/// sub-second part may come from a filesystem that keeps whole seconds (or two, FAT), so it
/// waits 2.5 s. A time that happens to fall on a whole second only waits longer. The rule
/// assumes the mtime comes from this machine's clock (a local filesystem); on a network
/// filesystem whose server runs behind this clock by more than the settle time, a change
/// within the server's tick could be missed until the directory changes again.
fn settled(mtime: SystemTime) -> std::time::Duration {
    let sub_second = mtime.duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    if sub_second == 0 {
        std::time::Duration::from_millis(2500)
    } else {
        std::time::Duration::from_millis(50)
    }
}

impl DirCache {
    fn entries(&self, dir: &Path) -> std::io::Result<std::sync::Arc<Vec<Entry>>> {
        // Taken before the directory is read: a change after this instant gives a later mtime.
        let started = SystemTime::now();
        let mtime = std::fs::metadata(dir)?.modified()?;
        let dirs = self.dirs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, e)) = dirs.get(dir) {
            if *t == mtime {
                return Ok(e.clone());
            }
        }
        drop(dirs);
        let mut v = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let ft = entry.file_type()?;
            if ft.is_dir() {
                v.push(Entry {
                    sort: format!("{name}/"),
                    dir: true,
                });
            } else if ft.is_file() {
                v.push(Entry { sort: name, dir: false });
            }
        }
        v.sort_by(|a, b| a.sort.cmp(&b.sort));
        let v = std::sync::Arc::new(v);
        if started.duration_since(mtime).unwrap_or_default() < settled(mtime) {
            return Ok(v);
        }
        let mut dirs = self.dirs.lock().unwrap_or_else(|p| p.into_inner());
        if dirs.len() >= DIR_CACHE_MAX {
            dirs.clear();
        }
        dirs.insert(dir.to_path_buf(), (mtime, v.clone()));
        Ok(v)
    }
}

/// Appends to `out`, in key order, up to `limit` keys under `dir` (whose keys start with
/// `rel`) that start with `prefix` and are at or after `from`. Subtrees wholly before `from`
/// or outside `prefix` are never opened, and the first candidate of a directory is found by
/// binary search.
fn walk_from(
    cache: &DirCache,
    dir: &Path,
    rel: &str,
    prefix: &str,
    from: &Bound<String>,
    limit: usize,
    out: &mut Vec<String>,
) -> std::io::Result<()> {
    let entries = cache.entries(dir)?;
    let full = |e: &Entry| format!("{rel}{}", e.sort);
    let wanted = |e: &Entry| {
        let k = full(e);
        if e.dir {
            (k.starts_with(prefix) || prefix.starts_with(&k)) && super::backend::may_pass_under(&k, from)
        } else {
            k.starts_with(prefix) && super::backend::passes(&k, from)
        }
    };
    // Entries before `from` form a prefix of the sorted list (the tests are monotone in key
    // order), so the first candidate is found by bisection.
    let start = entries.partition_point(|e| {
        let k = full(e);
        if e.dir {
            !super::backend::may_pass_under(&k, from)
        } else {
            !super::backend::passes(&k, from)
        }
    });
    for e in &entries[start..] {
        if out.len() >= limit {
            break;
        }
        if !wanted(e) {
            // Past the prefix: nothing later can start with it either.
            if !full(e).starts_with(prefix) && full(e).as_str() > prefix {
                break;
            }
            continue;
        }
        let k = full(e);
        if e.dir {
            walk_from(
                cache,
                &dir.join(&k[rel.len()..k.len() - 1]),
                &k,
                prefix,
                from,
                limit,
                out,
            )?;
        } else {
            out.push(k);
        }
    }
    Ok(())
}

/// Lower-case hex of `bytes`.
fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// An object's metadata from its sidecar, checked against the data file (a sidecar of another
/// inode or size is another version's, see [`described`]); a file without one (placed by
/// another tool, or metadata lost) is described from the file itself. `None` when there is
/// no such file.
fn read_meta_at(data: &Path, mp: &Path) -> Result<Option<StoredMeta>> {
    described(
        || match std::fs::metadata(data) {
            Ok(fm) if fm.is_file() => Ok(Some(fm)),
            Ok(_) => Ok(None),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(e.into()),
        },
        mp,
    )
    .map(|d| d.map(|(_, m)| m))
}

/// How often, and how long apart, a reader looks again when it finds the data file and its
/// sidecar from two versions (a replace between its two renames, which are microseconds
/// apart). After that the sidecar is taken as stale for good (the file was changed by another
/// tool) and the file describes itself.
const STALE_RETRIES: u32 = 50;
const STALE_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// Opens (or stats) the data file with `open` and pairs it with its sidecar `mp`, opening again
/// while the sidecar is another version's. `open` returns the handle and its metadata.
fn described<T>(mut open: impl FnMut() -> Result<Option<T>>, mp: &Path) -> Result<Option<(T, StoredMeta)>>
where
    T: Described,
{
    let mut tries = 0;
    loop {
        let Some(h) = open()? else { return Ok(None) };
        let fm = h.file_meta();
        match sidecar(fm, mp) {
            Ok(m) => return Ok(Some((h, m))),
            Err(Unusable::Other) if tries < STALE_RETRIES => {
                tries += 1;
                std::thread::sleep(STALE_PAUSE);
            }
            _ => {
                let m = self_described(fm);
                return Ok(Some((h, m)));
            }
        }
    }
}

/// What [`described`] opens: a file's metadata, or an open file with it.
trait Described {
    fn file_meta(&self) -> &std::fs::Metadata;
}

impl Described for std::fs::Metadata {
    fn file_meta(&self) -> &std::fs::Metadata {
        self
    }
}

impl Described for (std::fs::File, std::fs::Metadata) {
    fn file_meta(&self) -> &std::fs::Metadata {
        &self.1
    }
}

/// Why a sidecar cannot describe a data file.
enum Unusable {
    /// It is another version's (inode or size differ).
    Other,
    /// There is none, or it cannot be read.
    Absent,
}

/// The sidecar `mp` when it describes the data file `fm`.
fn sidecar(fm: &std::fs::Metadata, mp: &Path) -> std::result::Result<StoredMeta, Unusable> {
    let raw = std::fs::read(mp).map_err(|_| Unusable::Absent)?;
    let m = serde_json::from_slice::<StoredMeta>(&raw).map_err(|_| Unusable::Absent)?;
    if m.size == fm.len() && m.ino.is_none_or(|i| i == fm.ino()) {
        Ok(m)
    } else {
        Err(Unusable::Other)
    }
}

/// A file without a usable sidecar, described from its size and modification time.
fn self_described(fm: &std::fs::Metadata) -> StoredMeta {
    let modified = fm.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let ns = modified.duration_since(UNIX_EPOCH).unwrap_or_default();
    StoredMeta {
        size: fm.len(),
        etag: format!("{:x}-{}", ns.as_nanos(), fm.len()),
        version: ns.as_nanos().to_string(),
        modified_ms: ns.as_millis() as u64,
        content_type: None,
        user_metadata: Default::default(),
        cache_control: None,
        content_disposition: None,
        content_encoding: None,
        content_language: None,
        ino: None,
    }
}

fn missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// A stream of `range` of an open file (call on the blocking pool). A range of at most
/// [`SMALL_READ`] bytes is read now, so a small get costs no further trip to the pool; a larger
/// one is read [`READ_CHUNK`] bytes per trip, straight into the buffer handed out. A file that
/// ends before the range does is an error, never a short body.
fn read_range(mut f: std::fs::File, range: Range<u64>) -> Result<ByteStream> {
    f.seek(SeekFrom::Start(range.start))?;
    let len = range.end - range.start;
    if len <= SMALL_READ {
        let chunk = read_chunk(&mut f, len as usize)?;
        return Ok(Box::pin(futures::stream::iter((len > 0).then_some(Ok(chunk)))));
    }
    let s = futures::stream::try_unfold((Some(f), len), |(f, left)| async move {
        let Some(mut f) = f.filter(|_| left > 0) else {
            return Ok(None);
        };
        let want = left.min(READ_CHUNK as u64) as usize;
        let (f, chunk) = blocking(move || read_chunk(&mut f, want).map(|c| (f, c))).await?;
        Ok(Some((chunk, (Some(f), left - want as u64))))
    });
    Ok(Box::pin(s))
}

fn read_chunk(f: &mut std::fs::File, want: usize) -> Result<Bytes> {
    let mut buf = Vec::with_capacity(want);
    f.take(want as u64).read_to_end(&mut buf)?;
    if buf.len() < want {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the object's file ended {} bytes early: it was cut short by another writer",
                want - buf.len()
            ),
        ));
    }
    Ok(Bytes::from(buf))
}

#[async_trait]
impl Backend for FsBackend {
    fn name(&self) -> &'static str {
        "local-fs"
    }

    fn check_key(&self, key: &str) -> Result<()> {
        if key.ends_with('/') {
            return Err(Error::invalid(format!(
                "key `{key}` ends with `/`; local-fs stores objects as files and cannot store directory-marker keys"
            )));
        }
        Ok(())
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let d = self.bucket_dir(bucket);
        blocking(move || match std::fs::create_dir(&d) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(Error::new(ErrorKind::AlreadyExists, "bucket exists").with_raw_code("BucketAlreadyOwnedByYou"))
            }
            Err(e) => Err(e.into()),
        })
        .await
    }

    async fn remove_bucket(&self, bucket: &str) -> Result<()> {
        let d = self.bucket_dir(bucket);
        let m = self.root.join(MARKER).join("meta").join(bucket);
        blocking(move || {
            std::fs::remove_dir_all(&d)?;
            let _ = std::fs::remove_dir_all(&m);
            Ok(())
        })
        .await
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        Ok(self.bucket_dir(bucket).is_dir())
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let root = self.root.clone();
        blocking(move || {
            let mut out = Vec::new();
            for e in std::fs::read_dir(&root)? {
                let e = e?;
                let Some(name) = e.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if e.file_type()?.is_dir() && nimbus_core::storage::validate::validate_bucket_name(&name).is_ok() {
                    let mut b = BucketInfo::new(name);
                    b.created = e.metadata().ok().and_then(|m| m.modified().ok());
                    b.region = Some("local".into());
                    out.push(b);
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
        .await
    }

    async fn stage(&self, mut body: ByteStream) -> Result<Staged> {
        // Guarded before the file exists: a put dropped while it streams leaves nothing.
        let path = TempFile::new(self.tmp_path());
        let durable = self.durable;
        let mut file = tokio::fs::File::create(path.path()).await?;
        let mut md5 = Md5::new();
        let mut size = 0u64;
        let res: Result<()> = async {
            use tokio::io::AsyncWriteExt;
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                md5.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            if durable {
                file.sync_data().await?;
            }
            Ok(())
        }
        .await;
        res?;
        Ok(Staged {
            data: StagedData::File(path),
            size,
            md5: Some(md5.finalize().into()),
        })
    }

    async fn stage_bytes(&self, body: Bytes) -> Result<Staged> {
        self.stage_in_memory(body, self.durable).await
    }

    async fn stage_part(&self, body: Bytes) -> Result<Staged> {
        // Not synced: a part is never visible by itself; `concat` syncs the joined object.
        self.stage_in_memory(body, false).await
    }

    async fn concat(&self, parts: Vec<Staged>) -> Result<Staged> {
        let size: u64 = parts.iter().map(|p| p.size).sum();
        let mut paths = Vec::with_capacity(parts.len());
        for p in parts {
            match p.data {
                StagedData::File(path) => paths.push(path),
                StagedData::Memory(_) => return Err(Error::internal("fs backend got memory staging")),
            }
        }
        let durable = self.durable;
        let joined = blocking(move || {
            // The first part's file becomes the object: the others are appended to it, by the
            // kernel (`std::io::copy` between files is `copy_file_range` on Linux, which
            // shares extents where the filesystem can), and removed. One sync at the end.
            let mut it = paths.into_iter();
            let first = it.next().ok_or_else(|| Error::internal("no parts to join"))?;
            // Every part's guard removes its file on the way out; the first's too on an error.
            let rest: Vec<TempFile> = it.collect();
            let mut w = std::fs::OpenOptions::new().write(true).open(first.path())?;
            w.seek(SeekFrom::End(0))?;
            for p in &rest {
                std::io::copy(&mut std::fs::File::open(p.path())?, &mut w)?;
            }
            if durable {
                w.sync_data()?;
            }
            Ok(first)
        })
        .await?;
        Ok(Staged {
            data: StagedData::File(joined),
            size,
            md5: None,
        })
    }

    async fn discard(&self, staged: Staged) {
        if let StagedData::File(t) = staged.data {
            let _ = tokio::fs::remove_file(t.keep()).await;
        }
    }

    async fn read_meta(&self, bucket: &str, key: &str) -> Result<Option<StoredMeta>> {
        let data = self.data_path(bucket, key)?;
        let mp = self.meta_path(bucket, key);
        blocking(move || read_meta_at(&data, &mp)).await
    }

    async fn read_metas(&self, bucket: &str, keys: &[String]) -> Result<Vec<Option<StoredMeta>>> {
        let paths = keys
            .iter()
            .map(|k| Ok((self.data_path(bucket, k)?, self.meta_path(bucket, k))))
            .collect::<Result<Vec<_>>>()?;
        blocking(move || paths.iter().map(|(d, m)| read_meta_at(d, m)).collect()).await
    }

    async fn commit_checked(&self, bucket: &str, key: &str, staged: Staged, decide: Decide) -> Result<StoredMeta> {
        let StagedData::File(from) = staged.data else {
            return Err(Error::internal("fs backend got memory staging"));
        };
        let this = self.clone();
        let data = self.data_path(bucket, key)?;
        let mp = self.meta_path(bucket, key);
        let (b, k) = (bucket.to_string(), key.to_string());
        blocking(move || {
            // On a refusal the staged file's guard removes it.
            let meta = read_meta_at(&data, &mp).and_then(|m| decide(m.as_ref()))?;
            let ino = this.place(&b, &k, from)?;
            this.write_meta(&b, &k, &meta, ino)?;
            Ok(meta)
        })
        .await
    }

    async fn commit(&self, bucket: &str, key: &str, staged: Staged, meta: &StoredMeta) -> Result<()> {
        let StagedData::File(from) = staged.data else {
            return Err(Error::internal("fs backend got memory staging"));
        };
        let this = self.clone();
        let (b, k, m) = (bucket.to_string(), key.to_string(), meta.clone());
        blocking(move || {
            let ino = this.place(&b, &k, from)?;
            this.write_meta(&b, &k, &m, ino)
        })
        .await
    }

    async fn copy_object(&self, src: (&str, &str), dst: (&str, &str), meta: &StoredMeta) -> Result<()> {
        let this = self.clone();
        let from = self.data_path(src.0, src.1)?;
        let (b, k, m) = (dst.0.to_string(), dst.1.to_string(), meta.clone());
        blocking(move || {
            let tmp = TempFile::new(this.tmp_path());
            std::fs::copy(&from, tmp.path())?;
            let ino = this.place(&b, &k, tmp)?;
            this.write_meta(&b, &k, &m, ino)
        })
        .await
    }

    async fn open(&self, bucket: &str, key: &str, range: Range<u64>) -> Result<ByteStream> {
        let path = self.data_path(bucket, key)?;
        blocking(move || {
            let f = std::fs::File::open(&path)?;
            read_range(f, range)
        })
        .await
    }

    async fn open_checked(
        &self,
        bucket: &str,
        key: &str,
        pick: Pick,
    ) -> Result<Option<(StoredMeta, Range<u64>, ByteStream)>> {
        let data = self.data_path(bucket, key)?;
        let mp = self.meta_path(bucket, key);
        blocking(move || {
            // The file is opened first and described from the open handle, so the range is
            // checked against the bytes that will be read; a sidecar of another inode (a
            // replace between the data's rename and the sidecar's) makes it open again.
            let opened = described(
                || match std::fs::File::open(&data) {
                    Ok(f) => {
                        let fm = f.metadata()?;
                        Ok(fm.is_file().then_some((f, fm)))
                    }
                    Err(e) if missing(&e) => Ok(None),
                    Err(e) => Err(e.into()),
                },
                &mp,
            )?;
            let Some(((f, _), meta)) = opened else { return Ok(None) };
            let range = pick(&meta)?;
            let body = read_range(f, range.clone())?;
            Ok(Some((meta, range, body)))
        })
        .await
    }

    async fn remove(&self, bucket: &str, key: &str) -> Result<()> {
        let path = self.data_path(bucket, key)?;
        let mp = self.meta_path(bucket, key);
        let this = self.clone();
        let b = bucket.to_string();
        blocking(move || {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) => {}
                Err(e) if path.is_dir() => {
                    let _ = e;
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
            let _ = std::fs::remove_file(&mp);
            this.prune_empty_dirs(&b, path.parent());
            Ok(())
        })
        .await
    }

    async fn keys_from(&self, bucket: &str, prefix: &str, from: &Bound<String>, limit: usize) -> Result<Vec<String>> {
        let dir = self.bucket_dir(bucket);
        let prefix = prefix.to_string();
        let from = from.clone();
        let cache = self.dirs.clone();
        blocking(move || {
            // Start at the deepest directory the prefix names.
            let start_rel = prefix.rsplit_once('/').map_or("", |(d, _)| d);
            let (start, rel) = if start_rel.is_empty() {
                (dir, String::new())
            } else {
                (dir.join(start_rel), format!("{start_rel}/"))
            };
            let mut out = Vec::new();
            if start.is_dir() {
                walk_from(&cache, &start, &rel, &prefix, &from, limit, &mut out)?;
            }
            Ok(out)
        })
        .await
    }

    async fn lock(&self) -> Result<LockGuard> {
        // The lock file is opened once and kept; the engine's in-process mutex is held around
        // this, so only other processes contend. Uncontended, `try_lock` takes it without a
        // trip to the blocking pool.
        let f = {
            let mut held = self.lock_file.lock().unwrap_or_else(|p| p.into_inner());
            match &*held {
                Some(f) => f.clone(),
                None => {
                    let p = self.root.join(MARKER).join("lock");
                    let f = std::sync::Arc::new(
                        std::fs::OpenOptions::new()
                            .create(true)
                            .truncate(false)
                            .write(true)
                            .open(&p)?,
                    );
                    *held = Some(f.clone());
                    f
                }
            }
        };
        match f.try_lock() {
            Ok(()) => Ok(Box::new(HeldLock(f)) as LockGuard),
            // Another process holds it: wait on a file of our own. If the caller stops waiting
            // (a timeout), the task still ends by taking the lock, and dropping its unused
            // result closes that file, which releases it; the kept file would stay locked.
            Err(std::fs::TryLockError::WouldBlock) => {
                let p = self.root.join(MARKER).join("lock");
                blocking(move || {
                    let own = std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(&p)?;
                    own.lock()?;
                    Ok(Box::new(own) as LockGuard)
                })
                .await
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    fn presign_key(&self) -> &[u8] {
        &self.secret
    }
}
