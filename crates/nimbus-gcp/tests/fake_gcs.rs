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
