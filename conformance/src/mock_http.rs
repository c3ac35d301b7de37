//! One loopback HTTP server for the vendor-replay tests.
//!
//! The Azure Resource Manager and Compute Engine replay tests (`nimbus-azure/tests/replay`,
//! `nimbus-gcp/tests/gce`) each need a local endpoint that takes one request at a time,
//! judges it against the vendor's material and answers. The transport is the same for both,
//! so it lives here, once: [`MockHttp::start`] binds `127.0.0.1` on a free port (never
//! another interface: the mock is for the test process alone), reads each request's head and
//! `Content-Length` body, hands the [`Request`] to the test's handler and writes the
//! [`Response`] back with its `Content-Length` and `Connection: close`, then closes the
//! connection (one exchange per connection, so the adapter's client cannot pipeline past a
//! check).
//!
//! What stays in each adapter's test is what differs between vendors: the scripted
//! exchanges and the judging (Azure's published examples; Google's discovery document and
//! recorded logs). The server knows nothing of either.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The request target as sent: path and query (`/a/b?x=1`), still percent-encoded.
    pub target: String,
    /// The header fields, in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes; empty without one).
    pub body: Vec<u8>,
}

impl Request {
    /// The target's path (before any `?`).
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The target's query (after the `?`; empty without one).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The answer a handler gives. `Content-Length` and `Connection` are the server's: headers
/// of those names given here are not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An answer with this status, no headers and no body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON answer: the value's text with `content-type: application/json`, or no body and
    /// no content type when the value is `null`.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        if body.is_null() {
            return Response::new(status);
        }
        Response::new(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds these headers, in order.
    pub fn headers<'a>(mut self, headers: impl IntoIterator<Item = &'a (String, String)>) -> Response {
        self.headers.extend(headers.into_iter().cloned());
        self
    }

    /// Sets the content type, replacing any other (also when there is no body).
    pub fn content_type(mut self, value: &str) -> Response {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        self.header("content-type", value)
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// The bytes on the wire: status line, headers, `Content-Length`, `Connection: close`,
    /// the body.
    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\nconnection: close\r\n",
            self.status,
            reason(self.status),
            self.body.len()
        );
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("content-length") && !k.eq_ignore_ascii_case("connection") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// A reason phrase (clients ignore it; it keeps the status line well-formed and readable).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// What answers each request.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// The running server. Dropping it stops accepting connections.
pub struct MockHttp {
    /// The bound address (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    accept: JoinHandle<()>,
}

impl MockHttp {
    /// Binds `127.0.0.1` on a free port and serves every request with `handler`, each
    /// connection in its own task of the current Tokio runtime.
    pub async fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> MockHttp {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding 127.0.0.1");
        let addr = listener.local_addr().expect("the bound address");
        let accept = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, handler.clone()));
            }
        });
        MockHttp {
            addr,
            base: format!("http://{addr}"),
            accept,
        }
    }
}

impl Drop for MockHttp {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One exchange: read the request, answer it, close.
async fn serve(mut sock: TcpStream, handler: Handler) {
    let Some(request) = read_request(&mut sock).await else {
        return;
    };
    let answer = handler(&request).to_bytes();
    let _ = sock.write_all(&answer).await;
    let _ = sock.shutdown().await;
}

/// Reads the head (to the blank line) and a `Content-Length` body; `None` when the client
/// closed first or the request line is malformed.
async fn read_request(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut request = Request {
        method,
        target,
        headers,
        body: buf[head_end..].to_vec(),
    };
    let len: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while request.body.len() < len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        request.body.extend_from_slice(&tmp[..n]);
    }
    Some(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Sends raw bytes and reads the whole answer (the server closes the connection).
    async fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
        let mut sock = TcpStream::connect(addr).await.unwrap();
        sock.write_all(raw).await.unwrap();
        let mut out = Vec::new();
        sock.read_to_end(&mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn a_request_with_a_body_round_trips_and_the_answer_comes_back() {
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        let s = seen.clone();
        let server = MockHttp::start(move |r: &Request| {
            s.lock().unwrap().push(r.clone());
            Response::new(201)
                .header("x-request-id", "abc")
                .header("Content-Length", "999")
                .body(r.body.clone())
        })
        .await;
        assert!(server.addr.ip().is_loopback());
        assert_eq!(server.base, format!("http://{}", server.addr));

        // The body arrives in a second write, after the head.
        let mut sock = TcpStream::connect(server.addr).await.unwrap();
        sock.write_all(
            b"PUT /a/b%20c?x=1&y=2 HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello",
        )
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        sock.write_all(b" world").await.unwrap();
        let mut out = Vec::new();
        sock.read_to_end(&mut out).await.unwrap();
        let answer = String::from_utf8(out).unwrap();

        assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer}");
        assert!(answer.contains("\r\nx-request-id: abc\r\n"), "{answer}");
        assert!(answer.contains("\r\ncontent-length: 11\r\n"), "{answer}");
        assert!(
            !answer.contains("999"),
            "the handler's Content-Length is not sent: {answer}"
        );
        assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nhello world"), "{answer}");

        let r = seen.lock().unwrap()[0].clone();
        assert_eq!((r.method.as_str(), r.path(), r.query()), ("PUT", "/a/b%20c", "x=1&y=2"));
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.body, b"hello world");
    }

    #[tokio::test]
    async fn json_answers_and_requests_without_a_body() {
        let server = MockHttp::start(|r: &Request| {
            assert!(r.body.is_empty());
            match r.path() {
                "/none" => Response::json(404, &serde_json::Value::Null),
                _ => Response::json(200, &serde_json::json!({"a": 1})).content_type("application/json; charset=UTF-8"),
            }
        })
        .await;
        let some = exchange(server.addr, b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert!(some.starts_with("HTTP/1.1 200 OK\r\n"), "{some}");
        assert!(
            some.contains("\r\ncontent-type: application/json; charset=UTF-8\r\n"),
            "{some}"
        );
        assert_eq!(some.matches("content-type").count(), 1, "{some}");
        assert!(some.ends_with("\r\n\r\n{\"a\":1}"), "{some}");
        let none = exchange(server.addr, b"DELETE /none HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert!(none.starts_with("HTTP/1.1 404 Not Found\r\n"), "{none}");
        assert!(none.contains("\r\ncontent-length: 0\r\n"), "{none}");
        assert!(!none.contains("content-type"), "{none}");
        assert!(none.ends_with("\r\n\r\n"), "{none}");
    }
}
