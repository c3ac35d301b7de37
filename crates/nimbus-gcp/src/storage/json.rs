//! Cloud Storage JSON API shapes: object resources as portable metadata, path segments.

use nimbus_core::storage::ObjectMeta;
use serde_json::Value;

use nimbus_core::time::parse_rfc3339 as rfc3339;

/// Percent-encodes one path segment (an object name's `/` included).
pub(crate) fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
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
    for (field, header) in [
        ("cacheControl", "cache-control"),
        ("contentDisposition", "content-disposition"),
        ("contentEncoding", "content-encoding"),
        ("contentLanguage", "content-language"),
    ] {
        if let Some(v) = s(field).filter(|v| !v.is_empty()) {
            m.attributes.set(header, v);
        }
    }
    m.user_metadata = o
        .get("metadata")
        .and_then(Value::as_object)
        .map(|mm| {
            mm.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    m.storage_class = s("storageClass").and_then(super::class::from_gcs);
    m
}

/// An object resource's metageneration (0 when it is missing or malformed).
pub(crate) fn metageneration_of(o: &Value) -> i64 {
    o.get("metageneration")
        .and_then(Value::as_str)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
