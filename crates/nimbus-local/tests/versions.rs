//! A read never pairs one version's bytes with another version's metadata.
//!
//! Why: the filesystem store renames the data file into place before its sidecar, so for a
//! moment the two belong to different versions. A reader that took the new bytes with the old
//! ETag let a compare-and-swap writer overwrite a newer version with a stale increment (found
//! by object_store's `put_opts` race through the bridge). The sidecar now names the data
//! file's inode and readers pair them by it.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::try_join_all;
use nimbus_core::storage::{GetOptions, PutMode, PutOptions};
use nimbus_core::{ErrorKind, Storage, StorageExt};

/// A data file replaced behind the store's back (same size, sidecar left as it was) is
/// described from the file itself, never with the old version's ETag.
#[tokio::test]
async fn a_sidecar_of_another_inode_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let s = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    let old = s
        .put("bkt", "k", Bytes::from_static(b"aaaa"), &PutOptions::default())
        .await
        .unwrap();
    // Another version's bytes, same size, placed by rename (a new inode): the sidecar still
    // describes "aaaa".
    let tmp = dir.path().join("replacement");
    std::fs::write(&tmp, b"bbbb").unwrap();
    std::fs::rename(&tmp, dir.path().join("bkt").join("k")).unwrap();
    let got = s.get("bkt", "k", &GetOptions::default()).await.unwrap();
    let etag = got.meta.etag.clone();
    assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"bbbb"));
    assert_ne!(etag, old.etag, "the old version's ETag was paired with the new bytes");
    let head = s.head("bkt", "k").await.unwrap();
    assert_ne!(head.etag, old.etag);
}

/// Compare-and-swap increments from several tasks: none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_compare_and_swap_loses_no_increment() {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Storage> = nimbus_local::open_fs(dir.path(), Default::default()).unwrap();
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    s.put("bkt", "n", Bytes::from_static(b"0"), &PutOptions::default())
        .await
        .unwrap();
    const WORKERS: usize = 5;
    const EACH: usize = 20;
    let tasks = (0..WORKERS).map(|_| {
        let s = s.clone();
        tokio::spawn(async move {
            for _ in 0..EACH {
                loop {
                    let got = s.get("bkt", "n", &GetOptions::default()).await?;
                    let version = got.meta.version.clone().expect("a version token");
                    let v: usize = std::str::from_utf8(&got.bytes().await?).unwrap().parse().unwrap();
                    let next = Bytes::from((v + 1).to_string());
                    match s
                        .put("bkt", "n", next, &PutOptions::with_mode(PutMode::Update(version)))
                        .await
                    {
                        Ok(_) => break,
                        Err(e) if e.kind() == ErrorKind::PreconditionFailed => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok::<_, nimbus_core::Error>(())
        })
    });
    for r in try_join_all(tasks).await.unwrap() {
        r.unwrap();
    }
    let end = s.get_bytes("bkt", "n").await.unwrap();
    assert_eq!(std::str::from_utf8(&end).unwrap(), (WORKERS * EACH).to_string());
}
