//! Fetching presigned URLs the way a browser or `curl` holding the URL would.

use bytes::Bytes;
use futures::future::BoxFuture;
use nimbus_core::{Error, ErrorKind, Result};

use crate::PresignClient;

/// Fetches presigned URLs over plain HTTP(S), as a browser or `curl` would.
pub struct HttpPresign(reqwest::Client);

impl Default for HttpPresign {
    fn default() -> Self {
        HttpPresign(reqwest::Client::new())
    }
}

/// The portable error for a refused URL. The raw code is the `x-ms-error-code` header
/// (Azure) or the body's `<Code>` element (S3, Azure).
fn status_error(status: u16, header_code: Option<String>, body: &str) -> Error {
    let code = header_code.or_else(|| {
        body.split("<Code>")
            .nth(1)
            .and_then(|r| r.split("</Code>").next())
            .map(str::to_string)
    });
    let kind = match status {
        403 => ErrorKind::PermissionDenied,
        401 => ErrorKind::Unauthenticated,
        404 => ErrorKind::NotFound,
        400 => ErrorKind::InvalidInput,
        _ => ErrorKind::Internal,
    };
    let mut e = Error::new(kind, format!("HTTP {status}"));
    if let Some(c) = code {
        e = e.with_raw_code(c);
    }
    e
}

/// Sends and reads the body; errors never show the URL (it carries the signature).
async fn send(req: reqwest::RequestBuilder) -> Result<Bytes> {
    let net = |e: reqwest::Error| Error::new(ErrorKind::Unavailable, e.without_url().to_string());
    let r = req.send().await.map_err(net)?;
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.bytes().await.map_err(net)?;
    if status >= 300 {
        return Err(status_error(status, code, &String::from_utf8_lossy(&body)));
    }
    Ok(body)
}

impl PresignClient for HttpPresign {
    fn get(&self, url: &str) -> BoxFuture<'_, Result<Bytes>> {
        let req = self.0.get(url);
        Box::pin(send(req))
    }
    fn put(&self, url: &str, body: Bytes) -> BoxFuture<'_, Result<()>> {
        let req = self.0.put(url).body(body);
        Box::pin(async move { send(req).await.map(|_| ()) })
    }
}
