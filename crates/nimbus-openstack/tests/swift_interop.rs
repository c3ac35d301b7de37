//! Swift interop against the real stack: what Nimbus writes, the `swift` CLI (python-swiftclient,
//! the reference client) reads byte-exact with its content type and metadata, and what the CLI
//! uploads (plain and as a Static Large Object with `--use-slo`) Nimbus reads; a Nimbus
//! multipart upload is an SLO the CLI downloads whole, and deleting an SLO from either side
//! removes its segments.
//!
//! Needs the stack (`scripts/openstack start`) and `/usr/bin/swift`; without them the tests
//! pass with a note, unless `NIMBUS_REQUIRE_EMULATORS=1`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use futures::StreamExt;
use nimbus_core::storage::*;
use nimbus_core::ErrorKind;
use nimbus_openstack::{OpenStackConfig, SwiftStorage};

const SWIFT: &str = "/usr/bin/swift";

fn storage() -> Option<SwiftStorage> {
    let s = common::settings()?;
    if !std::path::Path::new(SWIFT).exists() {
        if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") {
            panic!("{SWIFT} is missing but NIMBUS_REQUIRE_EMULATORS=1 (apt-get install python3-swiftclient)");
        }
        eprintln!("{SWIFT} is missing: interop with the swift CLI not checked");
        return None;
    }
    let cfg = OpenStackConfig::from_parts(&s, &BTreeMap::new()).unwrap();
    Some(SwiftStorage::connect(&cfg).unwrap())
}

/// Runs the `swift` CLI as the test user (Debian's Python first on PATH, `OS_*` from the
/// stack's `NIMBUS_TEST_OPENSTACK_*`); its stdout.
fn swift(args: &[&str]) -> String {
    let out = common::os_cli(SWIFT).args(args).output().expect("run swift");
    assert!(
        out.status.success(),
        "swift {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `swift stat` lines as `name → value` (`Content Type`, `Meta Color`, `Manifest`, …).
fn stat(container: &str, object: &str) -> BTreeMap<String, String> {
    swift(&["stat", container, object])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("nimbus-swift-interop-{}-{name}", std::process::id()))
}

fn pattern(n: usize, seed: u8) -> Bytes {
    Bytes::from(
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect::<Vec<u8>>(),
    )
}

async fn bucket(s: &SwiftStorage, tag: &str) -> String {
    let b = format!("nimbus-interop-{tag}-{}", std::process::id());
    s.create_bucket(&b, &Default::default()).await.unwrap();
    b
}

async fn remove(s: &SwiftStorage, b: &str) {
    for o in s.list_page(b, &ListOptions::default(), None).await.unwrap().objects {
        s.delete(b, &o.key).await.unwrap();
    }
    s.delete_bucket(b).await.unwrap();
}

#[tokio::test]
async fn objects_written_by_nimbus_are_read_by_the_swift_cli() {
    let Some(s) = storage() else { return };
    let b = bucket(&s, "n2c").await;
    let data: Bytes = (0..=255u8).cycle().take(70_000).collect::<Vec<u8>>().into();
    let key = "dir/hello wörld+%.bin";
    let opts = PutOptions::default()
        .content_type("application/x-nimbus")
        .metadata("Color", "blue")
        .metadata("owner", "team-a");
    s.put(&b, key, data.clone(), &opts).await.unwrap();

    let file = scratch("n2c");
    swift(&["download", &b, key, "-o", file.to_str().unwrap()]);
    assert_eq!(std::fs::read(&file).unwrap(), data.as_ref(), "bytes differ");
    let st = stat(&b, key);
    assert_eq!(
        st.get("Content Type").map(String::as_str),
        Some("application/x-nimbus"),
        "{st:?}"
    );
    assert_eq!(st.get("Meta Color").map(String::as_str), Some("blue"), "{st:?}");
    assert_eq!(st.get("Meta Owner").map(String::as_str), Some("team-a"), "{st:?}");
    assert_eq!(st.get("Content Length").map(String::as_str), Some("70000"), "{st:?}");

    // A Nimbus multipart upload is an SLO: the CLI sees a manifest and downloads it whole.
    let up = s
        .create_multipart(&b, "big", &PutOptions::default().content_type("text/x-parts"))
        .await
        .unwrap();
    let parts = [pattern(100_000, 1), pattern(100_000, 2), pattern(1234, 3)];
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        done.push(s.upload_part(&up, i as u32 + 1, p.clone()).await.unwrap());
    }
    let m = s.complete_multipart(&up, &done).await.unwrap();
    assert_eq!(m.size, 201_234);
    swift(&["download", &b, "big", "-o", file.to_str().unwrap()]);
    let want: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    assert_eq!(std::fs::read(&file).unwrap(), want, "SLO bytes differ");
    let st = stat(&b, "big");
    assert_eq!(
        st.get("X-Static-Large-Object").map(String::as_str),
        Some("True"),
        "{st:?}"
    );
    assert_eq!(st.get("ETag").map(|e| e.trim_matches('"')), m.etag.as_deref(), "{st:?}");
    assert_eq!(
        st.get("Content Type").map(String::as_str),
        Some("text/x-parts"),
        "{st:?}"
    );
    let _ = std::fs::remove_file(&file);

    // Deleting the SLO through Nimbus removes its segments.
    let seg = format!("{b}_segments");
    assert_eq!(
        s.list_page(&seg, &ListOptions::default(), None)
            .await
            .unwrap()
            .objects
            .len(),
        3
    );
    s.delete(&b, "big").await.unwrap();
    assert!(s
        .list_page(&seg, &ListOptions::default(), None)
        .await
        .unwrap()
        .objects
        .is_empty());
    remove(&s, &b).await;
    assert!(
        !s.bucket_exists(&seg).await.unwrap(),
        "the empty segment container stayed"
    );
}

