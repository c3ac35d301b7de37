//! What a local storage backend must provide: raw bytes and metadata in, out and listed.
//! All semantics (conditions, ranges, listing rules, multipart, presign) live in
//! the shared engine (`engine.rs`), once, so the filesystem and memory stores cannot drift apart.

use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use nimbus_core::storage::{BucketInfo, ByteStream, ObjectMeta};
use nimbus_core::Result;
use serde::{Deserialize, Serialize};

/// Data written but not yet visible under a key.
#[derive(Debug)]
pub enum StagedData {
    /// Bytes in memory, as the chunks they arrived in: a multipart object is its parts, kept
    /// without being copied into one buffer.
    Memory(Vec<Bytes>),
    /// A temporary file in the store's tmp directory (same filesystem as the data).
    File(TempFile),
}

/// A temporary file that is removed when dropped, unless it was placed ([`TempFile::keep`]).
///
/// Why a guard: staging runs on tokio's blocking pool, which finishes a task whose caller
/// has gone (an `ObjectWriter` dropped with parts in flight, a cancelled put). The task's
/// result is then dropped unseen, and with it this guard, so no temp file outlives its
/// caller. Error paths need no clean-up of their own either.
#[derive(Debug)]
pub struct TempFile(Option<PathBuf>);

impl TempFile {
    /// Guards `path` (which may not exist yet).
    pub fn new(path: PathBuf) -> Self {
        TempFile(Some(path))
    }

    /// Where the file is.
    pub fn path(&self) -> &std::path::Path {
        self.0.as_deref().expect("a TempFile has its path until it is kept")
    }

    /// The file has been moved into place (or is removed by the caller): no longer removed
    /// on drop. Returns its path.
    pub fn keep(mut self) -> PathBuf {
        self.0.take().expect("a TempFile has its path until it is kept")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Staged data with its size and MD5.
#[derive(Debug)]
pub struct Staged {
    pub data: StagedData,
    pub size: u64,
    /// The MD5 of the data. `None` for a joined multipart object: its ETag is made from its
    /// parts' MD5s, so a second pass over the whole object would be thrown away.
    pub md5: Option<[u8; 16]>,
}

impl Staged {
    /// The hex MD5, the ETag of a single-part object.
    pub fn md5_hex(&self) -> Result<String> {
        self.md5
            .map(hex::encode)
            .ok_or_else(|| nimbus_core::Error::internal("staged data has no MD5"))
    }
}

/// The engine's check of a read against the object's metadata (conditions, range), returning
/// the byte range to read ([`Backend::open_checked`]).
pub type Pick = Box<dyn FnOnce(&StoredMeta) -> Result<Range<u64>> + Send>;

/// Metadata kept beside the data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredMeta {
    pub size: u64,
    pub etag: String,
    pub version: String,
    pub modified_ms: u64,
    pub content_type: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    /// The HTTP attributes (absent from the sidecar when unset, so older sidecars read as
    /// none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// Filesystem store: the inode of the data file this sidecar describes. The data file is
    /// renamed into place before its sidecar, so for a moment a reader can pair one version's
    /// bytes with the other's sidecar; the inode tells them apart (readers retry). `None` in
    /// memory and in sidecars written before it existed (checked by size only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
}

impl StoredMeta {
    pub fn to_meta(&self, key: &str) -> ObjectMeta {
        let mut m = ObjectMeta::new(key, self.size);
        m.etag = Some(self.etag.clone());
        m.version = Some(self.version.clone());
        m.last_modified = Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(self.modified_ms));
        m.content_type = self.content_type.clone();
        m.attributes = nimbus_core::storage::HttpAttributes::new(
            self.cache_control.clone(),
            self.content_disposition.clone(),
            self.content_encoding.clone(),
            self.content_language.clone(),
        );
        m.user_metadata = self.user_metadata.clone();
        m
    }
}

/// A held cross-process lock (released on drop).
pub type LockGuard = Box<dyn Send + Sync>;

/// The engine's check of a conditional write against the current metadata, returning the
/// metadata to commit ([`Backend::commit_checked`]).
pub type Decide = Box<dyn FnOnce(Option<&StoredMeta>) -> Result<StoredMeta> + Send>;

