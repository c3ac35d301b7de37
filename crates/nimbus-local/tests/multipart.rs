//! Multipart objects are joined without a second pass (issue 19), and reads never come back
//! short: the parts chosen at completion, in order, whatever order they were sent in and
//! whichever were replaced; S3's ETag (the MD5 of the parts' MD5s); ranges across part
//! boundaries (the memory store keeps an object as its parts); no staging file left behind;
//! and a file cut short under an open read is an error, not a short body.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use nimbus_core::storage::{CompletedPart, GetOptions, GetRange};
use nimbus_core::{ErrorKind, Storage};
use nimbus_local::StorageOptions;

const PART: usize = 64 * 1024;

fn options() -> StorageOptions {
    let mut o = StorageOptions::default();
    o.min_part_size = PART as u64;
    o
}

fn body(seed: u8, len: usize) -> Bytes {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add((i % 251) as u8))
        .collect()
}

async fn read_all(s: &dyn Storage, key: &str, range: Option<GetRange>) -> Vec<u8> {
    let mut o = GetOptions::default();
    o.range = range;
    let mut st = s.get("bkt", key, &o).await.unwrap().body;
    let mut out = Vec::new();
    while let Some(c) = st.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

async fn joins_the_chosen_parts(s: Arc<dyn Storage>) {
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    let up = s.create_multipart("bkt", "big", &Default::default()).await.unwrap();
    // Sent out of order; part 2 replaced; part 4 sent but not chosen.
    let p3 = s.upload_part(&up, 3, body(3, PART / 2 + 7)).await.unwrap();
    s.upload_part(&up, 2, body(9, PART)).await.unwrap();
    let p1 = s.upload_part(&up, 1, body(1, PART + 5)).await.unwrap();
    let p2 = s.upload_part(&up, 2, body(2, PART)).await.unwrap();
    s.upload_part(&up, 4, body(4, PART)).await.unwrap();
    let parts: Vec<CompletedPart> = vec![p1, p2, p3];
    let meta = s.complete_multipart(&up, &parts).await.unwrap();

    let want: Vec<u8> = [body(1, PART + 5), body(2, PART), body(3, PART / 2 + 7)].concat();
    let mut md5s = Vec::new();
    for b in [body(1, PART + 5), body(2, PART), body(3, PART / 2 + 7)] {
        md5s.extend_from_slice(&Md5::digest(&b));
    }
    assert_eq!(
        meta.etag.as_deref(),
        Some(format!("{}-3", hex::encode(Md5::digest(&md5s))).as_str())
    );
    assert_eq!(meta.size, want.len() as u64);
    assert_eq!(read_all(&*s, "big", None).await, want);
    // Ranges inside a part, starting and ending exactly on a part boundary, and across one
    // and both boundaries (part 1 ends at b1, part 2 at b2).
    let (b1, b2) = (PART as u64 + 5, 2 * PART as u64 + 5);
    for (lo, hi) in [
        (0u64, 10u64),
        (b1 - 10, b1),
        (b1, b1 + 10),
        (b1 - 3, b1 + 6),
        (b1 - 3, b2 + 9),
    ] {
        let got = read_all(&*s, "big", Some(GetRange::Bounded(lo..hi))).await;
        assert_eq!(got, &want[lo as usize..hi as usize], "range {lo}..{hi}");
    }
    assert_eq!(
        read_all(&*s, "big", Some(GetRange::Suffix(9))).await,
        &want[want.len() - 9..]
    );
}

#[tokio::test]
async fn memory_store_joins_the_chosen_parts() {
    joins_the_chosen_parts(nimbus_local::open_memory(options())).await;
}

#[tokio::test]
async fn fs_store_joins_the_chosen_parts_and_leaves_no_staging() {
    let dir = tempfile::tempdir().unwrap();
    joins_the_chosen_parts(nimbus_local::open_fs(dir.path(), options()).unwrap()).await;
    let tmp: Vec<_> = std::fs::read_dir(dir.path().join(".nimbus/tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(tmp.is_empty(), "staging left behind: {tmp:?}");
}

#[tokio::test]
async fn a_file_cut_short_under_an_open_read_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = nimbus_local::open_fs(dir.path(), options()).unwrap();
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    let len = 3 * 1024 * 1024;
    s.put("bkt", "k", body(5, len), &Default::default()).await.unwrap();
    let r = s.get("bkt", "k", &GetOptions::default()).await.unwrap();
    assert_eq!(r.meta.size, len as u64);
    // Another writer truncates the file in place after the read has opened it.
    std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join("bkt/k"))
        .unwrap()
        .set_len(len as u64 / 2)
        .unwrap();
    let mut st = r.body;
    let mut got = 0usize;
    let mut err = None;
    while let Some(c) = st.next().await {
        match c {
            Ok(c) => got += c.len(),
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let e = err.unwrap_or_else(|| panic!("a short body of {got} bytes was returned as whole"));
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(got < len);
}

/// The writer keeps several parts in flight: the object is whole and in order, and nothing is
/// left staged. On the filesystem store parts really are in flight (each is staged on the
/// blocking pool), so they can finish out of order.
async fn concurrent_writer_keeps_order(s: Arc<dyn Storage>) -> Vec<u8> {
    use nimbus_core::storage::{StorageExt, WriterOptions};
    s.create_bucket("bkt", &Default::default()).await.unwrap();
    let mut want = Vec::new();
    let mut w = s.writer(
        "bkt",
        "w",
        WriterOptions::default().part_size(PART as u64).concurrency(3),
    );
    for i in 0..40u8 {
        let chunk = body(i, 10_000 + i as usize);
        want.extend_from_slice(&chunk);
        w.write(chunk).await.unwrap();
    }
    let meta = w.finish().await.unwrap();
    assert_eq!(meta.size, want.len() as u64);
    assert!(meta.etag.as_deref().unwrap().ends_with("-7"), "{:?}", meta.etag);
    assert_eq!(read_all(&*s, "w", None).await, want);
    want
}

#[tokio::test]
async fn a_concurrent_writer_writes_the_object_in_order() {
    let mem = nimbus_local::open_memory(options());
    concurrent_writer_keeps_order(mem.clone()).await;
    assert_eq!(mem.uploads_in_progress().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_writer_on_the_filesystem_writes_the_object_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let fs = nimbus_local::open_fs(dir.path(), options()).unwrap();
    concurrent_writer_keeps_order(fs.clone()).await;
    assert_eq!(fs.uploads_in_progress().await, 0);
    assert_eq!(std::fs::read_dir(dir.path().join(".nimbus/tmp")).unwrap().count(), 0);
}

/// Fails the third part sent, passes every other call.
#[derive(Debug)]
struct FailThirdPart(std::sync::atomic::AtomicUsize);

impl nimbus_core::layers::Interceptor for FailThirdPart {
    fn around<'a, T, F, Fut>(
        &'a self,
        info: &'a nimbus_core::layers::CallInfo,
        mut make: F,
    ) -> impl std::future::Future<Output = nimbus_core::Result<T>> + Send + 'a
    where
        T: Send + 'a,
        F: FnMut() -> Fut + Send + 'a,
        Fut: std::future::Future<Output = nimbus_core::Result<T>> + Send + 'a,
    {
        let fail = info.operation == "upload_part" && self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2;
        async move {
            if fail {
                return Err(nimbus_core::Error::new(
                    ErrorKind::Unavailable,
                    "the third part was lost",
                ));
            }
            make().await
        }
    }
}

/// A part that fails with others in flight fails the write, and the upload is aborted after
/// the others have finished: no upload is left open, nothing is committed, no staging is left.
/// A caller that ignores the error and finishes anyway gets an error too, never an object with
/// a part missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_part_aborts_the_upload_after_the_parts_in_flight() {
    use nimbus_core::layers::Layered;
    use nimbus_core::storage::{StorageExt, WriterOptions};
    for ignore_the_error in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let fs = nimbus_local::open_fs(dir.path(), options()).unwrap();
        fs.create_bucket("bkt", &Default::default()).await.unwrap();
        let faulty: Arc<dyn Storage> = Arc::new(Layered::new(
            fs.clone() as Arc<dyn Storage>,
            FailThirdPart(Default::default()),
        ));
        let mut w = faulty.writer(
            "bkt",
            "f",
            WriterOptions::default().part_size(PART as u64).concurrency(3),
        );
        let mut failed = None;
        for i in 0..12u8 {
            if let Err(e) = w.write(body(i, PART / 2)).await {
                failed = Some(e);
                if !ignore_the_error {
                    break;
                }
            }
        }
        let e = match (failed, ignore_the_error) {
            (Some(e), false) => {
                w.abort().await.unwrap();
                e
            }
            (_, _) => w.finish().await.unwrap_err(),
        };
        assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
        assert_eq!(fs.uploads_in_progress().await, 0, "the upload was left open");
        assert_eq!(
            fs.head("bkt", "f").await.unwrap_err().kind(),
            ErrorKind::NotFound,
            "nothing is committed (ignoring the error: {ignore_the_error})"
        );
        let tmp = std::fs::read_dir(dir.path().join(".nimbus/tmp")).unwrap().count();
        assert_eq!(tmp, 0, "staging left behind (ignoring the error: {ignore_the_error})");
    }
}

/// Staged files in the store's tmp directory, waited for up to 5 s to reach `want` (a
/// staging task of a dropped caller may still be finishing on the blocking pool).
async fn staged_files_settle_at(root: &std::path::Path, want: usize) -> usize {
    let mut n = usize::MAX;
    for _ in 0..100 {
        n = std::fs::read_dir(root.join(".nimbus/tmp")).unwrap().count();
        if n == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    n
}

/// A part whose caller is gone (an `ObjectWriter` dropped with parts in flight does this)
/// still finishes staging on the blocking pool; its file must not stay behind unrecorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_dropped_in_flight_leaves_no_staged_file() {
    use futures::FutureExt;
    let dir = tempfile::tempdir().unwrap();
    let fs = nimbus_local::open_fs(dir.path(), options()).unwrap();
    fs.create_bucket("bkt", &Default::default()).await.unwrap();
    let up = fs.create_multipart("bkt", "big", &Default::default()).await.unwrap();
    // Each polled once (its staging starts on the blocking pool), then dropped. A part large
    // enough (16 MiB to hash and write) that it cannot be done by the time of that poll,
    // unless this thread was descheduled meanwhile: then it is recorded, and counted.
    let mut recorded = 1;
    for part in 1..=4 {
        if fs
            .upload_part(&up, part, body(part as u8, 256 * PART))
            .now_or_never()
            .is_some()
        {
            recorded += 1;
        }
    }
    assert!(
        recorded < 5,
        "no part was in flight when dropped: the test proved nothing"
    );
    let kept = fs.upload_part(&up, 5, body(5, PART)).await.unwrap();
    assert_eq!(
        staged_files_settle_at(dir.path(), recorded).await,
        recorded,
        "only the recorded parts are staged"
    );
    // Completion joins the chosen part and removes every other recorded one.
    let meta = fs.complete_multipart(&up, &[kept]).await.unwrap();
    assert_eq!(meta.size, PART as u64);
    assert_eq!(staged_files_settle_at(dir.path(), 0).await, 0);
}

/// A streamed put dropped half-way (a timeout, a cancelled request) leaves no staged file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_put_dropped_half_way_leaves_no_staged_file() {
    let dir = tempfile::tempdir().unwrap();
    let fs = nimbus_local::open_fs(dir.path(), options()).unwrap();
    fs.create_bucket("bkt", &Default::default()).await.unwrap();
    // One chunk, then a body that never ends.
    let first = futures::stream::iter([Ok(body(1, PART))]);
    let stream: nimbus_core::storage::ByteStream = Box::pin(first.chain(futures::stream::pending()));
    let options = nimbus_core::storage::PutOptions::default();
    let put = fs.put_stream("bkt", "k", stream, &options);
    let r = tokio::time::timeout(std::time::Duration::from_millis(300), put).await;
    assert!(r.is_err(), "the body never ends, so the put cannot");
    assert_eq!(staged_files_settle_at(dir.path(), 0).await, 0);
    assert_eq!(fs.head("bkt", "k").await.unwrap_err().kind(), ErrorKind::NotFound);
}
