//! Listings page by page on the filesystem and memory stores against a model (every key in a
//! sorted set): keys chosen around the characters that sort next to `/` (`-`, `.`, `0`), nested
//! and flat, every page size from 1 to 7, with and without a delimiter and a start-after. The
//! filesystem walk resumes by pruning subtrees and bisecting directories, so this is where a
//! wrong bound would show.

use std::collections::BTreeSet;

use bytes::Bytes;
use nimbus_core::storage::{ListOptions, PutOptions};
use nimbus_core::Storage;
use nimbus_local::{open_fs, open_memory, StorageOptions};

/// Keys that sort around `/`: `a-b` < `a.b` < `a/…` < `a0`.
fn keys() -> Vec<String> {
    let mut v = Vec::new();
    for a in ["a", "a-b", "a.b", "a0", "bkt", "z"] {
        v.push(format!("{a}x"));
        for b in ["c", "c-d", "c0", "d"] {
            v.push(format!("{a}/{b}"));
            v.push(format!("{a}/{b}x/e"));
            v.push(format!("{a}/{b}x/f/g"));
        }
    }
    v
}

/// The model's listing: what S3 answers for this request (start-after filters keys; a common
/// prefix appears when any key after it rolls up into it).
fn model(all: &BTreeSet<String>, prefix: &str, delim: Option<&str>, after: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in all.iter().filter(|k| k.starts_with(prefix)) {
        if after.is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        let entry = match delim.and_then(|d| {
            k[prefix.len()..]
                .find(d)
                .map(|i| k[..prefix.len() + i + d.len()].to_string())
        }) {
            Some(p) => p,
            None => k.clone(),
        };
        if out.last() != Some(&entry) {
            out.push(entry);
        }
    }
    out
}

async fn listing(s: &dyn Storage, prefix: &str, delim: Option<&str>, after: Option<&str>, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let mut o = ListOptions::default();
        o.prefix = Some(prefix.to_string());
        o.delimiter = delim.map(str::to_string);
        o.start_after = after.map(str::to_string);
        o.page_size = Some(size);
        let page = s.list_page("bkt", &o, token.take()).await.unwrap();
        let mut entries: Vec<String> = page.objects.iter().map(|m| m.key.clone()).collect();
        entries.extend(page.common_prefixes.iter().cloned());
        entries.sort();
        assert!(entries.len() <= size, "page of {} over size {size}", entries.len());
        out.extend(entries);
        pages += 1;
        assert!(pages < 1000, "listing does not end");
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn pages_match_the_model_on_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    let fs = open_fs(dir.path(), StorageOptions::default()).unwrap();
    let mem = open_memory(StorageOptions::default());
    let all: BTreeSet<String> = keys().into_iter().collect();
    for s in [&*fs as &dyn Storage, &*mem as &dyn Storage] {
        s.create_bucket("bkt", &Default::default()).await.unwrap();
        for k in &all {
            s.put("bkt", k, Bytes::from_static(b"x"), &PutOptions::default())
                .await
                .unwrap();
        }
    }
    for prefix in ["", "a", "a/", "a/c", "a-", "zz"] {
        for delim in [None, Some("/"), Some("")] {
            for after in [None, Some("a/c-d"), Some("a/"), Some("a0x")] {
                // An empty delimiter is no delimiter (S3); it used to group every key.
                let want = model(&all, prefix, delim.filter(|d| !d.is_empty()), after);
                for size in 1..=7 {
                    for (name, s) in [("fs", &*fs as &dyn Storage), ("memory", &*mem as &dyn Storage)] {
                        let got = listing(s, prefix, delim, after, size).await;
                        assert_eq!(
                            got, want,
                            "{name}: prefix {prefix:?} delimiter {delim:?} after {after:?} page {size}"
                        );
                    }
                }
            }
        }
    }
}

/// A directory settled long enough to be cached is listed from the cache, and a key added
/// afterwards (by this process or another: the directory's mtime changes) still appears.
#[tokio::test]
async fn a_cached_directory_sees_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let fs = open_fs(dir.path(), StorageOptions::default()).unwrap();
    fs.create_bucket("bkt", &Default::default()).await.unwrap();
    for i in 0..50 {
        fs.put(
            "bkt",
            &format!("k{i:02}"),
            Bytes::from_static(b"x"),
            &PutOptions::default(),
        )
        .await
        .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(listing(&*fs, "", None, None, 7).await.len(), 50);
    assert_eq!(listing(&*fs, "", None, None, 7).await.len(), 50, "from the cache");
    // Another process's write: a file placed directly, as the filesystem store writes them.
    std::fs::write(dir.path().join("bkt").join("k25a"), b"y").unwrap();
    fs.put("bkt", "k99", Bytes::from_static(b"x"), &PutOptions::default())
        .await
        .unwrap();
    let got = listing(&*fs, "", None, None, 7).await;
    assert!(
        got.contains(&"k99".to_string()) && got.contains(&"k25a".to_string()),
        "{got:?}"
    );
    assert_eq!(got.len(), 52, "{got:?}");
}

/// Read-after-write for listings while the directory is being written: every listing right
/// after a put sees it, though the directory's entries are cached as soon as it has been
/// still for a few clock ticks. A second handle writes half of the keys, as another process
/// would.
#[tokio::test]
async fn listings_between_quick_writes_see_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = StorageOptions::default();
    o.durable = false;
    let a = open_fs(dir.path(), o.clone()).unwrap();
    let b = open_fs(dir.path(), o).unwrap();
    a.create_bucket("bkt", &Default::default()).await.unwrap();
    for i in 0..150 {
        let w = if i % 2 == 0 { &a } else { &b };
        w.put(
            "bkt",
            &format!("k{i:03}"),
            Bytes::from_static(b"x"),
            &PutOptions::default(),
        )
        .await
        .unwrap();
        if i % 7 == 3 {
            // Now and then still for longer than the settling time, so the cache is used.
            tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        }
        let got = listing(&*a, "", None, None, 16).await;
        assert_eq!(got.len(), i + 1, "after k{i:03}: {got:?}");
    }
}
