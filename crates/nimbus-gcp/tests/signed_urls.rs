//! V4 signed URLs. Each test makes a throwaway 2048-bit RSA service-account key, so no real
//! key is ever needed or written outside a temporary directory.
//!
//! fake-gcs-server serves signed URLs (with `-public-host` set to its own host, as
//! `scripts/emulators` does) but does not check signatures. So the signature is checked here,
//! independently of Google's crate: the canonical request and string-to-sign are rebuilt from
//! the URL by the steps of Google's "V4 signing process" page and verified with the public
//! key (RSASSA-PKCS1-v1_5 with SHA-256).
#![cfg(feature = "storage")]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use nimbus_core::contract::Contract;
use nimbus_core::storage::PresignMethod;
use nimbus_core::{Capability, ErrorKind, Storage, StorageExt};
use nimbus_gcp::{GcsConfig, GcsStorage};

const EMAIL: &str = "nimbus-test@test-project.iam.gserviceaccount.com";

/// A service-account key file with a fresh private key, and the public key (PKCS#1 DER).
fn throwaway_key(dir: &tempfile::TempDir) -> (PathBuf, Vec<u8>) {
    use aws_lc_rs::encoding::AsDer;
    let kp = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let pkcs8 = kp.as_der().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "throwaway",
        "private_key": pem,
        "client_email": EMAIL,
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let path = dir.path().join("key.json");
    std::fs::write(&path, key.to_string()).unwrap();
    (path, kp.public_key().as_ref().to_vec())
}

async fn signing_store(endpoint: &str, key: PathBuf) -> GcsStorage {
    let mut cfg = GcsConfig::emulator(endpoint);
    cfg.signing_key_file = Some(key);
    GcsStorage::connect(&cfg).await.unwrap()
}

/// Rebuilds what was signed from the URL alone and verifies the signature; the error says
/// which check failed.
fn verify_v4(url: &str, method: &str, public_key: &[u8]) -> Result<(), String> {
    let u = url::Url::parse(url).map_err(|e| e.to_string())?;
    let raw_query = u.query().ok_or("no query")?;
    let mut pairs: Vec<(&str, &str)> = raw_query
        .split('&')
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let sig = pairs
        .iter()
        .find(|(k, _)| *k == "X-Goog-Signature")
        .map(|(_, v)| *v)
        .ok_or("no X-Goog-Signature")?;
    pairs.retain(|(k, _)| *k != "X-Goog-Signature");
    pairs.sort();
    let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    if get("X-Goog-Algorithm") != Some("GOOG4-RSA-SHA256") {
        return Err("algorithm".into());
    }
    if get("X-Goog-SignedHeaders") != Some("host") {
        return Err(format!("signed headers {:?}", get("X-Goog-SignedHeaders")));
    }
    let date = get("X-Goog-Date").ok_or("no date")?;
    let scope = format!("{}/auto/storage/goog4_request", &date[..8]);
    let credential = format!("{EMAIL}/{scope}").replace('@', "%40").replace('/', "%2F");
    if get("X-Goog-Credential") != Some(credential.as_str()) {
        return Err(format!("credential {:?}", get("X-Goog-Credential")));
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // The Host header a client sends: the port only when it is not the scheme's default.
    let host = match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap()),
        None => u.host_str().unwrap().to_string(),
    };
    let canonical = format!(
        "{method}\n{}\n{}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD",
        u.path(),
        query.join("&")
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    let to_sign = format!("GOOG4-RSA-SHA256\n{date}\n{scope}\n{}", hex::encode(digest.as_ref()));
    let sig = hex::decode(sig).map_err(|e| e.to_string())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(to_sign.as_bytes(), &sig)
        .map_err(|_| "signature does not verify".to_string())
}

