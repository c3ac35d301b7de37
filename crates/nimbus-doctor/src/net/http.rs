//! The smallest HTTP/1.1 exchange doctor needs: one `HEAD` without credentials and the
//! response head (status, `Date`, `Age`, `Server`), and a proxy's `CONNECT`. Written here
//! rather than through an HTTP client so that each step (DNS, TCP, proxy, TLS, HTTP) is
//! observed and timed on its own, and so nothing in the request can carry a secret.

use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes of a response head doctor reads at most.
const MAX_HEAD: usize = 64 * 1024;

/// A response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What one `HEAD` saw, with the times the clock check needs.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The response head.
    pub head: Head,
    /// This machine's time when the request was written.
    pub sent: SystemTime,
    /// From writing the request to reading the head.
    pub rtt: Duration,
}

/// Reads a response head (up to the blank line).
pub async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() >= MAX_HEAD {
            return Err(std::io::Error::other("response head larger than 64 KiB"));
        }
        match s.read(&mut byte).await? {
            0 if buf.is_empty() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection without answering",
                ))
            }
            0 => break,
            _ => buf.push(byte[0]),
        }
    }
    parse_head(&String::from_utf8_lossy(&buf))
}

/// Parses `HTTP/1.1 200 OK\r\nName: value\r\n…`.
pub fn parse_head(text: &str) -> std::io::Result<Head> {
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(std::io::Error::other(format!("not an HTTP answer: {status_line:?}")));
    };
    if !version.starts_with("HTTP/") {
        return Err(std::io::Error::other(format!(
            "not an HTTP answer: {:?}",
            status_line.chars().take(40).collect::<String>()
        )));
    }
    let status = code
        .parse()
        .map_err(|_| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Head {
        status,
        reason: parts.next().unwrap_or("").to_string(),
        headers,
    })
}

/// Sends `HEAD target` (origin form, or absolute form to a proxy) and reads the head.
pub async fn head<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, host: &str, target: &str) -> std::io::Result<Answer> {
    let req = format!(
        "HEAD {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: nimbus-doctor/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let sent = SystemTime::now();
    let t = Instant::now();
    s.write_all(req.as_bytes()).await?;
    s.flush().await?;
    let head = read_head(s).await?;
    Ok(Answer {
        head,
        sent,
        rtt: t.elapsed(),
    })
}

/// Asks a proxy for a tunnel to `authority` (`host:port`); `auth` is a ready
/// `Proxy-Authorization` value.
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    authority: &str,
    auth: Option<&str>,
) -> std::io::Result<Head> {
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(a) = auth {
        req.push_str(&format!("Proxy-Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await?;
    s.flush().await?;
    read_head(s).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_garbage_does_not() {
        let h =
            parse_head("HTTP/1.1 403 Forbidden\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\nX-Amz-Request-Id: 1\r\n\r\n")
                .unwrap();
        assert_eq!((h.status, h.reason.as_str()), (403, "Forbidden"));
        assert_eq!(h.header("date"), Some("Tue, 01 Dec 2026 10:00:00 GMT"));
        assert!(parse_head("SSH-2.0-OpenSSH_9.2\r\n\r\n").is_err());
    }
}
