//! The contract refuses before any request and fills the error context once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use super::Contract;
use crate::storage::{GetOptions, GetRange, MockStorage, PutMode, PutOptions, Storage};
use crate::{Capability, Error, ErrorKind, StorageCapabilities};

fn store(caps: StorageCapabilities) -> MockStorage {
    let mut m = MockStorage::new();
    m.expect_provider().return_const("mock");
    m.expect_capabilities().returning(move || caps.clone());
    m
}

#[tokio::test]
async fn invalid_input_and_undeclared_capabilities_never_reach_the_adapter() {
    let mut m = store(StorageCapabilities::none());
    m.expect_put().never();
    m.expect_get().never();
    let c = Contract::new(Arc::new(m));
    let e = c
        .put("b", "../etc/passwd", Bytes::new(), &PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!((e.provider(), e.operation()), ("mock", "put"));
    let create = PutOptions::with_mode(PutMode::Create);
    let e = c.put("bkt", "k", Bytes::new(), &create).await.unwrap_err();
    assert!(e.is_unsupported(Capability::PutCreateOnly), "{e}");
    assert_eq!(e.resource(), Some("bkt/k"));
    let ranged = GetOptions {
        range: Some(GetRange::From(1)),
        ..Default::default()
    };
    let e = c.get("bkt", "k", &ranged).await.unwrap_err();
    assert!(e.is_unsupported(Capability::RangedGet), "{e}");
}

#[tokio::test]
async fn adapter_errors_get_context_without_losing_their_own() {
    let mut m = store(StorageCapabilities::none());
    m.expect_head()
        .returning(|_, _| Err(Error::new(ErrorKind::NotFound, "gone").with_raw_code("NoSuchKey")));
    let e = Contract::new(Arc::new(m)).head("bkt", "a/b").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.raw_code(), Some("NoSuchKey"));
    assert_eq!(
        (e.provider(), e.operation(), e.resource()),
        ("mock", "head", Some("bkt/a/b"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_times_out() {
    let mut m = store(StorageCapabilities::none());
    m.expect_get().returning(|_, k, _| {
        let first = futures::stream::iter([Ok(Bytes::from_static(b"abc"))]);
        let body = first.chain(futures::stream::pending()).boxed();
        Ok(crate::storage::GetResult::new(
            crate::storage::ObjectMeta::new(k, 6),
            0..6,
            body,
        ))
    });
    let c = Contract::new(Arc::new(m)).read_idle_timeout(Duration::from_secs(5));
    let mut got = c.get("bkt", "k", &GetOptions::default()).await.unwrap();
    assert_eq!(got.body.next().await.unwrap().unwrap(), Bytes::from_static(b"abc"));
    let e = got.body.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(got.body.next().await.is_none());
}

/// A streamed upload whose caller gives up (here a timeout drops the future while the body
/// stalls) aborts its multipart upload instead of leaving the parts stored and billed.
#[tokio::test]
async fn a_cancelled_streamed_upload_aborts_its_multipart_upload() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::storage::{CompletedPart, MultipartUpload, DEFAULT_PART_SIZE};

    let mut caps = StorageCapabilities::none();
    caps.multipart = true;
    caps.multipart_max_parts = 100;
    let mut m = store(caps);
    m.expect_create_multipart()
        .times(1)
        .returning(|b, k, _| Ok(MultipartUpload::new(b, k, "u1")));
    m.expect_upload_part()
        .returning(|_, n, b| Ok(CompletedPart::new(n, "e", b.len() as u64)));
    m.expect_complete_multipart().never();
    let aborted = Arc::new(AtomicBool::new(false));
    let seen = aborted.clone();
    m.expect_abort_multipart().times(1).returning(move |u| {
        assert_eq!(u.upload_id, "u1");
        seen.store(true, Ordering::SeqCst);
        Ok(())
    });
    let c = Contract::new(Arc::new(m));
    // One full part, then a body that never ends.
    let first = futures::stream::iter([Ok(Bytes::from(vec![1u8; DEFAULT_PART_SIZE as usize]))]);
    let body = first.chain(futures::stream::pending()).boxed();
    let opts = PutOptions::default();
    let r = tokio::time::timeout(Duration::from_millis(200), c.put_stream("bkt", "k", body, &opts)).await;
    assert!(r.is_err(), "the upload cannot finish");
    for _ in 0..100 {
        if aborted.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the cancelled upload was not aborted");
}

/// Where a provider does not keep case, whatever spelling its transport gives (Swift's title
/// case) reads back lower-cased; where it declares it, names pass as they are.
#[tokio::test]
async fn metadata_names_fold_only_where_case_is_not_declared() {
    use crate::storage::ObjectMeta;
    let titled = || {
        let mut m = ObjectMeta::new("k", 1);
        m.user_metadata.insert("BuildId".into(), "7".into());
        Ok(m)
    };
    let mut folding = StorageCapabilities::none();
    folding.user_metadata = true;
    let mut m = store(folding.clone());
    m.expect_head().returning(move |_, _| titled());
    let got = Contract::new(Arc::new(m)).head("bkt", "k").await.unwrap();
    assert_eq!(got.user_metadata.keys().collect::<Vec<_>>(), ["buildid"]);

    let mut keeping = folding;
    keeping.metadata_case_preserved = true;
    let mut m = store(keeping);
    m.expect_head().returning(move |_, _| titled());
    let got = Contract::new(Arc::new(m)).head("bkt", "k").await.unwrap();
    assert_eq!(got.user_metadata.keys().collect::<Vec<_>>(), ["BuildId"]);
}

/// A storage class needs its capability, and only a portable class reaches the adapter.
#[tokio::test]
async fn storage_classes_are_gated_and_must_be_portable() {
    use crate::storage::{CopyOptions, StorageClass};
    let mut m = store(StorageCapabilities::none());
    m.expect_put().never();
    let c = Contract::new(Arc::new(m));
    let cold = PutOptions::default().storage_class(StorageClass::Cold);
    let e = c.put("bkt", "k", Bytes::new(), &cold).await.unwrap_err();
    assert!(e.is_unsupported(Capability::StorageClass), "{e}");

    let mut caps = StorageCapabilities::none();
    caps.storage_class = true;
    caps.copy = true;
    let mut m = store(caps);
    m.expect_put().never();
    m.expect_copy().never();
    let c = Contract::new(Arc::new(m));
    let other = PutOptions::default().storage_class(StorageClass::Other("GLACIER".into()));
    let e = c.put("bkt", "k", Bytes::new(), &other).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let copy = CopyOptions::default().storage_class(StorageClass::Other("Premium".into()));
    let e = c.copy("bkt", "a", "bkt", "b", &copy).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

mod resumed_reads {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::storage::{GetResult, ObjectMeta};

    const DATA: &[u8] = b"0123456789abcdefghij";

    fn meta(etag: &str) -> ObjectMeta {
        let mut m = ObjectMeta::new("k", DATA.len() as u64);
        m.etag = Some(etag.into());
        m
    }

    /// A body that yields `upto` bytes of `DATA[from..]` and then `tail`.
    fn body(from: usize, upto: usize, tail: Option<Error>) -> crate::storage::ByteStream {
        let mut items: Vec<crate::Result<Bytes>> = vec![Ok(Bytes::from_static(&DATA[from..from + upto]))];
        if let Some(e) = tail {
            items.push(Err(e));
        }
        futures::stream::iter(items).boxed()
    }

    fn resumable() -> StorageCapabilities {
        let mut c = StorageCapabilities::none();
        c.ranged_get = true;
        c.conditional_get = true;
        c
    }

    async fn read(c: &Contract<MockStorage>) -> crate::Result<Vec<u8>> {
        let got = c.get("bkt", "k", &GetOptions::default()).await?;
        Ok(got.bytes().await?.to_vec())
    }

    /// A reset in the middle of the body: the rest is asked for from the byte reached, pinned
    /// to the first answer's ETag, and the caller sees one unbroken body.
    #[tokio::test]
    async fn a_reset_body_resumes_from_its_offset_pinned_to_its_etag() {
        let mut m = store(resumable());
        let calls = Arc::new(AtomicU32::new(0));
        let n = calls.clone();
        m.expect_get()
            .returning(move |_, _, o| match n.fetch_add(1, Ordering::SeqCst) {
                0 => {
                    assert!(o.range.is_none() && o.if_match.is_none());
                    let reset = Error::new(ErrorKind::Unavailable, "connection reset");
                    Ok(GetResult::new(meta("v1"), 0..20, body(0, 7, Some(reset))))
                }
                _ => {
                    assert_eq!(o.range, Some(GetRange::Bounded(7..20)));
                    assert_eq!(o.if_match.as_deref(), Some("v1"));
                    Ok(GetResult::new(meta("v1"), 7..20, body(7, 13, None)))
                }
            });
        let c = Contract::new(Arc::new(m)).read_resumes(2);
        assert_eq!(read(&c).await.unwrap(), DATA);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// A body that just stops early is never a short read: without a resume it is an error.
    #[tokio::test]
    async fn a_body_cut_short_is_an_error_not_a_short_read() {
        let mut m = store(StorageCapabilities::none());
        m.expect_get()
            .returning(|_, _, _| Ok(GetResult::new(meta("v1"), 0..20, body(0, 12, None))));
        let e = read(&Contract::new(Arc::new(m)).read_resumes(3)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
        assert!(e.to_string().contains("byte 12 of 20"), "{e}");
    }

    /// The object replaced between the two requests: `Conflict`, never two versions' bytes.
    #[tokio::test]
    async fn a_read_of_an_object_replaced_meanwhile_is_a_conflict() {
        let mut m = store(resumable());
        let calls = Arc::new(AtomicU32::new(0));
        let n = calls.clone();
        m.expect_get()
            .returning(move |_, _, _| match n.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(GetResult::new(meta("v1"), 0..20, body(0, 5, None))),
                _ => Err(Error::new(ErrorKind::PreconditionFailed, "If-Match failed")),
            });
        let e = read(&Contract::new(Arc::new(m)).read_resumes(3)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    }

    /// The budget bounds the resumes; a body longer than announced is refused.
    #[tokio::test]
    async fn resumes_are_bounded_and_overlong_bodies_refused() {
        let mut m = store(resumable());
        let calls = Arc::new(AtomicU32::new(0));
        let n = calls.clone();
        m.expect_get().returning(move |_, _, o| {
            n.fetch_add(1, Ordering::SeqCst);
            let from = match &o.range {
                Some(GetRange::Bounded(r)) => r.start as usize,
                _ => 0,
            };
            let reset = Error::new(ErrorKind::Unavailable, "connection reset");
            Ok(GetResult::new(meta("v1"), from as u64..20, body(from, 1, Some(reset))))
        });
        let e = read(&Contract::new(Arc::new(m)).read_resumes(2)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(calls.load(Ordering::SeqCst), 3, "the first get and two resumes");

        let mut m = store(StorageCapabilities::none());
        m.expect_get()
            .returning(|_, _, _| Ok(GetResult::new(meta("v1"), 0..4, body(0, 9, None))));
        let e = read(&Contract::new(Arc::new(m))).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
    }
}
