//! Metadata of objects this client has already seen, so that a whole read is one request.
//!
//! Why it exists: a portable get returns the object's metadata with its bytes. The media
//! download of the JSON API answers with the generation, the metageneration, size, content
//! type and encoding, storage class and the user metadata (keys lowercased by the server:
//! google-cloud-storage 1.21's `ObjectHighlights`), but neither the keys' case (kept by this
//! provider, `metadata_case_preserved`) nor the time. So a whole read asked for the JSON
//! metadata alongside the bytes: two requests where the raw crate makes one (2.06× its
//! client instructions per 4 KiB get, docs/benchmarks.md).
//!
//! Cloud Storage never changes the metadata of a (generation, metageneration) pair: a new
//! body is a new generation, a metadata change a new metageneration. A copy kept from a put,
//! a head or an earlier read is therefore exact whenever the download names the same pair,
//! and the read needs no second request. Nothing is trusted without that answer: the pair is
//! checked on every read, against what the server says now.
//!
//! A server that leaves out `x-goog-metageneration` (fake-gcs-server 1.54 does; Cloud
//! Storage sends it, metagenerations start at 1) is checked on what its answer carries
//! instead: the generation, the user metadata (case aside) and the content type and
//! encoding. A change of only a key's case or of Cache-Control, on such a server, within one
//! generation, is the one thing that check cannot see.
//!
//! Rejected: building the metadata from the download's headers alone (what object_store and
//! OpenDAL do): it would lose the keys' case and the time, so a get and a head of one object
//! would disagree. A cache with a time to live: it would serve metadata nobody checked.
//!
//! Bounded: at most [`CAPACITY`] objects; when full it is emptied (a miss costs only the
//! two-request read it replaces).

use std::collections::HashMap;
use std::sync::Mutex;

use google_cloud_storage::model_ext::ObjectHighlights;
use nimbus_core::storage::ObjectMeta;

/// Objects kept at most (a few hundred bytes each).
pub(crate) const CAPACITY: usize = 1024;

struct Entry {
    generation: i64,
    metageneration: i64,
    meta: ObjectMeta,
}

/// Per bucket, per key: the last metadata seen and the pair it belongs to.
#[derive(Default)]
pub(crate) struct MetaCache {
    buckets: Mutex<HashMap<String, HashMap<String, Entry>>>,
}

impl MetaCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, Entry>>> {
        // A panic while holding the lock leaves only a map of copies behind: keep using it.
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `meta` (its `version` is the generation) for later reads of `bucket`/`key`.
    pub(crate) fn remember(&self, bucket: &str, key: &str, metageneration: i64, meta: &ObjectMeta) {
        let Some(generation) = meta.version.as_deref().and_then(|v| v.parse().ok()) else {
            return;
        };
        let mut buckets = self.lock();
        if buckets.values().map(HashMap::len).sum::<usize>() >= CAPACITY {
            buckets.clear();
        }
        let entry = Entry {
            generation,
            metageneration,
            meta: meta.clone(),
        };
        match buckets.get_mut(bucket) {
            Some(keys) => {
                keys.insert(key.to_string(), entry);
            }
            None => {
                buckets.insert(bucket.to_string(), HashMap::from([(key.to_string(), entry)]));
            }
        }
    }

    /// Drops what is kept of `bucket`/`key`.
    pub(crate) fn forget(&self, bucket: &str, key: &str) {
        if let Some(keys) = self.lock().get_mut(bucket) {
            keys.remove(key);
        }
    }

    /// Whether anything is kept of `bucket`/`key` (a non-empty object): then a whole read
    /// asks for the bytes alone and checks the answer with [`MetaCache::matching`].
    pub(crate) fn knows(&self, bucket: &str, key: &str) -> bool {
        self.lock()
            .get(bucket)
            .and_then(|keys| keys.get(key))
            .is_some_and(|e| e.meta.size > 0)
    }

    /// The metadata kept for `bucket`/`key` if the download's answer `a` names the same
    /// generation and metageneration (see the module docs for servers without the latter).
    pub(crate) fn matching(&self, bucket: &str, key: &str, a: &ObjectHighlights) -> Option<ObjectMeta> {
        let buckets = self.lock();
        let e = buckets.get(bucket)?.get(key)?;
        let same = e.generation == a.generation
            && if a.metageneration > 0 {
                a.metageneration == e.metageneration
            } else {
                carries_the_same(&e.meta, a)
            };
        same.then(|| e.meta.clone())
    }
}

