//! Listing blobs with a delimiter, over the REST API.
//!
//! Why not the SDK: `azure_storage_blob` 1.1 removed hierarchical listing (its `list_blobs`
//! has no delimiter and its response model no `BlobPrefix`). Grouping a flat listing on the
//! client would read every blob below a "directory" to show one line for it, so Nimbus sends
//! the documented List Blobs request itself
//! (<https://learn.microsoft.com/rest/api/storageservices/list-blobs>), with the same
//! authorisation as the SDK client, and parses `EnumerationResults`.
//!
//! `start_after` is exclusive in Nimbus; Azure's `startFrom` is inclusive and Azurite ignores
//! it, so keys at or before `start_after` are also dropped here.

use std::time::SystemTime;

use nimbus_core::storage::{ListOptions, ListPage, ObjectMeta};
use nimbus_core::{Error, ErrorKind, Result};
use serde::Deserialize;

use super::client::Clients;

/// The REST version the listing request asks for (the SDK's own default).
const VERSION: &str = "2026-04-06";

#[derive(Debug, Deserialize)]
struct EnumerationResults {
    #[serde(rename = "Blobs", default)]
    blobs: Blobs,
    #[serde(rename = "NextMarker", default)]
    next_marker: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Blobs {
    #[serde(rename = "$value", default)]
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
enum Item {
    Blob(Blob),
    BlobPrefix(Prefix),
}

#[derive(Debug, Deserialize)]
struct Name {
    #[serde(rename = "@Encoded", default)]
    encoded: Option<bool>,
    #[serde(rename = "$text", default)]
    text: String,
}

impl Name {
    fn decode(self) -> Result<String> {
        if self.encoded == Some(true) {
            url::form_urlencoded::parse(format!("n={}", self.text.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .ok_or_else(|| Error::internal("an encoded blob name could not be decoded"))
        } else {
            Ok(self.text)
        }
    }
}

#[derive(Debug, Deserialize)]
struct Blob {
    #[serde(rename = "Name")]
    name: Name,
    #[serde(rename = "Properties")]
    properties: Properties,
}

#[derive(Debug, Deserialize)]
struct Properties {
    #[serde(rename = "Content-Length", default)]
    content_length: Option<u64>,
    #[serde(rename = "Etag", default)]
    etag: Option<String>,
    #[serde(rename = "Last-Modified", default)]
    last_modified: Option<String>,
    #[serde(rename = "Content-Type", default)]
    content_type: Option<String>,
    #[serde(rename = "AccessTier", default)]
    access_tier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Prefix {
    #[serde(rename = "Name")]
    name: Name,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn http_date(s: &str) -> Option<SystemTime> {
    azure_core::time::parse_rfc7231(s).ok().map(SystemTime::from)
}

/// One page of a listing. `token` is Azure's opaque `NextMarker`.
pub(crate) async fn list_page(
    clients: &Clients,
    container: &str,
    options: &ListOptions,
    token: Option<String>,
    max_page: usize,
) -> Result<ListPage> {
    let mut q = format!("{}?restype=container&comp=list", enc(container));
    if let Some(p) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
        q.push_str(&format!("&prefix={}", enc(p)));
    }
    if let Some(d) = options.delimiter.as_deref().filter(|d| !d.is_empty()) {
        q.push_str(&format!("&delimiter={}", enc(d)));
    }
    let page = options.page_size.unwrap_or(max_page).clamp(1, max_page);
    q.push_str(&format!("&maxresults={page}"));
    match (&token, &options.start_after) {
        (Some(m), _) => q.push_str(&format!("&marker={}", enc(m))),
        (None, Some(s)) => q.push_str(&format!("&startFrom={}", enc(s))),
        (None, None) => {}
    }
    let resp = clients
        .rest_get(&q)
        .await?
        .header("x-ms-version", VERSION)
        .send()
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("list blobs: {}", crate::identity::redact(&e.to_string())),
            )
        })?;
    let status = resp.status().as_u16();
    let code = resp
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let rid = resp
        .headers()
        .get("x-ms-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("list blobs body: {}", crate::identity::redact(&e.to_string())),
        )
    })?;
    if status >= 300 {
        let mut e = Error::new(
            crate::error::kind_for(code.as_deref(), Some(status)),
            format!(
                "HTTP {status}{}",
                code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
            ),
        );
        if let Some(c) = code {
            e = e.with_raw_code(c);
        }
        if let Some(r) = rid {
            e = e.with_request_id(r);
        }
        return Err(e);
    }
    parse(&body, options.start_after.as_deref())
}

fn parse(xml: &str, start_after: Option<&str>) -> Result<ListPage> {
    let r: EnumerationResults =
        quick_xml::de::from_str(xml).map_err(|e| Error::internal(format!("unexpected List Blobs response: {e}")))?;
    let mut page = ListPage::default();
    for item in r.blobs.items {
        match item {
            Item::Blob(b) => {
                let key = b.name.decode()?;
                if start_after.is_some_and(|s| key.as_str() <= s) {
                    continue;
                }
                let mut m = ObjectMeta::new(key, b.properties.content_length.unwrap_or(0));
                m.etag = b.properties.etag.map(|e| e.trim_matches('"').to_string());
                m.version = m.etag.clone();
                m.last_modified = b.properties.last_modified.as_deref().and_then(http_date);
                m.content_type = b.properties.content_type;
                m.storage_class = b.properties.access_tier.as_deref().map(super::class::from_tier);
                page.objects.push(m);
            }
            Item::BlobPrefix(p) => {
                let p = p.name.decode()?;
                // Every key under `p` sorts before `start_after` unless `start_after` is
                // itself under `p`.
                if start_after.is_some_and(|s| p.as_str() < s && !s.starts_with(p.as_str())) {
                    continue;
                }
                page.common_prefixes.push(p);
            }
        }
    }
    page.next_token = r.next_marker.filter(|m| !m.is_empty());
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://x/" ContainerName="c"><Prefix/><Marker/><MaxResults>2</MaxResults><Delimiter>/</Delimiter><Blobs><BlobPrefix><Name>a/</Name></BlobPrefix><Blob><Name>b</Name><Properties><Last-Modified>Tue, 24 Nov 2026 22:57:23 GMT</Last-Modified><Etag>0x8DC</Etag><Content-Length>1</Content-Length><Content-Type>text/plain</Content-Type></Properties><OrMetadata/></Blob><Blob><Name Encoded="true">%EF%BF%BF</Name><Properties><Content-Length>3</Content-Length></Properties></Blob></Blobs><NextMarker>2!abc</NextMarker></EnumerationResults>"#;

    #[test]
    fn parses_prefixes_blobs_encoded_names_and_marker() {
        let p = parse(XML, None).unwrap();
        assert_eq!(p.common_prefixes, vec!["a/"]);
        assert_eq!(p.objects.len(), 2);
        assert_eq!(p.objects[0].key, "b");
        assert_eq!(p.objects[0].etag.as_deref(), Some("0x8DC"));
        assert!(p.objects[0].last_modified.is_some());
        assert_eq!(p.objects[1].key, "\u{FFFF}");
        assert_eq!(p.next_token.as_deref(), Some("2!abc"));
    }

    #[test]
    fn start_after_is_exclusive() {
        let p = parse(XML, Some("b")).unwrap();
        assert_eq!(p.objects.len(), 1);
        assert!(p.common_prefixes.is_empty());
        let p = parse(XML, Some("a/1")).unwrap();
        assert_eq!(p.common_prefixes, vec!["a/"]);
    }
}
