//! Nimbus's own logs during a bundle run, kept in memory and bounded: the bundle's
//! `logs/nimbus.log`.
//!
//! Why a writer and not a file: the customer's operator should not have to find (or enable)
//! a log file before a bundle is useful; the process that makes the bundle installs a second
//! `tracing` output into this buffer at debug level for Nimbus's crates, independent of what
//! its terminal shows, and the bundle takes the buffer at the end. Only the last `limit`
//! bytes are kept (the end of a run is where it failed), so memory stays bounded however
//! chatty a run is. The text is redacted and anonymized like every other member.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A bounded in-memory log (cheap to clone: clones share the buffer). Use it as a
/// `tracing_subscriber` writer (`fmt::layer().with_writer(capture.clone())`).
#[derive(Clone, Debug)]
pub struct LogCapture {
    inner: Arc<Mutex<Ring>>,
}

#[derive(Debug)]
struct Ring {
    buf: VecDeque<u8>,
    limit: usize,
    dropped: u64,
}

impl LogCapture {
    /// A capture keeping the last `limit` bytes.
    pub fn new(limit: usize) -> Self {
        LogCapture {
            inner: Arc::new(Mutex::new(Ring {
                buf: VecDeque::new(),
                limit,
                dropped: 0,
            })),
        }
    }

    /// What was captured, starting at a line boundary when older bytes were dropped, with a
    /// first line saying how many.
    pub fn contents(&self) -> String {
        let r = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let bytes: Vec<u8> = r.buf.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if r.dropped == 0 {
            return text;
        }
        let start = text.find('\n').map_or(0, |i| i + 1);
        format!(
            "[nimbus: {} earlier byte(s) dropped to stay within {} bytes]\n{}",
            r.dropped + start as u64,
            r.limit,
            &text[start..]
        )
    }
}

impl Write for LogCapture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut r = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let data = if data.len() > r.limit {
            r.dropped += (data.len() - r.limit) as u64;
            &data[data.len() - r.limit..]
        } else {
            data
        };
        let over = (r.buf.len() + data.len()).saturating_sub(r.limit);
        r.buf.drain(..over);
        r.dropped += over as u64;
        r.buf.extend(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_bytes_are_kept_from_a_line_boundary() {
        let mut c = LogCapture::new(64);
        for i in 0..100 {
            writeln!(c, "line {i:03} of the run").unwrap();
        }
        let text = c.contents();
        assert!(text.starts_with("[nimbus: "), "{text}");
        assert!(text.ends_with("line 099 of the run\n"), "{text}");
        assert!(!text.contains("line 000"), "{text}");
        assert!(text.len() <= 64 + 80, "{}", text.len());
        let body: Vec<&str> = text.lines().skip(1).collect();
        assert!(body.iter().all(|l| l.starts_with("line ")), "{body:?}");
    }
}
