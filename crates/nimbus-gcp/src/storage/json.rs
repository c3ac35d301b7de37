//! The Cloud Storage JSON API over reqwest, for what google-cloud-storage 1.x only offers over
//! gRPC (buckets, listing, metadata, rewrite, delete) and no emulator serves.
//! <https://cloud.google.com/storage/docs/json_api/v1>

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use google_cloud_auth::credentials::{CacheableResource, Credentials};
use nimbus_core::storage::ObjectMeta;
use nimbus_core::{Error, ErrorKind, Result};
use serde_json::Value;

use crate::error::from_json_error;

/// A JSON API client with the adapter's credentials.
#[derive(Clone, Debug)]
pub(crate) struct JsonApi {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: String,
    pub(crate) creds: Option<Credentials>,
}

/// Percent-encodes one path segment (an object name's `/` included).
pub(crate) fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl JsonApi {
    async fn auth(&self, mut req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder> {
        if let Some(c) = &self.creds {
            match c.headers(http::Extensions::new()).await {
                Ok(CacheableResource::New { data, .. }) => {
                    for (k, v) in data.iter() {
                        req = req.header(k.as_str(), v.as_bytes());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Unauthenticated,
                        format!("Google credentials: {e}"),
                    ))
                }
            }
        }
        Ok(req)
    }

    /// Sends `method path_and_query` with an optional JSON body; the JSON answer (`Null` when
    /// empty) or the portable error.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let url = format!("{}{path_and_query}", self.endpoint);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(serde_json::to_vec(b).map_err(|e| Error::internal(e.to_string()))?);
        }
        let req = self.auth(req).await?;
        let resp = req.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unavailable
            };
            Error::new(kind, format!("{method} {path_and_query}: {}", e.without_url()))
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| Error::new(ErrorKind::Unavailable, e.without_url().to_string()))?;
        if status >= 300 {
            return Err(from_json_error(status, &text));
        }
        Ok(if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }
}

/// `2026-11-24T23:35:52.622273Z` → time (RFC 3339 in UTC, as Cloud Storage writes it).
pub(crate) fn rfc3339(s: &str) -> Option<SystemTime> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    // Days from civil (Howard Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    let nanos: u32 = format!("{:0<9}", &frac[..frac.len().min(9)]).parse().ok()?;
    (secs >= 0).then(|| UNIX_EPOCH + Duration::new(secs as u64, nanos))
}

/// An object resource as portable metadata: the version token is the generation.
pub(crate) fn meta_of(o: &Value) -> ObjectMeta {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let mut m = ObjectMeta::new(
        s("name").unwrap_or_default(),
        s("size").and_then(|x| x.parse().ok()).unwrap_or(0),
    );
    m.etag = s("etag").map(str::to_string);
    m.version = s("generation").map(str::to_string);
    m.last_modified = s("updated").and_then(rfc3339);
    m.content_type = s("contentType").filter(|c| !c.is_empty()).map(str::to_string);
    m.user_metadata = o
        .get("metadata")
        .and_then(Value::as_object)
        .map(|mm| {
            mm.iter()
                .filter_map(|(k, v)| Some((k.to_lowercase(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_names() {
        let t = rfc3339("1970-01-02T00:00:01.5Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::new(86_401, 500_000_000));
        assert!(rfc3339("2026-11-24T23:35:52.622273Z").is_some());
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
