//! Presigned URLs as Swift TempURLs.
//!
//! The signature is the hex HMAC, keyed with the account's (or container's) TempURL key,
//! of `METHOD\nEXPIRES\nPATH`, where `PATH` is the **decoded** object path from `/v1/`
//! onward (`/v1/AUTH_<project>/<container>/<object>`) and `EXPIRES` the Unix time the URL
//! stops working; SHA-256 where `/info` allows it, else SHA-1 (documented in the
//! middleware's module docs, `swift/common/middleware/tempurl.py`). The URL is the object's
//! URL with `temp_url_sig` and `temp_url_expires`.
//!
//! Where the key comes from: the `temp_url_key` setting, else the account metadata
//! `X-Account-Meta-Temp-Url-Key` (visible to the account's operators). The adapter never
//! *sets* a key on the account by itself: that would change a credential shared by every
//! client of the project as a side effect of a read-only call, and silently replace
//! nothing only by luck. Without a key, presign is not declared.

use hmac::{Hmac, Mac};

use super::cluster::Digest;
use super::path;

/// The path TempURL signs: `/v1/…` of the endpoint plus container and key, decoded.
/// `None` when the endpoint has no `/v1/` segment.
pub fn signed_path(endpoint: &str, container: &str, key: &str) -> Option<String> {
    let at = endpoint.find("/v1/")?;
    let account = path::decode(endpoint[at..].trim_end_matches('/'));
    Some(format!("{account}/{container}/{key}"))
}

/// The hex signature of `method` on `path` until `expires`.
pub fn signature(digest: Digest, key: &[u8], method: &str, expires: u64, path: &str) -> String {
    let body = format!("{method}\n{expires}\n{path}");
    match digest {
        Digest::Sha1 => {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(body.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Digest::Sha256 => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(body.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
    }
}

/// The presigned URL of an object.
pub fn url(endpoint: &str, container: &str, key: &str, sig: &str, expires: u64) -> String {
    format!(
        "{}{}?temp_url_sig={sig}&temp_url_expires={expires}",
        endpoint.trim_end_matches('/'),
        path::object(container, key)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with Python's `hmac` from the documented recipe
    // (`hmac.new(key, "%s\n%s\n%s" % (method, expires, path), sha256).hexdigest()`).
    #[test]
    fn signatures_match_the_documented_recipe() {
        let path = "/v1/AUTH_account/container/object name";
        assert_eq!(
            signature(Digest::Sha1, b"mykey", "GET", 1_700_000_000, path),
            "52300a76d2b6d64bc88330bdb867c7a3990f1f35"
        );
        assert_eq!(
            signature(Digest::Sha256, b"mykey", "GET", 1_700_000_000, path),
            "92ba9d5e0205b740d7ea130887ca294a36bc4dc24426e3e1318f8716b6b06dfc"
        );
        let p = signed_path("https://swift.example/swift/v1/AUTH_a", "c", "ü/o").unwrap();
        assert_eq!(p, "/v1/AUTH_a/c/ü/o");
        assert_eq!(
            signature(Digest::Sha256, b"mykey", "PUT", 1_700_000_600, &p),
            "ca6a9bb0de239bff949f719d991e51c0b63e7ddcd2fc17384db2c1a009380674"
        );
        assert_eq!(signed_path("https://x/AUTH_a", "c", "k"), None);
    }

    #[test]
    fn url_encodes_the_key() {
        assert_eq!(
            url("http://h/v1/AUTH_a/", "c", "p k", "s", 9),
            "http://h/v1/AUTH_a/c/p%20k?temp_url_sig=s&temp_url_expires=9"
        );
    }
}
