//! Whole-object reads checked against the MD5 the provider stored, end to end.
//!
//! Why: TCP's checksum misses some corruptions, and a proxy, a middlebox or a bad NIC can hand
//! over wrong bytes with the right length. The S3 and Cloud Storage clients check the
//! checksums their services send; two adapters must check for themselves, and do it here,
//! once:
//!
//! - Azure Blob keeps an MD5 for blobs uploaded in one request (and for any blob whose writer
//!   set one) and sends it with every whole-blob read; the Azure SDK does not check it
//!   (<https://learn.microsoft.com/rest/api/storageservices/get-blob#response-headers>).
//! - Swift's ETag of an ordinary object is the MD5 of its bytes (not of a static or dynamic
//!   large object's manifest), sent with every read
//!   (<https://docs.openstack.org/swift/latest/api/object_api_v1_overview.html>).
//!
//! The body is hashed as it passes and the read fails at its end when the digest differs. A
//! ranged read carries no digest of its range and is not checked.

use futures::StreamExt;
use md5::{Digest, Md5};

use crate::storage::ByteStream;
use crate::{Error, ErrorKind};

/// `body`, failing at its end with `Unavailable` (raw code `Md5Mismatch`) when its MD5 is not
/// `expected` (16 bytes), as the S3 and Cloud Storage clients fail a checksum mismatch: a
/// transfer went wrong, and reading again is the remedy. `claim` names the digest in the
/// error (`the blob's Content-MD5`). Unchanged without a digest.
pub fn md5_verified(body: ByteStream, expected: Option<Vec<u8>>, claim: &'static str) -> ByteStream {
    let Some(expected) = expected.filter(|d| d.len() == 16) else {
        return body;
    };
    futures::stream::unfold(Some((body, Md5::new())), move |state| {
        let expected = expected.clone();
        async move {
            let (mut body, mut hash) = state?;
            match body.next().await {
                Some(Ok(chunk)) => {
                    hash.update(&chunk);
                    Some((Ok(chunk), Some((body, hash))))
                }
                Some(Err(e)) => Some((Err(e), None)),
                None if hash.finalize().as_slice() == expected.as_slice() => None,
                None => Some((
                    Err(Error::new(
                        ErrorKind::Unavailable,
                        format!("the bytes read do not match {claim}: corrupted in transit"),
                    )
                    .with_raw_code("Md5Mismatch")),
                    None,
                )),
            }
        }
    })
    .boxed()
}

/// A hex MD5 (an ETag that is one) as its 16 bytes; `None` for anything else.
pub fn md5_from_hex(hex: &str) -> Option<Vec<u8>> {
    let hex = hex.trim_matches('"');
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures::TryStreamExt;

    use super::*;

    fn body(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<crate::Result<Bytes>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures::stream::iter(parts).boxed()
    }

    #[tokio::test]
    async fn a_matching_body_passes_and_a_flipped_bit_fails() {
        let md5 = Md5::digest(b"hello world").to_vec();
        let ok: Vec<Bytes> = md5_verified(body(&[b"hello ", b"world"]), Some(md5.clone()), "the test's digest")
            .try_collect()
            .await
            .unwrap();
        assert_eq!(ok.concat(), b"hello world");
        let e = md5_verified(body(&[b"hello ", b"worle"]), Some(md5), "the test's digest")
            .try_collect::<Vec<Bytes>>()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.raw_code(), Some("Md5Mismatch"));
        assert!(e.message().contains("the test's digest"), "{e}");
    }

    #[test]
    fn hex_etags_are_digests_and_others_are_not() {
        let d = md5_from_hex("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"").unwrap();
        assert_eq!(d, Md5::digest(b"hello world").to_vec());
        assert!(md5_from_hex("5eb63bbbe01eeed093cb22bb8f5acdc3-2").is_none());
        assert!(md5_from_hex("zz").is_none());
        assert!(md5_from_hex("5eb63bbbe01eeed093cb22bb8f5acdcg").is_none());
    }
}
