//! Bytes moved by storage calls, as `nimbus_bytes_total` [rpc_system, rpc_method, direction]
//! through the `metrics` facade (feature `metrics`; without it these are no-ops).
//!
//! Why in the contract: the metrics layer is an interceptor and sees calls, not bodies; the
//! contract is the one place above every adapter that holds each body (a put's bytes, a
//! streamed put's and a get's chunks as they pass). Counted once per call as the caller sees
//! it (retries below do not count twice); a streamed body counts what actually passed, so a
//! failed transfer shows how far it got. Labels carry no bucket or key (cardinality, secrecy).

use futures::{StreamExt, TryStreamExt};

use crate::storage::ByteStream;

/// `sent` (to the provider) or `received` (from it).
#[derive(Debug, Clone, Copy)]
pub(super) enum Direction {
    Sent,
    Received,
}

/// Counts `n` bytes of `method` on `provider`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(super) fn count(provider: &'static str, method: &'static str, direction: Direction, n: u64) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "nimbus_bytes_total",
        "rpc_system" => provider,
        "rpc_method" => method,
        "direction" => match direction {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    )
    .increment(n);
}

/// `body`, counting each chunk as it passes.
pub(super) fn counted(
    body: ByteStream,
    provider: &'static str,
    method: &'static str,
    direction: Direction,
) -> ByteStream {
    if cfg!(feature = "metrics") {
        body.inspect_ok(move |b| count(provider, method, direction, b.len() as u64))
            .boxed()
    } else {
        body
    }
}
