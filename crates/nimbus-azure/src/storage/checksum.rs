//! Whole-blob reads checked against the blob's Content-MD5, end to end.
//!
//! Why: TCP's checksum misses some corruptions, and a proxy, a middlebox or a bad NIC can hand
//! over wrong bytes with the right length. S3 and Cloud Storage clients check the checksums
//! their services send; the Azure SDK does not check `Content-MD5` on a download. Blob
//! storage keeps an MD5 for blobs uploaded in one request (and for any blob whose writer set
//! one), and sends it with every whole-blob read, so the adapter hashes the body as it passes
//! and fails the read at its end when the digest differs. A ranged read carries no digest of
//! its range and is not checked. Reference:
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob#response-headers>.

use futures::StreamExt;
use md5::{Digest, Md5};
use nimbus_core::storage::ByteStream;
use nimbus_core::{Error, ErrorKind};

/// `body`, failing at its end with `Unavailable` (raw code `Md5Mismatch`) when its MD5 is not
/// `expected` (16 bytes), as the S3 and Cloud Storage clients fail a checksum mismatch: a
/// transfer went wrong, and reading again is the remedy. Unchanged without a digest.
pub(super) fn verified(body: ByteStream, expected: Option<Vec<u8>>) -> ByteStream {
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
                        "the blob's bytes do not match its Content-MD5: corrupted in transit",
                    )
                    .with_raw_code("Md5Mismatch")),
                    None,
                )),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures::TryStreamExt;

    use super::*;

    fn body(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<nimbus_core::Result<Bytes>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures::stream::iter(parts).boxed()
    }

    #[tokio::test]
    async fn a_matching_body_passes_and_a_flipped_bit_fails() {
        let md5 = Md5::digest(b"hello world").to_vec();
        let ok: Vec<Bytes> = verified(body(&[b"hello ", b"world"]), Some(md5.clone()))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(ok.concat(), b"hello world");
        let e = verified(body(&[b"hello ", b"worle"]), Some(md5))
            .try_collect::<Vec<Bytes>>()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(e.raw_code(), Some("Md5Mismatch"));
    }
}
