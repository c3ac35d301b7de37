//! Progress bars for long transfers and waits (hidden when stderr is not a terminal).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use nimbus::storage::ByteStream;

/// Transfers at least this large get a bar.
pub const BAR_THRESHOLD: u64 = 8 * 1024 * 1024;

/// A byte bar for a transfer of `total` bytes (unknown: spinner).
pub fn bytes_bar(total: Option<u64>, what: &str) -> ProgressBar {
    let pb = match total {
        Some(t) if t >= BAR_THRESHOLD => ProgressBar::new(t),
        Some(_) => ProgressBar::hidden(),
        None => ProgressBar::new_spinner(),
    };
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Counts bytes through a stream onto a bar.
pub fn track(stream: ByteStream, pb: Arc<ProgressBar>) -> ByteStream {
    Box::pin(stream.map(move |c: nimbus::Result<Bytes>| {
        if let Ok(b) = &c {
            pb.inc(b.len() as u64);
        }
        c
    }))
}

/// A spinner for waits.
pub fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