#[tokio::test]
async fn v4_urls_verify_with_the_service_accounts_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = throwaway_key(&dir);
    // Signing is local: no server is needed to make or verify a URL.
    let s = signing_store("https://storage.googleapis.com", key).await;
    let caps = s.capabilities();
    assert!(caps.presign_get && caps.presign_put);
    assert_eq!(caps.presign_max_expiry, Duration::from_secs(604_800));
    let get = s
        .presign(
            "my-bucket",
            "dir/p k+ü.txt",
            PresignMethod::Get,
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert!(
        get.starts_with("https://storage.googleapis.com/my-bucket/dir/p%20k%2B%C3%BC.txt?"),
        "path-style URL with the object name percent-encoded: {get}"
    );
    assert!(get.contains("X-Goog-Expires=300"), "{get}");
    verify_v4(&get, "GET", &public).unwrap();
    // The check can fail: the URL is bound to its method, object and signer.
    assert!(verify_v4(&get, "PUT", &public).is_err());
    assert!(verify_v4(&get.replace("p%20k", "q%20k"), "GET", &public).is_err());
    let other = KeyPair::generate(KeySize::Rsa2048).unwrap();
    assert!(verify_v4(&get, "GET", other.public_key().as_ref()).is_err());
    let put = s
        .presign("my-bucket", "up", PresignMethod::Put, Duration::from_secs(60))
        .await
        .unwrap();
    verify_v4(&put, "PUT", &public).unwrap();
    // Out-of-range expiry (the declared 1s..=7 days) and bad names are typed errors from the
    // contract above the adapter, as the facade opens it, before anything is signed.
    let c = Contract::new(Arc::new(s.clone()));
    for exp in [Duration::ZERO, Duration::from_millis(500), Duration::from_secs(604_801)] {
        let e = c.presign("my-bucket", "k", PresignMethod::Get, exp).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{exp:?}: {e}");
    }
    let e = c
        .presign("my-bucket", "a/../b", PresignMethod::Get, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!((e.provider(), e.operation()), ("gcp-storage", "presign"));
    // The private key never shows.
    let shown = format!("{s:?} {:?}", s.signer());
    assert!(
        !shown.contains("PRIVATE KEY") && !shown.contains(&b64_head(&dir)),
        "{shown}"
    );
}

/// The first characters of the key's base64 body, to look for in printed output.
fn b64_head(dir: &tempfile::TempDir) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("key.json")).unwrap()).unwrap();
    v["private_key"].as_str().unwrap().lines().nth(1).unwrap()[..40].to_string()
}

#[tokio::test]
async fn without_a_key_presign_is_the_typed_unsupported_error() {
    let s = GcsStorage::connect(&GcsConfig::emulator("127.0.0.1:9")).await.unwrap();
    assert!(!s.capabilities().presign_get);
    let c = Contract::new(Arc::new(s.clone()));
    for (m, cap) in [
        (PresignMethod::Get, Capability::PresignGet),
        (PresignMethod::Put, Capability::PresignPut),
    ] {
        // Through the contract (undeclared) and on the bare adapter (no signer): the same.
        let e = c.presign("bkt", "k", m, Duration::from_secs(60)).await.unwrap_err();
        assert!(e.is_unsupported(cap), "{e}");
        assert_eq!((e.provider(), e.operation()), ("gcp-storage", "presign"));
        let e = s.presign("bkt", "k", m, Duration::from_secs(60)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        assert_eq!(e.capability(), Some(cap));
        assert_eq!(e.raw_code(), Some("NeedsServiceAccountKey"));
    }
}

#[tokio::test]
async fn a_key_that_cannot_sign_fails_at_connect_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        r#"{"type":"service_account","client_email":"x@y","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#,
    )
    .unwrap();
    let mut cfg = GcsConfig::emulator("127.0.0.1:9");
    cfg.signing_key_file = Some(path);
    let e = GcsStorage::connect(&cfg).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(
        e.to_string().contains("broken.json") && !e.to_string().contains("AAAA"),
        "{e}"
    );
}

/// On fake-gcs-server: a signed GET reads the object, a signed PUT stores a body that Nimbus
/// then reads. (Signatures are checked above; the emulator does not check them.)
#[tokio::test]
async fn signed_urls_read_and_write_on_fake_gcs() {
    let ep = match std::env::var("NIMBUS_TEST_GCS_ENDPOINT") {
        Ok(v) => v,
        Err(_) if std::env::var("NIMBUS_REQUIRE_EMULATORS").as_deref() == Ok("1") => {
            panic!("NIMBUS_TEST_GCS_ENDPOINT is not set but NIMBUS_REQUIRE_EMULATORS=1")
        }
        Err(_) => return eprintln!("NIMBUS_TEST_GCS_ENDPOINT not set: skipping (scripts/test runs this)"),
    };
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = throwaway_key(&dir);
    let s = signing_store(&ep, key).await;
    let bucket = format!("signed-{}", std::process::id());
    s.create_bucket(&bucket, &Default::default()).await.unwrap();
    s.put(
        &bucket,
        "dir/read me.txt",
        bytes::Bytes::from_static(b"signed payload"),
        &Default::default(),
    )
    .await
    .unwrap();
    let get = s
        .presign(&bucket, "dir/read me.txt", PresignMethod::Get, Duration::from_secs(300))
        .await
        .unwrap();
    verify_v4(&get, "GET", &public).unwrap();
    let r = reqwest::get(&get).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), "signed payload");
    let put = s
        .presign(
            &bucket,
            "dir/uploaded.bin",
            PresignMethod::Put,
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    verify_v4(&put, "PUT", &public).unwrap();
    let r = reqwest::Client::new()
        .put(&put)
        .body(vec![7u8; 70_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(
        s.get_bytes(&bucket, "dir/uploaded.bin").await.unwrap(),
        vec![7u8; 70_000]
    );
    for k in ["dir/read me.txt", "dir/uploaded.bin"] {
        s.delete(&bucket, k).await.unwrap();
    }
    s.delete_bucket(&bucket).await.unwrap();
}
