//! Targets for AWS S3 and S3-compatible endpoints (emulators in CI, real accounts by profile).

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use nimbus_aws::{AwsConfig, S3Storage};
use nimbus_core::{Error, ErrorKind, Result};

use crate::{Difference, PresignClient, Target};

/// Fetches presigned URLs over plain HTTP(S), as a browser or `curl` would.
pub struct HttpPresign(reqwest::Client);

impl Default for HttpPresign {
    fn default() -> Self {
        HttpPresign(reqwest::Client::new())
    }
}

fn status_error(status: u16, body: &str) -> Error {
    let code = body
        .split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
        .map(str::to_string);
    let kind = match status {
        403 => ErrorKind::PermissionDenied,
        401 => ErrorKind::Unauthenticated,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Internal,
    };
    let mut e = Error::new(kind, format!("HTTP {status}"));
    if let Some(c) = code {
        e = e.with_raw_code(c);
    }
    e
}

impl PresignClient for HttpPresign {
    fn get(&self, url: &str) -> BoxFuture<'_, Result<Bytes>> {
        let url = url.to_string();
        Box::pin(async move {
            let r = self
                .0
                .get(&url)
                .send()
                .await
                .map_err(|e| Error::new(ErrorKind::Unavailable, e.to_string()))?;
            let status = r.status().as_u16();
            let body = r
                .bytes()
                .await
                .map_err(|e| Error::new(ErrorKind::Unavailable, e.to_string()))?;
            if status >= 300 {
                return Err(status_error(status, &String::from_utf8_lossy(&body)));
            }
            Ok(body)
        })
    }
    fn put(&self, url: &str, body: Bytes) -> BoxFuture<'_, Result<()>> {
        let url = url.to_string();
        Box::pin(async move {
            let r = self
                .0
                .put(&url)
                .body(body)
                .send()
                .await
                .map_err(|e| Error::new(ErrorKind::Unavailable, e.to_string()))?;
            let status = r.status().as_u16();
            if status >= 300 {
                let text = r.text().await.unwrap_or_default();
                return Err(status_error(status, &text));
            }
            Ok(())
        })
    }
}

/// S3 through `cfg`, storage rows proven by `proof` (e.g. `emulator: moto 5.2.5`).
pub async fn s3_target(provider: &str, cfg: &AwsConfig, proof: &str) -> Target {
    let s3 = S3Storage::connect(cfg).await;
    let mut t = Target::new(provider);
    t.storage = Some(Arc::new(s3));
    t.presign = Some(Arc::new(HttpPresign::default()));
    t.proof.insert("storage".into(), proof.into());
    t
}

/// Differences observed on moto 5.2.5 (emulator differences marked as such) and on S3 in
/// us-east-1.
pub fn moto_differences() -> Vec<Difference> {
    let d = |id: &str, case: &str, description: &str, source: &str| Difference {
        id: id.into(),
        case: case.into(),
        description: description.into(),
        source: source.into(),
        intermittent: false,
    };
    vec![
        d(
            "create-bucket-owned-returns-ok",
            "storage.bucket_create_duplicate",
            "S3 in us-east-1 answers 200 OK when you re-create a bucket you already own (other regions: 409 BucketAlreadyOwnedByYou); moto copies this",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html#API_CreateBucket_Errors",
        ),
        d(
            "upload-part-after-abort-kind",
            "storage.multipart_abort",
            "emulator difference: moto answers HTTP 500 to UploadPart on an aborted upload where S3 answers 404 NoSuchUpload",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html#API_UploadPart_Errors",
        ),
        d(
            "presign-signature-not-verified",
            "storage.presign_tampered_rejected",
            "emulator difference: moto does not verify SigV4 signatures of presigned URLs, so a URL edited to another key still works; S3 answers 403 SignatureDoesNotMatch",
            "https://docs.getmoto.org/en/latest/docs/iam.html",
        ),
    ]
}

/// Differences of s3s-fs 0.14.1, a filesystem-backed sample S3 server that verifies SigV4
/// strictly but implements few preconditions. All are emulator differences.
pub fn s3s_differences() -> Vec<Difference> {
    let src = "https://github.com/Nugine/s3s/tree/main/crates/s3s-fs (sample filesystem implementation)";
    let d = |id: &str, case: &str, description: &str| Difference {
        id: id.into(),
        case: case.into(),
        description: format!("emulator difference: {description}"),
        source: src.into(),
        intermittent: id == "create-only-not-atomic",
    };
    vec![
        d(
            "delete-non-empty-bucket-succeeds",
            "storage.bucket_delete_non_empty",
            "DeleteBucket removes a bucket that still holds objects (S3: 409 BucketNotEmpty)",
        ),
        d(
            "put-into-missing-bucket-succeeds",
            "storage.bucket_missing_object_ops",
            "PutObject into a bucket that was never created succeeds (S3: 404 NoSuchBucket)",
        ),
        d(
            "create-only-not-atomic",
            "storage.put_create_only_race",
            "If-None-Match: * is not checked atomically: concurrent create-only puts all win",
        ),
        d(
            "get-if-match-ignored",
            "storage.get_if_match",
            "GET ignores If-Match (S3: 412)",
        ),
        d(
            "get-if-none-match-ignored",
            "storage.get_if_none_match",
            "GET ignores If-None-Match (S3: 304)",
        ),
        d(
            "upload-part-after-abort-kind",
            "storage.multipart_abort",
            "UploadPart on an aborted upload answers 403 AccessDenied (S3: 404 NoSuchUpload)",
        ),
        d(
            "max-key-length-rejected",
            "storage.key_max_length",
            "a 1,024-byte key fails with 500 because keys are file paths (S3 accepts 1,024 bytes)",
        ),
        d(
            "key-prefix-collision-server-error",
            "storage.key_and_prefix_coexist",
            "`a` and `a/b` cannot both exist (keys are file paths); the second put fails with 500",
        ),
        d(
            "directory-marker-not-listed",
            "storage.directory_marker_key",
            "a key ending in `/` is stored but never listed",
        ),
    ]
}
