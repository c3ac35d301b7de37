//! S3-compatible presets on the wire. No OSS, COS, OBS or B2 server runs here, so these tests
//! check what the adapter sends and how it reads the documented answers, against a one-shot
//! HTTP listener that records the request and replies with the vendor's documented error.
#![cfg(feature = "storage")]

use std::sync::Arc;

use nimbus_aws::{AwsConfig, S3Storage};
use nimbus_core::contract::Contract;
use nimbus_core::storage::{PutMode, PutOptions};
use nimbus_core::{Capability, ErrorKind, Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Accepts one request, returns its head (request line and headers, lower-cased) and
/// answers `status` with `body`.
async fn one_shot(status: &'static str, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", l.local_addr().unwrap());
    let h = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Read the head, then the announced body, so the client sees a clean exchange.
        let head_end = loop {
            let n = s.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(n > 0, "connection closed before the request head ended");
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(resp.as_bytes()).await.unwrap();
        head
    });
    (addr, h)
}

fn cfg(endpoint: &str, preset: &str) -> AwsConfig {
    let mut c = AwsConfig::with_static(endpoint, "cn-hangzhou", "AK", "SK");
    c.preset = Some(preset.into());
    c.force_path_style = Some(true);
    c
}

#[tokio::test]
async fn oss_create_only_sends_forbid_overwrite_and_reads_file_already_exists() {
    let (ep, seen) = one_shot(
        "409 Conflict",
        "<?xml version=\"1.0\"?><Error><Code>FileAlreadyExists</Code><Message>The object you specified already exists and can not be overwritten.</Message><RequestId>5C3D9175B6FC201293AD4890</RequestId></Error>",
    )
    .await;
    let s3 = S3Storage::connect(&cfg(&ep, "oss")).await.unwrap();
    let e = s3
        .put("bkt", "k", "v".into(), &PutOptions::with_mode(PutMode::Create))
        .await
        .unwrap_err();
    let head = seen.await.unwrap();
    assert!(head.starts_with("put /bkt/k"), "{head}");
    assert!(head.contains("x-oss-forbid-overwrite: true"), "{head}");
    assert!(!head.contains("if-none-match"), "{head}");
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(e.raw_code(), Some("FileAlreadyExists"));
}

#[tokio::test]
async fn r2_create_only_sends_if_none_match() {
    let (ep, seen) = one_shot(
        "412 Precondition Failed",
        "<?xml version=\"1.0\"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
    )
    .await;
    let mut c = cfg(&ep, "r2");
    c.region = None;
    let s3 = S3Storage::connect(&c).await.unwrap();
    let e = s3
        .put("bkt", "k", "v".into(), &PutOptions::with_mode(PutMode::Create))
        .await
        .unwrap_err();
    let head = seen.await.unwrap();
    assert!(head.contains("if-none-match: *"), "{head}");
    // R2 signs with region `auto`.
    assert!(head.contains("/auto/s3/aws4_request"), "{head}");
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

#[tokio::test]
async fn undocumented_conditional_puts_are_typed_unsupported_before_any_request() {
    // Nothing listens on port 9 of the loopback: a request would fail with a network error.
    // The contract gates on what the preset declares, as for every service the facade opens.
    let s3 = Contract::new(Arc::new(
        S3Storage::connect(&cfg("http://127.0.0.1:9", "b2")).await.unwrap(),
    ));
    for (mode, cap) in [
        (PutMode::Create, Capability::PutCreateOnly),
        (PutMode::Update("\"abc\"".into()), Capability::PutIfVersion),
    ] {
        let e = s3
            .put("bkt", "k", "v".into(), &PutOptions::with_mode(mode))
            .await
            .unwrap_err();
        assert_eq!((e.kind(), e.capability()), (ErrorKind::Unsupported, Some(cap)), "{e}");
    }
    let obs = Contract::new(Arc::new(
        S3Storage::connect(&cfg("http://127.0.0.1:9", "obs")).await.unwrap(),
    ));
    let e = obs.delete_many("bkt", &["a".into()]).await.unwrap_err();
    assert_eq!(e.capability(), Some(Capability::BatchDelete), "{e}");
}

#[tokio::test]
async fn presets_fill_endpoint_and_region_or_say_what_is_missing() {
    let mut c = AwsConfig::default();
    c.preset = Some("r2".into());
    let e = S3Storage::connect(&c).await.unwrap_err();
    assert!(e.to_string().contains("account_id"), "{e}");
    c.account_id = Some("0123abcd".into());
    let r = c.resolved().unwrap();
    assert_eq!(r.endpoint.as_deref(), Some("https://0123abcd.r2.cloudflarestorage.com"));
    assert_eq!(r.region.as_deref(), Some("auto"));
    c.preset = Some("oss".into());
    let e = c.resolved().unwrap_err();
    assert!(e.to_string().contains("needs `region`"), "{e}");
    c.preset = Some("cephrgw".into());
    let e = c.resolved().unwrap_err();
    assert!(e.to_string().contains("did you mean `ceph-rgw`"), "{e}");
}
