//! The in-memory backend: a map per bucket. Nothing survives the process; useful for tests
//! and for the conformance suite's reference column.

use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use nimbus_core::storage::{BucketInfo, ByteStream};
use nimbus_core::{Error, ErrorKind, Result};

use super::backend::{Backend, LockGuard, Staged, StagedData, StoredMeta};

/// Chunks below this size are copied together into buffers of this size.
const MERGE_BELOW: usize = 64 * 1024;

/// A streamed body as the chunks it is kept in. Large chunks are kept as they arrive (no copy
/// into one buffer); small ones are copied together, because each kept chunk costs its own
/// allocation and handle (a body sent a byte at a time would otherwise take dozens of times
/// its size), and a small slice of a large buffer would keep the whole buffer alive.
#[derive(Default)]
struct Chunks {
    kept: Vec<Bytes>,
    small: bytes::BytesMut,
}

impl Chunks {
    fn push(&mut self, c: Bytes) {
        if c.len() >= MERGE_BELOW {
            self.flush();
            self.kept.push(c);
            return;
        }
        if self.small.capacity() == 0 {
            self.small.reserve(MERGE_BELOW);
        }
        self.small.extend_from_slice(&c);
        if self.small.len() >= MERGE_BELOW {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.small.is_empty() {
            self.kept.push(std::mem::take(&mut self.small).freeze());
        }
    }

    fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.kept
    }
}

/// An object's bytes as the chunks it was staged in (a multipart object: its parts). Kept as
/// they came, so a 256 MiB object costs 256 MiB, not a second copy joined at completion.
type Rope = std::sync::Arc<[Bytes]>;
type Objects = BTreeMap<String, (Rope, StoredMeta)>;

/// The size of the chunks a read yields.
const READ_CHUNK: usize = 64 * 1024;

/// The memory backend (sealed: reach it only through [`super::MemoryStorage`]).
pub struct MemBackend {
    buckets: Mutex<BTreeMap<String, Objects>>,
    secret: [u8; 32],
}

impl std::fmt::Debug for MemBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemBackend").finish_non_exhaustive()
    }
}

