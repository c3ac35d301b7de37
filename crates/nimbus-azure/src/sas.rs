//! Shared access signatures signed with an account key, per Azure's documented
//! strings-to-sign (signed version 2020-12-06 and later):
//!
//! - account SAS: <https://learn.microsoft.com/rest/api/storageservices/create-account-sas>
//! - service SAS for one blob: <https://learn.microsoft.com/rest/api/storageservices/create-service-sas>
//!
//! Why sign ourselves: Microsoft's `azure_storage_blob` 1.x authenticates only with Entra ID
//! tokens, and only over https. Account keys and connection strings (`UseDevelopmentStorage=true`
//! for Azurite) are what many customers and every emulator use, so an account key becomes a
//! short-lived account SAS for the client, and presigned URLs are per-blob service SAS.

use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, Mac};
use nimbus_core::config::Secret;
use nimbus_core::{Error, Result};
use sha2::Sha256;

/// The signed version (`sv`) of every SAS Nimbus signs.
pub const SIGNED_VERSION: &str = "2021-10-04";

/// Permissions of a blob SAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobPermission {
    /// Read (`r`).
    Read,
    /// Create and write (`cw`).
    Write,
}

fn sign(key: &Secret, string_to_sign: &str) -> Result<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key.expose())
        .map_err(|_| Error::invalid("the account key is not valid base64"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).map_err(|_| Error::invalid("the account key is empty"))?;
    mac.update(string_to_sign.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC, the form SAS times take.
pub fn iso8601(t: SystemTime) -> String {
    nimbus_core::time::format_rfc3339(t)
}

/// The expiry `ttl` after `now`; a `ttl` past what a time can hold is `InvalidInput`, not a
/// panic (the contract caps presign expiries, but these functions are public).
fn expiry(now: SystemTime, ttl: Duration) -> Result<String> {
    now.checked_add(ttl)
        .map(iso8601)
        .ok_or_else(|| Error::invalid(format!("SAS lifetime {ttl:?} is out of range")))
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// An account SAS for the blob service (all resource types; read, write, delete, list, add,
/// create, update, process), valid from now for `ttl`. The query string, without `?`.
pub fn account_sas(account: &str, key: &Secret, ttl: Duration, now: SystemTime) -> Result<String> {
    account_sas_granting(account, key, "rwdlacup", ttl, now)
}

/// Like [`account_sas`] granting only the permission letters `sp` (`rl`: read and list), for
/// handing out narrower tokens and for testing what a narrow token cannot do.
pub fn account_sas_granting(account: &str, key: &Secret, sp: &str, ttl: Duration, now: SystemTime) -> Result<String> {
    let (ss, srt, spr) = ("b", "sco", "https,http");
    let se = expiry(now, ttl)?;
    // account \n sp \n ss \n srt \n st \n se \n sip \n spr \n sv \n ses \n
    let sts = format!("{account}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n{spr}\n{SIGNED_VERSION}\n\n");
    let sig = sign(key, &sts)?;
    Ok(query(&[
        ("sv", SIGNED_VERSION),
        ("ss", ss),
        ("srt", srt),
        ("sp", sp),
        ("se", &se),
        ("spr", spr),
        ("sig", &sig),
    ]))
}

/// A service SAS for one blob, valid from now for `ttl`. The query string, without `?`.
pub fn blob_sas(
    account: &str,
    container: &str,
    blob: &str,
    perm: BlobPermission,
    key: &Secret,
    ttl: Duration,
    now: SystemTime,
) -> Result<String> {
    let sp = match perm {
        BlobPermission::Read => "r",
        BlobPermission::Write => "cw",
    };
    let se = expiry(now, ttl)?;
    let (spr, sr) = ("https,http", "b");
    let resource = format!("/blob/{account}/{container}/{blob}");
    // sp \n st \n se \n canonicalizedResource \n si \n sip \n spr \n sv \n sr \n snapshot \n
    // ses \n rscc \n rscd \n rsce \n rscl \n rsct
    let sts = format!("{sp}\n\n{se}\n{resource}\n\n\n{spr}\n{SIGNED_VERSION}\n{sr}\n\n\n\n\n\n\n");
    let sig = sign(key, &sts)?;
    Ok(query(&[
        ("sv", SIGNED_VERSION),
        ("sr", sr),
        ("sp", sp),
        ("se", &se),
        ("spr", spr),
        ("sig", &sig),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn times_are_utc_iso8601() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(1_795_551_088)),
            "2026-11-24T20:11:28Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn a_lifetime_past_the_clock_is_an_error_not_a_panic() {
        let key = Secret::new("a2V5");
        let e = blob_sas(
            "a",
            "c",
            "b",
            BlobPermission::Read,
            &key,
            Duration::MAX,
            SystemTime::now(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), nimbus_core::ErrorKind::InvalidInput);
        assert!(account_sas("a", &key, Duration::MAX, SystemTime::now()).is_err());
    }

    #[test]
    fn signatures_are_hmac_sha256_of_the_documented_string() {
        // The key is the emulator's published key; the expected value is recomputed with an
        // independent HMAC (Python's hmac module) over the same string-to-sign.
        let key = Secret::new(crate::config::DEV_ACCOUNT_KEY);
        let sig = sign(
            &key,
            "devstoreaccount1\nr\nb\nsco\n\n2030-01-01T00:00:00Z\n\nhttps,http\n2021-10-04\n\n",
        )
        .unwrap();
        assert_eq!(sig, "rjc23pM4BAG97bKxEcQB+cFjTUTv7lTu2OGLRYSAaRI=");
        assert!(sign(&Secret::new("not base64!"), "x").is_err());
    }

    #[test]
    fn sas_query_has_the_signed_fields_and_no_key() {
        let key = Secret::new(crate::config::DEV_ACCOUNT_KEY);
        let q = blob_sas(
            "devstoreaccount1",
            "c",
            "a b.txt",
            BlobPermission::Read,
            &key,
            Duration::from_secs(60),
            UNIX_EPOCH,
        )
        .unwrap();
        for f in [
            "sv=2021-10-04",
            "sr=b",
            "sp=r",
            "se=1970-01-01T00%3A01%3A00Z",
            "spr=https%2Chttp",
            "sig=",
        ] {
            assert!(q.contains(f), "{f} missing from {q}");
        }
        assert!(!q.contains("Eby8"), "{q}");
    }
}
