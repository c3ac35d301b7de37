//! Object headers ↔ [`ObjectMeta`], and user metadata as `X-Object-Meta-*`.
//!
//! How metadata names come back: Swift stores them as HTTP header names, which are
//! case-insensitive, and answers them title-cased (`owner` → `X-Object-Meta-Owner`). So Swift
//! does not declare `metadata_case_preserved`, the adapter hands on the names as the HTTP
//! client gives them (lower-case), and the portable contract folds case on every provider
//! without the flag: a name put as `Build` reads back as `build` whichever tool wrote it (the
//! `swift` CLI's `X-Object-Meta-Color` is `color`). Two things the transport imposes and the
//! adapter does not hide: a name must be an HTTP token (else `InvalidInput` before sending), and Swift's
//! WSGI server turns `_` in header names into `-` (`owner_x` comes back as `owner-x`).
//! Values are sent as raw UTF-8 bytes, as the `swift` CLI sends them.
//!
//! The version token is the ETag (Swift has no generation numbers, and `X-Timestamp` is
//! not in the answer to a PUT). For a Static Large Object the ETag is Swift's SLO ETag
//! (the MD5 of the segments' MD5s, quoted on the wire), not the MD5 of the content.

use std::collections::BTreeMap;
use std::time::SystemTime;

use nimbus_core::storage::{HttpAttributes, ObjectMeta, PutOptions};
use nimbus_core::{Error, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::RequestBuilder;

const META: &str = "x-object-meta-";

/// Adds `X-Object-Meta-<name>` for every entry; `InvalidInput` for a name or value HTTP
/// cannot carry.
pub fn meta_headers(metadata: &BTreeMap<String, String>) -> Result<Vec<(HeaderName, HeaderValue)>> {
    metadata
        .iter()
        .map(|(k, v)| {
            let name = HeaderName::from_bytes(format!("{META}{k}").as_bytes())
                .map_err(|_| Error::invalid(format!("metadata name `{}` is not an HTTP token", k.escape_debug())))?;
            let value = HeaderValue::from_bytes(v.as_bytes()).map_err(|_| {
                Error::invalid(format!(
                    "metadata value of `{k}` holds a control character or a line break"
                ))
            })?;
            Ok((name, value))
        })
        .collect()
}

/// The headers of a put: user metadata and the HTTP attributes (which Swift keeps by its
/// default `allowed_headers`: cache-control, content-disposition, content-encoding,
/// content-language).
pub fn object_headers(options: &PutOptions) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut h = meta_headers(&options.user_metadata)?;
    h.extend(attribute_headers(&options.attributes)?);
    Ok(h)
}

/// The HTTP attributes as request headers.
pub fn attribute_headers(a: &HttpAttributes) -> Result<Vec<(HeaderName, HeaderValue)>> {
    a.fields()
        .into_iter()
        .filter_map(|(name, v)| Some((name, v?)))
        .map(|(name, v)| {
            let value = HeaderValue::from_str(v)
                .map_err(|_| Error::invalid(format!("{name} holds a control character or a line break")))?;
            Ok((HeaderName::from_static(name), value))
        })
        .collect()
}

/// Adds the headers to a request.
pub fn with_headers(mut r: RequestBuilder, headers: &[(HeaderName, HeaderValue)]) -> RequestBuilder {
    for (k, v) in headers {
        r = r.header(k.clone(), v.clone());
    }
    r
}

fn text(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .filter(|s| !s.is_empty())
}

/// An ETag without its quotes (Swift quotes SLO ETags only).
pub fn unquote(etag: &str) -> String {
    etag.trim().trim_start_matches("W/").trim_matches('"').to_string()
}

/// An HTTP date.
pub fn http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

/// Metadata of `key` from the headers of a HEAD, GET or PUT answer. `size` is the whole
/// object's (a ranged GET's `Content-Length` is the range's).
pub fn from_headers(key: &str, size: u64, h: &HeaderMap) -> ObjectMeta {
    let mut m = ObjectMeta::new(key, size);
    m.etag = text(h, "etag").map(|e| unquote(&e));
    m.version = m.etag.clone();
    m.last_modified = text(h, "last-modified").and_then(|s| http_date(&s));
    m.content_type = text(h, "content-type");
    for (name, _) in HttpAttributes::default().fields() {
        if let Some(v) = text(h, name) {
            m.attributes.set(name, v);
        }
    }
    m.user_metadata = h
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix(META)?;
            Some((name.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        })
        .collect();
    m
}

/// The whole object's size: the total of `Content-Range` (a 206), else `Content-Length`.
pub fn object_size(h: &HeaderMap) -> Option<u64> {
    if let Some(cr) = text(h, "content-range") {
        return cr.rsplit('/').next().and_then(|t| t.trim().parse().ok());
    }
    text(h, "content-length").and_then(|s| s.trim().parse().ok())
}

/// The byte range a 206 holds (`Content-Range: bytes a-b/total`), end exclusive.
pub fn content_range(h: &HeaderMap) -> Option<std::ops::Range<u64>> {
    let cr = text(h, "content-range")?;
    let spec = cr.trim().strip_prefix("bytes ")?;
    let (range, _) = spec.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some(a.trim().parse().ok()?..b.trim().parse::<u64>().ok()? + 1)
}

/// Whether the answer is about a Static Large Object manifest.
pub fn is_slo(h: &HeaderMap) -> bool {
    text(h, "x-static-large-object").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        h
    }

    #[test]
    fn headers_to_meta_lower_cases_names_and_unquotes_etags() {
        let h = headers(&[
            ("Etag", "\"37072a0a56d45d7873fc4ad0c65aeb73\""),
            ("Content-Type", "text/plain"),
            ("X-Object-Meta-Build", "42"),
            ("X-Object-Meta-Color", "bläu"),
            ("Last-Modified", "Tue, 01 Dec 2026 12:40:47 GMT"),
            ("X-Static-Large-Object", "True"),
            ("Content-Range", "bytes 2-4/5"),
        ]);
        let m = from_headers("k", object_size(&h).unwrap(), &h);
        assert_eq!(m.size, 5);
        assert_eq!(m.etag.as_deref(), Some("37072a0a56d45d7873fc4ad0c65aeb73"));
        assert_eq!(m.version, m.etag);
        assert_eq!(m.user_metadata.get("build").map(String::as_str), Some("42"));
        assert_eq!(m.user_metadata.get("color").map(String::as_str), Some("bläu"));
        assert!(m.last_modified.is_some() && is_slo(&h));
        assert_eq!(content_range(&h), Some(2..5));
    }

    #[test]
    fn metadata_names_must_be_tokens() {
        let ok: BTreeMap<String, String> = [("Build".to_string(), "4 2".to_string())].into();
        assert_eq!(meta_headers(&ok).unwrap()[0].0.as_str(), "x-object-meta-build");
        let bad: BTreeMap<String, String> = [("a b".to_string(), "x".to_string())].into();
        assert!(meta_headers(&bad).is_err());
        let bad: BTreeMap<String, String> = [("a".to_string(), "x\ny".to_string())].into();
        assert!(meta_headers(&bad).is_err());
    }
}
