//! Cloud Storage JSON API shapes: object resources as portable metadata, path segments.

use std::collections::BTreeMap;

use nimbus_core::storage::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;

use nimbus_core::time::parse_rfc3339 as rfc3339;

/// Percent-encodes one path segment (an object name's `/` included).
pub(crate) fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// An object resource, read into only the fields the portable model uses (the rest, ACLs
/// included, is skipped without being built).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Resource {
    name: String,
    size: Option<String>,
    etag: Option<String>,
    generation: Option<String>,
    metageneration: Option<String>,
    updated: Option<String>,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    metadata: Option<BTreeMap<String, Value>>,
    storage_class: Option<String>,
}

impl Resource {
    /// The metageneration (0 when missing or malformed).
    pub(crate) fn metageneration(&self) -> i64 {
        self.metageneration.as_deref().and_then(|m| m.parse().ok()).unwrap_or(0)
    }

    /// As portable metadata (its strings moved, not copied): the version token is the
    /// generation.
    pub(crate) fn into_meta(self) -> ObjectMeta {
        let mut m = ObjectMeta::new(self.name, self.size.and_then(|x| x.parse().ok()).unwrap_or(0));
        m.etag = self.etag;
        m.version = self.generation;
        m.last_modified = self.updated.as_deref().and_then(rfc3339);
        m.content_type = self.content_type.filter(|c| !c.is_empty());
        let non_empty = |v: Option<String>| v.filter(|v| !v.is_empty());
        m.attributes.cache_control = non_empty(self.cache_control);
        m.attributes.content_disposition = non_empty(self.content_disposition);
        m.attributes.content_encoding = non_empty(self.content_encoding);
        m.attributes.content_language = non_empty(self.content_language);
        m.user_metadata = self
            .metadata
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(v) => Some((k, v)),
                _ => None,
            })
            .collect();
        m.storage_class = self.storage_class.as_deref().and_then(super::class::from_gcs);
        m
    }
}

/// A page of `objects.list`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ObjectList {
    pub(crate) items: Vec<Resource>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) next_page_token: Option<String>,
}

/// An object resource held as JSON (a rewrite's answer) as portable metadata.
pub(crate) fn meta_of(o: &Value) -> ObjectMeta {
    Resource::deserialize(o).unwrap_or_default().into_meta()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_keep_what_the_model_uses() {
        let o = serde_json::json!({
            "name": "a/b", "size": "5", "etag": "E", "generation": "7", "metageneration": "2",
            "updated": "2026-12-02T15:52:03.537299Z", "contentType": "text/plain",
            "cacheControl": "no-cache", "contentEncoding": "", "storageClass": "NEARLINE",
            "metadata": { "MyKey": "v", "odd": 1 },
            "acl": [{ "entity": "x" }]
        });
        let r = Resource::deserialize(&o).unwrap();
        assert_eq!(r.metageneration(), 2);
        let m = r.into_meta();
        assert_eq!((m.key.as_str(), m.size), ("a/b", 5));
        assert_eq!(m.etag.as_deref(), Some("E"));
        assert_eq!(m.version.as_deref(), Some("7"));
        assert!(m.last_modified.is_some());
        assert_eq!(m.content_type.as_deref(), Some("text/plain"));
        assert_eq!(m.attributes.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(m.attributes.content_encoding, None, "empty is absent");
        assert_eq!(m.user_metadata.len(), 1, "non-string values are skipped");
        assert_eq!(m.user_metadata["MyKey"], "v");
        assert!(m.storage_class.is_some());
        let page: ObjectList = serde_json::from_value(serde_json::json!({ "kind": "storage#objects" })).unwrap();
        assert!(page.items.is_empty() && page.prefixes.is_empty() && page.next_page_token.is_none());
    }

    #[test]
    fn names() {
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
