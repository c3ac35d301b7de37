//! A body that ends with `Timeout` when it stalls, at no cost per chunk.
//!
//! Why not `tokio::time::timeout` around each chunk (the first version): that builds a timer
//! for every chunk, reading the clock and registering with the runtime's timer each time.
//! A 16 MiB read arrives in a thousand or more chunks, and the callgrind table in
//! docs/benchmarks.md showed the contract's read path at 1.36× the raw S3 SDK's
//! instructions, most of it these timers. Here one timer is armed per stretch of `idle`:
//! a chunk only sets a flag, and when the timer fires it is armed again if data came
//! meanwhile. So a stall ends the body between one and two `idle` periods after its last
//! chunk (the setting's documented meaning: "no data for this long" is the lower bound).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::storage::ByteStream;
use crate::{Error, ErrorKind};

/// `body`, ended with `ErrorKind::Timeout` when no chunk arrives for `idle` (up to twice
/// that), and fused: some consumers (object_store's `collect_bytes`) poll once more after the
/// end.
pub(super) fn idle_timeout(body: ByteStream, idle: Duration) -> ByteStream {
    IdleTimeout {
        body,
        idle,
        // Armed on the first poll: the runtime's timer is only reachable inside it.
        timer: None,
        progressed: false,
        done: false,
    }
    .boxed()
}

struct IdleTimeout {
    body: ByteStream,
    idle: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    /// A chunk arrived since the timer was last armed.
    progressed: bool,
    done: bool,
}

impl Stream for IdleTimeout {
    type Item = crate::Result<bytes::Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match this.body.poll_next_unpin(cx) {
            Poll::Ready(Some(item)) => {
                this.progressed = true;
                return Poll::Ready(Some(item));
            }
            Poll::Ready(None) => {
                this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let idle = this.idle;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        while timer.as_mut().poll(cx).is_ready() {
            if !std::mem::take(&mut this.progressed) {
                this.done = true;
                return Poll::Ready(Some(Err(Error::new(
                    ErrorKind::Timeout,
                    format!("the body stalled: no data for {idle:?}"),
                ))));
            }
            timer.as_mut().reset(Instant::now() + idle);
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn chunks(n: usize) -> ByteStream {
        futures::stream::iter((0..n).map(|_| Ok(Bytes::from_static(b"x")))).boxed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_flowing_body_passes_whole_and_a_stall_is_a_timeout() {
        let all: Vec<_> = idle_timeout(chunks(1000), Duration::from_secs(1)).collect().await;
        assert_eq!(all.len(), 1000);
        assert!(all.iter().all(Result::is_ok));

        let stalled = chunks(2).chain(futures::stream::pending()).boxed();
        let start = Instant::now();
        let mut s = idle_timeout(stalled, Duration::from_secs(5));
        assert!(s.next().await.unwrap().is_ok());
        assert!(s.next().await.unwrap().is_ok());
        let e = s.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited <= Duration::from_secs(10),
            "{waited:?}"
        );
        assert!(s.next().await.is_none(), "fused after the timeout");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_but_steady_data_is_not_a_stall() {
        // A chunk every 3 s with a 5 s idle timeout: never a timeout, whatever the phase.
        let slow = futures::stream::unfold(0, |i| async move {
            if i == 6 {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
            Some((Ok(Bytes::from_static(b"y")), i + 1))
        })
        .boxed();
        let all: Vec<_> = idle_timeout(slow, Duration::from_secs(5)).collect().await;
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(Result::is_ok), "{all:?}");
    }
}
