//! What Nimbus writes to fake-gcs-server, a plain JSON API client reads back byte-exact; the
//! escape hatch is Google's own client. fake-gcs-server is started by `scripts/emulators`;
//! without `NIMBUS_TEST_GCS_ENDPOINT` the tests say so and pass, unless
//! `NIMBUS_REQUIRE_EMULATORS=1` (set by scripts/test).
#![cfg(feature = "storage")]

use bytes::Bytes;
use nimbus_core::storage::{ByteStream, GetOptions, GetRange, PutMode, PutOptions};
use nimbus_core::{ErrorKind, Storage, StorageExt};
use nimbus_gcp::{GcsConfig, GcsStorage};

fn endpoint() -> Option<String> {
    match std::env::var("NIMBUS_TEST_GCS_ENDPOINT") {
        Ok(v) => Some(v),
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_GCS_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => {
            eprintln!("NIMBUS_TEST_GCS_ENDPOINT not set: skipping (scripts/test runs this)");
            None
        }
    }
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed)).collect()
}

/// Reads an object with a plain JSON API request (no Google client involved).
async fn plain_get(ep: &str, bucket: &str, key: &str) -> Vec<u8> {
    let key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let r = reqwest::get(format!("{ep}/download/storage/v1/b/{bucket}/o/{key}?alt=media"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn nimbus_writes_a_plain_json_client_reads_byte_exact() {
    let Some(ep) = endpoint() else { return };
    let s = GcsStorage::connect(&GcsConfig::emulator(&ep)).await.unwrap();
    let bucket = format!("interop-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    let small = pattern(1000, 3);
    let m = s
        .put(
            &bucket,
            "dir/small.bin",
            Bytes::from(small.clone()),
            &PutOptions::default().metadata("Owner", "a"),
        )
        .await
        .unwrap();
    assert!(m.version.is_some(), "the generation is the version token");
    assert_eq!(plain_get(&ep, &bucket, "dir/small.bin").await, small);
    // A streamed (resumable) upload of 3 MiB + a tail, in 100 kB chunks.
    let big = pattern(3 * 1024 * 1024 + 555, 7);
    let chunks: Vec<nimbus_core::Result<Bytes>> = big.chunks(100_000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let stream: ByteStream = Box::pin(futures::stream::iter(chunks));
    s.put_stream(&bucket, "dir/big.bin", stream, &PutOptions::default())
        .await
        .unwrap();
    assert_eq!(plain_get(&ep, &bucket, "dir/big.bin").await, big);
    // Ranged read back through Nimbus, pinned to the generation.
    let r = s
        .get(&bucket, "dir/big.bin", &GetOptions::range(GetRange::Bounded(10..20)))
        .await
        .unwrap();
    assert_eq!(r.range, 10..20);
    assert_eq!(r.bytes().await.unwrap(), Bytes::copy_from_slice(&big[10..20]));
    // Create-only on an existing object (a multipart upload: fake-gcs honours it there).
    let e = s
        .put(
            &bucket,
            "dir/small.bin",
            Bytes::from_static(b"x"),
            &PutOptions::with_mode(PutMode::Create),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    for k in ["dir/small.bin", "dir/big.bin"] {
        s.delete(&bucket, k).await.unwrap();
    }
    s.delete_bucket(&bucket).await.unwrap();
}

#[tokio::test]
async fn escape_hatch_is_googles_storage_client() {
    let Some(ep) = endpoint() else { return };
    let s = GcsStorage::connect(&GcsConfig::emulator(&ep)).await.unwrap();
    let bucket = format!("hatch-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    let native = s
        .native_as::<google_cloud_storage::client::Storage>()
        .expect("native client");
    native
        .write_object(format!("projects/_/buckets/{bucket}"), "n.txt", "native")
        .send_buffered()
        .await
        .unwrap();
    assert_eq!(s.get_bytes(&bucket, "n.txt").await.unwrap(), "native");
    s.delete(&bucket, "n.txt").await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
}

/// A whole-object read sends its metadata and media requests together; while other tasks
/// keep replacing the object, every read must still return the metadata of the generation
/// whose bytes it returns (the body of each version is also in its metadata), and a read
/// whose generation vanished under it starts again instead of reporting `NotFound`.
#[tokio::test]
async fn reads_racing_with_replaces_return_matching_metadata_and_bytes() {
    let Some(ep) = endpoint() else { return };
    let s = std::sync::Arc::new(GcsStorage::connect(&GcsConfig::emulator(&ep)).await.unwrap());
    let bucket = format!("race-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    let put = |s: std::sync::Arc<GcsStorage>, bucket: String, i: usize| async move {
        let body = format!("version {i} {}", "x".repeat(i % 7));
        let o = PutOptions::default().metadata("body", &body);
        s.put(&bucket, "hot", Bytes::from(body), &o).await.unwrap();
    };
    put(s.clone(), bucket.clone(), 0).await;
    // Three writers and three readers, so that replaces land between the two requests of a
    // read often enough to exercise the generation check, not only the retry.
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (s, bucket) = (s.clone(), bucket.clone());
            tokio::spawn(async move {
                for i in 0..100 {
                    put(s.clone(), bucket.clone(), 1 + w * 100 + i).await;
                }
            })
        })
        .collect();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (s, bucket, done) = (s.clone(), bucket.clone(), done.clone());
            tokio::spawn(async move {
                let (mut ok, mut conflicts) = (0, 0);
                while !done.load(std::sync::atomic::Ordering::Relaxed) || ok < 10 {
                    let r = match s.get(&bucket, "hot", &GetOptions::default()).await {
                        Ok(r) => r,
                        // Replaced during every attempt: the typed error, never a NotFound.
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
                            conflicts += 1;
                            continue;
                        }
                    };
                    let meta = r.meta.clone();
                    let bytes = r.bytes().await.unwrap();
                    assert_eq!(meta.size, bytes.len() as u64);
                    assert_eq!(
                        meta.user_metadata.get("body").map(String::as_str),
                        Some(std::str::from_utf8(&bytes).unwrap()),
                        "metadata of one generation, bytes of another ({meta:?})"
                    );
                    ok += 1;
                }
                (ok, conflicts)
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut ok, mut conflicts) = (0, 0);
    for r in readers {
        let (o, c) = r.await.unwrap();
        (ok, conflicts) = (ok + o, conflicts + c);
    }
    eprintln!("{ok} reads, {conflicts} typed conflicts (replaced during every attempt)");
    assert!(ok >= 30 && conflicts < ok, "{ok} reads, {conflicts} conflicts");
}

/// A whole read of an object this client has seen is one request: the metadata kept from the
/// put (or an earlier read) is used when the download's answer shows it still holds
/// (`storage/meta_cache.rs`). Other clients change the object under it here: a metadata
/// patch, a replace and a delete must each be seen by the next read.
#[tokio::test]
async fn reads_of_seen_objects_see_what_other_clients_changed() {
    let Some(ep) = endpoint() else { return };
    let s = GcsStorage::connect(&GcsConfig::emulator(&ep)).await.unwrap();
    let other = GcsStorage::connect(&GcsConfig::emulator(&ep)).await.unwrap();
    let bucket = format!("seen-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    let o = PutOptions::default().metadata("Owner", "a").content_type("text/plain");
    let put = s.put(&bucket, "k", Bytes::from_static(b"first"), &o).await.unwrap();
    let got = s.get(&bucket, "k", &GetOptions::default()).await.unwrap();
    assert_eq!(
        got.meta, put,
        "the read returns the metadata of the put, keys' case kept"
    );
    assert_eq!(got.bytes().await.unwrap(), "first");
    assert_eq!(s.head(&bucket, "k").await.unwrap(), put, "head and get agree");

    // Another client patches the metadata (same generation, new metageneration).
    let url = format!("{ep}/storage/v1/b/{bucket}/o/k");
    let patched = reqwest::Client::new()
        .patch(&url)
        .json(&serde_json::json!({ "metadata": { "Owner": "b" } }))
        .send()
        .await
        .unwrap();
    assert!(patched.status().is_success(), "{}", patched.status());
    let got = s.get(&bucket, "k", &GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.user_metadata.get("Owner").map(String::as_str), Some("b"));
    assert_eq!(got.meta.version, put.version, "same generation");
    assert_eq!(got.bytes().await.unwrap(), "first");

    // Another client replaces the object: new bytes, new metadata.
    let o2 = PutOptions::default().metadata("Owner", "c");
    let replaced = other
        .put(&bucket, "k", Bytes::from_static(b"second!"), &o2)
        .await
        .unwrap();
    let got = s.get(&bucket, "k", &GetOptions::default()).await.unwrap();
    assert_eq!(got.meta, replaced);
    assert_eq!(got.bytes().await.unwrap(), "second!");

    // Another client deletes it: the typed NotFound, not the kept metadata.
    other.delete(&bucket, "k").await.unwrap();
    let Err(e) = s.get(&bucket, "k", &GetOptions::default()).await else {
        panic!("a deleted object was read");
    };
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    s.delete_bucket(&bucket).await.unwrap();
}
