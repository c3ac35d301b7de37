//! Real faults between Nimbus and real backends (moto, s3s-fs, Azurite, fake-gcs-server, and
//! the real Swift of scripts/openstack through its own API and its s3api):
//! each storage is opened from a profile, the normal way (contract, retry, timeout), with
//! its endpoint pointed at the fault proxy, and a second, clean one straight at the backend
//! prepares and checks. What is proven, per backend:
//!
//! - a body reset twice mid-read is resumed from its offset and arrives whole and exact;
//! - a body reset after the object was replaced ends with `Conflict` (or, where the SDK resumes
//!   by itself pinned to the generation, with the old version whole), never with two versions;
//! - a 503 with `Retry-After`, a reset before the request and a lost response to an
//!   overwrite are retried to success.
//!
//! A backend whose endpoint variable is unset is skipped, unless `NIMBUS_REQUIRE_EMULATORS=1`
//! (set by scripts/test).

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{backend, endpoint, open, upstream, Backend};
use futures::TryStreamExt;
use nimbus::storage::{GetOptions, PutOptions};
use nimbus::{ErrorKind, StorageExt};
use nimbus_fault_proxy::{Fault, FaultProxy, Plan};

/// 1 MiB that is not periodic, so a resumed read from a wrong offset cannot match.
fn payload(seed: u8) -> Bytes {
    let mut x: u32 = 0x9E37_79B9 ^ seed as u32;
    Bytes::from(
        (0..(1 << 20))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect::<Vec<u8>>(),
    )
}

async fn run(b: &Backend) {
    let Some(ep) = endpoint(b) else { return };
    let proxy = FaultProxy::start(upstream(&ep), Plan::none())
        .await
        .expect("proxy starts");
    let clean = open(&(b.profile)(&ep)).await;
    let faulty = open(&(b.profile)(&proxy.url())).await;
    let bucket = format!("faults-{}", std::process::id());
    if !clean.bucket_exists(&bucket).await.unwrap() {
        clean.create_bucket(&bucket, &Default::default()).await.unwrap();
    }
    let one = payload(1);
    clean
        .put(&bucket, "big", one.clone(), &PutOptions::default())
        .await
        .unwrap();

    // Two resets mid-body: resumed from the offset reached, exact to the byte.
    let cut = |bytes| Plan::new(1.0, vec![Fault::ResetAfter { bytes }], 2, 7);
    proxy.set_plan(cut(256 * 1024));
    let before = proxy.stats().faults();
    let got = faulty.get(&bucket, "big", &GetOptions::default()).await.unwrap();
    let body: Vec<Bytes> = got
        .body
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{}: resumed read failed: {e}", b.name));
    let body: Vec<u8> = body.concat();
    assert_eq!(proxy.stats().faults() - before, 2, "{}: two cuts injected", b.name);
    assert!(
        body == one,
        "{}: the resumed body differs ({} bytes of {})",
        b.name,
        body.len(),
        one.len()
    );

    // The object replaced between the cut and the resume: Conflict, never two versions.
    proxy.set_plan(Plan::new(1.0, vec![Fault::ResetAfter { bytes: 128 * 1024 }], 1, 7));
    let got = faulty.get(&bucket, "big", &GetOptions::default()).await.unwrap();
    clean
        .put(&bucket, "big", payload(2), &PutOptions::default())
        .await
        .unwrap();
    let r: nimbus::Result<Vec<Bytes>> = got.body.try_collect().await;
    match r {
        // A client that resumes by itself pinned to the generation (google-cloud-storage)
        // may still deliver the old version whole: correct, one version.
        Ok(chunks) => assert!(
            chunks.concat() == one,
            "{}: a read across a replacement mixed versions",
            b.name
        ),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Conflict, "{}: {e}", b.name),
    }

    // A flipped bit in the body: an error, because an end-to-end checksum caught it (the S3
    // and Cloud Storage clients check what their services send; the Azure adapter checks
    // Content-MD5), or the right bytes read again; never wrong bytes handed over.
    // Two draws: Cloud Storage reads metadata and media at once, and the metadata answer
    // (shorter than the offset) gives its draw back only after the media request drew.
    proxy.set_plan(Plan::new(1.0, vec![Fault::Corrupt { at: 300_000 }], 2, 7));
    let two = payload(2);
    let read = match faulty.get(&bucket, "big", &GetOptions::default()).await {
        Ok(g) => g.bytes().await,
        Err(e) => Err(e),
    };
    let fired = proxy.stats().counts().get("corrupt_body").copied().unwrap_or(0) > 0;
    assert!(fired, "{}: the corrupt fault did not fire", b.name);
    match read {
        // A client that reads again by itself after a checksum failure would hand over the
        // right bytes: allowed. (On 2026-12-02 every backend's read failed instead.)
        Ok(body) if body == two => eprintln!("{}: corruption caught and read again by the client", b.name),
        Ok(_) => panic!("{}: a corrupted body was handed over as the object", b.name),
        Err(e) => eprintln!("{}: corruption detected: {} {e}", b.name, e.kind()),
    }

    // Faults before and instead of an answer are retried.
    for fault in [
        Fault::Status {
            code: 503,
            retry_after: Some(1),
        },
        Fault::ResetBeforeRequest,
        Fault::LostResponse,
    ] {
        proxy.set_plan(Plan::new(1.0, vec![fault.clone()], 1, 7));
        let t = Instant::now();
        let m = faulty
            .put(
                &bucket,
                "small",
                Bytes::from_static(b"after a fault"),
                &PutOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{}: overwrite after {}: {e}", b.name, fault.name()));
        assert_eq!(m.size, 13);
        if matches!(fault, Fault::Status { .. }) {
            assert!(
                t.elapsed() >= Duration::from_secs(1),
                "{}: Retry-After not honoured",
                b.name
            );
        }
        assert_eq!(
            clean.get_bytes(&bucket, "small").await.unwrap().as_ref(),
            b"after a fault"
        );
    }
    proxy.set_plan(Plan::none());
    for k in ["big", "small"] {
        clean.delete(&bucket, k).await.unwrap();
    }
    clean.delete_bucket(&bucket).await.unwrap();
    eprintln!("{}: {:?}", b.name, proxy.stats().counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto() {
    run(backend("moto")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_fs() {
    run(backend("s3s-fs")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azurite() {
    run(backend("azurite")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_gcs_server() {
    run(backend("fake-gcs-server")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swift() {
    run(backend("swift")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swift_s3api() {
    run(backend("swift-s3api")).await
}