#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// Provider name.
    fn name(&self) -> &'static str;
    /// Extra key rules of this backend (the portable ones are already checked).
    fn check_key(&self, key: &str) -> Result<()>;
    async fn create_bucket(&self, bucket: &str) -> Result<()>;
    async fn remove_bucket(&self, bucket: &str) -> Result<()>;
    async fn bucket_exists(&self, bucket: &str) -> Result<bool>;
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>>;
    /// Writes a stream to a staging area, computing size and MD5.
    async fn stage(&self, body: ByteStream) -> Result<Staged>;
    /// [`Backend::stage`] of a body already in memory (`put`): one round trip, and the memory
    /// store keeps the caller's buffer instead of copying it.
    async fn stage_bytes(&self, body: Bytes) -> Result<Staged>;
    /// [`Backend::stage_bytes`] of one multipart part. A part is never visible by itself, so a
    /// durable store need not sync it: [`Backend::concat`] syncs the joined object once.
    async fn stage_part(&self, body: Bytes) -> Result<Staged> {
        self.stage_bytes(body).await
    }
    /// Joins staged parts, in order, into one staged object, consuming them (a part's storage
    /// may become the object's). No MD5 is computed (`md5` is `None`).
    async fn concat(&self, parts: Vec<Staged>) -> Result<Staged>;
    /// Frees staged data.
    async fn discard(&self, staged: Staged);
    async fn read_meta(&self, bucket: &str, key: &str) -> Result<Option<StoredMeta>>;
    /// [`Backend::read_meta`] of every key of a listing page, in order: one round trip where
    /// a call has a fixed cost (the filesystem store's hop to the blocking pool).
    async fn read_metas(&self, bucket: &str, keys: &[String]) -> Result<Vec<Option<StoredMeta>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.read_meta(bucket, k).await?);
        }
        Ok(out)
    }
    /// Makes staged data visible under the key, atomically replacing what was there.
    async fn commit(&self, bucket: &str, key: &str, staged: Staged, meta: &StoredMeta) -> Result<()>;
    /// Reads the key's metadata, lets `decide` check the write's condition and make the new
    /// metadata, and commits: one round trip where a call has a fixed cost. The semantics stay
    /// in the engine (it writes `decide`); an error from it discards the staged data.
    async fn commit_checked(&self, bucket: &str, key: &str, staged: Staged, decide: Decide) -> Result<StoredMeta> {
        let existing = self.read_meta(bucket, key).await?;
        match decide(existing.as_ref()) {
            Ok(meta) => {
                self.commit(bucket, key, staged, &meta).await?;
                Ok(meta)
            }
            Err(e) => {
                self.discard(staged).await;
                Err(e)
            }
        }
    }
    /// Copies a committed object to another key.
    async fn copy_object(&self, src: (&str, &str), dst: (&str, &str), meta: &StoredMeta) -> Result<()>;
    async fn open(&self, bucket: &str, key: &str, range: Range<u64>) -> Result<ByteStream>;
    /// Reads the key's metadata, lets `pick` check the read's conditions and choose the range,
    /// and opens that range: one round trip where a call has a fixed cost (the filesystem
    /// store opens the file first and checks the range against the open file's size). `None`
    /// when there is no such object.
    async fn open_checked(
        &self,
        bucket: &str,
        key: &str,
        pick: Pick,
    ) -> Result<Option<(StoredMeta, Range<u64>, ByteStream)>> {
        let Some(meta) = self.read_meta(bucket, key).await? else {
            return Ok(None);
        };
        let range = pick(&meta)?;
        let body = self.open(bucket, key, range.clone()).await?;
        Ok(Some((meta, range, body)))
    }
    async fn remove(&self, bucket: &str, key: &str) -> Result<()>;
    /// Up to `limit` keys starting with `prefix` and after `from`, sorted by UTF-8 bytes. A
    /// listing asks page by page from where the last page stopped, so a backend must find
    /// `from` without visiting the keys before it (a directory walk that prunes whole subtrees,
    /// a range of an ordered map): listing n keys then costs O(n), not O(n²/page).
    async fn keys_from(&self, bucket: &str, prefix: &str, from: &Bound<String>, limit: usize) -> Result<Vec<String>>;
    /// Takes the lock that serialises check-and-commit across processes.
    async fn lock(&self) -> Result<LockGuard>;
    /// The secret that signs presigned URLs (stable for the store's lifetime).
    fn presign_key(&self) -> &[u8];
}

/// Whether `key` is at or after `from`.
pub fn passes(key: &str, from: &Bound<String>) -> bool {
    match from {
        Bound::Excluded(a) => key > a.as_str(),
        Bound::Included(b) => key >= b.as_str(),
        Bound::Unbounded => true,
    }
}

/// Whether some key starting with `dir_prefix` may be at or after `from`: not when `from` is
/// past `dir_prefix` without starting with it (then every `dir_prefix + x` sorts before it).
pub fn may_pass_under(dir_prefix: &str, from: &Bound<String>) -> bool {
    match from {
        Bound::Excluded(a) | Bound::Included(a) => a.as_str() <= dir_prefix || a.starts_with(dir_prefix),
        Bound::Unbounded => true,
    }
}

/// The first string after every string starting with `p` (`a/` → `a0`): where a listing
/// resumes past a common prefix without visiting its keys. `None` when no string sorts after
/// them (`p` is empty or made of the greatest character): the listing ends there.
pub fn past_prefix(p: &str) -> Option<Bound<String>> {
    let mut s = p.to_string();
    while let Some(c) = s.pop() {
        let n = c as u32 + 1;
        let n = if (0xD800..0xE000).contains(&n) { 0xE000 } else { n };
        if let Some(next) = char::from_u32(n) {
            s.push(next);
            return Some(Bound::Included(s));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_prune_and_resume_as_byte_order_says() {
        let after = Bound::Excluded("a/m".to_string());
        assert!(passes("a/n", &after) && !passes("a/m", &after));
        assert!(may_pass_under("a/", &after), "a/ holds keys after a/m");
        assert!(!may_pass_under("a-", &after) && may_pass_under("b/", &after));
        assert_eq!(past_prefix("a/"), Some(Bound::Included("a0".to_string())));
        assert_eq!(past_prefix(""), None);
        let past = past_prefix("a/").unwrap();
        assert!(!passes("a/zzz", &past) && passes("a0", &past) && passes("b", &past));
        assert!(!may_pass_under("a/", &past));
    }
}
