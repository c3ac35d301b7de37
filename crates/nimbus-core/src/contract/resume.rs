//! A body read that never ends short and survives a broken connection.
//!
//! Why in the contract: an adapter's SDK reports a connection reset in the middle of a body as
//! an error of the stream, long after the call (and the retry layer around it) returned; and
//! a body that simply stops early (a proxy closing a keep-alive connection, an HTTP/1.0 hop)
//! may not be reported at all. The contract knows how many bytes the answer announced
//! (`GetResult::range`), so it checks, once for every provider:
//!
//! - a body that ends before its range is complete is an error (`Unavailable`, retryable),
//!   never a silently short read; one that runs past it is `Internal`;
//! - a retryable error, or an early end, is *resumed*: the rest of the range is asked for
//!   again, pinned to the ETag of the first answer (`If-Match`), at most `resumes` times (the
//!   retry budget). If the object changed meanwhile, the read ends with `Conflict`, never
//!   with the bytes of two versions. The caller sees one unbroken stream.
//!
//! Resuming needs a ranged, conditional get and an ETag; without them the first error is the
//! caller's (still never a short read). OpenDAL's retry layer resumes interrupted reads the
//! same way; object_store retries a get's body from the offset reached.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;

use crate::storage::{ByteStream, GetOptions, GetRange, GetResult, Storage};
use crate::{Error, ErrorKind, Result};

/// Where a resumed read is and what it may still do.
struct Reading<T: Storage + ?Sized> {
    store: Arc<T>,
    bucket: String,
    key: String,
    body: ByteStream,
    /// The next byte expected (absolute offset in the object).
    pos: u64,
    /// One past the last byte announced.
    end: u64,
    /// The ETag the rest of the read is pinned to; `None`: no resuming.
    pin: Option<String>,
    resumes_left: u32,
    idle: Option<Duration>,
}

fn bounded(body: ByteStream, idle: Option<Duration>) -> ByteStream {
    match idle {
        Some(d) => super::idle::idle_timeout(body, d),
        None => body,
    }
}

/// How a read may be resumed.
pub(super) struct Resume {
    /// The provider declares ranged and conditional gets.
    pub can: bool,
    /// Most resumes of one read.
    pub times: u32,
    /// The idle timeout each body gets (a stall is then an interruption like a reset).
    pub idle: Option<Duration>,
}

impl Resume {
    /// `got`'s body, checked against its range and resumed after an interruption.
    pub(super) fn checked<T: Storage + ?Sized + 'static>(
        &self,
        store: Arc<T>,
        bucket: &str,
        key: &str,
        got: &mut GetResult,
    ) {
        let body = bounded(
            std::mem::replace(&mut got.body, futures::stream::empty().boxed()),
            self.idle,
        );
        let state = Reading {
            store,
            bucket: bucket.to_string(),
            key: key.to_string(),
            body,
            pos: got.range.start,
            end: got.range.end,
            pin: got.meta.etag.clone().filter(|_| self.can),
            resumes_left: self.times,
            idle: self.idle,
        };
        got.body = futures::stream::unfold(Some(state), |state| async move {
            let mut s = state?;
            loop {
                let interrupted = match s.body.next().await {
                    Some(Ok(chunk)) => {
                        let n = chunk.len() as u64;
                        if s.pos + n > s.end {
                            let e = Error::internal(format!(
                                "the body ran past the {} bytes it announced (at byte {})",
                                s.end,
                                s.pos + n
                            ));
                            return Some((Err(e), None));
                        }
                        s.pos += n;
                        if n == 0 {
                            continue;
                        }
                        return Some((Ok::<Bytes, Error>(chunk), Some(s)));
                    }
                    None if s.pos == s.end => return None,
                    None => Error::new(
                        ErrorKind::Unavailable,
                        format!("the body ended at byte {} of {}", s.pos, s.end),
                    ),
                    Some(Err(e)) => e,
                };
                // Nothing left to ask for (a failure at the very end, e.g. a checksum mismatch the
                // SDK found after the last byte): the read's own error.
                if !interrupted.is_retryable() || s.resumes_left == 0 || s.pin.is_none() || s.pos == s.end {
                    return Some((Err(interrupted), None));
                }
                s.resumes_left -= 1;
                tracing::debug!(bucket = %s.bucket, key = %s.key, at = s.pos, of = s.end, error = %interrupted, "resuming an interrupted read");
                match resume(&*s.store, &s.bucket, &s.key, s.pos..s.end, s.pin.clone()).await {
                    Ok(body) => s.body = bounded(body, s.idle),
                    Err(e) => return Some((Err(e), None)),
                }
            }
        })
        .fuse()
        .boxed();
    }
}

/// The rest of the range, pinned to the first answer's ETag.
async fn resume<T: Storage + ?Sized>(
    store: &T,
    bucket: &str,
    key: &str,
    rest: std::ops::Range<u64>,
    pin: Option<String>,
) -> Result<ByteStream> {
    let options = GetOptions {
        range: Some(GetRange::Bounded(rest.clone())),
        if_match: pin.clone(),
        ..Default::default()
    };
    let got = store.get(bucket, key, &options).await.map_err(|e| {
        if e.kind() == ErrorKind::PreconditionFailed {
            changed(&rest)
        } else {
            e
        }
    })?;
    // A backend that ignores `If-Match` (some S3 emulators do) would hand back the new
    // version's bytes: the answer's own ETag must still be the pinned one.
    if pin.is_some()
        && got.meta.etag.as_deref().map(|e| e.trim_matches('"')) != pin.as_deref().map(|p| p.trim_matches('"'))
    {
        return Err(changed(&rest));
    }
    if got.range.start != rest.start {
        return Err(Error::internal(format!(
            "a resumed read asked for byte {} and got an answer from byte {}",
            rest.start, got.range.start
        )));
    }
    Ok(got.body)
}

/// The read's end when the object changed under it: typed, and without any new bytes.
fn changed(rest: &std::ops::Range<u64>) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "the object changed while it was read (at byte {} of {}); nothing of the new version was returned",
            rest.start, rest.end
        ),
    )
}