/// What a download's answer without a metageneration can still be compared on.
fn carries_the_same(m: &ObjectMeta, a: &ObjectHighlights) -> bool {
    let metadata = m.user_metadata.len() == a.metadata.len()
        && m.user_metadata
            .iter()
            .all(|(k, v)| a.metadata.iter().any(|(hk, hv)| hk.eq_ignore_ascii_case(k) && hv == v));
    let content_type = match m.content_type.as_deref() {
        Some(ct) => a.content_type == ct,
        // Served as application/octet-stream when none is stored.
        None => a.content_type.is_empty() || a.content_type == "application/octet-stream",
    };
    let stored = a.content_encoding.as_str();
    let encoding = match m.attributes.content_encoding.as_deref() {
        Some(ce) => stored == ce,
        None => stored.is_empty() || stored == "identity",
    };
    metadata && content_type && encoding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(generation: &str) -> ObjectMeta {
        let mut m = ObjectMeta::new("k", 5);
        m.version = Some(generation.into());
        m.content_type = Some("text/plain".into());
        m.user_metadata.insert("MyKey".into(), "v1".into());
        m
    }

    fn answer(generation: i64, metageneration: i64) -> ObjectHighlights {
        let mut a = ObjectHighlights::default();
        a.generation = generation;
        a.metageneration = metageneration;
        a.size = 5;
        a.content_type = "text/plain".into();
        a.content_encoding = "identity".into();
        a.metadata.insert("mykey".into(), "v1".into());
        a
    }

    #[test]
    fn the_pair_decides_when_the_server_sends_it() {
        let c = MetaCache::default();
        c.remember("b", "k", 1, &meta("7"));
        assert!(c.knows("b", "k"));
        let hit = c.matching("b", "k", &answer(7, 1)).expect("same pair");
        assert_eq!(hit.user_metadata["MyKey"], "v1", "the kept copy keeps the key's case");
        assert!(c.matching("b", "k", &answer(8, 1)).is_none(), "a new body");
        assert!(c.matching("b", "k", &answer(7, 2)).is_none(), "new metadata");
        assert!(c.matching("b", "other", &answer(7, 1)).is_none());
        assert!(c.matching("x", "k", &answer(7, 1)).is_none());
    }

    #[test]
    fn without_a_metageneration_the_answer_itself_is_compared() {
        let c = MetaCache::default();
        c.remember("b", "k", 1, &meta("7"));
        assert!(c.matching("b", "k", &answer(7, 0)).is_some());
        let mut changed = answer(7, 0);
        changed.metadata.insert("mykey".into(), "v2".into());
        assert!(c.matching("b", "k", &changed).is_none(), "a changed value");
        let mut added = answer(7, 0);
        added.metadata.insert("other".into(), "x".into());
        assert!(c.matching("b", "k", &added).is_none(), "an added key");
        let mut typed = answer(7, 0);
        typed.content_type = "application/json".into();
        assert!(c.matching("b", "k", &typed).is_none(), "a changed content type");
        let mut encoded = answer(7, 0);
        encoded.content_encoding = "gzip".into();
        assert!(c.matching("b", "k", &encoded).is_none(), "a changed encoding");
    }

    #[test]
    fn forgotten_empty_or_unversioned_objects_are_not_kept() {
        let c = MetaCache::default();
        c.remember("b", "k", 1, &meta("7"));
        c.forget("b", "k");
        assert!(!c.knows("b", "k"));
        let mut empty = meta("7");
        empty.size = 0;
        c.remember("b", "e", 1, &empty);
        assert!(!c.knows("b", "e"), "an empty object is read the two-request way");
        let mut unversioned = meta("7");
        unversioned.version = None;
        c.remember("b", "u", 1, &unversioned);
        assert!(c.matching("b", "u", &answer(7, 1)).is_none());
    }

    #[test]
    fn it_stays_bounded() {
        let c = MetaCache::default();
        for i in 0..CAPACITY + 10 {
            c.remember("b", &format!("k{i}"), 1, &meta("7"));
        }
        let kept: usize = c.lock().values().map(HashMap::len).sum();
        assert!(kept <= CAPACITY, "{kept} kept");
        assert!(c.knows("b", &format!("k{}", CAPACITY + 9)), "the newest is kept");
    }
}
