//! Multipart uploads as Static Large Objects: where segments live, the upload record, and
//! the manifest.
//!
//! Layout, for an upload to `photos/cat.jpg` in container `media`:
//! - segments go to the container **`media_segments`** (created on the first upload), as
//!   `<upload_id>/00000001`, `<upload_id>/00000002`, …;
//! - the upload record is the object `media_segments/<upload_id>`: a small JSON body with
//!   the key, content type, user metadata and whether the put is create-only (what
//!   `complete_multipart` needs and is not given again). It exists from
//!   `create_multipart` until the upload is completed or aborted, so `upload_part` on an
//!   aborted upload is `NotFound`, as on S3;
//! - `complete_multipart` PUTs `media/photos/cat.jpg?multipart-manifest=put` listing the
//!   segments with their MD5 and size (Swift checks both), then deletes the record.
//!
//! Why `<container>_segments` and not a prefix inside the container (such as
//! `.nimbus-segments/<key>/…`): segments there would appear in every listing of the
//! bucket, count as objects a user did not write, and make `delete_bucket` of an
//! apparently empty bucket fail; `<container>_segments` is also where the `swift` CLI puts
//! its own segments, so operators already know it. Why the upload id and not the key in
//! segment names: a key may already be `max_object_name_length` long, and a segment name
//! built from it would not fit. The cost: `list_buckets` shows the `_segments` containers
//! (their names are not valid portable bucket names, so they cannot be mistaken for one),
//! and `delete_bucket` removes the segment container only when it is empty (segments of
//! uploads never completed nor aborted stay, as unfinished S3 uploads do).

use nimbus_core::storage::CompletedPart;
use nimbus_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::path;

/// The container that holds the segments of `container`'s large objects.
pub fn segment_container(container: &str) -> String {
    format!("{container}_segments")
}

/// A new upload id: time (so records sort by age) and 64 random bits.
pub fn new_upload_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("nimbus-{secs:010x}-{:016x}", rand::random::<u64>())
}

/// `InvalidInput` unless `id` is one [`new_upload_id`] could have made (it is used in
/// object names).
pub fn check_upload_id(id: &str) -> Result<()> {
    let ok = id.strip_prefix("nimbus-").is_some_and(|r| {
        r.len() == 27 && r.as_bytes()[10] == b'-' && r.bytes().filter(|b| *b != b'-').all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "`{}` is not a Swift upload id of this adapter",
            id.escape_debug()
        )))
    }
}

/// The object name of segment `part` (1-based) of an upload.
pub fn segment_name(upload_id: &str, part: u32) -> String {
    format!("{upload_id}/{part:08}")
}

/// What `complete_multipart` needs to know of `create_multipart`'s options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// The object's key.
    pub key: String,
    /// Content type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// User metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Create-only (`If-None-Match: *` on the manifest).
    #[serde(default)]
    pub create_only: bool,
    /// HTTP attributes by header name (set on the manifest).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// The manifest body: one `{path, etag, size_bytes}` per part in part-number order, and
/// the total size. `InvalidInput` for duplicate or missing part numbers.
pub fn manifest(segment_container: &str, upload_id: &str, parts: &[CompletedPart]) -> Result<(Value, u64)> {
    if parts.is_empty() {
        return Err(Error::invalid("an upload needs at least one part"));
    }
    let mut sorted: Vec<&CompletedPart> = parts.iter().collect();
    sorted.sort_by_key(|p| p.part_number);
    if sorted.windows(2).any(|w| w[0].part_number == w[1].part_number) {
        return Err(Error::invalid("a part number is listed twice"));
    }
    let total = sorted.iter().map(|p| p.size).sum();
    let body = sorted
        .iter()
        .map(|p| {
            json!({
                "path": path::object(segment_container, &segment_name(upload_id, p.part_number)),
                "etag": p.etag,
                "size_bytes": p.size,
            })
        })
        .collect();
    Ok((Value::Array(body), total))
}

/// Whether a manifest (`?multipart-manifest=get`) lists segments of `upload_id`: then the
/// upload was completed (perhaps by a call whose answer was lost) and its segments belong
/// to that object.
pub fn manifest_uses(manifest: &Value, segment_container: &str, upload_id: &str) -> bool {
    let prefix = path::object(segment_container, &format!("{upload_id}/"));
    let decoded = path::decode(&prefix);
    manifest.as_array().into_iter().flatten().any(|s| {
        // `multipart-manifest=get` answers `name` (decoded); the `put` form used `path`.
        s.get("name")
            .or_else(|| s.get("path"))
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with(&decoded) || n.starts_with(&prefix))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_ids_and_segment_names() {
        let id = new_upload_id();
        check_upload_id(&id).unwrap();
        assert!(check_upload_id("../x").is_err());
        assert!(check_upload_id("nimbus-zz").is_err());
        assert_eq!(segment_name("u", 3), "u/00000003");
        assert_eq!(segment_container("media"), "media_segments");
    }

    #[test]
    fn manifest_is_in_part_order_with_sizes() {
        let parts = [CompletedPart::new(2, "bb", 2), CompletedPart::new(1, "aa", 3)];
        let (m, total) = manifest("c_segments", "nimbus-1", &parts).unwrap();
        assert_eq!(total, 5);
        assert_eq!(
            m,
            json!([
                {"path": "/c_segments/nimbus-1/00000001", "etag": "aa", "size_bytes": 3},
                {"path": "/c_segments/nimbus-1/00000002", "etag": "bb", "size_bytes": 2}
            ])
        );
        assert!(manifest("c", "u", &[]).is_err());
        assert!(manifest(
            "c",
            "u",
            &[CompletedPart::new(1, "a", 1), CompletedPart::new(1, "b", 1)]
        )
        .is_err());
        let got = json!([{"name": "/c_segments/nimbus-1/00000001", "hash": "aa", "bytes": 3}]);
        assert!(manifest_uses(&got, "c_segments", "nimbus-1"));
        assert!(!manifest_uses(&got, "c_segments", "nimbus-2"));
    }

    #[test]
    fn record_round_trips() {
        let r = UploadRecord {
            key: "k".into(),
            content_type: Some("text/plain".into()),
            metadata: [("a".to_string(), "1".to_string())].into(),
            create_only: true,
            attributes: [("cache-control".to_string(), "no-cache".to_string())].into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<UploadRecord>(&s).unwrap(), r);
    }
}
