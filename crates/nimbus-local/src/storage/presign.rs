//! Presigned URLs for the local stores: HMAC-SHA256 over method, bucket, key and expiry.
//!
//! `nimbus-local://BUCKET/KEY?method=GET&expires=UNIX_SECONDS&signature=HEX`. The local store
//! that made the URL (or another process on the same root, which shares the key file) serves
//! it through `fetch_presigned` / `upload_presigned`; any change to the URL breaks the
//! signature, and an expired URL is refused with `PermissionDenied`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use nimbus_core::storage::PresignMethod;
use nimbus_core::{Error, ErrorKind, Result};
use sha2::Sha256;

/// Scheme of local presigned URLs.
pub const SCHEME: &str = "nimbus-local";

fn mac(secret: &[u8], method: PresignMethod, bucket: &str, key: &str, expires: u64) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(format!("{}\n{bucket}\n{key}\n{expires}", method.as_str()).as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

pub(crate) fn sign(
    secret: &[u8],
    _provider: &str,
    bucket: &str,
    key: &str,
    method: PresignMethod,
    expires_in: Duration,
) -> String {
    let expires = now() + expires_in.as_secs().max(1);
    let sig = hex::encode(mac(secret, method, bucket, key, expires));
    let mut u = url::Url::parse(&format!("{SCHEME}://{bucket}/")).expect("bucket names are valid hosts");
    u.set_path(key);
    u.query_pairs_mut()
        .append_pair("method", method.as_str())
        .append_pair("expires", &expires.to_string())
        .append_pair("signature", &sig);
    u.to_string()
}

/// Checks a URL and returns its bucket and key.
pub(crate) fn verify(secret: &[u8], url: &str, method: PresignMethod) -> Result<(String, String)> {
    let denied = |why: &str| Error::new(ErrorKind::PermissionDenied, format!("presigned URL refused: {why}"));
    let u = url::Url::parse(url).map_err(|_| Error::invalid("not a presigned URL"))?;
    if u.scheme() != SCHEME {
        return Err(Error::invalid(format!("not a {SCHEME}:// URL")));
    }
    let bucket = u.host_str().unwrap_or_default().to_string();
    let raw_path = u.path().trim_start_matches('/');
    let key = percent_decode(raw_path);
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    let (Some(m), Some(exp), Some(sig)) = (q.get("method"), q.get("expires"), q.get("signature")) else {
        return Err(denied("method, expires or signature missing"));
    };
    if m != method.as_str() {
        return Err(denied(&format!("signed for {m}, used for {}", method.as_str())));
    }
    let expires: u64 = exp.parse().map_err(|_| denied("bad expiry"))?;
    let want = mac(secret, method, &bucket, &key, expires);
    let got = hex::decode(sig).map_err(|_| denied("bad signature"))?;
    // Constant-time comparison via the MAC's verify.
    let mut m2 = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    m2.update(format!("{}\n{bucket}\n{key}\n{expires}", method.as_str()).as_bytes());
    if m2.verify_slice(&got).is_err() || want.len() != got.len() {
        return Err(denied("signature does not match"));
    }
    if now() >= expires {
        return Err(denied("expired"));
    }
    Ok((bucket, key))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = b"secret";
        let u = sign(
            k,
            "local-fs",
            "bkt",
            "a b/ü.txt",
            PresignMethod::Get,
            Duration::from_secs(60),
        );
        assert_eq!(
            verify(k, &u, PresignMethod::Get).unwrap(),
            ("bkt".into(), "a b/ü.txt".into())
        );
        assert_eq!(
            verify(k, &u, PresignMethod::Put).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let t = u.replace("bkt", "other");
        assert_eq!(
            verify(k, &t, PresignMethod::Get).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        assert!(verify(b"other-key", &u, PresignMethod::Get).is_err());
    }
}