#[tokio::test]
async fn objects_uploaded_with_the_swift_cli_are_read_by_nimbus() {
    let Some(s) = storage() else { return };
    let b = bucket(&s, "c2n").await;
    let data = pattern(5000, 9);
    let file = scratch("c2n");
    std::fs::write(&file, &data).unwrap();
    let f = file.to_str().unwrap();
    swift(&[
        "upload",
        &b,
        f,
        "--object-name",
        "cli/plain obj.bin",
        "--header",
        "X-Object-Meta-Color: blue",
        "--header",
        "Content-Type: application/x-cli",
    ]);
    let got = s.get(&b, "cli/plain obj.bin", &GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.content_type.as_deref(), Some("application/x-cli"));
    assert_eq!(got.meta.user_metadata.get("color").map(String::as_str), Some("blue"));
    assert_eq!(got.meta.size, 5000);
    assert_eq!(got.bytes().await.unwrap(), data);
    let head = s.head(&b, "cli/plain obj.bin").await.unwrap();
    assert_eq!(head.etag, Some(md5_hex(&data)));

    // The CLI's own SLO (segments in `<container>_segments`): Nimbus reads it whole and by
    // range, lists it with its size, and deleting it removes the CLI's segments.
    swift(&[
        "upload",
        &b,
        f,
        "--object-name",
        "cli/slo.bin",
        "--segment-size",
        "1500",
        "--use-slo",
    ]);
    let got = s.get(&b, "cli/slo.bin", &GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.size, 5000);
    assert_eq!(got.bytes().await.unwrap(), data);
    let r = s
        .get(&b, "cli/slo.bin", &GetOptions::range(GetRange::Bounded(1400..1600)))
        .await
        .unwrap();
    assert_eq!(r.range, 1400..1600);
    assert_eq!(r.bytes().await.unwrap(), data.slice(1400..1600));
    let listed = s.list_page(&b, &ListOptions::prefix("cli/"), None).await.unwrap();
    let slo = listed.objects.iter().find(|o| o.key == "cli/slo.bin").unwrap();
    assert_eq!(slo.size, 5000);
    assert_eq!(slo.etag, s.head(&b, "cli/slo.bin").await.unwrap().etag);
    let seg = format!("{b}_segments");
    assert_eq!(
        s.list_page(&seg, &ListOptions::default(), None)
            .await
            .unwrap()
            .objects
            .len(),
        4
    );
    let out = s
        .delete_many(&b, &["cli/slo.bin".to_string(), "cli/plain obj.bin".to_string()])
        .await
        .unwrap();
    assert!(out.iter().all(|o| o.result.is_ok()), "{out:?}");
    assert!(s
        .list_page(&seg, &ListOptions::default(), None)
        .await
        .unwrap()
        .objects
        .is_empty());
    let e = s.head(&b, "cli/slo.bin").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.request_id().is_some_and(|id| id.starts_with("tx")), "{e:?}");
    let _ = std::fs::remove_file(&file);
    remove(&s, &b).await;
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[tokio::test]
async fn capabilities_grow_from_the_core_api_to_what_info_names() {
    let Some(s) = storage() else { return };
    // Before any call: the core API only (no request was made by `connect`).
    let before = s.capabilities();
    assert!(before.copy && before.put_create_only && !before.multipart && !before.batch_delete);
    let c = s.discover().await.unwrap();
    assert_eq!(c.version.as_deref(), Some("2.30.1"));
    let after = s.capabilities();
    assert!(after.multipart && after.batch_delete, "{after:?}");
    assert_eq!((after.batch_delete_max, after.multipart_max_parts), (10_000, 1000));
    assert_eq!((after.max_key_len, after.list_max_page_size), (1024, 10_000));
    // The stack's proxy has `tempurl` and the project's account a key
    // (X-Account-Meta-Temp-URL-Key, set by scripts/openstack): presign is declared, with
    // the strongest digest /info offers.
    assert!(after.presign_get && after.presign_put, "{after:?}");
    assert!(
        c.tempurl_digests
            .as_ref()
            .is_some_and(|d| d.iter().any(|x| x == "sha256")),
        "{c:?}"
    );
    let b = bucket(&s, "presign").await;
    s.put(&b, "k", Bytes::from_static(b"signed"), &PutOptions::default())
        .await
        .unwrap();
    let url = s
        .presign(&b, "k", PresignMethod::Get, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        url.contains("temp_url_sig=") && url.contains("temp_url_expires="),
        "{url}"
    );
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.unwrap()[..], b"signed");
    remove(&s, &b).await;
}