impl MemBackend {
    pub(crate) fn new() -> Self {
        MemBackend {
            buckets: Mutex::new(BTreeMap::new()),
            secret: rand::random(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Objects>) -> T) -> T {
        let mut g = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }
}

fn rope_of(s: Staged) -> Result<Rope> {
    match s.data {
        StagedData::Memory(chunks) => Ok(chunks.into()),
        StagedData::File(_) => Err(Error::internal("memory backend got file staging")),
    }
}

/// The chunks of `range` of a rope, each at most [`READ_CHUNK`] long.
fn slices(rope: &Rope, range: Range<u64>) -> Vec<Result<Bytes>> {
    let mut out = Vec::new();
    let mut at = 0u64;
    for c in rope.iter() {
        let end = at + c.len() as u64;
        let (lo, hi) = (range.start.max(at), range.end.min(end));
        if lo < hi {
            let part = c.slice((lo - at) as usize..(hi - at) as usize);
            for i in (0..part.len()).step_by(READ_CHUNK) {
                out.push(Ok(part.slice(i..(i + READ_CHUNK).min(part.len()))));
            }
        }
        at = end;
        if at >= range.end {
            break;
        }
    }
    out
}

#[async_trait]
impl Backend for MemBackend {
    fn name(&self) -> &'static str {
        "local-memory"
    }
    fn check_key(&self, _key: &str) -> Result<()> {
        Ok(())
    }
    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.with(|b| {
            if b.contains_key(bucket) {
                Err(Error::new(ErrorKind::AlreadyExists, "bucket exists").with_raw_code("BucketAlreadyOwnedByYou"))
            } else {
                b.insert(bucket.to_string(), BTreeMap::new());
                Ok(())
            }
        })
    }
    async fn remove_bucket(&self, bucket: &str) -> Result<()> {
        self.with(|b| b.remove(bucket));
        Ok(())
    }
    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        Ok(self.with(|b| b.contains_key(bucket)))
    }
    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        Ok(self.with(|b| {
            b.keys()
                .map(|n| {
                    let mut i = BucketInfo::new(n.clone());
                    i.region = Some("local".into());
                    i
                })
                .collect()
        }))
    }
    async fn stage_bytes(&self, body: Bytes) -> Result<Staged> {
        Ok(Staged {
            size: body.len() as u64,
            md5: Some(Md5::digest(&body).into()),
            data: StagedData::Memory(vec![body]),
        })
    }
    async fn stage(&self, mut body: ByteStream) -> Result<Staged> {
        let mut chunks = Chunks::default();
        let mut size = 0u64;
        let mut md5 = Md5::new();
        while let Some(c) = body.next().await {
            let c = c?;
            md5.update(&c);
            size += c.len() as u64;
            chunks.push(c);
        }
        Ok(Staged {
            size,
            data: StagedData::Memory(chunks.finish()),
            md5: Some(md5.finalize().into()),
        })
    }
    async fn concat(&self, parts: Vec<Staged>) -> Result<Staged> {
        let mut chunks = Vec::new();
        let mut size = 0;
        for p in parts {
            size += p.size;
            match p.data {
                StagedData::Memory(c) => chunks.extend(c),
                StagedData::File(_) => return Err(Error::internal("memory backend got file staging")),
            }
        }
        Ok(Staged {
            size,
            md5: None,
            data: StagedData::Memory(chunks),
        })
    }
    async fn discard(&self, _staged: Staged) {}
    async fn read_meta(&self, bucket: &str, key: &str) -> Result<Option<StoredMeta>> {
        Ok(self.with(|b| b.get(bucket).and_then(|o| o.get(key)).map(|(_, m)| m.clone())))
    }
    async fn commit(&self, bucket: &str, key: &str, staged: Staged, meta: &StoredMeta) -> Result<()> {
        let data = rope_of(staged)?;
        self.with(|b| match b.get_mut(bucket) {
            Some(o) => {
                o.insert(key.to_string(), (data, meta.clone()));
                Ok(())
            }
            None => Err(Error::not_found(bucket)),
        })
    }
    async fn copy_object(&self, src: (&str, &str), dst: (&str, &str), meta: &StoredMeta) -> Result<()> {
        self.with(|b| {
            let data = b
                .get(src.0)
                .and_then(|o| o.get(src.1))
                .map(|(d, _)| d.clone())
                .ok_or_else(|| Error::not_found(format!("{}/{}", src.0, src.1)))?;
            b.get_mut(dst.0)
                .ok_or_else(|| Error::not_found(dst.0))?
                .insert(dst.1.to_string(), (data, meta.clone()));
            Ok(())
        })
    }
    async fn open(&self, bucket: &str, key: &str, range: Range<u64>) -> Result<ByteStream> {
        let data = self
            .with(|b| b.get(bucket).and_then(|o| o.get(key)).map(|(d, _)| d.clone()))
            .ok_or_else(|| Error::not_found(format!("{bucket}/{key}")))?;
        Ok(Box::pin(futures::stream::iter(slices(&data, range))))
    }
    async fn remove(&self, bucket: &str, key: &str) -> Result<()> {
        self.with(|b| b.get_mut(bucket).map(|o| o.remove(key)));
        Ok(())
    }
    async fn keys_from(&self, bucket: &str, prefix: &str, from: &Bound<String>, limit: usize) -> Result<Vec<String>> {
        // A range of the ordered map from the later of `prefix` and `from`: only the keys of
        // this page are visited and cloned.
        let start = match from {
            Bound::Unbounded => Bound::Included(prefix.to_string()),
            b if super::backend::passes(prefix, b) => Bound::Included(prefix.to_string()),
            b => b.clone(),
        };
        Ok(self.with(|b| {
            b.get(bucket)
                .map(|o| {
                    o.range::<String, _>((start, Bound::Unbounded))
                        .map(|(k, _)| k)
                        .take_while(|k| k.starts_with(prefix))
                        .take(limit)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        }))
    }
    async fn open_checked(
        &self,
        bucket: &str,
        key: &str,
        pick: super::backend::Pick,
    ) -> Result<Option<(StoredMeta, Range<u64>, ByteStream)>> {
        // The metadata and the bytes from one look at the map: they belong together.
        let Some((data, meta)) = self.with(|b| b.get(bucket).and_then(|o| o.get(key)).cloned()) else {
            return Ok(None);
        };
        let range = pick(&meta)?;
        let body: ByteStream = Box::pin(futures::stream::iter(slices(&data, range.clone())));
        Ok(Some((meta, range, body)))
    }
    async fn lock(&self) -> Result<LockGuard> {
        Ok(Box::new(()))
    }
    fn presign_key(&self) -> &[u8] {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_chunks_are_kept_together_and_large_ones_as_they_came() {
        let mut c = Chunks::default();
        let mut want = Vec::new();
        for i in 0..200_000u32 {
            let b = Bytes::from(vec![(i % 251) as u8]);
            want.extend_from_slice(&b);
            c.push(b);
        }
        let large = Bytes::from(vec![9u8; MERGE_BELOW]);
        want.extend_from_slice(&large);
        c.push(large.clone());
        c.push(Bytes::from_static(b"tail"));
        want.extend_from_slice(b"tail");
        c.push(Bytes::new());
        let kept = c.finish();
        assert_eq!(kept.concat(), want, "the bytes, in order");
        // 200,000 bytes in 64 KiB buffers, the large chunk itself, the tail.
        assert_eq!(kept.len(), 200_000usize.div_ceil(MERGE_BELOW) + 2, "{}", kept.len());
        assert!(
            kept.iter().any(|k| k.as_ptr() == large.as_ptr()),
            "a large chunk is kept without a copy"
        );
        assert!(kept.iter().all(|k| !k.is_empty()));
    }
}