#[tokio::test]
async fn a_raw_streamed_put_is_one_chunked_request_with_a_checked_md5() {
    let Some(s) = storage() else { return };
    let b = bucket(&s, "stream").await;
    let chunks: Vec<Bytes> = (0..40).map(|i| pattern(65_536 + i, i as u8)).collect();
    let all: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
    let body: ByteStream = futures::stream::iter(chunks.into_iter().map(Ok)).boxed();
    let opts = PutOptions::default()
        .content_type("application/x-stream")
        .metadata("k", "v");
    let m = s.put_stream(&b, "streamed", body, &opts).await.unwrap();
    assert_eq!(m.size, all.len() as u64);
    assert_eq!(m.etag, Some(md5_hex(&all)));
    let got = s.get(&b, "streamed", &GetOptions::default()).await.unwrap();
    assert_eq!(got.meta.user_metadata.get("k").map(String::as_str), Some("v"));
    assert_eq!(got.bytes().await.unwrap(), all);
    // A failing body fails the put with the body's own error, and stores nothing.
    let failing: ByteStream = futures::stream::iter(vec![
        Ok(pattern(1000, 1)),
        Err(nimbus_core::Error::new(ErrorKind::Timeout, "the source stalled")),
    ])
    .boxed();
    let e = s
        .put_stream(&b, "broken", failing, &PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(s.head(&b, "broken").await.unwrap_err().kind(), ErrorKind::NotFound);
    // A region other than the client's is refused, not created here.
    let mut o = CreateBucketOptions::default();
    o.region = Some("RegionTwo".into());
    let e = s.create_bucket(&format!("{b}-elsewhere"), &o).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    remove(&s, &b).await;
}

#[tokio::test]
async fn an_abort_after_a_completion_whose_answer_was_lost_keeps_the_object() {
    let Some(s) = storage() else { return };
    let b = bucket(&s, "lost").await;
    let up = s.create_multipart(&b, "obj", &PutOptions::default()).await.unwrap();
    let parts = [pattern(2000, 1), pattern(500, 2)];
    let mut done = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        done.push(s.upload_part(&up, i as u32 + 1, p.clone()).await.unwrap());
    }
    s.complete_multipart(&up, &done).await.unwrap();
    // As if the completion's answer was lost before the record was deleted: the record
    // is back, and the writer aborts.
    let seg = format!("{b}_segments");
    let record = Bytes::from_static(br#"{"key":"obj"}"#);
    s.put(&seg, &up.upload_id, record, &PutOptions::default())
        .await
        .unwrap();
    s.abort_multipart(&up).await.unwrap();
    let want: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    let got = s.get(&b, "obj", &GetOptions::default()).await.unwrap();
    assert_eq!(
        got.bytes().await.unwrap(),
        want,
        "the segments of the completed object were deleted"
    );
    let left = s.list_page(&seg, &ListOptions::default(), None).await.unwrap().objects;
    assert_eq!(left.len(), 2, "only the record goes: {left:?}");
    // A second abort, and upload_part after it: nothing to free, the upload is gone.
    s.abort_multipart(&up).await.unwrap();
    let e = s.upload_part(&up, 3, pattern(10, 3)).await.unwrap_err();
    assert_eq!((e.kind(), e.raw_code()), (ErrorKind::NotFound, Some("NoSuchUpload")));
    remove(&s, &b).await;
    assert!(!s.bucket_exists(&seg).await.unwrap());
}
